/* reason.c — the reason-code table and lookups over it. */
#include "core/reason.h"

#include <stdio.h>
#include <string.h>

#define R(code, name, severity, violation, zh, text)                                               \
    [code] = {code, name, zh, text, severity, violation}

/* Indexed by code; entry 0 is empty (0 is not a reason). */
static const reason_info reason_table[REASON_COUNT_] = {
    R(REASON_MACHINE_UNKNOWN, "machine_unknown", REASON_WARNING, true, "焊机未在平台登记",
      "the welding machine is not registered"),
    R(REASON_MACHINE_SUSPENDED, "machine_suspended", REASON_WARNING, true, "焊机已被停用",
      "the welding machine is suspended"),
    R(REASON_MACHINE_SCRAPPED, "machine_scrapped", REASON_CRITICAL, true, "焊机已登记报废",
      "the welding machine is recorded as scrapped"),
    R(REASON_CODE_MALFORMED, "code_malformed", REASON_INFO, false, "扫到的码无法识别",
      "the scanned code could not be read"),
    R(REASON_CODE_FORGED, "code_forged", REASON_CRITICAL, true, "码的签名不对，疑似伪造",
      "the signature of the scanned code does not verify"),
    R(REASON_CODE_UNKNOWN_KEY, "code_unknown_key", REASON_WARNING, false, "码由未知密钥签发",
      "the scanned code is signed by an unknown key"),
    R(REASON_CODE_EXPIRED, "code_expired", REASON_WARNING, false, "码已过期",
      "the scanned code has expired"),
    R(REASON_CODE_NOT_YET_VALID, "code_not_yet_valid", REASON_WARNING, false, "码尚未生效",
      "the scanned code is not valid yet"),
    R(REASON_CODE_REVOKED, "code_revoked", REASON_CRITICAL, true, "码已被吊销作废",
      "the scanned code has been revoked"),
    R(REASON_CODE_WRONG_TYPE, "code_wrong_type", REASON_INFO, false, "扫到的不是焊工码",
      "the scanned code is not a welder code"),
    R(REASON_WELDER_UNKNOWN, "welder_unknown", REASON_WARNING, true, "焊工未在平台登记",
      "the welder is not registered"),
    R(REASON_WELDER_INACTIVE, "welder_inactive", REASON_WARNING, true, "焊工已停用",
      "the welder is not active"),
    R(REASON_LICENCE_MISSING_CATEGORY, "licence_missing_category", REASON_CRITICAL, true,
      "焊工无此类焊接的操作证", "the welder holds no licence for this kind of welding"),
    R(REASON_LICENCE_EXPIRED, "licence_expired", REASON_CRITICAL, true, "焊工证已过期",
      "the welder's licence has expired"),
    R(REASON_LICENCE_REVIEW_OVERDUE, "licence_review_overdue", REASON_CRITICAL, true,
      "焊工证未按期复审", "the welder's licence was not reviewed on time"),
    R(REASON_LICENCE_REVOKED, "licence_revoked", REASON_CRITICAL, true, "焊工证已被吊销",
      "the welder's licence has been revoked"),
    R(REASON_TRAINING_MISSING, "training_missing", REASON_WARNING, false, "焊工无培训记录",
      "the welder has no training on record"),
    R(REASON_PERMIT_NONE, "permit_none", REASON_CRITICAL, true, "无有效动火作业许可",
      "there is no approved hot-work permit for this welder and machine now"),
    R(REASON_PERMIT_OUTSIDE_WINDOW, "permit_outside_window", REASON_CRITICAL, true,
      "不在动火许可的有效时间内", "the hot-work permit is not valid at this time"),
    R(REASON_PERMIT_WELDER_NOT_LISTED, "permit_welder_not_listed", REASON_CRITICAL, true,
      "动火许可上没有这名焊工", "the welder is not named on the hot-work permit"),
    R(REASON_PERMIT_MACHINE_NOT_LISTED, "permit_machine_not_listed", REASON_CRITICAL, true,
      "动火许可上没有这台焊机", "the welding machine is not named on the hot-work permit"),
    R(REASON_PERMIT_OUTSIDE_RADIUS, "permit_outside_radius", REASON_CRITICAL, true,
      "焊机离动火地点太远", "the welding machine is too far from the hot-work point"),
    R(REASON_POSITION_MISSING, "position_missing", REASON_WARNING, false,
      "许可要求定位，焊机未报位置", "the permit requires a position but the machine sent none"),
    R(REASON_GAS_ANALYSIS_STALE, "gas_analysis_stale", REASON_CRITICAL, true,
      "无气体检测或检测已超30分钟", "the gas analysis is missing or more than 30 minutes old"),
    R(REASON_WELDER_BUSY_ELSEWHERE, "welder_busy_elsewhere", REASON_CRITICAL, true,
      "焊工正在另一台焊机上作业", "the welder is already working on another machine"),
    R(REASON_WORK_OUTSIDE_PLATFORM, "work_outside_platform", REASON_CRITICAL, true,
      "未经平台核准作业（不入平台作业）", "the machine is working without an approved check-in"),
    R(REASON_HEARTBEAT_LOST, "heartbeat_lost", REASON_WARNING, true, "作业中焊机失去联系",
      "the machine went silent during work"),
    R(REASON_SESSION_OVERRUN, "session_overrun", REASON_WARNING, true, "超出核准时间仍在作业",
      "the machine is working past the end of its approval"),
    R(REASON_TAMPER, "tamper", REASON_CRITICAL, true, "焊机报告被拆改",
      "the machine reports that it was tampered with"),
    R(REASON_SHARED_CODE, "shared_code", REASON_CRITICAL, true, "焊工码在焊工作业地点以外被使用",
      "the welder's code was used far from where the welder is working"),
    R(REASON_CLOCK_SKEW, "clock_skew", REASON_WARNING, true, "焊机时钟与平台相差太大",
      "the machine's clock is too far from the server's"),
    R(REASON_LATE_EVENT, "late_event", REASON_INFO, false, "记录上报迟了",
      "the event arrived late"),
    R(REASON_REPLAY, "replay", REASON_WARNING, true, "记录序号倒退，疑似重放",
      "the event's sequence number is below one this machine sent before"),
    R(REASON_CODE_COPIED, "code_copied", REASON_CRITICAL, true,
      "焊工码在相距过远的两地被扫，疑似复制",
      "the welder's code was scanned at two places farther apart than anyone can travel in the "
      "time between"),
    R(REASON_SUSPECTED_MODIFICATION, "suspected_modification", REASON_CRITICAL, true,
      "焊接电流超出额定或异常升高，疑似改装",
      "the arc current is above the machine's rating or far above how its session began"),
    R(REASON_ENTERPRISE_SUSPENDED, "enterprise_suspended", REASON_CRITICAL, true,
      "企业已被责令停产停业，焊机锁定",
      "the enterprise is ordered to stop work: the machine is locked"),
    R(REASON_MAJOR_HAZARD, "major_hazard", REASON_CRITICAL, true,
      "企业存在未销号的重大事故隐患，焊机锁定",
      "the enterprise has an open major accident hazard: the machine is locked"),
    R(REASON_TRAINING_EXPIRED, "training_expired", REASON_WARNING, false,
      "焊工培训已过期，需重新培训", "the welder's training has expired: re-training is due"),
    R(REASON_PERMIT_WITHDRAWN, "permit_withdrawn", REASON_WARNING, false,
      "动火许可已关闭或已不含该焊工或焊机",
      "the hot-work permit of this work was closed or no longer names the welder or machine"),
    R(REASON_CHECKIN_FLOOD, "checkin_flood", REASON_WARNING, true,
      "上报频率异常，焊机上报远快于正常芯片",
      "the machine sends check-ins far faster than any chip does (refused with 4.29)"),
};

#undef R

const reason_info *reason_get(reason_code code)
{
    if ((int)code <= 0 || code >= REASON_COUNT_)
        return NULL;
    return &reason_table[code];
}

const char *reason_name(reason_code code)
{
    const reason_info *info = reason_get(code);
    return info ? info->name : "unknown";
}

const char *reason_zh(reason_code code)
{
    const reason_info *info = reason_get(code);
    return info ? info->zh : "未知原因";
}

const char *reason_text(reason_code code)
{
    const reason_info *info = reason_get(code);
    return info ? info->text : "unknown reason";
}

char *reason_describe(reason_code code, char *buf, size_t cap)
{
    if (cap > 0)
        snprintf(buf, cap, "%s (%s)", reason_zh(code), reason_text(code));
    return buf;
}

bool reason_from_name(const char *name, size_t len, reason_code *out)
{
    if (!name)
        return false;
    for (int code = 1; code < REASON_COUNT_; code++) {
        const char *candidate = reason_table[code].name;
        if (strlen(candidate) == len && memcmp(candidate, name, len) == 0) {
            *out = (reason_code)code;
            return true;
        }
    }
    return false;
}

const char *reason_severity_name(reason_severity severity)
{
    switch (severity) {
    case REASON_INFO: return "info";
    case REASON_WARNING: return "warning";
    case REASON_CRITICAL: return "critical";
    }
    return "unknown";
}

void reason_list_init(reason_list *list)
{
    list->count = 0;
}

bool reason_list_has(const reason_list *list, reason_code code)
{
    for (size_t i = 0; i < list->count; i++) {
        if (list->codes[i] == code)
            return true;
    }
    return false;
}

void reason_list_add(reason_list *list, reason_code code)
{
    if (!reason_get(code) || reason_list_has(list, code))
        return;
    /* Cannot overflow: the list holds distinct valid codes and has room for all of them. */
    list->codes[list->count++] = code;
}

reason_severity reason_list_severity(const reason_list *list)
{
    reason_severity worst = REASON_INFO;
    for (size_t i = 0; i < list->count; i++) {
        reason_severity severity = reason_table[list->codes[i]].severity;
        if (severity > worst)
            worst = severity;
    }
    return worst;
}

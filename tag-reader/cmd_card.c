/* cmd_card.c — `weldtag card`, what an inspector sees at a machine: its code checked offline,
 * then the platform's status card (weldtag report records what was found: cmd_report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/reason.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/answer.h"
#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"
#include "tag-reader/offline.h"
#include "tag-reader/violationview.h"

typedef struct card_args {
    const char *text, *image, *trust_file, *revocations_file;
    bool offline, json;
} card_args;

static void card_usage(FILE *out)
{
    fputs("usage: weldtag card TEXT | --image FILE [--trust-list FILE] [--revocations FILE]\n"
          "                    [--offline] [--json] [connection options]\n"
          "A machine's status card: first what its signed code proves, checked OFFLINE against\n"
          "the trust list; then the platform's record: registration, enterprise, community,\n"
          "keeper, the work going on now (welder masked, licence, permit), last contact and\n"
          "open violations. With no network the offline part is still shown.\n"
          "\n"
          "  --image FILE        read the code from a photo of the label (PNG or JPEG)\n"
          "  --trust-list FILE   keys that may sign codes (or WELDTAG_TRUST_LIST)\n"
          "  --revocations FILE  cached revocation list (or WELDTAG_REVOCATIONS)\n"
          "  --offline           do not ask the server\n"
          "  --json              print the platform's card as one line of JSON\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 card shown, code valid; 1 the code is invalid; 2 usage;\n"
          "            3 server unreachable (offline part shown); 4 refused by the server\n",
          out);
}

/* Parses the options of `card`; -1 after a message, 1 after --help. */
static int card_parse(int argc, char **argv, card_args *a, conn_settings *conn)
{
    static const struct option options[] = {{"image", required_argument, NULL, 'i'},
                                            {"trust-list", required_argument, NULL, 't'},
                                            {"revocations", required_argument, NULL, 'r'},
                                            {"offline", no_argument, NULL, 'o'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h': card_usage(stdout); return 1;
        case 'i': a->image = optarg; break;
        case 't': a->trust_file = optarg; break;
        case 'r': a->revocations_file = optarg; break;
        case 'o': a->offline = true; break;
        case 'j': a->json = true; break;
        default:
            if (conn_option(conn, opt, optarg) != 1) {
                card_usage(stderr);
                return -1;
            }
        }
    }
    a->text = optind < argc ? argv[optind] : NULL;
    if ((a->text == NULL) == (a->image == NULL) || optind + (a->text != NULL) != argc) {
        tool_error("card needs the code's text or --image FILE, not both (see --help)");
        return -1;
    }
    return 0;
}

/* ---- printing the card ---- */

static void card_line(const char *label, const char *text)
{
    printf("%-17s%s\n", label, text);
}

static void card_machine(const answer_doc *a)
{
    char chip[80], cat[32], amps[16], status[32], when[40], serial[120], model[120], line[512];
    answer_text(a, 0, "machine.chip_id", "?", chip, sizeof(chip));
    answer_text(a, 0, "machine.process_category", "?", cat, sizeof(cat));
    answer_text(a, 0, "machine.rated_current_a", "", amps, sizeof(amps));
    answer_text(a, 0, "machine.status", "?", status, sizeof(status));
    answer_time(a, 0, "machine.registered_at", when, sizeof(when));
    snprintf(line, sizeof(line), "%s  %s, %s%s%s, %s, registered %s", chip, cat,
             amps[0] ? "rated " : "rated current not recorded", amps, amps[0] ? " A" : "", status,
             when);
    card_line("machine:", line);
    answer_text(a, 0, "machine.serial", "-", serial, sizeof(serial));
    answer_text(a, 0, "machine.model", "-", model, sizeof(model));
    snprintf(line, sizeof(line), "serial %s, model %s", serial, model);
    card_line("", line);
}

static void card_owner(const answer_doc *a)
{
    char name[400], uscc[32], status[32], keeper[200], phone[40], district[200], line[1024];
    answer_text(a, 0, "enterprise.name", "?", name, sizeof(name));
    answer_text(a, 0, "enterprise.uscc", "?", uscc, sizeof(uscc));
    answer_text(a, 0, "enterprise.status", "?", status, sizeof(status));
    snprintf(line, sizeof(line), "%s (%s), %s", name, uscc, status);
    card_line("enterprise:", line);
    answer_text(a, 0, "community.name", "?", name, sizeof(name));
    answer_text(a, 0, "community.district", "?", district, sizeof(district));
    snprintf(line, sizeof(line), "%s, %s", name, district);
    card_line("community:", line);
    answer_text(a, 0, "machine.keeper_name", "?", keeper, sizeof(keeper));
    answer_text(a, 0, "machine.keeper_phone", "", phone, sizeof(phone));
    snprintf(line, sizeof(line), "%s%s%s", keeper, phone[0] ? "  " : "", phone);
    card_line("keeper:", line);
}

static void card_session(const answer_doc *a)
{
    char since[40], until[40], welder[200], lic[80], cats[80], state[32], vu[16], line[1024];
    if (answer_find(a, 0, "session") < 0) {
        card_line("work now:", "none: the machine is locked");
        return;
    }
    answer_time(a, 0, "session.opened_at", since, sizeof(since));
    answer_time(a, 0, "session.until", until, sizeof(until));
    snprintf(line, sizeof(line), "unlocked since %s until %s", since, until);
    card_line("work now:", line);
    answer_text(a, 0, "session.welder.name", "?", welder, sizeof(welder));
    answer_text(a, 0, "session.welder.licence_no", "?", lic, sizeof(lic));
    answer_text(a, 0, "session.welder.categories", "?", cats, sizeof(cats));
    answer_text(a, 0, "session.welder.licence_state", "?", state, sizeof(state));
    answer_text(a, 0, "session.welder.valid_until", "?", vu, sizeof(vu));
    snprintf(line, sizeof(line), "welder %s, licence %s (%s) %s, valid until %s", welder, lic, cats,
             state, vu);
    card_line("", line);
    if (answer_find(a, 0, "session.permit") < 0) {
        card_line("", "no permit (fixed hot-work area)");
        return;
    }
    char no[80], level[32], from[40], to[40], site[400];
    answer_text(a, 0, "session.permit.permit_no", "?", no, sizeof(no));
    answer_text(a, 0, "session.permit.level", "?", level, sizeof(level));
    answer_time(a, 0, "session.permit.starts_at", from, sizeof(from));
    answer_time(a, 0, "session.permit.ends_at", to, sizeof(to));
    answer_text(a, 0, "session.permit.site_address", "-", site, sizeof(site));
    snprintf(line, sizeof(line), "permit %s (%s level) %s to %s, %s", no, level, from, to, site);
    card_line("", line);
}

static void card_contact(const answer_doc *a)
{
    char at[40], ev[16], ok[8], reasons[512], line[1024];
    if (answer_find(a, 0, "last_contact") < 0) {
        card_line("last contact:", "never");
        return;
    }
    answer_time(a, 0, "last_contact.at", at, sizeof(at));
    answer_text(a, 0, "last_contact.ev", "?", ev, sizeof(ev));
    answer_text(a, 0, "last_contact.ok", "false", ok, sizeof(ok));
    answer_text(a, 0, "last_contact.reasons", "", reasons, sizeof(reasons));
    snprintf(line, sizeof(line), "%s  %s, %s%s%s", at, ev,
             strcmp(ok, "true") == 0 ? "accepted" : "refused", reasons[0] ? ": " : "", reasons);
    card_line("last contact:", line);
    /* the names are joined by ','; each said in words below, Chinese first */
    for (const char *p = reasons; *p;) {
        size_t len = strcspn(p, ",");
        reason_code code;
        if (reason_from_name(p, len, &code))
            card_line("", reason_describe(code, line, sizeof(line)));
        p += len + (p[len] == ',');
    }
}

/* 重患必停: why the machine stays locked whoever scans, in the words its display shows. */
static void card_stop(const answer_doc *a)
{
    char status[32], line[2048], text[512];
    answer_text(a, 0, "enterprise.status", "", status, sizeof(status));
    if (strcmp(status, "suspended") == 0)
        card_line("stop order:", reason_describe(REASON_ENTERPRISE_SUSPENDED, text, sizeof(text)));
    long items = answer_find(a, 0, "hazards");
    if (items < 0 || a->doc.tokens[items].next == (size_t)items + 1)
        return;
    card_line("stop order:", reason_describe(REASON_MAJOR_HAZARD, text, sizeof(text)));
    for (size_t k = (size_t)items + 1; k < a->doc.tokens[items].next; k = a->doc.tokens[k].next) {
        char id[24], when[40], by[80], site[400], what[1024];
        answer_text(a, k, "id", "?", id, sizeof(id));
        answer_time(a, k, "opened_at", when, sizeof(when));
        answer_text(a, k, "opened_by", "?", by, sizeof(by));
        answer_text(a, k, "site_address", "", site, sizeof(site));
        answer_text(a, k, "description", "?", what, sizeof(what));
        snprintf(line, sizeof(line), "hazard #%s %s%s%s (opened %s by %s)", id, site,
                 site[0] ? ": " : "", what, when, by);
        card_line("", line);
    }
}

static void card_violations(const answer_doc *a)
{
    char count[16], line[512];
    answer_text(a, 0, "open_violations.count", "0", count, sizeof(count));
    card_line("open violations:", count);
    long items = answer_find(a, 0, "open_violations.items");
    if (items < 0)
        return;
    for (size_t k = (size_t)items + 1; k < a->doc.tokens[items].next; k = a->doc.tokens[k].next) {
        char id[24], when[40], kind[80], sev[16], status[24];
        answer_text(a, k, "id", "?", id, sizeof(id));
        answer_time(a, k, "occurred_at", when, sizeof(when));
        answer_text(a, k, "kind", "?", kind, sizeof(kind));
        answer_text(a, k, "severity", "?", sev, sizeof(sev));
        answer_text(a, k, "status", "?", status, sizeof(status));
        snprintf(line, sizeof(line), "#%s  %s  %s (%s), %s", id, when, kind, sev, status);
        card_line("", line);
        char text[512];
        if (violationview_kind_text(kind, text, sizeof(text)))
            card_line("", text);
    }
}

static int card_print(const char *json, const char *server, bool compact)
{
    answer_doc a;
    if (compact)
        return adminreq_print(json, true) == 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_SERVER;
    if (answer_parse(&a, json) != 0) {
        tool_error("the server's card is not JSON this tool can read");
        return WELDTAG_EXIT_SERVER;
    }
    printf("\nONLINE record of the platform (%s):\n", server);
    card_machine(&a);
    card_owner(&a);
    card_stop(&a);
    card_session(&a);
    card_contact(&a);
    card_violations(&a);
    answer_deinit(&a);
    return WELDTAG_EXIT_OK;
}

/* ---- weldtag card ---- */

/* Asks the server for the card of @p chip; prints it. */
static int card_online(conn_settings *conn, const char *chip, bool json)
{
    client *c;
    char err[256], path[160], *answer = NULL;
    if (client_open(&conn->opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        return WELDTAG_EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "v1/machines/card?chip=%s", chip);
    int rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
    client_close(c);
    if (rc == WELDTAG_EXIT_NETWORK)
        puts("\nONLINE record: the server could not be reached; what is shown above is only what\n"
             "the signed code proves (OFFLINE).");
    else if (rc == WELDTAG_EXIT_OK && answer)
        rc = card_print(answer, conn->opt.server, json);
    free(answer);
    return rc;
}

/* Decodes the (unverified) claims of @p code; the exit code when it is no machine code. */
static int card_claims(const char *code, code_parsed *parsed)
{
    if (code_decode(code, strlen(code), parsed) != WR_OK) {
        printf("result:      INVALID (malformed): this is not a readable weldreg code\n"
               "             record it: weldtag report code_invalid --code '%s'\n",
               code);
        return WELDTAG_EXIT_REFUSED;
    }
    if (parsed->claims.kind != CODE_MACHINE) {
        tool_error("this is a welder's code: a status card is for machines (weldtag verify "
                   "checks welder codes)");
        return WELDTAG_EXIT_USAGE;
    }
    return WELDTAG_EXIT_OK;
}

int card_main(int argc, char **argv)
{
    card_args a = {.trust_file = getenv("WELDTAG_TRUST_LIST"),
                   .revocations_file = getenv("WELDTAG_REVOCATIONS")};
    conn_settings conn;
    conn_init(&conn);
    char code[CODE_TEXT_MAX + 1], err[512];
    code_parsed parsed;
    int rc = card_parse(argc, argv, &a, &conn);
    if (rc != 0 || (!a.offline && conn_finish(&conn) != 0)) {
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    if (codeview_get_text(a.text, a.image, code, sizeof(code), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        rc = WELDTAG_EXIT_USAGE;
    } else if ((rc = card_claims(code, &parsed)) == WELDTAG_EXIT_OK) {
        if (a.trust_file) {
            rc = offline_verify(a.trust_file, a.revocations_file, 0, code);
        } else {
            codeview_print(stdout, &parsed);
            puts("OFFLINE check: NO trust list given (--trust-list): the signature is NOT checked");
        }
        if (rc == WELDTAG_EXIT_REFUSED)
            printf("             the record below is for the chip the code CLAIMS; record the "
                   "finding:\n             weldtag report code_invalid --code '%s'\n",
                   code);
        if (!a.offline && rc != WELDTAG_EXIT_USAGE) {
            int online = card_online(&conn, parsed.claims.chip, a.json);
            rc = online != WELDTAG_EXIT_OK ? online : rc;
        }
    }
    conn_deinit(&conn);
    return rc;
}

/* industry.c — the sections of GB/T 4754-2017 and lookups over them. */
#include "core/industry.h"

#include <stdio.h>

static const industry_info industry_table[INDUSTRY_COUNT] = {
    {'A', "农、林、牧、渔业", "agriculture, forestry, animal husbandry and fishery"},
    {'B', "采矿业", "mining"},
    {'C', "制造业", "manufacturing"},
    {'D', "电力、热力、燃气及水生产和供应业", "electricity, heat, gas and water supply"},
    {'E', "建筑业", "construction"},
    {'F', "批发和零售业", "wholesale and retail trade"},
    {'G', "交通运输、仓储和邮政业", "transport, storage and post"},
    {'H', "住宿和餐饮业", "accommodation and catering"},
    {'I', "信息传输、软件和信息技术服务业", "information transmission, software and IT services"},
    {'J', "金融业", "finance"},
    {'K', "房地产业", "real estate"},
    {'L', "租赁和商务服务业", "leasing and business services"},
    {'M', "科学研究和技术服务业", "scientific research and technical services"},
    {'N', "水利、环境和公共设施管理业", "water conservancy, environment and public facilities"},
    {'O', "居民服务、修理和其他服务业", "resident, repair and other services"},
    {'P', "教育", "education"},
    {'Q', "卫生和社会工作", "health and social work"},
    {'R', "文化、体育和娱乐业", "culture, sports and entertainment"},
    {'S', "公共管理、社会保障和社会组织",
     "public administration, social security and organisations"},
    {'T', "国际组织", "international organisations"},
};

const industry_info *industry_find(const char *code, size_t len)
{
    if (!code || len != 1 || code[0] < 'A' || code[0] > 'T')
        return NULL;
    return &industry_table[code[0] - 'A'];
}

const industry_info *industry_at(size_t i)
{
    return i < INDUSTRY_COUNT ? &industry_table[i] : NULL;
}

bool industry_names_json(char *out, size_t cap)
{
    size_t used = 0;
    for (size_t i = 0; i < INDUSTRY_COUNT; i++) {
        int n = snprintf(out + used, cap - used, "%s\"%c\":\"%s\"", i ? "," : "{",
                         industry_table[i].code, industry_table[i].name);
        if (n < 0 || (size_t)n >= cap - used)
            return false;
        used += (size_t)n;
    }
    return used + 1 < cap && snprintf(out + used, cap - used, "}") == 1;
}

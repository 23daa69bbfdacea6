/* test-registry_rules.c — unit tests of registry field validation: each entity's valid record,
 * and each kind of bad input named by its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/registry_rules.h"

static json_token tokens[256];
static char why[RULES_WHY_SIZE];

static json_doc parse(const char *text)
{
    json_doc doc;
    assert_int_equal(json_parse(text, strlen(text), tokens, 256, &doc, NULL), WR_OK);
    return doc;
}

#define WELDER_BASE                                                                                 \
    "\"name\":\"张三\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T11010519491231002X\"," \
    "\"categories\":[\"fusion\"]"

static void test_welder_valid_and_defaults(void **state)
{
    (void)state;
    json_doc doc =
        parse("{" WELDER_BASE ",\"issued_on\":\"2024-02-29\",\"phone\":\"+86 138-0000-0000\"}");
    rules_welder w;
    assert_int_equal(rules_check_welder(&doc, 0, false, &w, why, sizeof(why)), WR_OK);
    assert_string_equal(w.idcard_masked, "1101**********002X");
    assert_string_equal(w.licence_masked, "T**************002X");
    assert_string_equal(w.valid_until, "2030-02-28");
    assert_string_equal(w.review_due, "2027-02-28");
    assert_int_equal(w.categories, 1);
    assert_string_equal(w.status, "active");
}

typedef struct bad_case {
    const char *body;
    const char *why; /* expected prefix */
} bad_case;

static void test_welder_bad(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"{\"name\":\"a\"}", "field \"idcard\": is required"},
        {"{" WELDER_BASE ",\"issued_on\":\"2024-02-30\"}", "field \"issued_on\": expected a date"},
        {"{" WELDER_BASE ",\"issued_on\":\"2024-01-01\",\"valid_until\":\"2023-01-01\"}",
         "field \"valid_until\": must be after"},
        {"{" WELDER_BASE ",\"issued_on\":\"2024-01-01\",\"valid_until\":\"2031-01-01\"}",
         "field \"valid_until\": a licence is valid at most 6"},
        {"{\"name\":\"a\",\"idcard\":\"110105194912310021\",\"licence_no\":\"T1\","
         "\"categories\":[\"fusion\"],\"issued_on\":\"2024-01-01\"}",
         "field \"idcard\": "},
        {"{" WELDER_BASE ",\"issued_on\":\"2024-01-01\",\"age\":3}",
         "field \"age\": unknown field"},
        {"{" WELDER_BASE ",\"issued_on\":20240101}",
         "field \"issued_on\": expected a string, got a number"},
        {"{\"name\":\"张三\",\"idcard\":\"11010519491231002X\",\"licence_no\":"
         "\"T11010519491231002X\","
         "\"categories\":[\"fusion\",\"fusion\"],\"issued_on\":\"2024-01-01\"}",
         "field \"categories\": lists \"fusion\" twice"},
        {"{" WELDER_BASE ",\"issued_on\":\"2024-01-01\",\"phone\":\"abc\"}",
         "field \"phone\": must be"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_doc doc = parse(cases[i].body);
        rules_welder w;
        assert_int_equal(rules_check_welder(&doc, 0, false, &w, why, sizeof(why)), WR_EINVAL);
        if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
            fail_msg("case %zu: \"%s\"", i, why);
        assert_null(strstr(why, "19491231")); /* never the number */
    }
}

static void test_welder_update_keeps_identity(void **state)
{
    (void)state;
    json_doc doc = parse("{\"name\":\"李四\",\"categories\":[\"brazing\",\"pressure\"],"
                         "\"issued_on\":\"2020-05-01\",\"long_record\":true}");
    rules_welder w;
    assert_int_equal(rules_check_welder(&doc, 0, true, &w, why, sizeof(why)), WR_OK);
    assert_false(w.has_idcard);
    assert_false(w.has_licence);
    assert_string_equal(w.review_due, "2026-05-01");
}

static void test_enterprise(void **state)
{
    (void)state;
    rules_enterprise e;
    json_doc doc =
        parse("{\"uscc\":\"91350100M000100Y43\",\"name\":\"某某焊接厂\",\"community_id\":1}");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_OK);
    assert_string_equal(e.status, "active");
    doc = parse("{\"uscc\":\"91350100M000100Y44\",\"name\":\"x\",\"community_id\":1}");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_EINVAL);
    assert_true(strncmp(why, "field \"uscc\": ", 14) == 0);
    doc = parse("{\"uscc\":\"91350100M000100Y43\",\"name\":\"x\",\"community_id\":\"1\"}");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"community_id\": expected an integer id, got a string");
    doc = parse("{\"uscc\":\"91350100M000100Y43\",\"name\":\"x\",\"community_id\":1,"
                "\"status\":\"gone\"}");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"status\": must be one of active, suspended, closed");
    /* industry (行业): a section of GB/T 4754-2017, optional */
    assert_string_equal(e.industry, "");
    doc = parse("{\"uscc\":\"91350100M000100Y43\",\"name\":\"x\",\"community_id\":1,"
                "\"industry\":\"E\"}");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_OK);
    assert_string_equal(e.industry, "E");
    static const char *const bad[] = {"U", "e", "C33", "制造业"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[160];
        snprintf(text, sizeof(text),
                 "{\"uscc\":\"91350100M000100Y43\",\"name\":\"x\",\"community_id\":1,"
                 "\"industry\":\"%s\"}",
                 bad[i]);
        doc = parse(text);
        assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_EINVAL);
        assert_true(strncmp(why, "field \"industry\": expected a section of GB/T 4754-2017", 54) ==
                    0);
    }
    doc = parse("[1]");
    assert_int_equal(rules_check_enterprise(&doc, 0, &e, why, sizeof(why)), WR_EINVAL);
}

static void test_machine_and_community(void **state)
{
    (void)state;
    rules_machine m;
    json_doc doc = parse("{\"chip_id\":\"WR-C-0001\",\"process_category\":\"fusion\","
                         "\"enterprise_id\":3,\"keeper_name\":\"王五\",\"rated_current_a\":250}");
    assert_int_equal(rules_check_machine(&doc, 0, &m, why, sizeof(why)), WR_OK);
    assert_int_equal(m.rated_current_a, 250);
    doc = parse("{\"chip_id\":\"wr-c-1\",\"process_category\":\"fusion\",\"enterprise_id\":3,"
                "\"keeper_name\":\"k\"}");
    assert_int_equal(rules_check_machine(&doc, 0, &m, why, sizeof(why)), WR_EINVAL);
    assert_true(strncmp(why, "field \"chip_id\"", 15) == 0);
    doc = parse("{\"chip_id\":\"A\",\"process_category\":\"fusion\",\"enterprise_id\":3,"
                "\"keeper_name\":\"k\",\"rated_current_a\":9000}");
    assert_int_equal(rules_check_machine(&doc, 0, &m, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"rated_current_a\": must be from 1 to 5000");
    rules_community c;
    doc = parse("{\"code\":\"370102-001\",\"name\":\"解放路社区\",\"district\":\"历下区\"}");
    assert_int_equal(rules_check_community(&doc, 0, &c, why, sizeof(why)), WR_OK);
    doc = parse("{\"code\":\"a b\",\"name\":\"n\",\"district\":\"d\"}");
    assert_int_equal(rules_check_community(&doc, 0, &c, why, sizeof(why)), WR_EINVAL);
}

#define PERMIT_BASE                                                                                \
    "\"permit_no\":\"DH-1\",\"enterprise_id\":1,\"site_address\":\"车间\",\"site_lat\":36.6,"    \
    "\"site_lon\":117.0,\"approver\":\"a\",\"fire_watch\":\"f\",\"welders\":[1],\"machines\":[2]"

static void test_permit_window(void **state)
{
    (void)state;
    rules_permit p;
    /* 09:00 to 17:00 China time: 8 h, a first-level permit may */
    json_doc doc =
        parse("{" PERMIT_BASE ",\"level\":\"first\",\"starts_at\":\"2025-06-02T09:00:00+08:00\","
              "\"ends_at\":\"2025-06-02T17:00:00+08:00\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_OK);
    assert_int_equal(p.ends_at - p.starts_at, 8 * 3600);
    assert_int_equal(p.site_radius_m, 10);
    doc = parse("{" PERMIT_BASE ",\"level\":\"first\",\"starts_at\":\"2025-06-02T09:00:00+08:00\","
                "\"ends_at\":\"2025-06-02T17:00:01+08:00\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"ends_at\": a first-level permit may last at most 8 h");
    /* second level by day: 72 h; starting at 23:00 it counts as first: 8 h */
    doc = parse("{" PERMIT_BASE ",\"level\":\"second\",\"starts_at\":\"2025-06-02T09:00:00+08:00\","
                "\"ends_at\":\"2025-06-05T09:00:00+08:00\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_OK);
    doc = parse("{" PERMIT_BASE ",\"level\":\"second\",\"starts_at\":\"2025-06-02T23:00:00+08:00\","
                "\"ends_at\":\"2025-06-03T09:00:00+08:00\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_EINVAL);
    assert_non_null(strstr(why, "at night"));
    doc = parse("{" PERMIT_BASE ",\"level\":\"second\",\"starts_at\":1748826000,"
                "\"ends_at\":1748822400}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"ends_at\": must be after \"starts_at\"");
    doc = parse("{" PERMIT_BASE ",\"level\":\"third\",\"starts_at\":1,\"ends_at\":2}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"level\": must be one of second, first, special");
    /* the approver's level: at least the permit's, raised at night */
    doc = parse("{" PERMIT_BASE ",\"level\":\"second\",\"starts_at\":\"2025-06-02T23:00:00+08:00\","
                "\"ends_at\":\"2025-06-03T05:00:00+08:00\",\"approver_level\":\"second\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "field \"approver_level\": a first-level permit (work starting at "
                             "night is one level up) needs its approver (Table B.1)");
    doc = parse("{" PERMIT_BASE ",\"level\":\"second\",\"starts_at\":\"2025-06-02T23:00:00+08:00\","
                "\"ends_at\":\"2025-06-03T05:00:00+08:00\",\"approver_level\":\"first\"}");
    assert_int_equal(rules_check_permit(&doc, 0, &p, why, sizeof(why)), WR_OK);
    assert_string_equal(p.approver_level, "first");
}

static void test_permit_change(void **state)
{
    (void)state;
    rules_permit_change c;
    json_doc doc = parse("{\"id\":5,\"gas_tested_at\":\"2025-06-02T09:40:00+08:00\","
                         "\"gas_value\":0.1,\"ends_at\":1748880000,\"add_welders\":[3],"
                         "\"remove_machines\":[4,5],\"note\":\"复测\"}");
    assert_int_equal(rules_check_permit_change(&doc, 0, &c, why, sizeof(why)), WR_OK);
    assert_int_equal(c.id, 5);
    assert_true(c.has_gas_test);
    assert_int_equal(c.gas_tested_at, 1748828400);
    assert_true(c.gas_value > 0.09 && c.gas_value < 0.11);
    assert_true(c.has_ends_at);
    assert_int_equal(c.ends_at, 1748880000);
    assert_int_equal(c.add_welder_count, 1);
    assert_int_equal(c.remove_machine_count, 2);
    assert_string_equal(c.note, "复测");
    static const struct {
        const char *body, *why;
    } bad[] = {
        {"{\"id\":5}", "field \"id\": names no change"},
        {"{\"gas_value\":1}", "field \"id\": is required"},
        {"{\"id\":5,\"gas_value\":1}", "field \"gas_tested_at\": is required with"},
        {"{\"id\":5,\"gas_tested_at\":1}", "field \"gas_value\": is required"},
        {"{\"id\":5,\"gas_tested_at\":1,\"gas_value\":101}", "field \"gas_value\": must be"},
        {"{\"id\":5,\"add_welders\":[3],\"remove_welders\":[3]}",
         "field \"remove_welders\": id 3 is both added and removed"},
        {"{\"id\":5,\"add_machines\":[1],\"remove_machines\":[1]}",
         "field \"remove_machines\": id 1"},
        {"{\"id\":5,\"starts_at\":1}", "field \"starts_at\": unknown field"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = parse(bad[i].body);
        assert_int_equal(rules_check_permit_change(&doc, 0, &c, why, sizeof(why)), WR_EINVAL);
        if (strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
            fail_msg("%s: got \"%s\"", bad[i].body, why);
    }
}

static void test_holidays(void **state)
{
    (void)state;
    static rules_holidays h;
    json_doc doc = parse("{\"year\":2025,\"days\":[{\"date\":\"2025-10-01\",\"rest\":true,"
                         "\"name\":\"国庆节\"},{\"date\":\"2025-09-28\",\"rest\":false,"
                         "\"name\":\"调休上班\"}]}");
    assert_int_equal(rules_check_holidays(&doc, 0, &h, why, sizeof(why)), WR_OK);
    assert_int_equal(h.year, 2025);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.days[0].day, 20362);
    assert_true(h.days[0].rest);
    assert_false(h.days[1].rest);
    assert_string_equal(h.days[1].name, "调休上班");
    static const struct {
        const char *body, *why;
    } bad[] = {
        {"{\"days\":[]}", "field \"year\": is required"},
        {"{\"year\":1999,\"days\":[]}", "field \"year\": must be from 2000 to 2100"},
        {"{\"year\":2025}", "field \"days\": is required"},
        {"{\"year\":2025,\"days\":[{\"date\":\"2026-01-01\",\"rest\":true,\"name\":\"x\"}]}",
         "days item 1: field \"date\": expected a date YYYY-MM-DD in 2025"},
        {"{\"year\":2025,\"days\":[{\"date\":\"2025-01-01\",\"name\":\"x\"}]}",
         "days item 1: field \"rest\": is required"},
        {"{\"year\":2025,\"days\":[{\"date\":\"2025-01-01\",\"rest\":true,\"name\":\"x\"},"
         "{\"date\":\"2025-01-01\",\"rest\":true,\"name\":\"y\"}]}",
         "days item 2: field \"date\": 2025-01-01 is listed twice"},
        {"{\"year\":2025,\"days\":[{\"date\":\"2025-01-01\",\"rest\":true}]}",
         "days item 1: field \"name\": is required"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = parse(bad[i].body);
        assert_int_equal(rules_check_holidays(&doc, 0, &h, why, sizeof(why)), WR_EINVAL);
        if (strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
            fail_msg("%s: got \"%s\"", bad[i].body, why);
    }
}

static void test_times_and_dates(void **state)
{
    (void)state;
    int64_t t, d;
    assert_int_equal(rules_parse_time("1970-01-01T00:00:00Z", 20, &t), WR_OK);
    assert_int_equal(t, 0);
    assert_int_equal(rules_parse_time("2025-06-01T08:00+08:00", 22, &t), WR_OK);
    assert_int_equal(t, 1748736000);
    assert_int_equal(rules_parse_time("2025-06-01T08:00:00.5-01:30", 27, &t), WR_OK);
    assert_int_equal(rules_parse_time("2025-06-01T08:00:00", 19, &t), WR_EINVAL);
    assert_int_equal(rules_parse_time("2025-06-01T24:00:00Z", 20, &t), WR_EINVAL);
    assert_int_equal(rules_parse_date("2000-02-29", 10, &d), WR_OK);
    char out[RULES_DATE_SIZE];
    rules_format_date(d, out);
    assert_string_equal(out, "2000-02-29");
    assert_int_equal(rules_parse_date("1900-02-29", 10, &d), WR_EINVAL);
}

static void test_merge(void **state)
{
    (void)state;
    json_token more[32];
    const char *base_text = "{\"a\":1,\"b\":\"x\",\"c\":[1,2]}";
    const char *change_text = "{\"b\":\"y\",\"c\":null,\"d\":true}";
    json_doc base, change;
    assert_int_equal(json_parse(base_text, strlen(base_text), tokens, 256, &base, NULL), WR_OK);
    assert_int_equal(json_parse(change_text, strlen(change_text), more, 32, &change, NULL), WR_OK);
    char out[128];
    json_writer w;
    json_writer_init(&w, out, sizeof(out));
    assert_int_equal(rules_merge(&base, 0, &change, 0, &w), WR_OK);
    assert_string_equal(out, "{\"a\":1,\"b\":\"y\",\"d\":true}");
}

/* The shape of an update, before any stored record: known fields, their types, no removal of
 * a required one; values are left to the check of the merged record. */
static void test_change_shape(void **state)
{
    (void)state;
    static const struct {
        rules_record record;
        const char *body;
        const char *why; /* NULL: accepted */
    } cases[] = {
        {RULES_ENTERPRISE, "{}", NULL},
        {RULES_ENTERPRISE, "{\"name\":\"x\",\"address\":null,\"status\":\"gone\"}", NULL},
        {RULES_ENTERPRISE, "{\"community_id\":-5}", NULL}, /* a value: checked when merged */
        {RULES_ENTERPRISE, "{\"owner\":\"me\"}", "field \"owner\": unknown field"},
        {RULES_ENTERPRISE, "{\"community_id\":\"one\"}",
         "field \"community_id\": expected an integer, got a string"},
        {RULES_ENTERPRISE, "{\"name\":null}", "field \"name\": is required and cannot be removed"},
        {RULES_ENTERPRISE, "[1]", "the body must be an object"},
        {RULES_MACHINE, "{\"rated_current_a\":2.5}",
         "field \"rated_current_a\": expected an integer, got a number"},
        {RULES_MACHINE, "{\"keeper_phone\":null,\"model\":\"m\"}", NULL},
        {RULES_MACHINE, "{\"status\":{}}", "field \"status\": expected a string, got an object"},
        {RULES_MACHINE, "{\"chip\":\"WR-1\"}", "field \"chip\": unknown field"},
        {RULES_WELDER, "{\"categories\":\"fusion\"}",
         "field \"categories\": expected an array, got a string"},
        {RULES_WELDER, "{\"long_record\":\"yes\"}",
         "field \"long_record\": expected true or false, got a string"},
        {RULES_WELDER, "{\"idcard\":\"11010519491231002X\",\"licence_no\":null}", NULL},
        {RULES_WELDER, "{\"issued_on\":null}",
         "field \"issued_on\": is required and cannot be removed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_doc doc = parse(cases[i].body);
        why[0] = '\0';
        wr_status st = rules_check_change(cases[i].record, &doc, 0, why, sizeof(why));
        if (!cases[i].why && st != WR_OK)
            fail_msg("%s: refused: %s", cases[i].body, why);
        if (cases[i].why && (st != WR_EINVAL || strcmp(why, cases[i].why) != 0))
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].body, why, cases[i].why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welder_valid_and_defaults),
        cmocka_unit_test(test_welder_bad),
        cmocka_unit_test(test_welder_update_keeps_identity),
        cmocka_unit_test(test_enterprise),
        cmocka_unit_test(test_machine_and_community),
        cmocka_unit_test(test_permit_window),
        cmocka_unit_test(test_permit_change),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_times_and_dates),
        cmocka_unit_test(test_change_shape),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

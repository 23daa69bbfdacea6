/* test-survey.c — unit tests of the CSV survey: every problem of a file placed by line and
 * column, rows checked by the API's rules, duplicates within the file, the keys the registry is
 * asked about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/survey.h"

/* The problem at @p line and @p column, or NULL. */
static const survey_error *find(const survey_file *f, unsigned line, unsigned column)
{
    for (size_t i = 0; i < f->errors.kept; i++)
        if (f->errors.items[i].line == line && f->errors.items[i].column == column)
            return &f->errors.items[i];
    return NULL;
}

static void read_text(survey_kind kind, const char *text, survey_file *f)
{
    assert_int_equal(survey_read(kind, text, strlen(text), f), WR_OK);
}

static void test_every_problem_of_a_row(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_ENTERPRISES,
              "uscc,name,community,contact_phone,status\n"
              "91410100MA00000022,,bad code!,12ab,paused\n",
              &f);
    assert_int_equal(f.errors.total, 5);
    assert_string_equal(find(&f, 2, 1)->zh, "校验码不符");
    assert_string_equal(find(&f, 2, 2)->field, "name");
    assert_string_equal(find(&f, 2, 3)->zh, "社区编码格式不符");
    assert_string_equal(find(&f, 2, 4)->zh, "电话号码格式不符");
    assert_non_null(strstr(find(&f, 2, 5)->en, "must be one of"));
    assert_int_equal(f.n_rows, 1);
    assert_false(f.rows[0].ok);
    assert_false(f.rows[0].key_ok);
    assert_false(f.rows[0].own_ok);
    survey_file_deinit(&f);
}

static void test_problems_on_several_lines(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_MACHINES,
              "chip_id,process_category,enterprise_uscc,keeper_name,rated_current_a\n"
              "XM-1,fusion,91410100MA0000001X,王五,250\n"
              "xm-2,laser,91410100MA0000001X,王六,abc\n"
              "XM-3,fusion,91410100MA0000001X,,9000\n"
              "XM-1,pressure,91410100MA00000021,赵七\n"
              "XM-1,pressure,91410100MA00000021,赵七,\n",
              &f);
    assert_non_null(find(&f, 3, 1));
    assert_non_null(find(&f, 3, 2));
    assert_string_equal(find(&f, 3, 5)->zh, "应为整数");
    assert_string_equal(find(&f, 4, 4)->zh, "必填项为空");
    assert_string_equal(find(&f, 4, 5)->zh, "数值超出范围");
    assert_string_equal(find(&f, 5, 0)->zh, "字段个数不符");
    assert_string_equal(find(&f, 6, 1)->en, "the same chip_id as on line 2");
    assert_int_equal(f.errors.total, 7);
    survey_errors_sort(&f.errors);
    assert_int_equal(f.errors.items[0].line, 3);
    assert_int_equal(f.errors.items[f.errors.kept - 1].line, 6);
    survey_file_deinit(&f);
}

static void test_valid_file(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_MACHINES,
              "\xEF\xBB\xBFkeeper_name,chip_id,enterprise_uscc,process_category,rated_current_a\r\n"
              "\"王, 五\",XM-1,91410100MA0000001X,fusion,250\r\n"
              "赵六,XM-2,91410100MA00000021,brazing,\r\n",
              &f);
    assert_int_equal(f.errors.total, 0);
    assert_int_equal(f.n_rows, 2);
    assert_true(f.rows[0].ok);
    assert_string_equal(f.rows[0].u.machine.keeper_name, "王, 五");
    assert_int_equal(f.rows[0].u.machine.rated_current_a, 250);
    assert_int_equal(f.rows[0].u.machine.enterprise_id, 1); /* the caller resolves it */
    assert_string_equal(f.rows[0].key, "91410100MA0000001X");
    assert_int_equal(f.rows[0].key_column, 3);
    assert_string_equal(f.rows[1].own, "XM-2");
    assert_int_equal(f.rows[1].id_column, 2);
    assert_int_equal(f.rows[1].line, 3);
    survey_file_deinit(&f);
}

static void test_header_and_file(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_ENTERPRISES, "uscc,nom,uscc\n1,2,3\n", &f);
    assert_string_equal(find(&f, 1, 2)->zh, "未知的列");
    assert_string_equal(find(&f, 1, 3)->zh, "列名重复");
    assert_non_null(find(&f, 1, 0)); /* the header lacks name and community */
    assert_int_equal(f.n_rows, 0);
    survey_file_deinit(&f);
    read_text(SURVEY_ENTERPRISES, "", &f);
    assert_string_equal(f.errors.items[0].zh, "文件为空");
    survey_file_deinit(&f);
    read_text(SURVEY_ENTERPRISES, "uscc,name,community\n", &f);
    assert_string_equal(f.errors.items[0].zh, "没有数据行");
    survey_file_deinit(&f);
    read_text(SURVEY_ENTERPRISES, "uscc,name,community\n91410100MA0000001X,\"a,x\n", &f);
    assert_string_equal(find(&f, 2, 0)->zh, "CSV格式错误");
    survey_file_deinit(&f);
}

static void test_problems_kept_and_counted(void **state)
{
    (void)state;
    static char text[64 * 1024];
    size_t n = (size_t)snprintf(text, sizeof(text), "uscc,name,community\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "bad,,x\n");
    survey_file f;
    read_text(SURVEY_ENTERPRISES, text, &f);
    assert_int_equal(f.errors.total, 600);
    assert_int_equal(f.errors.kept, SURVEY_ERRORS_KEPT);
    survey_file_deinit(&f);
}

static void test_welders(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_WELDERS,
              "name,idcard,licence_no,categories,issued_on,long_record\n"
              "甲,11010519491231002X,T11010519491231002X,fusion;brazing,2024-03-01,是\n"
              ",110105194912310021,licence,laser,2024-02-30,maybe\n"
              "乙,11010519491231002X,T11010519491231002X,fusion,2024-03-01,\n",
              &f);
    assert_string_equal(find(&f, 3, 1)->zh, "必填项为空");
    assert_non_null(find(&f, 3, 2)); /* the check digit */
    assert_non_null(find(&f, 3, 3));
    assert_non_null(find(&f, 3, 4));
    assert_non_null(find(&f, 3, 5));
    assert_non_null(find(&f, 3, 6));
    assert_string_equal(find(&f, 4, 2)->en, "the same idcard as on line 2");
    assert_string_equal(find(&f, 4, 3)->en, "the same licence_no as on line 2");
    assert_int_equal(f.errors.total, 8);
    for (size_t i = 0; i < f.errors.kept; i++)
        assert_null(strstr(f.errors.items[i].en, "110105194912310021"));
    assert_true(f.rows[0].ok);
    assert_int_equal(f.rows[0].u.welder.categories, 5); /* fusion and brazing */
    assert_true(f.rows[0].u.welder.long_record);
    assert_string_equal(f.rows[0].u.welder.idcard_masked, "1101**********002X");
    survey_file_deinit(&f);
}

/* The optional industry column: a GB/T 4754-2017 section letter, checked like the other cells
 * (every problem of the row placed) and kept for the store. */
static void test_enterprise_industry(void **state)
{
    (void)state;
    survey_file f;
    read_text(SURVEY_ENTERPRISES,
              "uscc,name,community,industry,status\n"
              "91350100M000100Y43,新密焊接厂,c1,C,active\n"
              "91410100MA0000001X,郑州钢构,c1,Z,paused\n"
              "91410100MA00000021,开封建安,c1,,\n",
              &f);
    assert_int_equal(f.errors.total, 2);
    assert_string_equal(find(&f, 3, 4)->field, "industry");
    assert_string_equal(find(&f, 3, 4)->zh, "行业应为国民经济行业分类门类字母A至T");
    assert_string_equal(find(&f, 3, 4)->en,
                        "field \"industry\": expected a section of GB/T 4754-2017, a capital "
                        "letter A to T (C manufacturing 制造业, E construction 建筑业, ...)");
    assert_non_null(find(&f, 3, 5)); /* the status is reported too */
    assert_int_equal(f.n_rows, 3);
    assert_true(f.rows[0].ok);
    assert_string_equal(f.rows[0].u.enterprise.industry, "C");
    assert_false(f.rows[1].ok);
    assert_true(f.rows[2].ok);
    assert_string_equal(f.rows[2].u.enterprise.industry, "");
    survey_file_deinit(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_problem_of_a_row),
        cmocka_unit_test(test_problems_on_several_lines),
        cmocka_unit_test(test_valid_file),
        cmocka_unit_test(test_header_and_file),
        cmocka_unit_test(test_problems_kept_and_counted),
        cmocka_unit_test(test_welders),
        cmocka_unit_test(test_enterprise_industry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

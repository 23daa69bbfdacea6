/* test-html.c — core/html.c: every special character escaped, cut only at whole characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/html.h"

static void test_escapes(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(html_escape(out, sizeof(out), "<script>alert('x')&\"</script>"),
                     strlen("&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"));
    assert_string_equal(out, "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;");
    assert_int_equal(html_escape(out, sizeof(out), "焊工 张*"), strlen("焊工 张*"));
    assert_string_equal(out, "焊工 张*");
    assert_int_equal(html_escape(out, sizeof(out), NULL), 0);
    assert_string_equal(out, "");
}

static void test_cut_short(void **state)
{
    (void)state;
    char out[6];
    assert_int_equal(html_escape(out, sizeof(out), "ab<cd"), 8);
    assert_string_equal(out, "ab"); /* "&lt;" does not fit whole: nothing after it either */
    assert_int_equal(html_escape(NULL, 0, "<"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_cut_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

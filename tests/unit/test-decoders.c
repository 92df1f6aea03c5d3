/* attach/: the pure decoders on hand-made inputs (real interpreters' tables are checked by
 * check-linetable.py): UTF-8 from every PyUnicode kind, and malformed line tables. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attach/internal.h"

static void
test_utf8_kinds(void **state)
{
        (void)state;
        size_t n;
        char *s;
        const uint8_t latin1[] = { 'G', 'r', 0xf6, 0xdf, 'e' };
        const uint16_t ucs2[] = { 0x444, 0x443, 0x43d, 0x43a };
        const uint32_t ucs4[] = { 0x20bb7, 0x91ce, 0x5bb6 };
        const uint16_t surrogate[] = { 'a', 0xd800, 'b' };

        s = pystr_to_utf8(latin1, 5, 1, &n);
        assert_string_equal(s, "Größe");
        assert_int_equal(n, 7);
        free(s);
        s = pystr_to_utf8(ucs2, 4, 2, &n);
        assert_string_equal(s, "функ");
        free(s);
        s = pystr_to_utf8(ucs4, 3, 4, &n);
        assert_string_equal(s, "𠮷野家");
        free(s);
        s = pystr_to_utf8(surrogate, 3, 2, &n);
        assert_string_equal(s, "a\xef\xbf\xbd"
                               "b"); /* lone surrogate → U+FFFD */
        free(s);
        s = pystr_to_utf8(NULL, 0, 1, &n);
        assert_string_equal(s, "");
        free(s);
}

static void
test_linetable_garbage(void **state)
{
        (void)state;
        uint8_t junk[256];

        /* any bytes: bounded, no crash; a continuation byte first is "no line" */
        for (int seed = 0; seed < 2000; seed++) {
                srand((unsigned)seed);
                size_t n = (size_t)(rand() % 256);
                for (size_t i = 0; i < n; i++)
                        junk[i] = (uint8_t)rand();
                for (int f = 0; f < 3; f++)
                        (void)linetable_line((enum py_linetable)f, junk, n, 1, rand() % 600);
        }
        const uint8_t cont[] = { 0x10, 0x20 };
        assert_int_equal(linetable_line(PY_LINES_LOCATIONS, cont, 2, 5, 0), -1);
        /* an unterminated varint */
        const uint8_t longform[] = { 0xf0 | 0, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f };
        assert_int_equal(linetable_line(PY_LINES_LOCATIONS, longform, sizeof(longform), 5, 0), -1);
        /* negative offsets are the first line, as PyCode_Addr2Line */
        assert_int_equal(linetable_line(PY_LINES_310, NULL, 0, 7, -2), 7);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8_kinds),
                cmocka_unit_test(test_linetable_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

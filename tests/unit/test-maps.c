/* symbols/maps.c: /proc/PID/maps parsing edge cases, and the real maps of this process. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbols/symbols.h"

static void
test_lines(void **state)
{
        (void)state;
        const char *text =
                "55d0c0a00000-55d0c0a02000 r--p 00000000 fe:01 1234   /usr/bin/python3.11\n"
                "7f0000000000-7f0000001000 rw-p 00001000 fe:01 99 /tmp/a file with spaces.so (deleted)\n"
                "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
                "7f1000000000-7f1000001000 ---p 00000000 00:00 0 \n";
        struct maps m;

        assert_int_equal(maps_parse(text, &m), 0);
        assert_int_equal(m.n, 4);
        assert_int_equal(m.v[0].start, 0x55d0c0a00000ULL);
        assert_int_equal(m.v[0].end, 0x55d0c0a02000ULL);
        assert_string_equal(m.v[0].perms, "r--p");
        assert_int_equal(m.v[0].inode, 1234);
        assert_string_equal(m.v[0].path, "/usr/bin/python3.11");
        assert_int_equal(m.v[1].offset, 0x1000);
        assert_string_equal(m.v[1].path, "/tmp/a file with spaces.so");
        assert_string_equal(m.v[2].path, "[stack]");
        assert_null(m.v[3].path);
        maps_release(&m);
}

static void
test_malformed(void **state)
{
        (void)state;
        struct maps m;
        assert_int_equal(maps_parse("not a maps line\n", &m), -EINVAL);
        assert_int_equal(maps_parse("2000-1000 r--p 0 00:00 0\n", &m), -EINVAL);
        assert_int_equal(maps_parse("", &m), 0);
        assert_int_equal(m.n, 0);
        maps_release(&m);
}

static void
test_self(void **state)
{
        (void)state;
        struct maps m;
        bool found_stack = false;

        assert_int_equal(maps_read(getpid(), &m), 0);
        assert_true(m.n > 5);
        for (size_t i = 0; i < m.n; i++)
                if (m.v[i].path && !strcmp(m.v[i].path, "[stack]"))
                        found_stack = true;
        assert_true(found_stack);
        maps_release(&m);
        assert_int_equal(maps_read(0x7ffffff0, &m), -ESRCH);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_self),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

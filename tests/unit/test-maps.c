/* symbols/maps.c: /proc/PID/maps parsing edge cases, and the real maps of this process;
 * symbols/locate.c: where the cookie scan looks, and what it accepts as a cookie. */
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
                "7f0000000000-7f0000001000 rw-p 00001000 fe:01 99 /tmp/a file with spaces.so "
                "(deleted)\n"
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

static void
test_cookie_regions(void **state)
{
        (void)state;
        const char *text =
                "00400000-00422000 r--p 00000000 fe:01 7 /usr/bin/python3.14\n"    /* 0 */
                "00b50000-00bee000 rw-p 00750000 fe:01 7 /usr/bin/python3.14\n"    /* 1 .data */
                "00bee000-00c35000 rw-p 00000000 00:00 0 \n"                       /* 2 .bss */
                "01000000-02000000 rw-p 00000000 00:00 0                 [heap]\n" /* 3 */
                "7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n" /* 4 not after a file */
                "7f1000000000-7f1000001000 r--p 00000000 fe:01 9 /usr/lib/libx.so\n" /* 5 */
                "7f1000001000-7f1000002000 rw-p 00001000 fe:01 9 /usr/lib/libx.so\n" /* 6 */
                "7f2000000000-7f2008000000 rw-s 00000000 fe:01 10 /dev/shm/big\n" /* 7 > 64 MiB */
                "7f3000000000-7f3000001000 -w-p 00000000 fe:01 11 /usr/lib/liby.so\n"; /* 8 */
        struct maps m;
        size_t idx[8], n;

        assert_int_equal(maps_parse(text, &m), 0);
        n = symbols_cookie_regions(&m, idx, ARRAY_SIZE(idx));
        assert_int_equal(n, 3);
        assert_int_equal(idx[0], 1);
        assert_int_equal(idx[1], 2);
        assert_int_equal(idx[2], 6);
        /* the count is the same when fewer fit */
        assert_int_equal(symbols_cookie_regions(&m, idx, 1), 3);
        assert_int_equal(idx[0], 1);
        maps_release(&m);
}

static void
test_find_cookie(void **state)
{
        (void)state;
        static const struct {
                uint64_t version;
                bool ok;
        } cases[] = {
                { 0x030d00f0, true },   /* 3.13.0 */
                { 0x030f02f0, true },   /* 3.15.2 */
                { 0x031000a1, true },   /* 3.16.0a1: found, then refused by its layout */
                { 0x030c01f0, false },  /* 3.12 has no cookie: a stray match */
                { 0x040000f0, false },  /* 4.0 */
                { 0x030d0000, false },  /* release level 0 */
                { 0x1030d00f0, false }, /* bits above 32 */
        };
        uint64_t buf[64];
        size_t pos;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                memset(buf, 0, sizeof(buf));
                memcpy(&buf[10], "xdebugpy", 8);
                buf[11] = cases[i].version;
                pos = 0;
                assert_int_equal(symbols_find_cookie(buf, sizeof(buf), &pos),
                                 cases[i].ok ? 0 : -ENOENT);
                if (cases[i].ok)
                        assert_int_equal(pos, 80);
        }
        /* only 8-aligned positions, and the version word must fit in the buffer */
        memset(buf, 0, sizeof(buf));
        memcpy((char *)buf + 4, "xdebugpy", 8);
        assert_int_equal(symbols_find_cookie(buf, sizeof(buf), &pos), -ENOENT);
        memcpy(&buf[63], "xdebugpy", 8);
        assert_int_equal(symbols_find_cookie(buf, sizeof(buf), &pos), -ENOENT);
        /* the first plausible one wins */
        memcpy(&buf[2], "xdebugpy", 8);
        buf[3] = 0x030e0af0;
        memcpy(&buf[20], "xdebugpy", 8);
        buf[21] = 0x030f02f0;
        assert_int_equal(symbols_find_cookie(buf, sizeof(buf), &pos), 0);
        assert_int_equal(pos, 16);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),       cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_self),        cmocka_unit_test(test_cookie_regions),
                cmocka_unit_test(test_find_cookie),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

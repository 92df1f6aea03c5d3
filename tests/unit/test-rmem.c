/* attach/rmem.c's per-walk cache against a real process: a child with eight known pages,
 * changed between walks with process_vm_writev and, on command, unmapped. Every read must give
 * the child's bytes as they are now (never the last walk's), a steady walk must cost one
 * syscall (the prefetch), a read outside what was prefetched of a page must still be right,
 * and an unmapped page must fault alone without spoiling the rest of the prefetch. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attach/attach.h"

#define PG 4096u
#define PAGES 8

static unsigned char *region; /* the same address in the child (forked after mmap) */
static pid_t child;
static int cmd_fd = -1, ack_fd = -1;

static uint8_t
pat(size_t page, size_t off)
{
        return (uint8_t)(page * 31 + off * 7);
}

/* The child: unmaps the page whose index it is sent, acknowledges, exits on EOF. */
static void
child_loop(int in, int out)
{
        unsigned char page;

        while (read(in, &page, 1) == 1) {
                munmap(region + (size_t)page * PG, PG);
                if (write(out, &page, 1) != 1)
                        break;
        }
        _exit(0);
}

static int
setup(void **state)
{
        int cmd[2], ack[2];

        (void)state;
        region = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (region == MAP_FAILED)
                return -1;
        for (size_t p = 0; p < PAGES; p++)
                for (size_t o = 0; o < PG; o++)
                        region[p * PG + o] = pat(p, o);
        if (pipe(cmd) < 0 || pipe(ack) < 0)
                return -1;
        child = fork();
        if (child < 0)
                return -1;
        if (child == 0) {
                close(cmd[1]);
                close(ack[0]);
                child_loop(cmd[0], ack[1]);
        }
        close(cmd[0]);
        close(ack[1]);
        cmd_fd = cmd[1];
        ack_fd = ack[0];
        return 0;
}

static int
teardown(void **state)
{
        (void)state;
        close(cmd_fd);
        close(ack_fd);
        waitpid(child, NULL, 0);
        return 0;
}

static uint64_t
at(size_t page, size_t off)
{
        return (uint64_t)(uintptr_t)region + page * PG + off;
}

/* Change @len bytes of the child at page/off to @value. */
static void
poke(size_t page, size_t off, size_t len, uint8_t value)
{
        unsigned char buf[PG];
        struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)at(page, off), len };

        memset(buf, value, len);
        assert_int_equal(process_vm_writev(child, &local, 1, &remote, 1, 0), (ssize_t)len);
}

/* Read page/off/len through the cache and check every byte against @expect (-1: the pattern). */
static void
check_cached(struct rmem *m, size_t page, size_t off, size_t len, int expect)
{
        unsigned char buf[2 * PG];
        const void *peek;

        assert_int_equal(rmem_read_cached(m, at(page, off), len, buf), 0);
        for (size_t i = 0; i < len; i++) {
                size_t p = page + (off + i) / PG, o = (off + i) % PG;
                assert_int_equal(buf[i], expect < 0 ? pat(p, o) : (uint8_t)expect);
        }
        if (off + len <= PG) {
                assert_int_equal(rmem_peek_cached(m, at(page, off), len, buf, &peek), 0);
                assert_memory_equal(peek, buf, len);
        }
}

static void
check_piece(struct rmem *m, size_t page, size_t off, size_t len, int expect)
{
        unsigned char buf[64];

        assert_true(len <= sizeof(buf));
        assert_int_equal(rmem_read_piece(m, at(page, off), len, buf), 0);
        for (size_t i = 0; i < len; i++)
                assert_int_equal(buf[i], expect < 0 ? pat(page, off + i) : (uint8_t)expect);
}

/* The reads of one "walk": pages 0 and 1 (adjacent), an exact piece inside page 0, a read
 * across pages 3 and 4, an exact piece in page 6. */
static void
walk(struct rmem *m, int expect)
{
        rmem_cache_reset(m);
        check_cached(m, 0, 100, 64, expect);
        check_cached(m, 1, 8, 64, expect);
        check_piece(m, 0, 200, 16, expect);
        check_cached(m, 3, 4000, 200, expect);
        check_piece(m, 6, 10, 8, expect);
}

static void
test_prefetch_is_fresh_and_one_syscall(void **state)
{
        (void)state;
        struct rmem *m = rmem_new(child);

        walk(m, -1);
        uint64_t before = rmem_syscalls(m);
        walk(m, -1);
        assert_int_equal(rmem_syscalls(m) - before, 1); /* the prefetch, nothing else */

        /* the child changes every byte the walk reads: the next walk sees it */
        poke(0, 100, 64, 0xa1);
        poke(1, 8, 64, 0xa1);
        poke(0, 200, 16, 0xa1);
        poke(3, 4000, 96, 0xa1);
        poke(4, 0, 104, 0xa1);
        poke(6, 10, 8, 0xa1);
        walk(m, 0xa1);
        walk(m, 0xa1);
        /* and back */
        for (size_t p = 0; p < PAGES; p++) {
                unsigned char buf[PG];
                struct iovec local = { buf, PG }, remote = { (void *)(uintptr_t)at(p, 0), PG };
                for (size_t o = 0; o < PG; o++)
                        buf[o] = pat(p, o);
                assert_int_equal(process_vm_writev(child, &local, 1, &remote, 1, 0), (ssize_t)PG);
        }
        walk(m, -1);
        rmem_free(m);
}

static void
test_read_outside_the_prefetched_bytes(void **state)
{
        (void)state;
        struct rmem *m = rmem_new(child);

        rmem_cache_reset(m);
        check_cached(m, 2, 100, 64, -1);
        rmem_cache_reset(m); /* prefetches about [0, 676) of page 2 */
        uint64_t before = rmem_syscalls(m);
        check_cached(m, 2, 3000, 100, -1); /* not prefetched: the whole page is read */
        check_cached(m, 2, 100, 64, -1);
        check_cached(m, 2, 0, PG, -1);
        assert_int_equal(rmem_syscalls(m) - before, 1);
        rmem_cache_reset(m); /* now [0, 4096) */
        before = rmem_syscalls(m);
        check_cached(m, 2, 3000, 100, -1);
        check_cached(m, 2, 100, 64, -1);
        assert_int_equal(rmem_syscalls(m), before);
        rmem_free(m);
}

static void
test_prefetch_add(void **state)
{
        (void)state;
        struct rmem *m = rmem_new(child);

        rmem_cache_reset(m);
        check_cached(m, 1, 0, 8, -1);
        rmem_prefetch_add(m, at(1, 2000), 8);
        rmem_prefetch_add(m, at(5, 16), 8);
        rmem_cache_reset(m);
        uint64_t before = rmem_syscalls(m);
        check_piece(m, 1, 2000, 8, -1);
        check_piece(m, 5, 16, 8, -1);
        check_cached(m, 1, 0, 8, -1);
        assert_int_equal(rmem_syscalls(m), before);
        rmem_free(m);
}

/* Last, as it unmaps page 5 of the child for good. */
static void
test_unmapped_page_faults_alone(void **state)
{
        (void)state;
        struct rmem *m = rmem_new(child);
        unsigned char page = 5, buf[64];

        rmem_cache_reset(m);
        check_cached(m, 0, 0, 64, -1);
        check_cached(m, 4, 4090, 12, -1); /* pages 4 and 5 */
        check_cached(m, 7, 64, 64, -1);
        check_piece(m, 5, 100, 8, -1);
        assert_int_equal(write(cmd_fd, &page, 1), 1);
        assert_int_equal(read(ack_fd, &page, 1), 1);

        rmem_cache_reset(m); /* the prefetch of page 5 fails; the rest must not */
        check_cached(m, 0, 0, 64, -1);
        check_cached(m, 7, 64, 64, -1);
        check_cached(m, 4, 1000, 64, -1);
        assert_int_equal(rmem_read_cached(m, at(5, 0), 8, buf), -EFAULT);
        assert_int_equal(rmem_read_cached(m, at(4, 4090), 12, buf), -EFAULT);
        assert_int_equal(rmem_read_piece(m, at(5, 100), 8, buf), -EFAULT);
        rmem_cache_reset(m);
        check_cached(m, 0, 0, 64, -1);
        assert_int_equal(rmem_read_piece(m, at(5, 100), 8, buf), -EFAULT);
        check_cached(m, 7, 64, 64, -1);
        rmem_free(m);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefetch_is_fresh_and_one_syscall),
                cmocka_unit_test(test_read_outside_the_prefetched_bytes),
                cmocka_unit_test(test_prefetch_add),
                cmocka_unit_test(test_unmapped_page_faults_alone),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}

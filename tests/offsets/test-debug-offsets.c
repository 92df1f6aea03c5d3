/* symbols_debug_offsets(): the real 3.13.0 _Py_DebugOffsets (debug-offsets-3.13.0.inc) and
 * copies of it broken one way at a time, one test per validation path; the real 3.14.10 and
 * 3.15.2 ones (Debian unstable, dumped from the running interpreters) and what changed in
 * them; the debug build 3.14.10d's (python3.14-dbg); and a version with no layout. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "symbols/symbols.h"

static const uint8_t real_313[] = {
#include "debug-offsets-3.13.0.inc"
};
static const uint8_t real_314[] = {
#include "debug-offsets-3.14.10.inc"
};
static const uint8_t real_314d[] = {
#include "debug-offsets-3.14.10d.inc"
};
static const uint8_t real_315[] = {
#include "debug-offsets-3.15.2.inc"
};

/* Byte positions in the 3.13 _Py_DebugOffsets (64-bit; 3.13
 * Include/internal/pycore_runtime.h, section starts as in peers.md §2.3) */
enum {
        POS_VERSION = 8,
        POS_FREE_THREADED = 16,
        POS_RUNTIME_SIZE = 24,
        POS_TSTATE_SIZE = 152,
        POS_TSTATE_CURRENT_FRAME = 152 + 4 * 8,
        POS_IFRAME_OWNER = 224 + 5 * 8,
        POS_UNICODE_SIZE = 536,
        POS_UNICODE_ASCII_SIZE = 536 + 3 * 8,
};

struct fixture {
        uint8_t buf[sizeof(real_313)];
        struct py_offsets off;
};

static void
put_u64(struct fixture *f, size_t pos, uint64_t v)
{
        memcpy(f->buf + pos, &v, sizeof(v));
}

static uint64_t
u64_at(const uint8_t *buf, size_t pos)
{
        uint64_t v;

        memcpy(&v, buf + pos, sizeof(v));
        return v;
}

static uint64_t
get_u64(const struct fixture *f, size_t pos)
{
        return u64_at(f->buf, pos);
}

static int
setup(void **state)
{
        static struct fixture f;

        memcpy(f.buf, real_313, sizeof(real_313));
        memset(&f.off, 0x5a, sizeof(f.off));
        *state = &f;
        return 0;
}

static int
parse(struct fixture *f)
{
        return symbols_debug_offsets(f->buf, sizeof(f->buf), &f->off);
}

static void
test_fixture_positions(void **state)
{
        struct fixture *f = *state;

        /* the positions above point where this test thinks they do (3.13.0 GIL build values) */
        assert_int_equal(sizeof(real_313), 584);
        assert_int_equal(get_u64(f, POS_VERSION), 0x030d00f0);
        assert_int_equal(get_u64(f, POS_TSTATE_SIZE), 304);
        assert_int_equal(get_u64(f, POS_TSTATE_CURRENT_FRAME), 72);
        assert_int_equal(get_u64(f, POS_IFRAME_OWNER), 70);
        assert_int_equal(get_u64(f, POS_UNICODE_SIZE), 64);
        assert_int_equal(get_u64(f, POS_UNICODE_ASCII_SIZE), 40);
}

static void
test_real_313(void **state)
{
        struct fixture *f = *state;
        const struct py_offsets *o = &f->off;

        assert_int_equal(symbols_debug_offsets_size(0x030d00f0), 584);
        assert_int_equal(parse(f), 0);
        assert_int_equal(o->version, 0x030d00f0);
        assert_false(o->free_threaded);
        assert_int_equal(o->frame_model, PY_FRAMES_INTERP);
        assert_int_equal(o->linetable, PY_LINES_LOCATIONS);
        assert_true(o->stackref_mask == ~0ULL);
        assert_int_equal(o->runtime.interpreters_head, 632);
        assert_int_equal(o->interp.threads_head, 7344);
        assert_int_equal(o->tstate.frame, 72);
        assert_int_equal(o->tstate.cframe, OFF_NONE);
        assert_int_equal(o->tstate.cframe_frame, OFF_NONE);
        assert_int_equal(o->tstate.native_thread_id, 160);
        assert_int_equal(o->frameobj.size, OFF_NONE);
        assert_int_equal(o->frameobj.lasti, OFF_NONE);
        assert_int_equal(o->iframe.code, 0);
        assert_int_equal(o->iframe.instr, 56);
        assert_int_equal(o->iframe.owner, 70);
        assert_int_equal(o->code.varnames, OFF_NONE);
        assert_int_equal(o->code.code_adaptive, 200);
        assert_int_equal(o->unicode.ascii_size, 40);
        assert_int_equal(o->unicode.compact_size, 56);
}

static void
test_unaligned_and_longer(void **state)
{
        static uint8_t big[1 + 4096];
        struct fixture *f = *state;

        /* a caller may read more than it needs, into any buffer */
        memcpy(big + 1, real_313, sizeof(real_313));
        assert_int_equal(symbols_debug_offsets(big + 1, sizeof(big) - 1, &f->off), 0);
        assert_int_equal(f->off.tstate.frame, 72);
}

static void
test_bad_cookie(void **state)
{
        struct fixture *f = *state;
        struct py_offsets before = f->off;

        f->buf[7] = 'Y';
        assert_int_equal(parse(f), -ENOENT);
        assert_memory_equal(&f->off, &before, sizeof(before));
        memset(f->buf, 0, sizeof(f->buf));
        assert_int_equal(parse(f), -ENOENT);
}

static void
test_unknown_version(void **state)
{
        static const uint64_t versions[] = {
                0x030c01f0,  /* 3.12 has no debug offsets */
                0x031000a1,  /* 3.16.0a1: no layout yet */
                0x040d00f0,  /* 4.13 */
                0x1030d00f0, /* 3.13 in the low 32 bits, garbage above */
        };
        struct fixture *f = *state;

        for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
                put_u64(f, POS_VERSION, versions[i]);
                assert_int_equal(parse(f), -ENOTSUP);
                assert_int_equal(f->off.version, (uint32_t)versions[i]);
        }
        assert_int_equal(symbols_debug_offsets_size(0x030c01f0), 0);
        assert_int_equal(symbols_debug_offsets_size(0x031000f0), 0);
}

/* A future minor whose struct starts like the newest known one: still refused, with the
 * version it claims (the CLI prints "Python 3.16.0 is not supported; ..."), and @ret is not
 * otherwise touched. */
static void
test_future_cookie(void **state)
{
        struct fixture *f = *state;
        uint8_t buf[sizeof(real_315)];
        uint64_t v = 0x031000f0;

        memcpy(buf, real_315, sizeof(buf));
        memcpy(buf + POS_VERSION, &v, sizeof(v));
        memset(&f->off, 0x5a, sizeof(f->off));
        assert_int_equal(symbols_debug_offsets(buf, sizeof(buf), &f->off), -ENOTSUP);
        assert_int_equal(f->off.version, 0x031000f0);
        assert_int_equal(f->off.tstate.frame, 0x5a5a5a5a);
}

/* ---- 3.14 and 3.15 ------------------------------------------------------------------------ */

static void
test_real_314(void **state)
{
        struct py_offsets o;

        (void)state;
        assert_int_equal(sizeof(real_314), 760);
        assert_int_equal(symbols_debug_offsets_size(0x030e0af0), 760);
        assert_int_equal(symbols_debug_offsets(real_314, sizeof(real_314), &o), 0);
        assert_int_equal(o.version, 0x030e0af0);
        assert_false(o.free_threaded);
        /* f_executable is a tagged _PyStackRef (3.14 Include/internal/pycore_stackref.h) */
        assert_true(o.stackref_mask == ~3ULL);
        assert_int_equal(o.runtime.interpreters_head, 808);
        assert_int_equal(o.tstate.frame, 72);
        assert_int_equal(o.tstate.native_thread_id, 160);
        /* 3.14 _PyInterpreterFrame gained stackpointer: owner and localsplus moved
         * (Include/internal/pycore_interpframe_structs.h) */
        assert_int_equal(o.iframe.size, 88);
        assert_int_equal(o.iframe.owner, 74);
        assert_int_equal(o.iframe.localsplus, 80);
        assert_int_equal(o.code.code_adaptive, 208);
        /* 3.14 tuples cache their hash (ob_hash) before ob_item (Include/cpython/tupleobject.h) */
        assert_int_equal(o.tuple.ob_item, 32);
        assert_int_equal(o.unicode.ascii_size, 40);
        assert_int_equal(o.unicode.compact_size, 56);
        assert_int_equal(o.tstate.cframe, OFF_NONE);
        assert_int_equal(o.code.varnames, OFF_NONE);
}

/* The debug build (Py_DEBUG) of the same 3.14.10: its _Py_DebugOffsets differ only in the sizes
 * of _PyRuntimeState (16,016 bytes more, mostly the parser's Py_DEBUG memo_statistics[2000],
 * 3.14 Include/internal/pycore_runtime_structs.h) and PyInterpreterState (16 bytes more);
 * nothing else pyinstr reads moves, and nothing in them tells the two builds apart. */
static void
test_real_314d(void **state)
{
        struct py_offsets r, d;

        (void)state;
        assert_int_equal(sizeof(real_314d), sizeof(real_314));
        assert_int_equal(symbols_debug_offsets(real_314, sizeof(real_314), &r), 0);
        assert_int_equal(symbols_debug_offsets(real_314d, sizeof(real_314d), &d), 0);
        assert_int_equal(d.version, r.version);
        assert_int_equal(r.runtime.size, 316616);
        assert_int_equal(d.runtime.size, 332632);
        assert_int_equal(r.interp.size, 225864);
        assert_int_equal(d.interp.size, 225880);
        assert_int_equal(d.runtime.interpreters_head, r.runtime.interpreters_head);
        assert_int_equal(d.interp.threads_head, r.interp.threads_head);
        assert_int_equal(d.tstate.size, r.tstate.size);
        assert_int_equal(d.tstate.frame, r.tstate.frame);
        assert_int_equal(d.tstate.native_thread_id, r.tstate.native_thread_id);
        assert_int_equal(d.iframe.size, r.iframe.size);
        assert_int_equal(d.iframe.owner, r.iframe.owner);
        assert_int_equal(d.iframe.localsplus, r.iframe.localsplus);
        assert_int_equal(d.code.code_adaptive, r.code.code_adaptive);
        assert_true(d.stackref_mask == r.stackref_mask);
        /* the bytes, too: only those two sizes differ (runtime_state.size at 24,
         * interpreter_state.size at 48: 3.14 Include/internal/pycore_debug_offsets.h) */
        for (size_t i = 0; i < sizeof(real_314); i++)
                if (real_314[i] != real_314d[i])
                        assert_true((i >= 24 && i < 32) || (i >= 48 && i < 56));
}

static void
test_real_315(void **state)
{
        struct py_offsets o;

        (void)state;
        assert_int_equal(sizeof(real_315), 888);
        assert_int_equal(symbols_debug_offsets_size(0x030f02f0), 888);
        assert_int_equal(symbols_debug_offsets(real_315, sizeof(real_315), &o), 0);
        assert_int_equal(o.version, 0x030f02f0);
        assert_true(o.stackref_mask == ~3ULL);
        assert_int_equal(o.runtime.interpreters_head, 936);
        /* 3.15 PyThreadState gained base_frame and last_profiled_frame(_seq) before thread_id */
        assert_int_equal(o.tstate.frame, 72);
        assert_int_equal(o.tstate.thread_id, 176);
        assert_int_equal(o.tstate.native_thread_id, 184);
        assert_int_equal(o.tstate.base_frame, 80);
        assert_int_equal(o.iframe.owner, 74);
        assert_int_equal(o.iframe.owner_bottom, 3);
        assert_int_equal(o.iframe.is_entry, OFF_NONE);
        assert_int_equal(o.code.code_adaptive, 208);
        /* published by 3.15 itself (unicode_object.compactunicodeobject_size) */
        assert_int_equal(o.unicode.compact_size, 56);
}

/* Every layout refuses free-threaded builds and rejects a buffer one byte short. */
static void
test_each_layout(void **state)
{
        static const struct {
                const uint8_t *buf;
                size_t len;
        } real[] = {
                { real_313, sizeof(real_313) },
                { real_314, sizeof(real_314) },
                { real_315, sizeof(real_315) },
        };
        struct py_offsets o;
        uint8_t buf[1024];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(real); i++) {
                uint64_t ft = 1;

                assert_true(real[i].len <= sizeof(buf));
                memcpy(buf, real[i].buf, real[i].len);
                assert_int_equal(symbols_debug_offsets(buf, real[i].len - 1, &o), -EBADMSG);
                memcpy(buf + POS_FREE_THREADED, &ft, sizeof(ft));
                memset(&o, 0, sizeof(o));
                assert_int_equal(symbols_debug_offsets(buf, real[i].len, &o), -ENOTSUP);
                assert_true(o.free_threaded);
                assert_int_equal(o.version >> 16, u64_at(real[i].buf, POS_VERSION) >> 16);
        }
}

static void
test_free_threaded(void **state)
{
        struct fixture *f = *state;

        put_u64(f, POS_FREE_THREADED, 1);
        assert_int_equal(parse(f), -ENOTSUP);
        assert_true(f->off.free_threaded);
        assert_int_equal(f->off.version, 0x030d00f0);
}

static void
test_offset_out_of_range(void **state)
{
        struct fixture *f = *state;

        /* tstate is 304 bytes: a pointer at 296 is the last that fits */
        put_u64(f, POS_TSTATE_CURRENT_FRAME, 296);
        assert_int_equal(parse(f), 0);
        assert_int_equal(f->off.tstate.frame, 296);
        put_u64(f, POS_TSTATE_CURRENT_FRAME, 297);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_TSTATE_CURRENT_FRAME, UINT64_MAX);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_TSTATE_CURRENT_FRAME, 72);

        put_u64(f, POS_IFRAME_OWNER, 80);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_IFRAME_OWNER, 70);

        /* sizeof(PyASCIIObject) cannot exceed sizeof(PyUnicodeObject) */
        put_u64(f, POS_UNICODE_ASCII_SIZE, 65);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_UNICODE_ASCII_SIZE, 40);
        assert_int_equal(parse(f), 0);
}

static void
test_size_out_of_range(void **state)
{
        struct fixture *f = *state;

        put_u64(f, POS_RUNTIME_SIZE, 1u << 20);
        assert_int_equal(parse(f), 0);
        put_u64(f, POS_RUNTIME_SIZE, (1u << 20) + 1);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_RUNTIME_SIZE, UINT64_MAX);
        assert_int_equal(parse(f), -EBADMSG);
        put_u64(f, POS_RUNTIME_SIZE, 283320);

        /* a zero size makes every offset into the struct out of range */
        put_u64(f, POS_TSTATE_SIZE, 0);
        assert_int_equal(parse(f), -EBADMSG);
}

static void
test_short_buffer(void **state)
{
        static const size_t lens[] = { 0, 7, 8, 23, 24, 583 };
        struct fixture *f = *state;
        struct py_offsets before = f->off;

        for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
                assert_int_equal(symbols_debug_offsets(f->buf, lens[i], &f->off), -EBADMSG);
                assert_memory_equal(&f->off, &before, sizeof(before));
        }
        assert_int_equal(symbols_debug_offsets(f->buf, 584, &f->off), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_fixture_positions, setup),
                cmocka_unit_test_setup(test_real_313, setup),
                cmocka_unit_test_setup(test_unaligned_and_longer, setup),
                cmocka_unit_test_setup(test_bad_cookie, setup),
                cmocka_unit_test_setup(test_unknown_version, setup),
                cmocka_unit_test_setup(test_free_threaded, setup),
                cmocka_unit_test_setup(test_offset_out_of_range, setup),
                cmocka_unit_test_setup(test_size_out_of_range, setup),
                cmocka_unit_test_setup(test_short_buffer, setup),
                cmocka_unit_test_setup(test_future_cookie, setup),
                cmocka_unit_test(test_real_314),
                cmocka_unit_test(test_real_314d),
                cmocka_unit_test(test_real_315),
                cmocka_unit_test(test_each_layout),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

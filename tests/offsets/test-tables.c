/* symbols_table_for() and symbols_version_str(): which versions have a compiled table, and
 * that each table is consistent with its own frame model. The values themselves are checked
 * against real headers by check-offsets.py. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "symbols/symbols.h"

static void
test_lookup(void **state)
{
        (void)state;
        for (uint32_t minor = 8; minor <= 12; minor++) {
                uint32_t v = 0x03000000 | minor << 16;
                const struct py_offsets *t = symbols_table_for(v);

                assert_non_null(t);
                assert_int_equal(t->version >> 16, v >> 16);
                /* any patch or pre-release of the minor gets the same table */
                assert_ptr_equal(symbols_table_for(v | 0x07f0), t);
                assert_ptr_equal(symbols_table_for(v | 0x00a1), t);
        }
        assert_null(symbols_table_for(0x030710f0));
        assert_null(symbols_table_for(0x030d00f0)); /* 3.13+: _Py_DebugOffsets */
        assert_null(symbols_table_for(0x020712f0));
        assert_null(symbols_table_for(0x04080000));
        assert_null(symbols_table_for(0));
}

static bool
set(uint32_t off)
{
        return off != OFF_NONE;
}

static void
test_consistent(void **state)
{
        (void)state;
        for (uint32_t minor = 8; minor <= 12; minor++) {
                const struct py_offsets *t = symbols_table_for(0x03000000 | minor << 16);
                bool objects = minor <= 10, cframe = minor >= 11;

                assert_false(t->free_threaded);
                assert_true(t->stackref_mask == ~0ULL);
                assert_int_equal(t->frame_model, objects ? PY_FRAMES_OBJECT : PY_FRAMES_INTERP);
                assert_int_equal(t->linetable, minor <= 9    ? PY_LINES_LNOTAB
                                               : minor == 10 ? PY_LINES_310
                                                             : PY_LINES_LOCATIONS);
                /* one way from the thread to its top frame */
                assert_true(set(t->tstate.frame) == !cframe);
                assert_true(set(t->tstate.cframe) == cframe);
                assert_true(set(t->tstate.cframe_frame) == cframe);
                assert_true(set(t->tstate.native_thread_id) == !objects);
                /* one frame struct */
                assert_true(set(t->frameobj.size) == objects);
                assert_true(set(t->frameobj.back) == objects);
                assert_true(set(t->frameobj.code) == objects);
                assert_true(set(t->frameobj.lasti) == objects);
                assert_true(set(t->frameobj.localsplus) == objects);
                assert_true(set(t->iframe.size) == !objects);
                assert_true(set(t->iframe.previous) == !objects);
                assert_true(set(t->iframe.code) == !objects);
                assert_true(set(t->iframe.instr) == !objects);
                assert_true(set(t->iframe.owner) == !objects);
                assert_true(set(t->iframe.localsplus) == !objects);
                /* how a walk knows it reached the thread's bottom frame */
                assert_true(set(t->frameobj.gen) == objects);
                assert_true(set(t->frameobj.state) == objects);
                assert_true(set(t->frameobj.state_executing) == objects);
                assert_true(set(t->iframe.is_entry) == (minor == 11));
                assert_true(set(t->iframe.owner_generator) == !objects);
                assert_true(set(t->iframe.owner_bottom) == !objects);
                assert_false(set(t->tstate.base_frame));
                assert_true(set(t->tstate.datastack_top) == cframe);
                assert_true(set(t->tstate.exc_info) == cframe);
                assert_true(set(t->gen.iframe) == cframe);
                assert_true(set(t->gen.exc_state) == cframe);
                assert_int_equal(t->object.ob_refcnt, 0);
                /* one way to local names */
                assert_true(set(t->code.varnames) == objects);
                assert_true(set(t->code.localsplusnames) == !objects);
                assert_true(set(t->code.qualname) == !objects);
                assert_true(set(t->code.code_adaptive) == !objects);
                assert_true(set(t->code.nlocalsplus) == cframe);
                assert_true(set(t->code.stacksize) == cframe);
                /* datastack_chunk, _top and _limit are read together */
                assert_true(!cframe || t->tstate.datastack_top + 16 < t->tstate.size);
                /* every size the walker copies holds the offsets it reads */
                assert_true(t->tstate.thread_id < t->tstate.size);
                assert_true(t->code.linetable < t->code.size);
                assert_true(t->unicode.ascii_size < t->unicode.compact_size);
        }
}

static void
test_version_str(void **state)
{
        static const struct {
                uint32_t version;
                const char *str;
        } cases[] = {
                { 0x030c01f0, "3.12.1" },     { 0x030a0df0, "3.10.13" },
                { 0x030d00a1, "3.13.0a1" },   { 0x030e00b3, "3.14.0b3" },
                { 0x030d00c2, "3.13.0rc2" },  { 0x030c0000, "3.12" },
                { 0x030c0105, "0x030c0105" }, { 0xfffffff0, "255.255.255" },
        };
        char buf[32];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                assert_ptr_equal(symbols_version_str(cases[i].version, buf), buf);
                assert_string_equal(buf, cases[i].str);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup),
                cmocka_unit_test(test_consistent),
                cmocka_unit_test(test_version_str),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

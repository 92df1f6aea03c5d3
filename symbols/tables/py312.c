/* generated from CPython 3.12.1 headers by symbols/gen/gen-offsets.py; do not edit */
#include "config.h"

#include "symbols/symbols.h"

extern const struct py_offsets symbols_table_py312;
const struct py_offsets symbols_table_py312 = {
        .version = 0x030c01f0,
        .free_threaded = false,
        .frame_model = PY_FRAMES_INTERP,
        .linetable = PY_LINES_LOCATIONS,
        .stackref_mask = ~0ULL,
        .runtime = {
                .size = 459944,
                .interpreters_head = 40,
        },
        .interp = {
                .size = 383552,
                .next = 0,
                .threads_head = 72,
                .id = 8,
        },
        .tstate = {
                .size = 288,
                .next = 8,
                .interp = 16,
                .frame = OFF_NONE,
                .cframe = 56,
                .cframe_frame = 0,
                .thread_id = 136,
                .native_thread_id = 144,
                .base_frame = OFF_NONE,
                .datastack_top = 240,
                .exc_info = 104,
        },
        .frameobj = {
                .size = OFF_NONE,
                .back = OFF_NONE,
                .code = OFF_NONE,
                .lasti = OFF_NONE,
                .localsplus = OFF_NONE,
                .gen = OFF_NONE,
                .state = OFF_NONE,
                .state_executing = OFF_NONE,
        },
        .iframe = {
                .size = 80,
                .previous = 8,
                .code = 0,
                .instr = 56,
                .owner = 70,
                .localsplus = 72,
                .is_entry = OFF_NONE,
                .owner_generator = 1,
                .owner_bottom = 3,
        },
        .gen = {
                .iframe = 72,
                .exc_state = 40,
        },
        .code = {
                .size = 200,
                .argcount = 52,
                .firstlineno = 68,
                .filename = 112,
                .name = 120,
                .qualname = 128,
                .linetable = 136,
                .varnames = OFF_NONE,
                .localsplusnames = 96,
                .code_adaptive = 192,
        },
        .object = {
                .ob_refcnt = 0,
                .ob_type = 8,
        },
        .type = {
                .tp_name = 24,
                .tp_flags = 168,
        },
        .tuple = {
                .ob_size = 16,
                .ob_item = 24,
        },
        .bytes = {
                .ob_size = 16,
                .ob_sval = 32,
        },
        .unicode = {
                .length = 16,
                .state = 32,
                .ascii_size = 40,
                .compact_size = 56,
        },
};

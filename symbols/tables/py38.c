/* generated from CPython 3.8.18 headers by symbols/gen/gen-offsets.py; do not edit */
#include "config.h"

#include "symbols/symbols.h"

extern const struct py_offsets symbols_table_py38;
const struct py_offsets symbols_table_py38 = {
        .version = 0x030812f0,
        .free_threaded = false,
        .frame_model = PY_FRAMES_OBJECT,
        .linetable = PY_LINES_LNOTAB,
        .stackref_mask = ~0ULL,
        .runtime = {
                .size = 1464,
                .interpreters_head = 32,
        },
        .interp = {
                .size = 2720,
                .next = 0,
                .threads_head = 8,
                .id = 16,
        },
        .tstate = {
                .size = 264,
                .next = 8,
                .interp = 16,
                .frame = 24,
                .cframe = OFF_NONE,
                .cframe_frame = OFF_NONE,
                .thread_id = 176,
                .native_thread_id = OFF_NONE,
                .base_frame = OFF_NONE,
                .datastack_top = OFF_NONE,
                .exc_info = OFF_NONE,
        },
        .frameobj = {
                .size = 368,
                .back = 24,
                .code = 32,
                .lasti = 104,
                .localsplus = 360,
                .gen = 96,
                .state = 116,
                .state_executing = 1,
        },
        .iframe = {
                .size = OFF_NONE,
                .previous = OFF_NONE,
                .code = OFF_NONE,
                .instr = OFF_NONE,
                .owner = OFF_NONE,
                .localsplus = OFF_NONE,
                .is_entry = OFF_NONE,
                .owner_generator = OFF_NONE,
                .owner_bottom = OFF_NONE,
        },
        .gen = {
                .iframe = OFF_NONE,
                .exc_state = OFF_NONE,
        },
        .code = {
                .size = 176,
                .argcount = 16,
                .firstlineno = 40,
                .filename = 104,
                .name = 112,
                .qualname = OFF_NONE,
                .linetable = 120,
                .varnames = 72,
                .localsplusnames = OFF_NONE,
                .code_adaptive = OFF_NONE,
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
                .ascii_size = 48,
                .compact_size = 72,
        },
};

/* generated from CPython 3.11.7 headers by symbols/gen/gen-offsets.py; do not edit */
#include "config.h"

#include "symbols/symbols.h"

extern const struct py_offsets symbols_table_py311;
const struct py_offsets symbols_table_py311 = {
        .version = 0x030b07f0,
        .free_threaded = false,
        .frame_model = PY_FRAMES_INTERP,
        .linetable = PY_LINES_LOCATIONS,
        .stackref_mask = ~0ULL,
        .runtime = {
                .size = 166688,
                .interpreters_head = 40,
        },
        .interp = {
                .size = 107752,
                .next = 0,
                .threads_head = 16,
                .id = 48,
        },
        .tstate = {
                .size = 360,
                .next = 8,
                .interp = 16,
                .frame = OFF_NONE,
                .cframe = 56,
                .cframe_frame = 8,
                .thread_id = 152,
                .native_thread_id = 160,
                .base_frame = OFF_NONE,
                .datastack_top = 304,
                .exc_info = 120,
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
                .previous = 48,
                .code = 32,
                .instr = 56,
                .owner = 69,
                .localsplus = 72,
                .is_entry = 68,
                .owner_generator = 1,
                .owner_bottom = 0,
        },
        .gen = {
                .iframe = 80,
                .exc_state = 48,
        },
        .code = {
                .size = 192,
                .argcount = 56,
                .firstlineno = 72,
                .filename = 112,
                .name = 120,
                .qualname = 128,
                .linetable = 136,
                .varnames = OFF_NONE,
                .localsplusnames = 96,
                .code_adaptive = 184,
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

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
                .modules = 944,
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
        },
        .frameobj = {
                .size = OFF_NONE,
                .back = OFF_NONE,
                .code = OFF_NONE,
                .lasti = OFF_NONE,
                .localsplus = OFF_NONE,
        },
        .iframe = {
                .size = 80,
                .previous = 8,
                .code = 0,
                .instr = 56,
                .owner = 70,
                .localsplus = 72,
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
                .ob_type = 8,
                .managed_dict = 24,
                .managed_values = OFF_NONE,
                .managed_dict_tag = 1,
        },
        .type = {
                .tp_name = 24,
                .tp_flags = 168,
                .tp_basicsize = 32,
                .tp_dictoffset = 288,
                .ht_cached_keys = 880,
                .flag_managed_dict = 16,
                .flag_inline_values = OFF_NONE,
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
        .module = {
                .md_dict = 16,
        },
        .dict = {
                .ma_keys = 32,
                .ma_values = 40,
                .dk_size = OFF_NONE,
                .dk_log2_size = 8,
                .dk_log2_index_bytes = 9,
                .dk_kind = 10,
                .dk_nentries = 24,
                .dk_indices = 32,
                .entry_size = 24,
                .unicode_entry_size = 16,
                .values = 0,
                .values_valid = OFF_NONE,
        },
        .pylong = {
                .ob_size = OFF_NONE,
                .lv_tag = 16,
                .ob_digit = 24,
                .digit_bits = 30,
        },
};

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
                .modules = 888,
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
                .previous = 48,
                .code = 32,
                .instr = 56,
                .owner = 69,
                .localsplus = 72,
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
                .ob_type = 8,
                .managed_dict = 24,
                .managed_values = 32,
                .managed_dict_tag = OFF_NONE,
        },
        .type = {
                .tp_name = 24,
                .tp_flags = 168,
                .tp_basicsize = 32,
                .tp_dictoffset = 288,
                .ht_cached_keys = 872,
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
                .ascii_size = 48,
                .compact_size = 72,
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
                .ob_size = 16,
                .lv_tag = OFF_NONE,
                .ob_digit = 24,
                .digit_bits = 30,
        },
};

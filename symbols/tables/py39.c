/* generated from CPython 3.9.18 headers by symbols/gen/gen-offsets.py; do not edit */
#include "config.h"

#include "symbols/symbols.h"

extern const struct py_offsets symbols_table_py39;
const struct py_offsets symbols_table_py39 = {
        .version = 0x030912f0,
        .free_threaded = false,
        .frame_model = PY_FRAMES_OBJECT,
        .linetable = PY_LINES_LNOTAB,
        .stackref_mask = ~0ULL,
        .runtime = {
                .size = 656,
                .interpreters_head = 32,
        },
        .interp = {
                .size = 5656,
                .next = 0,
                .threads_head = 8,
                .id = 24,
                .modules = 856,
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
        },
        .frameobj = {
                .size = 368,
                .back = 24,
                .code = 32,
                .lasti = 104,
                .localsplus = 360,
        },
        .iframe = {
                .size = OFF_NONE,
                .previous = OFF_NONE,
                .code = OFF_NONE,
                .instr = OFF_NONE,
                .owner = OFF_NONE,
                .localsplus = OFF_NONE,
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
                .ob_type = 8,
                .managed_dict = OFF_NONE,
                .managed_values = OFF_NONE,
                .managed_dict_tag = OFF_NONE,
        },
        .type = {
                .tp_name = 24,
                .tp_flags = 168,
                .tp_basicsize = 32,
                .tp_dictoffset = 288,
                .ht_cached_keys = 864,
                .flag_managed_dict = OFF_NONE,
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
                .dk_size = 8,
                .dk_log2_size = OFF_NONE,
                .dk_log2_index_bytes = OFF_NONE,
                .dk_kind = OFF_NONE,
                .dk_nentries = 32,
                .dk_indices = 40,
                .entry_size = 24,
                .unicode_entry_size = OFF_NONE,
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

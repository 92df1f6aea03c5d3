#pragma once
/* symbols/: where CPython lives in a process and how its structs are laid out.
 * ELF files are opened through /proc/PID/root (or /proc/PID/exe) so that targets in another
 * mount namespace work. Nothing here reads the target's memory: callers pass byte buffers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/macros.h"

/* An offset that does not exist in this version (0 is a valid offset). */
#define OFF_NONE UINT32_MAX

/* The two frame models. The only algorithmic fork in the walker (DESIGN.md, decision 3). */
enum py_frame_model {
        PY_FRAMES_OBJECT, /* ≤3.10: heap PyFrameObject chain, f_back, f_lasti */
        PY_FRAMES_INTERP, /* ≥3.11: _PyInterpreterFrame chain, previous, instruction pointer */
};

/* The three line-table formats (Objects/lnotab_notes.txt of each version). */
enum py_linetable {
        PY_LINES_LNOTAB, /* ≤3.9 co_lnotab: (byte delta, signed line delta) pairs, f_lasti in bytes
                          */
        PY_LINES_310, /* 3.10 co_linetable: (byte delta, line delta, -128 = none), f_lasti in code
                         units */
        PY_LINES_LOCATIONS, /* ≥3.11 location table (varint entries), instruction pointer */
};

/* Everything the walker needs to know about one CPython build. Offsets are in bytes from the
 * start of the named struct; sizes are what to copy in one read. Filled from a compiled table
 * (3.8–3.12, symbols/tables/) or from the target's _Py_DebugOffsets (3.13+). */
struct py_offsets {
        uint32_t version; /* PY_VERSION_HEX of the table (or of the target, once resolved) */
        bool free_threaded;
        enum py_frame_model frame_model;
        enum py_linetable linetable;
        /* ≥3.14 _PyStackRef: low bits of f_executable are tags (Include/internal/pycore_stackref.h)
         */
        uint64_t stackref_mask;

        struct {
                uint32_t size, interpreters_head;
        } runtime;
        struct {
                uint32_t size, next, threads_head, id;
                uint32_t modules; /* sys.modules (a dict) */
        } interp;
        struct {
                uint32_t size, next, interp;
                uint32_t frame;        /* ≤3.10 tstate->frame; ≥3.13 tstate->current_frame */
                uint32_t cframe;       /* 3.11/3.12 tstate->cframe, else OFF_NONE */
                uint32_t cframe_frame; /* 3.11/3.12 _PyCFrame.current_frame, else OFF_NONE */
                uint32_t thread_id;    /* pthread_t */
                uint32_t native_thread_id; /* Linux TID, ≥3.11; OFF_NONE before */
                /* ≥3.15 tstate->base_frame: the frame every complete walk ends at, else OFF_NONE */
                uint32_t base_frame;
                /* ≥3.11 tstate->datastack_top: the end of the frames pushed, else OFF_NONE */
                uint32_t datastack_top;
                /* 3.11/3.12 tstate->exc_info: a running generator's gi_exc_state, else OFF_NONE */
                uint32_t exc_info;
        } tstate;
        struct { /* ≤3.10 PyFrameObject (Include/cpython/frameobject.h) */
                uint32_t size, back, code, lasti, localsplus;
                uint32_t gen;   /* f_gen: the generator a frame belongs to, NULL if none */
                uint32_t state; /* one byte: ≤3.9 char f_executing, 3.10 PyFrameState f_state */
                uint32_t state_executing; /* its value while the frame runs: 1, FRAME_EXECUTING */
        } frameobj;
        struct { /* ≥3.11 _PyInterpreterFrame (Include/internal/pycore_frame.h) */
                uint32_t size, previous, code, instr, owner, localsplus;
                uint32_t is_entry;        /* 3.11 bool is_entry, else OFF_NONE */
                uint32_t owner_generator; /* FRAME_OWNED_BY_GENERATOR */
                /* the owner of a thread's bottom frame: 3.11 FRAME_OWNED_BY_THREAD (with
                 * is_entry), 3.12/3.13 FRAME_OWNED_BY_CSTACK, ≥3.14 FRAME_OWNED_BY_INTERPRETER */
                uint32_t owner_bottom;
        } iframe;
        struct { /* 3.11/3.12 PyGenObject (Include/cpython/genobject.h), else OFF_NONE */
                uint32_t iframe, exc_state; /* gi_iframe, gi_exc_state */
        } gen;
        struct { /* PyCodeObject (Include/cpython/code.h) */
                uint32_t size, argcount, firstlineno, filename, name;
                uint32_t qualname;  /* ≥3.11, else OFF_NONE */
                uint32_t linetable; /* co_lnotab ≤3.9, co_linetable ≥3.10 (a bytes object) */
                uint32_t varnames;  /* ≤3.10 co_varnames tuple, else OFF_NONE */
                uint32_t localsplusnames; /* ≥3.11 co_localsplusnames tuple, else OFF_NONE */
                uint32_t
                        code_adaptive; /* ≥3.11 co_code_adaptive (inline bytecode), else OFF_NONE */
                /* ≥3.11 co_nlocalsplus and co_stacksize (int): a frame of the code takes
                 * both plus the frame's header (iframe.localsplus) in words of the data stack
                 * (3.11 Python/ceval.c _PyFrame_PushUnchecked, 3.12+ co_framesize); else
                 * OFF_NONE (the walker tells the frames pushed at the thread state's copy) */
                uint32_t nlocalsplus, stacksize;
        } code;
        struct {
                uint32_t ob_refcnt, ob_type;
                /* ≥3.11 managed instance dicts (Include/internal/pycore_object.h): the dict
                 * pointer sits managed_dict bytes *before* the object; 3.11 keeps a values
                 * pointer apart, managed_values bytes before; in 3.12 the dict word is tagged:
                 * low bit managed_dict_tag set = values at word + 1. OFF_NONE when absent. */
                uint32_t managed_dict, managed_values, managed_dict_tag;
        } object;
        struct { /* PyTypeObject, PyHeapTypeObject */
                uint32_t tp_name, tp_flags, tp_basicsize, tp_dictoffset, ht_cached_keys;
                uint32_t tp_mro;  /* a tuple of types: type(self)'s, to check a method's class */
                uint32_t tp_dict; /* ≤3.10, for the same check by name; else OFF_NONE */
                /* tp_flags bits (values, not offsets): Py_TPFLAGS_MANAGED_DICT ≥3.11,
                 * Py_TPFLAGS_INLINE_VALUES ≥3.13 (values at obj + tp_basicsize); OFF_NONE */
                uint32_t flag_managed_dict, flag_inline_values;
        } type;
        struct {
                uint32_t ob_size, ob_item;
        } tuple;
        struct {
                uint32_t ob_size, ob_sval;
        } bytes;
        struct { /* Include/cpython/unicodeobject.h */
                uint32_t length, state;
                uint32_t ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data follows */
                uint32_t compact_size; /* sizeof(PyCompactUnicodeObject): other compact data */
        } unicode;
        struct {
                uint32_t md_dict;
        } module;
        struct { /* PyDictObject; PyDictKeysObject (≤3.10 Objects/dict-common.h, ≥3.11
                  * Include/internal/pycore_dict.h) */
                uint32_t ma_keys, ma_values;
                uint32_t dk_size; /* ≤3.10 Py_ssize_t slots; else OFF_NONE */
                /* ≥3.11 uint8_t log2 of the slots, of the index bytes, and DICT_KEYS_* kind */
                uint32_t dk_log2_size, dk_log2_index_bytes, dk_kind;
                uint32_t dk_nentries, dk_indices;
                /* sizeof PyDictKeyEntry {hash, key, value}, and ≥3.11 PyDictUnicodeEntry {key,
                 * value} (kind ≠ DICT_KEYS_GENERAL): both end with key, value */
                uint32_t entry_size, unicode_entry_size;
                uint32_t values;       /* PyDictValues.values[] (≤3.10 ma_values is the array) */
                uint32_t values_valid; /* ≥3.13 PyDictValues.valid (uint8_t) */
        } dict;
        struct {                     /* PyLongObject (Include/cpython/longintrepr.h) */
                uint32_t ob_size;    /* ≤3.11 signed digit count */
                uint32_t lv_tag;     /* ≥3.12 digits << 3 | sign (0 +, 1 zero, 2 -) */
                uint32_t ob_digit;   /* uint32_t digits, least significant first */
                uint32_t digit_bits; /* PyLong_SHIFT, a value */
        } pylong;
};

/* The compiled table for major.minor @version (PY_VERSION_HEX, only bits 31..16 are used),
 * or NULL when there is none (≥3.13 use symbols_debug_offsets()). Valid forever. */
const struct py_offsets *symbols_table_for(uint32_t version);

/* Size of the _Py_DebugOffsets struct for the minor version in @version, or 0 if unknown. */
size_t symbols_debug_offsets_size(uint32_t version);

/* Fill @ret from a copy of the target's _Py_DebugOffsets (the first @len bytes of _PyRuntime).
 * @return 0; -ENOENT no "xdebugpy" cookie; -ENOTSUP a version without a known layout;
 *         -EBADMSG an offset or size out of bounds. */
int symbols_debug_offsets(const void *buf, size_t len, struct py_offsets *ret);

/* ---------------------------------------------------------------------------------------- */

/* One line of /proc/PID/maps. */
struct map_entry {
        uint64_t start, end, offset, inode;
        char perms[5];
        char *path; /* NULL for anonymous mappings; " (deleted)" stripped */
};

struct maps {
        struct map_entry *v;
        size_t n;
};

/* Parse /proc/PID/maps text. @return 0; -EINVAL malformed. Caller calls maps_release(). */
int maps_parse(const char *text, struct maps *ret);
/* Read and parse /proc/@pid/maps. @return 0; -ESRCH gone; -EPERM; -errno. */
int maps_read(pid_t pid, struct maps *ret);
void maps_release(struct maps *m);

/* Where the interpreter is in a process, found from its ELF files. */
struct py_location {
        char binary[4096];       /* path (as in maps) of the file that holds _PyRuntime */
        uint64_t runtime;        /* remote address of _PyRuntime */
        uint64_t runtime_size;   /* st_size of _PyRuntime or size of .PyRuntime, 0 if unknown */
        uint64_t py_version;     /* remote address of Py_Version (3.11+), 0 if absent */
        uint64_t code_type;      /* remote address of PyCode_Type, 0 if unknown (validation) */
        uint32_t name_version;   /* PY_VERSION_HEX guessed from a libpythonX.Y/pythonX.Y name, 0 */
        uint32_t rodata_version; /* PY_VERSION_HEX of a "3.X.Y" string in .rodata, 0 */
        bool is_libpython;
};

/* Find _PyRuntime in the process @pid: the main executable (via /proc/PID/exe) and any mapped
 * libpython (via /proc/PID/root/...), by symbol table, then the .PyRuntime section.
 * @return 0; -ENOENT no Python found (not yet loaded, or not Python); -ESRCH; -EPERM;
 * -EPROTONOSUPPORT a Python too old to have _PyRuntime (2.x, ≤3.6): *ret has its version. */
int symbols_locate(pid_t pid, const struct maps *maps, struct py_location *ret);

/* Is the ELF file at @path a Python interpreter: does it define _PyRuntime or Py_Initialize,
 * or need a libpython? For a program that was over before its interpreter could be seen.
 * @return 1 yes; 0 no (or not an ELF file); -errno it cannot be opened. */
int symbols_file_is_python(const char *path);

/* Where _PyRuntime may be when no ELF file names it (3.13+ only: its first bytes are the
 * "xdebugpy" cookie of _Py_DebugOffsets): the writable file-backed mappings of @maps (.data
 * and .PyRuntime of an executable or library) and each anonymous writable mapping right after
 * one (a .bss). Writes up to @cap indexes into @maps to @ret, in maps order, and returns how
 * many there are (which may be more than @cap). Mappings over 64 MiB are left out. */
size_t symbols_cookie_regions(const struct maps *maps, size_t *ret, size_t cap);

/* The first 8-aligned "xdebugpy" cookie in @buf followed by a plausible PY_VERSION_HEX
 * (major 3, minor 13 or later, a release level a/b/c/f, nothing above 32 bits): stores its
 * position in *ret_pos. The version may be one with no known layout: the caller reports it.
 * @return 0; -ENOENT none. */
int symbols_find_cookie(const void *buf, size_t len, size_t *ret_pos);

/* A PY_VERSION_HEX → "3.12.1" string into @buf. */
const char *symbols_version_str(uint32_t version, char buf[static 32]);

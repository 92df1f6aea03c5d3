/* Turn a copy of a target's _Py_DebugOffsets (3.13+: the first member of _PyRuntime, filled by
 * CPython with its own offsetof()/sizeof()) into a struct py_offsets. The struct changes with
 * every minor, so each known minor has one C struct, one field map and one row in layouts[].
 * The bytes are remote, hence untrusted: every offset used is bounds-checked before it is
 * returned. Free-threaded builds are recognised and refused for now. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "symbols/symbols.h"

/* Largest struct size accepted from a target (3.13.0 GIL build: _PyRuntimeState 283320 bytes,
 * PyInterpreterState 194968); anything bigger is corrupt or not CPython. */
#define DEBUG_OFFSETS_CAP (1u << 20)

/* ---- the layouts, as CPython declares them ----------------------------------------------- */

/* _Py_DebugOffsets is a header and a list of sections, one per CPython struct, each a list of
 * uint64_t (Include/internal/pycore_runtime.h in 3.13, pycore_debug_offsets.h from 3.14).
 * Sections are declared once, named by the first minor with that shape; a minor's struct
 * lists its sections in CPython's order and names, so minors can be diffed against headers. */
struct debug_header {
        char cookie[8];   /* "xdebugpy", no NUL */
        uint64_t version; /* PY_VERSION_HEX */
        uint64_t free_threaded;
};

struct dbg_runtime_state {
        uint64_t size, finalizing, interpreters_head;
};
struct dbg_interpreter_state_313 {
        uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins;
        uint64_t ceval_gil, gil_runtime_state, gil_runtime_state_enabled;
        uint64_t gil_runtime_state_locked, gil_runtime_state_holder;
};
/* 3.14: + threads_main, code_object_generation, tlbc_generation */
struct dbg_interpreter_state_314 {
        uint64_t size, id, next, threads_head, threads_main, gc, imports_modules;
        uint64_t sysdict, builtins, ceval_gil, gil_runtime_state;
        uint64_t gil_runtime_state_enabled, gil_runtime_state_locked;
        uint64_t gil_runtime_state_holder, code_object_generation, tlbc_generation;
};
struct dbg_thread_state_313 {
        uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id;
        uint64_t datastack_chunk, status;
};
/* 3.15: + base_frame, last_profiled_frame, last_profiled_frame_seq (before thread_id),
 * holds_gil, gil_requested, current_exception, exc_state */
struct dbg_thread_state_315 {
        uint64_t size, prev, next, interp, current_frame, base_frame;
        uint64_t last_profiled_frame, last_profiled_frame_seq, thread_id;
        uint64_t native_thread_id, datastack_chunk, status, holds_gil, gil_requested;
        uint64_t current_exception, exc_state;
};
struct dbg_interpreter_frame_313 {
        uint64_t size, previous, executable, instr_ptr, localsplus, owner;
};
/* 3.14: + stackpointer, tlbc_index */
struct dbg_interpreter_frame_314 {
        uint64_t size, previous, executable, instr_ptr, localsplus, owner;
        uint64_t stackpointer, tlbc_index;
};
struct dbg_code_object_313 {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
        uint64_t localsplusnames, localspluskinds, co_code_adaptive;
};
/* 3.14: + co_tlbc */
struct dbg_code_object_314 {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
        uint64_t localsplusnames, localspluskinds, co_code_adaptive, co_tlbc;
};
struct dbg_pyobject {
        uint64_t size, ob_type;
};
struct dbg_type_object_313 {
        uint64_t size, tp_name, tp_repr, tp_flags;
};
/* 3.15: + tp_basicsize, tp_dictoffset */
struct dbg_type_object_315 {
        uint64_t size, tp_name, tp_repr, tp_flags, tp_basicsize, tp_dictoffset;
};
struct dbg_sequence { /* tuple_object and list_object */
        uint64_t size, ob_item, ob_size;
};
struct dbg_set_object {
        uint64_t size, used, table, mask;
};
struct dbg_dict_object {
        uint64_t size, ma_keys, ma_values;
};
struct dbg_float_object {
        uint64_t size, ob_fval;
};
struct dbg_long_object {
        uint64_t size, lv_tag, ob_digit;
};
struct dbg_bytes_object {
        uint64_t size, ob_size, ob_sval;
};
struct dbg_unicode_object_313 {
        uint64_t size, state, length, asciiobject_size;
};
/* 3.15: + compactunicodeobject_size */
struct dbg_unicode_object_315 {
        uint64_t size, state, length, asciiobject_size, compactunicodeobject_size;
};
struct dbg_gc_313 {
        uint64_t size, collecting;
};
/* 3.15: + frame, generation_stats_size, generation_stats */
struct dbg_gc_315 {
        uint64_t size, collecting, frame, generation_stats_size, generation_stats;
};
struct dbg_gen_object {
        uint64_t size, gi_name, gi_iframe, gi_frame_state;
};
struct dbg_llist_node {
        uint64_t next, prev;
};
struct dbg_debugger_support { /* PEP 768, sys.remote_exec() */
        uint64_t eval_breaker, remote_debugger_support, remote_debugging_enabled;
        uint64_t debugger_pending_call, debugger_script_path, debugger_script_path_size;
};

/* 3.13: 584 bytes on 64-bit */
struct debug_offsets_313 {
        struct debug_header header;
        struct dbg_runtime_state runtime_state;
        struct dbg_interpreter_state_313 interpreter_state;
        struct dbg_thread_state_313 thread_state;
        struct dbg_interpreter_frame_313 interpreter_frame;
        struct dbg_code_object_313 code_object;
        struct dbg_pyobject pyobject;
        struct dbg_type_object_313 type_object;
        struct dbg_sequence tuple_object, list_object;
        struct dbg_dict_object dict_object;
        struct dbg_float_object float_object;
        struct dbg_long_object long_object;
        struct dbg_bytes_object bytes_object;
        struct dbg_unicode_object_313 unicode_object;
        struct dbg_gc_313 gc;
};
_Static_assert(sizeof(struct debug_offsets_313) == 584, "3.13 _Py_DebugOffsets is 584 bytes");

/* 3.14: 760 bytes; new sections set_object, gen_object, llist_node, debugger_support */
struct debug_offsets_314 {
        struct debug_header header;
        struct dbg_runtime_state runtime_state;
        struct dbg_interpreter_state_314 interpreter_state;
        struct dbg_thread_state_313 thread_state;
        struct dbg_interpreter_frame_314 interpreter_frame;
        struct dbg_code_object_314 code_object;
        struct dbg_pyobject pyobject;
        struct dbg_type_object_313 type_object;
        struct dbg_sequence tuple_object, list_object;
        struct dbg_set_object set_object;
        struct dbg_dict_object dict_object;
        struct dbg_float_object float_object;
        struct dbg_long_object long_object;
        struct dbg_bytes_object bytes_object;
        struct dbg_unicode_object_313 unicode_object;
        struct dbg_gc_313 gc;
        struct dbg_gen_object gen_object;
        struct dbg_llist_node llist_node;
        struct dbg_debugger_support debugger_support;
};
_Static_assert(sizeof(struct debug_offsets_314) == 760, "3.14 _Py_DebugOffsets is 760 bytes");

/* 3.15 (3.15.2): 888 bytes; new sections err_stackitem, heap_type_object */
struct debug_offsets_315 {
        struct debug_header header;
        struct dbg_runtime_state runtime_state;
        struct dbg_interpreter_state_314 interpreter_state;
        struct dbg_thread_state_315 thread_state;
        struct {
                uint64_t exc_value;
        } err_stackitem;
        struct dbg_interpreter_frame_314 interpreter_frame;
        struct dbg_code_object_314 code_object;
        struct dbg_pyobject pyobject;
        struct dbg_type_object_315 type_object;
        struct {
                uint64_t size, ht_cached_keys;
        } heap_type_object;
        struct dbg_sequence tuple_object, list_object;
        struct dbg_set_object set_object;
        struct dbg_dict_object dict_object;
        struct dbg_float_object float_object;
        struct dbg_long_object long_object;
        struct dbg_bytes_object bytes_object;
        struct dbg_unicode_object_315 unicode_object;
        struct dbg_gc_315 gc;
        struct dbg_gen_object gen_object;
        struct dbg_llist_node llist_node;
        struct dbg_debugger_support debugger_support;
};
_Static_assert(sizeof(struct debug_offsets_315) == 888, "3.15 _Py_DebugOffsets is 888 bytes");

/* ---- from a layout to struct py_offsets -------------------------------------------------- */

enum field_kind {
        FIELD_SIZE,   /* a struct size: at most DEBUG_OFFSETS_CAP */
        FIELD_OFFSET, /* an offset into the section's struct: offset + 8 <= size */
        FIELD_PREFIX, /* the size of a leading part of the section's struct: <= size */
};

/* One py_offsets member taken from one uint64_t of the debug offsets. */
struct field_map {
        uint16_t dst;     /* offsetof(struct py_offsets, ...), a uint32_t member */
        uint16_t src;     /* position of the value in the debug offsets */
        uint16_t section; /* position of the size of the struct the value points into */
        enum field_kind kind;
};

#define FIELD(kind, type, dst, section, member)                                                    \
        {                                                                                          \
                offsetof(struct py_offsets, dst), offsetof(type, section.member),                  \
                        offsetof(type, section.size), kind                                         \
        }
#define SIZE(type, dst, section) FIELD(FIELD_SIZE, type, dst, section, size)
#define OFFSET(type, dst, section, member) FIELD(FIELD_OFFSET, type, dst, section, member)
#define PREFIX(type, dst, section, member) FIELD(FIELD_PREFIX, type, dst, section, member)

/* The rows every known minor has, under the same names (3.13–3.15 _Py_DebugOffsets): a list
 * of initializers for the field_map array of one debug_offsets_3xx type. */
#define MAP_COMMON(T)                                                                              \
        SIZE(T, runtime.size, runtime_state),                                                      \
        OFFSET(T, runtime.interpreters_head, runtime_state, interpreters_head),                    \
        SIZE(T, interp.size, interpreter_state),                                                   \
        OFFSET(T, interp.next, interpreter_state, next),                                           \
        OFFSET(T, interp.threads_head, interpreter_state, threads_head),                           \
        OFFSET(T, interp.id, interpreter_state, id),                                               \
        OFFSET(T, interp.modules, interpreter_state, imports_modules),                             \
        SIZE(T, tstate.size, thread_state),                                                        \
        OFFSET(T, tstate.next, thread_state, next),                                                \
        OFFSET(T, tstate.interp, thread_state, interp),                                            \
        OFFSET(T, tstate.frame, thread_state, current_frame),                                      \
        OFFSET(T, tstate.thread_id, thread_state, thread_id),                                      \
        OFFSET(T, tstate.native_thread_id, thread_state, native_thread_id),                        \
        SIZE(T, iframe.size, interpreter_frame),                                                   \
        OFFSET(T, iframe.previous, interpreter_frame, previous),                                   \
        OFFSET(T, iframe.code, interpreter_frame, executable),                                     \
        OFFSET(T, iframe.instr, interpreter_frame, instr_ptr),                                     \
        OFFSET(T, iframe.owner, interpreter_frame, owner),                                         \
        OFFSET(T, iframe.localsplus, interpreter_frame, localsplus),                               \
        SIZE(T, code.size, code_object),                                                           \
        OFFSET(T, code.argcount, code_object, argcount),                                           \
        OFFSET(T, code.firstlineno, code_object, firstlineno),                                     \
        OFFSET(T, code.filename, code_object, filename),                                           \
        OFFSET(T, code.name, code_object, name),                                                   \
        OFFSET(T, code.qualname, code_object, qualname),                                           \
        OFFSET(T, code.linetable, code_object, linetable),                                         \
        OFFSET(T, code.localsplusnames, code_object, localsplusnames),                             \
        OFFSET(T, code.code_adaptive, code_object, co_code_adaptive),                              \
        OFFSET(T, object.ob_type, pyobject, ob_type),                                              \
        OFFSET(T, type.tp_name, type_object, tp_name),                                             \
        OFFSET(T, type.tp_flags, type_object, tp_flags),                                           \
        OFFSET(T, tuple.ob_size, tuple_object, ob_size),                                           \
        OFFSET(T, tuple.ob_item, tuple_object, ob_item),                                           \
        OFFSET(T, bytes.ob_size, bytes_object, ob_size),                                           \
        OFFSET(T, bytes.ob_sval, bytes_object, ob_sval),                                           \
        OFFSET(T, unicode.length, unicode_object, length),                                         \
        OFFSET(T, unicode.state, unicode_object, state),                                           \
        /* sizeof(PyASCIIObject): a leading part of PyUnicodeObject, not an offset */              \
        PREFIX(T, unicode.ascii_size, unicode_object, asciiobject_size),                           \
        OFFSET(T, dict.ma_keys, dict_object, ma_keys),                                             \
        OFFSET(T, dict.ma_values, dict_object, ma_values),                                         \
        OFFSET(T, pylong.lv_tag, long_object, lv_tag),                                             \
        OFFSET(T, pylong.ob_digit, long_object, ob_digit)

/* A py_offsets member the debug offsets of that minor do not carry. */
struct field_const {
        uint16_t dst;
        uint32_t value;
};

struct debug_layout {
        uint32_t minor; /* PY_VERSION_HEX >> 16 */
        size_t size;    /* sizeof that minor's _Py_DebugOffsets */
        enum py_frame_model frame_model;
        enum py_linetable linetable;
        uint64_t stackref_mask;
        const struct field_map *map;
        size_t n_map;
        const struct field_const *consts;
        size_t n_consts;
};

static const struct field_map map_313[] = { MAP_COMMON(struct debug_offsets_313) };
static const struct field_map map_314[] = { MAP_COMMON(struct debug_offsets_314) };
static const struct field_map map_315[] = {
        MAP_COMMON(struct debug_offsets_315),
        /* 3.15 names the frame every thread's stack starts from (Include/cpython/pystate.h) */
        OFFSET(struct debug_offsets_315, tstate.base_frame, thread_state, base_frame),
        /* 3.15 publishes sizeof(PyCompactUnicodeObject) itself */
        PREFIX(struct debug_offsets_315, unicode.compact_size, unicode_object,
               compactunicodeobject_size),
        /* and what a remote reader needs for instance attributes */
        OFFSET(struct debug_offsets_315, type.tp_basicsize, type_object, tp_basicsize),
        OFFSET(struct debug_offsets_315, type.tp_dictoffset, type_object, tp_dictoffset),
        OFFSET(struct debug_offsets_315, type.ht_cached_keys, heap_type_object, ht_cached_keys),
};

/* Values the debug offsets do not carry, from the headers of each minor (tests/offsets checks
 * them against those headers). ob_refcnt is the first word of a GIL build's PyObject
 * (Include/object.h). The frame owners are enum _frameowner: FRAME_OWNED_BY_GENERATOR 1
 * throughout; a thread's bottom frame is the outermost eval's entry frame, owned by
 * FRAME_OWNED_BY_CSTACK (3) in 3.13 (Include/internal/pycore_frame.h) and by
 * FRAME_OWNED_BY_INTERPRETER (3) from 3.14 (Include/internal/pycore_interpframe_structs.h). */
#define CONSTS_FRAMES                                                                              \
        CONST(object.ob_refcnt, 0), CONST(iframe.owner_generator, 1), CONST(iframe.owner_bottom, 3)

/* sizeof(PyCompactUnicodeObject) = PyASCIIObject (40) + utf8_length + utf8 in the 3.13 and
 * 3.14 GIL builds (Include/cpython/unicodeobject.h); the free-threaded object header would
 * make it 72, but those builds are refused before this is used. */
#define CONST(dst, value) { offsetof(struct py_offsets, dst), value }

/* What the thread-name reader needs that no _Py_DebugOffsets carries, the same in 3.13-3.15
 * GIL builds (checked against each one's headers by tests/offsets): MANAGED_DICT_OFFSET and
 * the Py_TPFLAGS_* bits (Include/internal/pycore_object.h, Include/object.h), PyModuleObject
 * (Include/internal/pycore_moduleobject.h), PyDictKeysObject and PyDictValues
 * (Include/internal/pycore_dict.h), PyLong_SHIFT (Include/cpython/longintrepr.h), and
 * PyTypeObject.tp_mro (Include/cpython/object.h, where every version has it). */
#define CONSTS_313_315                                                                             \
        CONST(object.managed_dict, 24), CONST(type.flag_managed_dict, 1u << 4),                   \
        CONST(type.flag_inline_values, 1u << 2), CONST(module.md_dict, 16),                       \
        CONST(dict.dk_log2_size, 8), CONST(dict.dk_log2_index_bytes, 9), CONST(dict.dk_kind, 10), \
        CONST(dict.dk_nentries, 24), CONST(dict.dk_indices, 32), CONST(dict.entry_size, 24),      \
        CONST(dict.unicode_entry_size, 16), CONST(dict.values, 8), CONST(dict.values_valid, 3),   \
        CONST(pylong.digit_bits, 30), CONST(type.tp_mro, 344)

/* What the walker needs to tell the frame on top of the data stack at the thread state's copy:
 * PyThreadState.datastack_top (Include/cpython/pystate.h: 240 in 3.13/3.14, 264 in 3.15, after
 * 3.15's base_frame and its neighbours), and PyCodeObject.co_stacksize and co_nlocalsplus
 * (Include/cpython/code.h, 64 and 72 in 3.13-3.15: a frame takes both plus its header). */
#define CONSTS_DATASTACK(top)                                                                      \
        CONST(tstate.datastack_top, top), CONST(code.stacksize, 64), CONST(code.nlocalsplus, 72)

static const struct field_const consts_313_314[] = {
        CONSTS_313_315,
        CONSTS_FRAMES,
        CONSTS_DATASTACK(240),
        CONST(unicode.compact_size, 56),
        /* 3.15 publishes these three; PyTypeObject and PyHeapTypeObject in 3.13/3.14 */
        CONST(type.tp_basicsize, 32),
        CONST(type.tp_dictoffset, 288),
        CONST(type.ht_cached_keys, 880),
};
static const struct field_const consts_315[] = { CONSTS_313_315, CONSTS_FRAMES,
                                                  CONSTS_DATASTACK(264) };

/* Members not set by the map or the consts stay OFF_NONE: tstate.cframe,
 * tstate.cframe_frame, tstate.exc_info and gen.* (used with _PyCFrame,
 * which was removed in 3.13), tstate.base_frame before 3.15, frameobj.*, iframe.is_entry
 * (3.11 only) and code.varnames, and the ≤3.12 layouts: object.managed_values and
 * managed_dict_tag, dict.dk_size, pylong.ob_size. */
static const struct debug_layout layouts[] = {
        {
                .minor = 0x030d,
                .size = sizeof(struct debug_offsets_313),
                .frame_model = PY_FRAMES_INTERP,
                .linetable = PY_LINES_LOCATIONS,
                .stackref_mask = ~0ULL, /* _PyStackRef tags start in 3.14 */
                .map = map_313,
                .n_map = ARRAY_SIZE(map_313),
                .consts = consts_313_314,
                .n_consts = ARRAY_SIZE(consts_313_314),
        },
        {
                .minor = 0x030e,
                .size = sizeof(struct debug_offsets_314),
                .frame_model = PY_FRAMES_INTERP,
                .linetable = PY_LINES_LOCATIONS,
                /* 3.14 f_executable is a _PyStackRef: Py_TAG_BITS is 3 in the GIL build
                 * (deferred/refcount bit 1, tagged ints 3; Include/internal/pycore_stackref.h) */
                .stackref_mask = ~3ULL,
                .map = map_314,
                .n_map = ARRAY_SIZE(map_314),
                .consts = consts_313_314,
                .n_consts = ARRAY_SIZE(consts_313_314),
        },
        {
                .minor = 0x030f,
                .size = sizeof(struct debug_offsets_315),
                .frame_model = PY_FRAMES_INTERP,
                .linetable = PY_LINES_LOCATIONS,
                /* 3.15 unified the tags of both builds: Py_TAG_BITS 3
                 * (Include/internal/pycore_stackref.h) */
                .stackref_mask = ~3ULL,
                .map = map_315,
                .n_map = ARRAY_SIZE(map_315),
                .consts = consts_315,
                .n_consts = ARRAY_SIZE(consts_315),
        },
};

/* ---- validation and parsing -------------------------------------------------------------- */

static const struct debug_layout *
layout_for(uint32_t version)
{
        for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
                if (layouts[i].minor == version >> 16)
                        return &layouts[i];
        return NULL;
}

size_t
symbols_debug_offsets_size(uint32_t version)
{
        const struct debug_layout *l = layout_for(version);

        return l ? l->size : 0;
}

static uint64_t
get_u64(const uint8_t *buf, size_t pos)
{
        uint64_t v;

        memcpy(&v, buf + pos, sizeof(v));
        return v;
}

static bool
field_valid(const struct field_map *f, const uint8_t *buf)
{
        uint64_t v = get_u64(buf, f->src), size = get_u64(buf, f->section);

        if (size > DEBUG_OFFSETS_CAP)
                return false;
        switch (f->kind) {
        case FIELD_SIZE:
                return true;
        case FIELD_OFFSET:
                /* 8 = the widest field read through an offset (a pointer or Py_ssize_t) */
                return v <= size && size - v >= 8;
        case FIELD_PREFIX:
                return v <= size;
        }
        return false;
}

/* Checks in this order: header length, cookie (-ENOENT), a layout for the version's minor
 * (-ENOTSUP), free-threaded (-ENOTSUP), then the buffer length and every size and offset used
 * (-EBADMSG). On -ENOTSUP only ret->version (and ret->free_threaded, for a free-threaded
 * build) are written, so the caller can name what it found; other errors leave @ret alone. */
int
symbols_debug_offsets(const void *buf, size_t len, struct py_offsets *ret)
{
        const struct debug_layout *l;
        struct debug_header h;
        struct py_offsets o;

        if (len < sizeof(h))
                return -EBADMSG;
        memcpy(&h, buf, sizeof(h));
        if (memcmp(h.cookie, "xdebugpy", sizeof(h.cookie)) != 0)
                return -ENOENT;
        l = layout_for((uint32_t)h.version);
        if (!l || h.version > UINT32_MAX) {
                ret->version = (uint32_t)h.version;
                return -ENOTSUP;
        }
        if (h.free_threaded) {
                /* 3.13t: 32-byte object headers; the offsets are right, but the walker does not
                 * handle the build yet (peers.md §2.8) */
                ret->version = (uint32_t)h.version;
                ret->free_threaded = true;
                return -ENOTSUP;
        }
        if (len < l->size)
                return -EBADMSG;
        for (size_t i = 0; i < l->n_map; i++)
                if (!field_valid(&l->map[i], buf))
                        return -EBADMSG;

        /* every member the layout does not provide starts out absent */
        _Static_assert(OFF_NONE == UINT32_MAX, "0xff bytes make an OFF_NONE");
        memset(&o, 0xff, sizeof(o));
        o.version = (uint32_t)h.version;
        o.free_threaded = false;
        o.frame_model = l->frame_model;
        o.linetable = l->linetable;
        o.stackref_mask = l->stackref_mask;
        for (size_t i = 0; i < l->n_map; i++) {
                /* field_valid() capped it at DEBUG_OFFSETS_CAP, so it fits */
                uint32_t v = (uint32_t)get_u64(buf, l->map[i].src);

                memcpy((uint8_t *)&o + l->map[i].dst, &v, sizeof(v));
        }
        for (size_t i = 0; i < l->n_consts; i++)
                memcpy((uint8_t *)&o + l->consts[i].dst, &l->consts[i].value, sizeof(uint32_t));
        *ret = o;
        return 0;
}

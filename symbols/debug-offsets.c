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

/* The part every known minor shares (3.13–3.15 Include/internal/pycore_runtime.h or
 * pycore_debug_offsets.h). */
struct debug_header {
        char cookie[8];   /* "xdebugpy", no NUL */
        uint64_t version; /* PY_VERSION_HEX */
        uint64_t free_threaded;
};

/* 3.13 Include/internal/pycore_runtime.h, struct _Py_DebugOffsets: 584 bytes on 64-bit. Names
 * as in CPython, so later minors can be diffed against it. */
struct debug_offsets_313 {
        struct debug_header header;
        struct {
                uint64_t size, finalizing, interpreters_head;
        } runtime_state;
        struct {
                uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins;
                uint64_t ceval_gil, gil_runtime_state, gil_runtime_state_enabled;
                uint64_t gil_runtime_state_locked, gil_runtime_state_holder;
        } interpreter_state;
        struct {
                uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id;
                uint64_t datastack_chunk, status;
        } thread_state;
        struct {
                uint64_t size, previous, executable, instr_ptr, localsplus, owner;
        } interpreter_frame;
        struct {
                uint64_t size, filename, name, qualname, linetable, firstlineno, argcount;
                uint64_t localsplusnames, localspluskinds, co_code_adaptive;
        } code_object;
        struct {
                uint64_t size, ob_type;
        } pyobject;
        struct {
                uint64_t size, tp_name, tp_repr, tp_flags;
        } type_object;
        struct {
                uint64_t size, ob_item, ob_size;
        } tuple_object;
        struct {
                uint64_t size, ob_item, ob_size;
        } list_object;
        struct {
                uint64_t size, ma_keys, ma_values;
        } dict_object;
        struct {
                uint64_t size, ob_fval;
        } float_object;
        struct {
                uint64_t size, lv_tag, ob_digit;
        } long_object;
        struct {
                uint64_t size, ob_size, ob_sval;
        } bytes_object;
        struct {
                uint64_t size, state, length, asciiobject_size;
        } unicode_object;
        struct {
                uint64_t size, collecting;
        } gc;
};
_Static_assert(sizeof(struct debug_offsets_313) == 584, "3.13 _Py_DebugOffsets is 584 bytes");

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

#define FIELD(kind, dst, type, section, member)                                                    \
        {                                                                                          \
                offsetof(struct py_offsets, dst), offsetof(type, section.member),                  \
                        offsetof(type, section.size), kind                                         \
        }
/* The rows of map_313, one macro per field_kind. */
#define SIZE_313(dst, section) FIELD(FIELD_SIZE, dst, struct debug_offsets_313, section, size)
#define OFFSET_313(dst, section, member)                                                           \
        FIELD(FIELD_OFFSET, dst, struct debug_offsets_313, section, member)
#define PREFIX_313(dst, section, member)                                                           \
        FIELD(FIELD_PREFIX, dst, struct debug_offsets_313, section, member)

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

static const struct field_map map_313[] = {
        SIZE_313(runtime.size, runtime_state),
        OFFSET_313(runtime.interpreters_head, runtime_state, interpreters_head),
        SIZE_313(interp.size, interpreter_state),
        OFFSET_313(interp.next, interpreter_state, next),
        OFFSET_313(interp.threads_head, interpreter_state, threads_head),
        OFFSET_313(interp.id, interpreter_state, id),
        SIZE_313(tstate.size, thread_state),
        OFFSET_313(tstate.next, thread_state, next),
        OFFSET_313(tstate.interp, thread_state, interp),
        OFFSET_313(tstate.frame, thread_state, current_frame),
        OFFSET_313(tstate.thread_id, thread_state, thread_id),
        OFFSET_313(tstate.native_thread_id, thread_state, native_thread_id),
        SIZE_313(iframe.size, interpreter_frame),
        OFFSET_313(iframe.previous, interpreter_frame, previous),
        OFFSET_313(iframe.code, interpreter_frame, executable),
        OFFSET_313(iframe.instr, interpreter_frame, instr_ptr),
        OFFSET_313(iframe.owner, interpreter_frame, owner),
        OFFSET_313(iframe.localsplus, interpreter_frame, localsplus),
        SIZE_313(code.size, code_object),
        OFFSET_313(code.argcount, code_object, argcount),
        OFFSET_313(code.firstlineno, code_object, firstlineno),
        OFFSET_313(code.filename, code_object, filename),
        OFFSET_313(code.name, code_object, name),
        OFFSET_313(code.qualname, code_object, qualname),
        OFFSET_313(code.linetable, code_object, linetable),
        OFFSET_313(code.localsplusnames, code_object, localsplusnames),
        OFFSET_313(code.code_adaptive, code_object, co_code_adaptive),
        OFFSET_313(object.ob_type, pyobject, ob_type),
        OFFSET_313(type.tp_name, type_object, tp_name),
        OFFSET_313(type.tp_flags, type_object, tp_flags),
        OFFSET_313(tuple.ob_size, tuple_object, ob_size),
        OFFSET_313(tuple.ob_item, tuple_object, ob_item),
        OFFSET_313(bytes.ob_size, bytes_object, ob_size),
        OFFSET_313(bytes.ob_sval, bytes_object, ob_sval),
        OFFSET_313(unicode.length, unicode_object, length),
        OFFSET_313(unicode.state, unicode_object, state),
        /* sizeof(PyASCIIObject): a leading part of PyUnicodeObject, not an offset */
        PREFIX_313(unicode.ascii_size, unicode_object, asciiobject_size),
};

static const struct field_const consts_313[] = {
        /* sizeof(PyCompactUnicodeObject) = PyASCIIObject (40) + utf8_length + utf8 in a 3.13
         * GIL build (Include/cpython/unicodeobject.h); the free-threaded object header would
         * make it 72, and only 3.15 publishes it (unicode_object.compactunicodeobject_size). */
        { offsetof(struct py_offsets, unicode.compact_size), 56 },
};

/* Members not set by the map or the consts stay OFF_NONE: in 3.13 tstate.cframe and
 * tstate.cframe_frame (_PyCFrame was removed), frameobj.* and code.varnames. */
static const struct debug_layout layouts[] = {
        {
                .minor = 0x030d,
                .size = sizeof(struct debug_offsets_313),
                .frame_model = PY_FRAMES_INTERP,
                .linetable = PY_LINES_LOCATIONS,
                .stackref_mask = ~0ULL, /* _PyStackRef tags start in 3.14 */
                .map = map_313,
                .n_map = ARRAY_SIZE(map_313),
                .consts = consts_313,
                .n_consts = ARRAY_SIZE(consts_313),
        },
};

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

/* The interpreter image of pyimage.h. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pyimage.h"


static const uint8_t dbg_313[] = {
#include "debug-offsets-3.13.0.inc"
};
static const uint8_t dbg_314[] = {
#include "debug-offsets-3.14.10.inc"
};
static const uint8_t dbg_315[] = {
#include "debug-offsets-3.15.2.inc"
};


static size_t
span(const uint32_t *offs, size_t n, size_t min)
{
        size_t end = min;
        for (size_t i = 0; i < n; i++)
                if (offs[i] != OFF_NONE && offs[i] + 8 > end)
                        end = offs[i] + 8;
        return end;
}

/* Extend the image with zeroes to @end bytes. */
static void
grow(struct pyimage *l, size_t end)
{
        if (end > l->cap) {
                l->cap = end * 2;
                l->buf = realloc(l->buf, l->cap);
                if (!l->buf)
                        abort();
        }
        memset(l->buf + l->len, 0, end - l->len);
        l->len = end;
}

/* A zeroed object of @size bytes, 16-aligned as pymalloc's; returns its offset in the image. */
static size_t
alloc(struct pyimage *l, size_t size)
{
        size_t off = (l->len + 15) & ~(size_t)15;

        grow(l, off + size);
        if (l->n_objs < PYIMAGE_MAX_OBJS)
                l->obj[l->n_objs++] = off;
        return off;
}

static void
put(struct pyimage *l, size_t obj, uint32_t field, uint64_t v, size_t width)
{
        if (field != OFF_NONE)
                memcpy(l->buf + obj + field, &v, width);
}

static size_t
new_cstr(struct pyimage *l, const char *s)
{
        size_t off = alloc(l, strlen(s) + 1);
        memcpy(l->buf + off, s, strlen(s) + 1);
        return off;
}

/* A str in each layout of Include/cpython/unicodeobject.h: compact ASCII; compact UCS-2
 * (@ucs2, not ASCII); legacy (≤3.11 only: the data behind a pointer). */
enum str_kind { STR_ASCII, STR_UCS2, STR_LEGACY };

static size_t
new_str(struct pyimage *l, const char *s, enum str_kind kind)
{
        const struct py_offsets *o = l->o;
        size_t n = strlen(s), off;

        switch (kind) {
        case STR_ASCII:
                off = alloc(l, o->unicode.ascii_size + n + 1);
                put(l, off, o->unicode.state, 1u << 2 | 1u << 5 | 1u << 6, 4);
                memcpy(l->buf + off + o->unicode.ascii_size, s, n);
                break;
        case STR_UCS2:
                off = alloc(l, o->unicode.compact_size + 2 * n + 2);
                put(l, off, o->unicode.state, 2u << 2 | 1u << 5, 4);
                for (size_t i = 0; i < n; i++) /* each byte, shifted up out of latin-1 */
                        put(l, off, o->unicode.compact_size + 2 * (uint32_t)i,
                            0x4e00u + (uint8_t)s[i], 2);
                break;
        default: {
                size_t data = new_cstr(l, s);
                off = alloc(l, o->unicode.compact_size + 8);
                put(l, off, o->unicode.state, 1u << 2, 4);
                put(l, off, o->unicode.compact_size, pyimage_addr(data), 8);
                break;
        }
        }
        put(l, off, o->unicode.length, n, 8);
        put(l, off, o->object.ob_refcnt, 1, 8); /* alive */
        return off;
}

static size_t
new_bytes(struct pyimage *l, const uint8_t *b, size_t n)
{
        size_t off = alloc(l, l->o->bytes.ob_sval + n + 1);
        put(l, off, l->o->bytes.ob_size, n, 8);
        memcpy(l->buf + off + l->o->bytes.ob_sval, b, n);
        return off;
}

static size_t
new_names(struct pyimage *l, const char *const *names, size_t n)
{
        size_t items[8];
        for (size_t i = 0; i < n; i++)
                items[i] = new_str(l, names[i], STR_ASCII);
        size_t off = alloc(l, l->o->tuple.ob_item + 8 * n);
        put(l, off, l->o->tuple.ob_size, n, 8);
        for (size_t i = 0; i < n; i++)
                put(l, off, l->o->tuple.ob_item + 8 * (uint32_t)i, pyimage_addr(items[i]), 8);
        return off;
}

static size_t
new_type(struct pyimage *l, const char *name)
{
        const struct py_offsets *o = l->o;
        uint32_t f[] = { o->object.ob_type, o->type.tp_name, o->type.tp_flags };
        size_t cname = new_cstr(l, name);
        size_t off = alloc(l, span(f, ARRAY_SIZE(f), 0));
        put(l, off, o->object.ob_type, pyimage_addr(off), 8); /* its own metatype: a type */
        put(l, off, o->type.tp_name, pyimage_addr(cname), 8);
        put(l, off, o->type.tp_flags, 1ULL << 31, 8); /* Py_TPFLAGS_TYPE_SUBCLASS */
        return off;
}

/* A line table of each format, a few lines from @first on (Objects/lnotab_notes.txt). */
static size_t
new_linetable(struct pyimage *l)
{
        static const uint8_t lnotab[] = { 2, 1, 4, 1, 6, 2 };
        static const uint8_t t310[] = { 6, 1, 4, 1, 8, 0x80, 6, 2 };
        /* code 10 (same line) ×3 units, 11 (+1) ×2, 13 (no column, +2) ×1, 15 (no line) */
        static const uint8_t loc[] = { 0xd2, 0xd9, 0xe8, 0x04, 0xf8 };
        switch (l->o->linetable) {
        case PY_LINES_LNOTAB:
                return new_bytes(l, lnotab, sizeof(lnotab));
        case PY_LINES_310:
                return new_bytes(l, t310, sizeof(t310));
        default:
                return new_bytes(l, loc, sizeof(loc));
        }
}

static size_t
new_code(struct pyimage *l, size_t type, const char *name, const char *qualname, size_t file,
         int firstlineno, bool method)
{
        const struct py_offsets *o = l->o;
        static const char *const plain[] = { "x", "y" };
        static const char *const self[] = { "self", "__tracebackhide__" };
        uint32_t f[] = { o->object.ob_type, o->code.argcount,  o->code.firstlineno,
                         o->code.filename,  o->code.name,      o->code.qualname,
                         o->code.linetable, o->code.varnames,  o->code.localsplusnames };
        size_t sname = new_str(l, name, method ? STR_UCS2 : STR_ASCII);
        size_t squal = new_str(l, qualname, STR_ASCII);
        size_t table = new_linetable(l);
        size_t names = new_names(l, method ? self : plain, 2);
        size_t size = span(f, ARRAY_SIZE(f), 0);
        if (o->code.code_adaptive != OFF_NONE)
                size = MAX(size, o->code.code_adaptive + 64); /* the bytecode, inline */
        size_t off = alloc(l, size);

        put(l, off, o->object.ob_refcnt, 1, 8);
        put(l, off, o->object.ob_type, pyimage_addr(type), 8);
        put(l, off, o->code.argcount, method ? 1 : 0, 4);
        put(l, off, o->code.firstlineno, (uint64_t)firstlineno, 4);
        put(l, off, o->code.filename, pyimage_addr(file), 8);
        put(l, off, o->code.name, pyimage_addr(sname), 8);
        put(l, off, o->code.qualname, pyimage_addr(squal), 8);
        put(l, off, o->code.linetable, pyimage_addr(table), 8);
        put(l, off, o->code.varnames != OFF_NONE ? o->code.varnames : o->code.localsplusnames,
            pyimage_addr(names), 8);
        return off;
}

/* One frame of @code at instruction @k, called by @prev (0: none), with @self as its first
 * local; ≥3.11 @owner as _PyInterpreterFrame.owner (3: a C-stack shim; owner_bottom and, 3.11,
 * is_entry: the bottom frame of the thread). ≤3.10 frames are executing, no generator's. */
static size_t
new_frame(struct pyimage *l, size_t prev, size_t code, int k, size_t self, uint8_t owner)
{
        const struct py_offsets *o = l->o;
        size_t off;

        if (o->frame_model == PY_FRAMES_OBJECT) {
                uint32_t f[] = { o->frameobj.back,       o->frameobj.code, o->frameobj.lasti,
                                 o->frameobj.localsplus, o->frameobj.gen,  o->frameobj.state };
                off = alloc(l, span(f, ARRAY_SIZE(f), 0));
                put(l, off, o->frameobj.back, prev ? pyimage_addr(prev) : 0, 8);
                put(l, off, o->frameobj.code, pyimage_addr(code), 8);
                put(l, off, o->frameobj.lasti,
                    (uint64_t)(o->linetable == PY_LINES_310 ? k : 2 * k), 4);
                put(l, off, o->frameobj.localsplus, self ? pyimage_addr(self) : 0, 8);
                put(l, off, o->frameobj.state, o->frameobj.state_executing, 1);
                return off;
        }
        uint32_t f[] = { o->iframe.previous, o->iframe.code,       o->iframe.instr,
                         o->iframe.owner,    o->iframe.localsplus, o->iframe.is_entry };
        off = alloc(l, span(f, ARRAY_SIZE(f), 0));
        put(l, off, o->iframe.previous, prev ? pyimage_addr(prev) : 0, 8);
        put(l, off, o->iframe.instr, pyimage_addr(code) + o->code.code_adaptive + 2 * (uint64_t)k, 8);
        put(l, off, o->iframe.localsplus, self ? pyimage_addr(self) : 0, 8);
        /* ≥3.14 f_executable is a _PyStackRef: set a tag bit for the mask to clear */
        put(l, off, o->iframe.code, pyimage_addr(code) | (o->stackref_mask != ~0ULL), 8);
        put(l, off, o->iframe.owner, owner, 1);
        if (!prev)
                put(l, off, o->iframe.is_entry, 1, 1);
        return off;
}

static size_t
new_tstate(struct pyimage *l, size_t interp, size_t next, size_t frame, size_t pthread,
           int32_t tid)
{
        const struct py_offsets *o = l->o;
        uint32_t f[] = { o->tstate.next,      o->tstate.interp,
                         o->tstate.frame,     o->tstate.cframe,
                         o->tstate.thread_id, o->tstate.native_thread_id,
                         o->tstate.base_frame };
        size_t cframe = 0;

        if (o->tstate.cframe != OFF_NONE) {
                cframe = alloc(l, o->tstate.cframe_frame + 8);
                put(l, cframe, o->tstate.cframe_frame, pyimage_addr(frame), 8);
        }
        size_t off = alloc(l, span(f, ARRAY_SIZE(f), 0));
        put(l, off, o->tstate.next, next ? pyimage_addr(next) : 0, 8);
        put(l, off, o->tstate.interp, pyimage_addr(interp), 8);
        put(l, off, o->tstate.frame, pyimage_addr(frame), 8);
        put(l, off, o->tstate.cframe, cframe ? pyimage_addr(cframe) : 0, 8);
        put(l, off, o->tstate.thread_id, pyimage_addr(pthread), 8);
        put(l, off, o->tstate.native_thread_id, (uint64_t)tid, 4);
        return off;
}

void
pyimage_build(struct pyimage *l, const struct py_offsets *o)
{
        uint32_t rt[] = { o->runtime.interpreters_head };
        uint32_t in[] = { o->interp.next, o->interp.threads_head, o->interp.id };

        memset(l, 0, sizeof(*l));
        l->o = o;
        size_t runtime = alloc(l, span(rt, ARRAY_SIZE(rt), 16));
        size_t interp = alloc(l, span(in, ARRAY_SIZE(in), 0));
        size_t code_type = new_type(l, "code");
        size_t klass = new_type(l, "app.Handler");
        size_t self = alloc(l, o->object.ob_type + 8);
        put(l, self, o->object.ob_type, pyimage_addr(klass), 8);
        size_t file = new_str(l, "/app/main.py",
                              o->frame_model == PY_FRAMES_OBJECT ? STR_LEGACY : STR_ASCII);
        size_t outer = new_code(l, code_type, "<module>", "<module>", file, 1, false);
        size_t inner = new_code(l, code_type, "work", "work", file, 10, false);
        size_t method = new_code(l, code_type, "handle", "Handler.handle", file, 20, true);
        /* glibc's struct pthread, where ≤3.10's TID is found: the main thread's is the pid (0) */
        size_t pthread = alloc(l, 2048);
        l->main_ident = pyimage_addr(pthread);
        memset(l->buf + pthread, 0xff, 2048);
        put(l, pthread, 720, 0, 4);

        /* a thread's stack starts at an entry frame owned by the C stack or the interpreter
         * (owner_bottom, 3.12+), or at a Python frame (3.11: is_entry, owner_bottom; ≤3.10:
         * executing); 3.11's f0 is left unlinked, so that objects keep their indexes */
        bool shims = o->frame_model == PY_FRAMES_INTERP;
        bool entry_frames = shims && o->iframe.is_entry == OFF_NONE;
        uint8_t bottom = shims ? (uint8_t)o->iframe.owner_bottom : 0;
        size_t f0 = shims ? new_frame(l, 0, outer, 0, 0, entry_frames ? bottom : 3) : 0;
        size_t f1 = new_frame(l, entry_frames ? f0 : 0, outer, 3, 0, entry_frames ? 0 : bottom);
        size_t f2 = new_frame(l, f1, inner, 1, 0, 0);
        size_t f3 = new_frame(l, f2, method, 2, self, 0);
        size_t g1 = new_frame(l, 0, inner, 4, 0, entry_frames ? 0 : bottom);
        size_t t2 = new_tstate(l, interp, 0, g1, pthread, 4242);
        size_t t1 = new_tstate(l, interp, 0, f3, pthread, 0);
        /* the main thread is the oldest, last in the list (new threads are pushed at the head) */
        put(l, t2, o->tstate.next, pyimage_addr(t1), 8);
        put(l, runtime, o->runtime.interpreters_head, pyimage_addr(interp), 8);
        put(l, interp, o->interp.threads_head, pyimage_addr(t2), 8);
        /* the second thread's own struct pthread (TID 4242 where the main one has the pid), left
         * out of obj[] so that the fuzzer's inputs keep naming the objects they named before */
        size_t n_objs = l->n_objs;
        size_t pthread2 = alloc(l, 2048);
        l->n_objs = n_objs;
        memset(l->buf + pthread2, 0xff, 2048);
        put(l, pthread2, 720, 4242, 4);
        put(l, t2, o->tstate.thread_id, pyimage_addr(pthread2), 8);
        l->other_ident = pyimage_addr(pthread2);
        /* the second thread's entry frame (3.12+), likewise left out */
        size_t g0 = 0;
        if (entry_frames) {
                g0 = new_frame(l, 0, outer, 0, 0, bottom);
                l->n_objs = n_objs;
                put(l, g1, o->iframe.previous, pyimage_addr(g0), 8);
        }
        /* 3.15: where each thread's walk must end */
        put(l, t1, o->tstate.base_frame, pyimage_addr(entry_frames ? f0 : f1), 8);
        put(l, t2, o->tstate.base_frame, pyimage_addr(entry_frames ? g0 : g1), 8);
        /* memory is mapped in whole pages, and the walker reads frames a page at a time */
        grow(l, (l->len + 4095) & ~(size_t)4095);
}

const struct py_offsets *
pyimage_table(unsigned i, uint32_t *ret_version)
{
        static const uint8_t *const dbg[] = { dbg_313, dbg_314, dbg_315 };
        static const size_t dbg_len[] = { sizeof(dbg_313), sizeof(dbg_314), sizeof(dbg_315) };
        static const uint32_t dbg_version[] = { 0x030d00f0, 0x030e0af0, 0x030f02f0 };
        static struct py_offsets from_dbg[3];
        static bool have[3];

        if (i < 5) {
                if (ret_version)
                        *ret_version = (0x0308u + i) << 16;
                return symbols_table_for((0x0308u + i) << 16);
        }
        i -= 5;
        if (!have[i]) {
                if (symbols_debug_offsets(dbg[i], dbg_len[i], &from_dbg[i]) < 0)
                        abort();
                have[i] = true;
        }
        if (ret_version)
                *ret_version = dbg_version[i];
        return &from_dbg[i];
}

void
pyimage_release(struct pyimage *l)
{
        free(l->buf);
        l->buf = NULL;
        l->len = l->cap = 0;
}

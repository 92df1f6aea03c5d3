/* The stack walker: runtime → interpreters → thread states → frames → code objects.
 * Everything read here races with the running interpreter (non-blocking by default), so every
 * value is validated: bounded lists, frame chains checked for cycles (Brent) and capped,
 * code objects checked against PyCode_Type, strings and tables bounded. A thread whose walk
 * fails is dropped and counted, never reported half-read.
 * Code objects are cached by address and the (code, instruction) → frame-id mapping is
 * memoised, so a steady-state sample costs the reads of the frames themselves (a few pages). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "internal.h"

/* Caches keyed by remote address are dropped after this many walks, so that a code object
 * freed and replaced by another at the same address is picked up (exec'd and lambda code). */
#define FLUSH_EVERY_WALKS 65536
/* The runtime's interpreter list and each interpreter's thread-list head are re-read at most
 * this long apart (and after any walk that dropped a thread): they change only when a thread
 * or interpreter starts, and at the highest rates they were 2-3 of a sample's 7-8 iovecs
 * (3.13+ keeps threads.head and next 7,000 bytes apart). A thread that starts shows up at most
 * this late; one that ends has cleared its frame pointer, or its walk fails and the lists are
 * read afresh. */
#define LIST_TTL_NS 1000000
/* A torn thread walk is read afresh, each time from one process_vm_readv of every piece the
 * torn walk used (rmem_cache_reset()), up to this many times. A torn walk met a piece that
 * the last walk did not use, most often a generator frame created since, read on its own a
 * few microseconds after the rest: the two instants disagree. Each reading adds the pieces it
 * met, so the next one is a single instant more often. Flask's test client on Debian 3.11
 * (bench/fidelity.py): 11-21 % of the samples dropped with one reading afresh, 2-3 % with
 * three, 0.1-0.3 % with five (2026-12-07). A reading costs 5-10 us; the round's budget keeps a
 * target of many torn threads from multiplying it. */
#define MAX_REREADS 5
#define REREADS_PER_ROUND 16
/* a resolved frame to leave out (a shim) */
#define NO_FRAME UINT32_MAX
/* code_index value of an entry whose address now holds another object */
#define CODE_STALE UINT64_MAX

/* A torn read, and why (the drop causes in walk_stats). @return -EAGAIN */
static int
torn(struct target *t, enum walk_torn why)
{
        t->torn_why = why;
        return -EAGAIN;
}

const char *
walk_torn_name(enum walk_torn why)
{
        static const char *const names[TORN_N] = {
                [TORN_TSTATE] = "thread state",
                [TORN_CFRAME] = "cframe",
                [TORN_FRAME_READ] = "frame unreadable",
                [TORN_CHAIN] = "cycle or depth",
                [TORN_POPPED_LIVE] = "returned below running",
                [TORN_CUT] = "cut",
                [TORN_BOTTOM] = "bottom unconfirmed",
                [TORN_GEN_CODE] = "generator: code unknown",
                [TORN_GEN_NO_LINK] = "generator: no caller known",
                [TORN_GEN_CHANGED] = "generator: caller changed",
                [TORN_GEN_NOT_IN_MEMO] = "generator: consumer not in last walk",
                [TORN_POPPED_CODE] = "returned frame's code",
                [TORN_CODE] = "code object",
                [TORN_NAME] = "position or class",
                [TORN_OTHER] = "other",
                [TORN_LISTS] = "lists (whole walk)",
        };
        return (unsigned)why < TORN_N ? names[why] : "?";
}

static uint64_t
str_hash(const char *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
        return h | 1;
}

static void
code_info_release(struct code_info *c)
{
        free(c->function);
        free(c->file);
        free(c->class_name);
        free(c->linetable);
}

void
walker_flush_caches(struct target *t)
{
        for (size_t i = 0; i < t->n_memos; i++)
                t->memos[i].n = 0; /* they hold code indexes */
        for (size_t i = 0; i < t->n_codes; i++)
                code_info_release(&t->codes[i]);
        t->n_codes = 0;
        t->n_ranges = 0;
        t->n_ranged = 0;
        u64map_clear(&t->code_index);
        u64map_clear(&t->frame_index);
        u64map_clear(&t->type_index);
        u64map_clear(&t->ns_tids); /* a container's TIDs are reused by later threads */
        u64map_clear(&t->slot_code);
        u64map_clear(&t->slot_addrq);
        u64map_clear(&t->last_id);
        u64map_clear(&t->entry_top);
        u64map_clear(&t->class_frame_index);
        u64map_clear(&t->class_ok);
        for (size_t i = 0; i < t->n_types; i++)
                free(t->types[i].name);
        t->n_types = 0;
        t->walks_since_flush = 0;
}

void
walker_release(struct target *t)
{
        walker_flush_caches(t);
        free(t->codes);
        free(t->ranges);
        free(t->types);
        for (size_t i = 0; i < t->n_memos; i++) {
                free(t->memos[i].raw);
                free(t->memos[i].ids);
                free(t->memos[i].links);
        }
        free(t->memos);
        for (size_t i = 0; i < t->n_frames; i++) {
                free(t->frames[i].info);
                free(t->frames[i].class_name);
        }
        free(t->frames);
        u64map_release(&t->code_index);
        u64map_release(&t->frame_index);
        u64map_release(&t->type_index);
        u64map_release(&t->class_frame_index);
        u64map_release(&t->class_ok);
        u64map_release(&t->info_index);
        u64map_release(&t->ns_tids);
        u64map_release(&t->slot_code);
        u64map_release(&t->slot_addrq);
        u64map_release(&t->last_id);
        u64map_release(&t->entry_top);
}

/* ---- code objects ------------------------------------------------------------------------------
 */

/* The class part of a qualified name: "A.f" → "A", "m.<locals>.B.f" → "B", "f" or
 * "g.<locals>.f" → none. */
static char *
class_from_qualname(const char *q)
{
        const char *last = strrchr(q, '.');
        if (!last || last == q)
                return NULL;
        const char *start = last;
        while (start > q && start[-1] != '.')
                start--;
        if (last - start == 8 && !strncmp(start, "<locals>", 8))
                return NULL;
        return xstrndup(start, (size_t)(last - start));
}

/* Scan the local-names tuple at @tuple: is its first name "self"/"cls", and is
 * "__tracebackhide__" among them (pyinstrument's frame-info rules, spec §1.3). Only names of
 * the right length are read in full. */
static int
scan_local_names(
        struct target *t, uint64_t tuple, bool want_first, int *ret_self_kind, bool *ret_tbhide)
{
        const struct py_offsets *o = &t->off;
        uint8_t hdr[64];
        uint64_t n;
        int r;

        *ret_self_kind = 0;
        *ret_tbhide = false;
        if (!tuple)
                return 0;
        if (o->tuple.ob_item > sizeof(hdr))
                return -EBADMSG;
        r = rmem_read(t->mem, tuple, o->tuple.ob_item, hdr);
        if (r < 0)
                return r;
        n = rd_u64(hdr, o->tuple.ob_item, o->tuple.ob_size);
        if (n > MAX_TUPLE)
                return -EBADMSG;
        if (!n)
                return 0;
        _cleanup_free_ uint64_t *items = xmalloc(n * 8);
        r = rmem_read(t->mem, tuple + o->tuple.ob_item, n * 8, items);
        if (r < 0)
                return r;
        for (uint64_t i = 0; i < n; i++) {
                uint8_t sh[64];
                uint64_t len;
                if (o->unicode.ascii_size > sizeof(sh))
                        return -EBADMSG;
                if (rmem_read(t->mem, items[i], o->unicode.ascii_size, sh) < 0)
                        continue;
                len = rd_u64(sh, o->unicode.ascii_size, o->unicode.length);
                if ((i == 0 && want_first && (len == 4 || len == 3)) || len == 17) {
                        struct pystr s;
                        if (pystr_read(t->mem, o, items[i], &s) < 0)
                                continue;
                        if (i == 0 && want_first && !strcmp(s.s, "self"))
                                *ret_self_kind = 1;
                        else if (i == 0 && want_first && !strcmp(s.s, "cls"))
                                *ret_self_kind = 2;
                        if (!strcmp(s.s, "__tracebackhide__"))
                                *ret_tbhide = true;
                        free(s.s);
                }
        }
        return 0;
}

/* What must not change while a code object lives at an address: its type, name, file, first
 * line and line table. A different object reusing the address differs here. */
static uint64_t
code_fingerprint(const struct target *t, const uint8_t *buf)
{
        const struct py_offsets *o = &t->off;
        uint64_t v[] = { rd_u64(buf, t->code_len, o->object.ob_type),
                         rd_u64(buf, t->code_len, o->code.name),
                         rd_u64(buf, t->code_len, o->code.filename),
                         rd_u64(buf, t->code_len, o->code.linetable),
                         rd_u32(buf, t->code_len, o->code.firstlineno) };
        uint64_t h = 0;
        for (size_t i = 0; i < ARRAY_SIZE(v); i++)
                h = u64_hash(h ^ v[i]);
        return h;
}

/* Without symbols (_PyRuntime found by its cookie) PyCode_Type's address is unknown: take the
 * type of the first code object read, once its tp_name says "code" (Objects/codeobject.c). */
static int
learn_code_type(struct target *t, uint64_t type)
{
        uint64_t name_ptr;
        char name[5];
        int r;

        if (!type || (type & 7))
                return -EAGAIN;
        r = rmem_read(t->mem, type + t->off.type.tp_name, sizeof(name_ptr), &name_ptr);
        if (r == 0)
                r = rmem_read(t->mem, name_ptr, sizeof(name), name);
        if (r < 0)
                return r == -EFAULT ? -EAGAIN : r;
        if (memcmp(name, "code", sizeof(name)) != 0)
                return -EAGAIN;
        t->loc.code_type = type;
        return 0;
}

/* Could @s be a code object's co_name? Compiled code names are identifiers or "<module>",
 * "<lambda>", "<genexpr>"...: never empty, no control character, and no U+FFFD (what
 * pystr_to_utf8() makes of a lone surrogate, and not an identifier character). An empty or
 * garbled name comes from a code object read while freed or reused. */
static bool
code_name_sane(const char *s)
{
        if (!*s)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xef && p[1] == 0xbf && p[2] == 0xbd))
                        return false;
        return true;
}

static int
read_code(struct target *t, uint64_t addr, struct code_info *ret)
{
        const struct py_offsets *o = &t->off;
        uint8_t buf[512];
        struct pystr name = { 0 }, file = { 0 }, qual = { 0 };
        int r, argcount;

        if (t->code_len > sizeof(buf))
                return -EBADMSG;
        r = rmem_read(t->mem, addr, t->code_len, buf);
        if (r < 0)
                return r;
        if (!t->loc.code_type) {
                r = learn_code_type(t, rd_u64(buf, t->code_len, o->object.ob_type));
                if (r < 0)
                        return r;
        }
        if (rd_u64(buf, t->code_len, o->object.ob_type) != t->loc.code_type)
                return -EAGAIN; /* not a code object: a torn frame or a reused address */
        if (!pyobj_alive(rd_u64(buf, t->code_len, o->object.ob_refcnt)))
                return -EAGAIN; /* a freed one: its names may be freed and reused too */
        memset(ret, 0, sizeof(*ret));
        ret->addr = addr;
        ret->fingerprint = code_fingerprint(t, buf);
        ret->checked_walk = t->walk_no;
        ret->stale = false;
        ret->firstlineno = (int)rd_u32(buf, t->code_len, o->code.firstlineno);
        argcount = (int)rd_u32(buf, t->code_len, o->code.argcount);
        if (o->code.code_adaptive != OFF_NONE) {
                uint64_t units = rd_u64(buf, t->code_len, o->tuple.ob_size);
                ret->code_units = units < MAX_CODE_BYTES ? (uint32_t)units : 0;
        }
        if (o->code.nlocalsplus != OFF_NONE && o->code.stacksize != OFF_NONE &&
            o->iframe.localsplus != OFF_NONE) {
                int32_t nl = (int32_t)rd_u32(buf, t->code_len, o->code.nlocalsplus);
                int32_t ss = (int32_t)rd_u32(buf, t->code_len, o->code.stacksize);
                if (nl >= 0 && ss >= 0 && nl < (1 << 20) && ss < (1 << 20))
                        ret->frame_words = (uint32_t)(nl + ss) + o->iframe.localsplus / 8;
        }
        if (ret->firstlineno < 0 || argcount < 0)
                return -EAGAIN;
        r = pystr_read(t->mem, o, rd_u64(buf, t->code_len, o->code.name), &name);
        if (r < 0)
                goto fail;
        r = pystr_read(t->mem, o, rd_u64(buf, t->code_len, o->code.filename), &file);
        if (r < 0)
                goto fail;
        if (!code_name_sane(name.s) || !*file.s) {
                r = -EAGAIN;
                goto fail;
        }
        ret->function = TAKE_PTR(name.s);
        ret->file = TAKE_PTR(file.s);
        /* 3.13+ CALL_ALLOC_AND_ENTER_INIT runs __init__ under a shim frame of the static code
         * object _Py_InitCleanup, named "__init__" in file "__init__" (Python/specialize.c).
         * It is marked CO_NO_MONITORING_EVENTS, so pyinstrument never sees it: neither do we.
         * 3.12's entry frames run the code "<interpreter trampoline>" of file "<shim>"
         * (Python/pylifecycle.c, Objects/codeobject.c _Py_MakeShimCode); they are owned by the
         * C stack and skipped as such, but the entry frame is rewritten on the C stack at each
         * call, so a torn read can see its owner byte stale (the 60 s stress run did). */
        ret->shim = (!strcmp(ret->function, "__init__") && !strcmp(ret->file, "__init__")) ||
                    (!strcmp(ret->function, "<interpreter trampoline>") &&
                     !strcmp(ret->file, "<shim>"));
        r = pybytes_read(t->mem, o, rd_u64(buf, t->code_len, o->code.linetable), &ret->linetable,
                         &ret->linetable_len);
        if (r < 0)
                goto fail;

        uint32_t names_off =
                o->code.varnames != OFF_NONE ? o->code.varnames : o->code.localsplusnames;
        int self_kind = 0;
        r = scan_local_names(t, rd_u64(buf, t->code_len, names_off), argcount > 0, &self_kind,
                             &ret->tbhide);
        if (r < 0)
                goto fail;
        /* type(self) / cls is read from the frame's first local, per sample, as pyinstrument
         * does; ≥3.11 a self captured by a closure is a cell there (MAKE_CELL), and then
         * co_qualname's class (the defining one) stands in */
        ret->self_kind = self_kind;
        if (self_kind && o->code.qualname != OFF_NONE &&
            pystr_read(t->mem, o, rd_u64(buf, t->code_len, o->code.qualname), &qual) == 0) {
                ret->class_name = class_from_qualname(qual.s);
                free(qual.s);
        }
        /* the code object did not change (freed, reused) while its names were read */
        r = rmem_read(t->mem, addr, t->code_len, buf);
        if (r < 0)
                goto fail;
        if (code_fingerprint(t, buf) != ret->fingerprint ||
            !pyobj_alive(rd_u64(buf, t->code_len, o->object.ob_refcnt))) {
                r = -EAGAIN;
                goto fail;
        }
        return 0;
fail:
        free(name.s);
        free(file.s);
        code_info_release(ret);
        memset(ret, 0, sizeof(*ret));
        return r == -EBADMSG ? -EAGAIN : r;
}

static int
code_lookup(struct target *t, uint64_t addr, uint32_t *ret_idx)
{
        uint64_t v;
        int r;

        if (u64map_get(&t->code_index, addr, &v) && v != CODE_STALE) {
                *ret_idx = (uint32_t)v;
                return 0;
        }
        xgrow(&t->codes, &t->cap_codes, t->n_codes + 1, sizeof(*t->codes));
        r = read_code(t, addr, &t->codes[t->n_codes]);
        if (r < 0)
                return r;
        u64map_put(&t->code_index, addr, t->n_codes);
        *ret_idx = (uint32_t)t->n_codes++;
        return 0;
}

/* ---- frame ids ----------------------------------------------------------------------------- */

static uint32_t
intern_info(struct target *t,
            const char *info,
            size_t len,
            uint32_t code,
            int line,
            const char *class_name)
{
        uint64_t h = str_hash(info, len), v;

        for (;; h = (h + 2) | 1) {
                if (!u64map_get(&t->info_index, h, &v))
                        break;
                if (t->frames[v].len == len && !memcmp(t->frames[v].info, info, len))
                        return (uint32_t)v;
        }
        xgrow(&t->frames, &t->cap_frames, t->n_frames + 1, sizeof(*t->frames));
        struct frame_rec *f = &t->frames[t->n_frames];
        f->info = xmalloc(len + 1);
        memcpy(f->info, info, len);
        f->info[len] = '\0';
        f->len = len;
        f->code = code;
        f->line = line;
        f->class_name = class_name ? xstrdup(class_name) : NULL;
        u64map_put(&t->info_index, h, t->n_frames);
        return (uint32_t)t->n_frames++;
}

static uint32_t
make_frame(struct target *t, uint32_t code_idx, int line, const char *class_name)
{
        const struct code_info *c = &t->codes[code_idx];
        size_t cap =
                strlen(c->function) + strlen(c->file) + 64 + (class_name ? strlen(class_name) : 0);
        _cleanup_free_ char *buf = xmalloc(cap);
        int n = snprintf(buf, cap, "%s%c%s%c%d", c->function, 0, c->file, 0, c->firstlineno);

        if (class_name)
                n += snprintf(buf + n, cap - (size_t)n, "\001c%s", class_name);
        if (line >= 1)
                n += snprintf(buf + n, cap - (size_t)n, "\001l%d", line);
        if (c->tbhide)
                n += snprintf(buf + n, cap - (size_t)n, "\001h1");
        return intern_info(t, buf, (size_t)n, code_idx, line, class_name);
}

/* What pyinstrument names a method by (spec §1.3): the bare name of type(self), or of cls
 * when it is a type (_PyType_Name), read from the frame's first local @obj.
 * @return SELF_CLASS with *ret_idx its index in t->types (cached by type address);
 * SELF_NONE no class (self deleted, cls not a type); SELF_CELL ≥3.11 self is a cell
 * (captured by a closure); -errno. */
enum { SELF_CLASS, SELF_NONE, SELF_CELL };

/* A type's tp_name as CPython makes them: a non-empty C string of valid UTF-8 without control
 * characters (Objects/typeobject.c takes it from __qualname__, a str). Anything else was read
 * from a freed or reused object. */
static bool
class_name_valid(const char *s)
{
        const uint8_t *p = (const uint8_t *)s;

        if (!*p)
                return false;
        while (*p) {
                int n = *p < 0x80             ? 1
                        : (*p & 0xe0) == 0xc0 ? 2
                        : (*p & 0xf0) == 0xe0 ? 3
                        : (*p & 0xf8) == 0xf0 ? 4
                                              : 0;
                if (!n || *p < 0x20 || *p == 0x7f || (n == 2 && *p < 0xc2))
                        return false;
                for (int i = 1; i < n; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += n;
        }
        return true;
}

/* The index in t->types of the bare name of type object @type, read once per type
 * address. @return 0; -EINVAL not a type's name; -EAGAIN, -errno unreadable. */
static int
type_name_index(struct target *t, uint64_t type, uint64_t *ret)
{
        const struct py_offsets *o = &t->off;
        uint64_t name_ptr;
        char name[256];
        int r;

        if (u64map_get(&t->type_index, type, ret))
                return 0;
        if (!type || (type & 7))
                return -EINVAL;
        r = rmem_read_cached(t->mem, type + o->type.tp_name, 8, &name_ptr);
        if (r < 0)
                return r == -EFAULT ? -EAGAIN : r;
        /* tp_name is a C string; read what we can up to the end of its page */
        size_t room = 4096 - (name_ptr & 4095);
        size_t len = MIN(room, sizeof(name) - 1);
        r = rmem_read(t->mem, name_ptr, len, name);
        if (r < 0)
                return r == -EFAULT ? -EAGAIN : r;
        name[len] = '\0';
        if (strlen(name) >= len && len == sizeof(name) - 1)
                return -EAGAIN;
        if (!class_name_valid(name))
                return -EINVAL;
        const char *dot = strrchr(name, '.');
        xgrow(&t->types, &t->cap_types, t->n_types + 1, sizeof(*t->types));
        t->types[t->n_types] = (struct type_rec){ xstrdup(dot ? dot + 1 : name), type };
        *ret = t->n_types++;
        u64map_put(&t->type_index, type, *ret);
        return 0;
}

static int
self_class_name(struct target *t, uint64_t obj, int self_kind, uint64_t *ret_idx)
{
        const struct py_offsets *o = &t->off;
        uint64_t type, v;
        int r;

        if (!obj)
                return SELF_NONE;
        r = rmem_read_cached(t->mem, obj + o->object.ob_type, 8, &type);
        if (r < 0)
                return r;
        if (self_kind == 2) {
                /* cls: use it only if it is a type (Py_TPFLAGS_TYPE_SUBCLASS, Include/object.h) */
                uint64_t flags;
                r = rmem_read_cached(t->mem, type + o->type.tp_flags, 8, &flags);
                if (r < 0)
                        return r;
                if (!(flags & (1ULL << 31)))
                        return SELF_NONE;
                type = obj;
        } else if (!u64map_get(&t->type_index, type, &v)) {
                /* self's type, read while the frame may be half set up or its first local
                 * already gone: before its name is cached for good, check that it is a type
                 * (its own type is a metatype: Py_TPFLAGS_TYPE_SUBCLASS, Include/object.h) */
                uint64_t meta, flags;
                /* not a type: no class for this frame, rather than a dropped sample (a drop
                 * would take the time from whatever runs while self is being set up) */
                if (!type || (type & 7))
                        return SELF_NONE;
                r = rmem_read_cached(t->mem, type + o->object.ob_type, 8, &meta);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (r < 0 || !meta || (meta & 7))
                        return SELF_NONE;
                r = rmem_read_cached(t->mem, meta + o->type.tp_flags, 8, &flags);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (r < 0 || !(flags & (1ULL << 31)))
                        return SELF_NONE;
        }
        r = type_name_index(t, type, &v);
        if (r < 0)
                return r == -EINVAL ? SELF_NONE : r;
        /* PyCell_Type's tp_name (Objects/cellobject.c) */
        if (self_kind == 1 && !strcmp(t->types[v].name, "cell"))
                return SELF_CELL;
        *ret_idx = v;
        return SELF_CLASS;
}

/* ≤3.10: does class @type's __dict__ hold the method @fname (its private name mangled with the
 * class's name, as the compiler does)? */
static int
type_defines(struct target *t, uint64_t type, const char *tname, const char *fname)
{
        struct dict_view d;
        uint64_t dict, value;
        char mangled[512];
        int r;

        if (rmem_read_cached(t->mem, type + t->off.type.tp_dict, 8, &dict) < 0)
                return -EAGAIN;
        if (!dict)
                return 1; /* not a ready type (PyType_Ready() makes every one's): unchecked */
        if ((dict & 7) || pydict_view(t, dict, &d) < 0)
                return -EAGAIN;
        size_t n = strlen(fname);
        if (n > 2 && !strncmp(fname, "__", 2) && strcmp(fname + n - 2, "__") != 0) {
                tname += strspn(tname, "_");
                snprintf(mangled, sizeof(mangled), "_%s%s", tname, fname);
                fname = mangled;
        }
        r = pydict_find_str(t, &d, fname, &value);
        return r == 0 ? 1 : r == -ENOENT ? 0 : r == -ESRCH || r == -EPERM ? r : -EAGAIN;
}

/* Does types[@cls] (self's class) or one of its bases (tp_mro, Objects/typeobject.c)
 * own the method @code_idx: ≥3.11 is it the class named in its co_qualname, ≤3.10 does it
 * define a method of its name? A method runs on an instance of its class or of a subclass; a
 * self of another class was read from an object freed and reused after the frame was copied
 * (jinja2's Parser, dropped and its memory given to a CodeGenerator: 1.8 % of a Flask run named
 * CodeGenerator.parse, and the outer frames of later walks, resolved from the previous one's,
 * kept the name). Answers are cached by (code, class): types live long. A type without an
 * MRO (not made ready), or a bigger MRO than we read, is taken as yes. @return 1 yes, 0 no,
 * -EAGAIN unreadable. */
static int
class_has_base(struct target *t, uint32_t code_idx, uint64_t cls)
{
        const struct py_offsets *o = &t->off;
        const char *name = t->codes[code_idx].class_name, *fname = t->codes[code_idx].function;
        uint64_t key = ((uint64_t)(code_idx + 1) << 32) | cls, v, mro, n = 0, items[64];

        if (name && !strcmp(t->types[cls].name, name))
                return 1;
        if (u64map_get(&t->class_ok, key, &v))
                return (int)v;
        if (o->type.tp_mro == OFF_NONE || (!name && o->type.tp_dict == OFF_NONE))
                return 1;
        if (rmem_read_cached(t->mem, t->types[cls].addr + o->type.tp_mro, 8, &mro) < 0)
                return -EAGAIN;
        if (mro && ((mro & 7) || rmem_read_cached(t->mem, mro + o->tuple.ob_size, 8, &n) < 0))
                return -EAGAIN;
        v = !mro || n > ARRAY_SIZE(items);
        if (!v && rmem_read_cached(t->mem, mro + o->tuple.ob_item, n * 8, items) < 0)
                return -EAGAIN;
        for (uint64_t i = 0; i < n && !v; i++) {
                uint64_t base;
                int r = type_name_index(t, items[i], &base);
                if (r < 0)
                        return r == -EINVAL ? -EAGAIN : r;
                r = name ? !strcmp(t->types[base].name, name)
                         : type_defines(t, items[i], t->types[base].name, fname);
                if (r < 0)
                        return r;
                v = (uint64_t)r;
        }
        u64map_put(&t->class_ok, key, v);
        return (int)v;
}

/* The frame id for code @code_idx executing at byte offset @addrq (and, with a self/cls first
 * argument, the first local @self_obj). */
static int
frame_id(struct target *t, uint32_t code_idx, int64_t addrq, uint64_t self_obj, uint32_t *ret)
{
        const struct code_info *c = &t->codes[code_idx];
        uint64_t key, v, cls = 0, cv;

        if (addrq < -1)
                addrq = -1;
        if (addrq > 0x7ffffff0)
                return -EAGAIN;
        key = ((uint64_t)(code_idx + 1) << 32) | (uint32_t)(addrq + 1);
        if (!u64map_get(&t->frame_index, key, &v)) {
                int line = linetable_line(t->off.linetable, c->linetable, c->linetable_len,
                                          c->firstlineno, addrq);
                v = make_frame(t, code_idx, line, c->class_name);
                u64map_put(&t->frame_index, key, v);
        }
        if (c->self_kind) {
                int r = self_class_name(t, self_obj, c->self_kind, &cls);
                if (r == SELF_CLASS) {
                        /* no: an object reused since; unreadable: not known either. Neither
                         * drops the sample (a drop would move its time elsewhere) */
                        int k = class_has_base(t, code_idx, cls);
                        if (k == -ESRCH || k == -EPERM)
                                return k;
                        if (k <= 0)
                                r = SELF_NONE;
                }
                if (r < 0)
                        return r;
                /* A self that is no object of a type was mostly freed by the time it was
                 * read: the frame had returned, and the method's caller dropped the object
                 * (difflib's cruncher, a SequenceMatcher made per _fancy_replace call: 14 % of
                 * quick_ratio's samples lost their class on 3.12 and showed as a function of
                 * their own). The class its self had last is taken instead; a self deleted
                 * for good (del self) is then named so too, which is rare. */
                if (r == SELF_CLASS) {
                        t->codes[code_idx].last_class = (uint32_t)cls + 1;
                } else if (r == SELF_NONE && c->last_class) {
                        cls = c->last_class - 1;
                        r = SELF_CLASS;
                }
                /* no class seen before, and none now: the frame as the code names it (≥3.11
                 * by the class that defines the method, from co_qualname). Its self is rarely
                 * gone for good (del self); it was mostly read from an object freed or reused
                 * since, where the sample is taken while the method runs on a live one. */
                if (r == SELF_CELL || r == SELF_NONE) {
                        *ret = (uint32_t)v;
                        return 0;
                }
                /* (frame, class) → frame, so that a sample costs no string work */
                uint64_t ckey = (v + 1) << 32 | cls;
                if (!u64map_get(&t->class_frame_index, ckey, &cv)) {
                        const struct frame_rec *base = &t->frames[v];
                        cv = make_frame(t, code_idx, base->line, t->types[cls].name);
                        u64map_put(&t->class_frame_index, ckey, cv);
                }
                v = cv;
        }
        *ret = (uint32_t)v;
        return 0;
}

/* ---- the walk ------------------------------------------------------------------------------- */

/* ≥3.11: the byte offset of instruction pointer @instr in the bytecode of code object @code
 * (inline at co_code_adaptive), rounded down to a code unit. */
static int64_t
instr_offset(const struct target *t, uint64_t code, uint64_t instr)
{
        return ((int64_t)(instr - (code + t->off.code.code_adaptive)) / 2) * 2;
}

/* ≥3.11: one _PyInterpreterFrame (Include/internal/pycore_frame.h). Frames owned by the C
 * stack or the interpreter are not Python frames: skip owner >= 3, which is 3.12/3.13
 * FRAME_OWNED_BY_CSTACK (shims, entry frames), 3.14 FRAME_OWNED_BY_INTERPRETER = 3 and
 * FRAME_OWNED_BY_CSTACK = 4, 3.15 FRAME_OWNED_BY_INTERPRETER = 3 alone (3.14/3.15
 * Include/internal/pycore_interpframe_structs.h). From 3.14 f_executable is a tagged
 * _PyStackRef: stackref_mask clears the tag bits. @return whether it is a Python frame. */
static bool
decode_iframe(const struct target *t, const uint8_t *buf, struct raw_frame *ret, uint64_t *ret_next)
{
        const struct py_offsets *o = &t->off;
        size_t n = t->iframe_len;

        *ret_next = rd_u64(buf, n, o->iframe.previous);
        if (rd_u8(buf, n, o->iframe.owner) >= 3)
                return false;
        uint64_t code = rd_u64(buf, n, o->iframe.code) & o->stackref_mask;
        uint64_t instr = rd_u64(buf, n, o->iframe.instr);
        *ret = (struct raw_frame){
                .code = code,
                .addrq = code ? instr_offset(t, code, instr) : (int64_t)instr,
                /* a _PyStackRef from 3.14 (Include/internal/pycore_stackref.h) */
                .self_obj = rd_u64(buf, n, o->iframe.localsplus) & o->stackref_mask,
                .gen = rd_u8(buf, n, o->iframe.owner) == o->iframe.owner_generator,
                /* 3.14+ pops a frame by clearing f_executable; its previous stays */
                .popped = !code,
                .entry = o->iframe.is_entry != OFF_NONE && rd_u8(buf, n, o->iframe.is_entry),
        };
        return true;
}

/* ≤3.10: one heap PyFrameObject, linked by f_back (Include/cpython/frameobject.h). f_lasti
 * is a byte offset up to 3.9 and a code-unit index in 3.10 (Objects/lnotab_notes.txt). */
static bool
decode_frameobj(const struct target *t,
                const uint8_t *buf,
                struct raw_frame *ret,
                uint64_t *ret_next)
{
        const struct py_offsets *o = &t->off;
        size_t n = t->iframe_len;
        int32_t lasti = (int32_t)rd_u32(buf, n, o->frameobj.lasti);

        *ret_next = rd_u64(buf, n, o->frameobj.back);
        *ret = (struct raw_frame){
                .code = rd_u64(buf, n, o->frameobj.code),
                .addrq = o->linetable == PY_LINES_310 ? (int64_t)lasti * 2 : lasti,
                .self_obj = rd_u64(buf, n, o->frameobj.localsplus),
                .gen = rd_u64(buf, n, o->frameobj.gen) != 0,
        };
        /* frame_dealloc keeps f_code and f_back of a returned frame but clears its locals, and
         * the eval loop cleared f_executing/f_state (Objects/frameobject.c, Python/ceval.c) */
        ret->popped = !ret->gen && rd_u8(buf, n, o->frameobj.state) != o->frameobj.state_executing;
        return true;
}

/* The iframe_len bytes of the frame at @addr, from the walk's cache (into @buf, at least
 * iframe_len bytes, if not cached whole): *ret points to them. */
static int
frame_peek(struct target *t, uint64_t addr, uint8_t *buf, const void **ret)
{
        int r = rmem_peek_cached(t->mem, addr, t->iframe_len, buf, ret);

        if (r == -EFAULT && t->iframe_hdr_len) {
                /* ≥3.11: a frame without locals at the end of its chunk (self 0) */
                memset(buf, 0, t->iframe_len);
                r = rmem_read_cached(t->mem, addr, t->iframe_hdr_len, buf);
                *ret = buf;
        }
        return r;
}

/* Where a frame chain ended. */
enum chain_end {
        CHAIN_BOTTOM,    /* at the thread's bottom frame: the stack is whole */
        CHAIN_GENERATOR, /* at a generator's frame: suspended after the chain was entered */
        CHAIN_CUT,       /* anywhere else: a frame popped or rewritten while we read */
};

/* Is the frame @buf (at @addr), whose link to its caller is NULL, the bottom of its thread's
 * stack? A suspended generator's frame has a NULL link too (≤3.10 gen_send_ex clears f_back;
 * 3.11 gen_send_ex2 and 3.12+ YIELD_VALUE set previous = NULL): reached through a pointer
 * read before it yielded, its copy ends the chain early, and the callers are lost.
 *   ≤3.9  the bottom frame is executing (f_executing == 1) and no generator's (f_gen NULL);
 *   3.10  the same with f_state == FRAME_EXECUTING;
 *   3.11  owned by the thread and is_entry (a suspended 3.11 generator frame is also is_entry);
 *   3.12+ the outermost eval's entry frame: FRAME_OWNED_BY_CSTACK (3.12/3.13) or
 *         FRAME_OWNED_BY_INTERPRETER (3.14+), and from 3.15 the thread's tstate->base_frame.
 * (Include/cpython/frameobject.h ≤3.10, Include/internal/pycore_frame.h 3.11-3.13,
 * pycore_interpframe_structs.h and cpython/pystate.h 3.14+.) A thread whose bottom frame is
 * a generator driven from C with no Python caller (a finaliser at shutdown, ≤3.11) is lost. */
static enum chain_end
chain_end_at(const struct target *t, const uint8_t *buf, uint64_t addr, uint64_t base_frame)
{
        const struct py_offsets *o = &t->off;
        size_t n = t->iframe_len;

        if (o->frame_model == PY_FRAMES_OBJECT) {
                if (rd_u64(buf, n, o->frameobj.gen))
                        return CHAIN_GENERATOR;
                return rd_u8(buf, n, o->frameobj.state) == o->frameobj.state_executing
                               ? CHAIN_BOTTOM
                               : CHAIN_CUT;
        }
        uint8_t owner = rd_u8(buf, n, o->iframe.owner);
        if (owner == o->iframe.owner_generator)
                return CHAIN_GENERATOR;
        if (base_frame)
                return addr == base_frame ? CHAIN_BOTTOM : CHAIN_CUT;
        if (owner != o->iframe.owner_bottom)
                return CHAIN_CUT;
        if (o->iframe.is_entry != OFF_NONE && !rd_u8(buf, n, o->iframe.is_entry))
                return CHAIN_CUT;
        return CHAIN_BOTTOM;
}

/* Follow the frame chain from @addr into t->raw from index @from (innermost first), for either
 * frame model, and say where it ended (@base_frame: the thread's tstate->base_frame, 0 if
 * unknown); *ret_depth is then the number of frames in t->raw. A cycle, the depth cap or an
 * unreadable frame is a torn read. */
static int
walk_frames(struct target *t,
            uint64_t addr,
            uint64_t base_frame,
            uint32_t from,
            uint32_t *ret_depth,
            enum chain_end *ret_end,
            uint64_t *ret_end_addr)
{
        bool (*decode)(const struct target *, const uint8_t *, struct raw_frame *, uint64_t *) =
                t->off.frame_model == PY_FRAMES_OBJECT ? decode_frameobj : decode_iframe;
        uint8_t buf[512];
        uint32_t depth = from;
        int r;

        if (t->iframe_len > sizeof(buf) || from >= MAX_DEPTH)
                return -EBADMSG;
        /* A cycle is found by Brent's method: compare each address with one saved at the
         * last power-of-two step; it needs no memory, where a hash set of visited addresses
         * cost a cache miss per frame (a third of the walk). Every frame visited, Python or
         * not, counts against the cap. */
        uint64_t saved = 0;
        enum chain_end end = CHAIN_CUT;
        bool live = false;
        for (uint32_t steps = 0; addr; steps++) {
                if (steps >= MAX_DEPTH - from || addr == saved)
                        return torn(t, TORN_CHAIN);
                if ((steps & (steps - 1)) == 0)
                        saved = addr;
                const void *bytes;
                uint64_t here = addr;
                r = frame_peek(t, addr, buf, &bytes);
                if (r < 0)
                        return r == -EFAULT ? torn(t, TORN_FRAME_READ) : r;
                if (decode(t, bytes, &t->raw[depth], &addr)) {
                        /* frames return innermost first: one that returned below one that
                         * runs is a slot reused under us, or a generator that finished after
                         * the frames above it were read: it ends the chain (its link to its
                         * caller cleared), to be repaired as a suspended one (≤3.10
                         * finished_gen(), 3.14+ find_gen_code()) */
                        if (t->raw[depth].popped && live &&
                            !(!addr &&
                              (t->off.frame_model == PY_FRAMES_OBJECT || t->raw[depth].gen)))
                                return torn(t, TORN_POPPED_LIVE);
                        live |= !t->raw[depth].popped;
                        t->raw[depth].addr = here;
                        depth++;
                }
                if (!addr) {
                        end = chain_end_at(t, bytes, here, base_frame);
                        *ret_end_addr = here;
                }
        }
        *ret_depth = depth;
        *ret_end = end;
        return 0;
}

/* A bottom frame not seen at the bottom of the thread's previous walk is read once more, on its
 * own: a frame copied while it was being torn down and set up again (≤3.10 a frame object
 * reused for a new generator: f_back and f_gen read cleared, f_state read running) can pass
 * for one. Bottom frames change only when a thread starts or runs code from C.
 * 3.12-3.14 (no tstate->base_frame): an evaluation loop's entry frame lives on the C stack
 * (_PyEval_EvalFrameDefault's entry_frame, Python/ceval.c). One nested in a running loop has
 * the caller's frame as previous; once its loop returned, the C stack under it is reused, and
 * its memory can read as a bottom frame (owner set, previous NULL) at every reading. pydoc on
 * 3.14 reported 0.5 % of its samples under such a root (a class body, built by
 * __build_class__ from C). So a bottom deeper on the C stack (a lower address) than the one
 * the thread's chains ended at so far is taken only after chains ended at it in
 * DEEPER_BOTTOM_WALKS walks in a row: it is real when the outer loop has returned (exit
 * handlers after the main module), and then its first walks are dropped. Threads stopped
 * (--blocking) are read at one instant: their bottom is always taken. */
#define DEEPER_BOTTOM_WALKS 8
static bool
bottom_confirmed(struct target *t, struct thread_memo *memo, uint64_t addr, uint64_t base)
{
        uint8_t buf[512];
        struct raw_frame f;
        uint64_t next;

        if (memo->n && memo->bottom == addr) {
                memo->deeper_walks = 0;
                return true;
        }
        if (memo->n && !base && !t->n_stopped && t->off.frame_model == PY_FRAMES_INTERP &&
            t->off.iframe.is_entry == OFF_NONE && addr < memo->bottom) {
                if (memo->deeper_bottom != addr) {
                        memo->deeper_bottom = addr;
                        memo->deeper_walks = 0;
                }
                if (memo->deeper_walk_no != t->walk_no) {
                        memo->deeper_walk_no = t->walk_no;
                        memo->deeper_walks++;
                }
                if (memo->deeper_walks < DEEPER_BOTTOM_WALKS)
                        return false;
        }
        if (t->iframe_len > sizeof(buf))
                return false;
        memset(buf, 0, t->iframe_len);
        if (rmem_read(t->mem, addr, t->iframe_len, buf) < 0 &&
            (!t->iframe_hdr_len || rmem_read(t->mem, addr, t->iframe_hdr_len, buf) < 0))
                return false;
        if (t->off.frame_model == PY_FRAMES_OBJECT)
                decode_frameobj(t, buf, &f, &next);
        else
                decode_iframe(t, buf, &f, &next);
        return !next && chain_end_at(t, buf, addr, base) == CHAIN_BOTTOM;
}

static struct thread_memo *
thread_memo(struct target *t, uint64_t tstate)
{
        for (size_t i = 0; i < t->n_memos; i++)
                if (t->memos[i].tstate == tstate)
                        return &t->memos[i];
        /* bounded: a thread-churning target reuses tstate addresses; past the cap, start over */
        if (t->n_memos >= 256) {
                for (size_t i = 0; i < t->n_memos; i++) {
                        free(t->memos[i].raw);
                        free(t->memos[i].ids);
                        free(t->memos[i].links);
                }
                t->n_memos = 0;
        }
        xgrow(&t->memos, &t->cap_memos, t->n_memos + 1, sizeof(*t->memos));
        struct thread_memo *m = &t->memos[t->n_memos++];
        memset(m, 0, sizeof(*m));
        m->tstate = tstate;
        return m;
}

/* A generator frame's link: by address and code (pymalloc gives a generator's address to the
 * next one of the same size, whatever its code), in one of LINK_WAYS slots from its hash, the
 * one used longest ago giving way: with one slot, two of json's encoders colliding (one run
 * in a few) lost the caller of one of them, and 17 % of the walks were read afresh. */
#define LINK_WAYS 4
static struct gen_link *
link_slot(const struct thread_memo *memo, uint64_t addr, uint64_t code, bool take)
{
        uint32_t h = (uint32_t)(u64_hash(addr ^ u64_hash(code)) % MEMO_GEN_LINKS);
        struct gen_link *oldest = NULL;

        for (uint32_t k = 0; memo->links && k < LINK_WAYS; k++) {
                struct gen_link *l = &memo->links[(h + k) % MEMO_GEN_LINKS];
                if (l->addr == addr && l->code == code)
                        return l;
                if (!oldest || l->walk_no < oldest->walk_no)
                        oldest = l;
        }
        return take ? oldest : NULL;
}

/* ≥3.11: is @instr inside the bytecode of code object @code (co_code_adaptive, Py_SIZE(code)
 * code units: PyVarObject.ob_size is at the same offset in every variable-size object)? */
static bool
code_holds(struct target *t, uint64_t code, uint64_t instr)
{
        const struct py_offsets *o = &t->off;
        uint8_t hdr[32];
        uint64_t start = code + o->code.code_adaptive;

        if (!code || (code & 7) || o->code.code_adaptive == OFF_NONE ||
            o->tuple.ob_size + 8 > sizeof(hdr) || o->object.ob_type + 8 > sizeof(hdr) ||
            rmem_read_cached(t->mem, code, sizeof(hdr), hdr) < 0 ||
            rd_u64(hdr, sizeof(hdr), o->object.ob_type) != t->loc.code_type)
                return false;
        uint64_t units = rd_u64(hdr, sizeof(hdr), o->tuple.ob_size);
        return units < MAX_CODE_BYTES && instr >= start && instr < start + 2 * units;
}

static int
cmp_range(const void *a, const void *b)
{
        const struct code_range *x = a, *y = b;

        return x->start < y->start ? -1 : x->start > y->start;
}

/* ≥3.11: the code object whose inline bytecode holds @instr and starts at most CODE_SCAN bytes
 * before it: the nearest word below that is the type word of a live code object that holds
 * it (objects do not overlap), learnt (code_lookup()); 0 if none. One read of CODE_SCAN bytes,
 * once per code object: a function whose frames always return before they are read. */
#define CODE_SCAN 4096
static uint64_t
code_scan_back(struct target *t, uint64_t instr)
{
        const struct py_offsets *o = &t->off;
        uint8_t buf[CODE_SCAN + 16];
        uint32_t idx;

        if (!t->loc.code_type || instr < o->code.code_adaptive + CODE_SCAN)
                return 0;
        uint64_t hi = (instr - o->code.code_adaptive) & ~(uint64_t)7, lo = hi - CODE_SCAN;
        if (rmem_read(t->mem, lo, hi - lo + 16, buf) < 0) {
                lo = hi & ~(uint64_t)4095; /* the page below may be unmapped */
                if (rmem_read(t->mem, lo, hi - lo + 16, buf) < 0)
                        return 0;
        }
        for (uint64_t c = hi; c >= lo; c -= 8) {
                if (rd_u64(buf, sizeof(buf), (uint32_t)(c - lo) + o->object.ob_type) !=
                    t->loc.code_type)
                        continue;
                if (code_holds(t, c, instr) && code_lookup(t, c, &idx) == 0)
                        return c;
                return 0;
        }
        return 0;
}

/* ≥3.11: the code object whose bytecode holds @instr, among those the walker knows, still one
 * (code_holds()), else found before it (code_scan_back()); 0 if none. For a frame known by its
 * instruction pointer alone (3.14+ clears f_executable when it pops a frame, not instr_ptr).
 * The ranges are sorted again when codes were added since: they come in bursts (imports),
 * then rarely. */
static uint64_t
code_by_instr(struct target *t, uint64_t instr)
{
        if (t->n_ranged != t->n_codes) {
                t->n_ranges = 0;
                xgrow(&t->ranges, &t->cap_ranges, t->n_codes, sizeof(*t->ranges));
                for (size_t i = 0; i < t->n_codes; i++) {
                        const struct code_info *c = &t->codes[i];
                        if (!c->code_units || c->stale)
                                continue;
                        uint64_t start = c->addr + t->off.code.code_adaptive;
                        t->ranges[t->n_ranges++] =
                                (struct code_range){ start, start + 2 * (uint64_t)c->code_units,
                                                     (uint32_t)i };
                }
                qsort(t->ranges, t->n_ranges, sizeof(*t->ranges), cmp_range);
                t->n_ranged = t->n_codes;
        }
        size_t lo = 0, hi = t->n_ranges;
        while (lo < hi) { /* the first range starting after instr */
                size_t mid = lo + (hi - lo) / 2;
                if (t->ranges[mid].start <= instr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo && instr < t->ranges[lo - 1].end) {
                const struct code_info *c = &t->codes[t->ranges[lo - 1].idx];
                if (!c->stale && code_holds(t, c->addr, instr))
                        return c->addr;
        }
        return code_scan_back(t, instr);
}

/* Re-read the frame @f was read from: is it still a frame of the same code? Then *ret is it
 * as it is now (its instruction may have moved). */
static bool
frame_still(struct target *t, const struct raw_frame *f, struct raw_frame *ret)
{
        uint8_t buf[512];
        const void *bytes;
        uint64_t next;

        if (t->iframe_len > sizeof(buf) || frame_peek(t, f->addr, buf, &bytes) < 0)
                return false;
        bool python = t->off.frame_model == PY_FRAMES_OBJECT ? decode_frameobj(t, bytes, ret, &next)
                                                             : decode_iframe(t, bytes, ret, &next);
        ret->addr = f->addr;
        /* 3.14+ clears f_executable of a generator's frame when it is freed, not its
         * instruction pointer: one freed since it was seen (json's encoders, a generator per
         * list or dict, made and freed within microseconds) is the same frame if that still
         * points into the code, and the callers seen with it stand. json.tool on 3.14 read
         * 18 % of its thread walks afresh, after the short calls they were in, 9 % with this
         * (5 % with rmem.c's wider prefetch too). */
        if (python && !ret->code && code_holds(t, f->code, (uint64_t)ret->addrq)) {
                ret->code = f->code;
                ret->addrq = instr_offset(t, f->code, (uint64_t)ret->addrq);
                ret->popped = false;
        }
        return python && ret->code == f->code;
}

/* 3.14+ clears the frame of a generator that returned (f_executable NULL, or None while it is
 * being cleared): its code is found among those recent walks saw at its address, as the one
 * whose bytecode its instruction pointer, left alone, points into. */
static bool
find_gen_code(struct target *t, const struct thread_memo *memo, struct raw_frame *g)
{
        uint64_t instr = g->popped ? (uint64_t)g->addrq
                                   : g->code + t->off.code.code_adaptive + (uint64_t)g->addrq;

        if (!g->popped && code_holds(t, g->code, instr))
                return true;
        for (uint32_t i = 0; memo->links && i < MEMO_GEN_LINKS; i++) {
                const struct gen_link *l = &memo->links[i];
                if (l->addr == g->addr && code_holds(t, l->code, instr)) {
                        g->code = l->code;
                        g->addrq = instr_offset(t, l->code, instr);
                        g->popped = false;
                        return true;
                }
        }
        return false;
}

/* The generators of a chain being repaired led to @cur, the frame that resumed them, at
 * t->raw[@depth - 1], not on the thread's previous complete walk (json.dump's loop over its
 * encoder, a new call each document, seen at its first sample inside the encoder). It still
 * runs under them: its callers are read as they are now, and must end at the thread's known
 * bottom frame. @return whether *depth_io is the whole chain. */
static bool
consumer_chain(struct target *t,
               const struct thread_memo *memo,
               uint64_t base_frame,
               const struct raw_frame *cur,
               uint32_t depth,
               uint32_t *depth_io)
{
        enum chain_end end;
        uint64_t bottom = 0;
        uint32_t d;

        if (!memo->bottom ||
            walk_frames(t, cur->addr, base_frame, depth - 1, &d, &end, &bottom) < 0 ||
            end != CHAIN_BOTTOM || bottom != memo->bottom || d < depth ||
            t->raw[depth - 1].code != cur->code || t->raw[depth - 1].popped)
                return false;
        /* its instruction as seen then: where it resumed the generator */
        uint64_t self_now = t->raw[depth - 1].self_obj;
        t->raw[depth - 1] = *cur;
        t->raw[depth - 1].self_obj = self_now;
        *depth_io = d;
        return true;
}

/* ≥3.11: the words a frame of code object @code takes on the data stack, 0 unknown. */
static uint64_t
frame_words(struct target *t, uint64_t code)
{
        uint32_t idx;

        if (code_lookup(t, code, &idx) < 0)
                return 0;
        return t->codes[idx].frame_words;
}

/* The frame the thread runs now, read afresh (tstate->cframe->current_frame 3.11/3.12, else
 * tstate->frame or current_frame): 0 if unknown. */
static uint64_t
current_frame_now(struct target *t, uint64_t tstate)
{
        const struct py_offsets *o = &t->off;
        uint64_t cframe = 0, frame = 0;

        if (o->tstate.cframe == OFF_NONE)
                return rmem_read(t->mem, tstate + o->tstate.frame, 8, &frame) < 0 ? 0 : frame;
        if (rmem_read(t->mem, tstate + o->tstate.cframe, 8, &cframe) < 0 || !cframe ||
            rmem_read(t->mem, cframe + o->tstate.cframe_frame, 8, &frame) < 0)
                return 0;
        return frame;
}

/* Does the frame @f hold the object at @obj among its locals and value stack? ≥3.11 those
 * take the code's co_nlocalsplus + co_stacksize words after the frame header; ≤3.10 a frame
 * object's are its ob_size words at f_localsplus (Objects/frameobject.c _PyFrame_New_NoTrack:
 * PyObject_GC_NewVar(..., co_nlocals + cells + frees + co_stacksize)). */
#define MAX_FRAME_SCAN 4096
static bool
frame_holds(struct target *t, const struct raw_frame *f, uint64_t obj)
{
        const struct py_offsets *o = &t->off;
        uint64_t words[MAX_FRAME_SCAN / 8];
        uint64_t first, n = 0;

        if (o->frame_model == PY_FRAMES_OBJECT) {
                first = o->frameobj.localsplus / 8;
                if (rmem_read_cached(t->mem, f->addr + o->tuple.ob_size, 8, &n) < 0)
                        return false;
                n += first;
        } else {
                first = o->iframe.localsplus / 8;
                n = f->code ? frame_words(t, f->code) : 0;
        }
        if (n <= first || n > MAX_FRAME_SCAN / 8 ||
            rmem_read_cached(t->mem, f->addr + 8 * first, 8 * (n - first), words) < 0)
                return false;
        for (uint64_t i = 0; i < n - first; i++)
                if ((words[i] & o->stackref_mask) == obj)
                        return true;
        return false;
}

/* The generator object whose frame @f is: ≤3.10 its f_gen, 3.11/3.12 the object the frame
 * is embedded in (gi_iframe); 0 if unknown. */
static uint64_t
gen_object(struct target *t, const struct raw_frame *f)
{
        const struct py_offsets *o = &t->off;
        uint64_t gen = 0;

        if (o->frame_model == PY_FRAMES_OBJECT)
                return rmem_read_cached(t->mem, f->addr + o->frameobj.gen, 8, &gen) < 0 ? 0 : gen;
        return o->gen.iframe != OFF_NONE && f->addr > o->gen.iframe ? f->addr - o->gen.iframe : 0;
}

/* 3.11/3.12: a chain that ended at generator G (t->raw[*depth_io - 1]), suspended after the
 * sample's instant: the frame that resumed it holds it on its value stack as long as it
 * iterates it (FOR_ITER and SEND keep the iterator there), so it is the innermost frame of the
 * thread's chain as it is now that holds G's object; its part of that chain (it and its
 * callers) is taken, which must end at the thread's known bottom. One generator object per
 * call of a recursive consumer (ast.NodeVisitor.generic_visit over ast.iter_fields) has a new
 * address each time, at a new depth: the caller its address had on earlier walks was often
 * not known, or not this one's, and 8-13 % of the walks were read afresh, after it yielded. */
#define MAX_RESUMER_SCAN 16
static bool
resumer_chain(struct target *t,
              uint64_t tstate,
              const struct thread_memo *memo,
              uint64_t base_frame,
              uint32_t *depth_io)
{
        uint32_t depth = *depth_io, d;
        uint64_t gen = t->raw[depth - 1].addr, obj = gen_object(t, &t->raw[depth - 1]);
        uint64_t bottom = 0, now;
        enum chain_end end;

        if (!obj || !memo->bottom)
                return false;
        rmem_cache_reset(t->mem); /* the chain as it is now, not as the walk's copy had it */
        if (!(now = current_frame_now(t, tstate)) ||
            walk_frames(t, now, base_frame, depth, &d, &end, &bottom) < 0 || end != CHAIN_BOTTOM ||
            bottom != memo->bottom)
                return false;
        for (uint32_t m = depth; m < d && m < depth + MAX_RESUMER_SCAN; m++) {
                /* resumed again: its callers are those it has now */
                uint32_t from = t->raw[m].addr == gen ? m + 1 : m;
                if (from == m && !frame_holds(t, &t->raw[m], obj))
                        continue;
                if (from == d)
                        return false;
                memmove(&t->raw[depth], &t->raw[from], (d - from) * sizeof(*t->raw));
                *depth_io = depth + (d - from);
                return true;
        }
        return false;
}

/* 3.11/3.12: a torn chain while a generator G ran at the copy of the thread state (@tbuf:
 * tstate->exc_info was its gi_exc_state): the stack is G on the frame that resumed it, with that
 * frame's callers as they are now (resumer_chain()); what G itself had called then is not
 * known. 3.11 enters the chain from the _PyCFrame of G's own evaluation loop, C stack memory
 * that the next call reuses once G yielded: a NodeVisitor on Debian 3.11 read 7-9 % of its
 * walks afresh for a frame pointer that led nowhere, and each reading afresh came after G had
 * yielded, giving its time to its consumer. */
static bool
gen_rooted(
        struct target *t, uint64_t tstate, const uint8_t *tbuf, uint64_t base, uint32_t *depth_io)
{
        const struct py_offsets *o = &t->off;
        uint64_t exc = rd_u64(tbuf, t->tstate_len, o->tstate.exc_info), next;
        uint8_t buf[512];
        const void *bytes;
        uint32_t depth = 1;

        if (!exc || o->gen.iframe == OFF_NONE || o->tstate.exc_info == OFF_NONE ||
            (exc >= tstate && exc < tstate + o->tstate.size) || exc < o->gen.exc_state ||
            t->iframe_len > sizeof(buf))
                return false;
        uint64_t gen = exc - o->gen.exc_state + o->gen.iframe;
        if (frame_peek(t, gen, buf, &bytes) < 0 || !decode_iframe(t, bytes, &t->raw[0], &next) ||
            !t->raw[0].gen || !t->raw[0].code)
                return false;
        t->raw[0].addr = gen;
        if (!resumer_chain(t, tstate, thread_memo(t, tstate), base, &depth))
                return false;
        *depth_io = depth;
        return true;
}

/* A chain that ended at a generator's frame G (t->raw[*depth_io - 1]): G was running at the
 * sample's instant (the tstate copy, from which the chain was entered) and yielded or
 * returned before G itself was copied, so the callers it had then are not linked to it any
 * more. Re-reading would sample a later instant, after the yield, and move the generator's
 * time to its consumer; dropping would lose it. Instead the callers are restored from what
 * this thread's complete walks saw: the caller each generator frame address had (a frame
 * lives inside its generator object, and pymalloc gives a finished generator's address to the
 * next one, created by the same code: the same caller, in practice), up the chain of
 * generators to the first frame of the previous complete walk, whose outer part is taken.
 * Every restored frame must still hold the code it had. @return whether it was completed. */
static bool
repair_from_memo(struct target *t,
                 uint64_t tstate,
                 const struct thread_memo *memo,
                 uint64_t base_frame,
                 uint32_t *depth_io)
{
        uint32_t depth = *depth_io;

        t->torn_why = TORN_GEN_CODE;
        if (t->off.frame_model == PY_FRAMES_INTERP && !find_gen_code(t, memo, &t->raw[depth - 1]))
                return false;
        struct raw_frame cur = t->raw[depth - 1];

        if (resumer_chain(t, tstate, memo, base_frame, depth_io))
                return true;
        for (uint32_t hops = 0; hops < MAX_DEPTH; hops++) {
                /* on the previous complete walk: its outer part below cur */
                for (uint32_t j = 0; j + 1 < memo->n; j++) {
                        struct raw_frame now;
                        if (memo->raw[j].addr != cur.addr || memo->raw[j].code != cur.code)
                                continue;
                        t->torn_why = TORN_GEN_CHANGED;
                        if (depth + (memo->n - j - 1) > MAX_DEPTH ||
                            !frame_still(t, &memo->raw[j + 1], &now))
                                return false;
                        memcpy(&t->raw[depth], &memo->raw[j + 1],
                               (memo->n - j - 1) * sizeof(*t->raw));
                        *depth_io = depth + (memo->n - j - 1);
                        return true;
                }
                t->torn_why = TORN_GEN_NOT_IN_MEMO;
                if (!cur.gen)
                        return consumer_chain(t, memo, base_frame, &cur, depth, depth_io);
                /* else the caller this generator frame had last */
                const struct gen_link *l = link_slot(memo, cur.addr, cur.code, false);
                t->torn_why = TORN_GEN_NO_LINK;
                if (!l || l->addr != cur.addr || l->code != cur.code || depth >= MAX_DEPTH) {
                        return false;
                }
                t->torn_why = TORN_GEN_CHANGED;
                if (!frame_still(t, &l->caller, &t->raw[depth]))
                        return false;
                /* its instruction as seen then: where it resumed the generator; its self as
                 * it is now (the one seen then may have been freed with its frame, and its
                 * memory given to an object of another class) */
                uint64_t self_now = t->raw[depth].self_obj;
                t->raw[depth] = l->caller;
                t->raw[depth].self_obj = self_now;
                cur = t->raw[depth++];
        }
        return false;
}

/* ≤3.10: is @f, where a chain ended as cut, the frame of a generator that finished after the
 * sample's instant? gen_send_ex() cleared its f_back and f_gen when it returned (3.8-3.10
 * Objects/genobject.c), so it reads as any returned frame, and its callers are lost. json's
 * encoders make a generator per list and dict, each done within microseconds: json.tool on
 * 3.10 read 18 % of its walks afresh, after the short calls they were in, giving floatstr
 * 14 % of the samples where --blocking has 17-19 %. It is known by the caller its address
 * and code had as a generator on recent complete walks (a finished generator's frame object
 * is its code's zombie frame, reused by the next generator of that code); then it is taken
 * as a suspended generator, for repair_from_memo(). */
static bool
finished_gen(const struct thread_memo *memo, struct raw_frame *f)
{
        if (!f->code || !link_slot(memo, f->addr, f->code, false))
                return false;
        f->gen = true;
        f->popped = false;
        return true;
}

/* Remember the caller of each generator frame of a complete walk. */
static void
memo_links(struct thread_memo *memo, const struct raw_frame *raw, uint32_t depth, uint32_t walk_no)
{
        for (uint32_t i = 0; i + 1 < depth; i++) {
                if (!raw[i].gen)
                        continue;
                if (!memo->links)
                        memo->links = xcalloc(MEMO_GEN_LINKS, sizeof(*memo->links));
                struct gen_link *l = link_slot(memo, raw[i].addr, raw[i].code, true);
                *l = (struct gen_link){ raw[i].addr, raw[i].code, raw[i + 1], walk_no };
        }
}

static uint64_t
slot_key(uint64_t frame, uint64_t caller)
{
        return u64_hash(frame ^ u64_hash(caller)) | 1;
}

/* The frames at the top of a walk that returned after the sample's instant (raw.popped): the
 * thread state, copied first, led to them, so they ran then. ≤3.10 keeps the code of a
 * returned frame but not its first local (self: the class), 3.14+ keeps neither, only the
 * link to the caller. They are reported as they were: as the same frame (address, caller) was
 * on this thread's previous walk, else with the code last seen running at that address under
 * the same caller; ≤3.10 names the class as the code's last running frame did
 * (resolve_frames(): the object, freed with the call, is often reallocated and zeroed).
 * Re-reading would sample a later instant and give their time to their callers: short calls
 * would be under-counted. @return 0; -EAGAIN the code of a popped frame is unknown. */
static int
revive_popped(struct target *t, const struct thread_memo *memo, uint32_t depth)
{
        for (uint32_t i = 0; i < depth && t->raw[i].popped; i++) {
                struct raw_frame *f = &t->raw[i];
                uint64_t caller = i + 1 < depth ? t->raw[i + 1].addr : 0, v;
                bool found = false;

                for (uint32_t j = 0; j < memo->n && !found; j++) {
                        const struct raw_frame *m = &memo->raw[j];
                        uint64_t mcaller = j + 1 < memo->n ? memo->raw[j + 1].addr : 0;
                        if (m->addr != f->addr || mcaller != caller || m->popped ||
                            (f->code && m->code != f->code))
                                continue;
                        f->code = m->code;
                        f->addrq = m->addrq;
                        f->self_obj = m->self_obj;
                        found = true;
                }
                if (!f->code) {
                        /* the instruction pointer is left alone: it must be in that code;
                         * else in some code we know (a slot's callees vary: pydoc's markup
                         * calls escape, replace, namelink..., and 34 % of its walks on 3.14
                         * were read afresh, after the call, giving markup 21 % of the
                         * samples where --blocking has 14 %) */
                        if ((!u64map_get(&t->slot_code, slot_key(f->addr, caller), &v) ||
                             !code_holds(t, v, (uint64_t)f->addrq)) &&
                            !(v = code_by_instr(t, (uint64_t)f->addrq)))
                                return torn(t, TORN_POPPED_CODE);
                        f->code = v;
                        f->addrq = instr_offset(t, v, (uint64_t)f->addrq);
                }
        }
        return 0;
}

/* Remember the innermost frame of a walk that was still running when read, for
 * revive_popped(): its code by address and caller. */
static void
note_live_top(struct target *t, uint32_t depth)
{
        uint32_t i = 0;

        while (i < depth && t->raw[i].popped)
                i++;
        if (i == depth)
                return;
        const struct raw_frame *f = &t->raw[i];
        if (f->entry)
                return; /* never put back (stack_at_copy()) */
        uint64_t key = slot_key(f->addr, i + 1 < depth ? t->raw[i + 1].addr : 0);
        u64map_put(&t->slot_code, key, f->code);
        u64map_put(&t->slot_addrq, key, (uint64_t)f->addrq);
}

/* Turn the raw frames of one thread into frame ids (t->stack_buf, same order, without shim
 * frames: *depth_io becomes their number). Cached code objects are re-checked once per walk
 * against their fingerprint, so that a code object freed and replaced at the same address is
 * never misnamed. */
static int
resolve_frames(struct target *t, uint64_t tstate, uint32_t *depth_io)
{
        struct thread_memo *memo = thread_memo(t, tstate);
        uint32_t depth = *depth_io, kept = 0, same = 0;
        int r;

        /* the outer frames that are as in this thread's previous walk: same code, same
         * instruction, same first local (t->raw is innermost first) */
        while (same < depth && same < memo->n) {
                const struct raw_frame *a = &t->raw[depth - 1 - same];
                const struct raw_frame *b = &memo->raw[memo->n - 1 - same];
                if (a->code != b->code || a->addrq != b->addrq || a->self_obj != b->self_obj)
                        break;
                same++;
        }
        for (uint32_t i = 0; i < depth; i++) {
                uint64_t v;
                if (i >= depth - same) {
                        v = memo->raw[memo->n - (depth - i)].idx;
                } else {
                        if (!t->raw[i].code || (t->raw[i].code & 7))
                                return torn(t, TORN_CODE); /* objects are 8-aligned */
                        if (!u64map_get(&t->code_index, t->raw[i].code, &v) || v == CODE_STALE)
                                v = UINT32_MAX;
                }
                t->raw[i].idx = (uint32_t)v;
                if (v == UINT32_MAX)
                        continue;
                struct code_info *c = &t->codes[v];
                if (c->checked_walk == t->walk_no || c->stale)
                        continue;
                c->checked_walk = t->walk_no;
                /* Re-check the code object every walk: pymalloc is LIFO, so a code object
                 * (and its function) freed and another allocated at the same address within
                 * one interval is common at import time. Code objects of one size class share
                 * pools, so page-sized pieces (prefetched next walk) cover many at once. */
                const void *code;
                r = rmem_peek_cached(t->mem, c->addr, t->code_len, t->fp_buf, &code);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (r < 0 || code_fingerprint(t, code) != c->fingerprint) {
                        u64map_put(&t->code_index, c->addr, CODE_STALE);
                        c->stale = true;
                }
        }
        for (uint32_t i = 0; i < depth; i++) {
                uint32_t code_idx = t->raw[i].idx;
                if (i >= depth - same && !t->codes[code_idx].stale) {
                        t->stack_buf[i] = memo->ids[memo->n - (depth - i)];
                        continue;
                }
                if (code_idx == UINT32_MAX || t->codes[code_idx].stale) {
                        r = code_lookup(t, t->raw[i].code, &code_idx);
                        if (r < 0) {
                                t->torn_why = TORN_CODE;
                                return r == -EFAULT ? -EAGAIN : r;
                        }
                        t->raw[i].idx = code_idx;
                }
                if (t->codes[code_idx].shim) {
                        t->stack_buf[i] = NO_FRAME;
                        continue;
                }
                /* ≤3.10: a method that returned before it was read has lost its self; it
                 * is named as its code's last running frame was, class included */
                bool by_self = t->codes[code_idx].self_kind != 0;
                uint64_t v;
                if (by_self && t->raw[i].popped && u64map_get(&t->last_id, t->raw[i].code, &v)) {
                        t->stack_buf[i] = (uint32_t)v;
                        continue;
                }
                r = frame_id(t, code_idx, t->raw[i].addrq, t->raw[i].self_obj, &t->stack_buf[i]);
                if (r < 0) {
                        t->torn_why = TORN_NAME;
                        return r;
                }
                if (by_self && !t->raw[i].popped && t->raw[i].self_obj &&
                    (i == 0 || t->raw[i - 1].popped))
                        u64map_put(&t->last_id, t->raw[i].code, t->stack_buf[i]);
        }
        if (depth > memo->cap) {
                memo->cap = depth * 2;
                memo->raw = xrealloc(memo->raw, memo->cap * sizeof(*memo->raw));
                memo->ids = xrealloc(memo->ids, memo->cap * sizeof(*memo->ids));
        }
        memcpy(memo->raw, t->raw, depth * sizeof(*memo->raw));
        memcpy(memo->ids, t->stack_buf, depth * sizeof(*memo->ids));
        memo->n = depth;
        memo_links(memo, t->raw, depth, t->walk_no);
        for (uint32_t i = 0; i < depth; i++)
                if (t->stack_buf[i] != NO_FRAME)
                        t->stack_buf[kept++] = t->stack_buf[i];
        *depth_io = kept;
        return 0;
}

/* ≤3.10 has no native_thread_id: the TID sits inside glibc's struct pthread, at an offset we
 * learn once from the main thread, whose TID is the PID (austin's approach, peers.md §3.2). */
static int32_t
tid_from_pthread(struct target *t, uint64_t pthread, bool is_main)
{
        int32_t tid;

        if (!pthread)
                return 0;
        if (t->pthread_tid_off < 0)
                return is_main ? t->ns_pid : 0; /* not learnt yet: only the main one is known */
        if (rmem_read_cached(t->mem, pthread + (uint64_t)t->pthread_tid_off, 4, &tid) < 0)
                return 0;
        return tid > 0 ? tid : 0;
}

/* 3.12: the frame the innermost eval ran at the sample's instant. tstate->cframe is copied
 * with the thread state (@tbuf), its current_frame a few microseconds later; a call made by C
 * (a class's __init__ from slot_tp_init, a generator's next() from sum()) runs in an eval of
 * its own, and once it returned or yielded, its dead _PyCFrame on the C stack still says
 * current_frame = the eval's entry frame (RETURN_VALUE and YIELD_VALUE set it to the frame's
 * previous, then INTERPRETER_EXIT restores tstate->cframe; Python/bytecodes.c): the call
 * would be given to its caller. So when the chain starts at an entry frame (not a Python
 * frame) that has a caller, the frame last seen on top of that entry frame is taken if it ran
 * at the copy: a data-stack frame still pushed then (below tstate->datastack_top: popping sets
 * the top to the frame) and still linked to the entry frame, or a generator's frame whose
 * gi_exc_state was tstate->exc_info then (gen_send_ex2 points it there while it runs,
 * Objects/genobject.c). */
static uint64_t
entry_top_at(struct target *t, uint64_t frame, const uint8_t *tbuf)
{
        const struct py_offsets *o = &t->off;
        uint8_t buf[512];
        const void *bytes;
        struct raw_frame f;
        uint64_t next, top;

        if (t->iframe_len > sizeof(buf) || frame_peek(t, frame, buf, &bytes) < 0 ||
            decode_iframe(t, bytes, &f, &next) || !next || !u64map_get(&t->entry_top, frame, &top))
                return frame;
        if (frame_peek(t, top, buf, &bytes) < 0 || !decode_iframe(t, bytes, &f, &next) || !f.code)
                return frame;
        if (f.gen) {
                uint64_t exc = rd_u64(tbuf, t->tstate_len, o->tstate.exc_info);
                if (o->gen.iframe == OFF_NONE || o->gen.exc_state == OFF_NONE ||
                    exc != top - o->gen.iframe + o->gen.exc_state)
                        return frame;
        } else if (next != frame || top >= rd_u64(tbuf, t->tstate_len, o->tstate.datastack_top)) {
                return frame;
        }
        return top;
}

/* 3.11: is the frame at @addr an entry frame (is_entry: called from C)? */
static bool
entry_frame(struct target *t, uint64_t addr)
{
        uint8_t buf[512];
        const void *bytes;

        return t->off.iframe.is_entry != OFF_NONE && t->iframe_len <= sizeof(buf) &&
               frame_peek(t, addr, buf, &bytes) == 0 &&
               rd_u8(bytes, t->iframe_len, t->off.iframe.is_entry);
}

/* 3.11/3.12: the generators from @gen, which ran at the copy of the thread state (tstate->exc_info
 * @exc was its gi_exc_state), to whichever frame of the chain (t->raw, @depth frames) they lead
 * first, into @ret innermost first, and that frame's index in *ret_k; @return their number, 0
 * if they lead to none. A suspended generator's link to its caller is cleared: it is taken
 * from this thread's complete walks (memo links); one resumed again since links to its caller
 * itself. */
#define MAX_BRIDGE 8
static uint32_t
gen_bridge_to(struct target *t,
              uint64_t tstate,
              uint64_t gen,
              uint64_t exc,
              uint32_t depth,
              struct raw_frame *ret,
              uint32_t *ret_k)
{
        const struct py_offsets *o = &t->off;
        const struct thread_memo *memo = thread_memo(t, tstate);
        uint32_t n = 0;

        if (!memo->links || exc != gen - o->gen.iframe + o->gen.exc_state)
                return 0;
        while (n < MAX_BRIDGE) {
                uint8_t buf[512];
                const void *bytes;
                uint64_t next;
                if (t->iframe_len > sizeof(buf) || frame_peek(t, gen, buf, &bytes) < 0 ||
                    !decode_iframe(t, bytes, &ret[n], &next) || !ret[n].gen || !ret[n].code)
                        return 0;
                ret[n].addr = gen;
                /* suspended: its resumer holds it while iterating it (resumer_chain()) */
                for (uint32_t k = 0; !next && k < depth && k < MAX_RESUMER_SCAN; k++) {
                        if (frame_holds(t, &t->raw[k], gen - o->gen.iframe)) {
                                *ret_k = k;
                                return n + 1;
                        }
                }
                const struct gen_link *l = next ? NULL : link_slot(memo, gen, ret[n].code, false);
                if (!next && !l)
                        return 0;
                n++;
                gen = next ? next : l->caller.addr;
                for (uint32_t k = 0; k < depth; k++) {
                        if (t->raw[k].addr == gen && (next || t->raw[k].code == l->caller.code)) {
                                *ret_k = k;
                                return n;
                        }
                }
                if (!next && !l->caller.gen)
                        return 0;
        }
        return 0;
}

/* The frame last seen running at @addr under the frame at @caller (note_live_top()), if its
 * code's frame ends at @end: into *ret. */
static bool
slot_frame(struct target *t, uint64_t addr, uint64_t caller, uint64_t end, struct raw_frame *ret)
{
        uint64_t code, addrq;

        if (!u64map_get(&t->slot_code, slot_key(addr, caller), &code) ||
            addr + 8 * frame_words(t, code) != end)
                return false;
        if (!u64map_get(&t->slot_addrq, slot_key(addr, caller), &addrq))
                addrq = 0;
        *ret = (struct raw_frame){ .addr = addr, .code = code, .addrq = (int64_t)addrq };
        return true;
}

/* 3.11/3.12: calls that returned between the copy of the thread state (@tbuf) and the reading
 * of its chain, put back. The chain is entered from tstate->cframe->current_frame, on the C
 * stack, read microseconds after the copy: 3.11 runs each generator in an evaluation loop of
 * its own, which may have returned since, its dead _PyCFrame naming the generator where it
 * left off, not the call it was making. The data stack tells: tstate->datastack_top, copied
 * with the thread state, was the end of the innermost frame on it (a call bumps it by the
 * frame's size, a return sets it back to the frame: Include/internal/pycore_frame.h
 * _PyThreadState_BumpFramePointer, Python/pystate.c _PyThreadState_PopFrame;
 * datastack_chunk and datastack_limit around it, Include/cpython/pystate.h). If the chain's
 * innermost frame on the data stack ends below it, the frames between returned since, and a
 * returned frame's memory stays as it was until the next call reuses it. Each is put back if
 * it holds a frame whose code's size ends it where the next begins (the last at the end),
 * linked to the frame under it; to a generator's frame only if that generator was running at
 * the copy (tstate->exc_info pointed to its gi_exc_state: Objects/genobject.c
 * gen_send_ex2). Never a 3.11 entry frame (a call from C, is_entry): it runs while its own
 * evaluation loop's _PyCFrame is tstate->cframe, and is on the data stack before and after
 * (_PyEval_Vector pushes it, and clears and pops it once the loop returned): a class's
 * __init__ (tests/functional/targets/short_calls.py) was put back in 27 % of the samples where
 * --blocking has it in 10 %.
 * The sample's instant is then the copy of datastack_top, and frames at the top of the chain
 * at or above it were pushed after it: they are left out, which keeps the two directions
 * even (putting back alone gave a generator's own time between its calls, tinypkg's
 * sum(step(i) for i in ...), 0.7 % of the samples where --blocking has 2.9 %: the 320-byte
 * copy is not one instant, each cache line the target's core wrote being a transfer between
 * cores, and the cframe word, 250 bytes before datastack_top, is older). Not a 3.11 entry
 * frame either: by the same reasoning as above, short_calls.py's __init__ went from 12 % to
 * 4 %. A returned call's caller may be a generator suspended since, no longer linked to its
 * own caller: the generators in between are taken from this thread's walks (gen_bridge_to()).
 * json.tool on Debian 3.11 (3 runs each; --blocking in brackets): floatstr 6.7 % of the
 * samples, with this 13.1 % (15.0); _iterencode_list 19.8 %, 18.2 % (18.8); _iterencode_dict
 * 20.2 %, 16.1 % (15.0); dump 11.9 %, 12.6 % (11.5). */
#define MAX_RETURNED_CALLS 4
static void
stack_at_copy(struct target *t, uint64_t tstate, const uint8_t *tbuf, uint32_t *depth_io)
{
        const struct py_offsets *o = &t->off;
        uint64_t chunk = rd_u64(tbuf, t->tstate_len, o->tstate.datastack_top - 8);
        uint64_t top = rd_u64(tbuf, t->tstate_len, o->tstate.datastack_top);
        uint64_t limit = rd_u64(tbuf, t->tstate_len, o->tstate.datastack_top + 8);
        uint64_t exc = rd_u64(tbuf, t->tstate_len, o->tstate.exc_info);
        struct raw_frame back[MAX_RETURNED_CALLS];
        uint32_t depth = *depth_io, i = 0, n = 0;

        if (!chunk || top <= chunk || top > limit || o->gen.iframe == OFF_NONE)
                return;
        while (depth > 1 && !t->raw[0].gen && t->raw[0].addr >= top && t->raw[0].addr < limit &&
               !entry_frame(t, t->raw[0].addr)) {
                memmove(&t->raw[0], &t->raw[1], (depth - 1) * sizeof(*t->raw));
                depth--;
        }
        *depth_io = depth;
        while (i < depth && (t->raw[i].gen || t->raw[i].addr <= chunk || t->raw[i].addr >= top))
                i++;
        if (i == depth)
                return;
        uint64_t words = frame_words(t, t->raw[i].code);
        uint64_t end = t->raw[i].addr + 8 * words, under = t->raw[0].addr;
        bool under_gen = t->raw[0].gen;
        struct raw_frame bridge[MAX_BRIDGE];
        uint32_t nb = 0;
        while (words && end < top && n < MAX_RETURNED_CALLS && depth + n + nb < MAX_DEPTH) {
                uint8_t buf[512];
                const void *bytes;
                struct raw_frame f;
                uint64_t next = 0;
                uint32_t k = 0;
                bool read = t->iframe_len <= sizeof(buf) && frame_peek(t, end, buf, &bytes) == 0 &&
                            decode_iframe(t, bytes, &f, &next) && f.code && !f.gen;
                if (read && !n && next != under) {
                        nb = gen_bridge_to(t, tstate, next, exc, depth, bridge, &k);
                        if (nb && !k) {
                                under = next;
                                under_gen = true;
                        } else {
                                nb = 0;
                        }
                }
                if (read && f.entry)
                        return;
                if (!read || next != under) {
                        /* the call that ran last, as it was first seen at this place, if
                         * it filled the stack to the top: its memory written over since (by
                         * a call the caller's caller made: json's dict encoder made, at the
                         * place of floatstr() called by a list encoder) */
                        if (!under_gen || !slot_frame(t, end, under, top, &f))
                                return;
                }
                if (under_gen && exc != under - o->gen.iframe + o->gen.exc_state)
                        return;
                words = frame_words(t, f.code);
                f.addr = end;
                back[n++] = f;
                under = end;
                under_gen = false;
                end += 8 * words;
        }
        if (!n)
                return;
        if (end != top || depth + n + nb > MAX_DEPTH)
                return;
        /* 3.11.1+ and 3.12 unlink a returning frame before they clear its locals, and pop it
         * after (Python/ceval.c RETURN_VALUE, GH-99729): during the clearing, destructors and
         * all, the caller runs by the _PyCFrame and the frame is still on the data stack. So
         * if the thread state and the _PyCFrame still say so now, it is that, not a call that
         * returned meanwhile: a Flask app freed as timeit's frame returned was 8 % of the run,
         * given to timeit where --blocking and pyinstrument give it to its caller. */
        uint64_t cframe = rd_u64(tbuf, t->tstate_len, o->tstate.cframe), cframe_now = 0;
        uint64_t top_now = 0, current_now = 0;
        struct rmem_iov iv[3] = {
                { .addr = tstate + o->tstate.cframe, .len = 8, .buf = &cframe_now },
                { .addr = tstate + o->tstate.datastack_top, .len = 8, .buf = &top_now },
                { .addr = cframe + o->tstate.cframe_frame, .len = 8, .buf = &current_now },
        };
        if (rmem_readv(t->mem, iv, 3) < 0 ||
            (cframe_now == cframe && top_now == top && current_now == t->raw[0].addr))
                return;
        memmove(&t->raw[n + nb], &t->raw[0], depth * sizeof(*t->raw));
        for (uint32_t k = 0; k < n; k++)
                t->raw[k] = back[n - 1 - k];
        memcpy(&t->raw[n], bridge, nb * sizeof(*bridge));
        *depth_io = depth + n + nb;
        t->stats.restored++;
}

/* 3.11/3.12: the chain's generators as they ran at the copy of the thread state (@tbuf). The
 * chain is read from a _PyCFrame's current_frame microseconds after the copy, and generators
 * are resumed and suspended meanwhile: 3.11 runs each in an evaluation loop of its own, whose
 * current_frame YIELD_VALUE sets to the consumer; 3.12 resumes them in the consumer's loop
 * (FOR_ITER_GEN, SEND_GEN). tstate->exc_info tells which ran at the copy: the gi_exc_state of
 * the innermost generator running then, else the thread's own exc_state (gen_send_ex2,
 * FOR_ITER_GEN and SEND_GEN point it to the generator, YIELD_VALUE and a return point it back:
 * Objects/genobject.c, Python/bytecodes.c). So generators above that one on the chain were
 * resumed since, and are taken off with whatever runs on them; and if that one is not on the
 * chain, it yielded since, and is put back on the frame that resumed it (the one holding it on
 * its stack, else as this thread's walks saw its caller: gen_bridge_to()), the frames above
 * that frame taken off. Before, json's
 * encoder on pyenv 3.12 gave dump() 9-11 % of the samples where --blocking gives 13-14 %, and
 * a NodeVisitor on Debian 3.11 gave ast.iter_fields 21-28 % where --blocking gives 33-36 %. */
static void
gens_at_copy(struct target *t, uint64_t tstate, const uint8_t *tbuf, uint32_t *depth_io)
{
        const struct py_offsets *o = &t->off;
        uint64_t exc = rd_u64(tbuf, t->tstate_len, o->tstate.exc_info);
        struct raw_frame bridge[MAX_BRIDGE];
        uint32_t depth = *depth_io, cut = 0, nb = 0;

        if (!exc || o->gen.iframe == OFF_NONE || o->tstate.exc_info == OFF_NONE)
                return;
        bool none = exc >= tstate && exc < tstate + o->tstate.size; /* its own exc_state */
        uint64_t gen = none || exc < o->gen.exc_state ? 0 : exc - o->gen.exc_state + o->gen.iframe;
        uint32_t e = 0;
        while (e < depth && !(gen && t->raw[e].gen && t->raw[e].addr == gen)) {
                if (t->raw[e].gen)
                        cut = e + 1; /* resumed since, with what runs on it */
                e++;
        }
        if (e == depth && gen) {
                /* it yielded since: back on its resumer, found among the chain's frames */
                uint32_t k;
                nb = gen_bridge_to(t, tstate, gen, exc, depth, bridge, &k);
                if (!nb)
                        return;
                cut = k;
        } else if (e == depth && !none) {
                return; /* exc_info unknown: leave the chain as read */
        }
        if (!cut && !nb)
                return;
        if (depth - cut + nb > MAX_DEPTH || cut >= depth)
                return;
        memmove(&t->raw[nb], &t->raw[cut], (depth - cut) * sizeof(*t->raw));
        memcpy(&t->raw[0], bridge, nb * sizeof(*bridge));
        *depth_io = depth - cut + nb;
        t->stats.restored++;
}

/* 3.12: remember the innermost Python frame of a walk if it runs right on an entry frame. */
static void
note_entry_top(struct target *t, uint64_t first)
{
        uint8_t buf[512];
        const void *bytes;
        struct raw_frame f;
        uint64_t entry, next;

        if (t->iframe_len > sizeof(buf) || frame_peek(t, first, buf, &bytes) < 0 ||
            !decode_iframe(t, bytes, &f, &entry) || !entry ||
            frame_peek(t, entry, buf, &bytes) < 0 || decode_iframe(t, bytes, &f, &next) || !next)
                return;
        u64map_put(&t->entry_top, entry, first);
}

/* ≤3.10 has no native_thread_id: learn where the TID sits in glibc's struct pthread, before
 * any thread is walked (the list is walked newest first, and a thread walked before the
 * offset is known would get no TID). The main thread (the oldest, last in the main
 * interpreter's list) holds the pid there. In a PID namespace the pid is small (1 in a
 * container) and many words of the struct hold such a value (multiple_threads, flags): an
 * offset is taken only when every other thread holds a plausible, distinct TID there, and
 * while the process has a single thread nothing is learnt (that thread is the main one). */
static void
learn_pthread_tid(struct target *t)
{
        const struct py_offsets *o = &t->off;
        uint64_t tstate, next, idents[16];
        int32_t bufs[16][512];
        size_t n = 0;

        if (o->tstate.native_thread_id != OFF_NONE || t->pthread_tid_off >= 0 || !t->n_lists ||
            t->pthread_tid_tries >= 64)
                return;
        tstate = t->lists[t->n_lists - 1].tstate; /* the main interpreter is the oldest: last */
        for (int k = 0; tstate && k < MAX_THREADS; k++) {
                uint64_t ident;
                if (rmem_read(t->mem, tstate + o->tstate.next, 8, &next) < 0 ||
                    rmem_read(t->mem, tstate + o->tstate.thread_id, 8, &ident) < 0)
                        return;
                /* keep the newest 15 and the main one (the last) */
                if (n < ARRAY_SIZE(idents))
                        idents[n++] = ident;
                else
                        idents[n - 1] = ident;
                tstate = next;
        }
        if (!n)
                return;
        /* a small pid is a value common in the struct: other threads decide. Until there is
         * one, nothing is read (this runs at every list refresh) and no try is counted */
        bool small_pid = t->ns_pid < 300;
        if (n < 2 && small_pid)
                return;
        /* the main thread first */
        uint64_t main_ident = idents[n - 1];
        idents[n - 1] = idents[0];
        idents[0] = main_ident;
        for (size_t i = 0; i < n; i++)
                if (!idents[i] || rmem_read(t->mem, idents[i], sizeof(bufs[i]), bufs[i]) < 0)
                        return;
        t->pthread_tid_tries++;
        for (size_t off = 0; off < ARRAY_SIZE(bufs[0]); off++) {
                if (bufs[0][off] != t->ns_pid)
                        continue;
                bool ok = true;
                for (size_t i = 1; i < n && ok; i++) {
                        int32_t v = bufs[i][off];
                        ok = v > 0 && v != t->ns_pid && v < (1 << 22);
                        for (size_t j = 1; j < i && ok; j++)
                                ok = bufs[j][off] != v;
                }
                if (ok) {
                        t->pthread_tid_off = (int)(off * 4);
                        return;
                }
        }
}

/* Read thread state @tstate of @interp and walk its stack into t->stack_buf (innermost
 * first). @return 0 with st and *ret_depth set; -EAGAIN torn; -ESRCH, -EPERM. */
static int
walk_thread(struct target *t,
            uint64_t interp,
            bool main_interp,
            struct thread_stack *st,
            uint64_t *ret_next,
            uint32_t *ret_depth)
{
        const struct py_offsets *o = &t->off;
        uint8_t tbuf[1024];
        uint64_t frame = 0;
        int r;

        *ret_depth = 0;
        t->torn_why = TORN_OTHER;
        r = rmem_read_piece(t->mem, st->tstate, t->tstate_len, tbuf);
        if (r < 0)
                return r == -EFAULT ? torn(t, TORN_TSTATE) : r;
        if (rd_u64(tbuf, t->tstate_len, o->tstate.interp) != interp)
                return torn(t, TORN_TSTATE); /* the list changed under us */
        *ret_next = rd_u64(tbuf, t->tstate_len, o->tstate.next);
        st->ident = rd_u64(tbuf, t->tstate_len, o->tstate.thread_id);
        if (o->tstate.native_thread_id != OFF_NONE)
                st->tid = (int32_t)rd_u32(tbuf, t->tstate_len, o->tstate.native_thread_id);
        else
                st->tid = tid_from_pthread(t, st->ident, main_interp && !*ret_next);
        /* TIDs in the target's memory are those of its own PID namespace (a container): ours
         * (for /proc and ptrace) are looked up once per thread */
        st->is_main = main_interp && st->tid == t->ns_pid;
        if (t->ns_pid != t->pid && st->tid > 0) {
                uint64_t host;
                if (!u64map_get(&t->ns_tids, (uint64_t)st->tid, &host)) {
                        host = (uint64_t)proc_host_tid(t->pid, st->tid);
                        u64map_put(&t->ns_tids, (uint64_t)st->tid, host);
                }
                st->tid = (int32_t)host;
        }

        if (o->tstate.cframe != OFF_NONE) {
                /* 3.11/3.12: tstate->cframe->current_frame */
                uint64_t cframe = rd_u64(tbuf, t->tstate_len, o->tstate.cframe);
                if (cframe) {
                        if (rmem_read_cached(t->mem, cframe + o->tstate.cframe_frame, 8, &frame) <
                            0)
                                return torn(t, TORN_CFRAME);
                        /* in the next prefetch right after the thread state, whatever
                         * the depth of C calls puts it at */
                        rmem_mark_whole(t->mem, cframe + o->tstate.cframe_frame);
                }
                if (frame && o->tstate.datastack_top != OFF_NONE)
                        frame = entry_top_at(t, frame, tbuf);
        } else {
                frame = rd_u64(tbuf, t->tstate_len, o->tstate.frame);
        }
        uint64_t bottom = 0;
        bool whole = false;
        if (frame) {
                enum chain_end end;
                uint64_t base = rd_u64(tbuf, t->tstate_len, o->tstate.base_frame);
                bool unconfirmed = false;
                r = walk_frames(t, frame, base, 0, ret_depth, &end, &bottom);
                if (r == 0 && end == CHAIN_BOTTOM &&
                    !bottom_confirmed(t, thread_memo(t, st->tstate), bottom, base)) {
                        end = CHAIN_CUT;
                        unconfirmed = true;
                }
                if (r == 0 && end == CHAIN_CUT && *ret_depth &&
                    o->frame_model == PY_FRAMES_OBJECT &&
                    finished_gen(thread_memo(t, st->tstate), &t->raw[*ret_depth - 1]))
                        end = CHAIN_GENERATOR;
                whole = end == CHAIN_BOTTOM;
                if (r == 0 && end != CHAIN_BOTTOM) {
                        t->stats.cut++;
                        if (end == CHAIN_GENERATOR && *ret_depth &&
                            repair_from_memo(t, st->tstate, thread_memo(t, st->tstate), base,
                                             ret_depth))
                                t->stats.repaired++;
                        else if (end == CHAIN_GENERATOR && *ret_depth)
                                r = -EAGAIN; /* torn_why: repair_from_memo() set it */
                        else
                                r = torn(t, end == CHAIN_GENERATOR ? TORN_GEN_CODE
                                            : unconfirmed          ? TORN_BOTTOM
                                                                   : TORN_CUT);
                }
                if (r == -EAGAIN && o->tstate.cframe != OFF_NONE && !t->n_stopped &&
                    gen_rooted(t, st->tstate, tbuf, base, ret_depth)) {
                        t->stats.repaired++;
                        r = 0;
                }
                if (r == 0 && *ret_depth && o->tstate.cframe != OFF_NONE && !t->n_stopped) {
                        gens_at_copy(t, st->tstate, tbuf, ret_depth);
                        stack_at_copy(t, st->tstate, tbuf, ret_depth);
                }
                if (r == 0 && *ret_depth && t->raw[0].popped) {
                        t->stats.popped++;
                        r = revive_popped(t, thread_memo(t, st->tstate), *ret_depth);
                }
                if (r == 0 && *ret_depth) {
                        note_live_top(t, *ret_depth);
                        if (o->tstate.cframe != OFF_NONE)
                                note_entry_top(t, frame);
                }
        }
        if (r == 0 && *ret_depth) {
                r = resolve_frames(t, st->tstate, ret_depth);
                if (r == 0 && whole)
                        thread_memo(t, st->tstate)->bottom = bottom;
        }
        return r;
}

static uint64_t
monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Are the interpreter and thread lists to be read afresh in this walk? Not when the last read
 * is recent (LIST_TTL_NS) and no walk has failed since. If so, the words are added to the
 * walk's prefetch, so that reading them costs no syscall of its own. */
static bool
lists_due(struct target *t, uint64_t now)
{
        const struct py_offsets *o = &t->off;

        /* an image (pid 0: tests, fuzzing) is patched between walks: read it every time */
        if (t->pid && t->lists_ok && now - t->lists_ns < LIST_TTL_NS)
                return false;
        rmem_prefetch_add(t->mem, t->loc.runtime + o->runtime.interpreters_head, 8);
        for (size_t i = 0; i < t->n_lists; i++) {
                rmem_prefetch_add(t->mem, t->lists[i].interp + o->interp.threads_head, 8);
                rmem_prefetch_add(t->mem, t->lists[i].interp + o->interp.next, 8);
        }
        return true;
}

/* Read the interpreters and their thread-list heads into t->lists. */
static int
read_lists(struct target *t, uint64_t now)
{
        const struct py_offsets *o = &t->off;
        uint64_t interp;
        int r;

        t->n_lists = 0;
        t->lists_ok = false;
        r = rmem_read_piece(t->mem, t->loc.runtime + o->runtime.interpreters_head, 8, &interp);
        if (r < 0)
                return r == -EFAULT ? -ESRCH : r;
        /* A cyclic list (a torn read) would otherwise be followed MAX_INTERPRETERS times, each
         * interpreter's threads walked every time: found by Brent's method, as frame chains
         * are, it makes the walk torn. */
        uint64_t saved = 0;
        for (int ni = 0; interp && ni < MAX_INTERPRETERS; ni++) {
                uint64_t tstate = 0, next_interp = 0;
                int64_t id = 0;
                if (interp == saved)
                        return -EAGAIN;
                if ((ni & (ni - 1)) == 0)
                        saved = interp;
                /* words far apart in a large struct (3.13: threads.head past byte 7,000) */
                struct rmem_iov iv[3] = {
                        { .addr = interp + o->interp.threads_head, .len = 8, .buf = &tstate },
                        { .addr = interp + o->interp.next, .len = 8, .buf = &next_interp },
                        { .addr = interp + o->interp.id, .len = 8, .buf = &id },
                };
                r = rmem_readv_cached(t->mem, iv, 3);
                if (r < 0)
                        return r == -EFAULT ? -EAGAIN : r;
                xgrow(&t->lists, &t->cap_lists, t->n_lists + 1, sizeof(*t->lists));
                t->lists[t->n_lists++] =
                        (struct thread_list){ interp, tstate, next_interp, next_interp ? id : 0 };
                interp = next_interp;
        }
        t->lists_ns = now;
        t->lists_ok = true;
        return 0;
}

/* ---- subinterpreters ---------------------------------------------------------------------- */

/* An OS thread that runs code in a subinterpreter (interp.exec(), _interpreters.run_string())
 * has a thread state in each interpreter: the caller's, detached inside the call, and the
 * subinterpreter's, running on top of it (Python/pystate.c, PyThreadState_Swap). Reported
 * apart they would weigh the thread twice and show the subinterpreter's code as a thread of
 * its own; so the subinterpreters' stacks of a walk are held (the main interpreter is the
 * last of the list) and each is put on top of its thread's stack in the main interpreter,
 * after a frame that names the interpreter. Nested subinterpreters are put in the order of
 * their ids: one made later runs inside one made earlier, as the usual nesting goes. */

/* The frame "<interpreter N>" that stands between a thread's stacks in two interpreters. */
static uint32_t
interp_frame(struct target *t, int64_t id)
{
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "<interpreter %lld>%c<subinterpreter>%c0", (long long)id,
                         0, 0);
        return intern_info(t, buf, (size_t)n, UINT32_MAX, 0, NULL);
}

static void
hold_sub_stack(struct target *t, const struct thread_stack *st, int64_t id)
{
        xgrow(&t->subs, &t->cap_subs, t->n_subs + 1, sizeof(*t->subs));
        xgrow(&t->sub_frames, &t->cap_sub_frames, t->n_sub_frames + st->depth,
              sizeof(*t->sub_frames));
        t->subs[t->n_subs++] =
                (struct sub_stack){ .st = *st, .interp_id = id, .off = (uint32_t)t->n_sub_frames };
        memcpy(t->sub_frames + t->n_sub_frames, st->frames, st->depth * sizeof(*st->frames));
        t->n_sub_frames += st->depth;
}

static int
cmp_sub_id(const void *a, const void *b)
{
        const struct sub_stack *x = a, *y = b;
        return x->interp_id < y->interp_id ? -1 : x->interp_id > y->interp_id;
}

/* @st (a stack in the main interpreter, or NULL for a thread that has none) with the held
 * stacks of the same OS thread put on top; marks those done. @return @st itself when there
 * are none, else a stack in t->splice_buf. */
static const struct thread_stack *
splice_subs(struct target *t, const struct thread_stack *st, struct thread_stack *out)
{
        uint32_t n = 0;
        bool any = false;

        for (size_t i = 0; i < t->n_subs; i++) {
                struct sub_stack *s = &t->subs[i];
                if (s->done || s->st.tid != st->tid || (!st->tid && s->st.tstate != st->tstate))
                        continue;
                if (!t->splice_buf)
                        t->splice_buf = xmalloc(MAX_DEPTH * sizeof(*t->splice_buf));
                if (!any) {
                        any = true;
                        *out = *st;
                        n = st->depth < MAX_DEPTH ? st->depth : MAX_DEPTH;
                        memcpy(t->splice_buf, st->frames, n * sizeof(*st->frames));
                }
                if (n < MAX_DEPTH)
                        t->splice_buf[n++] = interp_frame(t, s->interp_id);
                uint32_t k = s->st.depth < MAX_DEPTH - n ? s->st.depth : MAX_DEPTH - n;
                memcpy(t->splice_buf + n, t->sub_frames + s->off, k * sizeof(*t->splice_buf));
                n += k;
                s->done = true;
        }
        if (!any)
                return st;
        out->depth = n;
        out->frames = t->splice_buf;
        return out;
}

/* The held stacks of threads that have none in the main interpreter (a thread started in
 * the subinterpreter): each on its own, under the frame naming its interpreter. */
static int
report_lone_subs(struct target *t,
                 void (*fn)(const struct thread_stack *st, void *userdata),
                 void *userdata)
{
        int reported = 0;

        for (size_t i = 0; i < t->n_subs; i++) {
                struct sub_stack *s = &t->subs[i];
                if (s->done)
                        continue;
                struct thread_stack st = s->st, out;
                st.depth = 0; /* it and the others of its thread (nested deeper) on nothing */
                fn(splice_subs(t, &st, &out), userdata);
                reported++;
        }
        return reported;
}

int
target_walk(struct target *t,
            void (*fn)(const struct thread_stack *st, void *userdata),
            void *userdata)
{
        int r, reported = 0, budget = REREADS_PER_ROUND;

        if (t->tstate_len > 1024)
                return -EBADMSG;
        if (++t->walks_since_flush >= FLUSH_EVERY_WALKS)
                walker_flush_caches(t);
        t->walk_no++;
        uint64_t now = monotonic_ns();
        bool due = lists_due(t, now);
        rmem_cache_reset(t->mem);
        t->stats.walks++;
        if (due) {
                r = read_lists(t, now);
                if (r == -EAGAIN)
                        t->stats.torn_dropped[TORN_LISTS]++;
                if (r < 0)
                        return r;
                learn_pthread_tid(t);
        }
        t->n_subs = 0;
        t->n_sub_frames = 0;

        for (size_t ni = 0; ni < t->n_lists; ni++) {
                uint64_t interp = t->lists[ni].interp, tstate = t->lists[ni].tstate;
                uint64_t next_interp = t->lists[ni].next_interp;
                bool main_interp = next_interp == 0; /* the main interpreter is the oldest: last */

                /* the subinterpreters' stacks are all held now, in the order of their ids */
                if (main_interp && t->n_subs > 1)
                        qsort(t->subs, t->n_subs, sizeof(*t->subs), cmp_sub_id);
                /* a cyclic thread list (torn) would be walked up to MAX_THREADS times, each
                 * thread's frames every time (seconds per sample under the fuzzer: a million
                 * thread walks with the interpreter list cyclic too). Brent's method finds it
                 * within two rounds of the cycle; the threads already reported stand, and
                 * the lists are read afresh next walk. */
                uint64_t saved = 0;
                for (int nt = 0; tstate && nt < MAX_THREADS; nt++) {
                        struct thread_stack st = { .tstate = tstate };
                        uint64_t next = 0;
                        uint32_t depth;

                        if (tstate == saved) {
                                t->lists_ok = false;
                                break;
                        }
                        if ((nt & (nt - 1)) == 0)
                                saved = tstate;
                        t->stats.threads++;
                        r = walk_thread(t, interp, main_interp, &st, &next, &depth);
                        if (r < 0 && r != -ESRCH && r != -EPERM)
                                t->stats.torn_first[t->torn_why]++;
                        /* a torn read is a moment's race with the interpreter (a frame
                         * pushed or popped while we read): read afresh */
                        for (int k = 0; r == -EAGAIN && k < MAX_REREADS && budget > 0; k++) {
                                budget--;
                                t->stats.rereads++;
                                rmem_cache_reset(t->mem);
                                r = walk_thread(t, interp, main_interp, &st, &next, &depth);
                        }
                        if (r == -ESRCH || r == -EPERM)
                                return r;
                        if (r < 0) {
                                t->stats.torn_dropped[t->torn_why]++;
                                t->stats.dropped++;
                                t->lists_ok = false;
                                /* its stacks in subinterpreters are not reported without it
                                 * (nor any, when the walk failed before its TID was read) */
                                for (size_t i = 0; main_interp && i < t->n_subs; i++)
                                        if (!st.tid || t->subs[i].st.tid == st.tid)
                                                t->subs[i].done = true;
                                if (!next)
                                        break; /* the thread list itself is unreadable */
                        } else if (depth) {
                                /* collected innermost first; report outermost first */
                                for (uint32_t i = 0; i < depth / 2; i++) {
                                        uint32_t x = t->stack_buf[i];
                                        t->stack_buf[i] = t->stack_buf[depth - 1 - i];
                                        t->stack_buf[depth - 1 - i] = x;
                                }
                                st.depth = depth;
                                st.frames = t->stack_buf;
                                t->stats.frames += depth;
                                if (!main_interp) {
                                        hold_sub_stack(t, &st, t->lists[ni].id);
                                } else {
                                        struct thread_stack out;
                                        fn(t->n_subs ? splice_subs(t, &st, &out) : &st, userdata);
                                        reported++;
                                }
                        }
                        tstate = next;
                }
        }
        if (t->n_subs)
                reported += report_lone_subs(t, fn, userdata);
        return reported;
}

const struct walk_stats *
target_walk_stats(const struct target *t)
{
        return &t->stats;
}

const char *
target_frame_info(const struct target *t, uint32_t id, size_t *ret_len)
{
        if (id >= t->n_frames)
                return NULL;
        if (ret_len)
                *ret_len = t->frames[id].len;
        return t->frames[id].info;
}

uint32_t
target_frame_count(const struct target *t)
{
        return (uint32_t)t->n_frames;
}

void
target_frame_parts(const struct target *t, uint32_t id, struct frame_parts *ret)
{
        const struct frame_rec *f = &t->frames[id];
        const char *file = f->info + strlen(f->info) + 1;
        const char *line = file + strlen(file) + 1;

        ret->function = f->info;
        ret->file = file;
        ret->first_line = atoi(line);
        ret->line = f->line > 0 ? f->line : 0;
        ret->class_name = f->class_name;
}

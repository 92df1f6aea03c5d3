/* Who a sampled thread is: a key for the OS thread behind a thread state, and its
 * threading.Thread name, read from the target's memory as Python itself would find it:
 * sys.modules['threading']._active[ident]._name. Every step reads remote, untrusted memory:
 * each count and size is bounded, and any surprise is an error, never an assert. Names are
 * read once per thread (ident and TID) and only on request: never per sample. */
#include "config.h"

#include <errno.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "internal.h"

uint64_t
thread_stack_key(const struct thread_stack *st)
{
        uint64_t h = u64_hash((uint64_t)(uint32_t)st->tid);

        h = u64_hash(st->ident ^ h);
        return u64_hash(st->tstate ^ h) | 1;
}

/* ---- ints and objects ------------------------------------------------------------------- */

/* The int at @addr, if it fits 64 bits. */
static int
read_int(struct target *t, uint64_t addr, uint64_t *ret)
{
        const struct py_offsets *o = &t->off;
        uint32_t size_off = o->pylong.lv_tag != OFF_NONE ? o->pylong.lv_tag : o->pylong.ob_size;
        uint8_t buf[64];
        uint64_t size, ndigits, v = 0;
        size_t len = o->pylong.ob_digit + 3 * 4;
        unsigned bits = o->pylong.digit_bits;
        int r;

        if (len > sizeof(buf) || size_off == OFF_NONE || !bits || bits > 32)
                return -EBADMSG;
        r = rmem_read(t->mem, addr, len, buf);
        if (r < 0)
                return r;
        size = rd_u64(buf, len, size_off);
        if (o->pylong.lv_tag != OFF_NONE) {
                /* 3.12+ lv_tag: digits << 3 | sign, sign 0 positive, 1 zero, 2 negative */
                if ((size & 3) == 2)
                        return -ERANGE;
                ndigits = size >> 3;
        } else {
                if ((int64_t)size < 0)
                        return -ERANGE;
                ndigits = size;
        }
        if (ndigits * bits > 64 + bits || ndigits > 3)
                return -ERANGE;
        for (uint64_t i = ndigits; i-- > 0;)
                v = v << bits | rd_u32(buf, len, o->pylong.ob_digit + (uint32_t)(4 * i));
        *ret = v;
        return 0;
}

/* The value of the int key @want in @d. */
static int
dict_find_int(struct target *t, const struct dict_view *d, uint64_t want, uint64_t *ret)
{
        for (uint64_t i = 0; i < d->n; i++) {
                uint64_t key, value, v;

                if (pydict_entry(t, d, i, &key, &value) < 0 || !key)
                        continue;
                if (read_int(t, key, &v) == 0 && v == want) {
                        *ret = value;
                        return value ? 0 : -ENOENT;
                }
        }
        return -ENOENT;
}

/* ---- objects ---------------------------------------------------------------------------- */

/* The attributes of the instance @obj, as a dict view (Objects/object.c
 * _PyObject_GetInstanceAttribute / _PyObject_ComputedDictPointer of each version). */
static int
instance_dict(struct target *t, uint64_t obj, struct dict_view *ret)
{
        const struct py_offsets *o = &t->off;
        uint8_t type[1024];
        uint64_t tp, flags, word, values = 0;
        size_t tlen = MAX(o->type.tp_flags, o->type.tp_dictoffset) + 8;
        int r;

        if (o->type.ht_cached_keys != OFF_NONE)
                tlen = MAX(tlen, (size_t)o->type.ht_cached_keys + 8);
        if (o->type.tp_basicsize != OFF_NONE)
                tlen = MAX(tlen, (size_t)o->type.tp_basicsize + 8);
        if (tlen > sizeof(type))
                return -EBADMSG;
        r = rmem_read_ptr(t, obj + o->object.ob_type, &tp);
        if (r < 0)
                return r;
        r = rmem_read(t->mem, tp, tlen, type);
        if (r < 0)
                return r;
        flags = rd_u64(type, tlen, o->type.tp_flags);

        if (o->type.flag_managed_dict != OFF_NONE && (flags & o->type.flag_managed_dict)) {
                r = rmem_read_ptr(t, obj - o->object.managed_dict, &word);
                if (r < 0)
                        return r;
                if (o->object.managed_dict_tag != OFF_NONE && (word & o->object.managed_dict_tag))
                        /* 3.12: values stored as values - 1, the low bit the tag
                         * (_PyDictOrValues_SetValues(), _PyDictOrValues_GetValues()) */
                        values = word + o->object.managed_dict_tag;
                else if (word)
                        return pydict_view(t, word, ret); /* a dict was made */
                else if (o->object.managed_values != OFF_NONE) {
                        /* 3.11: the values pointer beside the dict's */
                        r = rmem_read_ptr(t, obj - o->object.managed_values, &values);
                        if (r < 0)
                                return r;
                } else if (o->type.flag_inline_values != OFF_NONE &&
                           (flags & o->type.flag_inline_values)) {
                        /* 3.13+: values right after the object, valid until a dict takes
                         * them over (_PyObject_InlineValues(), PyDictValues.valid) */
                        uint8_t valid;
                        values = obj + rd_u64(type, tlen, o->type.tp_basicsize);
                        r = rmem_read(t->mem, values + o->dict.values_valid, 1, &valid);
                        if (r < 0)
                                return r;
                        if (!valid)
                                return -ENOENT;
                }
                if (!values)
                        return -ENOENT;
                /* shared keys: the type's ht_cached_keys */
                return pydict_keys_view(t, rd_u64(type, tlen, o->type.ht_cached_keys), values, ret);
        }
        int64_t off = (int64_t)rd_u64(type, tlen, o->type.tp_dictoffset);
        if (off <= 0 || off > 4096)
                return -ENOENT; /* no dict, or one at the end of a variable-size object */
        r = rmem_read_ptr(t, obj + (uint64_t)off, &word);
        if (r < 0)
                return r;
        return pydict_view(t, word, ret);
}

/* sys.modules['threading']._active and _limbo of interpreter @interp. */
static int
find_registries(struct target *t, uint64_t interp, uint64_t *ret_active, uint64_t *ret_limbo)
{
        struct dict_view d;
        int r;

        r = pymodule_dict(t, interp, "threading", &d);
        if (r < 0)
                return r;
        r = pydict_find_str(t, &d, "_active", ret_active);
        if (r < 0)
                return r;
        if (pydict_find_str(t, &d, "_limbo", ret_limbo) < 0)
                *ret_limbo = 0;
        return 0;
}

/* Is the object at @obj alive (not freed: pymalloc's free list pointer in its refcount)? */
static bool
object_alive(struct target *t, uint64_t obj)
{
        uint64_t refcnt;

        return rmem_read_ptr(t, obj + t->off.object.ob_refcnt, &refcnt) == 0 && pyobj_alive(refcnt);
}

/* The name of @thread, the Thread whose _ident is @ident. The dicts are read while the target
 * changes them: an entry of _active read as it is replaced can be a Thread freed since (of an
 * earlier thread with the same ident: pthread_t values are reused at once), whose _name now
 * points at another str (a request handler's "User-Agent: ..." header line). The Thread must
 * be alive, its _ident @ident, and the same _name before and after the str is read; else there
 * is no name yet and the thread is asked again later. */
static int
thread_name_attr(struct target *t, uint64_t thread, uint64_t ident, struct pystr *ret)
{
        struct dict_view d;
        uint64_t name, again, v;
        int r;

        if (!object_alive(t, thread))
                return -ENOENT;
        r = instance_dict(t, thread, &d);
        if (r < 0)
                return r;
        if (pydict_find_str(t, &d, "_ident", &v) < 0 || read_int(t, v, &v) < 0 || v != ident)
                return -ENOENT;
        r = pydict_find_str(t, &d, "_name", &name);
        if (r < 0)
                return r;
        r = pystr_read(t->mem, &t->off, name, ret);
        if (r < 0)
                return r;
        if (!object_alive(t, thread) || instance_dict(t, thread, &d) < 0 ||
            pydict_find_str(t, &d, "_name", &again) < 0 || again != name) {
                free(ret->s);
                ret->s = NULL;
                return -ENOENT;
        }
        return 0;
}

/* The Thread of @ident: in _active ({ident: Thread}), or, for a thread that has just started
 * (Lib/threading.py Thread._bootstrap_inner: _set_ident() comes first, the move from _limbo
 * ({Thread: Thread}) to _active a little later), the one in _limbo whose _ident it is. */
static int
name_in(struct target *t, uint64_t active, uint64_t limbo, uint64_t ident, struct pystr *ret)
{
        struct dict_view d;
        uint64_t thread, key, value;
        int r;

        r = pydict_view(t, active, &d);
        if (r < 0)
                return r;
        r = dict_find_int(t, &d, ident, &thread);
        if (r == 0) {
                uint64_t again;

                r = thread_name_attr(t, thread, ident, ret);
                if (r < 0)
                        return r;
                /* the entry read may have been one being replaced: it must still be there */
                if (pydict_view(t, active, &d) < 0 || dict_find_int(t, &d, ident, &again) < 0 ||
                    again != thread) {
                        free(ret->s);
                        ret->s = NULL;
                        return -ENOENT;
                }
                return 0;
        }
        if (!limbo || pydict_view(t, limbo, &d) < 0)
                return r;
        for (uint64_t i = 0; i < d.n && i < 64; i++) {
                if (pydict_entry(t, &d, i, &key, &value) < 0 || !value)
                        continue;
                if (thread_name_attr(t, value, ident, ret) == 0)
                        return 0;
        }
        return -ENOENT;
}

static int
read_name(struct target *t, uint64_t ident, struct pystr *ret)
{
        const struct py_offsets *o = &t->off;
        uint64_t interp;
        int r;

        if (o->interp.modules == OFF_NONE || o->dict.ma_keys == OFF_NONE)
                return -ENOTSUP;
        /* the last registries found first: a lookup then costs a handful of reads */
        if (t->tn_active && name_in(t, t->tn_active, t->tn_limbo, ident, ret) == 0)
                return 0;
        r = rmem_read_ptr(t, t->loc.runtime + o->runtime.interpreters_head, &interp);
        if (r < 0)
                return r;
        for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
                uint64_t active, limbo;

                if (find_registries(t, interp, &active, &limbo) == 0 &&
                    (active != t->tn_active || limbo != t->tn_limbo) &&
                    name_in(t, active, limbo, ident, ret) == 0) {
                        t->tn_active = active;
                        t->tn_limbo = limbo;
                        return 0;
                }
                if (rmem_read_ptr(t, interp + o->interp.next, &interp) < 0)
                        break;
        }
        return -ENOENT;
}

/* ---- the cache -------------------------------------------------------------------------- */

/* @s into @buf, cut at a character boundary when it does not fit. */
static void
copy_name(char *buf, size_t len, const char *s)
{
        size_t slen = strlen(s), n = MIN(slen, len - 1);

        while (n > 0 && n < slen && ((uint8_t)s[n] & 0xc0) == 0x80)
                n--;
        memcpy(buf, s, n);
        buf[n] = '\0';
}

struct thread_name {
        uint64_t ident;
        int32_t tid;
        char *name;
};

int
target_thread_name(struct target *t, uint64_t ident, int32_t tid, char *buf, size_t len)
{
        struct thread_name *e = NULL;
        struct pystr s = { 0 };
        int r;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < t->n_names && !e; i++)
                if (t->names[i].ident == ident)
                        e = &t->names[i];
        if (e && e->tid == tid) {
                copy_name(buf, len, e->name);
                return 0;
        }
        r = read_name(t, ident, &s);
        if (r < 0)
                return r;
        if (!e) {
                xgrow(&t->names, &t->cap_names, t->n_names + 1, sizeof(*t->names));
                e = &t->names[t->n_names++];
                e->name = NULL;
        }
        free(e->name);
        /* a new thread with the ident of an ended one replaces it: idents are few, TIDs not */
        *e = (struct thread_name){ .ident = ident, .tid = tid, .name = s.s };
        copy_name(buf, len, e->name);
        return 0;
}

void
threadname_release(struct target *t)
{
        for (size_t i = 0; i < t->n_names; i++)
                free(t->names[i].name);
        free(t->names);
        t->names = NULL;
        t->n_names = t->cap_names = 0;
}

/* Dicts and modules of the target, read as Python itself finds things in them: the keys
 * object's entries after its index (Objects/dict-common.h ≤3.10, Include/internal/
 * pycore_dict.h ≥3.11), split values apart. Every count and size read is bounded, and any
 * surprise is an error, never an assert. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/xalloc.h"
#include "internal.h"

/* A dict with more entries than this is not one pyinstr looks into (sys.modules of a large
 * program has a few thousand). */
#define DICT_MAX_ENTRIES 65536
/* Keys whose str length is looked at per process_vm_readv call. */
#define KEY_BATCH 512


int
rmem_read_ptr(struct target *t, uint64_t addr, uint64_t *ret)
{
        return rmem_read(t->mem, addr, sizeof(*ret), ret);
}

/* The keys object at @keys; @values (0 for none) is the split values[] array. */
int
pydict_keys_view(struct target *t, uint64_t keys, uint64_t values, struct dict_view *ret)
{
        const struct py_offsets *o = &t->off;
        uint8_t hdr[64];
        uint64_t index_bytes, n;
        unsigned kind = 0;
        int r;

        if (!keys || o->dict.dk_indices > sizeof(hdr))
                return -EBADMSG;
        r = rmem_read(t->mem, keys, o->dict.dk_indices, hdr);
        if (r < 0)
                return r;
        if (o->dict.dk_log2_index_bytes != OFF_NONE) {
                /* ≥3.11: the index is 1 << dk_log2_index_bytes bytes (pycore_dict.h) */
                unsigned log2 = rd_u8(hdr, sizeof(hdr), o->dict.dk_log2_index_bytes);

                if (log2 > 32)
                        return -EBADMSG;
                index_bytes = 1ULL << log2;
                kind = rd_u8(hdr, sizeof(hdr), o->dict.dk_kind);
        } else {
                /* ≤3.10: dk_size slots of 1, 2, 4 or 8 bytes (Objects/dict-common.h) */
                uint64_t size = rd_u64(hdr, sizeof(hdr), o->dict.dk_size);

                if (!size || size > (1u << 30) || (size & (size - 1)))
                        return -EBADMSG;
                index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
        }
        n = rd_u64(hdr, sizeof(hdr), o->dict.dk_nentries);
        if (n > DICT_MAX_ENTRIES)
                return -EBADMSG;
        /* DICT_KEYS_GENERAL (0) has the hash in each entry; unicode and split keys do not */
        ret->esize = kind && o->dict.unicode_entry_size != OFF_NONE ? o->dict.unicode_entry_size
                                                                    : o->dict.entry_size;
        if (ret->esize < 16 || ret->esize > 64)
                return -EBADMSG;
        ret->entries = keys + o->dict.dk_indices + index_bytes;
        ret->values = values ? values + o->dict.values : 0;
        ret->n = n;
        return 0;
}

int
pydict_view(struct target *t, uint64_t dict, struct dict_view *ret)
{
        const struct py_offsets *o = &t->off;
        uint64_t keys, values;
        int r;

        if (!dict)
                return -ENOENT;
        r = rmem_read_ptr(t, dict + o->dict.ma_keys, &keys);
        if (r < 0)
                return r;
        r = rmem_read_ptr(t, dict + o->dict.ma_values, &values);
        if (r < 0)
                return r;
        return pydict_keys_view(t, keys, values, ret);
}

/* Entry @i's key and value (0 when deleted or unset). */
int
pydict_entry(struct target *t, const struct dict_view *d, uint64_t i, uint64_t *ret_key,
         uint64_t *ret_value)
{
        uint64_t kv[2];
        int r;

        r = rmem_read(t->mem, d->entries + i * d->esize + d->esize - 16, sizeof(kv), kv);
        if (r < 0)
                return r;
        *ret_key = kv[0];
        if (d->values)
                return rmem_read_ptr(t, d->values + i * 8, ret_value);
        *ret_value = kv[1];
        return 0;
}

/* The value of the str key @want in @d. @return 0; -ENOENT no such key; -errno. */
int
pydict_find_str(struct target *t, const struct dict_view *d, const char *want, uint64_t *ret)
{
        const struct py_offsets *o = &t->off;
        size_t want_len = strlen(want);
        uint64_t keys[KEY_BATCH], lens[KEY_BATCH];
        uint64_t kv[KEY_BATCH][2];
        struct rmem_iov iov[KEY_BATCH];

        for (uint64_t base = 0; base < d->n; base += KEY_BATCH) {
                size_t n = (size_t)MIN((uint64_t)KEY_BATCH, d->n - base);
                int r;

                /* the keys of this batch, then their lengths, each in one syscall */
                for (size_t i = 0; i < n; i++)
                        iov[i] = (struct rmem_iov){
                                .addr = d->entries + (base + i) * d->esize + d->esize - 16,
                                .len = sizeof(kv[i]),
                                .buf = kv[i],
                        };
                r = rmem_readv(t->mem, iov, n);
                if (r < 0 && r != -EFAULT)
                        return r;
                size_t m = 0;
                for (size_t i = 0; i < n; i++) {
                        keys[i] = iov[i].err ? 0 : kv[i][0];
                        lens[i] = UINT64_MAX;
                }
                for (size_t i = 0; i < n; i++)
                        if (keys[i])
                                iov[m++] = (struct rmem_iov){
                                        .addr = keys[i] + o->unicode.length,
                                        .len = 8,
                                        .buf = &lens[i],
                                };
                r = rmem_readv(t->mem, iov, m);
                if (r < 0 && r != -EFAULT)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        struct pystr s = { 0 };

                        /* a failed piece left its length at UINT64_MAX */
                        if (!keys[i] || lens[i] != want_len)
                                continue;
                        if (pystr_read(t->mem, o, keys[i], &s) < 0)
                                continue;
                        bool match = s.len == want_len && !memcmp(s.s, want, want_len);
                        free(s.s);
                        if (!match)
                                continue;
                        uint64_t key;
                        return pydict_entry(t, d, base + i, &key, ret);
                }
        }
        return -ENOENT;
}

int
pymodule_dict(struct target *t, uint64_t interp, const char *name, struct dict_view *ret)
{
        const struct py_offsets *o = &t->off;
        struct dict_view d;
        uint64_t modules, module, md_dict;
        int r;

        r = rmem_read_ptr(t, interp + o->interp.modules, &modules);
        if (r < 0)
                return r;
        r = pydict_view(t, modules, &d);
        if (r < 0)
                return r;
        r = pydict_find_str(t, &d, name, &module);
        if (r < 0)
                return r;
        r = rmem_read_ptr(t, module + o->module.md_dict, &md_dict);
        if (r < 0)
                return r;
        return pydict_view(t, md_dict, ret);
}

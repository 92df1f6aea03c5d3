/* String interning over u64map: the key is an FNV-1a hash, and a collision between different
 * strings moves on to the next odd key, so lookups compare bytes before trusting a hit. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "strtab.h"

static uint64_t
str_hash(const char *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
        return h | 1; /* u64map keys must be non-zero */
}

void
strtab_init(struct strtab *t)
{
        memset(t, 0, sizeof(*t));
        u64map_init(&t->index);
}

void
strtab_release(struct strtab *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].str);
        free(t->v);
        u64map_release(&t->index);
        strtab_init(t);
}

/* Probe for @s; returns its id, or UINT32_MAX with *ret_key set to the free key to use. */
static uint32_t
probe(const struct strtab *t, const char *s, size_t len, uint64_t *ret_key)
{
        uint64_t h = str_hash(s, len), v;

        for (;; h = (h + 2) | 1) {
                if (!u64map_get(&t->index, h, &v))
                        break;
                if (t->v[v].len == len && !memcmp(t->v[v].str, s, len))
                        return (uint32_t)v;
        }
        *ret_key = h;
        return UINT32_MAX;
}

uint32_t
strtab_find(const struct strtab *t, const char *s, size_t len)
{
        uint64_t key;

        return probe(t, s, len, &key);
}

uint32_t
strtab_intern(struct strtab *t, const char *s, size_t len)
{
        uint64_t key;
        uint32_t id = probe(t, s, len, &key);

        if (id != UINT32_MAX)
                return id;
        xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
        t->v[t->n].str = xmalloc(len + 1);
        memcpy(t->v[t->n].str, s, len);
        t->v[t->n].str[len] = '\0';
        t->v[t->n].len = len;
        u64map_put(&t->index, key, t->n);
        return (uint32_t)t->n++;
}

/* String interning: an open-addressing index of ids over the entries, each entry keeping its
 * 8-byte hash, so that a probe compares hashes before bytes and growing never rehashes a
 * string. Frame-info strings are 30-100 bytes: the hash takes 8 bytes a step. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/u64map.h"
#include "common/xalloc.h"

static uint64_t
str_hash(const char *p, size_t n)
{
        uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
        size_t i = 0;

        for (; i + 8 <= n; i += 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
                h ^= h >> 31;
        }
        if (i < n) {
                uint64_t w = 0;
                memcpy(&w, p + i, n - i);
                h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        }
        return u64_hash(h);
}

void
strtab_init(struct strtab *t)
{
        memset(t, 0, sizeof(*t));
}

void
strtab_release(struct strtab *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].str);
        free(t->v);
        free(t->index);
        strtab_init(t);
}

/* The index slot holding @s, or the empty slot where it would go. */
static size_t
probe(const struct strtab *t, const char *s, size_t len, uint64_t h)
{
        size_t mask = t->index_cap - 1;

        for (size_t i = h & mask;; i = (i + 1) & mask) {
                uint32_t id = t->index[i];
                if (!id)
                        return i;
                const struct strtab_entry *e = &t->v[id - 1];
                if (e->hash == h && e->len == len && memcmp(e->str, s, len) == 0)
                        return i;
        }
}

uint32_t
strtab_find(const struct strtab *t, const char *s, size_t len)
{
        if (!t->index_cap)
                return UINT32_MAX;
        uint32_t id = t->index[probe(t, s, len, str_hash(s, len))];
        return id ? id - 1 : UINT32_MAX;
}

static void
grow_index(struct strtab *t)
{
        size_t cap = t->index_cap ? t->index_cap * 2 : 64;

        free(t->index);
        t->index = xcalloc(cap, sizeof(*t->index));
        t->index_cap = cap;
        for (size_t id = 0; id < t->n; id++) {
                size_t i = t->v[id].hash & (cap - 1);
                while (t->index[i])
                        i = (i + 1) & (cap - 1);
                t->index[i] = (uint32_t)id + 1;
        }
}

uint32_t
strtab_intern(struct strtab *t, const char *s, size_t len)
{
        uint64_t h = str_hash(s, len);
        size_t slot;

        if ((t->n + 1) * 4 > t->index_cap * 3)
                grow_index(t);
        slot = probe(t, s, len, h);
        if (t->index[slot])
                return t->index[slot] - 1;
        xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
        t->v[t->n].str = xmalloc(len + 1);
        memcpy(t->v[t->n].str, s, len);
        t->v[t->n].str[len] = '\0';
        t->v[t->n].len = len;
        t->v[t->n].hash = h;
        t->index[slot] = (uint32_t)t->n + 1;
        return (uint32_t)t->n++;
}

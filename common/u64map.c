/* Linear-probing hash map, uint64 → uint64. No deletion (nothing in pyinstr needs it;
 * caches are cleared whole). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "u64map.h"
#include "xalloc.h"

void
u64map_init(struct u64map *m)
{
        memset(m, 0, sizeof(*m));
}

void
u64map_release(struct u64map *m)
{
        free(m->keys);
        free(m->vals);
        u64map_init(m);
}

void
u64map_clear(struct u64map *m)
{
        if (m->keys)
                memset(m->keys, 0, m->cap * sizeof(*m->keys));
        m->len = 0;
}

bool
u64map_get(const struct u64map *m, uint64_t key, uint64_t *ret_val)
{
        if (!m->cap || !key)
                return false;
        for (size_t i = u64_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == key) {
                        *ret_val = m->vals[i];
                        return true;
                }
                if (!m->keys[i])
                        return false;
        }
}

static void
put_nogrow(struct u64map *m, uint64_t key, uint64_t val)
{
        size_t i = u64_hash(key) & (m->cap - 1);

        while (m->keys[i] && m->keys[i] != key)
                i = (i + 1) & (m->cap - 1);
        if (!m->keys[i])
                m->len++;
        m->keys[i] = key;
        m->vals[i] = val;
}

void
u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
        if (!key)
                return; /* 0 marks an empty slot: never stored (callers validate keys) */
        if ((m->len + 1) * 4 > m->cap * 3) {
                struct u64map old = *m;
                m->cap = old.cap ? old.cap * 2 : 64;
                m->keys = xcalloc(m->cap, sizeof(*m->keys));
                m->vals = xmalloc(m->cap * sizeof(*m->vals));
                m->len = 0;
                for (size_t i = 0; i < old.cap; i++)
                        if (old.keys[i])
                                put_nogrow(m, old.keys[i], old.vals[i]);
                free(old.keys);
                free(old.vals);
        }
        put_nogrow(m, key, val);
}

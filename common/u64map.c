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
        free(m->slots);
        u64map_init(m);
}

void
u64map_clear(struct u64map *m)
{
        if (m->slots)
                memset(m->slots, 0, m->cap * sizeof(*m->slots));
        m->len = 0;
}

bool
u64map_get(const struct u64map *m, uint64_t key, uint64_t *ret_val)
{
        if (!m->cap || !key)
                return false;
        for (size_t i = u64_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
                if (m->slots[i].key == key) {
                        *ret_val = m->slots[i].val;
                        return true;
                }
                if (!m->slots[i].key)
                        return false;
        }
}

static void
put_nogrow(struct u64map *m, uint64_t key, uint64_t val)
{
        size_t i = u64_hash(key) & (m->cap - 1);

        while (m->slots[i].key && m->slots[i].key != key)
                i = (i + 1) & (m->cap - 1);
        if (!m->slots[i].key)
                m->len++;
        m->slots[i] = (struct u64map_slot){ .key = key, .val = val };
}

void
u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
        if (!key)
                return; /* 0 marks an empty slot: never stored (callers validate keys) */
        if ((m->len + 1) * 4 > m->cap * 3) {
                struct u64map old = *m;
                m->cap = old.cap ? old.cap * 2 : 64;
                m->slots = xcalloc(m->cap, sizeof(*m->slots));
                m->len = 0;
                for (size_t i = 0; i < old.cap; i++)
                        if (old.slots[i].key)
                                put_nogrow(m, old.slots[i].key, old.slots[i].val);
                free(old.slots);
        }
        put_nogrow(m, key, val);
}

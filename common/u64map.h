#pragma once
/* An open-addressing hash map from non-zero uint64_t keys to uint64_t values.
 * Used for the stack trie (tree/), and the code-object and string caches (attach/). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A key beside its value: a hit costs one cache line, not two. */
struct u64map_slot {
        uint64_t key; /* 0 = empty slot */
        uint64_t val;
};

struct u64map {
        struct u64map_slot *slots;
        size_t cap; /* a power of two */
        size_t len;
};

void u64map_init(struct u64map *m);
void u64map_clear(struct u64map *m);
void u64map_release(struct u64map *m);
/* Returns true and sets *ret_val when @key (non-zero) is present. */
bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *ret_val);
/* Inserts or replaces. @key must be non-zero. */
void u64map_put(struct u64map *m, uint64_t key, uint64_t val);

static inline uint64_t
u64_hash(uint64_t x)
{
        /* splitmix64 finaliser: cheap and good enough for addresses and packed ids */
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

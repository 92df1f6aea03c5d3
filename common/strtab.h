#pragma once
/* Interned byte strings (NULs allowed) → dense uint32_t ids, stable for the table's life. */

#include <stddef.h>
#include <stdint.h>

struct strtab_entry {
        char *str; /* NUL-terminated copy; @len is authoritative */
        size_t len;
        uint64_t hash; /* compared before the bytes, and reused when the index grows */
};

struct strtab {
        struct strtab_entry *v;
        size_t n, cap;
        uint32_t *index; /* open addressing: id + 1, 0 = empty */
        size_t index_cap; /* a power of two */
};

void strtab_init(struct strtab *t);
void strtab_release(struct strtab *t);
uint32_t strtab_intern(struct strtab *t, const char *s, size_t len);
/* The id of @s if present, else UINT32_MAX. */
uint32_t strtab_find(const struct strtab *t, const char *s, size_t len);

/* How many strings the table holds (ids are below this). */
static inline size_t
strtab_count(const struct strtab *t)
{
        return t->n;
}

/* The string of id @id (NUL-terminated; it may hold NULs, *@ret_len is authoritative), borrowed
 * until strtab_release(). */
static inline const char *
strtab_str(const struct strtab *t, uint32_t id, size_t *ret_len)
{
        *ret_len = t->v[id].len;
        return t->v[id].str;
}

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

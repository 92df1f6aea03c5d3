#pragma once
/* Private to tree/frame*.c: the tree context and the node helpers the three files share. */

#include <stddef.h>
#include <stdint.h>

#include "common/strtab.h"
#include "tree/frame.h"

#define CHUNK_FRAMES 4096

struct frame_chunk {
        struct frame_chunk *next;
        size_t used;
        struct frame frames[CHUNK_FRAMES];
};

/* Children and attribute arrays come from a bump allocator: a grown array leaves its old
 * copy behind (at most as much again), and nothing is freed before the tree. Millions of
 * small malloc() calls were a third of the render time of a long session. */
struct arena_block {
        struct arena_block *next;
        size_t used, size;
        max_align_t data[];
};

struct frame_tree {
        const struct session *session;
        struct frame_chunk *chunks;
        struct arena_block *arena;
        struct strtab idents;      /* identifier texts */
        struct frame_ident *ident; /* parsed, parallel to @idents */
        size_t cap_ident;
        struct strtab attr_keys; /* "l42", "cView", "h1" */
        struct strtab short_paths;
        /* per session frame: its identifier and its attribute keys */
        uint32_t *info_ident, *info_attr_off, *info_attr_n, *attr_pool;
        size_t n_attr_pool, cap_attr_pool, n_infos;
        struct frame_group **groups;
        size_t n_groups, cap_groups;
        uint32_t *threads; /* identifier of each thread root, busiest first */
        size_t n_threads;
        uint32_t self_ident, root_ident;
        char *cwd;
};

/* The attribute keys of session frame @info (t->info_attr_n[info] of them). A session without
 * any attribute has no pool at all, and NULL + 0 is undefined behaviour (UBSan, found by
 * fuzz-session). */
static inline const uint32_t *
frame_tree_info_keys(const struct frame_tree *t, uint32_t info)
{
        return t->attr_pool ? t->attr_pool + t->info_attr_off[info] : NULL;
}

struct frame *frame_alloc(struct frame_tree *t, uint32_t ident);
/* Add @time to @f's attribute @key, appending it if new (Python dict order). */
void frame_add_attr(struct frame_tree *t, struct frame *f, uint32_t key, double time);
/* Insert @n @children (detached from their old parent by the caller) at position @pos. */
void frame_insert_children(struct frame_tree *t,
                           struct frame *parent,
                           uint32_t pos,
                           struct frame **children,
                           uint32_t n);
/* @child's position among @parent's children, or UINT32_MAX. */
uint32_t frame_child_index(const struct frame *parent, const struct frame *child);
/* remove_frame_from_groups(), for @f alone or its whole subtree. */
void frame_ungroup(struct frame_tree *t, struct frame *f);
void frame_ungroup_subtree(struct frame_tree *t, struct frame *root);
/* remove_tracebackhide's choice per identifier, or'ed into @removed (indexed by identifier):
 * false when the timeline must decide (an identifier's frames disagree on __tracebackhide__). */
bool frame_hidden_idents(const struct frame_tree *t, bool *removed);

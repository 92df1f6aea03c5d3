/* frame_ops.py and FrameGroup: deleting and combining nodes with pyinstrument's absorbed-time
 * bookkeeping, group membership and exit frames, and the self_check() invariant. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "frame.h"
#include "frame_internal.h"

struct frame_group *
frame_group(const struct frame_tree *t, const struct frame *f)
{
        return f->group == FRAME_NO_GROUP ? NULL : t->groups[f->group];
}

static void
group_remove(struct frame_group *g, struct frame *f)
{
        for (size_t i = 0; i < g->n_frames; i++) {
                if (g->frames[i] == f) {
                        memmove(g->frames + i, g->frames + i + 1,
                                (g->n_frames - i - 1) * sizeof(*g->frames));
                        g->n_frames--;
                        break;
                }
        }
        f->group = FRAME_NO_GROUP;
}

static void
uuid4(char out[37])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];

        for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (unsigned char)random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        for (size_t i = 0, o = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[b[i] >> 4];
                out[o++] = hex[b[i] & 15];
        }
        out[36] = '\0';
}

struct frame_group *
frame_group_new(struct frame_tree *t, struct frame *root)
{
        struct frame_group *g = xcalloc(1, sizeof(*g));

        uuid4(g->id);
        g->root = root;
        g->index = (uint32_t)t->n_groups;
        xgrow(&t->groups, &t->cap_groups, t->n_groups + 1, sizeof(*t->groups));
        t->groups[t->n_groups++] = g;
        frame_group_add(t, g, root);
        return g;
}

void
frame_group_add(struct frame_tree *t, struct frame_group *g, struct frame *f)
{
        if (f->group != FRAME_NO_GROUP)
                group_remove(t->groups[f->group], f);
        xgrow(&g->frames, &g->cap_frames, g->n_frames + 1, sizeof(*g->frames));
        g->frames[g->n_frames++] = f;
        f->group = g->index;
}

bool
frame_group_is_exit_frame(struct frame_group *g, const struct frame *f)
{
        if (!g->exit_frames_known) {
                uint32_t gi = g->index;
                for (size_t i = 0; i < g->n_frames; i++) {
                        struct frame *m = g->frames[i];
                        for (uint32_t c = 0; c < m->n_children; c++) {
                                if (m->children[c]->group != gi) {
                                        g->exit_frames = xrealloc(g->exit_frames,
                                                                  (g->n_exit_frames + 1) *
                                                                          sizeof(*g->exit_frames));
                                        g->exit_frames[g->n_exit_frames++] = m;
                                        break;
                                }
                        }
                }
                g->exit_frames_known = true;
        }
        for (size_t i = 0; i < g->n_exit_frames; i++)
                if (g->exit_frames[i] == f)
                        return true;
        return false;
}

/* remove_frame_from_groups(): a group left with one frame is dissolved. */
void
frame_ungroup(struct frame_tree *t, struct frame *f)
{
        struct frame_group *g = frame_group(t, f);

        if (!g)
                return;
        group_remove(g, f);
        if (g->n_frames == 1)
                group_remove(g, g->frames[0]);
}

void
frame_ungroup_subtree(struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;

        /* pyinstrument goes children first; the order only matters for which single frame is
         * left to dissolve, and any order leaves the same membership */
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                frame_stack_push_children(&st, f);
                frame_ungroup(t, f);
        }
        frame_stack_release(&st);
}

/* ------------------------------------------------------------------------------------------ */
/* frame_ops.py */

void
frame_delete(struct frame_tree *t, struct frame *f, enum frame_replace with)
{
        struct frame *parent = f->parent;
        uint32_t pos;

        if (!parent)
                return;
        pos = frame_child_index(parent, f);
        switch (with) {
        case FRAME_REPLACE_CHILDREN: {
                uint32_t n = f->n_children;
                struct frame **moved = f->children; /* stays valid: arena memory */
                f->children = NULL;
                f->n_children = f->cap_children = 0;
                frame_insert_children(t, parent, pos + 1, moved, n);
                break;
        }
        case FRAME_REPLACE_SELF_TIME: {
                struct frame *self = frame_alloc(t, t->self_ident);
                self->time = f->time;
                frame_insert_children(t, parent, pos + 1, &self, 1);
                break;
        }
        case FRAME_REPLACE_NOTHING:
                parent->absorbed_time += f->time;
                break;
        }
        parent->absorbed_time += f->absorbed_time;
        frame_remove_from_parent(f);
        frame_ungroup_subtree(t, f);
}

void
frame_delete_detached(struct frame_tree *t, struct frame *f)
{
        struct frame *parent = f->parent;

        parent->absorbed_time += f->time;
        parent->absorbed_time += f->absorbed_time;
        f->parent = NULL;
        frame_ungroup_subtree(t, f);
}

void
frame_combine_into(struct frame_tree *t, struct frame *f, struct frame *into)
{
        into->absorbed_time += f->absorbed_time;
        into->time += f->time;
        for (uint32_t i = 0; i < f->n_attrs; i++)
                frame_add_attr(t, into, f->attrs[i].key, f->attrs[i].time);
        frame_insert_children(t, into, into->n_children, f->children, f->n_children);
        f->n_children = 0;
        f->parent = NULL;
        frame_ungroup(t, f);
}

void
frame_combine(struct frame_tree *t, struct frame *f, struct frame *into)
{
        frame_remove_from_parent(f);
        frame_combine_into(t, f, into);
}

/* Stable merge sort of @v (n items) by time, descending, using @tmp (n items). */
void
frame_sort_by_time(struct frame **v, struct frame **tmp, size_t n)
{
        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n;
                        size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
                        size_t a = lo, b = mid, o = lo;
                        while (a < mid && b < hi)
                                tmp[o++] = v[b]->time > v[a]->time ? v[b++] : v[a++];
                        while (a < mid)
                                tmp[o++] = v[a++];
                        while (b < hi)
                                tmp[o++] = v[b++];
                }
                memcpy(v, tmp, n * sizeof(*v));
        }
}

const struct frame *
frame_check(const struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;
        const struct frame *bad = NULL;

        if (!root)
                return NULL;
        frame_stack_push(&st, root);
        while (!bad && (f = frame_stack_pop(&st))) {
                double sum = f->absorbed_time;
                if (frame_is_synthetic_leaf(t, f)) {
                        if (f->n_children)
                                bad = f;
                        continue;
                }
                for (uint32_t i = 0; i < f->n_children; i++) {
                        sum += f->children[i]->time;
                        if (f->children[i]->parent != f)
                                bad = f;
                }
                /* math.isclose() with its default rel_tol of 1e-9 */
                if (fabs(sum - f->time) > 1e-9 * fmax(fabs(sum), fabs(f->time)))
                        bad = f;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        return bad;
}

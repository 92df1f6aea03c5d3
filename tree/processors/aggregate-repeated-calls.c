/* aggregate_repeated_calls: siblings with the same identifier merge into the first one seen,
 * then children are sorted by time, descending and stable. Turns the timeline into a summary. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tree/processor.h"

struct aggregate {
        struct frame_tree *t;
        /* per identifier: the node being visited when it was last seen (so nothing needs
         * clearing between nodes) and the survivor's index among that node's children */
        struct frame **seen_at;
        uint32_t *index;
        struct frame **tmp;
        size_t cap_tmp;
};

static void
aggregate_children(struct frame *f, void *userdata)
{
        struct aggregate *ag = userdata;
        uint32_t n = 0, count = f->n_children;

        for (uint32_t i = 0; i < count; i++) {
                struct frame *c = f->children[i];
                if (ag->seen_at[c->ident] == f) {
                        frame_combine_into(ag->t, c, f->children[ag->index[c->ident]]);
                        continue;
                }
                ag->seen_at[c->ident] = f;
                ag->index[c->ident] = n;
                f->children[n++] = c;
        }
        f->n_children = n;
        xgrow(&ag->tmp, &ag->cap_tmp, n, sizeof(*ag->tmp));
        frame_sort_by_time(f->children, ag->tmp, n);
}

struct frame *
processor_aggregate_repeated_calls(struct frame_tree *t,
                                   struct frame *root,
                                   const struct processor_opts *o)
{
        size_t n = frame_tree_n_idents(t);
        struct aggregate ag = {
                .t = t,
                .seen_at = xcalloc(n, sizeof(*ag.seen_at)),
                .index = xcalloc(n, sizeof(*ag.index)),
        };

        (void)o;
        frame_walk_pre(root, aggregate_children, &ag);
        free(ag.seen_at);
        free(ag.index);
        free(ag.tmp);
        return root;
}

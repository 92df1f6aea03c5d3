/* remove_irrelevant_nodes: delete every node under filter_threshold of the root's time,
 * absorbing its time into its parent. */
#include "config.h"

#include "tree/processor.h"

struct irrelevant {
        struct frame_tree *t;
        double total, threshold;
};

static void
prune_children(struct frame *f, void *userdata)
{
        struct irrelevant *ir = userdata;
        uint32_t n = 0;

        for (uint32_t i = 0; i < f->n_children; i++) {
                struct frame *c = f->children[i];
                if (c->time / ir->total < ir->threshold) {
                        frame_delete_detached(ir->t, c);
                        continue;
                }
                f->children[n++] = c;
        }
        f->n_children = n;
}

struct frame *
processor_remove_irrelevant_nodes(struct frame_tree *t,
                                  struct frame *root,
                                  const struct processor_opts *o)
{
        struct irrelevant ir = { .t = t, .threshold = o->filter_threshold };

        if (!root)
                return NULL;
        ir.total = root->time > 0 ? root->time : 1e-44; /* no division by zero */
        frame_walk_pre(root, prune_children, &ir);
        return root;
}

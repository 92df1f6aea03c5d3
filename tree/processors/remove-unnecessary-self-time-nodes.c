/* remove_unnecessary_self_time_nodes: a [self] that is its parent's only child says nothing;
 * its time is absorbed by the parent. */
#include "config.h"

#include "tree/processor.h"

static void
drop_lone_self(struct frame *f, void *userdata)
{
        struct frame_tree *t = userdata;

        if (f->n_children == 1 && f->children[0]->ident == frame_tree_self_ident(t)) {
                frame_delete_detached(t, f->children[0]);
                f->n_children = 0;
        }
}

struct frame *
processor_remove_unnecessary_self_time_nodes(struct frame_tree *t,
                                             struct frame *root,
                                             const struct processor_opts *o)
{
        (void)o;
        frame_walk_pre(root, drop_lone_self, t);
        return root;
}

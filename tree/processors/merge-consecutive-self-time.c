/* merge_consecutive_self_time: each run of adjacent [self] children becomes its first node,
 * times added in order. The tree holds one [self] per sample until this runs. */
#include "config.h"

#include "tree/processor.h"

static void
merge_children(struct frame *f, void *userdata)
{
        const struct frame_tree *t = userdata;
        uint32_t self = frame_tree_self_ident(t), n = 0;
        struct frame *prev = NULL;

        /* one compaction pass instead of pyinstrument's remove-per-child, which is quadratic
         * on the millions of [self] nodes a long session has */
        for (uint32_t i = 0; i < f->n_children; i++) {
                struct frame *c = f->children[i];
                if (c->ident != self) {
                        prev = NULL;
                } else if (prev) {
                        prev->time += c->time;
                        c->parent = NULL;
                        continue;
                } else {
                        prev = c;
                }
                f->children[n++] = c;
        }
        f->n_children = n;
}

struct frame *
processor_merge_consecutive_self_time(struct frame_tree *t,
                                      struct frame *root,
                                      const struct processor_opts *o)
{
        (void)o;
        frame_walk_pre(root, merge_children, t);
        return root;
}

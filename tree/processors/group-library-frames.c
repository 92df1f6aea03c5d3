/* group_library_frames_processor: a hidden frame (library code, or matching hide_regex and not
 * show_regex) with a hidden child starts a group holding its hidden descendants, so renderers
 * can fold them into "[N frames hidden]". */
#include "config.h"

#include <regex.h>

#include "tree/processor.h"

struct grouping {
        struct frame_tree *t;
        const struct processor_opts *o;
        struct frame_stack st;
};

static bool
should_be_hidden(const struct grouping *g, const struct frame *f)
{
        const char *file = frame_ident(g->t, f)->file;

        if (!file)
                file = "";
        /* the regexes are anchored at the start, as re.match(); show wins over hide */
        if (g->o->show_regex && regexec(g->o->show_regex, file, 0, NULL, 0) == 0)
                return false;
        if (g->o->hide_regex && regexec(g->o->hide_regex, file, 0, NULL, 0) == 0)
                return true;
        return !frame_is_application_code(g->t, f);
}

/* add_frames_to_group(): the group's root is in already; then its hidden children's subtrees,
 * in pre-order */
static void
add_hidden_subtree(struct grouping *g, struct frame_group *group, struct frame *f)
{
        struct frame *x;

        frame_stack_push(&g->st, f);
        while ((x = frame_stack_pop(&g->st))) {
                if (x != f)
                        frame_group_add(g->t, group, x);
                for (uint32_t i = x->n_children; i-- > 0;)
                        if (should_be_hidden(g, x->children[i]))
                                frame_stack_push(&g->st, x->children[i]);
        }
}

static void
group_children(struct frame *f, void *userdata)
{
        struct grouping *g = userdata;

        for (uint32_t i = 0; i < f->n_children; i++) {
                struct frame *c = f->children[i];
                bool hidden_child = false;

                if (c->group != FRAME_NO_GROUP || !should_be_hidden(g, c))
                        continue;
                for (uint32_t j = 0; j < c->n_children && !hidden_child; j++)
                        hidden_child = should_be_hidden(g, c->children[j]);
                if (hidden_child)
                        add_hidden_subtree(g, frame_group_new(g->t, c), c);
        }
}

struct frame *
processor_group_library_frames(struct frame_tree *t,
                               struct frame *root,
                               const struct processor_opts *o)
{
        struct grouping g = { .t = t, .o = o };

        frame_walk_pre(root, group_children, &g);
        frame_stack_release(&g.st);
        return root;
}

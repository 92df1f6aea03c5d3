/* The processor registry and the pipeline runner. */
#include "config.h"

#include <string.h>

#include "common/xalloc.h"
#include "processor.h"

static const struct processor processors[] = {
        { "remove_importlib", processor_remove_importlib },
        { "remove_tracebackhide", processor_remove_tracebackhide },
        { "merge_consecutive_self_time", processor_merge_consecutive_self_time },
        { "aggregate_repeated_calls", processor_aggregate_repeated_calls },
        { "remove_irrelevant_nodes", processor_remove_irrelevant_nodes },
        { "remove_unnecessary_self_time_nodes", processor_remove_unnecessary_self_time_nodes },
        { "remove_first_pyinstrument_frames_processor",
          processor_remove_first_pyinstrument_frames },
        { "group_library_frames_processor", processor_group_library_frames },
};

const struct processor *
processor_find(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(processors); i++)
                if (strcmp(processors[i].name, name) == 0)
                        return &processors[i];
        return NULL;
}

static bool
listed(const char *const *list, const char *name)
{
        for (; list && *list; list++)
                if (strcmp(*list, name) == 0)
                        return true;
        return false;
}

struct frame *
processors_run(struct frame_tree *t,
               struct frame *root,
               const char *const *names,
               const char *const *skip,
               const struct processor_opts *o)
{
        for (; names && *names; names++) {
                const struct processor *p = processor_find(*names);
                if (!p || listed(skip, p->name))
                        continue;
                root = p->fn(t, root, o);
        }
        return root;
}

static bool always_timeline;

void
processors_build_set_timeline(bool always)
{
        always_timeline = always;
}

bool
processors_build_timeline(void)
{
        return always_timeline;
}

struct frame *
processors_build_run(struct frame_tree *t,
                     uint32_t thread,
                     const char *const *names,
                     const char *const *skip,
                     const struct processor_opts *o)
{
        _cleanup_free_ const struct processor **run = NULL;
        size_t n = 0, i = 0;
        bool importlib = false, hidden = false;
        struct frame *root;

        for (const char *const *p = names; p && *p; p++)
                n++;
        run = xcalloc(n + 1, sizeof(*run));
        n = 0;
        for (; names && *names; names++) {
                const struct processor *p = processor_find(*names);
                if (p && !listed(skip, p->name))
                        run[n++] = p;
        }
        if (i < n && run[i]->fn == processor_remove_importlib)
                importlib = true, i++;
        if (i < n && run[i]->fn == processor_remove_tracebackhide)
                hidden = true, i++;
        if (!always_timeline && i + 1 < n && run[i]->fn == processor_merge_consecutive_self_time &&
            run[i + 1]->fn == processor_aggregate_repeated_calls &&
            frame_tree_build_aggregated(t, thread, importlib ? processor_ident_is_importlib : NULL,
                                        hidden, &root) == 0) {
                i += 2;
        } else {
                root = frame_tree_build(t, thread);
                i = 0;
        }
        for (; i < n; i++)
                root = run[i]->fn(t, root, o);
        return root;
}

struct frame *
processor_replace_matching(struct frame_tree *t,
                           struct frame *root,
                           bool (*match)(const struct frame_tree *t, const struct frame *f))
{
        struct frame_stack order = { 0 }, st = { 0 };
        struct frame *f;

        if (!root)
                return NULL;
        /* reverse pre-order visits every child before its parent, as the recursion does */
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                frame_stack_push(&order, f);
                frame_stack_push_children(&st, f);
        }
        while ((f = frame_stack_pop(&order))) {
                for (uint32_t i = 0; i < f->n_children;) {
                        struct frame *c = f->children[i];
                        uint32_t n = c->n_children;
                        if (!match(t, c)) {
                                i++;
                                continue;
                        }
                        frame_delete(t, c, FRAME_REPLACE_CHILDREN);
                        /* the spliced-in children were processed with @c's subtree */
                        i += n;
                }
        }
        frame_stack_release(&order);
        frame_stack_release(&st);
        return root;
}

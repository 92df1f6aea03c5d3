/* remove_tracebackhide: drop frames whose code sets __tracebackhide__ (the h1 attribute),
 * keeping their children. */
#include "config.h"

#include "tree/processor.h"

static bool
hides(const struct frame_tree *t, const struct frame *f)
{
        return frame_has_tracebackhide(t, f);
}

struct frame *
processor_remove_tracebackhide(struct frame_tree *t,
                               struct frame *root,
                               const struct processor_opts *o)
{
        (void)o;
        /* only an "h1" attribute can make has_tracebackhide true */
        if (!frame_tree_has_attr(t, "h1"))
                return root;
        return processor_replace_matching(t, root, hides);
}

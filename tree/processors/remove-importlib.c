/* remove_importlib: drop <frozen importlib._bootstrap…> frames, keeping their children. */
#include "config.h"

#include <string.h>

#include "tree/processor.h"

bool
processor_ident_is_importlib(const struct frame_ident *fi)
{
        /* also matches <frozen importlib._bootstrap_external> */
        return fi->file && strstr(fi->file, "<frozen importlib._bootstrap");
}

static bool
is_importlib(const struct frame_tree *t, const struct frame *f)
{
        return processor_ident_is_importlib(frame_ident(t, f));
}

struct frame *
processor_remove_importlib(struct frame_tree *t, struct frame *root, const struct processor_opts *o)
{
        (void)o;
        if (!frame_tree_any_ident(t, processor_ident_is_importlib))
                return root;
        return processor_replace_matching(t, root, is_importlib);
}

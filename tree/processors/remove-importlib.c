/* remove_importlib: drop <frozen importlib._bootstrap…> frames, keeping their children. */
#include "config.h"

#include <string.h>

#include "tree/processor.h"

static bool
is_importlib(const struct frame_tree *t, const struct frame *f)
{
        const char *file = frame_ident(t, f)->file;

        /* also matches <frozen importlib._bootstrap_external> */
        return file && strstr(file, "<frozen importlib._bootstrap");
}

struct frame *
processor_remove_importlib(struct frame_tree *t, struct frame *root,
                           const struct processor_opts *o)
{
        (void)o;
        return processor_replace_matching(t, root, is_importlib);
}

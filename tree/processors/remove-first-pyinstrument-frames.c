/* remove_first_pyinstrument_frames_processor: a session recorded by `pyinstrument script.py`
 * starts with pyinstrument's __main__, an exec of <string> and runpy frames; start the tree at
 * the user's code instead. Sessions recorded by pyinstr never match. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tree/processor.h"

/* re.match(".*X", path) is a search for X, where '.' is any character but a newline */
static bool
contains_pattern(const char *s, const char *head, const char *tail)
{
        size_t hl = strlen(head), tl = strlen(tail);

        for (const char *p = strstr(s, head); p; p = strstr(p + 1, head)) {
                const char *q = p + hl;
                if (strlen(q) > tl && q[0] != '\n' && strncmp(q + 1, tail, tl) == 0)
                        return true;
        }
        return false;
}

static bool
is_initial_frame(const struct frame_tree *t, const struct frame *f)
{
        const char *file = frame_ident(t, f)->file;

        return file && f->n_children > 0 &&
               (contains_pattern(file, "pyinstrument/__main__", "py") ||
                contains_pattern(file, "pyinstrument\\__main__", "py"));
}

static bool
is_exec_frame(const struct frame_tree *t, const struct frame *f)
{
        const char *file = frame_ident(t, f)->file;

        return frame_proportion_of_parent(f) > 0.8 && file && strstr(file, "<string>") &&
               f->n_children > 0;
}

static bool
is_runpy_frame(const struct frame_tree *t, const struct frame *f)
{
        const char *file = frame_ident(t, f)->file;

        return frame_proportion_of_parent(f) > 0.8 && file &&
               (contains_pattern(file, "runpy", "py") || strstr(file, "<frozen runpy>")) &&
               f->n_children > 0;
}

struct frame *
processor_remove_first_pyinstrument_frames(struct frame_tree *t,
                                           struct frame *root,
                                           const struct processor_opts *o)
{
        struct frame *f = root;

        (void)o;
        if (!root || !is_initial_frame(t, f))
                return root;
        f = f->children[0];
        if (!is_exec_frame(t, f))
                return root;
        f = f->children[0];
        if (!is_runpy_frame(t, f))
                return root;
        while (is_runpy_frame(t, f))
                f = f->children[0];
        frame_remove_from_parent(f);
        return f;
}

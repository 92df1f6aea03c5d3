/* The renderer registry, extension guessing, and the processed trees renderers share. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"
#include "renderers.h"

const char *const renderer_console_processors[] = {
        "remove_importlib",
        "remove_tracebackhide",
        "merge_consecutive_self_time",
        "aggregate_repeated_calls",
        "remove_irrelevant_nodes",
        "remove_unnecessary_self_time_nodes",
        "remove_first_pyinstrument_frames_processor",
        "group_library_frames_processor",
        NULL,
};

static const struct renderer *const renderers[] = {
        &renderer_text,   &renderer_json,       &renderer_speedscope,
        &renderer_pstats, &renderer_pyisession, &renderer_collapsed_stacks,
        &renderer_html,   &renderer_gecko,
};

const struct renderer *
renderer_at(size_t i)
{
        return i < ARRAY_SIZE(renderers) ? renderers[i] : NULL;
}

const struct renderer *
renderer_find(const char *name)
{
        if (strcmp(name, "session") == 0)
                name = "pyisession";
        for (size_t i = 0; i < ARRAY_SIZE(renderers); i++)
                if (strcmp(renderers[i]->name, name) == 0)
                        return renderers[i];
        return NULL;
}

static bool
ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

const struct renderer *
renderer_guess(const char *outfile)
{
        const struct renderer *best = NULL;
        size_t best_len = 0;

        /* the longest ending wins, so that .speedscope.json is not taken for .json */
        for (size_t i = 0; i < ARRAY_SIZE(renderers); i++) {
                for (const char *const *e = renderers[i]->extensions; e && *e; e++) {
                        size_t len = strlen(*e);
                        if (len > best_len && ends_with(outfile, *e)) {
                                best = renderers[i];
                                best_len = len;
                        }
                }
        }
        return best;
}

/* A group of threads (session_group_threads()) is also selected by its name without its
 * " [N threads]", which changes with the recording. */
static bool
group_named(const char *text, const char *sel)
{
        size_t n = strlen(sel);
        const char *p = text + n;

        if (strncmp(text, sel, n) != 0 || strncmp(p, " [", 2) != 0 || p[2] < '0' || p[2] > '9')
                return false;
        for (p += 2; *p >= '0' && *p <= '9'; p++)
                ;
        return strcmp(p, " threads]") == 0;
}

bool
renderer_thread_text_matches(const char *text, size_t len, const char *sel)
{
        const char *id = text + strlen(text) + 1;

        if (strcmp(text, sel) == 0 || group_named(text, sel))
                return true;
        if (id < text + len) {
                id += strlen(id) + 1;
                if (id < text + len && strcmp(id, sel) == 0)
                        return true;
        }
        return false;
}

/* Does the thread root @ident match the user's selector? */
static bool
thread_matches(const struct frame_tree *t, uint32_t ident, const char *sel)
{
        size_t len;
        const char *name = frame_ident_text(t, ident, &len);

        return renderer_thread_text_matches(name, len, sel);
}

int
renderer_trees(const struct session *s,
               const struct renderer *r,
               const struct render_opts *o,
               bool per_thread,
               struct frame_tree **ret_tree,
               struct frame ***ret_roots,
               size_t *ret_n)
{
        /* show_all and timeline take processors out, as FrameRenderer.__init__ does */
        static const char *const show_all_skip[] = { "group_library_frames_processor",
                                                     "remove_importlib", "remove_irrelevant_nodes",
                                                     "remove_tracebackhide", NULL };
        static const char *const timeline_skip[] = { "aggregate_repeated_calls", NULL };
        const char *skip[16];
        size_t n_skip = 0;
        _cleanup_(frame_tree_freep) struct frame_tree *t = frame_tree_new(s);
        const uint32_t *threads;
        size_t n_threads = frame_tree_threads(t, &threads), n = 0;
        struct frame **roots = xcalloc(n_threads + 1, sizeof(*roots));
        uint32_t selected = UINT32_MAX;

        if (o->show_all)
                for (const char *const *p = show_all_skip; *p; p++)
                        skip[n_skip++] = *p;
        if (o->timeline)
                skip[n_skip++] = timeline_skip[0];
        for (const char *const *p = r->without_processors; p && *p; p++)
                skip[n_skip++] = *p;
        skip[n_skip] = NULL;

        if (o->thread) {
                for (size_t i = 0; i < n_threads && selected == UINT32_MAX; i++)
                        if (thread_matches(t, threads[i], o->thread))
                                selected = threads[i];
                if (selected == UINT32_MAX) {
                        free(roots);
                        return -ENOENT;
                }
        }
        if (selected != UINT32_MAX || !per_thread || n_threads <= 1) {
                roots[n++] = processors_build_run(t, selected, r->default_processors, skip,
                                                  &o->processor);
        } else {
                for (size_t i = 0; i < n_threads; i++) {
                        roots[n++] = processors_build_run(t, threads[i], r->default_processors,
                                                          skip, &o->processor);
                }
        }
        /* an empty session (or a tree processed away) is one NULL root: "No samples" */
        *ret_tree = TAKE_PTR(t);
        *ret_roots = roots;
        *ret_n = n;
        return 0;
}

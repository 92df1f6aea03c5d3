/* -r json: pyinstrument's JSONRenderer, a hand-built document (",", ": " separators, %f
 * floats, strings through encode_basestring) written while walking the tree iteratively. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/xalloc.h"
#include "renderers.h"
#include "tree/pyjson.h"

static void
put_str(FILE *out, const char *s)
{
        pyjson_put_string(out, s, strlen(s), false);
}

static bool
is_await(const struct frame_ident *fi)
{
        return fi->synthetic == FRAME_AWAIT;
}

static void
open_frame(struct frame_tree *t, struct frame *f, bool awaits, FILE *out)
{
        const struct frame_ident *fi = frame_ident(t, f);
        const char *short_path = frame_file_path_short(t, f);

        fputs("{\"function\": ", out);
        put_str(out, fi->function);
        fputs(",\"file_path_short\": ", out);
        put_str(out, short_path ? short_path : "");
        fputs(",\"file_path\": ", out);
        put_str(out, fi->file ? fi->file : "");
        fprintf(out, ",\"line_no\": %ld,\"time\": %f,\"await_time\": %f", fi->line, f->time,
                awaits ? frame_await_time(t, f) : 0.0);
        fprintf(out, ",\"is_application_code\": %s,\"children\": [",
                frame_is_application_code(t, f) ? "true" : "false");
}

static void
close_frame(struct frame_tree *t, struct frame *f, FILE *out)
{
        struct frame_group *g = frame_group(t, f);
        const char *cls = frame_class_name(t, f);

        fputc(']', out);
        if (g) {
                fputs(",\"group_id\": ", out);
                put_str(out, g->id);
        }
        if (cls) {
                fputs(",\"class_name\": ", out);
                put_str(out, cls);
        }
        fputc('}', out);
}

/* Depth-first with an explicit stack; an entry is a frame to open, or (tagged) one to close. */
static void
put_tree(struct frame_tree *t, struct frame *root, FILE *out)
{
        _cleanup_free_ uintptr_t *st = NULL;
        size_t n = 0, cap = 0;
        /* summing await time walks the subtree: skip it when no [await] was ever sampled */
        bool awaits = frame_tree_any_ident(t, is_await);

        xgrow(&st, &cap, 1, sizeof(*st));
        st[n++] = (uintptr_t)root;
        while (n) {
                uintptr_t e = st[--n];
                struct frame *f = (struct frame *)(e & ~(uintptr_t)1);

                if (e & 1) {
                        close_frame(t, f, out);
                        continue;
                }
                if (f != root && f->parent->children[0] != f)
                        fputc(',', out);
                open_frame(t, f, awaits, out);
                xgrow(&st, &cap, n + f->n_children + 1, sizeof(*st));
                st[n++] = e | 1;
                for (uint32_t i = f->n_children; i-- > 0;)
                        st[n++] = (uintptr_t)f->children[i];
        }
}

static int
render_json(const struct session *s, const struct render_opts *o, FILE *out)
{
        _cleanup_(frame_tree_freep) struct frame_tree *t = NULL;
        _cleanup_free_ struct frame **roots = NULL;
        size_t n;
        int r = renderer_trees(s, &renderer_json, o, false, &t, &roots, &n);

        if (r < 0)
                return r;
        fprintf(out, "{\"start_time\": %f,\"duration\": %f,\"sample_count\": %llu,",
                session_start_time(s), session_duration(s),
                (unsigned long long)session_meta_sample_count(s));
        fputs("\"target_description\": ", out);
        put_str(out, session_target_description(s));
        fprintf(out, ",\"cpu_time\": %f,\"root_frame\": ", session_cpu_time(s));
        if (roots[0])
                put_tree(t, roots[0], out);
        else
                fputs("null", out);
        fputs("}\n", out);
        return ferror(out) ? -EIO : 0;
}

static const char *const json_extensions[] = { ".json", NULL };
static const struct renderer_option *const json_options[] = { renderer_frame_options, NULL };

const struct renderer renderer_json = {
        .name = "json",
        .extensions = json_extensions,
        .options = json_options,
        .default_processors = renderer_console_processors,
        .render = render_json,
};

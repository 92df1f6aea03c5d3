/* -r speedscope: pyinstrument's evented speedscope profile. The clock starts at 0 and moves
 * only at synthetic leaves and absorbed time, so each sample's weight becomes its duration.
 * Several threads give one profile each, busiest first. The events are streamed from the samples
 * (frame_events_run(): memory bounded by the stack depth and the subtrees still under the
 * threshold) unless the session needs the timeline tree, which then takes a node per run. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "renderers.h"
#include "tree/pyjson.h"

static const char *const speedscope_processors[] = {
        "remove_importlib",
        "remove_tracebackhide",
        "merge_consecutive_self_time",
        "remove_irrelevant_nodes",
        "remove_unnecessary_self_time_nodes",
        "remove_first_pyinstrument_frames_processor",
        NULL,
};

struct speedscope {
        struct frame_tree *t;
        struct strtab frames; /* "function\0file\0line" keys, in order of first use */
        uint32_t *index_of;   /* per identifier: its frame's index, UINT32_MAX until used */
        FILE *out;
        bool first_event;
};

static uint32_t
ident_index(struct speedscope *sp, uint32_t ident)
{
        const struct frame_ident *fi = frame_tree_ident(sp->t, ident);
        _cleanup_free_ char *key = NULL;
        size_t len = 0;
        FILE *m;

        if (sp->index_of[ident] != UINT32_MAX)
                return sp->index_of[ident];
        m = open_memstream(&key, &len);
        /* SpeedscopeFrame(function, file_path, line_no): None and "" differ, so mark presence */
        fprintf(m, "%s%c%c%s%c%c%ld", fi->function, 0, fi->file ? 'f' : '-',
                fi->file ? fi->file : "", 0, fi->has_line ? 'l' : '-', fi->line);
        fclose(m);
        return sp->index_of[ident] = strtab_intern(&sp->frames, key, len);
}

static uint32_t
frame_index(struct speedscope *sp, struct frame *f)
{
        return ident_index(sp, f->ident);
}

static void
put_event(struct speedscope *sp, char type, double at, uint32_t frame)
{
        char buf[PYJSON_FLOAT_MAX];

        fprintf(sp->out, "%s{\"type\": \"%c\", \"at\": %s, \"frame\": %u}",
                sp->first_event ? "" : ", ", type, pyjson_float(at, buf), frame);
        sp->first_event = false;
}

/* frame_events_run()'s callback */
static void
put_streamed(void *userdata, char type, uint32_t ident, double at)
{
        struct speedscope *sp = userdata;

        put_event(sp, type, at, ident_index(sp, ident));
}

static void
put_events(struct speedscope *sp, struct frame *root)
{
        _cleanup_free_ uintptr_t *st = NULL;
        size_t n = 0, cap = 0;
        double clock = 0.0;

        sp->first_event = true;
        if (!root)
                return;
        xgrow(&st, &cap, 1, sizeof(*st));
        st[n++] = (uintptr_t)root;
        while (n) {
                uintptr_t e = st[--n];
                struct frame *f = (struct frame *)(e & ~(uintptr_t)1);
                uint32_t idx = frame_index(sp, f);

                if (e & 1) {
                        clock += f->absorbed_time;
                        if (frame_is_synthetic_leaf(sp->t, f))
                                clock += f->time;
                        put_event(sp, 'C', clock, idx);
                        continue;
                }
                put_event(sp, 'O', clock, idx);
                xgrow(&st, &cap, n + f->n_children + 1, sizeof(*st));
                st[n++] = e | 1;
                for (uint32_t i = f->n_children; i-- > 0;)
                        st[n++] = (uintptr_t)f->children[i];
        }
}

static void
put_str(FILE *out, const char *s)
{
        pyjson_put_string(out, s, strlen(s), true);
}

/* The threads renderer_trees() would give one tree each, for the streamed path: the selected
 * one, every thread busiest first, or all samples (UINT32_MAX) when there is one thread. */
static int
stream_threads(struct frame_tree *t, const struct render_opts *o, uint32_t **ret, size_t *ret_n)
{
        const uint32_t *all;
        size_t n_threads = frame_tree_threads(t, &all);
        uint32_t *threads = xcalloc(n_threads + 1, sizeof(*threads)), selected = UINT32_MAX;

        if (o->thread) {
                for (size_t i = 0; i < n_threads && selected == UINT32_MAX; i++) {
                        size_t len;
                        const char *text = frame_ident_text(t, all[i], &len);
                        if (renderer_thread_text_matches(text, len, o->thread))
                                selected = all[i];
                }
                if (selected == UINT32_MAX) {
                        free(threads);
                        return -ENOENT;
                }
        }
        if (selected != UINT32_MAX || n_threads <= 1) {
                threads[0] = selected;
                *ret_n = 1;
        } else {
                memcpy(threads, all, n_threads * sizeof(*threads));
                *ret_n = n_threads;
        }
        *ret = threads;
        return 0;
}

static int
render_speedscope(const struct session *s, const struct render_opts *o, FILE *out)
{
        _cleanup_(frame_tree_freep) struct frame_tree *t = NULL;
        _cleanup_(frame_events_freep) struct frame_events *ev = NULL;
        _cleanup_free_ struct frame **roots = NULL;
        _cleanup_free_ uint32_t *threads = NULL, *index_of = NULL;
        _cleanup_free_ char *name = NULL;
        char when[64] = "", buf[PYJSON_FLOAT_MAX];
        time_t start = session_start_time_t(s);
        struct tm tm;
        size_t n = 0;
        int r;

        /* the events straight from the samples, unless only the timeline tree can tell */
        if (!processors_build_timeline()) {
                t = frame_tree_new(s);
                r = stream_threads(t, o, &threads, &n);
                if (r < 0)
                        return r;
                if (frame_events_new(t, o->show_all, o->processor.filter_threshold, &ev) < 0) {
                        t = frame_tree_free(t);
                        free(threads);
                        threads = NULL;
                }
        }
        if (!ev) {
                r = renderer_trees(s, &renderer_speedscope, o, true, &t, &roots, &n);
                if (r < 0)
                        return r;
        }
        index_of = xmalloc((frame_tree_n_idents(t) + 1) * sizeof(*index_of));
        memset(index_of, 0xff, (frame_tree_n_idents(t) + 1) * sizeof(*index_of));
        struct speedscope sp = { .t = t, .out = out, .index_of = index_of };
        strtab_init(&sp.frames);
        if (localtime_r(&start, &tm))
                strftime(when, sizeof(when), "%Y-%m-%dT%H-%M-%S", &tm);
        if (asprintf(&name, "CPU profile for '%s' at %s", session_target_description(s), when) < 0)
                name = xstrdup("CPU profile");

        fputs("{\"$schema\": \"https://www.speedscope.app/file-format-schema.json\", \"name\": ",
              out);
        put_str(out, name);
        fputs(", \"activeProfileIndex\": null, \"exporter\": \"pyinstrument\", \"profiles\": [",
              out);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *pname = NULL;
                const char *fn = n == 1     ? NULL
                                 : ev       ? frame_tree_ident(t, threads[i])->function
                                 : roots[i] ? frame_ident(t, roots[i])->function
                                            : NULL;
                if (fn && asprintf(&pname, "%s (%s)", name, fn) < 0)
                        pname = NULL;
                fprintf(out, "%s{\"type\": \"evented\", \"name\": ", i ? ", " : "");
                put_str(out, pname ? pname : name);
                fprintf(out,
                        ", \"unit\": \"seconds\", \"startValue\": 0.0, \"endValue\": %s, "
                        "\"events\": [",
                        pyjson_float(session_duration(s), buf));
                if (ev) {
                        sp.first_event = true;
                        frame_events_run(ev, threads[i], put_streamed, &sp);
                } else {
                        put_events(&sp, roots[i]);
                }
                fputs("]}", out);
        }
        fputs("], \"shared\": {\"frames\": [", out);
        for (size_t i = 0; i < strtab_count(&sp.frames); i++) {
                size_t len;
                const char *fn = strtab_str(&sp.frames, (uint32_t)i, &len);
                const char *file = fn + strlen(fn) + 1;
                const char *line = file + strlen(file) + 1;

                fputs(i ? ", {\"name\": " : "{\"name\": ", out);
                put_str(out, fn);
                fputs(", \"file\": ", out);
                if (file[0] == 'f')
                        put_str(out, file + 1);
                else
                        fputs("null", out);
                fprintf(out, ", \"line\": ");
                if (line[0] == 'l')
                        fputs(line + 1, out);
                else
                        fputs("null", out);
                fputc('}', out);
        }
        fputs("]}}\n", out);
        strtab_release(&sp.frames);
        return ferror(out) ? -EIO : 0;
}

static const char *const speedscope_extensions[] = { ".speedscope.json", NULL };
static const struct renderer_option *const speedscope_options[] = { renderer_frame_options, NULL };

const struct renderer renderer_speedscope = {
        .name = "speedscope",
        .extensions = speedscope_extensions,
        .options = speedscope_options,
        .default_processors = speedscope_processors,
        .render = render_speedscope,
};

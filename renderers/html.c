/* -r html: one self-contained page, pyinstr's own app (renderers/html/, embedded at build
 * time) with the session as JSON: every thread's tree in timeline order, consecutive [self]
 * samples merged, nothing else processed, so the page can aggregate, group and filter as the
 * user asks and still draw the timeline. More than HTML_MAX_SAMPLES samples are resampled
 * first, as pyinstrument does, and the page says so. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "renderers.h"
#include "tree/pyjson.h"

/* pyinstrument's HTMLRenderer limit on samples, and pyinstr's on nodes: a page with more than
 * about 300,000 nodes takes more than a few seconds to open in a browser */
#define HTML_MAX_SAMPLES 100000
#define HTML_MAX_NODES 300000

static const char *const html_processors[] = {
        "merge_consecutive_self_time",
        NULL,
};

struct html {
        struct frame_tree *t;
        struct strtab frames; /* "ident\0class\0hide" keys, the page's frame table */
        FILE *out;
};

/* Strings as json.dumps with ensure_ascii writes them: non-ASCII (U+2028/2029 included) and
 * invalid UTF-8 (as \udcXX) become escapes. '<' is escaped when the page is written. */
static void
put_str(FILE *out, const char *s)
{
        if (s)
                pyjson_put_string(out, s, strlen(s), true);
        else
                fputs("null", out);
}

static void
put_float(FILE *out, double x)
{
        char buf[PYJSON_FLOAT_MAX];

        fputs(pyjson_float(x, buf), out);
}

/* Write @x in decimal ending just before @end; returns where it starts. */
static char *
put_uint(char *end, uint64_t x)
{
        do
                *--end = (char)('0' + x % 10);
        while (x /= 10);
        return end;
}

/* The page's index of @f's frame: identifier plus what the page shows of its attributes. */
static uint32_t
frame_index(struct html *h, struct frame *f)
{
        const char *cls = frame_class_name(h->t, f);
        _cleanup_free_ char *key = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&key, &len);

        fprintf(m, "%u%c%s%c%d", f->ident, 0, cls ? cls : "", 0, frame_has_tracebackhide(h->t, f));
        fclose(m);
        return strtab_intern(&h->frames, key, len);
}

/* Pre-order triples: frame index, time in microseconds, number of children. The first node of each
 * new frame-table entry is kept in @first, standing for all of them in put_frames(). */
static void
put_nodes(struct html *h, struct frame *root, struct frame ***first, size_t *cap)
{
        struct frame_stack st = { 0 };
        bool comma = false;

        frame_stack_push(&st, root);
        for (struct frame *f; (f = frame_stack_pop(&st));) {
                size_t n = strtab_count(&h->frames);
                uint32_t i = frame_index(h, f);

                if (i >= n) {
                        xgrow(first, cap, (size_t)i + 1, sizeof(**first));
                        (*first)[i] = f;
                }
                char buf[3 * 24], *p = buf + sizeof(buf);
                /* written backwards: children, time, index (the hot loop of big pages) */
                p = put_uint(p, f->n_children);
                *--p = ',';
                p = put_uint(p, (uint64_t)llround(f->time * 1e6));
                *--p = ',';
                p = put_uint(p, i);
                if (comma)
                        *--p = ',';
                fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), h->out);
                frame_stack_push_children(&st, f);
                comma = true;
        }
        frame_stack_release(&st);
}

/* The frame table, in order of first use: [function, file, line, short path, is application
 * code, class, tracebackhide, synthetic kind]. The first node of each key stands for all. */
static void
put_frames(struct html *h, struct frame **first_node)
{
        for (size_t i = 0; i < strtab_count(&h->frames); i++) {
                struct frame *f = first_node[i];
                const struct frame_ident *fi = frame_ident(h->t, f);

                fputs(i ? ",\n[" : "[", h->out);
                put_str(h->out, fi->function);
                fputc(',', h->out);
                put_str(h->out, fi->file);
                fprintf(h->out, ",%ld,", fi->has_line ? fi->line : 0);
                put_str(h->out, frame_file_path_short(h->t, f));
                fprintf(h->out, ",%d,", frame_is_application_code(h->t, f));
                put_str(h->out, frame_class_name(h->t, f));
                fprintf(h->out, ",%d,%d]", frame_has_tracebackhide(h->t, f), (int)fi->synthetic);
        }
}

static void
put_session(const struct session *s, const struct session *orig, FILE *out)
{
        fputs("\"session\": {\"start_time\": ", out);
        put_float(out, session_start_time(s));
        fputs(", \"duration\": ", out);
        put_float(out, session_duration(s));
        fprintf(out, ", \"sample_count\": %llu, \"target_description\": ",
                (unsigned long long)session_meta_sample_count(s));
        put_str(out, session_target_description(s));
        fputs(", \"cpu_time\": ", out);
        put_float(out, session_cpu_time(s));
        fputs(", \"max_interval\": ", out);
        put_float(out, session_max_interval(s));
        /* the samples taken, as the text report's header: a saved session holds one record for a
         * run of identical samples */
        fprintf(out, "},\n\"pyinstr\": {\"version\": \"%s\", \"recorded_samples\": %llu",
                PYINSTR_VERSION, (unsigned long long)session_meta_sample_count(orig));
        if (s != orig) {
                fprintf(out, ", \"resampled\": {\"samples\": %zu, \"interval\": ",
                        session_sample_count(s));
                put_float(out, session_max_interval(s));
                fputc('}', out);
        }
        fputs("}", out);
}

static size_t
count_nodes(struct frame **roots, size_t n)
{
        struct frame_stack st = { 0 };
        size_t nodes = 0;

        for (size_t i = 0; i < n; i++)
                frame_stack_push(&st, roots[i]);
        for (struct frame *f; (f = frame_stack_pop(&st));) {
                nodes++;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        return nodes;
}

/* The JSON payload into @out, or -E2BIG (nothing written) when the trees have more than
 * HTML_MAX_NODES nodes, or -ENOENT when o->thread selects nothing. */
static int
put_payload(const struct session *s,
            const struct session *orig,
            const struct render_opts *o,
            FILE *out)
{
        _cleanup_(frame_tree_freep) struct frame_tree *t = frame_tree_new(s);
        _cleanup_free_ struct frame **first = NULL, **roots = NULL;
        _cleanup_free_ uint32_t *ids = NULL;
        const uint32_t *threads;
        size_t n_threads = frame_tree_threads(t, &threads), n = 0, cap = 0;
        struct html h = { .t = t, .out = out };

        roots = xcalloc(n_threads + 1, sizeof(*roots));
        ids = xcalloc(n_threads + 1, sizeof(*ids));
        for (size_t i = 0; i < n_threads; i++) {
                size_t len;
                const char *text = frame_ident_text(t, threads[i], &len);

                if (o->thread && !renderer_thread_text_matches(text, len, o->thread))
                        continue;
                struct frame *root = frame_tree_build(t, threads[i]);
                root = processors_run(t, root, html_processors, NULL, &o->processor);
                if (!root)
                        continue;
                ids[n] = threads[i];
                roots[n++] = root;
                if (o->thread)
                        break;
        }
        if (o->thread && n == 0)
                return -ENOENT;
        /* a session of one sample cannot get smaller */
        if (count_nodes(roots, n) > HTML_MAX_NODES && session_sample_count(s) > 1)
                return -E2BIG;

        strtab_init(&h.frames);
        fputc('{', out);
        put_session(s, orig, out);
        fputs(",\n\"threads\": [", out);
        for (size_t i = 0; i < n; i++) {
                size_t len;
                const char *name = frame_ident_text(t, ids[i], &len);
                const char *file = name + strlen(name) + 1;
                const char *id = file < name + len ? file + strlen(file) + 1 : name + len;
                fputs(i ? ",\n{\"name\": " : "{\"name\": ", out);
                put_str(out, name);
                fputs(", \"id\": ", out);
                put_str(out, id < name + len ? id : "");
                fputs(", \"time\": ", out);
                put_float(out, roots[i]->time);
                fputs(", \"nodes\": [", out);
                put_nodes(&h, roots[i], &first, &cap);
                fputs("]}", out);
        }
        fputs("],\n\"frames\": [", out);
        put_frames(&h, first);
        fputs("]}", out);
        strtab_release(&h.frames);
        return 0;
}

/* pyinstrument's guard on samples, then pyinstr's on nodes: the interval (duration/10000 to
 * start with) doubles until the page is small enough. */
static int
render_html(const struct session *s, const struct render_opts *o, FILE *out)
{
        _cleanup_(session_freep) struct session *small = NULL;
        _cleanup_free_ char *json = NULL;
        double interval = session_duration(s) / 10000;
        size_t len = 0;
        int r;

        if (!(interval > 0))
                interval = session_max_interval(s) > 0 ? session_max_interval(s) : 0.001;
        if (session_sample_count(s) > HTML_MAX_SAMPLES)
                small = session_resample(s, interval);
        for (;;) {
                if (!small || session_sample_count(small) <= HTML_MAX_SAMPLES) {
                        FILE *m = open_memstream(&json, &len);
                        r = put_payload(small ? small : s, s, o, m);
                        fclose(m);
                        if (r != -E2BIG)
                                break;
                        free(TAKE_PTR(json));
                }
                if (small)
                        interval *= 2;
                session_free(small);
                small = session_resample(s, interval);
        }
        if (r < 0)
                return r;

        fputs(renderer_html_head, out);
        /* in a script element "</script" and "<!--" end or confuse the text: '<' only appears
         * inside JSON strings, where \u003c means the same */
        for (const char *p = json, *end = json + len; p < end;) {
                const char *lt = memchr(p, '<', (size_t)(end - p));
                size_t k = lt ? (size_t)(lt - p) : (size_t)(end - p);

                fwrite(p, 1, k, out);
                if (lt)
                        fputs("\\u003c", out);
                p += k + (lt ? 1 : 0);
        }
        fputs(renderer_html_tail, out);
        return ferror(out) ? -EIO : 0;
}

static const char *const html_extensions[] = { ".html", ".htm", NULL };
static const struct renderer_option *const html_options[] = { renderer_frame_options, NULL };

const struct renderer renderer_html = {
        .name = "html",
        .extensions = html_extensions,
        .options = html_options,
        .default_processors = html_processors,
        .browser = true,
        .render = render_html,
};

/* The console report: pyinstrument's ConsoleRenderer byte for byte (box characters or ASCII,
 * decimals from the sampling interval, ANSI colours, library groups folded into
 * "[N frames hidden]", flat and short modes), with pyinstr's own banner. Several threads give
 * one tree each, busiest first. The walk is iterative; the indent is one growing buffer. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "renderers.h"

struct colors {
        const char *red, *green, *yellow, *bright_green, *bg_dark_blue_255, *white_255, *faint,
                *end;
};

static const struct colors colors_enabled = {
        .red = "\033[31m",
        .green = "\033[32m",
        .yellow = "\033[33m",
        .bright_green = "\033[92m",
        .bg_dark_blue_255 = "\033[48;5;24m",
        .white_255 = "\033[38;5;15m",
        .faint = "\033[2m",
        .end = "\033[0m",
};

static const struct colors colors_disabled = {
        .red = "",
        .green = "",
        .yellow = "",
        .bright_green = "",
        .bg_dark_blue_255 = "",
        .white_255 = "",
        .faint = "",
        .end = "",
};

/* branch, continuation, last branch, blank */
static const char *const indents_unicode[4] = { "├─ ", "│  ", "└─ ", "   " };
static const char *const indents_ascii[4] = { "|- ", "|  ", "`- ", "   " };
static const char *const indents_group[4] = { "      ", "      ", "      ", "      " };
static const char *const indents_hidden[4] = { "", "", "", "" };

struct text {
        struct frame_tree *t;
        const struct render_opts *o;
        const struct colors *c;
        struct frame *root;    /* the rendered root: proportions are of its time */
        int precision;         /* decimals of seconds */
        struct u64map ignored; /* group → 1 ignored, 2 shown */
        FILE *out;
};

static double
proportion_of_total(const struct text *x, double time)
{
        if (x->root->time == 0)
                return 1;
        return time / x->root->time;
}

static const char *
time_color(const struct text *x, double time, char buf[static 32])
{
        double p = proportion_of_total(x, time);

        if (p > 0.6)
                return x->c->red;
        if (p > 0.2)
                return x->c->yellow;
        if (p > 0.05)
                return x->c->green;
        snprintf(buf, 32, "%s%s", x->c->bright_green, x->c->faint);
        return buf;
}

static void
put_description(struct text *x, struct frame *f, double time)
{
        const struct frame_ident *fi = frame_ident(x->t, f);
        const char *cls = frame_class_name(x->t, f);
        const char *pos = frame_file_path_short(x->t, f);
        char cbuf[32];

        fputs(time_color(x, time, cbuf), x->out);
        if (x->o->text.percent_of_total)
                fprintf(x->out, "%.1f%%", proportion_of_total(x, time) * 100);
        else
                fprintf(x->out, "%.*f", x->precision, time);
        fprintf(x->out, "%s ", x->c->end);
        if (frame_is_application_code(x->t, f))
                fprintf(x->out, "%s%s", x->c->bg_dark_blue_255, x->c->white_255);
        if (cls)
                fprintf(x->out, "%s.", cls);
        fprintf(x->out, "%s%s  ", fi->function, x->c->end);
        if (pos) {
                fprintf(x->out, "%s%s", x->c->faint, pos);
                if (fi->line)
                        fprintf(x->out, ":%ld", fi->line);
                fputs(x->c->end, x->out);
        }
}

/* ------------------------------------------------------------------------------------------ */
/* groups */

static bool
significant_in_group(struct text *x, struct frame_group *g, struct frame *f)
{
        return g->root == f || frame_total_self_time(x->t, f) > 0.2 * x->root->time ||
               frame_group_is_exit_frame(g, f);
}

/* A group with fewer than two hidden frames is not folded at all. */
static bool
group_ignored(struct text *x, struct frame_group *g)
{
        uint64_t key = (uint64_t)(uintptr_t)g, v;
        size_t hidden = 0;

        if (u64map_get(&x->ignored, key, &v))
                return v == 1;
        for (size_t i = 0; i < g->n_frames; i++)
                hidden += !significant_in_group(x, g, g->frames[i]);
        u64map_put(&x->ignored, key, hidden < 2 ? 1 : 2);
        return hidden < 2;
}

static bool
should_render(struct text *x, struct frame *f)
{
        struct frame_group *g = frame_group(x->t, f);

        if (g && !group_ignored(x, g))
                return significant_in_group(x, g, f);
        return true;
}

/* util.truncate(): at most @max characters, else @max - 3 and "..." */
static void
put_truncated(FILE *out, const char *s, size_t max)
{
        size_t chars = 0, cut = 0;

        for (const char *p = s; *p; p++) {
                if (((unsigned char)*p & 0xc0) == 0x80)
                        continue;
                if (chars == max - 3)
                        cut = (size_t)(p - s);
                chars++;
        }
        if (chars <= max) {
                fputs(s, out);
                return;
        }
        fwrite(s, 1, cut, out);
        fputs("...", out);
}

struct lib {
        const char *name;
        size_t len;
};

static void
put_group_description(struct text *x, struct frame_group *g)
{
        _cleanup_free_ struct lib *libs = NULL;
        _cleanup_free_ char *joined = NULL;
        size_t n_libs = 0, cap = 0, len = 0, hidden = 0;
        FILE *m;

        /* the first component of each hidden frame's short path, split at / \ or . */
        for (size_t i = 0; i < g->n_frames; i++) {
                struct frame *f = g->frames[i];
                const char *path;
                size_t n;
                bool dup = false;

                if (should_render(x, f))
                        continue;
                hidden++;
                path = frame_file_path_short(x->t, f);
                if (!path || !(n = strcspn(path, "/\\.")))
                        continue;
                for (size_t k = 0; k < n_libs && !dup; k++)
                        dup = libs[k].len == n && memcmp(libs[k].name, path, n) == 0;
                if (dup)
                        continue;
                xgrow(&libs, &cap, n_libs + 1, sizeof(*libs));
                libs[n_libs++] = (struct lib){ .name = path, .len = n };
        }
        m = open_memstream(&joined, &len);
        for (size_t k = 0; k < n_libs; k++)
                fprintf(m, "%s%.*s", k ? ", " : "", (int)libs[k].len, libs[k].name);
        fclose(m);
        fprintf(x->out, "[%zu frames hidden]  %s", hidden, x->c->faint);
        put_truncated(x->out, joined, 40);
        fprintf(x->out, "%s\n", x->c->end);
}

/* ------------------------------------------------------------------------------------------ */
/* tree and flat bodies */

struct pending {
        struct frame *f;
        size_t plen; /* the parent's child indent: prefix[0..plen] */
        const char *piece, *child_piece;
};

static void
render_tree(struct text *x, const char *base)
{
        _cleanup_free_ struct pending *st = NULL;
        _cleanup_free_ char *prefix = NULL;
        size_t n = 0, cap = 0, plen = 0, pcap = 0;
        const char *const *box = x->o->text.unicode ? indents_unicode : indents_ascii;

        xgrow(&st, &cap, 1, sizeof(*st));
        st[n++] = (struct pending){ .f = x->root, .plen = 0, .piece = base, .child_piece = base };
        xgrow(&prefix, &pcap, 1, 1);
        while (n) {
                struct pending e = st[--n];
                struct frame *f = e.f;
                const char *const *pieces = indents_hidden;
                size_t clen = strlen(e.child_piece);

                plen = e.plen;
                xgrow(&prefix, &pcap, plen + clen + 1, 1);
                if (should_render(x, f)) {
                        struct frame_group *g = frame_group(x->t, f);

                        fwrite(prefix, 1, plen, x->out);
                        fputs(e.piece, x->out);
                        put_description(x, f, f->time);
                        fputc('\n', x->out);
                        pieces = box;
                        if (g && g->root == f && !group_ignored(x, g)) {
                                fwrite(prefix, 1, plen, x->out);
                                fputs(e.child_piece, x->out);
                                fputs("   ", x->out);
                                put_group_description(x, g);
                                pieces = indents_group;
                        }
                }
                memcpy(prefix + plen, e.child_piece, clen);
                plen += clen;

                int64_t last = -1;
                for (uint32_t i = 0; i < f->n_children; i++)
                        if (should_render(x, f->children[i]))
                                last = i;
                xgrow(&st, &cap, n + f->n_children, sizeof(*st));
                for (uint32_t i = f->n_children; i-- > 0;) {
                        bool before_last = (int64_t)i < last;
                        st[n++] = (struct pending){
                                .f = f->children[i],
                                .plen = plen,
                                .piece = pieces[before_last ? 0 : 2],
                                .child_piece = pieces[before_last ? 1 : 3],
                        };
                }
        }
}

struct flat_row {
        struct frame *f; /* the last node seen with this identifier */
        double time;
};

static void
render_flat(struct text *x)
{
        struct u64map index;
        _cleanup_free_ struct flat_row *rows = NULL;
        _cleanup_free_ struct flat_row *tmp = NULL;
        size_t n = 0, cap = 0;
        struct frame_stack st = { 0 };
        struct frame *f;
        uint64_t v;

        u64map_init(&index);
        frame_stack_push(&st, x->root);
        while ((f = frame_stack_pop(&st))) {
                if (!u64map_get(&index, (uint64_t)f->ident + 1, &v)) {
                        xgrow(&rows, &cap, n + 1, sizeof(*rows));
                        v = n++;
                        rows[v] = (struct flat_row){ .time = 0 };
                        u64map_put(&index, (uint64_t)f->ident + 1, v);
                }
                /* self time adds up; total time is overwritten, the last node wins */
                if (x->o->text.flat_time_total)
                        rows[v].time = f->time;
                else
                        rows[v].time = rows[v].time + frame_total_self_time(x->t, f);
                rows[v].f = f;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        u64map_release(&index);

        /* sorted(reverse=True) is stable: insertion order among equal times */
        tmp = xmalloc((n + 1) * sizeof(*tmp));
        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = MIN(lo + width, n), hi = MIN(lo + 2 * width, n);
                        size_t a = lo, b = mid, o = lo;
                        while (a < mid && b < hi)
                                tmp[o++] = rows[b].time > rows[a].time ? rows[b++] : rows[a++];
                        while (a < mid)
                                tmp[o++] = rows[a++];
                        while (b < hi)
                                tmp[o++] = rows[b++];
                }
                memcpy(rows, tmp, n * sizeof(*rows));
        }
        for (size_t i = 0; i < n; i++) {
                if (!x->o->show_all && !(rows[i].time / x->root->time > 0.001))
                        continue;
                put_description(x, rows[i].f, rows[i].time);
                fputc('\n', x->out);
        }
}

/* ------------------------------------------------------------------------------------------ */

static void
put_banner(const struct session *s, const struct render_opts *o, FILE *out)
{
        char when[64] = "", ver[32];
        time_t start = session_start_time_t(s);
        struct tm tm;

        if (o->text.short_mode) {
                fprintf(out,
                        "\npyinstr .............................................\n.\n.  %s\n.\n",
                        session_target_description(s));
                return;
        }
        if (localtime_r(&start, &tm))
                strftime(when, sizeof(when), "%X", &tm);
        snprintf(ver, sizeof(ver), "v%s", PYINSTR_VERSION);
        /* pyinstrument's layout: a 36-column logo, then the session figures */
        fprintf(out, "\n  pyinstr                            Recorded: %-9s Samples:  %llu\n", when,
                (unsigned long long)session_meta_sample_count(s));
        fprintf(out, "  sampling profiler for CPython      Duration: %-9.3f CPU time: %.3f\n",
                session_duration(s), session_cpu_time(s));
        fprintf(out, "%34s\n\n%s\n\n", ver, session_target_description(s));
}

static int
render_text(const struct session *s, const struct render_opts *o, FILE *out)
{
        _cleanup_(frame_tree_freep) struct frame_tree *t = NULL;
        _cleanup_free_ struct frame **roots = NULL;
        double interval = session_max_interval(s);
        const char *base = o->text.short_mode ? ".  " : "";
        size_t n;
        int r;

        r = renderer_trees(s, &renderer_text, o, true, &t, &roots, &n);
        if (r < 0)
                return r;
        struct text x = {
                .t = t,
                .o = o,
                .c = o->text.color ? &colors_enabled : &colors_disabled,
                .out = out,
                /* decimals from the interval: 0.001 s gives 3, 0.0001 s gives 4 */
                .precision = (int)ceil(-log10(fmin(fmax(1e-9, interval), 1))),
        };
        u64map_init(&x.ignored);
        put_banner(s, o, out);
        for (size_t i = 0; i < n; i++) {
                x.root = roots[i];
                if (!x.root)
                        fprintf(out, "%sNo samples were recorded.\n", base);
                else if (o->text.flat)
                        render_flat(&x);
                else
                        render_tree(&x, base);
                fprintf(out, "%s\n", base);
        }
        if (o->text.short_mode)
                fputs(".....................................................\n\n", out);
        u64map_release(&x.ignored);
        return ferror(out) ? -EIO : 0;
}

/* pyinstr writes UTF-8 everywhere (Python's stdout is UTF-8 in practice too): unicode unless
 * told otherwise */
static cJSON *
unicode_from_cli(const struct render_cli *cli)
{
        return cJSON_CreateBool(cli->unicode >= 0 ? cli->unicode : true);
}

/* colour on a terminal unless told otherwise */
static cJSON *
color_from_cli(const struct render_cli *cli)
{
        return cJSON_CreateBool(cli->color >= 0 ? cli->color : cli->tty);
}

/* ConsoleRenderer's own keyword arguments (defaults: unicode=False, color=False, flat=False,
 * time="seconds", flat_time="self", short_mode=False) */
static const struct renderer_option console_options[] = {
        { "unicode", RENDERER_OPTION_BOOL, offsetof(struct render_opts, text.unicode),
          .from_cli = unicode_from_cli },
        { "color", RENDERER_OPTION_BOOL, offsetof(struct render_opts, text.color),
          .from_cli = color_from_cli },
        { "flat", RENDERER_OPTION_BOOL, offsetof(struct render_opts, text.flat) },
        { "time", RENDERER_OPTION_CHOICE, offsetof(struct render_opts, text.percent_of_total),
          .value = "percent_of_total", .if_equal = true },
        { "flat_time", RENDERER_OPTION_CHOICE, offsetof(struct render_opts, text.flat_time_total),
          .value = "self", .if_equal = false },
        { "short_mode", RENDERER_OPTION_BOOL, offsetof(struct render_opts, text.short_mode) },
        { NULL },
};
static const struct renderer_option *const text_options[] = { renderer_frame_options,
                                                              console_options, NULL };
static const char *const text_extensions[] = { ".txt", NULL };

static const char *
check_text_options(const struct render_opts *o)
{
        return o->text.flat && o->timeline ? "Cannot use timeline and flat options together."
                                           : NULL;
}

const struct renderer renderer_text = {
        .name = "text",
        .extensions = text_extensions,
        .options = text_options,
        .check_options = check_text_options,
        .default_processors = renderer_console_processors,
        .render = render_text,
};

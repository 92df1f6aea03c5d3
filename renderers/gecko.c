/* -r gecko: the Firefox Profiler's processed profile format (version 48), one thread (track)
 * per thread of the session, made from the raw samples: a function is (name, file, first
 * line), a frame adds the line being run, and each thread's clock is its own samples' weights
 * added up. Each sample also carries its weight in ms (weightType tracing-ms), which the call
 * tree adds up: samples are not evenly spaced (a thread's first weighs at most one round), and a
 * saved session holds one sample for a run of identical ones. No processors run; no markers,
 * libraries or counters are written. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "renderers.h"
#include "tree/pyjson.h"

#define GECKO_NONE UINT32_MAX

struct u32v {
        uint32_t *v;
        size_t n, cap;
};

static void
u32v_push(struct u32v *a, uint32_t x)
{
        xgrow(&a->v, &a->cap, a->n + 1, sizeof(*a->v));
        a->v[a->n++] = x;
}

struct gecko_thread {
        uint32_t root;         /* the session's root stack: the thread pseudo-frame */
        struct strtab strings; /* stringArray */
        struct strtab funcs;   /* "name\0file\0line" */
        struct u32v func_name, func_file, func_line;
        struct u32v frame_func, frame_line;
        struct u32v stack_frame, stack_prefix;
        struct u32v sample_stack;
        double *sample_time, *sample_weight; /* ms */
        size_t n_time, cap_time, cap_weight;
        double clock;
        uint32_t *frame_map; /* session frame -> frame index */
        uint32_t *stack_map; /* session stack -> stack index */
};

static uint32_t
string_index(struct gecko_thread *g, const char *s, size_t len)
{
        return strtab_intern(&g->strings, s, len);
}

/* The frame-table index of session frame @id, made on first use. */
static uint32_t
frame_of(struct gecko_thread *g, const struct session *s, uint32_t id)
{
        if (g->frame_map[id] != GECKO_NONE)
                return g->frame_map[id];

        size_t len;
        const char *info = session_frame_info(s, id, &len);
        const char *end = memchr(info, '\x01', len);
        size_t ident_len = end ? (size_t)(end - info) : len;
        const char *fn = info, *file = NULL, *line = NULL, *cur = NULL;
        size_t fn_len = strnlen(fn, ident_len);

        if (fn_len < ident_len) {
                file = fn + fn_len + 1;
                line = memchr(file, '\0', ident_len - fn_len - 1);
                line = line ? line + 1 : NULL;
        }
        for (const char *p = end; p; p = memchr(p + 1, '\x01', (size_t)(info + len - p - 1)))
                if (p + 1 < info + len && p[1] == 'l')
                        cur = p + 2;

        uint32_t n = (uint32_t)strtab_count(&g->funcs);
        uint32_t func = strtab_intern(&g->funcs, info, ident_len);
        if (func == n) {
                u32v_push(&g->func_name, string_index(g, fn, fn_len));
                u32v_push(&g->func_file,
                          file ? string_index(g, file,
                                              strnlen(file, (size_t)(info + ident_len - file)))
                               : GECKO_NONE);
                u32v_push(&g->func_line, line ? (uint32_t)strtoul(line, NULL, 10) : GECKO_NONE);
        }
        u32v_push(&g->frame_func, func);
        u32v_push(&g->frame_line, cur ? (uint32_t)strtoul(cur, NULL, 10) : g->func_line.v[func]);
        g->frame_map[id] = (uint32_t)(g->frame_func.n - 1);
        return g->frame_map[id];
}

/* The stack-table index of session stack @st (the thread pseudo-frame left out). */
static uint32_t
stack_of(struct gecko_thread *g, const struct session *s, uint32_t st)
{
        _cleanup_free_ uint32_t *path = NULL;
        size_t n = 0, cap = 0;
        uint32_t prefix = GECKO_NONE;

        if (st == g->root)
                return GECKO_NONE;
        for (uint32_t x = st; x != g->root && g->stack_map[x] == GECKO_NONE;
             x = session_stack_parent(s, x)) {
                xgrow(&path, &cap, n + 1, sizeof(*path));
                path[n++] = x;
        }
        if (n == 0)
                return g->stack_map[st];
        uint32_t parent = session_stack_parent(s, path[n - 1]);
        prefix = parent == g->root ? GECKO_NONE : g->stack_map[parent];
        for (size_t i = n; i-- > 0;) {
                u32v_push(&g->stack_frame, frame_of(g, s, session_stack_frame(s, path[i])));
                u32v_push(&g->stack_prefix, prefix);
                prefix = g->stack_map[path[i]] = (uint32_t)(g->stack_frame.n - 1);
        }
        return prefix;
}

/* A table column: the values of @v (GECKO_NONE as null), or @fill repeated. put_table() leaves
 * the table's object open for more keys. */
struct gecko_column {
        const char *key;
        const struct u32v *v;
        const char *fill;
};

static void
put_table(FILE *out, const char *name, size_t n, const struct gecko_column *cols, size_t n_cols)
{
        fprintf(out, "\"%s\": {\"length\": %zu", name, n);
        for (size_t c = 0; c < n_cols; c++) {
                fprintf(out, ", \"%s\": [", cols[c].key);
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                fputc(',', out);
                        if (!cols[c].v)
                                fputs(cols[c].fill, out);
                        else if (cols[c].v->v[i] == GECKO_NONE)
                                fputs("null", out);
                        else
                                fprintf(out, "%u", cols[c].v->v[i]);
                }
                fputc(']', out);
        }
}

static void
put_str(FILE *out, const char *s, size_t len)
{
        pyjson_put_string(out, s, len, true);
}

static void
put_thread(const struct session *s, struct gecko_thread *g, size_t index, FILE *out)
{
        size_t len;
        const char *name = session_frame_info(s, session_stack_frame(s, g->root), &len);
        const char *end = name + len, *file = name + strlen(name) + 1;
        const char *tid = file < end ? file + strlen(file) + 1 : end;
        size_t nf = g->frame_func.n, nfn = g->func_name.n, ns = g->stack_frame.n;
        char buf[PYJSON_FLOAT_MAX];

        fputs("{\"processType\": \"default\", \"processStartupTime\": 0, "
              "\"processShutdownTime\": null, \"registerTime\": 0, \"unregisterTime\": null, "
              "\"pausedRanges\": [], \"name\": ",
              out);
        put_str(out, name, strlen(name));
        fprintf(out,
                ", \"isMainThread\": %s, \"pid\": \"0\", \"tid\": ", index == 0 ? "true" : "false");
        if (tid < end && tid[0] && strspn(tid, "0123456789") == strlen(tid))
                fputs(tid, out);
        else
                fprintf(out, "%zu", index);

        const struct gecko_column stack_cols[] = {
                { "frame", &g->stack_frame, NULL },
                { "prefix", &g->stack_prefix, NULL },
                { "category", NULL, "0" },
                { "subcategory", NULL, "0" },
        };
        const struct gecko_column frame_cols[] = {
                { "address", NULL, "-1" },         { "inlineDepth", NULL, "0" },
                { "category", NULL, "0" },         { "subcategory", NULL, "0" },
                { "func", &g->frame_func, NULL },  { "nativeSymbol", NULL, "null" },
                { "innerWindowID", NULL, "null" }, { "implementation", NULL, "null" },
                { "line", &g->frame_line, NULL },  { "column", NULL, "null" },
        };
        const struct gecko_column func_cols[] = {
                { "name", &g->func_name, NULL },     { "isJS", NULL, "false" },
                { "relevantForJS", NULL, "false" },  { "resource", NULL, "-1" },
                { "fileName", &g->func_file, NULL }, { "lineNumber", &g->func_line, NULL },
                { "columnNumber", NULL, "null" },
        };
        const struct gecko_column sample_cols[] = { { "stack", &g->sample_stack, NULL } };

        fputs(",\n", out);
        put_table(out, "samples", g->sample_stack.n, sample_cols, ARRAY_SIZE(sample_cols));
        fputs(", \"time\": [", out);
        for (size_t i = 0; i < g->n_time; i++)
                fprintf(out, "%s%s", i ? "," : "", pyjson_float(g->sample_time[i], buf));
        fputs("], \"weight\": [", out);
        for (size_t i = 0; i < g->n_time; i++)
                fprintf(out, "%s%s", i ? "," : "", pyjson_float(g->sample_weight[i], buf));
        fputs("], \"weightType\": \"tracing-ms\"},\n", out);
        fputs("\"markers\": {\"length\": 0, \"category\": [], \"data\": [], \"endTime\": [], "
              "\"name\": [], \"phase\": [], \"startTime\": []},\n",
              out);
        put_table(out, "stackTable", ns, stack_cols, ARRAY_SIZE(stack_cols));
        fputs("},\n", out);
        put_table(out, "frameTable", nf, frame_cols, ARRAY_SIZE(frame_cols));
        fputs("},\n", out);
        put_table(out, "funcTable", nfn, func_cols, ARRAY_SIZE(func_cols));
        fputs("},\n\"resourceTable\": {\"length\": 0, \"lib\": [], \"name\": [], \"host\": [], "
              "\"type\": []},\n"
              "\"nativeSymbols\": {\"length\": 0, \"libIndex\": [], \"address\": [], "
              "\"name\": [], \"functionSize\": []},\n\"stringArray\": [",
              out);
        for (size_t i = 0; i < strtab_count(&g->strings); i++) {
                const char *str = strtab_str(&g->strings, (uint32_t)i, &len);
                if (i)
                        fputc(',', out);
                put_str(out, str, len);
        }
        fputs("]}", out);
}

static void
thread_release(struct gecko_thread *g)
{
        strtab_release(&g->strings);
        strtab_release(&g->funcs);
        free(g->func_name.v);
        free(g->func_file.v);
        free(g->func_line.v);
        free(g->frame_func.v);
        free(g->frame_line.v);
        free(g->stack_frame.v);
        free(g->stack_prefix.v);
        free(g->sample_stack.v);
        free(g->sample_time);
        free(g->sample_weight);
        free(g->frame_map);
        free(g->stack_map);
}

static int
render_gecko(const struct session *s, const struct render_opts *o, FILE *out)
{
        size_t n_stacks = session_stack_count(s), n_frames = session_frame_count(s);
        size_t n_samples = session_sample_count(s);
        _cleanup_free_ uint32_t *root = session_stack_roots(s);
        _cleanup_free_ uint32_t *slot = xmalloc((n_stacks + 1) * sizeof(*slot));
        struct gecko_thread *threads = NULL;
        size_t n = 0, cap = 0;
        char buf[PYJSON_FLOAT_MAX];
        int r = 0;

        memset(slot, 0xff, (n_stacks + 1) * sizeof(*slot));
        for (size_t i = 0; i < n_samples; i++) {
                uint32_t st = session_sample_stack(s, i);
                if (st == SESSION_NO_STACK)
                        continue; /* no thread to put it in */
                uint32_t rt = root[st];

                if (slot[rt] == GECKO_NONE) {
                        size_t len;
                        const char *th = session_frame_info(s, session_stack_frame(s, rt), &len);
                        if (o->thread && !renderer_thread_text_matches(th, len, o->thread))
                                continue;
                        xgrow(&threads, &cap, n + 1, sizeof(*threads));
                        struct gecko_thread *g = &threads[n];
                        *g = (struct gecko_thread){ .root = rt };
                        strtab_init(&g->strings);
                        strtab_init(&g->funcs);
                        g->frame_map = xmalloc((n_frames + 1) * sizeof(*g->frame_map));
                        memset(g->frame_map, 0xff, (n_frames + 1) * sizeof(*g->frame_map));
                        g->stack_map = xmalloc((n_stacks + 1) * sizeof(*g->stack_map));
                        memset(g->stack_map, 0xff, (n_stacks + 1) * sizeof(*g->stack_map));
                        slot[rt] = (uint32_t)n++;
                }
                struct gecko_thread *g = &threads[slot[rt]];
                u32v_push(&g->sample_stack, stack_of(g, s, st));
                xgrow(&g->sample_time, &g->cap_time, g->n_time + 1, sizeof(*g->sample_time));
                xgrow(&g->sample_weight, &g->cap_weight, g->n_time + 1, sizeof(*g->sample_weight));
                g->sample_time[g->n_time] = g->clock * 1000.0;
                g->sample_weight[g->n_time++] = session_sample_weight(s, i) * 1000.0;
                g->clock += session_sample_weight(s, i);
        }
        if (o->thread && n == 0)
                r = -ENOENT;

        if (r == 0) {
                fputs("{\"meta\": {\"interval\": ", out);
                fputs(pyjson_float(session_max_interval(s) * 1000.0, buf), out);
                fputs(", \"startTime\": ", out);
                fputs(pyjson_float(session_start_time(s) * 1000.0, buf), out);
                fputs(", \"processType\": 0, \"product\": ", out);
                const char *desc = session_target_description(s);
                put_str(out, desc[0] ? desc : "pyinstr", strlen(desc[0] ? desc : "pyinstr"));
                fputs(", \"stackwalk\": 0, \"version\": 27, \"preprocessedProfileVersion\": 48, "
                      "\"symbolicated\": true, \"importedFrom\": \"pyinstr " PYINSTR_VERSION "\", "
                      "\"categories\": [{\"name\": \"Python\", \"color\": \"yellow\", "
                      "\"subcategories\": [\"Other\"]}], \"markerSchema\": []},\n"
                      "\"libs\": [], \"pages\": [], \"counters\": [],\n\"threads\": [",
                      out);
                for (size_t i = 0; i < n; i++) {
                        if (i)
                                fputs(",\n", out);
                        put_thread(s, &threads[i], i, out);
                }
                fputs("]}\n", out);
        }
        for (size_t i = 0; i < n; i++)
                thread_release(&threads[i]);
        free(threads);
        if (r < 0)
                return r;
        return ferror(out) ? -EIO : 0;
}

static const char *const gecko_extensions[] = { ".gecko.json", NULL };

const struct renderer renderer_gecko = {
        .name = "gecko",
        .extensions = gecko_extensions,
        .own_threads = true,
        .render = render_gecko,
};

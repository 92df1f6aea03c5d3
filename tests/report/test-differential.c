/* The aggregated tree built straight from the samples (frame_tree_build_aggregated(), through
 * processors_build_run()) against the timeline tree and pyinstrument's processors: random
 * sessions rendered both ways by every renderer and option that takes the new path must give
 * the same bytes; speedscope's events streamed from the samples (frame_events_run()) likewise.
 * Sums are compared through pstats' raw doubles (and speedscope's clock), so an addition in
 * another order shows. */
#include "config.h"

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "renderers/renderers.h"
#include "tree/frame.h"
#include "tree/processor.h"
#include "tree/tree.h"

#include "session-frame.h"

#define N_SESSIONS 250

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
        /* xorshift64*: the same sessions on every machine, unlike random() */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* A frame for identifier number @id: application, library, importlib, eval'd, synthetic or
 * pyinstrument's own, with line and class attributes, and __tracebackhide__ for a few (mixed
 * within an identifier when @mixed_hide). */
static uint32_t
random_frame(struct session *s, uint32_t id, bool mixed_hide)
{
        const char *cls = id % 7 == 0 ? "^cKlass" : id % 11 == 0 ? "^cOther" : "";
        const char *hide = id % 13 == 5 ? "^h1" : mixed_hide && id % 13 == 6 && rnd(2) ? "^h1" : "";
        uint32_t line = rnd(4);

        switch (id % 16) {
        case 0:
        case 1:
                return frame(s, "lib%u|/usr/lib/python3/site-packages/pkg%u/m.py|%u^l%u%s%s", id,
                             id % 3, id, line, cls, hide);
        case 2:
        case 6:
                /* spliced out: their children meet their siblings */
                return frame(s, "_find_and_load|<frozen importlib._bootstrap>|%u^l%u", id % 3, line);
        case 3:
                if (id % 5 == 0)
                        return frame(s, "[await]");
                if (id % 5 == 1)
                        return frame(s, "[out-of-context]");
                return frame(s, "<module>|<string>|1^l%u", line);
        case 4:
                return frame(s, "run%u|/opt/py/lib/runpy.py|%u^l%u", id % 2, id, line);
        default:
                return frame(s, "f%u|/app/mod%u.py|%u^l%u%s%s", id, id % 5, id * 3, line, cls, hide);
        }
}

static struct session *
random_session(void)
{
        struct session *s = session_new();
        uint32_t n_threads = 1 + rnd(3), max_depth = 2 + rnd(30);
        /* few identifiers: the same frames meet again after a splice or a jump */
        uint32_t n_ids = rnd(3) == 0 ? 3 + rnd(6) : 5 + rnd(60);
        uint32_t n_samples = 1 + rnd(400), cur[3][40] = { { 0 } }, depth[3] = { 0 };
        uint32_t threads[3];
        bool mixed_hide = rnd(8) == 0, self_named = rnd(30) == 0;
        static const double weights[] = { 0.001, 0.001, 0.001, 0.0011, 0.00099, 0.1, 0.0, 1e-7 };

        session_set_times(s, 1700000000.0 + rnd(100000), 0.5 + rnd(100), 0.3);
        session_set_interval(s, 0.001, rnd(3) ? 0.001 : 0.0001);
        session_set_target_description(s, "Program: differential.py");
        session_add_sys_path(s, "/app");
        session_add_sys_path(s, "/usr/lib/python3/site-packages");
        session_add_sys_prefix(s, "/usr");
        for (uint32_t i = 0; i < n_threads; i++)
                threads[i] = frame(s, "%s|<thread>|%u", i ? "Worker" : "MainThread", 1000 + i);
        if (rnd(4) == 0) {
                /* pyinstrument's own frames at the root: remove_first_pyinstrument_frames */
                uint32_t st = session_stack(s, SESSION_NO_STACK, threads[0]);
                st = session_stack(s, st, frame(s, "<module>|/x/pyinstrument/__main__.py|1"));
                st = session_stack(s, st, frame(s, "<module>|<string>|1"));
                st = session_stack(s, st, frame(s, "run_path|/py/runpy.py|2"));
                session_add_sample(s, st, 0.001);
        }
        if (rnd(10) == 0)
                session_add_start_call_stack(s, "MainThread\0<thread>\0" "1000", 20);
        for (uint32_t i = 0; i < n_samples; i++) {
                uint32_t th = rnd(n_threads), st;
                uint32_t *d = &depth[th], r = rnd(10);
                double w = weights[rnd(8)];

                /* a program stays a while where it is, then returns, calls, replaces a frame or jumps */
                if (r < 3 && *d > 0)
                        *d -= 1 + rnd(*d < 4 ? *d : 4);
                else if (r < 6 && *d < max_depth)
                        for (uint32_t k = 1 + rnd(4); k-- > 0 && *d < max_depth;)
                                cur[th][(*d)++] = rnd(n_ids);
                else if (r == 6)
                        *d = rnd(max_depth);
                else if (r == 7 && *d > 0)
                        /* returned and called another between two samples */
                        cur[th][rnd(*d)] = rnd(n_ids);
                if (rnd(50) == 0) {
                        session_add_sample(s, SESSION_NO_STACK, w);
                        continue;
                }
                st = session_stack(s, SESSION_NO_STACK, threads[th]);
                for (uint32_t k = 0; k < *d; k++)
                        st = session_stack(s, st, random_frame(s, cur[th][k], mixed_hide));
                if (self_named && rnd(20) == 0)
                        st = session_stack(s, st, frame(s, "[self]"));
                session_add_sample(s, st, w);
        }
        return s;
}

/* Node by node, times to the bit: the renderers print rounded figures, and a [self] node's
 * time shows nowhere else. */
static void
assert_same_tree(struct frame *a, struct frame *b)
{
        struct frame_stack sa = { 0 }, sb = { 0 };

        assert_true((a == NULL) == (b == NULL));
        if (!a)
                return;
        frame_stack_push(&sa, a);
        frame_stack_push(&sb, b);
        while ((a = frame_stack_pop(&sa))) {
                b = frame_stack_pop(&sb);
                assert_non_null(b);
                assert_int_equal(a->ident, b->ident);
                assert_memory_equal(&a->time, &b->time, sizeof(double));
                assert_memory_equal(&a->absorbed_time, &b->absorbed_time, sizeof(double));
                assert_int_equal(a->n_attrs, b->n_attrs);
                for (uint32_t i = 0; i < a->n_attrs; i++) {
                        assert_int_equal(a->attrs[i].key, b->attrs[i].key);
                        assert_memory_equal(&a->attrs[i].time, &b->attrs[i].time, sizeof(double));
                }
                assert_int_equal(a->n_children, b->n_children);
                assert_int_equal(a->group == FRAME_NO_GROUP, b->group == FRAME_NO_GROUP);
                frame_stack_push_children(&sa, a);
                frame_stack_push_children(&sb, b);
        }
        assert_null(frame_stack_pop(&sb));
        frame_stack_release(&sa);
        frame_stack_release(&sb);
}

/* The console processors both ways on one tree context each (identifier numbers match: both
 * contexts intern the session's frames in the same order). */
static size_t
compare_trees(const struct session *s)
{
        static const char *const show_all_skip[] = { "group_library_frames_processor",
                                                     "remove_importlib", "remove_irrelevant_nodes",
                                                     "remove_tracebackhide", NULL };
        const struct processor_opts po = { .filter_threshold = 0.01 };
        size_t n = 0;

        for (int k = 0; k < 2; k++) {
                const char *const *skip = k ? show_all_skip : NULL;
                _cleanup_(frame_tree_freep) struct frame_tree *ta = frame_tree_new(s);
                _cleanup_(frame_tree_freep) struct frame_tree *tb = frame_tree_new(s);
                processors_build_set_timeline(true);
                struct frame *a = processors_build_run(ta, UINT32_MAX, renderer_console_processors,
                                                       skip, &po);
                processors_build_set_timeline(false);
                struct frame *b = processors_build_run(tb, UINT32_MAX, renderer_console_processors,
                                                       skip, &po);
                assert_same_tree(a, b);
                n++;
        }
        return n;
}

static char *
render(const struct renderer *r,
       const struct session *s,
       const struct render_opts *o,
       int *ret,
       size_t *ret_len)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        /* group ids are uuid4s from random(): the same sequence for both paths */
        srandom(1);
        *ret = r->render(s, o, m);
        fclose(m);
        *ret_len = len;
        return buf;
}

static void
test_random_sessions(void **state)
{
        regex_t hide, show;
        size_t comparisons = 0, direct = 0, builds = 0, speedscope = 0, streamed = 0;

        (void)state;
        assert_int_equal(regcomp(&hide, "^(.*/site-packages/pkg1.*)", REG_EXTENDED | REG_NOSUB), 0);
        assert_int_equal(regcomp(&show, "^(/usr/lib/python3/site-packages/pkg2.*)",
                                 REG_EXTENDED | REG_NOSUB),
                         0);
        rng_state = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < N_SESSIONS; i++) {
                _cleanup_(session_freep) struct session *s = random_session();
                const struct render_opts base = { .text.unicode = true,
                                                  .processor.filter_threshold = 0.01 };
                struct render_opts opts[12];
                size_t n_opts = 0;

                /* how often the new path is really taken */
                {
                        _cleanup_(frame_tree_freep) struct frame_tree *t = frame_tree_new(s);
                        struct frame *root;
                        builds++;
                        direct += frame_tree_build_aggregated(t, UINT32_MAX,
                                                              processor_ident_is_importlib, true,
                                                              &root) == 0;
                }
                /* and how often speedscope streams its events from the samples */
                for (int k = 0; k < 2; k++) {
                        _cleanup_(frame_tree_freep) struct frame_tree *t = frame_tree_new(s);
                        _cleanup_(frame_events_freep) struct frame_events *ev = NULL;
                        streamed += frame_events_new(t, k, 0.01, &ev) == 0;
                }
                comparisons += compare_trees(s);
                opts[n_opts++] = base;
                opts[n_opts] = base;
                opts[n_opts++].show_all = true;
                opts[n_opts] = base;
                opts[n_opts++].text.flat = true;
                opts[n_opts] = base;
                opts[n_opts].text.flat = opts[n_opts].text.flat_time_total = true;
                n_opts++;
                opts[n_opts] = base;
                opts[n_opts].text.percent_of_total = opts[n_opts].text.color = true;
                n_opts++;
                opts[n_opts] = base;
                opts[n_opts].text.short_mode = true;
                opts[n_opts++].text.unicode = false;
                opts[n_opts] = base;
                opts[n_opts].processor.hide_regex = &hide;
                opts[n_opts++].processor.show_regex = &show;
                opts[n_opts] = base;
                opts[n_opts++].processor.filter_threshold = 0;
                opts[n_opts] = base;
                opts[n_opts++].processor.filter_threshold = 0.2;
                opts[n_opts] = base;
                opts[n_opts++].thread = "Worker";
                opts[n_opts] = base;
                opts[n_opts].show_all = true;
                opts[n_opts++].thread = "1000";

                for (size_t k = 0; k < n_opts; k++) {
                        static const struct renderer *const renderers[] = { &renderer_text,
                                                                            &renderer_json,
                                                                            &renderer_pstats,
                                                                            &renderer_speedscope };
                        for (size_t j = 0; j < ARRAY_SIZE(renderers); j++) {
                                const struct renderer *r = renderers[j];
                                bool binary = r == &renderer_pstats;
                                int ra, rb;
                                size_t la, lb;
                                /* json, pstats and speedscope take no console options */
                                if (j > 0 &&
                                    (opts[k].text.flat || opts[k].text.percent_of_total ||
                                     opts[k].text.short_mode))
                                        continue;
                                processors_build_set_timeline(true);
                                _cleanup_free_ char *old = render(r, s, &opts[k], &ra, &la);
                                /* speedscope: also with its buffer written out after
                                 * every sample, as far as it can be */
                                for (int f = 0; f < (r == &renderer_speedscope ? 2 : 1); f++) {
                                        processors_build_set_timeline(false);
                                        frame_events_set_flush(f ? 1 : 0);
                                        _cleanup_free_ char *new = render(r, s, &opts[k], &rb, &lb);
                                        frame_events_set_flush(0);
                                        assert_int_equal(ra, rb);
                                        if (la != lb || memcmp(old, new, la) != 0) {
                                                fprintf(stderr,
                                                        "session %d, %s, options %zu, flush %d "
                                                        "differ:\n--- timeline\n%s\n--- new\n%s\n",
                                                        i, r->name, k, f, binary ? "(binary)" : old,
                                                        binary ? "(binary)" : new);
                                                fail();
                                        }
                                        comparisons++;
                                        if (r == &renderer_speedscope)
                                                speedscope++;
                                }
                        }
                }
        }
        regfree(&hide);
        regfree(&show);
        printf("%zu comparisons (reports and trees) identical; %zu of %zu sessions built without the timeline\n",
               comparisons, direct, builds);
        printf("%zu of them speedscope; %zu of %zu speedscope sessions x show_all streamed without "
               "the timeline\n",
               speedscope, streamed, 2 * builds);
        /* the test means something only if most sessions take the new path */
        assert_true(direct * 2 > builds);
        assert_true(streamed * 2 > 2 * builds);
}

/* Speedscope both ways on @s, with the default threshold and with none. */
static void
assert_same_speedscope(const struct session *s)
{
        for (int k = 0; k < 3; k++) {
                struct render_opts o = { .processor.filter_threshold = k == 1 ? 0 : 0.01,
                                         .show_all = k == 2 };
                int ra, rb;
                size_t la, lb;

                processors_build_set_timeline(true);
                _cleanup_free_ char *old = render(&renderer_speedscope, s, &o, &ra, &la);
                processors_build_set_timeline(false);
                _cleanup_free_ char *new = render(&renderer_speedscope, s, &o, &rb, &lb);
                assert_int_equal(ra, rb);
                if (la != lb || memcmp(old, new, la) != 0) {
                        fprintf(stderr, "options %d differ:\n--- timeline\n%s\n--- new\n%s\n", k,
                                old, new);
                        fail();
                }
        }
}

/* Two [self] runs under an [out-of-context] that has children (spliced importlib frames) with a
 * sample ending at the [out-of-context] itself between them: that sample has no [self], so
 * merge_consecutive_self_time merges the two across it. Another [self] run before them makes
 * the order of the additions show. */
static void
test_self_across_synthetic_leaf(void **state)
{
        _cleanup_(session_freep) struct session *s = session_new();
        uint32_t th = session_stack(s, SESSION_NO_STACK, frame(s, "MainThread|<thread>|1"));
        uint32_t f = session_stack(s, th, frame(s, "f|/app/a.py|1^l1"));
        uint32_t ooc = session_stack(s, f, frame(s, "[out-of-context]"));
        uint32_t imp1 =
                session_stack(s, ooc, frame(s, "_find_and_load|<frozen importlib._bootstrap>|1"));
        uint32_t imp0 =
                session_stack(s, ooc, frame(s, "_find_and_load|<frozen importlib._bootstrap>|0"));
        uint32_t g = session_stack(s, ooc, frame(s, "g|/app/a.py|2^l2"));

        (void)state;
        session_set_times(s, 1700000000.0, 1.0, 1.0);
        session_add_sample(s, imp0, 0.1);
        session_add_sample(s, g, 0.3);
        session_add_sample(s, imp1, 1e-7);
        session_add_sample(s, ooc, 1e-7);
        session_add_sample(s, imp0, 0.0011);
        session_add_sample(s, ooc, 0.2);
        session_add_sample(s, imp1, 0.0013);
        assert_same_speedscope(s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_random_sessions),
                cmocka_unit_test(test_self_across_synthetic_leaf),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}

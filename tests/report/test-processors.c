/* pyinstrument's test_processors.py on the same hand-built trees, with its numbers. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tree/frame.h"
#include "tree/processor.h"
#include "tree/tree.h"

#define APPROX(a, b) assert_true(fabs((a) - (b)) <= 1e-6 * fmax(1, fabs(b)))

struct fixture {
        struct session *s;
        struct frame_tree *t;
};

static struct fixture fx;

static int
setup(void **state)
{
        (void)state;
        fx.s = session_new();
        fx.t = frame_tree_new(fx.s);
        return 0;
}

static int
teardown(void **state)
{
        (void)state;
        fx.t = frame_tree_free(fx.t);
        fx.s = session_free(fx.s);
        return 0;
}

/* Frame(info) with NULs written as '|' in @text */
static struct frame *
nodez(const char *text,
      struct frame *a,
      struct frame *b,
      struct frame *c,
      struct frame *d,
      struct frame *e)
{
        char buf[256];
        size_t n = strlen(text);
        struct frame *kids[] = { a, b, c, d, e };

        memcpy(buf, text, n + 1);
        for (size_t i = 0; i < n; i++)
                if (buf[i] == '|')
                        buf[i] = '\0';
        struct frame *f = frame_new_info(fx.t, buf, n, 0);
        for (size_t i = 0; i < 5 && kids[i]; i++)
                frame_add_child(fx.t, f, kids[i]);
        return f;
}

static struct frame *
self_time(double t)
{
        return frame_new_info(fx.t, "[self]", 6, t);
}

/* test/util.py calculate_frame_tree_times(): parents are the sum of their children */
static void
calculate_times(struct frame *root)
{
        struct frame_stack st = { 0 }, order = { 0 };
        struct frame *f;

        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                frame_stack_push(&order, f);
                frame_stack_push_children(&st, f);
        }
        while ((f = frame_stack_pop(&order))) {
                if (frame_is_synthetic_leaf(fx.t, f))
                        continue;
                double sum = 0;
                for (uint32_t i = 0; i < f->n_children; i++)
                        sum += f->children[i]->time;
                f->time = sum + f->absorbed_time;
        }
        frame_stack_release(&st);
        frame_stack_release(&order);
}

static const struct processor_opts defaults = { .filter_threshold = 0.01 };

static bool
is_self(const struct frame *f)
{
        return f->ident == frame_tree_self_ident(fx.t);
}

static void
test_passthrough_none(void **state)
{
        static const char *const all[] = {
                "aggregate_repeated_calls",    "group_library_frames_processor",
                "merge_consecutive_self_time", "remove_importlib",
                "remove_tracebackhide",        "remove_unnecessary_self_time_nodes",
                "remove_irrelevant_nodes",     "remove_first_pyinstrument_frames_processor",
        };
        (void)state;
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                assert_null(processor_find(all[i])->fn(fx.t, NULL, &defaults));
}

static struct frame *
importlib_tree(const char *h_root, const char *h_lib)
{
        char a[128], b[128], c[128], d[128], e[128], f[128];

        snprintf(a, sizeof(a), "<module>|sympy/__init__.py|12%s", h_root);
        snprintf(b, sizeof(b), "_handle_fromlist|%s|997%s",
                 *h_lib ? "../foo.py" : "../<frozen importlib._bootstrap>", h_lib);
        snprintf(c, sizeof(c), "_find_and_load|%s|997%s",
                 *h_lib ? "../foo.py" : "../<frozen importlib._bootstrap>", h_lib);
        snprintf(d, sizeof(d), "<module>|sympy/polys/polyfuncs.py|1%s", h_root);
        snprintf(e, sizeof(e), "<module>|sympy/polys/partfrac.py|1%s", h_root);
        snprintf(f, sizeof(f), "<module>|sympy/polys/numberfields.py|1%s", h_root);
        return nodez(a,
                     nodez(b, self_time(0.15),
                           nodez(c, self_time(0.05), nodez(d, self_time(0.05), 0, 0, 0, 0),
                                 nodez(e, self_time(0.2), 0, 0, 0, 0), 0, 0),
                           nodez(f, self_time(0.05), 0, 0, 0, 0), 0, 0),
                     0, 0, 0, 0);
}

static void
check_importlib_result(struct frame *frame)
{
        assert_non_null(frame);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame_total_self_time(fx.t, frame), 0.2);
        APPROX(frame->time, 0.5);
        assert_int_equal(frame->n_children, 5);
        assert_true(is_self(frame->children[0]));
        assert_true(frame->children[0]->time == 0.15);
        assert_true(is_self(frame->children[1]));
        assert_true(frame->children[1]->time == 0.05);
}

static void
test_remove_importlib(void **state)
{
        struct frame *frame = importlib_tree("", "");

        (void)state;
        calculate_times(frame);
        assert_null(frame_check(fx.t, frame));
        assert_true(frame_total_self_time(fx.t, frame) == 0.0);
        APPROX(frame->time, 0.5);
        frame = processor_remove_importlib(fx.t, frame, &defaults);
        check_importlib_result(frame);
        assert_string_equal(frame_ident(fx.t, frame->children[2])->file,
                            "sympy/polys/polyfuncs.py");
        assert_string_equal(frame_ident(fx.t, frame->children[3])->file, "sympy/polys/partfrac.py");
        assert_string_equal(frame_ident(fx.t, frame->children[4])->file,
                            "sympy/polys/numberfields.py");
}

static void
test_remove_hidden(void **state)
{
        struct frame *frame = importlib_tree("\x01h0", "\x01h1");

        (void)state;
        calculate_times(frame);
        assert_true(frame_total_self_time(fx.t, frame) == 0.0);
        frame = processor_remove_tracebackhide(fx.t, frame, &defaults);
        check_importlib_result(frame);
}

static void
test_merge_consecutive_self_time(void **state)
{
        struct frame *frame = nodez(
                "<module>|cibuildwheel/__init__.py|12",
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.1), 0, 0, 0, 0),
                self_time(0.2), self_time(0.1),
                nodez("calculate_metrics|cibuildwheel/utils.py|7", self_time(0.1), 0, 0, 0, 0),
                self_time(0.05));

        (void)state;
        calculate_times(frame);
        APPROX(frame->time, 0.55);
        frame = processor_merge_consecutive_self_time(fx.t, frame, &defaults);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame->time, 0.55);
        assert_int_equal(frame->n_children, 4);
        APPROX(frame_total_self_time(fx.t, frame->children[0]), 0.1);
        assert_true(is_self(frame->children[1]));
        APPROX(frame->children[1]->time, 0.3);
        APPROX(frame->children[2]->time, 0.1);
        APPROX(frame->children[3]->time, 0.05);
        assert_true(is_self(frame->children[3]));
}

static void
test_aggregate_repeated_calls(void **state)
{
        struct frame *frame = nodez(
                "<module>|cibuildwheel/__init__.py|12",
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.1),
                      nodez("scan_string|cibuildwheel/utils.py|54", self_time(0.2), 0, 0, 0, 0), 0,
                      0, 0),
                self_time(0.1),
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.05), 0, 0, 0, 0),
                self_time(0.2),
                nodez("calculate_metrics|cibuildwheel/utils.py|7", self_time(0.1), 0, 0, 0, 0));

        (void)state;
        frame_add_child(fx.t, frame, self_time(0.05));
        calculate_times(frame);
        APPROX(frame->time, 0.8);
        frame = processor_aggregate_repeated_calls(fx.t, frame, &defaults);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame->time, 0.8);
        assert_int_equal(frame->n_children, 3);
        assert_string_equal(frame_ident(fx.t, frame->children[0])->function, "strip_newlines");
        APPROX(frame->children[0]->time, 0.35);
        assert_string_equal(frame_ident(fx.t, frame->children[0]->children[0])->function,
                            "scan_string");
        assert_true(is_self(frame->children[1]));
        APPROX(frame->children[1]->time, 0.35);
        assert_string_equal(frame_ident(fx.t, frame->children[2])->function, "calculate_metrics");
}

static void
test_remove_irrelevant_nodes(void **state)
{
        struct frame *frame = nodez(
                "<module>|cibuildwheel/__init__.py|12",
                nodez("strip_newlines|cibuildwheel/utils.py|997",
                      nodez("scan_string|cibuildwheel/utils.py|54", self_time(10), 0, 0, 0, 0), 0,
                      0, 0, 0),
                self_time(0.5),
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.5), 0, 0, 0, 0),
                nodez("calculate_metrics|cibuildwheel/utils.py|7", self_time(0.01), 0, 0, 0, 0), 0);

        (void)state;
        calculate_times(frame);
        APPROX(frame->time, 11.01);
        frame = processor_remove_irrelevant_nodes(fx.t, frame, &defaults);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame->time, 11.01);
        assert_int_equal(frame->n_children, 3);
        for (uint32_t i = 0; i < frame->n_children; i++)
                assert_string_not_equal(frame_ident(fx.t, frame->children[i])->function,
                                        "calculate_metrics");
}

static void
test_remove_unnecessary_self_time_nodes(void **state)
{
        struct frame *frame = nodez(
                "<module>|cibuildwheel/__init__.py|12",
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.2), 0, 0, 0, 0),
                self_time(0.5),
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.5), 0, 0, 0, 0),
                nodez("calculate_metrics|cibuildwheel/utils.py|7", self_time(0.1), 0, 0, 0, 0), 0);
        struct frame *strip;

        (void)state;
        calculate_times(frame);
        APPROX(frame->time, 1.3);
        frame = processor_remove_unnecessary_self_time_nodes(fx.t, frame, &defaults);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame->time, 1.3);
        assert_int_equal(frame->n_children, 4);
        strip = frame->children[0];
        assert_string_equal(frame_ident(fx.t, strip)->function, "strip_newlines");
        assert_int_equal(strip->n_children, 0);
        assert_true(strip->absorbed_time == 0.2);
        assert_true(strip->time == 0.2);
}

static void
test_group_library_frames(void **state)
{
        struct frame *frame, *root;
        struct frame_group *g;

        (void)state;
        /* the tree context reads sys_path and sys_prefixes from the session */
        fx.t = frame_tree_free(fx.t);
        session_add_sys_path(fx.s, "env/lib/python3.6");
        session_add_sys_prefix(fx.s, "env");
        fx.t = frame_tree_new(fx.s);
        frame = nodez(
                "<module>|cibuildwheel/__init__.py|12",
                nodez("library_function|env/lib/python3.6/django/__init__.py|997",
                      nodez("library_inner|env/lib/python3.6/django/http.py|54",
                            nodez("library_callback|env/lib/python3.6/django/views.py|54",
                                  nodez("<module>|cibuildwheel/views.py|12", self_time(0.3), 0, 0,
                                        0, 0),
                                  0, 0, 0, 0),
                            0, 0, 0, 0),
                      0, 0, 0, 0),
                self_time(0.5),
                nodez("strip_newlines|cibuildwheel/utils.py|997", self_time(0.5), 0, 0, 0, 0),
                nodez("calculate_metrics|cibuildwheel/utils.py|7", self_time(0.1), 0, 0, 0, 0), 0);
        calculate_times(frame);
        APPROX(frame->time, 1.4);
        frame = processor_group_library_frames(fx.t, frame, &defaults);
        assert_null(frame_check(fx.t, frame));
        APPROX(frame->time, 1.4);
        root = frame->children[0];
        g = frame_group(fx.t, root);
        assert_non_null(g);
        assert_ptr_equal(g->root, root);
        for (size_t i = 0; i < g->n_frames; i++)
                assert_ptr_equal(frame_group(fx.t, g->frames[i]), g);
        assert_int_equal(g->n_frames, 3);
        assert_ptr_equal(g->frames[0], root);
        assert_ptr_equal(g->frames[1], root->children[0]);
        assert_ptr_equal(g->frames[2], root->children[0]->children[0]);
        assert_true(frame_group_is_exit_frame(g, root->children[0]->children[0]));
        assert_null(frame_group(fx.t, root->children[0]->children[0]->children[0]));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_passthrough_none, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_importlib, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_hidden, setup, teardown),
                cmocka_unit_test_setup_teardown(test_merge_consecutive_self_time, setup, teardown),
                cmocka_unit_test_setup_teardown(test_aggregate_repeated_calls, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_irrelevant_nodes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_unnecessary_self_time_nodes, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_group_library_frames, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* cli/report.c: option spellings, validation messages, --target-description placeholders, and
 * the --load-prev folder (save, prune to the newest, load back). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/report.h"

/* A writable argv from string literals (report_parse_option() takes char **). */
static char **
argv_of(const char *const *v, int n)
{
        char **a = calloc((size_t)n + 1, sizeof(char *));

        for (int i = 0; i < n; i++)
                a[i] = strdup(v[i]);
        return a;
}

static void
argv_free(char **a, int n)
{
        for (int i = 0; i < n; i++)
                free(a[i]);
        free(a);
}

static int
parse_all(struct report_opts *o, int argc, char **argv, char *err, size_t errlen)
{
        for (int i = 0; i < argc;) {
                int r = report_parse_option(o, argc, argv, &i, err, errlen);
                if (r <= 0)
                        return r < 0 ? r : i;
        }
        return argc;
}

static void
test_spellings(void **state)
{
        static const char *const args[] = { "-rjson",
                                            "--outfile=x.json",
                                            "-p",
                                            "flat",
                                            "-pshort_mode",
                                            "--render-option=time=percent_of_total",
                                            "-t",
                                            "--hide",
                                            "*/lib/*",
                                            "--show-regex=.*app.*",
                                            "--no-unicode",
                                            "--color",
                                            "--thread",
                                            "MainThread",
                                            "--split-threads",
                                            "--target-description",
                                            "T {args}",
                                            "script.py" };
        char **argv = argv_of(args, 18);
        struct report_opts o = { .unicode = -1, .color = -1 };
        char err[256];

        (void)state;
        assert_int_equal(parse_all(&o, 18, argv, err, sizeof(err)), 17);
        assert_string_equal(o.renderer, "json");
        assert_string_equal(o.outfile, "x.json");
        assert_int_equal(o.n_render_options, 3);
        assert_string_equal(o.render_options[0], "flat");
        assert_string_equal(o.render_options[1], "short_mode");
        assert_string_equal(o.render_options[2], "time=percent_of_total");
        assert_true(o.timeline);
        assert_string_equal(o.hide, "*/lib/*");
        assert_string_equal(o.show_regex, ".*app.*");
        assert_int_equal(o.unicode, 0);
        assert_int_equal(o.color, 1);
        assert_string_equal(o.thread, "MainThread");
        assert_true(o.split_threads);
        assert_string_equal(o.target_description, "T {args}");
        free(o.render_options);
        argv_free(argv, 18);

        static const char *const missing[] = { "-o" }, *const other[] = { "--interval" };
        struct report_opts o2 = { .unicode = -1, .color = -1 };
        int i = 0;
        argv = argv_of(missing, 1);
        assert_int_equal(report_parse_option(&o2, 1, argv, &i, err, sizeof(err)), -EINVAL);
        argv_free(argv, 1);
        argv = argv_of(other, 1);
        assert_int_equal(report_parse_option(&o2, 1, argv, &i, err, sizeof(err)), 0);
        argv_free(argv, 1);
}

static void
check_fails(struct report_opts *o, const char *msg)
{
        char err[512] = "";

        assert_int_equal(report_check(o, err, sizeof(err)), -EINVAL);
        if (!strstr(err, msg))
                print_error("expected \"%s\" in \"%s\"\n", msg, err);
        assert_non_null(strstr(err, msg));
}

static void
test_check(void **state)
{
        const char *flat_t[] = { "flat" }, *bad_key[] = { "nosuch=1" };
        const char *bad_path[] = { "processor_options.x.y=1" };
        const char *threshold[] = { "processor_options.filter_threshold=0" };
        struct report_opts o = { .unicode = -1, .color = -1, .outfile = "x.txt" };
        char err[256];

        (void)state;
        assert_int_equal(report_check(&o, err, sizeof(err)), 0);
        o.renderer = "nosuch";
        check_fails(&o, "Failed to find renderer with name 'nosuch'");
        o.renderer = NULL;
        o.hide = "*";
        o.hide_regex = ".*";
        check_fails(&o, "You can\u2018t specify both --hide and --hide-regex");
        o.hide = o.hide_regex = NULL;
        o.show_all = true;
        o.show = "*";
        check_fails(&o, "You can only specify one of --show, --show-regex and --show-all");
        o.show = NULL;
        o.show_all = false;
        o.render_options = flat_t;
        o.n_render_options = 1;
        o.timeline = true;
        check_fails(&o, "Cannot use timeline and flat options together.");
        o.timeline = false;
        o.render_options = bad_key;
        check_fails(&o, "Failed to create text renderer. Check your renderer options.");
        o.render_options = bad_path;
        check_fails(&o, "-p processor_options.x.y");
        o.render_options = threshold;
        assert_int_equal(report_check(&o, err, sizeof(err)), 0);
        o.n_render_options = 0;
        o.hide_regex = "([";
        check_fails(&o, "bad hide_regex");
        o.hide_regex = NULL;
        o.outfile = "x.speedscope.json";
        o.render_options = flat_t;
        o.n_render_options = 1;
        check_fails(&o, "Failed to create speedscope renderer");
}

static void
test_target_description(void **state)
{
        struct report_opts o = { .unicode = -1, .color = -1 };
        char err[256], *d = NULL;

        (void)state;
        assert_int_equal(report_target_description(&o, "app.py -x", &d, err, sizeof(err)), 0);
        assert_string_equal(d, "Program: app.py -x");
        free(d);
        o.target_description = "{{literal}} {args}!";
        assert_int_equal(report_target_description(&o, "a", &d, err, sizeof(err)), 0);
        assert_string_equal(d, "{literal} a!");
        free(d);
        o.target_description = "{nope}";
        assert_int_equal(report_target_description(&o, "a", &d, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "Unknown placeholder 'nope' in --target-description");
        o.target_description = "x {}";
        assert_int_equal(report_target_description(&o, "a", &d, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "Empty placeholder in --target-description");
}

static void
test_load_prev_folder(void **state)
{
        char dir[] = "/tmp/pyinstr-report-test-XXXXXX", err[512], path[4096];
        struct report_opts o = { .unicode = 0, .color = 0 };
        struct session *loaded = NULL;

        (void)state;
        assert_non_null(mkdtemp(dir));
        setenv("XDG_DATA_HOME", dir, 1);
        assert_int_equal(report_load_prev("2000-01-01T00-00-00", &loaded, err, sizeof(err)),
                         -ENOENT);
        assert_string_equal(err, "Couldn't find a profile with identifier 2000-01-01T00-00-00");

        /* 12 text reports on stdout, a second apart: the newest are kept, 10 at most */
        FILE *saved = stdout;
        stdout = fopen("/dev/null", "w");
        for (int i = 0; i < 12; i++) {
                struct session *s = session_new();
                session_set_times(s, 1700000000.0 + i, 1.0, 0.5);
                assert_int_equal(report_write(s, &o, err, sizeof(err)), 0);
                session_free(s);
        }
        fclose(stdout);
        stdout = saved;
        int n = 0;
        for (int i = 0; i < 12; i++) {
                setenv("TZ", "UTC", 1);
                snprintf(path, sizeof(path), "%s/pyinstr/reports/2023-11-14T22-13-%02d.pyisession",
                         dir, 20 + i);
                n += access(path, F_OK) == 0;
        }
        assert_int_equal(n, 10);
        assert_int_equal(report_load_prev("2023-11-14T22-13-31", &loaded, err, sizeof(err)), 0);
        assert_true(session_start_time(loaded) == 1700000011.0);
        session_free(loaded);

        /* and 64 MiB in all: an older report of 70 MB goes at the next save, the newest stays
         * whatever its size */
        snprintf(path, sizeof(path), "%s/pyinstr/reports/2023-11-14T22-13-25.pyisession", dir);
        assert_int_equal(truncate(path, 70 << 20), 0);
        stdout = fopen("/dev/null", "w");
        struct session *s = session_new();
        session_set_times(s, 1700000012.0, 1.0, 0.5);
        assert_int_equal(report_write(s, &o, err, sizeof(err)), 0);
        session_free(s);
        fclose(stdout);
        stdout = saved;
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof(path), "%s/pyinstr/reports/2023-11-14T22-13-32.pyisession", dir);
        assert_int_equal(truncate(path, 70 << 20), 0);
        stdout = fopen("/dev/null", "w");
        s = session_new();
        session_set_times(s, 1700000013.0, 1.0, 0.5);
        assert_int_equal(report_write(s, &o, err, sizeof(err)), 0);
        session_free(s);
        fclose(stdout);
        stdout = saved;
        n = 0;
        for (int i = 0; i < 14; i++) {
                snprintf(path, sizeof(path), "%s/pyinstr/reports/2023-11-14T22-13-%02d.pyisession",
                         dir, 20 + i);
                n += access(path, F_OK) == 0;
        }
        assert_int_equal(n, 1); /* the newest; the 70 MB one before it went over the bound */
        snprintf(path, sizeof(path), "rm -rf '%s'", dir);
        assert_int_equal(system(path), 0);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spellings),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_target_description),
                cmocka_unit_test(test_load_prev_folder),
        };
        setenv("TZ", "UTC", 1);
        return cmocka_run_group_tests(tests, NULL, NULL);
}

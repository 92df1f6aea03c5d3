/* Sessions: files pyinstrument wrote saved compacted and rendered alike, identical samples
 * merged, bad input, repr floats, string escapes, Session.combine; and 10,000-level stacks
 * through every renderer. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "renderers/renderers.h"
#include "tree/pyjson.h"
#include "tree/tree.h"
#include "tree/tree_internal.h"

/* intern a string literal, NULs included */
#define FRAME(s, lit) session_frame((s), (lit), sizeof(lit) - 1)

/* A stream that drops what it is given, opening nothing (/dev/null may not be a device). */
static ssize_t
discard(void *cookie, const char *buf, size_t size)
{
        (void)cookie;
        (void)buf;
        return (ssize_t)size;
}

static FILE *
discarding(void)
{
        return fopencookie(NULL, "w", (cookie_io_functions_t){ .write = discard });
}

static char *
read_file(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        *ret_len = (size_t)n;
        return buf;
}

static char *
save_to_string(const struct session *s, size_t *ret_len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, ret_len);

        assert_int_equal(session_save(s, m), 0);
        fclose(m);
        return buf;
}

static void
test_bad_files(void **state)
{
        static const char *const bad[] = {
                "",
                "{",
                "[1, 2]",
                "{\"start_time\": 1.0}",
                "{\"start_time\": \"x\", \"duration\": 1, \"sample_count\": 0, \"cpu_time\": 0}",
                "{\"start_time\": 1, \"duration\": 1, \"sample_count\": 1, \"cpu_time\": 0, "
                "\"target_description\": \"t\", \"start_call_stack\": [], "
                "\"frame_records\": [[[\"a\"], 1.0], [[\"b\"]]]}",
                "{\"start_time\": 1, \"duration\": 1, \"sample_count\": 1, \"cpu_time\": 0, "
                "\"target_description\": \"t\", \"start_call_stack\": [], "
                "\"frame_records\": [[[\"a\", 3], 1.0]]}",
                "{\"start_time\": 1, \"duration\": 1, \"sample_count\": 1, \"cpu_time\": 0, "
                "\"target_description\": \"t\", \"start_call_stack\": [], \"frame_records\": "
                "[[[\"a\"",
        };
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char err[256] = "";
                struct session *s = NULL;
                int r = session_load_buffer(bad[i], strlen(bad[i]), &s, err, sizeof(err));

                assert_true(r == -EBADMSG || r == -EINVAL);
                assert_null(s);
                assert_true(strlen(err) > 0);
        }
}

static void
test_truncated_real_file(void **state)
{
        char path[4096], err[256];
        size_t len;

        (void)state;
        snprintf(path, sizeof(path), "%s/basic/session.pyisession", CONFORMANCE_DIR);
        char *orig = read_file(path, &len);
        for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
                struct session *s = NULL;
                int r = session_load_buffer(orig, cut, &s, err, sizeof(err));
                assert_true(r == -EBADMSG || r == -EINVAL);
                assert_null(s);
        }
        free(orig);
}

static void
test_float_repr(void **state)
{
        static const struct {
                double x;
                const char *repr;
        } cases[] = {
                { 0.001, "0.001" },
                { 1795312448.9535449, "1795312448.9535449" },
                { 1e-05, "1e-05" },
                { 0.0001, "0.0001" },
                { 1e16, "1e+16" },
                { 1e15, "1000000000000000.0" },
                { 0.1 + 0.2, "0.30000000000000004" },
                { -0.0, "-0.0" },
                { 0.0, "0.0" },
                { 5e-324, "5e-324" },
                { 1.7976931348623157e308, "1.7976931348623157e+308" },
                { 0.8999999999999999, "0.8999999999999999" },
                { 123.0, "123.0" },
                { -2.5e-7, "-2.5e-07" },
        };
        char buf[PYJSON_FLOAT_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_string_equal(pyjson_float(cases[i].x, buf), cases[i].repr);
}

static void
test_string_escapes(void **state)
{
        /* NUL, \x01, quote, backslash, é, U+1F600, an invalid byte */
        static const char in[] = "a\0b\x01\"\\\xc3\xa9\xf0\x9f\x98\x80\xff";
        char *buf = NULL, err[256];
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        (void)state;
        pyjson_put_string(m, in, sizeof(in) - 1, true);
        fclose(m);
        assert_string_equal(buf, "\"a\\u0000b\\u0001\\\"\\\\\\u00e9\\ud83d\\ude00\\udcff\"");

        /* and it reads back, NULs and the invalid byte included */
        char *doc;
        assert_true(asprintf(&doc,
                             "{\"start_time\":1.0,\"duration\":1.0,\"min_interval\":0.001,"
                             "\"max_interval\":0.001,\"sample_count\":1,"
                             "\"start_call_stack\":[%s],\"target_description\":\"t\","
                             "\"cpu_time\":0.0,\"sys_path\":[],\"sys_prefixes\":[],"
                             "\"frame_records\":[[[%s],1.0]]}",
                             buf, buf) > 0);
        struct session *s = NULL;
        assert_int_equal(session_load_buffer(doc, strlen(doc), &s, err, sizeof(err)), 0);
        char *out = save_to_string(s, &len);
        assert_string_equal(out, doc);
        free(out);
        free(doc);
        free(buf);
        session_free(s);
}

static void
test_combine(void **state)
{
        struct session *a = session_new(), *b = session_new();
        uint32_t ta = session_stack(a, SESSION_NO_STACK, FRAME(a, "T\0<thread>\0001"));
        uint32_t tb = session_stack(b, SESSION_NO_STACK, FRAME(b, "U\0<thread>\0002"));

        (void)state;
        session_set_times(a, 20.0, 1.0, 0.5);
        session_set_times(b, 10.0, 2.0, 0.25);
        session_set_interval(a, 0.001, 0.001);
        session_set_interval(b, 0.0001, 0.01);
        session_set_target_description(a, "later");
        session_set_target_description(b, "earlier");
        session_add_sys_path(a, "/a");
        session_add_sys_path(a, "/both");
        session_add_sys_path(b, "/both");
        session_add_sys_path(b, "/b");
        session_add_sample(a, ta, 0.5);
        session_add_sample(b, tb, 0.25);
        session_combine(a, b);
        assert_true(session_start_time(a) == 10.0);
        assert_true(session_duration(a) == 3.0);
        assert_true(session_cpu_time(a) == 0.75);
        assert_true(session_max_interval(a) == 0.01);
        assert_int_equal(session_meta_sample_count(a), 2);
        assert_string_equal(session_target_description(a), "earlier");
        /* the earlier session's records come first */
        size_t len;
        char *out = save_to_string(a, &len);
        assert_non_null(strstr(out, "\"sys_path\":[\"/both\",\"/b\",\"/a\"]"));
        assert_non_null(strstr(out, "\"frame_records\":[[[\"U\\u0000<thread>\\u00002\"],0.25],"
                                    "[[\"T\\u0000<thread>\\u00001\"],0.5]]"));
        free(out);
        session_free(a);
        session_free(b);
}

/* A 10,000-level recursion, as pyinstrument's test_overflow.py: every renderer copes. */
static void
test_deep_stacks(void **state)
{
        static const struct renderer *const all[] = {
                &renderer_text,   &renderer_json,       &renderer_speedscope,
                &renderer_pstats, &renderer_pyisession, &renderer_collapsed_stacks,
        };
        struct session *s = session_new();
        uint32_t st = session_stack(s, SESSION_NO_STACK, FRAME(s, "MainThread\0<thread>\0001"));
        uint32_t f = FRAME(s, "recurse\0/app/deep.py\0003");
        struct render_opts o = { .text.unicode = true, .processor.filter_threshold = 0.01 };

        (void)state;
        session_set_times(s, 1.0, 1.0, 1.0);
        session_add_sys_prefix(s, "/usr");
        for (int i = 0; i < 10000; i++)
                st = session_stack(s, st, f);
        for (int i = 0; i < 3; i++)
                session_add_sample(s, st, 0.25);
        session_add_sample(s, session_stack(s, st, FRAME(s, "sleep\0<built-in>\0000")), 0.25);
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                char *buf = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&buf, &len);
                assert_int_equal(all[i]->render(s, &o, m), 0);
                fclose(m);
                assert_true(len > 100);
                free(buf);
        }
        o.timeline = true;
        o.show_all = true;
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                FILE *m = discarding();
                assert_int_equal(all[i]->render(s, &o, m), 0);
                fclose(m);
        }
        session_free(s);
}

static char *
render_to_string(const struct renderer *r, const struct session *s, const struct render_opts *o)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        assert_int_equal(r->render(s, o, m), 0);
        fclose(m);
        return buf;
}

/* A frame record with an empty stack (a .pyisession may hold one) has no frame to write: collapsed
 * leaves it out, as the trees and gecko do. A stack weighed 0 is still one line. */
static void
test_collapsed_empty_stack(void **state)
{
        struct session *s = session_new();
        uint32_t th = session_stack(s, SESSION_NO_STACK, FRAME(s, "MainThread\0<thread>\0007"));
        uint32_t a = session_stack(s, th, FRAME(s, "a\0/app/a.py\0001"));
        struct render_opts o = { .processor.filter_threshold = 0.01 };

        (void)state;
        session_add_sample(s, a, 0.25);
        session_add_sample(s, SESSION_NO_STACK, 0.5);
        session_add_sample(s, a, 0.25);
        char *out = render_to_string(&renderer_collapsed_stacks, s, &o);
        assert_string_equal(out, "MainThread (<thread>:7);a (/app/a.py:1) 500000\n");
        free(out);

        /* one line per distinct stack, even when its weight is 0 (a loaded file may say so) */
        session_add_sample(s, th, 0);
        session_add_sample(s, th, 0);
        out = render_to_string(&renderer_collapsed_stacks, s, &o);
        assert_string_equal(out, "MainThread (<thread>:7);a (/app/a.py:1) 500000\n"
                                 "MainThread (<thread>:7) 0\n");
        free(out);
        session_free(s);
}

/* What every renderer but html and gecko (which show the records themselves) makes of @s, with
 * and without timeline and show_all, one after the other. */
static char *
render_all(const struct session *s, size_t *ret_len)
{
        static const struct renderer *const all[] = {
                &renderer_text,
                &renderer_json,
                &renderer_speedscope,
                &renderer_pstats,
                &renderer_collapsed_stacks,
        };
        char *buf = NULL;
        FILE *m = open_memstream(&buf, ret_len);

        srandom(1); /* json's group ids are random() */
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                for (int mode = 0; mode < 4; mode++) {
                        struct render_opts o = {
                                .text.unicode = true,
                                .processor.filter_threshold = 0.01,
                                .timeline = mode & 1,
                                .show_all = mode & 2,
                        };
                        assert_int_equal(all[i]->render(s, &o, m), 0);
                }
        fclose(m);
        return buf;
}

/* pyinstrument's own files saved by pyinstr: smaller (no spaces, runs merged), the same
 * metadata, and rendered alike by every renderer, timeline order included; saving the saved
 * file again changes nothing. */
static void
test_save_pyinstrument_files(void **state)
{
        static const char *const cases[] = { "basic", "handmade", "recursion", "imports",
                                             "asyncio_demo" };
        size_t merged = 0;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char path[4096], err[256];
                struct session *s = NULL, *back = NULL;
                size_t len, out_len, again_len, a_len, b_len;

                snprintf(path, sizeof(path), "%s/%s/session.pyisession", CONFORMANCE_DIR, cases[i]);
                char *orig = read_file(path, &len);
                assert_int_equal(session_load(path, &s, err, sizeof(err)), 0);
                char *out = save_to_string(s, &out_len);
                assert_true(out_len < len);
                assert_int_equal(session_load_buffer(out, out_len, &back, err, sizeof(err)), 0);
                assert_true(session_start_time(back) == session_start_time(s));
                assert_true(session_duration(back) == session_duration(s));
                assert_true(session_cpu_time(back) == session_cpu_time(s));
                assert_true(session_max_interval(back) == session_max_interval(s));
                assert_int_equal(session_meta_sample_count(back), session_meta_sample_count(s));
                assert_true(session_sample_count(back) <= session_sample_count(s));
                merged += session_sample_count(s) - session_sample_count(back);
                assert_string_equal(session_target_description(back),
                                    session_target_description(s));
                char *a = render_all(s, &a_len), *b = render_all(back, &b_len);
                assert_int_equal(a_len, b_len);
                assert_memory_equal(a, b, a_len);
                char *again = save_to_string(back, &again_len);
                assert_int_equal(again_len, out_len);
                assert_memory_equal(again, out, out_len);
                free(a);
                free(b);
                free(again);
                free(out);
                free(orig);
                session_free(back);
                session_free(s);
        }
        assert_true(merged > 0); /* recursion, imports and asyncio_demo have runs */
}

/* A thread's identical consecutive samples are one record of their summed weight, at the
 * place of the first, even with other threads' samples (or empty stacks) between them; a
 * different stack of the thread ends the run; sample_count stays the samples taken. Unless
 * -p every_sample asks for a record each. */
static void
test_save_merges_runs(void **state)
{
        struct session *s = session_new(), *back = NULL;
        uint32_t t = session_stack(s, SESSION_NO_STACK, FRAME(s, "T\0<thread>\0001"));
        uint32_t u = session_stack(s, SESSION_NO_STACK, FRAME(s, "U\0<thread>\0002"));
        uint32_t ta = session_stack(s, t, FRAME(s, "a\0/a.py\0001"));
        uint32_t tc = session_stack(s, t, FRAME(s, "a\0/a.py\0001\001l2"));
        uint32_t ub = session_stack(s, u, FRAME(s, "b\0/b.py\0001"));
        char err[256];
        size_t len;

        (void)state;
        session_add_sample(s, ta, 0.25);
        session_add_sample(s, ub, 0.5);
        session_add_sample(s, ta, 0.25);
        session_add_sample(s, ub, 0.5);
        session_add_sample(s, SESSION_NO_STACK, 1.0);
        session_add_sample(s, ta, 0.125);
        session_add_sample(s, tc, 0.5);
        session_add_sample(s, ta, 0.25);
        char *out = save_to_string(s, &len);
        assert_non_null(strstr(out, "\"sample_count\":8,"));
        assert_non_null(
                strstr(out, "\"frame_records\":["
                            "[[\"T\\u0000<thread>\\u00001\",\"a\\u0000/a.py\\u00001\"],0.625],"
                            "[[\"U\\u0000<thread>\\u00002\",\"b\\u0000/b.py\\u00001\"],1.0],"
                            "[[],1.0],"
                            "[[\"T\\u0000<thread>\\u00001\",\"a\\u0000/a.py\\u00001\\u0001l2\"],"
                            "0.5],"
                            "[[\"T\\u0000<thread>\\u00001\",\"a\\u0000/a.py\\u00001\"],0.25]]}"));
        assert_int_equal(session_load_buffer(out, len, &back, err, sizeof(err)), 0);
        assert_int_equal(session_meta_sample_count(back), 8);
        assert_int_equal(session_sample_count(back), 5);
        free(out);
        session_free(back);

        /* -p every_sample=true: a record per sample, as pyinstrument writes them */
        struct render_opts o = { .every_sample = true };
        out = render_to_string(&renderer_pyisession, s, &o);
        assert_non_null(strstr(out,
                               "\"frame_records\":["
                               "[[\"T\\u0000<thread>\\u00001\",\"a\\u0000/a.py\\u00001\"],0.25],"
                               "[[\"U\\u0000<thread>\\u00002\",\"b\\u0000/b.py\\u00001\"],0.5],"
                               "[[\"T\\u0000<thread>\\u00001\",\"a\\u0000/a.py\\u00001\"],0.25],"));
        assert_int_equal(session_load_buffer(out, strlen(out), &back, err, sizeof(err)), 0);
        assert_int_equal(session_meta_sample_count(back), 8);
        assert_int_equal(session_sample_count(back), 8);
        free(out);
        session_free(back);
        session_free(s);
}

/* Threads of one role under one root (session_group_threads()): the name without counters
 * (3.10+ "Thread-N (f)", 3.8's "Thread-N", "Thread-<TID>") and the entry function above
 * threading's bootstrap frames; a thread seen only in those frames joins its name's role;
 * executors' workers are one role, a different entry or name another; MainThread, a role of one
 * thread and a thread outside threading keep their roots; the times add up. */
static void
test_group_threads(void **state)
{
        struct session *s = session_new(), *g;
        struct render_opts o = { .text.unicode = true, .processor.filter_threshold = 0.01 };
        static const char *const names[] = {
                "Thread-12 (handle)",
                "Thread-13 (handle)",
                "Thread-9",
                "Thread-4242",        /* its name could not be read: its TID */
                "Thread-14 (handle)", /* seen only in threading's frames */
                "ThreadPoolExecutor-0_0",
                "ThreadPoolExecutor-1_3",
                "Thread-15 (other)", /* another entry: its own root */
                "Dummy-1",
                "Dummy-2", /* not started by threading: the outermost frame */
                "Thread-4343", /* seen only as its Thread was freed: WeakSet's callback */
        };
        uint32_t boot = FRAME(s, "_bootstrap\0/usr/lib/python3.12/threading.py\0001010\x01"
                                 "cThread"),
                 inner = FRAME(s, "_bootstrap_inner\0/usr/lib/python3.12/threading.py\0001050"),
                 run = FRAME(s, "run\0/usr/lib/python3.12/threading.py\0001000"),
                 set = FRAME(s, "set\0/usr/lib/python3.12/threading.py\000600"),
                 handle = FRAME(s, "handle\0/app/srv.py\00010\x01l12"),
                 handle2 = FRAME(s, "handle\0/app/srv.py\00010\x01l14"),
                 other = FRAME(s, "other\0/app/srv.py\00030"),
                 worker = FRAME(s,
                                "_worker\0/usr/lib/python3.12/concurrent/futures/thread.py\00070"),
                 cb = FRAME(s, "callback\0/app/ext.py\0005"),
                 weak = FRAME(s, "_remove\0/usr/lib/python3.12/_weakrefset.py\00039");
        uint32_t main_t = session_stack(s, SESSION_NO_STACK, FRAME(s, "MainThread\0<thread>\0001")),
                 m = session_stack(s, main_t, FRAME(s, "<module>\0/app/srv.py\0001"));

        (void)state;
        session_set_times(s, 1.0, 1.0, 1.0);
        session_add_sys_path(s, "/app");
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char info[64];
                int n = snprintf(info, sizeof(info), "%s%c<thread>%c%zu", names[i], 0, 0, 100 + i);
                uint32_t root =
                        session_stack(s, SESSION_NO_STACK, session_frame(s, info, (size_t)n));
                uint32_t b = session_stack(s, session_stack(s, root, boot), inner), leaf;

                if (i == 4)
                        leaf = session_stack(s, b, set);
                else if (i == 5 || i == 6)
                        leaf = session_stack(s, session_stack(s, b, run), worker);
                else if (i == 7)
                        leaf = session_stack(s, session_stack(s, b, run), other);
                else if (i == 10)
                        leaf = session_stack(s, root, weak);
                else if (i >= 8)
                        leaf = session_stack(s, root, cb);
                else
                        leaf = session_stack(s, session_stack(s, b, run), i % 2 ? handle : handle2);
                session_add_sample(s, m, 0.001);
                session_add_sample(s, leaf, 0.001 * (double)(i + 1));
                session_add_sample(s, leaf, 0.001);
        }
        g = session_group_threads(s);
        assert_non_null(g);
        assert_int_equal(session_sample_count(g), session_sample_count(s));
        char *out = render_to_string(&renderer_text, g, &o);
        /* 6 handle threads: 1+1, 2+1, 3+1, 4+1, 5+1 and 11+1 ms, under their role's root */
        assert_non_null(strstr(out, "\n0.032 Thread (handle) [6 threads]  <thread>\n"));
        assert_non_null(
                strstr(out, "\n0.015 ThreadPoolExecutor (_worker) [2 threads]  <thread>\n"));
        assert_non_null(strstr(out, "\n0.021 Dummy (callback) [2 threads]  <thread>\n"));
        assert_non_null(strstr(out, "\n0.009 Thread-15 (other)  <thread>:107\n"));
        assert_non_null(strstr(out, "\n0.011 MainThread  <thread>:1\n"));
        free(out);
        /* folded stacks keep their "name (file:line)" shape at a group root */
        out = render_to_string(&renderer_collapsed_stacks, g, &o);
        assert_non_null(strstr(out, "Thread (handle) [6 threads] (<thread>:0);"));
        free(out);
        /* --thread: a group by its name without the count */
        o.thread = "Thread (handle)";
        out = render_to_string(&renderer_text, g, &o);
        assert_non_null(strstr(out, "\n0.032 Thread (handle) [6 threads]  <thread>\n"));
        assert_null(strstr(out, "MainThread"));
        free(out);
        o.thread = NULL;
        session_free(g);

        /* nothing to group: NULL, the session is the report */
        struct session *one = session_new();
        uint32_t r1 = session_stack(one, SESSION_NO_STACK, FRAME(one, "MainThread\0<thread>\0001")),
                 r2 = session_stack(one, SESSION_NO_STACK,
                                    FRAME(one, "Thread-1 (f)\0<thread>\0002"));
        session_add_sample(one, session_stack(one, r1, m), 0.1);
        session_add_sample(one, session_stack(one, r2, FRAME(one, "f\0/app/f.py\0001")), 0.1);
        assert_null(session_group_threads(one));
        session_free(one);
        session_free(s);
}

/* Samples of two threads interleaved in time: one tree per thread, busiest first, each headed
 * by its <thread> root; --thread keeps one. */
static void
test_threads(void **state)
{
        struct session *s = session_new();
        uint32_t main_t = session_stack(s, SESSION_NO_STACK, FRAME(s, "MainThread\0<thread>\0007"));
        uint32_t work_t = session_stack(s, SESSION_NO_STACK, FRAME(s, "Worker\0<thread>\0009"));
        uint32_t a = session_stack(s, main_t, FRAME(s, "a\0/app/a.py\0001"));
        uint32_t b = session_stack(s, work_t, FRAME(s, "b\0/app/b.py\0002"));
        struct render_opts o = { .text.unicode = true, .processor.filter_threshold = 0.01 };

        (void)state;
        session_set_times(s, 1.0, 1.0, 1.0);
        session_add_sys_path(s, "/app");
        for (int i = 0; i < 10; i++) {
                session_add_sample(s, a, 0.01);
                session_add_sample(s, b, 0.03);
        }
        char *out = render_to_string(&renderer_text, s, &o);
        char *w = strstr(out, "0.300 Worker  <thread>:9\n└─ 0.300 b  b.py:2\n");
        char *m = strstr(out, "0.100 MainThread  <thread>:7\n└─ 0.100 a  a.py:1\n");
        assert_non_null(w);
        assert_non_null(m);
        assert_true(w < m);
        free(out);

        o.thread = "MainThread";
        out = render_to_string(&renderer_text, s, &o);
        assert_non_null(strstr(out, "0.100 MainThread  <thread>:7\n"));
        assert_null(strstr(out, "Worker"));
        free(out);

        o.thread = "9";
        out = render_to_string(&renderer_text, s, &o);
        assert_non_null(strstr(out, "0.300 Worker  <thread>:9\n"));
        assert_null(strstr(out, "MainThread"));
        free(out);

        o.thread = "nope";
        FILE *null = discarding();
        assert_int_equal(renderer_text.render(s, &o, null), -ENOENT);
        fclose(null);

        /* one JSON tree: a [root] above both threads, busiest first after aggregation */
        o.thread = NULL;
        out = render_to_string(&renderer_json, s, &o);
        assert_non_null(strstr(out, "\"root_frame\": {\"function\": \"[root]\""));
        assert_true(strstr(out, "\"Worker\"") < strstr(out, "\"MainThread\""));
        free(out);
        session_free(s);
}

/* Everything a loaded session holds, in order: frames, stacks, samples to the bit, metadata. */
static void
assert_same_session(const struct session *a, const struct session *b)
{
        assert_int_equal(a->frames.n, b->frames.n);
        for (size_t i = 0; i < a->frames.n; i++) {
                assert_int_equal(a->frames.v[i].len, b->frames.v[i].len);
                assert_memory_equal(a->frames.v[i].str, b->frames.v[i].str, a->frames.v[i].len);
        }
        assert_int_equal(a->n_stacks, b->n_stacks);
        if (a->n_stacks)
                assert_memory_equal(a->stacks, b->stacks, a->n_stacks * sizeof(*a->stacks));
        assert_int_equal(a->n_samples, b->n_samples);
        if (a->n_samples) {
                assert_memory_equal(a->sample_stack, b->sample_stack,
                                    a->n_samples * sizeof(*a->sample_stack));
                assert_memory_equal(a->sample_weight, b->sample_weight,
                                    a->n_samples * sizeof(*a->sample_weight));
        }
        double ma[] = { a->start_time, a->duration, a->cpu_time, a->min_interval, a->max_interval };
        double mb[] = { b->start_time, b->duration, b->cpu_time, b->min_interval, b->max_interval };
        assert_memory_equal(ma, mb, sizeof(ma));
        assert_int_equal(a->sample_count, b->sample_count);
        assert_int_equal(a->sample_count_set, b->sample_count_set);
        assert_string_equal(session_target_description(a), session_target_description(b));
        assert_int_equal(a->n_sys_path, b->n_sys_path);
        for (size_t i = 0; i < a->n_sys_path; i++)
                assert_string_equal(a->sys_path[i], b->sys_path[i]);
        assert_int_equal(a->n_sys_prefixes, b->n_sys_prefixes);
        for (size_t i = 0; i < a->n_sys_prefixes; i++)
                assert_string_equal(a->sys_prefixes[i], b->sys_prefixes[i]);
        assert_int_equal(a->n_start_call_stack, b->n_start_call_stack);
        if (a->n_start_call_stack)
                assert_memory_equal(a->start_call_stack, b->start_call_stack,
                                    a->n_start_call_stack * sizeof(*a->start_call_stack));
}

/* Load @buf both ways: the same verdict, the same session. Returns whether it loaded. */
static bool
load_both_ways(const char *buf, size_t len)
{
        struct session *a = NULL, *b = NULL;
        char ea[512] = "", eb[512] = "";
        int ra, rb;

        session_load_set_plain(true);
        ra = session_load_buffer(buf, len, &a, ea, sizeof(ea));
        session_load_set_plain(false);
        rb = session_load_buffer(buf, len, &b, eb, sizeof(eb));
        session_load_set_plain(true);
        assert_int_equal(ra, rb);
        assert_string_equal(ea, eb);
        if (ra >= 0)
                assert_same_session(a, b);
        session_free(a);
        session_free(b);
        return ra >= 0;
}

static void
check_file(const char *path, size_t *n_files)
{
        size_t len;
        _cleanup_free_ char *buf = read_file(path, &len);
        struct session *s = NULL, *f = NULL;
        char err[512];

        /* the usual shape is read in place, not handed to cJSON */
        assert_int_equal(session_load_plain(buf, len, false, &s), 0);
        session_free(s);
        assert_true(load_both_ways(buf, len));
        /* and through the file mapping */
        session_load_set_plain(true);
        assert_int_equal(session_load(path, &s, err, sizeof(err)), 0);
        session_load_set_plain(false);
        assert_int_equal(session_load(path, &f, err, sizeof(err)), 0);
        session_load_set_plain(true);
        assert_same_session(s, f);
        session_free(s);
        session_free(f);
        ++*n_files;
}

/* The in-place loader against the cJSON one: the conformance sessions (and the shared ones
 * when present), then odd shapes and escapes each path must read the same or refuse alike. */
static void
test_plain_loader_agrees(void **state)
{
        static const char *const odd[] = {
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": null, \"frame_records\": "
                "[[[\"a\\u0000b\\u0000\\u00e9\\u20ac\\udc80\\n\", \"c\\u0000\\\\u0000\"], 0.001], "
                "[[], 1e-3], [[\"a\\u0000b\\u0000\\u00e9\\u20ac\\udc80\\n\"], -0.0]]}",
                /* a surrogate pair, a lone surrogate, \udcc0 */
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": "
                "[[[\"\\ud83d\\ude00\"], 0.001]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": "
                "[[[\"\\ud83d\"], 0.001]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": "
                "[[[\"\\udcc0\\udc80\"], 0.001]]}",
                /* extra items, repeated keys, keys after the records, program instead of
                 * target_description, other whitespace */
                "{\"frame_records\": [[[\"a\"], 0.5, 7]], \"start_time\": 1, \"start_time\": 2, "
                "\"duration\": 2, \"sample_count\": 1e30, \"start_call_stack\": [\"a\"], "
                "\"program\": \"p\", \"cpu_time\": 0}",
                "\n{ \"start_time\" :1,\t\"duration\":2 "
                ",\"sample_count\":3,\"start_call_stack\":[],"
                "\"target_description\":\"\",\"cpu_time\":0,\"sys_path\":[\"/a\\u0000\"],"
                "\"frame_records\":[ [ [ \"a\" , \"b\" ] , 1 ] , [[\"a\",\"c\"],2.5E+2] ]\r\n}\n",
                /* bad: numbers, truncation, trailing data, duplicate records, missing keys */
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], "
                "01]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], "
                "NaN]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], "
                "1]]} x",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], "
                "1]], "
                "\"frame_records\": []}",
                "{\"start_time\": 1, \"sample_count\": 1, \"start_call_stack\": [], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], "
                "1]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\", 3], "
                "1]]}",
                "{\"start_time\": 1, \"duration\": 2, \"sample_count\": 1, \"start_call_stack\": "
                "[], "
                "\"target_description\": \"x\", \"cpu_time\": 0, \"frame_records\": [[[\"a\"], 1],",
                "",
                "{}",
        };
        static const char *const dirs[] = { CONFORMANCE_DIR, "/work/shared/conformance" };
        size_t n_files = 0, loaded = 0;

        (void)state;
        for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
                char pattern[1024];
                glob_t g;

                snprintf(pattern, sizeof(pattern), "%s/*/*.pyisession", dirs[d]);
                if (glob(pattern, 0, NULL, &g) != 0)
                        continue;
                for (size_t i = 0; i < g.gl_pathc; i++)
                        check_file(g.gl_pathv[i], &n_files);
                globfree(&g);
        }
        assert_true(n_files >= 5);
        for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
                size_t len = strlen(odd[i]);
                loaded += load_both_ways(odd[i], len);
                /* every truncation of every one */
                for (size_t n = 0; n < len; n++)
                        load_both_ways(odd[i], n);
        }
        assert_true(loaded >= 4);

        /* a small real file with bytes changed, cut and repeated: both paths alike */
        {
                char path[1024];
                size_t len;
                uint64_t rng = 0x2545f4914f6cdd1dULL;

                snprintf(path, sizeof(path), "%s/handmade/session.pyisession", CONFORMANCE_DIR);
                _cleanup_free_ char *orig = read_file(path, &len);
                _cleanup_free_ char *buf = malloc(len * 2 + 16);
                static const char bytes[] =
                        "\"\\[]{},:0123456789.eE-+u nulltrue\x01\x00\xc0\x80\xff";
                for (int round = 0; round < 3000; round++) {
                        size_t n = len;
                        memcpy(buf, orig, len);
                        for (int k = 0; k < 1 + round % 4 && n > 0; k++) {
                                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                                size_t at = rng % n;
                                switch ((rng >> 32) % 3) {
                                case 0:
                                        buf[at] = bytes[(rng >> 40) % (sizeof(bytes) - 1)];
                                        break;
                                case 1:
                                        n = at;
                                        break;
                                default: {
                                        size_t m = (rng >> 40) % 64;
                                        if (at + m > n)
                                                m = n - at;
                                        memmove(buf + at + m, buf + at, n - at);
                                        n += m;
                                        break;
                                }
                                }
                        }
                        load_both_ways(buf, n);
                }
        }
        printf("%zu session files and %zu odd texts (and their truncations) load alike\n", n_files,
               ARRAY_SIZE(odd));
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_save_pyinstrument_files),
                cmocka_unit_test(test_save_merges_runs),
                cmocka_unit_test(test_plain_loader_agrees),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_truncated_real_file),
                cmocka_unit_test(test_float_repr),
                cmocka_unit_test(test_string_escapes),
                cmocka_unit_test(test_combine),
                cmocka_unit_test(test_deep_stacks),
                cmocka_unit_test(test_threads),
                cmocka_unit_test(test_group_threads),
                cmocka_unit_test(test_collapsed_empty_stack),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

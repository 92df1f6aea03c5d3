/* Time the report side on a session built in memory, as the sampler builds it: N samples
 * (default 1,000,000) over 2,000 call paths 15-30 frames deep that share prefixes, the leaf's
 * current line varying, two threads. A program stays a while where it is: the path changes on
 * one sample in @SWITCH (default 20; 1 is the worst case, a new path every sample, which makes
 * pyinstrument's timeline tree as large as it gets). Prints the seconds spent building the
 * session and rendering each format, wall clock and CPU. Not a test: run it by hand, one format per process to
 * see each one's peak memory:
 *
 *     bench-render N [FORMATS [OUT [SWITCH]]]
 *     bench-render --load FILE [FORMATS [OUT]]
 *
 * FORMATS is a comma-separated list of renderer names, text-t for text --timeline, or "all"
 * (the default); each report goes to OUT (default /tmp/bench-render.out, replaced every
 * time). With --load the session is a .pyisession file (its load timed) instead. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "renderers/renderers.h"
#include "session-frame.h"

static double
now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user + system seconds of this process: the machines these run on are shared */
static double
cpu(void)
{
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static struct session *
build(long n, long every)
{
        enum { PATHS = 2000 };
        static uint32_t path_stack[PATHS];
        struct session *s = session_new();

        srandom(42);
        session_set_times(s, 1700000000.0, (double)n * 0.001, (double)n * 0.0008);
        session_set_target_description(s, "Program: bench.py");
        session_add_sys_path(s, "/app");
        session_add_sys_path(s, "/usr/lib/python3.12");
        session_add_sys_prefix(s, "/usr");
        uint32_t threads[2] = { frame(s, "MainThread|<thread>|140000"),
                                frame(s, "Worker-1|<thread>|140001") };
        for (int p = 0; p < PATHS; p++) {
                int depth = 15 + (int)(random() % 16);
                uint32_t st = session_stack(s, SESSION_NO_STACK, threads[p % 5 == 0]);
                for (int d = 0; d < depth; d++) {
                        /* low indexes likelier: shared prefixes as in a real call graph */
                        int i = d * 3 + (int)(random() % 4);
                        if (d < 10 || random() % 5 == 0)
                                st = session_stack(s, st,
                                                   frame(s, "f%d|/app/mod%d.py|%d^l%d", i % 80,
                                                         i % 9, 10 * i, d + 1));
                        else
                                st = session_stack(
                                        s, st,
                                        frame(s, "g%d|/usr/lib/python3.12/lib%d/mod.py|%d^l%d",
                                              i % 120, i % 7, i, d + 1));
                }
                path_stack[p] = st;
        }
        long p = 0;
        for (long i = 0; i < n; i++) {
                /* a skewed choice of path, and the leaf's line varies */
                if (every <= 1 || random() % every == 0)
                        p = (random() % PATHS) * (random() % PATHS) / PATHS;
                uint32_t st = path_stack[p];
                st = session_stack(s, st, frame(s, "leaf|/app/leaf.py|1^l%ld", random() % 60));
                session_add_sample(s, st, 0.001);
        }
        return s;
}

int
main(int argc, char **argv)
{
        static const char *const all = "text,json,speedscope,pstats,pyisession,collapsed,text-t";
        bool load = argc > 2 && strcmp(argv[1], "--load") == 0;
        int a = load ? 3 : 2;
        const char *formats = argc > a && strcmp(argv[a], "all") != 0 ? argv[a] : all;
        const char *outfile = argc > a + 1 ? argv[a + 1] : "/tmp/bench-render.out";
        struct render_opts o = { .text.unicode = true, .processor.filter_threshold = 0.01 };
        struct session *s = NULL;
        double t0 = now(), c0 = cpu();

        if (load) {
                char err[512];
                if (session_load(argv[2], &s, err, sizeof(err)) < 0) {
                        fprintf(stderr, "%s\n", err);
                        return 1;
                }
                printf("session of %zu samples loaded from %s: %.2f s  cpu %.2f s\n",
                       session_sample_count(s), argv[2], now() - t0, cpu() - c0);
        } else {
                long n = argc > 1 ? atol(argv[1]) : 1000000;
                long every = argc > 4 ? atol(argv[4]) : 20;
                s = build(n, every);
                printf("session of %ld samples (new path every %ld) built in memory: %.2f s\n", n,
                       every, now() - t0);
        }
        fflush(stdout);

        _cleanup_free_ char *list = strdup(formats);
        for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
             name = strtok_r(NULL, ",", &save)) {
                bool timeline = strcmp(name, "text-t") == 0;
                const struct renderer *r = renderer_find(timeline ? "text" : name);
                FILE *out;

                if (!r) {
                        fprintf(stderr, "no renderer %s\n", name);
                        return 1;
                }
                /* a plain file: the renderers write through stdio either way */
                out = fopen(outfile, "we");
                if (!out) {
                        perror(outfile);
                        return 1;
                }
                o.timeline = timeline;
                t0 = now();
                c0 = cpu();
                r->render(s, &o, out);
                fclose(out);
                printf("%-10s %.2f s  cpu %.2f s\n", timeline ? "text -t" : name, now() - t0,
                       cpu() - c0);
                fflush(stdout);
        }
        session_free(s);
        return 0;
}

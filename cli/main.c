/* pyinstr's command line: record, attach, dump, and pyinstrument's own forms (script, -m, -c,
 * --load). The only place that prints errors: library calls return -errno and this file turns
 * each into one line that says what is wrong and what to do, with a documented exit code. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "record/record.h"
#include "report.h"

/* Exit codes (README: "Exit status"). record passes the program's own status on. */
enum {
        EXIT_USAGE = 2,
        EXIT_NOT_PYTHON = 3,
        EXIT_UNSUPPORTED = 4,
        EXIT_PERMISSION = 5,
        EXIT_NO_PROCESS = 6,
        EXIT_BAD_SESSION = 7,
        EXIT_NOT_FOUND = 127,
};

enum command {
        CMD_NONE,
        CMD_RECORD,
        CMD_ATTACH,
        CMD_DUMP,
        CMD_SCRIPT,
        CMD_MODULE,
        CMD_CODE,
        CMD_LOAD,
        CMD_LOAD_PREV
};

struct cli {
        enum command cmd;
        double interval, duration, start_timeout;
        bool blocking, quiet, include_startup;
        pid_t pid;
        const char *python;
        const char *load; /* --load FILE / --load-prev ID */
        char **argv;      /* the program and its arguments */
        int argc;
        struct report_opts report;
};

static double start_mono; /* when pyinstr started, for the attach latency */
static volatile int stop_flag;
static volatile pid_t child_pid;
static volatile int interrupts;

static void error(const char *fmt, ...) _printf_(1, 2);

static void
error(const char *fmt, ...)
{
        va_list ap;

        fputs("pyinstr: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void
usage(FILE *f)
{
        fputs("usage: pyinstr record [options] -- COMMAND [ARGS...]\n"
              "       pyinstr attach --pid PID [-d SECONDS] [options]\n"
              "       pyinstr dump --pid PID\n"
              "       pyinstr [options] scriptfile [ARGS...]   (also -m MODULE, -c CODE)\n"
              "       pyinstr --load FILE | --load-prev ID [options]\n"
              "\n"
              "Sampling:\n"
              "  -i, --interval SECONDS   time between samples (default 0.001)\n"
              "  -d, --duration SECONDS   stop after this long (attach; record stops the report)\n"
              "      --blocking           stop the Python threads for each sample (exact stacks)\n"
              "      --include-startup    record: keep the interpreter's start-up and shutdown\n"
              "                           (the report starts at the program's first line)\n"
              "      --pid PID            the process to attach to or dump\n"
              "      --python PATH        interpreter for scriptfile/-m/-c (default python3)\n"
              "      --start-timeout SECS how long record waits for Python to start (default 10)\n"
              "  -q, --quiet              no summary line on stderr\n"
              "Report:\n"
              "  -r, --renderer NAME      text, json, speedscope, pstats, pyisession, collapsed,\n"
              "                           html, gecko\n"
              "  -o, --outfile PATH       write the report there (renderer guessed from the "
              "extension)\n"
              "  -p, --render-option K=V  renderer option (pyinstrument's -p)\n"
              "  -t, --timeline, --hide, --hide-regex, --show, --show-regex, --show-all,\n"
              "  --unicode/--no-unicode, --color/--no-color, --target-description TEXT\n"
              "      --thread NAME|ID     report only this thread; --main-thread: the main one\n"
              "      --split-threads      a root per thread (by default threads of one role, such\n"
              "                           as a server's request threads, are one root)\n"
              "  -h, --help, --version\n",
              f);
}

static int
parse_double(const char *opt, const char *s, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || v < 0 || v != v) {
                error("%s expects a number of seconds, got '%s'", opt, s);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* Option value: "--opt=VALUE" or the next argument. */
static const char *
take_value(int argc, char **argv, int *i, const char *name)
{
        const char *a = argv[*i];
        size_t n = strlen(name);

        if (!strncmp(a, name, n) && a[n] == '=') {
                (*i)++;
                return a + n + 1;
        }
        if (*i + 1 >= argc) {
                error("%s needs a value; see pyinstr --help", name);
                return NULL;
        }
        *i += 2;
        return argv[*i - 1];
}

static bool
is_opt(const char *a, const char *name)
{
        size_t n = strlen(name);
        return !strncmp(a, name, n) && (a[n] == '\0' || a[n] == '=');
}

static int
parse_args(int argc, char **argv, struct cli *c)
{
        char err[512];
        int i = 1;

        c->interval = 0.001;
        c->start_timeout = 10;
        c->python = "python3";
        c->report.unicode = c->report.color = -1;
        if (argc > 1 && !strcmp(argv[1], "record")) {
                c->cmd = CMD_RECORD;
                i = 2;
        } else if (argc > 1 && !strcmp(argv[1], "attach")) {
                c->cmd = CMD_ATTACH;
                i = 2;
        } else if (argc > 1 && !strcmp(argv[1], "dump")) {
                c->cmd = CMD_DUMP;
                i = 2;
        }

        while (i < argc) {
                const char *a = argv[i], *v;
                int r;

                if (!strcmp(a, "--")) {
                        i++;
                        break;
                }
                if (a[0] != '-' || !a[1])
                        break;
                if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        exit(0);
                }
                if (!strcmp(a, "--version")) {
                        printf("pyinstr %s\n", PYINSTR_VERSION);
                        exit(0);
                }
                r = report_parse_option(&c->report, argc, argv, &i, err, sizeof(err));
                if (r < 0) {
                        error("%s", err);
                        return -EINVAL;
                }
                if (r > 0)
                        continue;
                if (is_opt(a, "-i") || is_opt(a, "--interval")) {
                        if (!(v = take_value(argc, argv, &i, a[1] == '-' ? "--interval" : "-i")) ||
                            parse_double("--interval", v, &c->interval) < 0)
                                return -EINVAL;
                } else if (is_opt(a, "-d") || is_opt(a, "--duration")) {
                        if (!(v = take_value(argc, argv, &i, a[1] == '-' ? "--duration" : "-d")) ||
                            parse_double("--duration", v, &c->duration) < 0)
                                return -EINVAL;
                } else if (is_opt(a, "--start-timeout")) {
                        if (!(v = take_value(argc, argv, &i, "--start-timeout")) ||
                            parse_double("--start-timeout", v, &c->start_timeout) < 0)
                                return -EINVAL;
                } else if (is_opt(a, "--pid")) {
                        char *end;
                        if (!(v = take_value(argc, argv, &i, "--pid")))
                                return -EINVAL;
                        long p = strtol(v, &end, 10);
                        if (*end || end == v || p <= 0 || p > INT_MAX) {
                                error("--pid expects a process id, got '%s'", v);
                                return -EINVAL;
                        }
                        c->pid = (pid_t)p;
                } else if (is_opt(a, "--python")) {
                        if (!(c->python = take_value(argc, argv, &i, "--python")))
                                return -EINVAL;
                } else if (!strcmp(a, "--blocking")) {
                        c->blocking = true;
                        i++;
                } else if (!strcmp(a, "--include-startup")) {
                        c->include_startup = true;
                        i++;
                } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
                        c->quiet = true;
                        i++;
                } else if (is_opt(a, "--load") || is_opt(a, "--load-prev")) {
                        bool prev = is_opt(a, "--load-prev");
                        if (c->cmd != CMD_NONE && c->cmd != CMD_LOAD && c->cmd != CMD_LOAD_PREV) {
                                error("--load cannot be combined with record, attach or dump");
                                return -EINVAL;
                        }
                        if (c->load) {
                                error("You can only specify one of --load, --load-prev, -m, or "
                                      "script arguments");
                                return -EINVAL;
                        }
                        if (!(c->load =
                                      take_value(argc, argv, &i, prev ? "--load-prev" : "--load")))
                                return -EINVAL;
                        c->cmd = prev ? CMD_LOAD_PREV : CMD_LOAD;
                } else if ((!strcmp(a, "-m") || !strcmp(a, "-c")) && c->cmd == CMD_NONE) {
                        if (i + 1 >= argc) {
                                error("%s needs a value; see pyinstr --help", a);
                                return -EINVAL;
                        }
                        c->cmd = a[1] == 'm' ? CMD_MODULE : CMD_CODE;
                        c->argv = argv + i + 1;
                        c->argc = argc - i - 1;
                        return 0;
                } else {
                        error("unknown option '%s'; see pyinstr --help", a);
                        return -EINVAL;
                }
        }
        c->argv = argv + i;
        c->argc = argc - i;

        switch (c->cmd) {
        case CMD_NONE:
                if (!c->argc) {
                        usage(stderr);
                        return -EINVAL;
                }
                c->cmd = CMD_SCRIPT;
                break;
        case CMD_RECORD:
                if (!c->argc) {
                        error("record needs a command: pyinstr record [options] -- python3 app.py");
                        return -EINVAL;
                }
                break;
        case CMD_ATTACH:
        case CMD_DUMP:
                if (!c->pid) {
                        error("%s needs --pid PID", c->cmd == CMD_ATTACH ? "attach" : "dump");
                        return -EINVAL;
                }
                if (c->argc) {
                        error("unexpected argument '%s'", c->argv[0]);
                        return -EINVAL;
                }
                break;
        case CMD_LOAD:
        case CMD_LOAD_PREV:
                if (c->argc) {
                        error("You can only specify one of --load, --load-prev, -m, or script "
                              "arguments");
                        return -EINVAL;
                }
                break;
        default:
                break;
        }
        if (c->pid && c->cmd != CMD_ATTACH && c->cmd != CMD_DUMP) {
                error("--pid goes with attach or dump");
                return -EINVAL;
        }
        return 0;
}

static char *
join_args(char *const *argv, int argc)
{
        size_t n = 1;
        for (int i = 0; i < argc; i++)
                n += strlen(argv[i]) + 1;
        char *s = xcalloc(1, n);
        for (int i = 0; i < argc; i++) {
                if (i)
                        strcat(s, " ");
                strcat(s, argv[i]);
        }
        return s;
}

/* ---- errors --------------------------------------------------------------------------------- */

static int
attach_error(int r, pid_t pid, struct target *t)
{
        char ver[32];

        switch (r) {
        case -ESRCH:
                error("no process with pid %d: check the pid (ps aux | grep python)", (int)pid);
                return EXIT_NO_PROCESS;
        case -EPERM:
                error("permission denied reading process %d: run pyinstr as the same user or as "
                      "root, allow ptrace (sysctl kernel.yama.ptrace_scope=0, or CAP_SYS_PTRACE; "
                      "in a container: --cap-add SYS_PTRACE)",
                      (int)pid);
                return EXIT_PERMISSION;
        case -ENOTSUP:
                if (t && target_free_threaded(t))
                        error("process %d runs a free-threaded (no-GIL) Python %s, which pyinstr "
                              "does not support yet; profile a standard build",
                              (int)pid, symbols_version_str(target_version(t), ver));
                else if (t && target_version(t))
                        error("Python %s is not supported; pyinstr supports 3.8–3.15",
                              symbols_version_str(target_version(t), ver));
                else
                        error("process %d runs a Python whose version pyinstr cannot determine; "
                              "pyinstr supports 3.8–3.15",
                              (int)pid);
                return EXIT_UNSUPPORTED;
        case -ENOENT:
                error("process %d is not a Python process (no Python interpreter found in its "
                      "executable or libraries); give the pid of a python process",
                      (int)pid);
                return EXIT_NOT_PYTHON;
        case -EAGAIN:
        case -ETIMEDOUT:
                error("process %d has not initialised its Python interpreter yet; try again",
                      (int)pid);
                return EXIT_NOT_PYTHON;
        default:
                error("cannot read process %d: %s", (int)pid, strerror(-r));
                return 1;
        }
}

/* ---- signals -------------------------------------------------------------------------------- */

static void
on_signal(int sig, siginfo_t *si, void *ctx)
{
        (void)ctx;
        if (child_pid > 0) {
                /* record: Ctrl-C in a terminal reaches the whole foreground group, the program
                 * included (si_pid 0, from the kernel). A signal sent to pyinstr alone (kill)
                 * is passed on. A second interrupt stops sampling at once. */
                if (sig != SIGINT || si->si_pid != 0)
                        (void)kill(child_pid, sig);
                if (sig == SIGINT && ++interrupts >= 2)
                        stop_flag = 1;
                return;
        }
        stop_flag = 1;
}

static void
install_signals(void)
{
        struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

/* ---- commands ------------------------------------------------------------------------------- */

static void
print_summary(const struct cli *c,
              const struct sampler_result *res,
              struct target *t,
              size_t threads)
{
        char ver[32];
        double rate = res->elapsed > 0 ? (double)res->rounds / res->elapsed : 0;
        uint64_t total = res->samples + res->dropped;
        struct rusage ru;
        double cpu = 0;

        if (c->quiet)
                return;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
                cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
        fprintf(stderr,
                "pyinstr: %llu samples, %llu dropped (%.2f%%), %zu thread%s, %.2f s at %.0f Hz "
                "(%llu late); Python %s, pid %d\n",
                (unsigned long long)res->samples, (unsigned long long)res->dropped,
                total ? 100.0 * (double)res->dropped / (double)total : 0.0, threads,
                threads == 1 ? "" : "s", res->elapsed, rate, (unsigned long long)res->late,
                symbols_version_str(target_version(t), ver), (int)target_pid(t));
        /* the profiler's own cost, for the benchmarks (bench/run.py reads this line) */
        fprintf(stderr,
                "pyinstr: own CPU %.3f s (%.2f us per round), first sample %.2f ms after start\n",
                cpu, res->rounds ? cpu * 1e6 / (double)res->rounds : 0.0,
                res->first_sample ? (res->first_sample - start_mono) * 1e3 : 0.0);
        /* what the walker rejected and why (bench/servers.py reads this line) */
        const char *causes = getenv("PYINSTR_DROP_CAUSES");
        if (causes && *causes && strcmp(causes, "0") != 0) {
                const struct walk_stats *ws = target_walk_stats(t);
                fprintf(stderr,
                        "pyinstr: thread walks %llu, cut %llu (repaired %llu), returned frames "
                        "revived %llu, read afresh %llu, returned calls put back %llu; torn at "
                        "first "
                        "read / dropped by cause:",
                        (unsigned long long)ws->threads, (unsigned long long)ws->cut,
                        (unsigned long long)ws->repaired, (unsigned long long)ws->popped,
                        (unsigned long long)ws->rereads, (unsigned long long)ws->restored);
                bool any = false;
                for (int i = 0; i < TORN_N; i++) {
                        if (!ws->torn_first[i] && !ws->torn_dropped[i])
                                continue;
                        fprintf(stderr, "%s %s %llu/%llu", any ? ";" : "",
                                walk_torn_name((enum walk_torn)i),
                                (unsigned long long)ws->torn_first[i],
                                (unsigned long long)ws->torn_dropped[i]);
                        any = true;
                }
                fprintf(stderr, "%s\n", any ? "" : " none");
        }
}

static int
write_report(struct cli *c, struct session *s)
{
        char err[512];
        int r = report_write(s, &c->report, err, sizeof(err));

        if (r < 0) {
                error("%s", err);
                return 1;
        }
        return 0;
}

static int
exit_status_of(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 1;
}

static int
profile(struct cli *c, struct target *t, pid_t child, const char *description)
{
        _cleanup_(session_freep) struct session *s = NULL;
        struct record_opts ro = {
                .interval = c->interval,
                .duration = c->duration,
                .blocking = c->blocking,
                .include_startup = c->include_startup,
                .child = child,
                .stop = &stop_flag,
                .description = description,
                .start_timeout = c->start_timeout,
        };
        struct record_result res;
        int r, status = 0;

        r = record_run(t, &ro, &s, &res);
        if (r < 0)
                return attach_error(r, target_pid(t), t);
        print_summary(c, &res.sampler, t, res.threads);
        if (res.execs && !c->quiet && !res.exec_lost)
                fprintf(stderr,
                        "pyinstr: process %d replaced its program (execve); followed "
                        "into the new one\n",
                        (int)target_pid(t));
        if (res.exec_lost && !c->quiet)
                fprintf(stderr,
                        "pyinstr: process %d replaced its program (execve) with one that "
                        "is not Python (or not yet running Python); sampling stopped "
                        "there, reporting what was gathered\n",
                        (int)target_pid(t));
        else if (res.sampler.end == SAMPLER_END_EXITED && !child && !c->quiet)
                fprintf(stderr, "pyinstr: process %d exited; reporting what was gathered\n",
                        (int)target_pid(t));
        r = write_report(c, s);
        if (child > 0)
                status = exit_status_of(res.child_status);
        return r ? r : status;
}

static int
cmd_run(struct cli *c, char **argv, const char *description)
{
        _cleanup_(target_freep) struct target *t = NULL;
        pid_t pid;
        struct launch_exit ex = { 0 };
        int r;

        r = launch_spawn(argv, &pid);
        if (r < 0) {
                if (r == -ENOENT)
                        error("command not found: %s; check the name or give a full path", argv[0]);
                else
                        error("cannot run %s: %s", argv[0], strerror(-r));
                return r == -ENOENT ? EXIT_NOT_FOUND : 1;
        }
        child_pid = pid;
        r = launch_wait_python(pid, c->start_timeout, true, &ex, &t);
        /* over before its interpreter was seen (a loaded machine can miss the few
         * milliseconds a short program lives): what it ran says whether it was Python */
        if (r == -ECHILD && launch_is_python(argv, ex.comm))
                r = -ECANCELED;
        if (r == -ECANCELED) {
                /* Python, over before its first sample: pyinstrument's empty profile, and the
                 * program's own status */
                struct record_opts ro = { .interval = c->interval, .description = description };
                _cleanup_(session_freep) struct session *s = record_empty(&ro);

                if (!c->quiet)
                        fprintf(stderr, "pyinstr: %s exited (status %d) before its first sample\n",
                                argv[0], exit_status_of(ex.status));
                r = write_report(c, s);
                return r ? r : exit_status_of(ex.status);
        }
        if (r == -ECHILD) {
                error("%s exited (status %d) before a Python interpreter started in it; record "
                      "profiles Python programs: pyinstr record -- python3 app.py",
                      argv[0], exit_status_of(ex.status));
                return EXIT_NOT_PYTHON;
        }
        if (r < 0) {
                int code;
                if (r == -ENOENT || r == -ETIMEDOUT) {
                        error("%s did not start a Python interpreter within %.0f s (see "
                              "--start-timeout); record profiles Python programs: pyinstr "
                              "record -- python3 app.py",
                              argv[0], c->start_timeout);
                        code = EXIT_NOT_PYTHON;
                } else {
                        code = attach_error(r, pid, t);
                }
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                return code;
        }
        return profile(c, t, pid, description);
}

static int
cmd_attach(struct cli *c)
{
        _cleanup_(target_freep) struct target *t = NULL;
        _cleanup_free_ char *desc = NULL;
        int r;

        r = target_open(c->pid, &t);
        if (r == -EAGAIN)
                r = launch_wait_python(c->pid, 2.0, false, NULL, &t);
        if (r < 0)
                return attach_error(r, c->pid, t);
        if (c->report.target_description) {
                _cleanup_free_ char *args = record_process_args(c->pid);
                char err[512];
                if (report_target_description(&c->report, args, &desc, err, sizeof(err)) < 0) {
                        error("%s", err);
                        return EXIT_USAGE;
                }
        } else {
                desc = record_process_description(c->pid);
        }
        return profile(c, t, 0, desc);
}

static int
cmd_dump(struct cli *c)
{
        _cleanup_(target_freep) struct target *t = NULL;
        _cleanup_(snapshot_freep) struct snapshot *snap = NULL;
        char ver[32];
        int r;

        r = target_open(c->pid, &t);
        if (r < 0)
                return attach_error(r, c->pid, t);
        r = record_snapshot(t, c->blocking, &snap);
        if (r < 0 && r != -EAGAIN)
                return attach_error(r, c->pid, t);
        printf("Process %d: Python %s\n", (int)c->pid, symbols_version_str(target_version(t), ver));
        for (size_t i = 0; i < snapshot_thread_count(snap); i++) {
                const struct thread_stack *st = snapshot_thread(snap, i);
                char name[256];
                bool named = record_thread_name(t, st, name, sizeof(name)) != -ENOENT;

                printf("\nThread %d%s%s%s (ident %#llx)\n", (int)st->tid, named ? " \"" : "",
                       named ? name : "", named ? "\"" : "", (unsigned long long)st->ident);
                /* innermost last, like a traceback */
                for (uint32_t j = 0; j < st->depth; j++) {
                        struct frame_parts f;
                        target_frame_parts(t, st->frames[j], &f);
                        printf("  File \"%s\", line %d, in %s%s%s\n", f.file,
                               f.line ? f.line : f.first_line, f.class_name ? f.class_name : "",
                               f.class_name ? "." : "", f.function);
                }
        }
        if (r < 0)
                fprintf(stderr, "pyinstr: the stacks changed during every attempt; this dump may "
                                "be incomplete (try --blocking)\n");
        return 0;
}

/* The session file is mapped while it is read (tree/session-json.c): if another process cuts
 * it short meanwhile, touching the lost pages raises SIGBUS. That is a file changed under us,
 * not a crash: say so and exit as for any truncated session. */
static const char *loading_path;

static void
on_sigbus(int sig)
{
        static const char a[] = "pyinstr: ", b[] = " was cut short while it was being read; "
                                                   "load it again once it is complete\n";
        (void)sig;
        (void)!write(STDERR_FILENO, a, sizeof(a) - 1);
        (void)!write(STDERR_FILENO, loading_path, strlen(loading_path));
        (void)!write(STDERR_FILENO, b, sizeof(b) - 1);
        _exit(EXIT_BAD_SESSION);
}

static int
cmd_load(struct cli *c)
{
        _cleanup_(session_freep) struct session *s = NULL;
        char err[512];
        int r;

        struct sigaction sa = { .sa_handler = on_sigbus }, old;

        loading_path = c->load;
        sigaction(SIGBUS, &sa, &old);
        if (c->cmd == CMD_LOAD_PREV)
                r = report_load_prev(c->load, &s, err, sizeof(err));
        else
                r = session_load(c->load, &s, err, sizeof(err));
        sigaction(SIGBUS, &old, NULL);
        if (r < 0) {
                error("%s", err);
                /* pyinstrument: a missing --load-prev id exits 1 */
                return r == -ENOENT && c->cmd == CMD_LOAD_PREV ? 1 : EXIT_BAD_SESSION;
        }
        return write_report(c, s);
}

/* What parse_args() allocated: the -p list (the strings are argv's). */
static void
cli_release(struct cli *c)
{
        free(c->report.render_options);
}

int
main(int argc, char **argv)
{
        _cleanup_(cli_release) struct cli c = { 0 };
        char err[512];
        struct timespec ts;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        start_mono = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;

        if (parse_args(argc, argv, &c) < 0)
                return EXIT_USAGE;
        if (c.cmd != CMD_DUMP && report_check(&c.report, err, sizeof(err)) < 0) {
                error("%s", err);
                return EXIT_USAGE;
        }
        install_signals();

        switch (c.cmd) {
        case CMD_RECORD: {
                _cleanup_free_ char *args = join_args(c.argv, c.argc);
                _cleanup_free_ char *desc = NULL;
                if (report_target_description(&c.report, args, &desc, err, sizeof(err)) < 0) {
                        error("%s", err);
                        return EXIT_USAGE;
                }
                return cmd_run(&c, c.argv, desc);
        }
        case CMD_SCRIPT:
        case CMD_MODULE:
        case CMD_CODE: {
                struct stat sb;
                if (c.cmd == CMD_SCRIPT && stat(c.argv[0], &sb) < 0) {
                        fprintf(stderr, "Error: program %s not found!\n", c.argv[0]);
                        return 1;
                }
                static char dash_m[] = "-m", dash_c[] = "-c";
                _cleanup_free_ char *python = xstrdup(c.python);
                char **pargv = xcalloc((size_t)c.argc + 4, sizeof(char *));
                int n = 0;
                pargv[n++] = python;
                if (c.cmd == CMD_MODULE)
                        pargv[n++] = dash_m;
                else if (c.cmd == CMD_CODE)
                        pargv[n++] = dash_c;
                for (int i = 0; i < c.argc; i++)
                        pargv[n++] = c.argv[i];
                /* pyinstrument's {args}: the program's argv ("-c …" for -c) */
                _cleanup_free_ char *args = join_args(pargv + 1, n - 1);
                _cleanup_free_ char *desc = NULL;
                if (report_target_description(&c.report, args, &desc, err, sizeof(err)) < 0) {
                        error("%s", err);
                        free(pargv);
                        return EXIT_USAGE;
                }
                r = cmd_run(&c, pargv, desc);
                free(pargv);
                return r;
        }
        case CMD_ATTACH:
                return cmd_attach(&c);
        case CMD_DUMP:
                return cmd_dump(&c);
        case CMD_LOAD:
        case CMD_LOAD_PREV:
                return cmd_load(&c);
        case CMD_NONE:
                break;
        }
        return EXIT_USAGE;
}

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

#include "attach/attach.h"
#include "common/u64map.h"
#include "common/xalloc.h"
#include "report.h"
#include "tree/tree.h"

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
        bool blocking, quiet;
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

/* ---- from samples to the session ------------------------------------------------------------ */

struct thread_path {
        uint64_t key;
        uint32_t root; /* session stack id of the <thread> root */
        bool named;    /* root named for good (else retried: see collect()) */
        uint32_t samples, retry_at;
        uint32_t depth, cap;
        uint32_t *frames; /* target frame ids of the previous sample */
        uint32_t *stacks; /* their session stack ids */
};

struct collector {
        struct session *s;
        struct target *t;
        uint32_t *frame_map; /* target frame id → session frame id (UINT32_MAX unset) */
        size_t map_len;
        struct thread_path *threads;
        size_t n_threads, cap_threads;
        struct u64map thread_index; /* thread_stack_key() → index in threads */
};

static uint32_t
map_frame(struct collector *c, uint32_t id)
{
        if (id >= c->map_len) {
                size_t old = c->map_len, n = MAX((size_t)id + 1, old * 2);
                c->frame_map = xrealloc(c->frame_map, n * sizeof(*c->frame_map));
                memset(c->frame_map + old, 0xff, (n - old) * sizeof(*c->frame_map));
                c->map_len = n;
        }
        if (c->frame_map[id] == UINT32_MAX) {
                size_t len;
                const char *info = target_frame_info(c->t, id, &len);
                c->frame_map[id] = session_frame(c->s, info, len);
        }
        return c->frame_map[id];
}

/* A thread's name as pyinstrument shows it: MainThread, its threading.Thread name, the OS
 * name (3.14+ gives Thread names, cut to 15 bytes, to the OS), or Thread-<TID>. @return
 * whether that is the final name (not a fallback for a Thread not registered yet). */
static bool
thread_label(struct target *t, const struct thread_stack *st, char *buf, size_t len)
{
        if (st->is_main) {
                snprintf(buf, len, "MainThread");
                return true;
        }
        if (target_thread_name(t, st->ident, st->tid, buf, len) == 0)
                return true;
        if (proc_thread_name(target_pid(t), st->tid, buf, len) < 0)
                snprintf(buf, len, "Thread-%d", (int)st->tid);
        return false;
}

/* pyinstrument's thread root: name \0 "<thread>" \0 threading.get_ident() */
static uint32_t
thread_root(struct collector *c, const struct thread_stack *st, bool *ret_named)
{
        char tname[96], name[128];
        int n;

        *ret_named = thread_label(c->t, st, tname, sizeof(tname));
        n = snprintf(name, sizeof(name), "%s%c<thread>%c%llu", tname, 0, 0,
                     (unsigned long long)st->ident);
        return session_stack(c->s, SESSION_NO_STACK, session_frame(c->s, name, (size_t)n));
}

static struct thread_path *
thread_path(struct collector *c, const struct thread_stack *st)
{
        /* one path per OS thread; threads that get the same root (name and ident) share it */
        uint64_t key = thread_stack_key(st), pos;

        if (u64map_get(&c->thread_index, key, &pos))
                return &c->threads[pos];
        u64map_put(&c->thread_index, key, c->n_threads);
        xgrow(&c->threads, &c->cap_threads, c->n_threads + 1, sizeof(*c->threads));
        struct thread_path *p = &c->threads[c->n_threads++];
        memset(p, 0, sizeof(*p));
        p->key = key;
        p->root = thread_root(c, st, &p->named);
        p->retry_at = 1;
        return p;
}

static void
collect(const struct thread_stack *st, double weight, void *userdata)
{
        struct collector *c = userdata;
        struct thread_path *p = thread_path(c, st);
        uint32_t i = 0, parent;

        /* a Thread is entered in threading._active a moment after it starts running: one first
         * seen before that gets its name at a later sample (retried at the 2nd, 4th, ...
         * 1024th), and its samples from then on go under the named root */
        if (!p->named && ++p->samples > p->retry_at && p->retry_at <= 1024) {
                uint32_t root = thread_root(c, st, &p->named);

                p->retry_at *= 2;
                if (root != p->root) {
                        p->root = root;
                        p->depth = 0;
                }
        }

        if (st->depth > p->cap) {
                p->cap = st->depth * 2;
                p->frames = xrealloc(p->frames, p->cap * sizeof(*p->frames));
                p->stacks = xrealloc(p->stacks, p->cap * sizeof(*p->stacks));
        }
        /* consecutive samples of a thread share most of their stack: reuse the common prefix */
        while (i < st->depth && i < p->depth && p->frames[i] == st->frames[i])
                i++;
        parent = i ? p->stacks[i - 1] : p->root;
        for (; i < st->depth; i++) {
                p->frames[i] = st->frames[i];
                parent = p->stacks[i] = session_stack(c->s, parent, map_frame(c, st->frames[i]));
        }
        p->depth = st->depth;
        session_add_sample(c->s, parent, weight);
}

static void
collector_release(struct collector *c)
{
        for (size_t i = 0; i < c->n_threads; i++) {
                free(c->threads[i].frames);
                free(c->threads[i].stacks);
        }
        free(c->threads);
        u64map_release(&c->thread_index);
        free(c->frame_map);
}

/* ---- session metadata about the target ------------------------------------------------------ */

/* The target's view of a path: strip /proc/PID/root's target when it is not "/" (a chroot). */
static void
target_root(pid_t pid, char *buf, size_t len)
{
        char link[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/%d/root", (int)pid);
        n = readlink(link, buf, len - 1);
        if (n < 0 || (n == 1 && buf[0] == '/'))
                n = 0;
        buf[n] = '\0';
}

/* The folder of the script the interpreter runs: the first argument after the interpreter's
 * own options, when it names a .py file (relative to the target's @cwd). */
static int
script_folder(pid_t pid, const char *cwd, char *buf, size_t len)
{
        _cleanup_free_ char *args = NULL;
        size_t n;

        if (proc_cmdline(pid, &args, &n) < 0)
                return -ESRCH;
        for (const char *a = args + strlen(args) + 1; a < args + n; a += strlen(a) + 1) {
                if (!strcmp(a, "-m") || !strcmp(a, "-c"))
                        return -ENOENT;
                if (!strcmp(a, "-W") || !strcmp(a, "-X")) { /* options with a value */
                        a += strlen(a) + 1;
                        continue;
                }
                if (a[0] == '-')
                        continue;
                size_t l = strlen(a);
                if (l < 4 || strcmp(a + l - 3, ".py") != 0)
                        return -ENOENT;
                if (a[0] == '/')
                        snprintf(buf, len, "%s", a);
                else
                        snprintf(buf, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", a);
                char *slash = strrchr(buf, '/');
                if (slash == buf)
                        slash[1] = '\0';
                else if (slash)
                        *slash = '\0';
                return 0;
        }
        return -ENOENT;
}

/* sys.prefix and sys.path as the target would have them, so that library code is told apart
 * from application code as pyinstrument decides it inside the process: the interpreter's
 * prefix (from the file that holds it), a virtualenv's (VIRTUAL_ENV), and the target's cwd. */
static void
fill_environment(struct session *s, struct target *t)
{
        char root[PATH_MAX], prefix[PATH_MAX], buf[PATH_MAX + 64], ver[32];
        const char *bin = target_binary(t);
        pid_t pid = target_pid(t);
        size_t rl;
        uint32_t v = target_version(t);

        target_root(pid, root, sizeof(root));
        rl = strlen(root);
        if (rl && !strncmp(bin, root, rl))
                bin += rl;
        snprintf(prefix, sizeof(prefix), "%s", bin);
        char *cut = strstr(prefix, "/lib/libpython");
        if (!cut)
                cut = strstr(prefix, "/bin/");
        if (cut && cut != prefix)
                *cut = '\0';
        else
                snprintf(prefix, sizeof(prefix), "/usr");

        /* sys.path[0] is the script's folder (python3 path/app.py), else the cwd (-m, -c) */
        snprintf(buf, sizeof(buf), "/proc/%d/cwd", (int)pid);
        char cwd[PATH_MAX] = "/";
        ssize_t n = readlink(buf, cwd, sizeof(cwd) - 1);
        if (n > 0) {
                cwd[n] = '\0';
                if (rl && !strncmp(cwd, root, rl))
                        memmove(cwd, cwd + rl, strlen(cwd + rl) + 1);
                if (!cwd[0])
                        snprintf(cwd, sizeof(cwd), "/");
        }
        char script_dir[PATH_MAX];
        if (script_folder(pid, cwd, script_dir, sizeof(script_dir)) == 0)
                session_add_sys_path(s, script_dir);
        session_add_sys_path(s, cwd);
        snprintf(ver, sizeof(ver), "%u.%u", v >> 24, (v >> 16) & 0xff);
        snprintf(buf, sizeof(buf), "%s/lib/python%s", prefix, ver);
        session_add_sys_path(s, buf);
        snprintf(buf, sizeof(buf), "%s/lib/python%s/lib-dynload", prefix, ver);
        session_add_sys_path(s, buf);
        snprintf(buf, sizeof(buf), "%s/lib/python%s/site-packages", prefix, ver);
        session_add_sys_path(s, buf);

        /* a virtualenv: VIRTUAL_ENV in the target's environment */
        snprintf(buf, sizeof(buf), "/proc/%d/environ", (int)pid);
        FILE *f = fopen(buf, "re");
        char venv[PATH_MAX] = "";
        if (f) {
                char *line = NULL;
                size_t cap = 0;
                while (getdelim(&line, &cap, '\0', f) > 0)
                        if (!strncmp(line, "VIRTUAL_ENV=", 12))
                                snprintf(venv, sizeof(venv), "%s", line + 12);
                free(line);
                fclose(f);
        }
        if (*venv) {
                snprintf(buf, sizeof(buf), "%s/lib/python%s/site-packages", venv, ver);
                session_add_sys_path(s, buf);
                session_add_sys_prefix(s, venv);
        }
        /* [prefix, base_prefix, exec_prefix, base_exec_prefix], duplicates kept (spec §1.1) */
        for (int i = *venv ? 1 : 0; i < 4; i++)
                session_add_sys_prefix(s, prefix);
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

/* The command line of @pid with spaces between the arguments, for the description. */
static char *
cmdline_text(pid_t pid)
{
        char *args;
        size_t n;

        if (proc_cmdline(pid, &args, &n) < 0)
                return xstrdup("?");
        while (n > 0 && args[n - 1] == '\0')
                n--;
        for (size_t i = 0; i < n; i++)
                if (args[i] == '\0')
                        args[i] = ' ';
        args[n] = '\0';
        return args;
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
        _cleanup_(session_freep) struct session *s = session_new();
        struct collector col = { .s = s, .t = t };
        struct sampler_opts so = {
                .interval = c->interval,
                .duration = c->duration,
                .blocking = c->blocking,
                .child = child,
                .stop = &stop_flag,
        };
        struct sampler_result res;
        double cpu0 = 0, cpu1 = 0;
        int r, status = 0;

        (void)proc_cpu_time(target_pid(t), &cpu0);
        fill_environment(s, t);
        r = sampler_run(t, &so, collect, &col, &res);
        if (r < 0) {
                collector_release(&col);
                if (child > 0)
                        (void)kill(child, SIGKILL);
                return attach_error(r, target_pid(t), t);
        }
        if (child > 0 && !res.child_exited) {
                /* sampling stopped first (-d or a second Ctrl-C): the program keeps its own
                 * course; its status is still ours to pass on */
                res.child_exited = launch_reap(child, true, &res.child_status, &res.child_cpu);
        }
        if (child > 0) {
                /* the program's own CPU (what pyinstrument's process_time() delta counts), not
                 * that of whatever ran before it (a pyenv shim's helpers, say) */
                cpu1 = res.child_cpu >= 0 ? res.child_cpu : cpu0;
        } else if (proc_cpu_time(target_pid(t), &cpu1) < 0) {
                cpu1 = cpu0;
        }
        session_set_times(s, res.start_wall, res.elapsed, cpu1 - cpu0 > 0 ? cpu1 - cpu0 : 0);
        session_set_interval(s, c->interval, c->interval);
        session_set_target_description(s, description);
        print_summary(c, &res, t, col.n_threads);
        if (res.end == SAMPLER_END_EXITED && !child && !c->quiet)
                fprintf(stderr, "pyinstr: process %d exited; reporting what was gathered\n",
                        (int)target_pid(t));
        collector_release(&col);
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
        int r, st = 0;

        r = launch_spawn(argv, &pid);
        if (r < 0) {
                if (r == -ENOENT)
                        error("command not found: %s; check the name or give a full path", argv[0]);
                else
                        error("cannot run %s: %s", argv[0], strerror(-r));
                return r == -ENOENT ? EXIT_NOT_FOUND : 1;
        }
        child_pid = pid;
        r = launch_wait_python(pid, c->start_timeout, true, &st, &t);
        if (r == -ECANCELED) {
                /* Python, over before its first sample: pyinstrument's empty profile, and the
                 * program's own status */
                _cleanup_(session_freep) struct session *s = session_new();

                session_set_times(s, (double)time(NULL), 0, 0);
                session_set_interval(s, c->interval, c->interval);
                session_set_target_description(s, description);
                if (!c->quiet)
                        fprintf(stderr, "pyinstr: %s exited (status %d) before its first sample\n",
                                argv[0], exit_status_of(st));
                r = write_report(c, s);
                return r ? r : exit_status_of(st);
        }
        if (r == -ECHILD) {
                error("%s exited (status %d) before a Python interpreter started in it; record "
                      "profiles Python programs: pyinstr record -- python3 app.py",
                      argv[0], exit_status_of(st));
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
        _cleanup_free_ char *cmdline = NULL, *desc = NULL;
        int r;

        r = target_open(c->pid, &t);
        if (r == -EAGAIN)
                r = launch_wait_python(c->pid, 2.0, false, NULL, &t);
        if (r < 0)
                return attach_error(r, c->pid, t);
        cmdline = cmdline_text(c->pid);
        if (c->report.target_description) {
                char err[512];
                if (report_target_description(&c->report, cmdline, &desc, err, sizeof(err)) < 0) {
                        error("%s", err);
                        return EXIT_USAGE;
                }
        } else {
                desc = xmalloc(strlen(cmdline) + 64);
                sprintf(desc, "Process %d: %s", (int)c->pid, cmdline);
        }
        return profile(c, t, 0, desc);
}

/* dump: one walk, kept in memory so that a torn attempt prints nothing and is retried */
struct dumped {
        struct thread_stack st;
        uint32_t *frames;
};

struct dump_ctx {
        struct dumped *v;
        size_t n, cap;
};

static void
dump_collect(const struct thread_stack *st, void *userdata)
{
        struct dump_ctx *d = userdata;

        xgrow(&d->v, &d->cap, d->n + 1, sizeof(*d->v));
        d->v[d->n].st = *st;
        d->v[d->n].frames = xmemdup(st->frames, st->depth * sizeof(*st->frames) + 1);
        d->n++;
}

static void
dump_reset(struct dump_ctx *d)
{
        for (size_t i = 0; i < d->n; i++)
                free(d->v[i].frames);
        d->n = 0;
}

static int
cmd_dump(struct cli *c)
{
        _cleanup_(target_freep) struct target *t = NULL;
        struct dump_ctx d = { 0 };
        char ver[32];
        int r = 0;

        r = target_open(c->pid, &t);
        if (r < 0)
                return attach_error(r, c->pid, t);
        for (int attempt = 0; attempt < 50; attempt++) {
                uint64_t dropped = target_walk_stats(t)->dropped;
                dump_reset(&d);
                if (c->blocking && (r = target_freeze(t)) < 0) {
                        (void)target_thaw(t);
                        target_release_threads(t);
                        return attach_error(r, c->pid, t);
                }
                r = target_walk(t, dump_collect, &d);
                if (c->blocking)
                        (void)target_thaw(t);
                if (r == -ESRCH || r == -EPERM)
                        break;
                if (r >= 0 && target_walk_stats(t)->dropped == dropped)
                        break;
        }
        target_release_threads(t);
        if (r < 0 && r != -EAGAIN) {
                dump_reset(&d);
                free(d.v);
                return attach_error(r, c->pid, t);
        }
        printf("Process %d: Python %s\n", (int)c->pid, symbols_version_str(target_version(t), ver));
        for (size_t i = 0; i < d.n; i++) {
                const struct thread_stack *st = &d.v[i].st;
                char os_name[32];
                const char *tname =
                        st->is_main ? "MainThread"
                        : proc_thread_name(c->pid, st->tid, os_name, sizeof(os_name)) == 0 ? os_name
                                                                                           : NULL;
                printf("\nThread %d%s%s%s (ident %#llx)\n", (int)st->tid, tname ? " \"" : "",
                       tname ? tname : "", tname ? "\"" : "", (unsigned long long)st->ident);
                /* innermost last, like a traceback */
                for (uint32_t j = 0; j < st->depth; j++) {
                        struct frame_parts f;
                        target_frame_parts(t, d.v[i].frames[j], &f);
                        printf("  File \"%s\", line %d, in %s%s%s\n", f.file,
                               f.line ? f.line : f.first_line, f.class_name ? f.class_name : "",
                               f.class_name ? "." : "", f.function);
                }
        }
        if (r < 0)
                fprintf(stderr, "pyinstr: the stacks changed during every attempt; this dump may "
                                "be incomplete (try --blocking)\n");
        dump_reset(&d);
        free(d.v);
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

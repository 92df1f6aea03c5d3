/* pyinstrument's report covers the program it ran, from its first line to its last: not the
 * interpreter's start-up (site and .pth files, encodings, zipimport), nor its shutdown (atexit
 * functions, threading's wait for its threads), nor runpy's frames below a -m module; and with
 * one thread its root is the program's <module>, not the thread (Session._trim_stem() with the
 * start_call_stack of pyinstrument's own main()). A recording of the whole process is cut to
 * that, unless --include-startup asks for all of it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "internal.h"

enum entry { ENTRY_NONE, ENTRY_SCRIPT, ENTRY_MODULE, ENTRY_COMMAND };

struct program {
        enum entry entry;
        char script[PATH_MAX], script_abs[PATH_MAX * 2];
};

/* What python's command line @args (@n bytes, NUL-separated) runs: a script, -m a module, or
 * -c a command (Modules/main.c and Python/getopt.c: flags may be grouped, -c/-m/-W/-X take the
 * rest of their word or the next one). */
static enum entry
parse_cmdline(const char *args, size_t n, const char *cwd, struct program *ret)
{
        const char *end = args + n, *a = args + strlen(args) + 1; /* past argv[0] */

        for (; a < end; a += strlen(a) + 1) {
                if (!strcmp(a, "--")) {
                        a += strlen(a) + 1;
                        break;
                }
                if (a[0] != '-' || !a[1])
                        break; /* the script, or "-": stdin */
                if (a[1] == '-') {
                        if (!strcmp(a, "--check-hash-based-pycs"))
                                a += strlen(a) + 1;
                        else
                                return ENTRY_NONE; /* --help, --version, ... */
                        continue;
                }
                for (const char *f = a + 1; *f; f++) {
                        if (*f == 'c')
                                return ENTRY_COMMAND;
                        if (*f == 'm')
                                return ENTRY_MODULE;
                        if (*f == 'W' || *f == 'X') {
                                if (!f[1])
                                        a += strlen(a) + 1; /* its value is the next word */
                                break;
                        }
                }
                if (a >= end)
                        return ENTRY_NONE;
        }
        if (a >= end || !strcmp(a, "-"))
                return ENTRY_NONE;
        snprintf(ret->script, sizeof(ret->script), "%s", a);
        /* 3.9+ give __main__ the absolute path of the script (os.path.abspath), 3.8 the path
         * as given */
        if (a[0] == '/' || !cwd)
                snprintf(ret->script_abs, sizeof(ret->script_abs), "%s", a);
        else
                snprintf(ret->script_abs, sizeof(ret->script_abs), "%s/%s", cwd,
                         a[0] == '.' && a[1] == '/' ? a + 2 : a);
        return ENTRY_SCRIPT;
}

struct program *
record_program_of(pid_t pid)
{
        _cleanup_free_ char *args = NULL;
        char cwd[PATH_MAX];
        size_t n;

        if (proc_cmdline(pid, &args, &n) < 0 || !n)
                return NULL;
        struct program *p = xcalloc(1, sizeof(*p));
        p->entry = parse_cmdline(args, n, proc_cwd(pid, cwd, sizeof(cwd)) < 0 ? NULL : cwd, p);
        if (p->entry == ENTRY_NONE) {
                free(p);
                return NULL;
        }
        return p;
}

void
record_program_free(struct program *p)
{
        free(p);
}

/* ---- the cut ------------------------------------------------------------------------------ */

struct cut {
        struct session *s;
        const struct program *p;
        uint32_t root;       /* the main thread's root stack */
        size_t first, last;  /* the window: sample indexes */
        size_t next_program; /* from there on another program's samples (an exec), kept */
        struct u64map remap; /* old stack → new stack + 1 (0: not the program's) */
        uint32_t *path;      /* scratch: frames of one stack, leaf first */
        size_t cap;
};

static bool
frame_is(const struct session *s, uint32_t frame, const char *function, const char *file_end)
{
        size_t len;
        const char *info = session_frame_info(s, frame, &len);
        const char *file = info + strlen(info) + 1;
        size_t fl = strlen(file), el = strlen(file_end);

        return !strcmp(info, function) && fl >= el && !strcmp(file + fl - el, file_end);
}

static bool
is_runpy(const struct session *s, uint32_t frame, const char *function)
{
        return frame_is(s, frame, function, "<frozen runpy>") ||
               frame_is(s, frame, function, "/runpy.py");
}

static bool
file_is(const struct session *s, uint32_t frame, const char *path)
{
        size_t len;
        const char *info = session_frame_info(s, frame, &len);
        return !strcmp(info + strlen(info) + 1, path);
}

/* The stack @st of the main thread as the program's: the same, or (-m) without runpy's frames
 * below the module's; SESSION_NO_STACK when it is not inside the program. */
static uint32_t
program_stack(struct cut *c, uint32_t st)
{
        const struct session *s = c->s;
        size_t n = 0;
        uint64_t v;

        if (u64map_get(&c->remap, st, &v))
                return v ? (uint32_t)(v - 1) : SESSION_NO_STACK;
        for (uint32_t x = st; x != SESSION_NO_STACK; x = session_stack_parent(s, x)) {
                xgrow(&c->path, &c->cap, n + 1, sizeof(*c->path));
                c->path[n++] = session_stack_frame(s, x);
        }
        /* c->path is leaf first: [n - 1] the thread root, [n - 2] the outermost frame */
        uint32_t result = SESSION_NO_STACK;
        if (n >= 2 && session_stack_parent(s, st) != SESSION_NO_STACK) {
                uint32_t bottom = c->path[n - 2];
                switch (c->p->entry) {
                case ENTRY_SCRIPT:
                        if (frame_is(s, bottom, "<module>", "") &&
                            (file_is(s, bottom, c->p->script) ||
                             file_is(s, bottom, c->p->script_abs)))
                                result = st;
                        break;
                case ENTRY_COMMAND:
                        if (frame_is(s, bottom, "<module>", "") && file_is(s, bottom, "<string>"))
                                result = st;
                        break;
                case ENTRY_MODULE:
                        /* _run_module_as_main → _run_code → the module's <module> (runpy is
                         * frozen from 3.11, Lib/runpy.py before) */
                        if (!is_runpy(s, bottom, "_run_module_as_main"))
                                break;
                        for (size_t k = n - 2; k >= 1; k--) {
                                if (!is_runpy(s, c->path[k], "_run_code"))
                                        continue;
                                result = session_stack(c->s, SESSION_NO_STACK, c->path[n - 1]);
                                for (size_t i = k; i-- > 0;)
                                        result = session_stack(c->s, result, c->path[i]);
                                break;
                        }
                        break;
                default:
                        break;
                }
        }
        u64map_put(&c->remap, st, result == SESSION_NO_STACK ? 0 : (uint64_t)result + 1);
        return result;
}

static uint32_t
root_of(const struct session *s, uint32_t st)
{
        while (st != SESSION_NO_STACK && session_stack_parent(s, st) != SESSION_NO_STACK)
                st = session_stack_parent(s, st);
        return st;
}

static uint32_t
keep_window(size_t i, uint32_t st, void *userdata)
{
        struct cut *c = userdata;

        /* other threads are kept whole: one may work on after the program's last line (a
         * thread threading's shutdown waits for), and it is the program's work */
        if (st == SESSION_NO_STACK || root_of(c->s, st) != c->root)
                return st;
        if (i >= c->next_program)
                return st;
        if (i < c->first || i > c->last)
                return SESSION_DROP;
        /* inside the window, the main thread's other stacks are runpy's or the
         * interpreter's around the program, never the program's own */
        uint32_t p = program_stack(c, st);
        return p == SESSION_NO_STACK ? SESSION_DROP : p;
}

int
record_cut_to_program(struct session *s, const struct program *p, uint32_t main_root)
{
        struct cut c = {
                .s = s, .p = p, .root = main_root, .first = SIZE_MAX, .next_program = SIZE_MAX
        };
        size_t n = session_sample_count(s);
        double before = 0, inside = 0;
        int r = 0;

        if (!p || main_root == SESSION_NO_STACK)
                return 0;
        u64map_init(&c.remap);
        for (size_t i = 0; i < n; i++) {
                uint32_t st = session_sample_stack(s, i);
                if (st == SESSION_NO_STACK || root_of(s, st) != main_root)
                        continue;
                if (program_stack(&c, st) == SESSION_NO_STACK) {
                        if (c.first == SIZE_MAX)
                                before += session_sample_weight(s, i);
                        continue;
                }
                if (c.first == SIZE_MAX)
                        c.first = i;
                c.last = i;
        }
        if (c.first == SIZE_MAX)
                goto out; /* never inside the program as we know it: keep everything */
        /* a main thread whose outermost frame is a <module> again after the program's last
         * line runs another program (an execve() that kept the interpreter's address, so the
         * walks never failed): that is no shutdown, keep it */
        for (size_t i = c.last + 1; i < n; i++) {
                uint32_t st = session_sample_stack(s, i);
                if (st == SESSION_NO_STACK || session_stack_parent(s, st) == SESSION_NO_STACK ||
                    root_of(s, st) != main_root)
                        continue;
                uint32_t bottom = st; /* the frame right above the thread root */
                while (session_stack_parent(s, session_stack_parent(s, bottom)) != SESSION_NO_STACK)
                        bottom = session_stack_parent(s, bottom);
                if (frame_is(s, session_stack_frame(s, bottom), "<module>", "")) {
                        c.next_program = c.last + 1;
                        c.last = n - 1;
                        break;
                }
        }
        bool others_after = false;
        for (size_t i = c.first; i < n; i++) {
                uint32_t st = session_sample_stack(s, i);
                if (st == SESSION_NO_STACK)
                        continue;
                if (root_of(s, st) != main_root)
                        others_after |= i > c.last;
                else if (i <= c.last)
                        inside += session_sample_weight(s, i);
        }
        uint32_t first = program_stack(&c, session_sample_stack(s, c.first));
        (void)session_filter_samples(s, keep_window, &c);
        /* the program's own span (to the end when other threads worked on after it); its CPU
         * time is the process's (it cannot be told apart). Never longer than the run: the
         * recording's first round weighs a whole interval, and with `-i 5` on a program of 1 s
         * that round alone (a slow start, seen under ASan in CI) made a duration of 5 s. */
        double span = session_duration(s) - before;
        session_set_times(s, session_start_time(s) + before,
                          others_after || inside > span ? span : inside, session_cpu_time(s));
        /* pyinstrument trims the stem to the program's first frame when one thread ran */
        size_t len;
        uint32_t entry = first;
        while (session_stack_parent(s, session_stack_parent(s, entry)) != SESSION_NO_STACK)
                entry = session_stack_parent(s, entry);
        session_clear_start_call_stack(s);
        const char *info = session_frame_info(s, session_stack_frame(s, main_root), &len);
        session_add_start_call_stack(s, info, len);
        info = session_frame_info(s, session_stack_frame(s, entry), &len);
        session_add_start_call_stack(s, info, len);
        r = 1;
out:
        u64map_release(&c.remap);
        free(c.path);
        return r;
}

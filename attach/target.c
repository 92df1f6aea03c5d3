/* The profiled process: finding its interpreter and version, launching a command and waiting
 * for its interpreter, CPU accounting, and the optional ptrace stop of blocking mode.
 * Version knowledge comes from symbols/ (compiled tables or _Py_DebugOffsets); nothing here
 * branches on a version number except to refuse one. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "internal.h"

#define PY_MIN_SUPPORTED 0x03080000u

static uint32_t
max_off(const uint32_t *offs, size_t n)
{
        uint32_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (offs[i] != OFF_NONE && offs[i] + 8 > m)
                        m = offs[i] + 8;
        return m;
}

/* How many bytes of each remote struct to copy: up to the last field we use (an interpreter
 * state is tens of KiB; we need three words of it). */
static void
compute_read_lengths(struct target *t)
{
        const struct py_offsets *o = &t->off;
        /* 3.11/3.12 datastack_limit follows datastack_top (Include/cpython/pystate.h) */
        uint32_t limit =
                o->tstate.datastack_top == OFF_NONE ? OFF_NONE : o->tstate.datastack_top + 8;
        uint32_t tstate[] = {
                o->tstate.next,       o->tstate.interp,        o->tstate.frame,
                o->tstate.cframe,     o->tstate.thread_id,     o->tstate.native_thread_id,
                o->tstate.base_frame, o->tstate.datastack_top, limit,
                o->tstate.exc_info
        };
        uint32_t code[] = { o->code.argcount,    o->code.firstlineno,     o->code.filename,
                            o->code.name,        o->code.qualname,        o->code.linetable,
                            o->code.varnames,    o->code.localsplusnames, o->object.ob_type,
                            o->code.nlocalsplus, o->code.stacksize };

        t->tstate_len = max_off(tstate, ARRAY_SIZE(tstate));
        t->code_len = max_off(code, ARRAY_SIZE(code));
        if (o->frame_model == PY_FRAMES_OBJECT) {
                uint32_t f[] = { o->frameobj.back,       o->frameobj.code, o->frameobj.lasti,
                                 o->frameobj.localsplus, o->frameobj.gen,  o->frameobj.state };
                t->iframe_len = max_off(f, ARRAY_SIZE(f));
        } else {
                /* the header and localsplus[0] (self, for pyinstrument's class names); a
                 * frame with no locals can end a data-stack chunk, and reading past it
                 * (localsplus, or 8 bytes for the 1-byte owner) may fault: the walker then
                 * reads the header alone (iframe_hdr_len) */
                uint32_t f[] = { o->iframe.previous, o->iframe.code, o->iframe.instr };
                t->iframe_hdr_len = MAX(max_off(f, ARRAY_SIZE(f)), o->iframe.owner + 1);
                if (o->iframe.is_entry != OFF_NONE)
                        t->iframe_hdr_len = MAX(t->iframe_hdr_len, o->iframe.is_entry + 1);
                t->iframe_len = MAX(t->iframe_hdr_len, (size_t)o->iframe.localsplus + 8);
        }
}

static int
resolve_offsets(struct target *t)
{
        uint8_t head[16];
        int r;

        r = rmem_read(t->mem, t->loc.runtime, sizeof(head), head);
        if (r < 0)
                return r;
        /* 3.13+: _PyRuntime starts with _Py_DebugOffsets (Include/internal/pycore_debug_offsets.h)
         */
        if (!memcmp(head, "xdebugpy", 8)) {
                uint64_t v;
                memcpy(&v, head + 8, 8);
                t->version = (uint32_t)v;
                size_t need = symbols_debug_offsets_size(t->version);
                if (!need)
                        return -ENOTSUP;
                _cleanup_free_ uint8_t *buf = xmalloc(need);
                r = rmem_read(t->mem, t->loc.runtime, need, buf);
                if (r < 0)
                        return r;
                r = symbols_debug_offsets(buf, need, &t->off);
                if (r == -ENOTSUP && t->off.free_threaded)
                        t->version = (uint32_t)v;
                return r;
        }
        if (t->loc.py_version) {
                /* Py_Version (3.11+): PY_VERSION_HEX as a const uint32_t */
                uint32_t v;
                r = rmem_read(t->mem, t->loc.py_version, sizeof(v), &v);
                if (r < 0)
                        return r;
                t->version = v;
        } else if (t->loc.rodata_version &&
                   (!t->loc.name_version ||
                    (t->loc.rodata_version >> 16) == (t->loc.name_version >> 16))) {
                t->version = t->loc.rodata_version;
        } else {
                t->version = t->loc.name_version;
        }
        if (t->version < PY_MIN_SUPPORTED)
                return -ENOTSUP;
        /* 3.13+ always starts _PyRuntime with the cookie: it is a static initialiser
         * (Python/pylifecycle.c, _PyRuntimeState_INIT), so it is there from the moment the data
         * segment is. A version that says 3.13+ without it means the segment is not in place
         * yet: ld.so first maps the whole file over the library's span, then each segment at
         * its own offset, and a read in between sees another part of the file. Not ready, not
         * unsupported (one launch in ~500 read that window). */
        if (t->version >= 0x030d0000)
                return -EAGAIN;
        const struct py_offsets *tab = symbols_table_for(t->version);
        if (!tab)
                return -ENOTSUP;
        t->off = *tab;
        t->off.version = t->version;
        return 0;
}

static struct target *
target_alloc(pid_t pid, struct rmem *mem)
{
        struct target *t = xcalloc(1, sizeof(*t));
        t->pid = pid;
        t->ns_pid = pid > 0 ? proc_ns_pid(pid, pid) : pid;
        t->mem = mem;
        t->pthread_tid_off = -1;
        u64map_init(&t->code_index);
        u64map_init(&t->frame_index);
        u64map_init(&t->type_index);
        u64map_init(&t->class_frame_index);
        u64map_init(&t->class_ok);
        u64map_init(&t->info_index);
        u64map_init(&t->ns_tids);
        u64map_init(&t->slot_code);
        u64map_init(&t->slot_addrq);
        u64map_init(&t->last_id);
        u64map_init(&t->entry_top);
        t->stack_buf = xmalloc(MAX_DEPTH * sizeof(*t->stack_buf));
        t->raw = xmalloc(MAX_DEPTH * sizeof(*t->raw));
        return t;
}

/* The interpreter is usable once the runtime lists an interpreter that has a thread state
 * (Py_Initialize() has run far enough for frames to exist). */
static int
check_initialised(struct target *t)
{
        uint64_t interp = 0, tstate = 0;
        int r;

        r = rmem_read(t->mem, t->loc.runtime + t->off.runtime.interpreters_head, 8, &interp);
        if (r < 0)
                return r;
        if (!interp)
                return -EAGAIN;
        r = rmem_read(t->mem, interp + t->off.interp.threads_head, 8, &tstate);
        if (r < 0)
                return r == -EFAULT ? -EAGAIN : r;
        return tstate ? 0 : -EAGAIN;
}

/* No ELF file names _PyRuntime (an executable without section headers, an embedding that
 * exports nothing): 3.13+ still begin it with the "xdebugpy" cookie of _Py_DebugOffsets, so
 * look for that in the writable mappings, as pystack's exhaustive mode does (peers.md §1.6).
 * ≤3.12 have no cookie and stay "not Python". @return 0 with t->loc set; -ENOENT. */
static int
locate_by_cookie(struct target *t, const struct maps *maps)
{
        _cleanup_free_ size_t *idx = xmalloc((maps->n + 1) * sizeof(*idx));
        size_t n = symbols_cookie_regions(maps, idx, maps->n);
        int r;

        for (size_t i = 0; i < n; i++) {
                const struct map_entry *e = &maps->v[idx[i]];
                size_t len = (size_t)(e->end - e->start), pos;
                _cleanup_free_ uint8_t *buf = xmalloc(len);

                r = rmem_read(t->mem, e->start, len, buf);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (r < 0 || symbols_find_cookie(buf, len, &pos) < 0)
                        continue;
                /* an anonymous region is the .bss of the file mapped just before it */
                const char *path = e->path ? e->path : maps->v[idx[i] - 1].path;
                const char *base = strrchr(path, '/');
                memset(&t->loc, 0, sizeof(t->loc));
                snprintf(t->loc.binary, sizeof(t->loc.binary), "%s", path);
                t->loc.runtime = e->start + pos;
                t->loc.is_libpython = base && !strncmp(base + 1, "libpython", 9);
                return 0;
        }
        return -ENOENT;
}

int
target_open(pid_t pid, struct target **ret)
{
        _cleanup_(target_freep) struct target *t = NULL;
        _cleanup_(maps_release) struct maps maps = { 0 };
        int r;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return -ESRCH;
        r = maps_read(pid, &maps);
        if (r < 0)
                return r == -EACCES ? -EPERM : r;
        t = target_alloc(pid, rmem_new(pid));
        r = symbols_locate(pid, &maps, &t->loc);
        if (r == -ENOENT)
                r = locate_by_cookie(t, &maps);
        if (r == -EPROTONOSUPPORT) {
                t->version = t->loc.rodata_version ? t->loc.rodata_version : t->loc.name_version;
                *ret = TAKE_PTR(t);
                return -ENOTSUP;
        }
        if (r < 0)
                return r;
        r = resolve_offsets(t);
        if (r == -ENOTSUP) {
                *ret = TAKE_PTR(t);
                return r;
        }
        if (r < 0)
                return r;
        compute_read_lengths(t);
        t->fp_buf = xmalloc(t->code_len);
        r = check_initialised(t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

struct target *
target_new_image(struct rmem *m, const struct py_offsets *o, uint64_t runtime)
{
        struct target *t = target_alloc(0, m);

        t->loc.runtime = runtime;
        t->off = *o;
        t->version = o->version;
        compute_read_lengths(t);
        t->fp_buf = xmalloc(t->code_len);
        return t;
}

struct target *
target_free(struct target *t)
{
        if (!t)
                return NULL;
        target_release_threads(t);
        walker_release(t);
        threadname_release(t);
        rmem_free(t->mem);
        free(t->stack_buf);
        free(t->subs);
        free(t->sub_frames);
        free(t->splice_buf);
        free(t->raw);
        free(t->fp_buf);
        free(t->seized);
        free(t->stopped);
        free(t->lists);
        free(t);
        return NULL;
}

pid_t
target_pid(const struct target *t)
{
        return t->pid;
}

uint32_t
target_version(const struct target *t)
{
        return t->version;
}

bool
target_free_threaded(const struct target *t)
{
        return t->off.free_threaded;
}

const char *
target_binary(const struct target *t)
{
        return t->loc.binary;
}

const struct py_offsets *
target_offsets(const struct target *t)
{
        return &t->off;
}

/* ---- launching ------------------------------------------------------------------------------ */

int
launch_spawn(char *const argv[], pid_t *ret_pid)
{
        int pipefd[2];
        pid_t pid;
        int err = 0;
        ssize_t n;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int e = errno;
                (void)close(pipefd[0]);
                (void)close(pipefd[1]);
                return -e;
        }
        if (pid == 0) {
                (void)close(pipefd[0]);
                /* the child must not inherit pyinstr's signal dispositions */
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGPIPE, SIG_DFL);
                execvp(argv[0], argv);
                err = errno;
                (void)!write(pipefd[1], &err, sizeof(err));
                _exit(127);
        }
        (void)close(pipefd[1]);
        do
                n = read(pipefd[0], &err, sizeof(err));
        while (n < 0 && errno == EINTR);
        (void)close(pipefd[0]);
        if (n == sizeof(err)) {
                (void)waitpid(pid, NULL, 0);
                return -err;
        }
        *ret_pid = pid;
        return 0;
}

/* @name as execvp() finds it: itself when it has a '/', else the first executable file of
 * that name in $PATH. @return whether one was found (into @buf). */
static bool
find_program(const char *name, char *buf, size_t len)
{
        if (strchr(name, '/')) {
                snprintf(buf, len, "%s", name);
                return access(buf, X_OK) == 0;
        }
        const char *path = getenv("PATH");
        for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
                size_t n = strcspn(p, ":");
                snprintf(buf, len, "%.*s%s%s", (int)n, p, n ? "/" : "", name);
                if (access(buf, X_OK) == 0)
                        return true;
                p += n + (p[n] == ':');
        }
        return false;
}

bool
launch_is_python(char *const argv[], const char *last_comm)
{
        char prog[PATH_MAX], head[256];

        /* comm is the file name of the last exec, cut to 15 bytes (proc(5)) */
        if (last_comm && argv[0] && !strncmp(last_comm, "python", 6)) {
                const char *base = strrchr(argv[0], '/');
                if (strncmp(last_comm, base ? base + 1 : argv[0], 15) != 0)
                        return true;
        }
        if (!argv[0] || !find_program(argv[0], prog, sizeof(prog)))
                return false;
        _cleanup_close_ int fd = open(prog, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof(head) - 1);
        if (n > 2 && head[0] == '#' && head[1] == '!') {
                /* "#!/usr/bin/python3 -u" or "#!/usr/bin/env [-S] python3" */
                char *save, *interp, *arg;
                head[n] = '\0';
                head[strcspn(head, "\n")] = '\0';
                interp = strtok_r(head + 2, " \t", &save);
                arg = interp ? strtok_r(NULL, " \t", &save) : NULL;
                while (arg && arg[0] == '-')
                        arg = strtok_r(NULL, " \t", &save);
                if (!interp)
                        return false;
                const char *base = strrchr(interp, '/');
                if (arg && !strcmp(base ? base + 1 : interp, "env"))
                        return find_program(arg, prog, sizeof(prog)) &&
                               symbols_file_is_python(prog) > 0;
                return symbols_file_is_python(interp) > 0;
        }
        return symbols_file_is_python(prog) > 0;
}

int
launch_wait_python(pid_t pid,
                   double timeout_s,
                   bool is_child,
                   struct launch_exit *ret_exit,
                   struct target **ret)
{
        double deadline = mono_s() + timeout_s;
        bool seen_python = false;
        int r = -ENOENT;

        /* A new process is not Python at first: it may be a pyenv shim or a shell that execs
         * python later, and even python's own binary maps libpython and initialises the
         * runtime some milliseconds after exec. Poll until the interpreter is usable. */
        for (;;) {
                struct target *t = NULL;

                if (is_child) {
                        char comm[sizeof(ret_exit->comm)] = "";
                        int st;
                        double cpu;
                        /* the name of what it runs, which its zombie keeps: read before the
                         * reap */
                        (void)proc_comm(pid, comm, sizeof(comm));
                        /* launch_reap(): a ptrace stop (blocking mode, after an exec) is not
                         * an exit, and must not be consumed */
                        if (launch_reap(pid, false, &st, &cpu)) {
                                if (ret_exit) {
                                        ret_exit->status = st;
                                        memcpy(ret_exit->comm, comm, sizeof(comm));
                                }
                                /* a program that is over in a few milliseconds can end
                                 * between two polls, before its interpreter was ready to read:
                                 * it was Python all the same */
                                return seen_python ? -ECANCELED : -ECHILD;
                        }
                }
                r = target_open(pid, &t);
                if (r == 0) {
                        *ret = t;
                        return 0;
                }
                if (r == -ENOTSUP) {
                        *ret = t;
                        return r;
                }
                target_free(t);
                if (r == -EAGAIN)
                        seen_python = true;
                if (r == -EPERM || (r == -ESRCH && !is_child))
                        return r;
                if (mono_s() > deadline)
                        return r == -EAGAIN ? -ETIMEDOUT : r == -ENOENT ? -ENOENT : -ETIMEDOUT;
                struct timespec ts = { 0, 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
}

#pragma once
/* attach/: the profiled process. Reading its memory, finding its interpreter, walking the
 * Python stacks of every thread, launching a command, and the sampling loop. Only the CLI
 * turns the -errno values returned here into messages. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common/macros.h"
#include "symbols/symbols.h"

/* ---- remote memory ------------------------------------------------------------------------ */

struct rmem;

/* A reader of process @pid's memory: process_vm_readv, falling back to /proc/PID/mem when the
 * syscall is unavailable (seccomp, old kernels). */
struct rmem *rmem_new(pid_t pid);
/* A reader over a byte image mapped at @base (tests and fuzzing: the walker with no process).
 * The image is borrowed and must outlive the reader. */
struct rmem *rmem_new_image(const void *image, size_t len, uint64_t base);
struct rmem *rmem_free(struct rmem *m);
DEFINE_CLEANUP_FUNC(struct rmem *, rmem_free)

/* Read @len bytes at remote @addr into @buf.
 * @return 0; -ESRCH target gone; -EPERM not allowed; -EFAULT unmapped or short read. */
int rmem_read(struct rmem *m, uint64_t addr, size_t len, void *buf);

/* Reads through the per-walk cache (valid until rmem_cache_reset()): rmem_read_cached() reads
 * by page (frames: neighbours come for free; prefetched later around the bytes used),
 * rmem_read_piece() exact structs,
 * rmem_readv_cached() several exact pieces with one syscall for the misses. */
int rmem_read_cached(struct rmem *m, uint64_t addr, size_t len, void *buf);
/* As rmem_read_cached(), but *ret points at the bytes: into the cache when they are there
 * (valid until the next rmem call), else into @scratch (@len bytes) where they were read. */
int rmem_peek_cached(struct rmem *m, uint64_t addr, size_t len, void *scratch, const void **ret);
int rmem_read_piece(struct rmem *m, uint64_t addr, size_t len, void *buf);
/* The page of @addr, read through rmem_read_cached() in this walk, is read whole in the next
 * walk's prefetch, not just around the bytes used: for a structure whose address moves a
 * little from one walk to the next (3.11/3.12's _PyCFrame, on the C stack, deeper or not). */
void rmem_mark_whole(struct rmem *m, uint64_t addr);
/* A new walk: forget the cached pieces and read, in one scattered syscall, every piece the
 * previous walk used (usually the whole next sample). */
void rmem_cache_reset(struct rmem *m);
/* Add the exact piece @addr/@len to what the next rmem_cache_reset() reads at once (a piece
 * the coming walk will need that the last one did not use). */
void rmem_prefetch_add(struct rmem *m, uint64_t addr, size_t len);

/* One piece of a scattered read. */
struct rmem_iov {
        uint64_t addr;
        size_t len;
        void *buf;
        int err; /* out: 0, or -EFAULT/-ESRCH/-EPERM for this piece */
};

/* Read several independent pieces in one process_vm_readv (at most 1024 per call). Each
 * piece gets its own result in ->err. @return 0 if every piece was read, else the first
 * error (pieces after a fault are retried one by one, so ->err is exact). */
int rmem_readv(struct rmem *m, struct rmem_iov *v, size_t n);
int rmem_readv_cached(struct rmem *m, struct rmem_iov *v, size_t n);

/* Syscalls made so far (for the benchmark and the summary). */
uint64_t rmem_syscalls(const struct rmem *m);

/* ---- the target ---------------------------------------------------------------------------- */

struct target;

/* Attach to the Python process @pid (nothing is stopped). @return 0;
 * -ESRCH no such process; -EPERM not allowed (ptrace_scope, other user, no CAP_SYS_PTRACE);
 * -ENOENT not a Python process (or its interpreter is not loaded yet);
 * -EAGAIN Python found but its interpreter is not initialised yet;
 * -ENOTSUP a version or build pyinstr cannot read (see target_version()).
 * On -ENOTSUP *ret is still set so that the caller can name the version; free it. */
int target_open(pid_t pid, struct target **ret);
/* A target over @m (usually rmem_new_image()) laid out as @o, with _PyRuntime at @runtime:
 * no process, no symbols, no checks (tests and fuzzing run the walker on it). Takes @m. */
struct target *target_new_image(struct rmem *m, const struct py_offsets *o, uint64_t runtime);
struct target *target_free(struct target *t);
DEFINE_CLEANUP_FUNC(struct target *, target_free)

pid_t target_pid(const struct target *t);
uint32_t target_version(const struct target *t); /* PY_VERSION_HEX */
bool target_free_threaded(const struct target *t);
/* Path (as the target sees it) of the file holding the interpreter: python or libpython. */
const char *target_binary(const struct target *t);
const struct py_offsets *target_offsets(const struct target *t);

/* ---- stacks ---------------------------------------------------------------------------------- */

/* One thread's stack as walked at one instant. frames[] holds frame ids (target_frame_info),
 * outermost first. Valid until the next target_walk(). */
struct thread_stack {
        uint64_t tstate; /* remote PyThreadState address */
        uint64_t ident;  /* threading.get_ident(): the pthread_t */
        int32_t tid;     /* Linux TID, 0 if unknown */
        bool is_main;    /* the interpreter's main thread */
        uint32_t depth;
        const uint32_t *frames;
};

/* The OS thread behind @st, as a non-zero key: its TID with the tstate and pthread_t, since a
 * thread that ends hands both to the next one at once (glibc caches stacks, CPython its
 * tstates) but never its TID while it lives. Equal keys are the same thread. */
uint64_t thread_stack_key(const struct thread_stack *st);

/* Why a thread's walk was found torn: the check that rejected it (walker.c). */
enum walk_torn {
        TORN_TSTATE,      /* thread state unreadable or of another interpreter (list changed) */
        TORN_CFRAME,      /* 3.11/3.12: cframe->current_frame unreadable */
        TORN_FRAME_READ,  /* a frame of the chain unreadable (its memory unmapped) */
        TORN_CHAIN,       /* a cycle in the chain, or the depth cap */
        TORN_POPPED_LIVE, /* a frame that had returned below one that runs (slot reused) */
        TORN_CUT,         /* the chain ended above the thread's bottom, not at a generator */
        TORN_BOTTOM,      /* it ended at a frame that looked like the bottom, not so re-read */
        /* it ended at a suspended generator's frame whose callers were not restored
         * (repair_from_memo()): its code unknown (3.14+ cleared it), no caller remembered
         * for it, the remembered caller's frame now runs other code, or the chain of
         * remembered callers reached a frame that was not on the thread's previous walk */
        TORN_GEN_CODE,
        TORN_GEN_NO_LINK,
        TORN_GEN_CHANGED,
        TORN_GEN_NOT_IN_MEMO,
        TORN_POPPED_CODE, /* a frame that had returned, whose code is unknown */
        TORN_CODE,        /* a frame's code is not a live code object (or its names unreadable) */
        TORN_NAME,        /* a frame's position or its self's class unreadable */
        TORN_OTHER,
        TORN_LISTS, /* the whole walk: the interpreter or thread lists unreadable */
        TORN_N
};
const char *walk_torn_name(enum walk_torn why);

struct walk_stats {
        uint64_t walks, threads, dropped, frames;
        /* per cause: thread walks torn at the first read, and dropped (torn again when read
         * afresh); TORN_LISTS counts whole walks */
        uint64_t torn_first[TORN_N], torn_dropped[TORN_N];
        /* thread walks whose chain ended above the thread's bottom frame, and of those the
         * ones completed from the thread's previous walk (a generator suspended meanwhile) */
        uint64_t cut, repaired;
        /* thread walks whose innermost frames had returned when read, reported as they ran */
        uint64_t popped;
        /* torn thread walks read afresh (target_walk(): up to MAX_REREADS each) */
        uint64_t rereads;
        /* 3.11/3.12 thread walks given back calls that returned after the sample's instant
         * (stack_at_copy()) */
        uint64_t restored;
};

/* Walk every thread of every interpreter. Calls @fn for each thread that has Python frames.
 * A thread whose walk fails validation (a torn read: cycle, bad code object, depth cap) is
 * dropped and counted, never reported. @return threads reported; -ESRCH target gone;
 * -EAGAIN the whole walk was torn (thread list changed under us). */
int target_walk(struct target *t,
                void (*fn)(const struct thread_stack *st, void *userdata),
                void *userdata);
const struct walk_stats *target_walk_stats(const struct target *t);

/* The pyinstrument frame-info string of frame @id (function \0 file \0 firstline, then
 * \x01c<class> \x01l<line> \x01h1 attributes); *ret_len gets its length. Valid until
 * target_free(). Ids are dense from 0; target_frame_count() bounds them. */
const char *target_frame_info(const struct target *t, uint32_t id, size_t *ret_len);
uint32_t target_frame_count(const struct target *t);

/* Parsed parts of a frame, for dump and collapsed output. */
struct frame_parts {
        const char *function, *file, *class_name; /* class_name NULL if none */
        int first_line, line;                     /* line 0 if unknown */
};
void target_frame_parts(const struct target *t, uint32_t id, struct frame_parts *ret);

/* ---- the target's sys module ---------------------------------------------------------------- */

/* sys.path and [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix] of the
 * main interpreter, as the target has them now (strings malloc'd). */
struct target_sys {
        char **path;
        size_t n_path;
        char *prefixes[4];
};

/* Read them (replacing what *ret held only on success). @return 0; -ENOENT sys or its
 * entries not there yet (early start-up); -EAGAIN, -EBADMSG torn; -ESRCH; -ENOTSUP no offsets
 * for it. */
int target_sys_read(struct target *t, struct target_sys *ret);
void target_sys_release(struct target_sys *s);

/* ---- launching and waiting ------------------------------------------------------------------ */

/* fork+exec @argv (PATH searched). Reports exec failure as -errno (-ENOENT: no such command)
 * through a close-on-exec pipe, so a missing command is an error, not a child exiting 127. */
int launch_spawn(char *const argv[], pid_t *ret_pid);

/* Wait until @pid runs an initialised Python interpreter, following exec()s (a pyenv shim or
 * a shell in front of python), for at most @timeout_s. @return 0 with *ret set; -ECHILD the
 * process exited first (it never became Python); -ECANCELED it exited after its Python was
 * found but before the interpreter could be read (a program over in milliseconds);
 * -ETIMEDOUT; or target_open()'s errors.
 * If @ret_exit is not NULL and the child exited, its status and last name are stored there. */
struct launch_exit {
        int status;    /* wait status */
        char comm[16]; /* the name of the program it ran last (proc_comm()), or "" */
};
int launch_wait_python(pid_t pid,
                       double timeout_s,
                       bool is_child,
                       struct launch_exit *ret_exit,
                       struct target **ret);

/* Is the program @argv would run (PATH searched as execvp() does; a "#!" script's
 * interpreter, through /usr/bin/env too) a Python interpreter, or did it exec one: is
 * @last_comm (launch_exit.comm; may be NULL) another program's, named python*? For a program
 * that was over before its interpreter could be seen: it was Python all the same. A wrapper
 * (chroot DIR python3, env python3, a shell's exec) is known by that name alone. */
bool launch_is_python(char *const argv[], const char *last_comm);

/* Reap our child @child if it has exited (or, with @block, when it does): its wait status in
 * *ret_status and the CPU seconds the whole process used in *ret_cpu (read from the zombie
 * before it is reaped; -1 if unknown). @return whether it was reaped. */
bool launch_reap(pid_t child, bool block, int *ret_status, double *ret_cpu);

/* ---- blocking mode -----------------------------------------------------------------------------
 */

/* Stop the Python threads of @t for a consistent snapshot (PTRACE_SEIZE once per thread,
 * PTRACE_INTERRUPT per sample). @return 0; -EPERM; -ESRCH. */
int target_freeze(struct target *t);
/* Resume every thread stopped by target_freeze(). Never fails silently: @return 0 or -errno. */
int target_thaw(struct target *t);
/* Reap the seized threads that exited. An execve() in another thread waits for them, and only
 * their tracer can reap them: call it while waiting for an exec to end. */
void target_reap_exited(struct target *t);
/* Detach from every seized thread (also done by target_free()). */
void target_release_threads(struct target *t);

/* ---- process facts (attach/proc.c) ------------------------------------------------------ */

/* The name of the program @pid runs (/proc/PID/comm: the file name it last exec'd, cut to 15
 * bytes); a zombie keeps it. @return 0 with @buf set; -ESRCH. */
int proc_comm(pid_t pid, char *buf, size_t len);

/* The OS name of thread @tid (/proc/PID/task/TID/comm) when it differs from the process's:
 * CPython 3.14+ gives each threading.Thread's name (cut to 15 bytes) to the OS thread.
 * @return 0 with @buf set; -ENOENT no name of its own; -ESRCH. */
int proc_thread_name(pid_t pid, int32_t tid, char *buf, size_t len);

/* The threading.Thread name of the thread @ident (threading.get_ident()) whose TID is @tid,
 * read from the target's memory (sys.modules['threading']._active[ident]._name) the first
 * time, then from a cache until another thread with that ident (another TID) asks. Names
 * longer than @len - 1 bytes are cut at a character boundary.
 * @return 0 with @buf set; -ENOENT not a threading.Thread (yet: a thread is entered in _active
 * just after it starts), or no threading module; -ENOTSUP no layout for it; -EFAULT/-EBADMSG
 * a torn or unexpected read; -ESRCH. */
int target_thread_name(struct target *t, uint64_t ident, int32_t tid, char *buf, size_t len);

/* The command line of @pid: its NUL-separated arguments (malloc'd, NUL-terminated after the
 * last one) in *ret and their total length in *ret_len. @return 0; -ESRCH. */
int proc_cmdline(pid_t pid, char **ret, size_t *ret_len);

/* CPU time (user+system) of the whole process in seconds, from /proc/PID/stat. */
int proc_cpu_time(pid_t pid, double *ret);

/* The value of environment variable @name in @pid's initial environment (malloc'd in *ret).
 * @return 0; -ENOENT not set; -ESRCH; -EPERM. */
int proc_getenv(pid_t pid, const char *name, char **ret);

/* The root folder @pid sees (/proc/PID/root) when it is not "/" (a chroot or a container's
 * mount namespace), else "". @return 0 or -errno (@buf is "" then). */
int proc_root(pid_t pid, char *buf, size_t len);

/* @pid's working folder as it sees it (inside its root). @return 0, or -errno with "/". */
int proc_cwd(pid_t pid, char *buf, size_t len);

/* Thread @tid of @pid as the process sees it in its own PID namespace (a container); @tid
 * itself when it is in ours or cannot be told. */
pid_t proc_ns_pid(pid_t pid, pid_t tid);
/* The other way: our TID of the thread the target calls @ns_tid; 0 when none has it. */
pid_t proc_host_tid(pid_t pid, pid_t ns_tid);

/* The state letter (R, S, D, T, t, Z, X...) of thread @tid of @pid (of the process when @tid
 * is 0), or 0 when there is none. */
char proc_task_state(pid_t pid, pid_t tid);

/* Is @pid stopped by job control (kill -STOP, Ctrl-Z; state T, not a tracing stop)? */
bool proc_job_stopped(pid_t pid);

/* Is @pid alive and not on its way out (not a zombie, not exiting)? After its memory
 * vanished, that means another program was put in it (execve). */
bool proc_exec_ready(pid_t pid);

/* Has @pid a thread that is not a zombie? An exit leaves none; an execve() in another thread
 * than the leader has the leader a zombie for a moment while the exec'ing thread goes on. */
bool proc_threads_alive(pid_t pid);

/* Is @pid still there and not a zombie? */
bool proc_running(pid_t pid);

/* ---- the sampling loop ---------------------------------------------------------------------- */

struct sampler_opts {
        double interval;    /* seconds between samples; 0 = as fast as possible */
        double duration;    /* seconds; 0 = until stopped or the target exits */
        bool blocking;      /* stop the Python threads for each sample */
        pid_t child;        /* record mode: our child, reaped here when it exits; 0 otherwise */
        volatile int *stop; /* set (from a signal handler) to end the loop */
};

enum sampler_end {
        SAMPLER_END_STOPPED, /* *stop was set */
        SAMPLER_END_DURATION,
        SAMPLER_END_EXITED, /* the target exited */
        SAMPLER_END_EXEC,   /* the target replaced its program (execve): same pid, new image */
};

struct sampler_result {
        uint64_t rounds;     /* walks attempted */
        uint64_t samples;    /* thread stacks reported */
        uint64_t dropped;    /* threads or whole walks dropped as torn */
        uint64_t late;       /* rounds that started more than one interval late */
        double start_wall;   /* time.time() at the first sample */
        double elapsed;      /* seconds sampling ran (its real time, whatever the rounds) */
        double first_sample; /* CLOCK_MONOTONIC seconds when a first stack was reported, 0 */
        enum sampler_end end;
        bool child_exited;
        int child_status; /* wait status, when child_exited */
        double child_cpu; /* its CPU seconds at exit, -1 if unknown, when child_exited */
};

/* Called for every thread stack of every round, with the time since that thread's previous
 * sample (pyinstrument's weight) and the monotonic time of the round. */
typedef void (*sample_fn)(const struct thread_stack *st, double weight, void *userdata);

/* Sample @t until the duration, *o->stop, or the target's exit. @return 0 (see ret->end);
 * -EPERM when even the first read is refused. Never leaves a thread stopped. */
int sampler_run(struct target *t,
                const struct sampler_opts *o,
                sample_fn fn,
                void *userdata,
                struct sampler_result *ret);

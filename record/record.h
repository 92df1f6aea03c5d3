#pragma once
/* record/: the bridge from a walked target to a pyinstrument session. It turns the stacks the
 * sampler walks into thread roots and interned frames, records the target's environment as
 * pyinstrument would inside the process (sys.path, prefixes, the description, CPU time), and
 * holds the one policy for how a run or a one-shot snapshot ends and retries.
 * Dependencies: attach/ (the target) below, tree/ (the session) beside; it prints nothing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach/attach.h"
#include "common/macros.h"
#include "tree/tree.h"

/* ---- from walked stacks to a session ----------------------------------------------------------
 */

struct recorder;

/* A recorder that adds the stacks of @t to @s (both borrowed: they must outlive it). */
struct recorder *recorder_new(struct session *s, struct target *t);
struct recorder *recorder_free(struct recorder *r);
DEFINE_CLEANUP_FUNC(struct recorder *, recorder_free)

/* Add one thread's walked stack as a sample of @weight seconds under that thread's <thread>
 * root. Its signature is the sampler's sample_fn: pass the recorder as userdata. */
void recorder_add(const struct thread_stack *st, double weight, void *recorder);

/* The number of distinct threads seen so far. */
size_t recorder_thread_count(const struct recorder *r);

/* The name pyinstrument gives the thread @st: MainThread, its threading.Thread name (read from
 * the target), the name the OS knows it by (3.14+ gives each Thread's name, cut to 15 bytes,
 * to its OS thread), else Thread-TID. @return 0 for a final name; -EAGAIN for the OS name of
 * a thread not registered with threading yet (try again later); -ENOENT when Thread-TID is
 * made up. */
int record_thread_name(struct target *t, const struct thread_stack *st, char *buf, size_t len);

/* ---- the target's environment -------------------------------------------------------------- */

/* sys.path and the sys prefixes as the target has them (read from its sys module; guessed
 * from /proc when that cannot be read), so that library code is told apart from application
 * code as pyinstrument decides it inside the process. */
void record_environment(struct session *s, struct target *t);

/* @pid's command line, its arguments joined by spaces ("?" when it cannot be read; malloc'd). */
char *record_process_args(pid_t pid);
/* "Process PID: its command line", the description of an attached process (malloc'd). */
char *record_process_description(pid_t pid);

/* ---- a whole run ---------------------------------------------------------------------------- */

struct record_opts {
        double interval;         /* seconds between samples; 0 = as fast as possible */
        double duration;         /* seconds; 0 = until stopped or the target exits */
        bool blocking;           /* stop the Python threads for each sample */
        pid_t child;             /* record: our child (reaped and its status kept); 0 for attach */
        volatile int *stop;      /* set from a signal handler to end sampling */
        double start_timeout;    /* record: how long a program exec'd by the child may take to
                                  * start its Python */
        const char *description; /* the session's target_description */
        /* record: keep the interpreter's start-up and shutdown, and runpy's frames (else the
         * session is cut to the program, as pyinstrument records it) */
        bool include_startup;
};

struct record_result {
        struct sampler_result sampler; /* the loop's figures and how it ended */
        size_t threads;                /* distinct threads recorded */
        unsigned execs;    /* times the target was followed into a new program: an execve(), or
                            * a moment of it (its memory can vanish more than once on the way) */
        bool exec_lost;    /* the last exec put a program that is not Python (or not readable)
                            * in its place: sampling ended there (sampler.end is EXEC) */
        bool child_exited; /* record: the child's wait status is in child_status */
        int child_status;
};

/* Sample @t until the duration, *o->stop or its exit, into a new session (*ret_session) with
 * its metadata: times, CPU time of the target, intervals, environment, description. When the
 * target replaces its program (execve), the new program's Python is found and sampling goes
 * on into the same session (see ret->execs and ret->exec_lost). With
 * o->child, the child is always reaped (waited for when sampling stopped first) so that its
 * status can be passed on, and killed when sampling fails. @return 0; -EPERM when even the
 * first read is refused; the sampler's other errors. */
int record_run(struct target *t,
               const struct record_opts *o,
               struct session **ret_session,
               struct record_result *ret);

/* The session of a program that was over before its first sample: no records, pyinstrument's
 * "No samples were recorded." */
struct session *record_empty(const struct record_opts *o);

/* ---- one snapshot (dump) ------------------------------------------------------------------- */

struct snapshot;

/* Walk every thread of @t once (stopping them around it when @blocking). A walk that lost a
 * thread to a torn read is taken again, a bounded number of times; the last one is kept.
 * @return 0 with *ret set; -EAGAIN with *ret set when no attempt was whole (the last is kept,
 * possibly missing threads); -ESRCH, -EPERM and target_freeze()'s errors with *ret NULL. */
int record_snapshot(struct target *t, bool blocking, struct snapshot **ret);
struct snapshot *snapshot_free(struct snapshot *s);
DEFINE_CLEANUP_FUNC(struct snapshot *, snapshot_free)

size_t snapshot_thread_count(const struct snapshot *s);
/* Thread @i's stack (frames outermost first); valid until snapshot_free(). */
const struct thread_stack *snapshot_thread(const struct snapshot *s, size_t i);

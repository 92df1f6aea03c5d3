/* Blocking mode: stop the target's Python threads for each sample with PTRACE_SEIZE (once per
 * thread) + PTRACE_INTERRUPT (per sample), so that a walk sees one instant. Only the threads
 * the walker found are stopped, never the whole process (py-spy #872). Every path resumes:
 * a signal that arrives while we stop a thread is delivered, not swallowed, and
 * target_release_threads() detaches whatever is still seized. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "common/xalloc.h"
#include "internal.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static bool
contains(const pid_t *v, size_t n, pid_t x)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == x)
                        return true;
        return false;
}

static void
remove_at(pid_t *v, size_t *n, size_t i)
{
        v[i] = v[--*n];
}

/* Wait for @tid to reach the interrupt stop. Signal-delivery stops on the way are passed on
 * at once (the pending interrupt stops the thread right after). @return 0 stopped; -ESRCH the
 * thread exited; -errno. */
static int
wait_interrupted(pid_t tid, bool leader)
{
        for (;;) {
                siginfo_t si = { 0 };
                int st;

                /* peek first: the exit of the thread-group leader of our own child must be
                 * left for the sampler to reap with its status (record passes it on) */
                if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOWAIT | __WALL) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -ESRCH;
                }
                if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
                    si.si_code == CLD_DUMPED) {
                        /* another thread's exit is ours to reap (it stays a zombie for its
                         * tracer otherwise); the leader's is the parent's */
                        if (!leader)
                                (void)waitpid(tid, &st, __WALL);
                        return -ESRCH;
                }
                pid_t w = waitpid(tid, &st, __WALL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno == -ECHILD ? -ESRCH : -errno;
                }
                if (WIFEXITED(st) || WIFSIGNALED(st))
                        return -ESRCH;
                if (!WIFSTOPPED(st))
                        continue;
                if ((st >> 16) == PTRACE_EVENT_STOP)
                        return 0;
                /* a signal-delivery stop: deliver the signal and wait for our stop */
                if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)WSTOPSIG(st)) < 0)
                        return -ESRCH;
        }
}

static void
note_tid(const struct thread_stack *st, void *userdata)
{
        struct target *t = userdata;
        if (st->tid > 0 && !contains(t->seized, t->n_seized, st->tid)) {
                if (ptrace(PTRACE_SEIZE, st->tid, 0, 0) == 0) {
                        xgrow(&t->seized, &t->cap_seized, t->n_seized + 1, sizeof(*t->seized));
                        t->seized[t->n_seized++] = st->tid;
                }
        }
}

int
target_freeze(struct target *t)
{
        int r;

        /* learn (or refresh) the Python threads: a cheap walk without stopping */
        if (!t->n_seized || t->stats.walks % 64 == 0) {
                r = target_walk(t, note_tid, t);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (!t->n_seized && ptrace(PTRACE_SEIZE, t->pid, 0, 0) < 0)
                        return errno == EPERM ? -EPERM : -ESRCH;
                if (!t->n_seized) {
                        xgrow(&t->seized, &t->cap_seized, 1, sizeof(*t->seized));
                        t->seized[t->n_seized++] = t->pid;
                }
        }
        t->n_stopped = 0;
        for (size_t i = 0; i < t->n_seized;) {
                pid_t tid = t->seized[i];
                if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ||
                    wait_interrupted(tid, tid == t->pid) < 0) {
                        remove_at(t->seized, &t->n_seized, i); /* the thread is gone */
                        continue;
                }
                xgrow(&t->stopped, &t->cap_stopped, t->n_stopped + 1, sizeof(*t->stopped));
                t->stopped[t->n_stopped++] = tid;
                i++;
        }
        return 0;
}

int
target_thaw(struct target *t)
{
        int r = 0;

        for (size_t i = 0; i < t->n_stopped; i++)
                if (ptrace(PTRACE_CONT, t->stopped[i], 0, 0) < 0 && errno != ESRCH)
                        r = -errno;
        t->n_stopped = 0;
        return r;
}

void
target_release_threads(struct target *t)
{
        for (size_t i = 0; i < t->n_seized; i++) {
                pid_t tid = t->seized[i];
                /* PTRACE_DETACH needs a stopped tracee */
                if (!contains(t->stopped, t->n_stopped, tid)) {
                        if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ||
                            wait_interrupted(tid, tid == t->pid) < 0)
                                continue;
                }
                (void)ptrace(PTRACE_DETACH, tid, 0, 0);
        }
        t->n_seized = 0;
        t->n_stopped = 0;
}

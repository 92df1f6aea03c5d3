/* Blocking mode: stop the target's Python threads for each sample with PTRACE_SEIZE (once per
 * thread) + PTRACE_INTERRUPT (per sample), so that a walk sees one instant. Only the threads
 * the walker found are stopped, never the whole process (py-spy #872). Every path resumes:
 * a signal that arrives while we stop a thread is delivered, not swallowed, and
 * target_release_threads() detaches whatever is still seized. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* How long one thread may take to reach its interrupt stop before this round goes on without
 * it: a thread in uninterruptible sleep (D: disk, NFS) stops only when it leaves it. */
#define STOP_TIMEOUT_NS (200 * 1000000LL)

static int64_t
now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool
is_exit(const siginfo_t *si)
{
        return si->si_code == CLD_EXITED || si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED;
}

/* A job-control stop (kill -STOP, Ctrl-Z): a PTRACE_EVENT_STOP with one of these as its stop
 * signal is a group-stop, not our interrupt (ptrace(2), "Group-stop"). */
static bool
is_stop_signal(int sig)
{
        return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Is thread @tid of @pid gone: exited (a zombie, or dead) or no longer there? */
static bool
thread_gone(pid_t pid, pid_t tid)
{
        char state = proc_task_state(pid, tid);

        return !state || state == 'Z' || state == 'X';
}

/* Reap the seized threads other than the leader (and @except, being waited for) that have
 * exited: a traced thread stays a zombie until its tracer waits for it, and until then the
 * leader's own exit is not reported to its parent and an execve() in another thread waits for
 * it (kernel/exit.c, fs/exec.c de_thread()): not reaping them left a dying or exec'ing target
 * stuck for good. Only exits are taken: a stop is peeked at (WNOWAIT) and left, since the
 * tracer is told of stops whatever the flags and consuming one would lose it. The reaped
 * threads stay in the list until PTRACE_INTERRUPT fails on them. */
static void
reap_exited(const struct target *t, pid_t except)
{
        for (size_t i = 0; i < t->n_seized; i++) {
                pid_t tid = t->seized[i];
                siginfo_t si = { 0 };
                int st;

                if (tid == t->pid || tid == except)
                        continue;
                if (waitid(P_PID, (id_t)tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 &&
                    si.si_pid == tid && is_exit(&si))
                        (void)waitpid(tid, &st, __WALL | WNOHANG);
        }
}

/* Wait for @tid to reach the interrupt stop. Signal-delivery stops on the way are passed on
 * at once (the pending interrupt stops the thread right after). Never blocks: it polls, reaps
 * the threads that exit meanwhile, and gives up on a thread that is gone or takes longer than
 * STOP_TIMEOUT_NS. @return 0 stopped; 1 stopped, and job-stopped (a group-stop: kill -STOP,
 * Ctrl-Z; it must not be resumed); -ESRCH the thread exited; -ETIMEDOUT; -errno. */
static int
wait_interrupted(struct target *t, pid_t tid)
{
        bool leader = tid == t->pid;
        int64_t deadline = now_ns() + STOP_TIMEOUT_NS;
        long pause_ns = 10000;

        for (;;) {
                siginfo_t si = { 0 };
                int st;

                /* every way round the loop is bounded: a report that cannot be consumed (or
                 * comes back) must not keep pyinstr, and the target with it, here */
                if (now_ns() > deadline)
                        return -ETIMEDOUT;
                /* peek first: the exit of the thread-group leader of our own child must be
                 * left for the sampler to reap with its status (record passes it on) */
                if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOWAIT | WNOHANG | __WALL) <
                    0) {
                        if (errno == EINTR)
                                continue;
                        return -ESRCH;
                }
                if (si.si_pid != tid) {
                        /* nothing yet: is it gone (a zombie leader whose threads are still
                         * dying), or slow? */
                        reap_exited(t, tid);
                        if (thread_gone(t->pid, tid)) {
                                /* a zombie thread is ours to reap (an exec waits for it),
                                 * once the kernel reports it; a zombie leader is its
                                 * parent's */
                                if (leader || waitpid(tid, &st, __WALL | WNOHANG) != 0)
                                        return -ESRCH;
                        }
                        struct timespec ts = { 0, pause_ns };
                        nanosleep(&ts, NULL);
                        pause_ns = MIN(pause_ns * 2, 1000000L);
                        continue;
                }
                if (is_exit(&si) && leader && proc_running(t->pid)) {
                        /* another thread's execve() replaced the leader: its old self is
                         * reported dead although the process goes on in the exec'd thread,
                         * which now has the leader's TID (ptrace(2), "execve(2) under
                         * ptrace"). Take that report and wait for the new one's stop. */
                        (void)waitid(P_PID, (id_t)tid, &si, WEXITED | WNOHANG | __WALL);
                        continue;
                }
                if (is_exit(&si)) {
                        /* another thread's exit is ours to reap (it stays a zombie for its
                         * tracer otherwise); the leader's is the parent's */
                        if (!leader)
                                (void)waitpid(tid, &st, __WALL | WNOHANG);
                        return -ESRCH;
                }
                pid_t w = waitpid(tid, &st, __WALL | WNOHANG);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno == -ECHILD ? -ESRCH : -errno;
                }
                if (w == 0 || !WIFSTOPPED(st)) {
                        if (w > 0 && (WIFEXITED(st) || WIFSIGNALED(st)))
                                return -ESRCH;
                        continue;
                }
                if ((st >> 16) == PTRACE_EVENT_STOP)
                        return is_stop_signal(WSTOPSIG(st)) ? 1 : 0;
                /* a signal-delivery stop: deliver the signal and wait for our stop */
                if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)WSTOPSIG(st)) < 0)
                        return -ESRCH;
        }
}

/* Is thread @tid of @pid traced by us? */
static bool
traced_by_us(pid_t pid, pid_t tid)
{
        char path[96], line[128];
        bool ours = false;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "TracerPid:", 10)) {
                        ours = atoi(line + 10) == (int)getpid();
                        break;
                }
        fclose(f);
        return ours;
}

/* How long PTRACE_SEIZE may block. It takes the target's cred_guard_mutex, which an execve()
 * in another of its threads holds while de_thread() waits for the old threads to be reaped,
 * and the ones we trace only we can reap (kernel/ptrace.c ptrace_attach(), fs/exec.c
 * de_thread()): a seize at that moment waited for the exec and the exec for us, for good,
 * with the target a traced zombie. A seize takes microseconds otherwise. */
#define SEIZE_TIMEOUT_US 20000

static sigjmp_buf seize_jmp;
static volatile sig_atomic_t seize_armed;

/* ptrace_attach() fails a wait for the mutex with ERESTARTNOINTR, which the kernel restarts
 * after any handler, SA_RESTART or not: only leaving the handler by siglongjmp() stops it. */
static void
on_seize_timer(int sig)
{
        (void)sig;
        if (seize_armed)
                siglongjmp(seize_jmp, 1);
}

/* PTRACE_SEIZE @tid, giving up after SEIZE_TIMEOUT_US (see there). pyinstr has one thread, so
 * the process-wide SIGALRM of ITIMER_REAL reaches this one. @return 0, -EINTR when it timed
 * out (the caller reaps the exited threads an exec waits for, and tries again later), or
 * -errno. */
static int
seize(struct target *t, pid_t tid)
{
        struct sigaction sa = { .sa_handler = on_seize_timer }, old;
        struct itimerval arm = { .it_value = { 0, SEIZE_TIMEOUT_US } }, off = { 0 };
        volatile int r = 0;

        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, &old) < 0)
                return -errno;
        if (sigsetjmp(seize_jmp, 1) == 0) {
                setitimer(ITIMER_REAL, &arm, NULL);
                seize_armed = 1;
                r = ptrace(PTRACE_SEIZE, tid, 0, 0) == 0 ? 0 : -errno;
                seize_armed = 0;
        } else {
                /* the timer may have gone off just after the seize succeeded */
                r = traced_by_us(t->pid, tid) ? 0 : -EINTR;
        }
        setitimer(ITIMER_REAL, &off, NULL);
        sigaction(SIGALRM, &old, NULL);
        return r;
}

static void
note_tid(const struct thread_stack *st, void *userdata)
{
        struct target *t = userdata;
        if (st->tid > 0 && !contains(t->seized, t->n_seized, st->tid)) {
                /* an exec waits for the exited threads we trace: let it go on first */
                reap_exited(t, 0);
                if (seize(t, st->tid) == 0) {
                        xgrow(&t->seized, &t->cap_seized, t->n_seized + 1, sizeof(*t->seized));
                        t->seized[t->n_seized++] = st->tid;
                }
        }
}

int
target_freeze(struct target *t)
{
        int r;

        /* a process job control stopped needs no stopping to be read whole; once it runs
         * again, its threads are seized afresh */
        if (t->job_stopped) {
                if (proc_job_stopped(t->pid))
                        return 0;
                t->job_stopped = false;
        }
        /* learn (or refresh) the Python threads: a cheap walk without stopping */
        if (!t->n_seized || t->stats.walks % 64 == 0) {
                r = target_walk(t, note_tid, t);
                if (r == -ESRCH || r == -EPERM)
                        return r;
                if (!t->n_seized) {
                        r = seize(t, t->pid);
                        if (r == -EINTR)
                                return 0; /* an exec under way: next round */
                        if (r < 0)
                                return r == -EPERM ? -EPERM : -ESRCH;
                }
                if (!t->n_seized) {
                        xgrow(&t->seized, &t->cap_seized, 1, sizeof(*t->seized));
                        t->seized[t->n_seized++] = t->pid;
                }
        }
        t->n_stopped = 0;
        reap_exited(t, 0);
        for (size_t i = 0; i < t->n_seized;) {
                pid_t tid = t->seized[i];
                r = ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ? -ESRCH : wait_interrupted(t, tid);
                if (r == -ETIMEDOUT) {
                        i++; /* slow to stop: this round goes on without it */
                        continue;
                }
                if (r < 0) {
                        remove_at(t->seized, &t->n_seized, i); /* the thread is gone */
                        continue;
                }
                xgrow(&t->stopped, &t->cap_stopped, t->n_stopped + 1, sizeof(*t->stopped));
                t->stopped[t->n_stopped++] = tid;
                i++;
                if (r == 1) {
                        /* job control stopped the process (kill -STOP, Ctrl-Z): let go of it,
                         * stopped as it is, and leave it to SIGCONT; resuming it overrode the
                         * stop (and PTRACE_LISTEN, which keeps it stopped, has it trap again
                         * after SIGCONT with the old stop signal in its status, which cannot
                         * be told from a new stop) */
                        target_release_threads(t);
                        t->job_stopped = true;
                        return 0;
                }
        }
        return 0;
}

void
target_reap_exited(struct target *t)
{
        reap_exited(t, 0);
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

/* Detach from every thread of the target still traced by us that the seized list lost track
 * of: after another thread's execve() the survivor carries the leader's TID, and the TIDs we
 * seized are gone (ptrace(2), "execve(2) under ptrace"). Left traced, it would stop for good
 * at the next interrupt or signal. */
static void
release_leftovers(struct target *t)
{
        char path[64];
        DIR *d;
        struct dirent *e;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)t->pid);
        d = opendir(path);
        if (!d)
                return;
        while ((e = readdir(d))) {
                pid_t tid = (pid_t)atoi(e->d_name);
                if (tid <= 0 || !traced_by_us(t->pid, tid))
                        continue;
                if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0 && wait_interrupted(t, tid) >= 0)
                        (void)ptrace(PTRACE_DETACH, tid, 0, 0);
        }
        closedir(d);
}

void
target_release_threads(struct target *t)
{
        for (size_t i = 0; i < t->n_seized; i++) {
                pid_t tid = t->seized[i];
                /* PTRACE_DETACH needs a stopped tracee */
                if (!contains(t->stopped, t->n_stopped, tid)) {
                        if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || wait_interrupted(t, tid) < 0)
                                continue;
                }
                (void)ptrace(PTRACE_DETACH, tid, 0, 0);
        }
        if (t->pid > 0)
                release_leftovers(t);
        t->n_seized = 0;
        t->n_stopped = 0;
}

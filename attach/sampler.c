/* The sampling loop: a fixed-rate schedule on CLOCK_MONOTONIC with absolute sleeps (no drift),
 * a walk per round, and pyinstrument's weighting: each thread's sample weighs the time since
 * that thread's previous sample. A late round is counted, and the schedule skips ahead
 * instead of bursting to catch up. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "common/clock.h"
#include "common/u64map.h"
#include "internal.h"

/* Entries of threads unseen for this long are dropped (a program that starts threads all day
 * would otherwise grow the map by one per thread). A thread seen again after that is weighed
 * as a new one: one round at most. */
#define SAMPLER_FORGET_S 1.0
/* the longest single sleep between rounds: how late an end (the program's, Ctrl-C, -d) may be
 * noticed when the interval is longer */
#define WAKE_S 0.02

struct round {
        struct u64map last; /* thread_stack_key() → bits of the last sample time (double) */
        double now, prev_round, last_prune;
        sample_fn fn;
        void *userdata;
        uint64_t samples;
};

static double
wall(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
on_thread(const struct thread_stack *st, void *userdata)
{
        struct round *rd = userdata;
        uint64_t bits;
        double last = rd->prev_round;

        /* the OS thread, not the tstate or the pthread_t: both are reused by the next thread
         * at once, whose first sample would then weigh the gap since the previous one's last */
        uint64_t key = thread_stack_key(st);

        if (u64map_get(&rd->last, key, &bits))
                memcpy(&last, &bits, sizeof(last));
        memcpy(&bits, &rd->now, sizeof(bits));
        u64map_put(&rd->last, key, bits);
        rd->samples++;
        rd->fn(st, rd->now - last, rd->userdata);
}

/* Forget the threads not sampled for SAMPLER_FORGET_S (checked once a second). */
static void
prune(struct round *rd)
{
        struct u64map keep;

        if (rd->now - rd->last_prune < SAMPLER_FORGET_S)
                return;
        rd->last_prune = rd->now;
        size_t stale = 0;
        for (size_t i = 0; i < rd->last.cap; i++) {
                double when;

                memcpy(&when, &rd->last.slots[i].val, sizeof(when));
                stale += rd->last.slots[i].key && rd->now - when >= SAMPLER_FORGET_S;
        }
        if (!stale)
                return;
        u64map_init(&keep);
        for (size_t i = 0; i < rd->last.cap; i++) {
                const struct u64map_slot *sl = &rd->last.slots[i];
                double when;

                if (!sl->key)
                        continue;
                memcpy(&when, &sl->val, sizeof(when));
                if (rd->now - when < SAMPLER_FORGET_S)
                        u64map_put(&keep, sl->key, sl->val);
        }
        u64map_release(&rd->last);
        rd->last = keep;
}

/* Is this a report of the process's end (not of a stop)? */
static bool
is_exit(const siginfo_t *si)
{
        return si->si_code == CLD_EXITED || si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED;
}

bool
launch_reap(pid_t child, bool block, int *ret_status, double *ret_cpu)
{
        siginfo_t si;
        int r;

        for (;;) {
                /* WNOWAIT leaves the zombie, whose /proc/PID/stat still holds the CPU time of
                 * the whole process. A tracer is told of its tracees' ptrace stops whatever the
                 * flags say (kernel/exit.c wait_task_stopped(): WSTOPPED is only required of a
                 * parent that does not trace), so with blocking mode this also sees the child's
                 * signal-delivery stops: those are blocking mode's to handle (freeze.c), never to
                 * be taken for an exit or consumed here, or the child stays stopped for good */
                memset(&si, 0, sizeof(si));
                do
                        r = waitid(P_PID, (id_t)child, &si,
                                   WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
                while (r < 0 && errno == EINTR);
                if (r < 0 || si.si_pid != child)
                        return false;
                if (is_exit(&si) && proc_running(child)) {
                        /* the leader of a traced child that another thread's execve() replaced
                         * is reported dead although the process goes on (ptrace(2), "execve(2)
                         * under ptrace"): take that report and wait on */
                        (void)waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | __WALL);
                        continue;
                }
                if (is_exit(&si))
                        break;
                if (!block)
                        return false;
                /* blocking: the child is still traced (its threads could not all be released):
                 * let the stop go, with its signal when it is one, and wait on */
                int st;
                if (waitpid(child, &st, __WALL) == child && WIFSTOPPED(st))
                        (void)ptrace(PTRACE_CONT, child, 0,
                                     (void *)(long)((st >> 16) ? 0 : WSTOPSIG(st)));
        }
        if (proc_cpu_time(child, ret_cpu) < 0)
                *ret_cpu = -1;
        *ret_status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
        (void)waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG);
        return true;
}

static void
sleep_until(double t)
{
        struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - floor(t)) * 1e9) };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                if (t <= mono_s())
                        break;
}

/* Is there no process @pid at all any more (not even a zombie)? */
static bool
access_gone(pid_t pid)
{
        return kill(pid, 0) < 0 && errno == ESRCH;
}

/* The target can no longer be read: did it exit, or is it still running with another
 * program in it (an execve() unmaps the interpreter we located)? */
static enum sampler_end
gone(struct target *t)
{
        /* while another thread's execve() replaces the leader, the pid reads as a zombie and
         * the exec waits for the other threads to be reaped (fs/exec.c de_thread()); those we
         * trace (blocking mode) only we can reap, so reap them while waiting. An exit leaves
         * no thread alive; an exec that takes a second (a loaded machine) is taken for one. */
        double deadline = mono_s() + 1.0;
        for (;;) {
                if (proc_exec_ready(target_pid(t)))
                        return SAMPLER_END_EXEC;
                if (access_gone(target_pid(t)) || !proc_threads_alive(target_pid(t)) ||
                    mono_s() > deadline)
                        break;
                target_reap_exited(t);
                struct timespec ts = { 0, 1000000 };
                nanosleep(&ts, NULL);
        }
        return SAMPLER_END_EXITED;
}

int
sampler_run(struct target *t,
            const struct sampler_opts *o,
            sample_fn fn,
            void *userdata,
            struct sampler_result *ret)
{
        struct round rd = { .fn = fn, .userdata = userdata };
        double start, next;
        int r = 0;

        memset(ret, 0, sizeof(*ret));
        u64map_init(&rd.last);
        /* the default 50 µs timer slack would add up to 5 % jitter at 1 kHz */
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        ret->start_wall = wall();
        start = next = rd.prev_round = rd.last_prune = mono_s();
        rd.prev_round -= o->interval;
        ret->first_sample = 0;

        for (;;) {
                if (o->stop && *o->stop) {
                        ret->end = SAMPLER_END_STOPPED;
                        break;
                }
                rd.now = mono_s();
                if (o->duration > 0 && rd.now - start >= o->duration) {
                        ret->end = SAMPLER_END_DURATION;
                        break;
                }
                if (o->child && launch_reap(o->child, false, &ret->child_status, &ret->child_cpu)) {
                        ret->child_exited = true;
                        ret->end = SAMPLER_END_EXITED;
                        break;
                }
                /* a long interval (-i 5) is slept in short steps: a program that ends, a
                 * Ctrl-C or the duration are seen at once, not at the next round */
                if (o->interval > 0 && rd.now < next) {
                        bool last_step = next <= rd.now + WAKE_S;
                        sleep_until(MIN(next, rd.now + WAKE_S));
                        if (!last_step)
                                continue;
                        /* the checks above stand for this round: one waitid() a round */
                        rd.now = mono_s();
                }
                if (o->blocking) {
                        r = target_freeze(t);
                        if (r < 0) {
                                target_thaw(t);
                                if (r == -EPERM && ret->rounds == 0)
                                        goto out;
                                ret->end = gone(t);
                                r = 0;
                                break;
                        }
                }
                ret->rounds++;
                r = target_walk(t, on_thread, &rd);
                if (!ret->first_sample && rd.samples)
                        ret->first_sample = mono_s();
                if (o->blocking)
                        (void)target_thaw(t);
                if (r == -EPERM && ret->rounds == 1)
                        goto out;
                if (r == -ESRCH || r == -EPERM) {
                        enum sampler_end end = gone(t);
                        if (!o->child || end == SAMPLER_END_EXEC) {
                                ret->end = end;
                                r = 0;
                                break;
                        }
                        r = 0; /* record: the exit status comes from waitid above */
                } else if (r < 0) {
                        ret->dropped++;
                }
                rd.prev_round = rd.now;
                prune(&rd);
                if (o->interval > 0) {
                        next += o->interval;
                        double after = mono_s();
                        if (after > next + o->interval) {
                                ret->late++;
                                next = after;
                        }
                }
        }
        r = 0;
out:
        /* the run's real time, whatever the rounds (pyinstrument's duration) */
        ret->elapsed = mono_s() - start;
        ret->samples = rd.samples;
        ret->dropped += target_walk_stats(t)->dropped;
        u64map_release(&rd.last);
        if (o->blocking)
                target_release_threads(t);
        return r;
}

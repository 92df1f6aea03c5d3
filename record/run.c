/* How a run and a snapshot go: the sampler into a session with pyinstrument's metadata, the
 * record child's status kept whichever way sampling ended, and the retry policy for a
 * one-shot walk. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "internal.h"

static void
set_meta(struct session *s, const struct record_opts *o)
{
        session_set_interval(s, o->interval, o->interval);
        session_set_target_description(s, o->description);
}

/* How long attach waits for the program an execve() put in the target to start its Python. */
#define FOLLOW_TIMEOUT_S 2.0

/* Add the figures of one stretch of sampling (@seg) to the whole run's (@all). */
static void
add_stretch(struct sampler_result *all, const struct sampler_result *seg, bool first)
{
        if (first) {
                *all = *seg;
                return;
        }
        all->rounds += seg->rounds;
        all->samples += seg->samples;
        all->dropped += seg->dropped;
        all->late += seg->late;
        all->elapsed += seg->elapsed;
        if (!all->first_sample)
                all->first_sample = seg->first_sample;
        all->end = seg->end;
        all->child_exited = seg->child_exited;
        all->child_status = seg->child_status;
        all->child_cpu = seg->child_cpu;
}

/* The interpreter of the program an execve() put in process @pid, within @timeout_s: while
 * the kernel swaps the images the process can look gone for a moment (its memory and
 * /proc/PID/exe change under us), so "no such process" counts only once it is really gone. */
static int
follow_exec(pid_t pid,
            bool is_child,
            double timeout_s,
            struct launch_exit *ret_exit,
            struct target **ret)
{
        double deadline = mono_s() + timeout_s;
        int r;

        for (;;) {
                double left = deadline - mono_s();
                r = launch_wait_python(pid, left > 0 ? left : 0, is_child, ret_exit, ret);
                if (r != -ESRCH || !proc_running(pid) || mono_s() > deadline)
                        return r;
                target_free(*ret);
                *ret = NULL;
                struct timespec ts = { 0, 1000000 };
                nanosleep(&ts, NULL);
        }
}

int
record_run(struct target *t,
           const struct record_opts *o,
           struct session **ret_session,
           struct record_result *ret)
{
        _cleanup_(session_freep) struct session *s = session_new();
        _cleanup_(recorder_freep) struct recorder *rec = recorder_new(s, t);
        _cleanup_(target_freep) struct target *followed = NULL; /* the target after an exec */
        struct sampler_result *res = &ret->sampler;
        pid_t pid = target_pid(t);
        double cpu0 = 0, cpu1 = 0;
        int r;

        struct target_sys sys = { 0 };

        memset(ret, 0, sizeof(*ret));
        (void)proc_cpu_time(pid, &cpu0);
        /* what the program is, read now: its command line is gone once it has exited */
        _cleanup_(record_program_freep) struct program *prog =
                o->child > 0 && !o->include_startup ? record_program_of(pid) : NULL;
        /* what /proc tells now, while the process surely is there; the sys module's own word
         * replaces it as soon as it can be read, and is read again while sampling */
        env_guess(t, &sys);
        (void)target_sys_read(t, &sys);
        recorder_watch_sys(rec, &sys);
        for (struct target *cur = t;;) {
                struct sampler_opts so = {
                        .interval = o->interval,
                        .duration = o->duration,
                        .blocking = o->blocking,
                        .child = o->child,
                        .stop = o->stop,
                };
                struct sampler_result seg;

                if (cur != t && o->duration > 0) {
                        so.duration = o->duration - res->elapsed;
                        if (so.duration <= 0)
                                break;
                }
                r = sampler_run(cur, &so, recorder_add, rec, &seg);
                recorder_fold_provisional(rec);
                if (cur == t)
                        recorder_set_start_stack(rec);
                if (r < 0 && cur == t) {
                        if (o->child > 0)
                                (void)kill(o->child, SIGKILL);
                        target_sys_release(&sys);
                        return r;
                }
                ret->threads += recorder_thread_count(rec);
                if (r < 0)
                        break; /* a followed program we may not read: keep what came before */
                add_stretch(res, &seg, cur == t);
                if (seg.end != SAMPLER_END_EXEC)
                        break;
                /* The same process now runs another program (execve): follow it into its
                 * Python, as a new target whose frames go on into the same session, or say
                 * that it is not Python (the caller reports what was gathered). */
                ret->execs++;
                struct target *next = NULL;
                struct launch_exit ex = { 0 };
                r = follow_exec(pid, o->child > 0,
                                o->child > 0 ? o->start_timeout : FOLLOW_TIMEOUT_S, &ex, &next);
                if (r < 0) {
                        target_free(next);
                        if ((r == -ECHILD || r == -ECANCELED) && o->child > 0) {
                                res->child_exited = true;
                                res->child_status = ex.status;
                                res->child_cpu = -1;
                        }
                        ret->exec_lost = proc_running(pid);
                        res->end = ret->exec_lost ? SAMPLER_END_EXEC : SAMPLER_END_EXITED;
                        break;
                }
                recorder_free(rec);
                rec = recorder_new(s, next);
                recorder_watch_sys(rec, &sys);
                target_free(followed);
                followed = cur = next;
        }
        if (o->child > 0 && !res->child_exited) {
                /* sampling stopped first (-d, a second Ctrl-C, or a program that is no longer
                 * Python): the program keeps its own course; its status is still ours to pass
                 * on */
                res->child_exited =
                        launch_reap(o->child, true, &res->child_status, &res->child_cpu);
        }
        if (o->child > 0) {
                /* the program's own CPU (what pyinstrument's process_time() delta counts), not
                 * that of whatever ran before it (a pyenv shim's helpers, say) */
                cpu1 = res->child_exited && res->child_cpu >= 0 ? res->child_cpu : cpu0;
        } else if (proc_cpu_time(pid, &cpu1) < 0) {
                cpu1 = cpu0;
        }
        session_set_times(s, res->start_wall, res->elapsed, cpu1 - cpu0 > 0 ? cpu1 - cpu0 : 0);
        if (prog && !ret->execs)
                (void)record_cut_to_program(s, prog, recorder_main_root(rec));
        set_meta(s, o);
        if (!o->child && proc_running(pid))
                (void)target_sys_read(followed ? followed : t, &sys); /* attach: the last word */
        env_write(s, &sys);
        target_sys_release(&sys);
        ret->child_exited = res->child_exited;
        ret->child_status = res->child_status;
        *ret_session = TAKE_PTR(s);
        return 0;
}

struct session *
record_empty(const struct record_opts *o)
{
        struct session *s = session_new();

        session_set_times(s, (double)time(NULL), 0, 0);
        set_meta(s, o);
        return s;
}

/* ---- snapshot -------------------------------------------------------------------------------- */

/* How many times a snapshot is walked again when a thread was lost to a torn read. */
#define SNAPSHOT_ATTEMPTS 50

struct snapshot {
        struct thread_stack *v; /* their frames point into @frames */
        uint32_t **frames;
        size_t n, cap, cap_frames;
};

static void
snapshot_add(const struct thread_stack *st, void *userdata)
{
        struct snapshot *s = userdata;

        xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
        xgrow(&s->frames, &s->cap_frames, s->n + 1, sizeof(*s->frames));
        s->frames[s->n] = xmemdup(st->frames, st->depth * sizeof(*st->frames) + 1);
        s->v[s->n] = *st;
        s->v[s->n].frames = s->frames[s->n];
        s->n++;
}

static void
snapshot_clear(struct snapshot *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->frames[i]);
        s->n = 0;
}

struct snapshot *
snapshot_free(struct snapshot *s)
{
        if (!s)
                return NULL;
        snapshot_clear(s);
        free(s->v);
        free(s->frames);
        free(s);
        return NULL;
}

size_t
snapshot_thread_count(const struct snapshot *s)
{
        return s->n;
}

const struct thread_stack *
snapshot_thread(const struct snapshot *s, size_t i)
{
        return &s->v[i];
}

int
record_snapshot(struct target *t, bool blocking, struct snapshot **ret)
{
        _cleanup_(snapshot_freep) struct snapshot *s = xcalloc(1, sizeof(*s));
        int r = 0;

        *ret = NULL;
        for (int attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
                uint64_t dropped = target_walk_stats(t)->dropped;
                snapshot_clear(s);
                if (blocking && (r = target_freeze(t)) < 0) {
                        (void)target_thaw(t);
                        target_release_threads(t);
                        return r;
                }
                r = target_walk(t, snapshot_add, s);
                if (blocking)
                        (void)target_thaw(t);
                if (r == -ESRCH || r == -EPERM)
                        break;
                if (r >= 0 && target_walk_stats(t)->dropped == dropped)
                        break;
                r = -EAGAIN; /* a thread was dropped as torn: take it again */
        }
        target_release_threads(t);
        if (r < 0 && r != -EAGAIN)
                return r;
        *ret = TAKE_PTR(s);
        return r < 0 ? r : 0;
}

/* How a run and a snapshot go: the sampler into a session with pyinstrument's metadata, the
 * record child's status kept whichever way sampling ended, and the retry policy for a
 * one-shot walk. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "record.h"

static void
set_meta(struct session *s, const struct record_opts *o)
{
        session_set_interval(s, o->interval, o->interval);
        session_set_target_description(s, o->description);
}

int
record_run(struct target *t,
           const struct record_opts *o,
           struct session **ret_session,
           struct record_result *ret)
{
        _cleanup_(session_freep) struct session *s = session_new();
        _cleanup_(recorder_freep) struct recorder *rec = recorder_new(s, t);
        struct sampler_opts so = {
                .interval = o->interval,
                .duration = o->duration,
                .blocking = o->blocking,
                .child = o->child,
                .stop = o->stop,
        };
        struct sampler_result *res = &ret->sampler;
        double cpu0 = 0, cpu1 = 0;
        int r;

        memset(ret, 0, sizeof(*ret));
        (void)proc_cpu_time(target_pid(t), &cpu0);
        record_environment(s, t);
        r = sampler_run(t, &so, recorder_add, rec, res);
        if (r < 0) {
                if (o->child > 0)
                        (void)kill(o->child, SIGKILL);
                return r;
        }
        if (o->child > 0 && !res->child_exited) {
                /* sampling stopped first (-d or a second Ctrl-C): the program keeps its own
                 * course; its status is still ours to pass on */
                res->child_exited =
                        launch_reap(o->child, true, &res->child_status, &res->child_cpu);
        }
        if (o->child > 0) {
                /* the program's own CPU (what pyinstrument's process_time() delta counts), not
                 * that of whatever ran before it (a pyenv shim's helpers, say) */
                cpu1 = res->child_exited && res->child_cpu >= 0 ? res->child_cpu : cpu0;
        } else if (proc_cpu_time(target_pid(t), &cpu1) < 0) {
                cpu1 = cpu0;
        }
        session_set_times(s, res->start_wall, res->elapsed, cpu1 - cpu0 > 0 ? cpu1 - cpu0 : 0);
        set_meta(s, o);
        ret->threads = recorder_thread_count(rec);
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

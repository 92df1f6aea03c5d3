/* Speedscope's events straight from the samples: the open and close of every node of the
 * timeline tree that survives remove_importlib, remove_tracebackhide,
 * merge_consecutive_self_time, remove_irrelevant_nodes and remove_unnecessary_self_time_nodes,
 * in the tree's depth-first order, with the clock renderers/speedscope.c keeps, without the tree
 * (a node and a [self] per sample run, gigabytes for a long session).
 *
 * The timeline's runs are replayed as frame-aggregate.c does: a node at stack depth d lives while
 * consecutive samples of its thread share the identifiers of depths 0..d; removed frames are left
 * out of the path (their children meet their siblings); a [self] run is what
 * merge_consecutive_self_time merges, the [self] nodes of the samples that end in the same kept
 * node with no other child of it created in between (a sample that ends in a synthetic leaf, kept
 * or not, has no [self] but does not separate them). The path holds the open runs, the [self]
 * last; the sums of kept nodes are shared by the runs that started with the same sample (a
 * group), the [self] keeps its own.
 *
 * Siblings are in time order and a node's events enclose its subtree's, so the tree's depth-first
 * order is the order runs open and close. What the processors would delete is known late:
 * remove_irrelevant_nodes deletes a node whose time stays under the threshold, which is known for
 * sure once its running sum reaches the threshold (sums only grow) or when it closes;
 * remove_unnecessary_self_time_nodes deletes a [self] that is its parent's only child once the
 * irrelevant are gone, known when another child is known to stay or when the parent closes. So
 * events go to a buffer, and leave it in order up to the first one whose node is undecided; a
 * node deleted at its close is the buffer's tail from its open on. A close's clock increments
 * (the node's absorbed time, its time when it is a synthetic leaf) are known at the close and
 * added in order when the event leaves the buffer. */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "frame.h"
#include "frame_internal.h"
#include "processor.h"
#include "tree_internal.h"

#define NONE UINT64_MAX
#define SELF_DEPTH UINT32_MAX
#define FLUSH_START 4096

static size_t flush_start = FLUSH_START;

struct ev_item {
        double absorbed, time; /* a close's clock increments; @time only when @synthetic */
        uint32_t ident;
        char type; /* 'O' or 'C' */
        bool synthetic;
};

/* An open run: a kept node of the timeline, or the [self] under the last one. */
struct ev_entry {
        uint64_t opos;    /* where its open event is in the buffer (absolute) */
        uint64_t pending; /* a [self] child that stays but is the only child known to stay */
        double pending_time;
        double absorbed;
        double time;           /* a [self]'s sum (a kept node's is its group's) */
        uint32_t ident, depth; /* depth in the stack, SELF_DEPTH for a [self] */
        uint32_t group;
        uint32_t n_kept; /* children known to survive remove_irrelevant_nodes */
        bool relevant;   /* known to survive it */
        bool is_self;
};

struct frame_events {
        struct frame_tree *t;
        bool *removed;
        uint32_t *depth_of, *thread_of;
        bool prune;
        double threshold, total;

        struct ev_entry *path;
        size_t n_path, cap_path;
        double *group_sum;
        uint32_t *group_first;
        bool *group_rel;
        size_t n_groups, cap_groups;
        uint32_t *stacks, *ids;
        size_t cap_stacks, cap_ids, n_prev;

        struct ev_item *buf;
        size_t n_buf, cap_buf, flush_at;
        uint64_t base; /* absolute position of buf[0] */
        double clock;
        frame_event_fn fn;
        void *userdata;
};

static bool
is_relevant(const struct frame_events *ev, double time)
{
        return !ev->prune || !(time / ev->total < ev->threshold);
}

static void
push_item(struct frame_events *ev, struct ev_item it)
{
        xgrow(&ev->buf, &ev->cap_buf, ev->n_buf + 1, sizeof(*ev->buf));
        ev->buf[ev->n_buf++] = it;
}

static void
truncate_to(struct frame_events *ev, uint64_t pos)
{
        /* what is deleted was never written out */
        assert(pos >= ev->base && pos <= ev->base + ev->n_buf);
        ev->n_buf = (size_t)(pos - ev->base);
}

/* Entry @i's node is known to survive remove_irrelevant_nodes. */
static void
mark_relevant(struct frame_events *ev, size_t i)
{
        struct ev_entry *e = &ev->path[i], *p;

        if (e->relevant)
                return;
        e->relevant = true;
        if (i == 0)
                return;
        p = &ev->path[i - 1];
        p->n_kept++;
        /* a [self] alone so far may be deleted at its parent's close; a second child saves it */
        p->pending = e->is_self && p->n_kept == 1 ? e->opos : NONE;
}

static void
open_entry(struct frame_events *ev, uint32_t ident, uint32_t depth, bool is_self, double time)
{
        size_t i = ev->n_path;

        xgrow(&ev->path, &ev->cap_path, i + 1, sizeof(*ev->path));
        ev->path[i] = (struct ev_entry){ .opos = ev->base + ev->n_buf,
                                         .pending = NONE,
                                         .ident = ident,
                                         .depth = depth,
                                         .group = (uint32_t)ev->n_groups,
                                         .time = time,
                                         .is_self = is_self };
        ev->n_path++;
        push_item(ev, (struct ev_item){ .ident = ident, .type = 'O' });
        /* the root is never deleted */
        if (i == 0 || !ev->prune)
                mark_relevant(ev, i);
}

static void
close_last(struct frame_events *ev)
{
        size_t i = ev->n_path - 1;
        struct ev_entry *e = &ev->path[i];
        double time = e->is_self ? e->time : ev->group_sum[e->group];

        if (!e->relevant && is_relevant(ev, time))
                mark_relevant(ev, i);
        if (!e->relevant) {
                /* remove_irrelevant_nodes: the subtree goes, its time to the parent */
                truncate_to(ev, e->opos);
                ev->path[i - 1].absorbed += time;
                ev->n_path--;
                return;
        }
        if (e->pending != NONE && e->n_kept == 1) {
                /* remove_unnecessary_self_time_nodes */
                truncate_to(ev, e->pending);
                e->absorbed += e->pending_time;
        }
        enum frame_synthetic k = ev->t->ident[e->ident].synthetic;
        push_item(ev, (struct ev_item){ .ident = e->ident,
                                        .type = 'C',
                                        .absorbed = e->absorbed,
                                        .time = time,
                                        .synthetic = k != FRAME_REAL && k != FRAME_ROOT });
        if (e->is_self && i > 0 && ev->path[i - 1].pending == e->opos)
                ev->path[i - 1].pending_time = time;
        ev->n_path--;
}

static void
emit(struct frame_events *ev, size_t n)
{
        for (size_t j = 0; j < n; j++) {
                const struct ev_item *it = &ev->buf[j];
                if (it->type == 'C') {
                        ev->clock += it->absorbed;
                        if (it->synthetic)
                                ev->clock += it->time;
                }
                ev->fn(ev->userdata, it->type, it->ident, ev->clock);
        }
        memmove(ev->buf, ev->buf + n, (ev->n_buf - n) * sizeof(*ev->buf));
        ev->n_buf -= n;
        ev->base += n;
}

/* Write out the events that are sure to stay. */
static void
flush(struct frame_events *ev)
{
        uint64_t limit = ev->base + ev->n_buf;

        for (size_t g = 0; g < ev->n_groups; g++) {
                if (ev->group_rel[g] || !is_relevant(ev, ev->group_sum[g]))
                        continue;
                size_t end = g + 1 < ev->n_groups ? ev->group_first[g + 1] : ev->n_path;
                for (size_t i = ev->group_first[g]; i < end; i++)
                        if (!ev->path[i].is_self)
                                mark_relevant(ev, i);
                ev->group_rel[g] = true;
        }
        if (ev->n_path && ev->path[ev->n_path - 1].is_self &&
            is_relevant(ev, ev->path[ev->n_path - 1].time))
                mark_relevant(ev, ev->n_path - 1);
        for (size_t i = 0; i < ev->n_path; i++) {
                if (!ev->path[i].relevant) {
                        limit = ev->path[i].opos;
                        break;
                }
                if (ev->path[i].pending != NONE) {
                        limit = ev->path[i].pending;
                        break;
                }
        }
        emit(ev, (size_t)(limit - ev->base));
        if (ev->n_buf * 2 > ev->flush_at)
                ev->flush_at *= 2;
}

/* One sample of weight @w: ev->ids [0, depth) its identifiers, root first, the first @common
 * the previous sample's. */
static void
add_sample(struct frame_events *ev, size_t depth, size_t common, double w)
{
        const struct frame_tree *t = ev->t;
        size_t n = ev->n_path, k, start;
        bool had_self = n && ev->path[n - 1].is_self, any_new = false, self_open;
        enum frame_synthetic kind = t->ident[ev->ids[depth - 1]].synthetic;
        bool has_self = kind == FRAME_REAL || kind == FRAME_ROOT;

        k = n - had_self;
        while (k > 0 && ev->path[k - 1].depth >= common)
                k--;
        start = k ? ev->path[k - 1].depth + 1 : 0;
        for (size_t d = start; d < depth && !any_new; d++)
                any_new = d == 0 || !ev->removed[ev->ids[d]];
        /* the [self] run goes on while the samples end in the same kept node */
        self_open = had_self && k == n - 1 && !any_new;
        if (!self_open) {
                while (ev->n_path > k)
                        close_last(ev);
                while (ev->n_groups && ev->group_first[ev->n_groups - 1] >= k)
                        ev->n_groups--;
        }
        for (size_t g = 0; g < ev->n_groups; g++)
                ev->group_sum[g] += w;
        size_t first_new = ev->n_path;
        for (size_t d = start; any_new && d < depth; d++)
                if (d == 0 || !ev->removed[ev->ids[d]])
                        open_entry(ev, ev->ids[d], (uint32_t)d, false, 0.0);
        if (ev->n_path > first_new) {
                size_t g = ev->n_groups;
                xgrow(&ev->group_sum, &ev->cap_groups, g + 1, sizeof(*ev->group_sum));
                ev->group_first = xrealloc(ev->group_first, ev->cap_groups * sizeof(uint32_t));
                ev->group_rel = xrealloc(ev->group_rel, ev->cap_groups * sizeof(bool));
                ev->group_sum[g] = 0.0;
                ev->group_sum[g] += w;
                ev->group_first[g] = (uint32_t)first_new;
                ev->group_rel[g] = false;
                ev->n_groups++;
        }
        if (self_open && has_self)
                ev->path[ev->n_path - 1].time += w;
        else if (has_self)
                open_entry(ev, t->self_ident, SELF_DEPTH, true, w);
        if (ev->n_buf >= ev->flush_at)
                flush(ev);
}

void
frame_events_set_flush(size_t n)
{
        flush_start = n ? n : FLUSH_START;
}

int
frame_events_new(struct frame_tree *t, bool show_all, double threshold, struct frame_events **ret)
{
        const struct session *s = t->session;
        const uint32_t *threads;
        size_t n_threads = frame_tree_threads(t, &threads);
        _cleanup_free_ bool *removed = xcalloc(t->idents.n + 1, sizeof(bool));

        /* a frame named [self] or [root] would meet the synthetic nodes of the same name */
        for (size_t i = 0; i < t->n_infos; i++)
                if (t->info_ident[i] == t->self_ident || t->info_ident[i] == t->root_ident)
                        return -EOPNOTSUPP;
        /* a run's sum must only grow */
        for (size_t i = 0; i < s->n_samples; i++)
                if (s->sample_stack[i] != SESSION_NO_STACK &&
                    !(s->sample_weight[i] >= 0 && isfinite(s->sample_weight[i])))
                        return -EOPNOTSUPP;
        for (size_t i = 0; i < n_threads; i++) {
                const struct frame_ident *fi = &t->ident[threads[i]];
                /* Session._trim_stem() looks at the timeline's shape */
                if (s->n_start_call_stack && t->info_ident[s->start_call_stack[0]] == threads[i])
                        return -EOPNOTSUPP;
                /* remove_first_pyinstrument_frames_processor looks at the root's file */
                if (fi->file && strstr(fi->file, "pyinstrument"))
                        return -EOPNOTSUPP;
        }
        if (!show_all) {
                for (size_t i = 0; i < t->idents.n; i++)
                        removed[i] = processor_ident_is_importlib(&t->ident[i]);
                if (!frame_hidden_idents(t, removed))
                        return -EOPNOTSUPP;
        }

        struct frame_events *ev = xcalloc(1, sizeof(*ev));
        ev->t = t;
        ev->removed = TAKE_PTR(removed);
        ev->prune = !show_all;
        ev->threshold = threshold;
        ev->depth_of = xmalloc((s->n_stacks + 1) * sizeof(*ev->depth_of));
        ev->thread_of = xmalloc((s->n_stacks + 1) * sizeof(*ev->thread_of));
        for (size_t i = 0; i < s->n_stacks; i++) {
                uint32_t p = s->stacks[i].parent;
                ev->depth_of[i] = p == SESSION_NO_STACK ? 1 : ev->depth_of[p] + 1;
                ev->thread_of[i] = p == SESSION_NO_STACK ? t->info_ident[s->stacks[i].frame]
                                                         : ev->thread_of[p];
        }
        *ret = ev;
        return 0;
}

struct frame_events *
frame_events_free(struct frame_events *ev)
{
        if (!ev)
                return NULL;
        free(ev->removed);
        free(ev->depth_of);
        free(ev->thread_of);
        free(ev->path);
        free(ev->group_sum);
        free(ev->group_first);
        free(ev->group_rel);
        free(ev->stacks);
        free(ev->ids);
        free(ev->buf);
        free(ev);
        return NULL;
}

void
frame_events_run(struct frame_events *ev, uint32_t thread, frame_event_fn fn, void *userdata)
{
        const struct frame_tree *t = ev->t;
        const struct session *s = t->session;
        double total = 0.0;
        bool any = false;

        /* the root's time, as frame_tree_build() sums it */
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                if (st == SESSION_NO_STACK || (thread != UINT32_MAX && ev->thread_of[st] != thread))
                        continue;
                total += s->sample_weight[i];
                any = true;
        }
        if (!any)
                return;
        ev->total = total > 0 ? total : 1e-44;
        ev->fn = fn;
        ev->userdata = userdata;
        ev->clock = 0.0;
        ev->n_path = ev->n_groups = ev->n_buf = ev->n_prev = 0;
        ev->base = 0;
        ev->flush_at = flush_start;
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];

                if (st == SESSION_NO_STACK || (thread != UINT32_MAX && ev->thread_of[st] != thread))
                        continue;
                size_t depth = ev->depth_of[st], d = depth, common = MIN(depth, ev->n_prev);

                xgrow(&ev->stacks, &ev->cap_stacks, depth, sizeof(*ev->stacks));
                xgrow(&ev->ids, &ev->cap_ids, depth, sizeof(*ev->ids));
                /* leaf first, up to a stack the previous sample had at the same depth */
                for (uint32_t x = st; x != SESSION_NO_STACK; x = s->stacks[x].parent) {
                        d--;
                        if (d < ev->n_prev && ev->stacks[d] == x)
                                break;
                        uint32_t ident = t->info_ident[s->stacks[x].frame];
                        if (d >= ev->n_prev || ev->ids[d] != ident)
                                common = MIN(common, d);
                        ev->stacks[d] = x;
                        ev->ids[d] = ident;
                }
                ev->n_prev = depth;
                add_sample(ev, depth, common, s->sample_weight[i]);
        }
        while (ev->n_path)
                close_last(ev);
        ev->n_groups = 0;
        emit(ev, ev->n_buf);
}

/* The aggregated frame tree built straight from the samples: what frame_tree_build() followed
 * by remove_importlib, remove_tracebackhide, merge_consecutive_self_time and
 * aggregate_repeated_calls gives, without the timeline tree in between (a node and a [self] per
 * sample run, about 300 bytes a sample). Each sample's stack is inserted into a trie keyed by
 * identifier paths.
 *
 * Sums must match the timeline's to the last bit, so the timeline's runs are replayed: a
 * timeline node at depth d lives while consecutive samples of its thread share the identifiers
 * of depths 1..d; its time is 0 + w1 + w2 + ... over that run, and aggregation adds the runs
 * into the first one in time order. An aggregated node therefore keeps the folded sum of its
 * finished runs and the sum of the open one, and so does each of its attributes. A [self] run
 * is what merge_consecutive_self_time merges: consecutive samples that end in the same timeline
 * node once removed frames are spliced out. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "frame.h"
#include "frame_internal.h"
#include "tree_internal.h"

#define NO_NODE UINT32_MAX
#define ATTR_SCAN 8
#define CHILD_SCAN 8
#define ATTR_TABLE_KEYS 4096

struct attr_run {
        uint32_t key;
        uint32_t stamp; /* the node's run this attribute's open sum belongs to */
        double time;    /* finished runs, folded; meaningful when @has */
        double run;
        bool has;
};

struct agg {
        struct frame *f;
        uint32_t stamp; /* runs started: 0 = none yet */
        double time, run;
        bool has;
        struct attr_run *ar; /* in order of first observation, as the timeline's dicts */
        uint32_t n_ar;
        size_t cap_ar;
        uint32_t *slot; /* with many attributes: key → index in @ar + 1, see attr_find() */
        uint32_t self;  /* the [self] child, or NO_NODE: every sample looks for one */
        uint32_t ident, first_child, next_sibling, n_children;
};

struct aggregator {
        struct frame_tree *t;
        const bool *removed; /* per identifier: spliced out */
        struct agg *nodes;
        size_t n_nodes, cap_nodes;
        struct u64map children; /* (parent + 1) << 32 | ident → node */
        struct u64map attrs;    /* (node + 1) << 32 | key → index in the node's @ar */
        size_t n_keys;          /* attribute keys of the tree */
        uint32_t *depth_of;     /* per session stack: frames in it */
        /* the current sample, root first: stack ids, identifiers, frames; the previous
         * sample's until overwritten, so that a shared stack prefix is not walked again */
        uint32_t *stacks, *ids, *infos;
        size_t cap_stacks, cap_ids, cap_infos, n_prev;
        /* the sample's path once removed frames are left out: node, depth in the stack, the
         * frame whose single attribute's index in the node is @path_slot, the frame that
         * started the node's run, the run's group, and whether its attributes still mirror
         * the run (see add_sample()) */
        uint32_t *path, *path_depth, *path_info, *path_slot, *path_cinfo, *path_group;
        bool *path_mirror;
        size_t cap_path, n_path;
        uint32_t *eager; /* the path positions that do not mirror, in no order */
        size_t n_eager, cap_eager;
        /* the open runs' sums, one per sample that started runs still open, and the first path
         * position each covers */
        double *group_sum;
        uint32_t *group_first;
        size_t n_groups, cap_groups;
        uint32_t prev_self; /* the [self] node the previous sample ended in, or NO_NODE */
};

static uint32_t
node_new(struct aggregator *a, uint32_t parent, uint32_t ident)
{
        struct frame *f = frame_alloc(a->t, ident);

        if (parent != NO_NODE) {
                frame_add_child(a->t, a->nodes[parent].f, f);
                u64map_put(&a->children, ((uint64_t)parent + 1) << 32 | ident, a->n_nodes);
        }
        xgrow(&a->nodes, &a->cap_nodes, a->n_nodes + 1, sizeof(*a->nodes));
        a->nodes[a->n_nodes] = (struct agg){ .f = f,
                                             .self = NO_NODE,
                                             .ident = ident,
                                             .first_child = NO_NODE,
                                             .next_sibling = NO_NODE };
        if (parent != NO_NODE) {
                struct agg *p = &a->nodes[parent];
                a->nodes[a->n_nodes].next_sibling = p->first_child;
                p->first_child = (uint32_t)a->n_nodes;
                p->n_children++;
        }
        return (uint32_t)a->n_nodes++;
}

static uint32_t
child_of(struct aggregator *a, uint32_t parent, uint32_t ident)
{
        uint64_t v;

        /* a few children are scanned (most nodes have one or two), many hashed */
        if (a->nodes[parent].n_children <= CHILD_SCAN) {
                for (uint32_t c = a->nodes[parent].first_child; c != NO_NODE;
                     c = a->nodes[c].next_sibling)
                        if (a->nodes[c].ident == ident)
                                return c;
        } else if (u64map_get(&a->children, ((uint64_t)parent + 1) << 32 | ident, &v)) {
                return (uint32_t)v;
        }
        return node_new(a, parent, ident);
}

/* survivor.time += run, or the run itself when it is the first */
static void
fold(double *time, bool *has, double run)
{
        *time = *has ? *time + run : run;
        *has = true;
}

/* Start a new timeline run of @n (the timeline's f->time starts at 0). */
static void
run_start(struct agg *n, double initial)
{
        if (n->stamp)
                fold(&n->time, &n->has, n->run);
        n->stamp++;
        n->run = initial;
}

static uint32_t
attr_find(struct aggregator *a, uint32_t node, uint32_t key)
{
        struct agg *n = &a->nodes[node];
        uint64_t v;

        /* most nodes have an attribute or two; a leaf whose line varies has dozens, found
         * through a table by key (a map when the session has many keys) once there are
         * ATTR_SCAN of them */
        if (n->n_ar < ATTR_SCAN) {
                for (uint32_t i = 0; i < n->n_ar; i++)
                        if (n->ar[i].key == key)
                                return i;
        } else if (n->slot) {
                if (n->slot[key])
                        return n->slot[key] - 1;
        } else if (u64map_get(&a->attrs, ((uint64_t)node + 1) << 32 | key, &v)) {
                return (uint32_t)v;
        }
        xgrow(&n->ar, &n->cap_ar, n->n_ar + 1, sizeof(*n->ar));
        n->ar[n->n_ar++] = (struct attr_run){ .key = key };
        if (n->n_ar == ATTR_SCAN && a->n_keys <= ATTR_TABLE_KEYS)
                n->slot = xcalloc(a->n_keys, sizeof(*n->slot));
        for (uint32_t i = n->n_ar == ATTR_SCAN ? 0 : n->n_ar - 1; n->n_ar >= ATTR_SCAN && i < n->n_ar;
             i++) {
                if (n->slot)
                        n->slot[n->ar[i].key] = i + 1;
                else
                        u64map_put(&a->attrs, ((uint64_t)node + 1) << 32 | n->ar[i].key, i);
        }
        return n->n_ar - 1;
}

/* frame_add_attr() on the open run of @n: appended with @time, or added */
static void
attr_touch(struct agg *n, struct attr_run *r, double time)
{
        if (r->stamp == n->stamp) {
                r->run += time;
                return;
        }
        if (r->stamp)
                fold(&r->time, &r->has, r->run);
        r->stamp = n->stamp;
        r->run = time;
}

static void
attr_add(struct aggregator *a, uint32_t node, uint32_t key, double time)
{
        uint32_t i = attr_find(a, node, key);

        attr_touch(&a->nodes[node], &a->nodes[node].ar[i], time);
}

/* The frame's attribute keys are distinct: then each one's run sum is the node's, as long as
 * the frame stays the same (both start at 0 and add the same weights). */
static bool
attrs_mirror(const struct frame_tree *t, uint32_t info)
{
        const uint32_t *keys = frame_tree_info_keys(t, info);
        uint32_t n = t->info_attr_n[info];

        if (n > 8)
                return false;
        for (uint32_t i = 0; i < n; i++)
                for (uint32_t j = i + 1; j < n; j++)
                        if (keys[i] == keys[j])
                                return false;
        return true;
}

/* Path position @i's attributes stop mirroring its run: give them the run's sum so far. */
static void
mirror_end(struct aggregator *a, size_t i)
{
        const struct frame_tree *t = a->t;
        struct agg *n = &a->nodes[a->path[i]];
        uint32_t info = a->path_cinfo[i];
        const uint32_t *keys = frame_tree_info_keys(t, info);

        for (uint32_t j = 0; j < t->info_attr_n[info]; j++)
                n->ar[attr_find(a, a->path[i], keys[j])].run = a->group_sum[a->path_group[i]];
        a->path_mirror[i] = false;
        a->path_info[i] = UINT32_MAX;
        xgrow(&a->eager, &a->cap_eager, a->n_eager + 1, sizeof(*a->eager));
        a->eager[a->n_eager++] = (uint32_t)i;
}

/* Path position @i's run ends: its sum goes to the node. */
static void
run_end(struct aggregator *a, size_t i)
{
        if (a->path_mirror[i])
                mirror_end(a, i);
        a->nodes[a->path[i]].run = a->group_sum[a->path_group[i]];
}

static void
path_reserve(struct aggregator *a, size_t n)
{
        if (n <= a->cap_path)
                return;
        xgrow(&a->path, &a->cap_path, n, sizeof(*a->path));
        a->path_depth = xrealloc(a->path_depth, a->cap_path * sizeof(*a->path_depth));
        a->path_info = xrealloc(a->path_info, a->cap_path * sizeof(*a->path_info));
        a->path_slot = xrealloc(a->path_slot, a->cap_path * sizeof(*a->path_slot));
        a->path_cinfo = xrealloc(a->path_cinfo, a->cap_path * sizeof(*a->path_cinfo));
        a->path_group = xrealloc(a->path_group, a->cap_path * sizeof(*a->path_group));
        a->path_mirror = xrealloc(a->path_mirror, a->cap_path * sizeof(*a->path_mirror));
}

/* One sample of weight @w whose stack, identifiers and frames (root first) are in a->stacks,
 * a->ids and a->infos [0, depth), the first @common identifiers the previous sample's and the
 * frames above @walked too.
 *
 * The nodes on the path whose runs started with the same sample have the same run sum, so
 * they share one (a group): a sample adds its weight to a few groups instead of to every
 * node. A node's attributes share it too while its frame is the one that started the run;
 * after that (a leaf whose line changes) they are added to one by one. */
static void
add_sample(struct aggregator *a, uint32_t root, size_t depth, size_t common, size_t walked,
           double w)
{
        struct frame_tree *t = a->t;
        size_t k = 0;
        uint32_t parent = NO_NODE;

        /* the path kept from the previous sample: the nodes whose depth carries on (most of
         * it, so counted from the end) */
        k = a->n_path;
        while (k > 0 && a->path_depth[k - 1] >= common)
                k--;
        for (size_t i = k; i < a->n_path; i++)
                run_end(a, i);
        while (a->n_groups && a->group_first[a->n_groups - 1] >= k)
                a->n_groups--;
        for (size_t j = 0; j < a->n_eager;)
                if (a->eager[j] >= k)
                        a->eager[j] = a->eager[--a->n_eager];
                else
                        j++;
        for (size_t i = k; i-- > 0 && a->path_depth[i] >= walked;)
                if (a->path_mirror[i] && a->infos[a->path_depth[i]] != a->path_cinfo[i])
                        mirror_end(a, i);
        for (size_t j = 0; j < a->n_groups; j++)
                a->group_sum[j] += w;
        for (size_t e = 0; e < a->n_eager; e++) {
                size_t i = a->eager[e];
                struct agg *n = &a->nodes[a->path[i]];
                uint32_t info = a->infos[a->path_depth[i]];

                /* the same frame at the same place reuses its attribute */
                if (info == a->path_info[i]) {
                        attr_touch(n, &n->ar[a->path_slot[i]], w);
                        continue;
                }
                const uint32_t *keys = frame_tree_info_keys(t, info);
                if (t->info_attr_n[info] == 1) {
                        a->path_info[i] = info;
                        a->path_slot[i] = attr_find(a, a->path[i], keys[0]);
                        attr_touch(&a->nodes[a->path[i]],
                                   &a->nodes[a->path[i]].ar[a->path_slot[i]], w);
                        continue;
                }
                for (uint32_t j = 0; j < t->info_attr_n[info]; j++)
                        attr_add(a, a->path[i], keys[j], w);
        }
        if (k)
                parent = a->path[k - 1];
        a->n_path = k;
        for (size_t d = k ? a->path_depth[k - 1] + 1 : 0; d < depth; d++) {
                uint32_t info = a->infos[d], ident = a->ids[d], node;
                const uint32_t *keys = frame_tree_info_keys(t, info);
                size_t i = a->n_path;

                /* the thread root stays: processor_replace_matching() never replaces the root */
                if (d > 0 && a->removed[ident])
                        continue;
                node = d == 0 ? root : child_of(a, parent, ident);
                /* depths below @common were all kept: this is a new timeline node */
                run_start(&a->nodes[node], 0.0);
                path_reserve(a, i + 1);
                a->path[i] = node;
                a->path_depth[i] = (uint32_t)d;
                a->path_info[i] = UINT32_MAX;
                a->path_cinfo[i] = info;
                a->path_group[i] = (uint32_t)a->n_groups;
                a->path_mirror[i] = attrs_mirror(t, info);
                if (a->path_mirror[i]) {
                        /* open the attributes' runs; their sums come from the group */
                        for (uint32_t j = 0; j < t->info_attr_n[info]; j++)
                                attr_add(a, node, keys[j], 0.0);
                } else {
                        /* Frame(info) records its attributes with time 0 first */
                        for (uint32_t j = 0; j < t->info_attr_n[info]; j++)
                                attr_add(a, node, keys[j], 0.0);
                        for (uint32_t j = 0; j < t->info_attr_n[info]; j++)
                                attr_add(a, node, keys[j], w);
                        xgrow(&a->eager, &a->cap_eager, a->n_eager + 1, sizeof(*a->eager));
                        a->eager[a->n_eager++] = (uint32_t)i;
                }
                a->n_path++;
                parent = node;
        }
        if (a->n_path > k) {
                xgrow(&a->group_sum, &a->cap_groups, a->n_groups + 1, sizeof(*a->group_sum));
                a->group_first = xrealloc(a->group_first, a->cap_groups * sizeof(*a->group_first));
                a->group_sum[a->n_groups] = 0.0;
                a->group_sum[a->n_groups] += w;
                a->group_first[a->n_groups++] = (uint32_t)k;
        }

        /* a [self] per sample, unless the leaf is synthetic; consecutive ones merge when they
         * hang from the same timeline node */
        enum frame_synthetic kind = t->ident[a->ids[depth - 1]].synthetic;
        if (kind == FRAME_REAL || kind == FRAME_ROOT) {
                uint32_t leaf = a->path[a->n_path - 1];
                uint32_t self = a->nodes[leaf].self;

                if (self == NO_NODE) {
                        self = child_of(a, leaf, t->self_ident);
                        a->nodes[leaf].self = self;
                }
                if (self == a->prev_self && a->path_depth[a->n_path - 1] < common)
                        a->nodes[self].run += w;
                else
                        run_start(&a->nodes[self], w);
                a->prev_self = self;
        } else {
                a->prev_self = NO_NODE;
        }
}

/* The thread's samples (all samples when @thread is UINT32_MAX) into a new subtree. */
static uint32_t
build_thread(struct aggregator *a, const uint32_t *thread_of, uint32_t thread)
{
        const struct session *s = a->t->session;
        uint32_t root = NO_NODE;

        a->n_prev = a->n_path = 0;
        a->prev_self = NO_NODE;
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];

                if (st == SESSION_NO_STACK || (thread != UINT32_MAX && thread_of[st] != thread))
                        continue;
                size_t depth = a->depth_of[st], d = depth, common = MIN(depth, a->n_prev);
                size_t walked = depth;

                xgrow(&a->stacks, &a->cap_stacks, depth, sizeof(*a->stacks));
                xgrow(&a->ids, &a->cap_ids, depth, sizeof(*a->ids));
                xgrow(&a->infos, &a->cap_infos, depth, sizeof(*a->infos));
                /* leaf first, up to a stack the previous sample had at the same depth: above it
                 * everything is the same */
                for (uint32_t x = st; x != SESSION_NO_STACK; x = s->stacks[x].parent) {
                        d--;
                        if (d < a->n_prev && a->stacks[d] == x)
                                break;
                        uint32_t ident = a->t->info_ident[s->stacks[x].frame];
                        if (d >= a->n_prev || a->ids[d] != ident)
                                common = MIN(common, d);
                        walked = d;
                        a->stacks[d] = x;
                        a->ids[d] = ident;
                        a->infos[d] = s->stacks[x].frame;
                }
                a->n_prev = depth;
                if (root == NO_NODE)
                        root = node_new(a, NO_NODE, a->ids[0]);
                add_sample(a, root, depth, common, walked, s->sample_weight[i]);
        }
        for (size_t i = 0; i < a->n_path; i++)
                run_end(a, i);
        a->n_path = a->n_groups = a->n_eager = 0;
        return root;
}

static void
finish(struct aggregator *a)
{
        _cleanup_free_ struct frame **tmp = NULL;
        size_t cap = 0;

        for (size_t i = 0; i < a->n_nodes; i++) {
                struct agg *n = &a->nodes[i];

                if (n->stamp)
                        fold(&n->time, &n->has, n->run);
                n->f->time = n->time;
                for (uint32_t j = 0; j < n->n_ar; j++) {
                        struct attr_run *r = &n->ar[j];
                        if (r->stamp)
                                fold(&r->time, &r->has, r->run);
                        frame_add_attr(a->t, n->f, r->key, r->time);
                }
                free(n->ar);
                free(n->slot);
        }
        /* children are created after their parents: sort once every time is final */
        for (size_t i = 0; i < a->n_nodes; i++) {
                struct frame *f = a->nodes[i].f;
                xgrow(&tmp, &cap, f->n_children, sizeof(*tmp));
                frame_sort_by_time(f->children, tmp, f->n_children);
        }
}

/* How remove_tracebackhide treats each identifier: a timeline node hides when its most
 * observed 'h' attribute is "h1", which depends on times when the identifier's frames
 * disagree. Returns false for such a session. */
bool
frame_hidden_idents(const struct frame_tree *t, bool *removed)
{
        size_t n = t->idents.n;
        _cleanup_free_ uint8_t *state = xcalloc(n + 1, 1); /* bit 0: some hide, bit 1: some not */
        uint32_t h1 = strtab_find(&t->attr_keys, "h1", 2);

        if (h1 == UINT32_MAX)
                return true;
        for (size_t i = 0; i < t->n_infos; i++) {
                const uint32_t *keys = frame_tree_info_keys(t, (uint32_t)i);
                bool has_h1 = false, other_h = false;

                for (uint32_t j = 0; j < t->info_attr_n[i]; j++) {
                        if (keys[j] == h1)
                                has_h1 = true;
                        else if (t->attr_keys.v[keys[j]].str[0] == 'h')
                                other_h = true;
                }
                state[t->info_ident[i]] |= has_h1 && !other_h ? 1 : 2;
                if (has_h1 && other_h)
                        state[t->info_ident[i]] |= 3;
        }
        for (size_t i = 0; i < n; i++) {
                if (state[i] == 3)
                        return false;
                if (state[i] == 1)
                        removed[i] = true;
        }
        return true;
}

int
frame_tree_build_aggregated(struct frame_tree *t,
                            uint32_t thread,
                            bool (*remove)(const struct frame_ident *fi),
                            bool remove_hidden,
                            struct frame **ret_root)
{
        const struct session *s = t->session;
        _cleanup_free_ uint32_t *thread_of = NULL, *first = NULL;
        _cleanup_free_ bool *removed = xcalloc(t->idents.n + 1, sizeof(bool));
        const uint32_t *threads;
        size_t n_threads = frame_tree_threads(t, &threads), n_first = 0;
        struct aggregator a = { .t = t, .removed = removed };
        struct frame *root = NULL;

        /* a frame named [self] or [root] would meet the synthetic nodes of the same name */
        for (size_t i = 0; i < t->n_infos; i++)
                if (t->info_ident[i] == t->self_ident || t->info_ident[i] == t->root_ident)
                        return -EOPNOTSUPP;
        for (size_t i = 0; remove && i < t->idents.n; i++)
                removed[i] = remove(&t->ident[i]);
        if (remove_hidden && !frame_hidden_idents(t, removed))
                return -EOPNOTSUPP;

        /* the threads to build, in the order frame_tree_build() puts them */
        first = xmalloc((n_threads + 1) * sizeof(*first));
        if (thread != UINT32_MAX || n_threads <= 1) {
                first[n_first++] = thread;
        } else {
                struct u64map seen;
                uint64_t v;

                thread_of = xmalloc((s->n_stacks + 1) * sizeof(*thread_of));
                for (size_t i = 0; i < s->n_stacks; i++) {
                        uint32_t p = s->stacks[i].parent;
                        thread_of[i] = p == SESSION_NO_STACK ? t->info_ident[s->stacks[i].frame]
                                                             : thread_of[p];
                }
                u64map_init(&seen);
                for (size_t i = 0; i < s->n_samples && n_first < n_threads; i++) {
                        uint32_t st = s->sample_stack[i];
                        if (st == SESSION_NO_STACK ||
                            u64map_get(&seen, (uint64_t)thread_of[st] + 1, &v))
                                continue;
                        u64map_put(&seen, (uint64_t)thread_of[st] + 1, 1);
                        first[n_first++] = thread_of[st];
                }
                u64map_release(&seen);
        }
        for (size_t i = 0; i < n_first; i++) {
                uint32_t ident = first[i] != UINT32_MAX ? first[i] : n_threads ? threads[0] : 0;
                /* Session._trim_stem() looks at the timeline's shape: left to it */
                if (n_threads && s->n_start_call_stack &&
                    t->info_ident[s->start_call_stack[0]] == ident)
                        return -EOPNOTSUPP;
                /* under a [root], a thread root is a child that remove_importlib may splice */
                if (n_first > 1 && removed[ident])
                        return -EOPNOTSUPP;
        }
        if (!thread_of && thread != UINT32_MAX) {
                thread_of = xmalloc((s->n_stacks + 1) * sizeof(*thread_of));
                for (size_t i = 0; i < s->n_stacks; i++) {
                        uint32_t p = s->stacks[i].parent;
                        thread_of[i] = p == SESSION_NO_STACK ? t->info_ident[s->stacks[i].frame]
                                                             : thread_of[p];
                }
        }

        u64map_init(&a.children);
        u64map_init(&a.attrs);
        a.n_keys = t->attr_keys.n;
        a.depth_of = xmalloc((s->n_stacks + 1) * sizeof(*a.depth_of));
        for (size_t i = 0; i < s->n_stacks; i++) {
                uint32_t p = s->stacks[i].parent;
                a.depth_of[i] = p == SESSION_NO_STACK ? 1 : a.depth_of[p] + 1;
        }
        uint32_t *roots = xmalloc((n_first + 1) * sizeof(*roots));
        for (size_t i = 0; i < n_first; i++)
                roots[i] = build_thread(&a, thread_of, first[i]);
        finish(&a);
        if (n_first == 1) {
                root = roots[0] == NO_NODE ? NULL : a.nodes[roots[0]].f;
        } else {
                /* several threads: a [root] above them, as frame_tree_build() */
                root = frame_alloc(t, t->root_ident);
                for (size_t i = 0; i < n_first; i++) {
                        if (roots[i] == NO_NODE)
                                continue;
                        root->time += a.nodes[roots[i]].f->time;
                        frame_add_child(t, root, a.nodes[roots[i]].f);
                }
                _cleanup_free_ struct frame **tmp = xmalloc((root->n_children + 1) * sizeof(*tmp));
                frame_sort_by_time(root->children, tmp, root->n_children);
        }
        free(roots);
        u64map_release(&a.children);
        u64map_release(&a.attrs);
        free(a.nodes);
        free(a.depth_of);
        free(a.stacks);
        free(a.ids);
        free(a.infos);
        free(a.path);
        free(a.path_depth);
        free(a.path_info);
        free(a.path_slot);
        free(a.path_cinfo);
        free(a.path_group);
        free(a.path_mirror);
        free(a.group_sum);
        free(a.eager);
        free(a.group_first);
        *ret_root = root;
        return 0;
}

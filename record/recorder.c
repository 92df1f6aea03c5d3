/* From walked stacks to a session: each thread gets pyinstrument's <thread> root, each target
 * frame id is interned once into the session, and consecutive samples of a thread share the
 * stack prefix they have in common (found by comparing frame ids, without hashing). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/u64map.h"
#include "common/xalloc.h"
#include "internal.h"

struct thread_path {
        uint64_t key;
        uint32_t root; /* session stack id of the <thread> root */
        bool named;    /* root named for good (else retried: see recorder_add()) */
        bool is_main;  /* the interpreter's main thread */
        uint32_t samples, retry_at;
        uint32_t depth, cap;
        uint32_t *frames;    /* target frame ids of the previous sample */
        uint32_t *stacks;    /* their session stack ids */
        uint32_t *old_roots; /* the roots it had before its name was known */
        size_t n_old, cap_old;
};

struct recorder {
        struct session *s;
        struct target *t;
        uint32_t *frame_map; /* target frame id → session frame id (UINT32_MAX unset) */
        size_t map_len;
        struct thread_path *threads;
        size_t n_threads, cap_threads;
        struct u64map thread_index; /* thread_stack_key() → index in threads */
        struct target_sys *sys;     /* re-read now and then (sys_due()) */
        uint64_t samples;
        double sys_at; /* when it was last read (mono_s()) */
};

/* The most time between two reads of the target's sys.path and prefixes once started. */
#define SYS_REREAD_S 0.05

void
recorder_watch_sys(struct recorder *r, struct target_sys *sys)
{
        r->sys = sys;
        r->samples = 0;
        r->sys_at = 0;
}

/* Whether to read sys.path and the prefixes again at this sample: at the 1st, 2nd, 4th ...
 * 32nd (start-up: site adds site-packages, and a venv's sys.prefix), then every SYS_REREAD_S
 * (looked at every 16th sample). pyinstrument records them when the program ends, and a
 * program may add to sys.path at any time (a plugin folder it imports from): only a change in
 * its last SYS_REREAD_S is missed. A read costs tens of microseconds: at most 20 a second. */
static bool
sys_due(struct recorder *r)
{
        if (++r->samples < 64)
                return (r->samples & (r->samples - 1)) == 0;
        return (r->samples & 15) == 0 && mono_s() - r->sys_at >= SYS_REREAD_S;
}

struct recorder *
recorder_new(struct session *s, struct target *t)
{
        struct recorder *r = xcalloc(1, sizeof(*r));

        u64map_init(&r->thread_index);
        r->s = s;
        r->t = t;
        return r;
}

struct recorder *
recorder_free(struct recorder *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_threads; i++) {
                free(r->threads[i].frames);
                free(r->threads[i].stacks);
                free(r->threads[i].old_roots);
        }
        free(r->threads);
        u64map_release(&r->thread_index);
        free(r->frame_map);
        free(r);
        return NULL;
}

size_t
recorder_thread_count(const struct recorder *r)
{
        return r->n_threads;
}

int
record_thread_name(struct target *t, const struct thread_stack *st, char *buf, size_t len)
{
        if (st->is_main) {
                snprintf(buf, len, "MainThread");
                return 0;
        }
        if (target_thread_name(t, st->ident, st->tid, buf, len) == 0)
                return 0;
        if (proc_thread_name(target_pid(t), st->tid, buf, len) == 0)
                return -EAGAIN;
        snprintf(buf, len, "Thread-%d", (int)st->tid);
        return -ENOENT;
}

static uint32_t
map_frame(struct recorder *r, uint32_t id)
{
        if (id >= r->map_len) {
                size_t old = r->map_len, n = MAX((size_t)id + 1, old * 2);
                r->frame_map = xrealloc(r->frame_map, n * sizeof(*r->frame_map));
                memset(r->frame_map + old, 0xff, (n - old) * sizeof(*r->frame_map));
                r->map_len = n;
        }
        if (r->frame_map[id] == UINT32_MAX) {
                size_t len;
                const char *info = target_frame_info(r->t, id, &len);
                r->frame_map[id] = session_frame(r->s, info, len);
        }
        return r->frame_map[id];
}

/* pyinstrument's thread root: name \0 "<thread>" \0 threading.get_ident() */
static uint32_t
thread_root(struct recorder *r, const struct thread_stack *st, bool *ret_named)
{
        char name[256], info[320];
        int n;

        *ret_named = record_thread_name(r->t, st, name, sizeof(name)) == 0;
        n = snprintf(info, sizeof(info), "%s%c<thread>%c%llu", name, 0, 0,
                     (unsigned long long)st->ident);
        if (n >= (int)sizeof(info))
                n = (int)sizeof(info) - 1;
        return session_stack(r->s, SESSION_NO_STACK, session_frame(r->s, info, (size_t)n));
}

static struct thread_path *
thread_path(struct recorder *r, const struct thread_stack *st)
{
        /* one path per OS thread; threads that get the same root (name and ident) share it */
        uint64_t key = thread_stack_key(st), pos;

        if (u64map_get(&r->thread_index, key, &pos))
                return &r->threads[pos];
        u64map_put(&r->thread_index, key, r->n_threads);
        xgrow(&r->threads, &r->cap_threads, r->n_threads + 1, sizeof(*r->threads));
        struct thread_path *p = &r->threads[r->n_threads++];
        memset(p, 0, sizeof(*p));
        p->key = key;
        p->is_main = st->is_main;
        p->root = thread_root(r, st, &p->named);
        p->retry_at = 1;
        return p;
}

void
recorder_add(const struct thread_stack *st, double weight, void *recorder)
{
        struct recorder *r = recorder;
        struct thread_path *p = thread_path(r, st);
        uint32_t i = 0, parent;

        if (r->sys && sys_due(r)) {
                (void)target_sys_read(r->t, r->sys); /* kept as it was when it fails */
                r->sys_at = mono_s();
        }

        /* a Thread is entered in threading._active a moment after it starts running: one first
         * seen before that gets its name at a later sample (retried at the 2nd, 4th, ...
         * 1024th), and its samples from then on go under the named root */
        if (!p->named && ++p->samples > p->retry_at && p->retry_at <= 1024) {
                uint32_t root = thread_root(r, st, &p->named);

                p->retry_at *= 2;
                if (root != p->root) {
                        xgrow(&p->old_roots, &p->cap_old, p->n_old + 1, sizeof(*p->old_roots));
                        p->old_roots[p->n_old++] = p->root;
                        p->root = root;
                        p->depth = 0;
                }
        }

        if (st->depth > p->cap) {
                p->cap = st->depth * 2;
                p->frames = xrealloc(p->frames, p->cap * sizeof(*p->frames));
                p->stacks = xrealloc(p->stacks, p->cap * sizeof(*p->stacks));
        }
        /* consecutive samples of a thread share most of their stack: reuse the common prefix */
        while (i < st->depth && i < p->depth && p->frames[i] == st->frames[i])
                i++;
        parent = i ? p->stacks[i - 1] : p->root;
        for (; i < st->depth; i++) {
                p->frames[i] = st->frames[i];
                parent = p->stacks[i] = session_stack(r->s, parent, map_frame(r, st->frames[i]));
        }
        p->depth = st->depth;
        session_add_sample(r->s, parent, weight);
}

void
recorder_set_start_stack(struct recorder *r)
{
        const struct thread_path *pick = NULL;
        size_t len;

        for (size_t i = 0; i < r->n_threads && (!pick || !pick->is_main); i++)
                if (!pick || r->threads[i].is_main)
                        pick = &r->threads[i];
        if (!pick)
                return;
        const char *info = session_frame_info(r->s, session_stack_frame(r->s, pick->root), &len);
        session_add_start_call_stack(r->s, info, len);
}

uint32_t
recorder_main_root(const struct recorder *r)
{
        uint32_t root = SESSION_NO_STACK;

        for (size_t i = 0; i < r->n_threads; i++) {
                if (!r->threads[i].is_main || r->threads[i].root == root)
                        continue;
                /* two main threads: the process exec'd a new program unseen (its interpreter
                 * at the same address), and the cut would take it for a shutdown */
                if (root != SESSION_NO_STACK)
                        return SESSION_NO_STACK;
                root = r->threads[i].root;
        }
        return root;
}

#define AMBIGUOUS (UINT32_MAX - 1)

struct fold {
        struct session *s;
        struct u64map to; /* old root + 1 → the root it goes to, or AMBIGUOUS */
        uint32_t *moved;  /* stack → its stack under the new root */
        size_t n;         /* stacks when the fold began; later ones are new */
};

static uint32_t
fold_sample(size_t i, uint32_t stack, void *userdata)
{
        const struct fold *f = userdata;

        (void)i;
        return stack == SESSION_NO_STACK || stack >= f->n ? stack : f->moved[stack];
}

static void
fold_root(struct u64map *to, uint32_t from, uint32_t root)
{
        uint64_t v;

        if (u64map_get(to, (uint64_t)from + 1, &v) && v != root)
                root = AMBIGUOUS;
        u64map_put(to, (uint64_t)from + 1, root);
}

void
recorder_fold_provisional(struct recorder *r)
{
        struct fold f = { .s = r->s, .n = session_stack_count(r->s) };
        bool any = false;

        /* a root that is some thread's for good, or that two threads left for different names,
         * stays */
        u64map_init(&f.to);
        for (size_t i = 0; i < r->n_threads; i++)
                fold_root(&f.to, r->threads[i].root, r->threads[i].root);
        for (size_t i = 0; i < r->n_threads; i++) {
                const struct thread_path *p = &r->threads[i];
                for (size_t k = 0; p->named && k < p->n_old; k++) {
                        fold_root(&f.to, p->old_roots[k], p->root);
                        any = true;
                }
        }
        if (any) {
                f.moved = xmalloc((f.n ? f.n : 1) * sizeof(*f.moved));
                /* parents come before their children: one pass re-roots every stack */
                for (size_t i = 0; i < f.n; i++) {
                        uint32_t parent = session_stack_parent(r->s, (uint32_t)i);
                        uint64_t v;

                        if (parent == SESSION_NO_STACK)
                                f.moved[i] = u64map_get(&f.to, i + 1, &v) && v != AMBIGUOUS
                                                     ? (uint32_t)v
                                                     : (uint32_t)i;
                        else if (f.moved[parent] == parent)
                                f.moved[i] = (uint32_t)i;
                        else
                                f.moved[i] = session_stack(r->s, f.moved[parent],
                                                           session_stack_frame(r->s, (uint32_t)i));
                }
                (void)session_filter_samples(r->s, fold_sample, &f);
                free(f.moved);
                /* the threads' remembered paths hold stacks of their current roots only */
                for (size_t i = 0; i < r->n_threads; i++)
                        r->threads[i].n_old = 0;
        }
        u64map_release(&f.to);
}

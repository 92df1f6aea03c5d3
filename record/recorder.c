/* From walked stacks to a session: each thread gets pyinstrument's <thread> root, each target
 * frame id is interned once into the session, and consecutive samples of a thread share the
 * stack prefix they have in common (found by comparing frame ids, without hashing). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "record.h"

struct thread_path {
        uint64_t key;
        uint32_t root; /* session stack id of the <thread> root */
        uint32_t depth, cap;
        uint32_t *frames; /* target frame ids of the previous sample */
        uint32_t *stacks; /* their session stack ids */
};

struct recorder {
        struct session *s;
        struct target *t;
        uint32_t *frame_map; /* target frame id → session frame id (UINT32_MAX unset) */
        size_t map_len;
        struct thread_path *threads;
        size_t n_threads, cap_threads;
};

struct recorder *
recorder_new(struct session *s, struct target *t)
{
        struct recorder *r = xcalloc(1, sizeof(*r));

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
        }
        free(r->threads);
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
record_thread_name(const struct target *t, const struct thread_stack *st, char *buf, size_t len)
{
        char os_name[32];

        if (st->is_main) {
                snprintf(buf, len, "MainThread");
                return 0;
        }
        if (proc_thread_name(target_pid(t), st->tid, os_name, sizeof(os_name)) == 0) {
                snprintf(buf, len, "%s", os_name);
                return 0;
        }
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

static struct thread_path *
thread_path(struct recorder *r, const struct thread_stack *st)
{
        uint64_t key = st->tstate ^ st->ident;
        char name[256], info[320];
        int n;

        for (size_t i = 0; i < r->n_threads; i++)
                if (r->threads[i].key == key)
                        return &r->threads[i];
        xgrow(&r->threads, &r->cap_threads, r->n_threads + 1, sizeof(*r->threads));
        struct thread_path *p = &r->threads[r->n_threads++];
        memset(p, 0, sizeof(*p));
        p->key = key;
        /* pyinstrument's thread root: name \0 "<thread>" \0 threading.get_ident() */
        (void)record_thread_name(r->t, st, name, sizeof(name));
        n = snprintf(info, sizeof(info), "%s%c<thread>%c%llu", name, 0, 0,
                     (unsigned long long)st->ident);
        p->root = session_stack(r->s, SESSION_NO_STACK, session_frame(r->s, info, (size_t)n));
        return p;
}

void
recorder_add(const struct thread_stack *st, double weight, void *recorder)
{
        struct recorder *r = recorder;
        struct thread_path *p = thread_path(r, st);
        uint32_t i = 0, parent;

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

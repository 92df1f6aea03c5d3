/* The frame tree: its context (identifiers, attributes, node and array allocation), the
 * iterative walks, and pyinstrument's build_frame_tree() and Session._trim_stem(), with the
 * same order of floating-point additions so that sums match pyinstrument's to the last bit.
 * Derived values are in frame-derived.c; frame_ops.py and groups in frame-ops.c. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "frame.h"
#include "frame_internal.h"
#include "tree_internal.h"

/* ------------------------------------------------------------------------------------------ */
/* identifiers and attributes */

static const struct {
        const char *text;
        enum frame_synthetic kind;
} synthetic_names[] = {
        { "[self]", FRAME_SELF },
        { "[await]", FRAME_AWAIT },
        { "[out-of-context]", FRAME_OUT_OF_CONTEXT },
        { "[root]", FRAME_ROOT },
};

static uint32_t
intern_ident(struct frame_tree *t, const char *s, size_t len)
{
        uint32_t id = strtab_intern(&t->idents, s, len);
        const char *p, *end;
        struct frame_ident *fi;

        if (id < t->idents.n - 1)
                return id;
        xgrow(&t->ident, &t->cap_ident, id + 1, sizeof(*t->ident));
        fi = &t->ident[id];
        *fi = (struct frame_ident){ .function = t->idents.v[id].str, .short_path = -1 };
        /* the copy is NUL-terminated, so splitting at \0 needs no copying */
        p = t->idents.v[id].str;
        end = p + len;
        p += strlen(p);
        if (p < end) {
                fi->file = ++p;
                p += strlen(p);
                if (p < end) {
                        fi->has_line = true;
                        fi->line = strtol(p + 1, NULL, 10);
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(synthetic_names); i++)
                if (strcmp(fi->function, synthetic_names[i].text) == 0 && !fi->file)
                        fi->synthetic = synthetic_names[i].kind;
        return id;
}

/* Split session frame @id into identifier and attribute keys, once. */
static void
parse_infos(struct frame_tree *t)
{
        const struct session *s = t->session;

        t->n_infos = s->frames.n;
        t->info_ident = xmalloc((t->n_infos + 1) * sizeof(uint32_t));
        t->info_attr_off = xmalloc((t->n_infos + 1) * sizeof(uint32_t));
        t->info_attr_n = xmalloc((t->n_infos + 1) * sizeof(uint32_t));
        for (size_t i = 0; i < t->n_infos; i++) {
                const char *info = s->frames.v[i].str;
                size_t len = s->frames.v[i].len;
                const char *a = memchr(info, '\x01', len);
                size_t idlen = a ? (size_t)(a - info) : len;

                t->info_ident[i] = intern_ident(t, info, idlen);
                t->info_attr_off[i] = (uint32_t)t->n_attr_pool;
                t->info_attr_n[i] = 0;
                while (a) {
                        const char *start = a + 1;
                        const char *next = memchr(start, '\x01', (size_t)(info + len - start));
                        size_t alen = next ? (size_t)(next - start) : (size_t)(info + len - start);

                        xgrow(&t->attr_pool, &t->cap_attr_pool, t->n_attr_pool + 1,
                              sizeof(*t->attr_pool));
                        t->attr_pool[t->n_attr_pool++] = strtab_intern(&t->attr_keys, start, alen);
                        t->info_attr_n[i]++;
                        a = next;
                }
        }
}

const struct frame_ident *
frame_ident(const struct frame_tree *t, const struct frame *f)
{
        return &t->ident[f->ident];
}

const struct frame_ident *
frame_tree_ident(const struct frame_tree *t, uint32_t ident)
{
        return &t->ident[ident];
}

const char *
frame_ident_text(const struct frame_tree *t, uint32_t ident, size_t *ret_len)
{
        if (ret_len)
                *ret_len = t->idents.v[ident].len;
        return t->idents.v[ident].str;
}

const char *
frame_attr_key(const struct frame_tree *t, uint32_t key)
{
        return t->attr_keys.v[key].str;
}

bool
frame_tree_any_ident(const struct frame_tree *t, bool (*pred)(const struct frame_ident *fi))
{
        for (size_t i = 0; i < t->idents.n; i++)
                if (pred(&t->ident[i]))
                        return true;
        return false;
}

bool
frame_tree_has_attr(const struct frame_tree *t, const char *attr)
{
        return strtab_find(&t->attr_keys, attr, strlen(attr)) != UINT32_MAX;
}

size_t
frame_tree_n_idents(const struct frame_tree *t)
{
        return t->idents.n;
}

uint32_t
frame_tree_self_ident(const struct frame_tree *t)
{
        return t->self_ident;
}

static void *
arena_alloc(struct frame_tree *t, size_t n)
{
        struct arena_block *b = t->arena;

        n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
        if (!b || b->size - b->used < n) {
                size_t size = n > (1 << 20) ? n : (1 << 20);
                b = xmalloc(sizeof(*b) + size);
                b->size = size;
                b->used = 0;
                b->next = t->arena;
                t->arena = b;
        }
        void *p = (char *)b->data + b->used;
        b->used += n;
        return p;
}

/* Grow *@p (an array of @elem-sized items holding @n) to at least @need items. */
static void
arena_grow(struct frame_tree *t, void *pp, uint32_t *cap, uint32_t n, uint32_t need, size_t elem)
{
        void **p = pp;
        uint32_t c = *cap ? *cap : 2;

        if (need <= *cap)
                return;
        while (c < need)
                c *= 2;
        void *q = arena_alloc(t, c * elem);
        if (n)
                memcpy(q, *p, n * elem);
        *p = q;
        *cap = c;
}

void
frame_add_attr(struct frame_tree *t, struct frame *f, uint32_t key, double time)
{
        for (uint32_t i = 0; i < f->n_attrs; i++) {
                if (f->attrs[i].key == key) {
                        f->attrs[i].time += time;
                        return;
                }
        }
        arena_grow(t, &f->attrs, &f->cap_attrs, f->n_attrs, f->n_attrs + 1, sizeof(*f->attrs));
        f->attrs[f->n_attrs++] = (struct frame_attr){ .key = key, .time = time };
}

/* ------------------------------------------------------------------------------------------ */
/* nodes */

struct frame *
frame_alloc(struct frame_tree *t, uint32_t ident)
{
        struct frame *f;

        if (!t->chunks || t->chunks->used == CHUNK_FRAMES) {
                struct frame_chunk *c = xmalloc(sizeof(*c));
                c->next = t->chunks;
                c->used = 0;
                t->chunks = c;
        }
        f = &t->chunks->frames[t->chunks->used++];
        *f = (struct frame){ .ident = ident, .group = FRAME_NO_GROUP };
        return f;
}

static void
children_reserve(struct frame_tree *t, struct frame *f, uint32_t need)
{
        arena_grow(t, &f->children, &f->cap_children, f->n_children, need, sizeof(*f->children));
}

void
frame_add_child(struct frame_tree *t, struct frame *parent, struct frame *child)
{
        frame_remove_from_parent(child);
        children_reserve(t, parent, parent->n_children + 1);
        parent->children[parent->n_children++] = child;
        child->parent = parent;
}

/* Insert @children at position @pos; see frame_internal.h. */
void
frame_insert_children(struct frame_tree *t,
                      struct frame *parent,
                      uint32_t pos,
                      struct frame **children,
                      uint32_t n)
{
        /* a leaf has no children array: NULL + 0 is undefined behaviour */
        if (!n)
                return;
        children_reserve(t, parent, parent->n_children + n);
        memmove(parent->children + pos + n, parent->children + pos,
                (parent->n_children - pos) * sizeof(*parent->children));
        for (uint32_t i = 0; i < n; i++) {
                parent->children[pos + i] = children[i];
                children[i]->parent = parent;
        }
        parent->n_children += n;
}

uint32_t
frame_child_index(const struct frame *parent, const struct frame *child)
{
        for (uint32_t i = 0; i < parent->n_children; i++)
                if (parent->children[i] == child)
                        return i;
        return UINT32_MAX;
}

void
frame_remove_from_parent(struct frame *f)
{
        struct frame *p = f->parent;

        if (!p)
                return;
        uint32_t i = frame_child_index(p, f);
        if (i != UINT32_MAX) {
                memmove(p->children + i, p->children + i + 1,
                        (p->n_children - i - 1) * sizeof(*p->children));
                p->n_children--;
        }
        f->parent = NULL;
}

struct frame *
frame_new_info(struct frame_tree *t, const char *info, size_t len, double time)
{
        const char *a = memchr(info, '\x01', len);
        struct frame *f = frame_alloc(t, intern_ident(t, info, a ? (size_t)(a - info) : len));

        f->time += time;
        while (a) {
                const char *start = a + 1;
                const char *next = memchr(start, '\x01', (size_t)(info + len - start));
                size_t alen = next ? (size_t)(next - start) : (size_t)(info + len - start);
                frame_add_attr(t, f, strtab_intern(&t->attr_keys, start, alen), time);
                a = next;
        }
        return f;
}

/* ------------------------------------------------------------------------------------------ */
/* walks */

void
frame_stack_push(struct frame_stack *st, struct frame *f)
{
        xgrow(&st->items, &st->cap, st->n + 1, sizeof(*st->items));
        st->items[st->n++] = f;
}

void
frame_stack_push_children(struct frame_stack *st, const struct frame *f)
{
        xgrow(&st->items, &st->cap, st->n + f->n_children, sizeof(*st->items));
        for (uint32_t i = f->n_children; i-- > 0;)
                st->items[st->n++] = f->children[i];
}

void
frame_stack_release(struct frame_stack *st)
{
        free(st->items);
        *st = (struct frame_stack){ 0 };
}

void
frame_walk_pre(struct frame *root, void (*fn)(struct frame *f, void *userdata), void *userdata)
{
        struct frame_stack st = { 0 };
        struct frame *f;

        if (!root)
                return;
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                fn(f, userdata);
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
}

/* ------------------------------------------------------------------------------------------ */
/* the tree */

struct frame_tree *
frame_tree_new(const struct session *s)
{
        struct frame_tree *t = xcalloc(1, sizeof(*t));

        t->session = s;
        strtab_init(&t->idents);
        strtab_init(&t->attr_keys);
        strtab_init(&t->short_paths);
        t->self_ident = intern_ident(t, "[self]", 6);
        t->root_ident = intern_ident(t, "[root]", 6);
        parse_infos(t);
        t->cwd = getcwd(NULL, 0);
        if (!t->cwd)
                t->cwd = xstrdup("/");
        return t;
}

struct frame_tree *
frame_tree_free(struct frame_tree *t)
{
        if (!t)
                return NULL;
        while (t->chunks) {
                struct frame_chunk *c = t->chunks;
                t->chunks = c->next;
                free(c);
        }
        while (t->arena) {
                struct arena_block *b = t->arena;
                t->arena = b->next;
                free(b);
        }
        for (size_t i = 0; i < t->n_groups; i++) {
                free(t->groups[i]->frames);
                free(t->groups[i]->exit_frames);
                free(t->groups[i]);
        }
        free(t->groups);
        strtab_release(&t->idents);
        strtab_release(&t->attr_keys);
        strtab_release(&t->short_paths);
        free(t->ident);
        free(t->info_ident);
        free(t->info_attr_off);
        free(t->info_attr_n);
        free(t->attr_pool);
        free(t->threads);
        free(t->cwd);
        free(t);
        return NULL;
}

/* The identifier of each sample's thread root, or UINT32_MAX for an empty stack. Stacks are
 * created after their parents, so one forward pass finds every stack's root. */
static uint32_t *
stack_threads(const struct frame_tree *t)
{
        const struct session *s = t->session;
        uint32_t *root = xmalloc((s->n_stacks + 1) * sizeof(*root));

        for (size_t i = 0; i < s->n_stacks; i++) {
                uint32_t p = s->stacks[i].parent;
                root[i] = p == SESSION_NO_STACK ? t->info_ident[s->stacks[i].frame] : root[p];
        }
        return root;
}

size_t
frame_tree_threads(struct frame_tree *t, const uint32_t **ret_threads)
{
        const struct session *s = t->session;
        _cleanup_free_ uint32_t *root = NULL;
        _cleanup_free_ double *busy = NULL;
        _cleanup_free_ bool *seen = NULL;

        if (t->threads) {
                *ret_threads = t->threads;
                return t->n_threads;
        }
        root = stack_threads(t);
        busy = xcalloc(t->idents.n + 1, sizeof(*busy));
        seen = xcalloc(t->idents.n + 1, sizeof(*seen));
        t->threads = xmalloc((t->idents.n + 1) * sizeof(*t->threads));
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                if (st == SESSION_NO_STACK)
                        continue;
                if (!seen[root[st]]) {
                        seen[root[st]] = true;
                        t->threads[t->n_threads++] = root[st];
                }
                busy[root[st]] += s->sample_weight[i];
        }
        /* busiest first; a stable insertion sort keeps first-seen order among equals */
        for (size_t i = 1; i < t->n_threads; i++) {
                uint32_t x = t->threads[i];
                size_t j = i;
                for (; j > 0 && busy[t->threads[j - 1]] < busy[x]; j--)
                        t->threads[j] = t->threads[j - 1];
                t->threads[j] = x;
        }
        *ret_threads = t->threads;
        return t->n_threads;
}

/* build_frame_tree() over the samples of one thread (UINT32_MAX: all samples). */
static struct frame *
build(struct frame_tree *t, const uint32_t *thread_of, uint32_t thread)
{
        const struct session *s = t->session;
        _cleanup_free_ struct frame **path = NULL;
        _cleanup_free_ uint32_t *stack = NULL;
        size_t cap_path = 0, cap_stack = 0, n_path = 1;
        struct frame *root = frame_alloc(t, t->root_ident);
        bool any = false;

        xgrow(&path, &cap_path, 1, sizeof(*path));
        path[0] = root;
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                double time = s->sample_weight[i];
                size_t depth = 0;

                if (st == SESSION_NO_STACK || (thread != UINT32_MAX && thread_of[st] != thread))
                        continue;
                any = true;
                for (uint32_t x = st; x != SESSION_NO_STACK; x = s->stacks[x].parent) {
                        xgrow(&stack, &cap_stack, depth + 1, sizeof(*stack));
                        stack[depth++] = s->stacks[x].frame;
                }
                root->time += time;
                xgrow(&path, &cap_path, depth + 1, sizeof(*path));
                for (size_t d = 1; d <= depth; d++) {
                        uint32_t info = stack[depth - d];
                        uint32_t ident = t->info_ident[info];
                        struct frame *f;

                        if (d < n_path && path[d]->ident == ident) {
                                f = path[d];
                        } else {
                                f = frame_alloc(t, ident);
                                frame_add_child(t, path[d - 1], f);
                                /* Frame(info) records its attributes with time 0 first */
                                for (uint32_t a = 0; a < t->info_attr_n[info]; a++)
                                        frame_add_attr(t, f,
                                                       t->attr_pool[t->info_attr_off[info] + a], 0);
                                path[d] = f;
                                n_path = d + 1;
                        }
                        f->time += time;
                        for (uint32_t a = 0; a < t->info_attr_n[info]; a++)
                                frame_add_attr(t, f, t->attr_pool[t->info_attr_off[info] + a],
                                               time);
                }
                n_path = depth + 1;
                struct frame *leaf = path[depth];
                if (!frame_is_synthetic_leaf(t, leaf)) {
                        struct frame *self = frame_alloc(t, t->self_ident);
                        self->time = time;
                        frame_add_child(t, leaf, self);
                }
        }
        if (!any)
                return NULL;
        if (root->n_children == 1) {
                struct frame *only = root->children[0];
                frame_remove_from_parent(only);
                return only;
        }
        return root;
}

/* Session._trim_stem() */
static struct frame *
trim_stem(struct frame_tree *t, struct frame *f)
{
        const struct session *s = t->session;
        size_t i = 0;

        if (s->n_start_call_stack == 0 || t->info_ident[s->start_call_stack[0]] != f->ident)
                return f;
        i = 1;
        while (frame_total_self_time(t, f) == 0 && f->n_children == 1) {
                if (i >= s->n_start_call_stack ||
                    f->children[0]->ident != t->info_ident[s->start_call_stack[i]])
                        break;
                i++;
                f = f->children[0];
        }
        frame_remove_from_parent(f);
        return f;
}

struct frame *
frame_tree_build(struct frame_tree *t, uint32_t thread)
{
        _cleanup_free_ uint32_t *thread_of = stack_threads(t);
        const uint32_t *threads;
        size_t n = frame_tree_threads(t, &threads);
        struct frame *root;

        if (thread != UINT32_MAX || n <= 1) {
                root = build(t, thread_of, thread);
                /* pyinstrument trims the stem of a tree of one thread only: with several, its
                 * root is a [root] that no start_call_stack begins with */
                return root && n <= 1 ? trim_stem(t, root) : root;
        }
        /* several threads: one [root] above each thread's own timeline, in order of first
         * sample (pyinstrument would interleave them as siblings of one timeline) */
        _cleanup_free_ uint32_t *first = xmalloc(n * sizeof(*first));
        size_t n_first = 0;
        struct u64map seen;
        uint64_t v;

        u64map_init(&seen);
        for (size_t i = 0; i < t->session->n_samples; i++) {
                uint32_t st = t->session->sample_stack[i];
                if (st == SESSION_NO_STACK || u64map_get(&seen, (uint64_t)thread_of[st] + 1, &v))
                        continue;
                u64map_put(&seen, (uint64_t)thread_of[st] + 1, 1);
                first[n_first++] = thread_of[st];
        }
        u64map_release(&seen);
        root = frame_alloc(t, t->root_ident);
        for (size_t i = 0; i < n_first; i++) {
                struct frame *sub = build(t, thread_of, first[i]);
                if (!sub)
                        continue;
                /* no stem trimmed: pyinstrument trims only a tree of one thread (its root is
                 * then the thread; several are under a [root], never the start stack's) */
                root->time += sub->time;
                frame_add_child(t, root, sub);
        }
        return root;
}

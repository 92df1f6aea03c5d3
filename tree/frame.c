/* The frame tree: pyinstrument's Frame, FrameGroup, build_frame_tree(), Session._trim_stem()
 * and frame_ops.py, with the same order of floating-point additions so that sums match
 * pyinstrument's to the last bit. Every walk uses an explicit stack. Derived values that
 * pyinstrument caches (shortened paths) are cached per identifier. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "frame.h"
#include "strtab.h"
#include "tree_internal.h"

#define CHUNK_FRAMES 4096

struct frame_chunk {
        struct frame_chunk *next;
        size_t used;
        struct frame frames[CHUNK_FRAMES];
};

/* Children and attribute arrays come from a bump allocator: a grown array leaves its old
 * copy behind (at most as much again), and nothing is freed before the tree. Millions of
 * small malloc() calls were a third of the render time of a long session. */
struct arena_block {
        struct arena_block *next;
        size_t used, size;
        max_align_t data[];
};

struct frame_tree {
        const struct session *session;
        struct frame_chunk *chunks;
        struct arena_block *arena;
        struct strtab idents;      /* identifier texts */
        struct frame_ident *ident; /* parsed, parallel to @idents */
        size_t cap_ident;
        struct strtab attr_keys;   /* "l42", "cView", "h1" */
        struct strtab short_paths;
        /* per session frame: its identifier and its attribute keys */
        uint32_t *info_ident, *info_attr_off, *info_attr_n, *attr_pool;
        size_t n_attr_pool, cap_attr_pool, n_infos;
        struct frame_group **groups;
        size_t n_groups, cap_groups;
        uint32_t *threads; /* identifier of each thread root, busiest first */
        size_t n_threads;
        uint32_t self_ident, root_ident;
        char *cwd;
};

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

static void
add_attr(struct frame_tree *t, struct frame *f, uint32_t key, double time)
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

static struct frame *
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
        arena_grow(t, &f->children, &f->cap_children, f->n_children, need,
                   sizeof(*f->children));
}

void
frame_add_child(struct frame_tree *t, struct frame *parent, struct frame *child)
{
        frame_remove_from_parent(child);
        children_reserve(t, parent, parent->n_children + 1);
        parent->children[parent->n_children++] = child;
        child->parent = parent;
}

/* Insert @children (detached from their old parent by the caller) after position @pos. */
static void
insert_children(struct frame_tree *t, struct frame *parent, uint32_t pos, struct frame **children,
                uint32_t n)
{
        children_reserve(t, parent, parent->n_children + n);
        memmove(parent->children + pos + n, parent->children + pos,
                (parent->n_children - pos) * sizeof(*parent->children));
        for (uint32_t i = 0; i < n; i++) {
                parent->children[pos + i] = children[i];
                children[i]->parent = parent;
        }
        parent->n_children += n;
}

static uint32_t
child_index(const struct frame *parent, const struct frame *child)
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
        uint32_t i = child_index(p, f);
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
                add_attr(t, f, strtab_intern(&t->attr_keys, start, alen), time);
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
        struct u64map seen;

        if (t->threads) {
                *ret_threads = t->threads;
                return t->n_threads;
        }
        root = stack_threads(t);
        busy = xcalloc(t->idents.n + 1, sizeof(*busy));
        t->threads = xmalloc((t->idents.n + 1) * sizeof(*t->threads));
        u64map_init(&seen);
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                uint64_t v;
                if (st == SESSION_NO_STACK)
                        continue;
                if (!u64map_get(&seen, (uint64_t)root[st] + 1, &v)) {
                        u64map_put(&seen, (uint64_t)root[st] + 1, 1);
                        t->threads[t->n_threads++] = root[st];
                }
                busy[root[st]] += s->sample_weight[i];
        }
        u64map_release(&seen);
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

                if (st == SESSION_NO_STACK ||
                    (thread != UINT32_MAX && thread_of[st] != thread))
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
                                        add_attr(t, f, t->attr_pool[t->info_attr_off[info] + a], 0);
                                path[d] = f;
                                n_path = d + 1;
                        }
                        f->time += time;
                        for (uint32_t a = 0; a < t->info_attr_n[info]; a++)
                                add_attr(t, f, t->attr_pool[t->info_attr_off[info] + a], time);
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
                return root ? trim_stem(t, root) : NULL;
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
                sub = trim_stem(t, sub);
                root->time += sub->time;
                frame_add_child(t, root, sub);
        }
        return root;
}

/* ------------------------------------------------------------------------------------------ */
/* derived values */

bool
frame_is_synthetic(const struct frame_tree *t, const struct frame *f)
{
        return t->ident[f->ident].synthetic != FRAME_REAL;
}

bool
frame_is_synthetic_leaf(const struct frame_tree *t, const struct frame *f)
{
        enum frame_synthetic k = t->ident[f->ident].synthetic;
        return k != FRAME_REAL && k != FRAME_ROOT;
}

double
frame_total_self_time(const struct frame_tree *t, const struct frame *f)
{
        double self = f->time;

        for (uint32_t i = 0; i < f->n_children; i++)
                if (!frame_is_synthetic(t, f->children[i]))
                        self -= f->children[i]->time;
        return self;
}

double
frame_proportion_of_parent(const struct frame *f)
{
        if (!f->parent)
                return 1.0;
        if (f->parent->time == 0)
                return NAN;
        return f->time / f->parent->time;
}

double
frame_await_time(const struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;
        double sum = 0;

        /* pyinstrument sums recursively (self, then each child's subtotal); pre-order
         * accumulation differs only in rounding, far below the printed precision */
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                if (t->ident[f->ident].synthetic == FRAME_AWAIT)
                        sum += f->time;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        return sum;
}

static bool
starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
frame_is_application_code(const struct frame_tree *t, const struct frame *f)
{
        const struct session *s = t->session;

        for (; f; f = f->parent) {
                const struct frame_ident *fi = &t->ident[f->ident];
                if (fi->synthetic || !fi->file || !fi->file[0])
                        return false;
                for (size_t i = 0; i < s->n_sys_prefixes; i++)
                        if (starts_with(fi->file, s->sys_prefixes[i]))
                                return false;
                if (fi->file[0] != '<')
                        return true;
                if (starts_with(fi->file, "<ipython-input-"))
                        return true;
                if (strcmp(fi->file, "<string>") != 0 && strcmp(fi->file, "<stdin>") != 0)
                        return false;
                /* eval/exec code is application code when its caller is (or at the root) */
        }
        return true;
}

/* Normalised absolute components of @path (posixpath.abspath then split), as offsets into a
 * scratch copy. Returns the component count. */
static size_t
abs_components(const char *cwd, const char *path, char **ret_buf, const char ***ret_parts)
{
        size_t n = 0, cap = 0;
        const char **parts = NULL;
        char *buf;

        if (path[0] == '/')
                buf = xstrdup(path);
        else if (asprintf(&buf, "%s/%s", cwd, path) < 0)
                buf = xstrdup(path);
        for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok;
             tok = strtok_r(NULL, "/", &save)) {
                if (strcmp(tok, ".") == 0)
                        continue;
                if (strcmp(tok, "..") == 0) {
                        if (n)
                                n--;
                        continue;
                }
                xgrow(&parts, &cap, n + 1, sizeof(*parts));
                parts[n++] = tok;
        }
        *ret_buf = buf;
        *ret_parts = parts;
        return n;
}

static size_t
count_seps(const char *s)
{
        size_t n = 1;
        for (; *s; s++)
                n += *s == '/';
        return n;
}

/* Session.shorten_path(): os.path.relpath against each sys_path entry, keeping the candidate
 * with strictly fewer components. Returns a malloc'd string. */
static char *
shorten_path(const struct frame_tree *t, const char *path)
{
        const struct session *s = t->session;
        _cleanup_free_ char *pbuf = NULL;
        _cleanup_free_ const char **pparts = NULL;
        char *result = xstrdup(path);
        size_t np, best;

        if (!strchr(path, '/'))
                return result;
        best = count_seps(path);
        np = abs_components(t->cwd, path, &pbuf, &pparts);
        for (size_t e = 0; e < s->n_sys_path; e++) {
                _cleanup_free_ char *sbuf = NULL;
                _cleanup_free_ const char **sparts = NULL;
                size_t ns = abs_components(t->cwd, s->sys_path[e], &sbuf, &sparts), common = 0;
                size_t nrel;

                while (common < ns && common < np && strcmp(sparts[common], pparts[common]) == 0)
                        common++;
                nrel = (ns - common) + (np - common);
                if (nrel == 0)
                        nrel = 1; /* "." */
                if (nrel >= best)
                        continue;
                /* build the candidate: "../" for each start component left, then the rest */
                char *cand = NULL;
                size_t clen = 0;
                FILE *m = open_memstream(&cand, &clen);
                bool first = true;
                for (size_t i = common; i < ns; i++, first = false)
                        fputs(first ? ".." : "/..", m);
                for (size_t i = common; i < np; i++, first = false) {
                        if (!first)
                                fputc('/', m);
                        fputs(pparts[i], m);
                }
                if (first)
                        fputc('.', m);
                fclose(m);
                free(result);
                result = cand;
                best = nrel;
        }
        return result;
}

const char *
frame_file_path_short(struct frame_tree *t, const struct frame *f)
{
        struct frame_ident *fi;

        while (t->ident[f->ident].synthetic && f->parent)
                f = f->parent;
        fi = &t->ident[f->ident];
        if (!fi->file || !fi->file[0])
                return NULL;
        if (fi->short_path < 0) {
                _cleanup_free_ char *p = shorten_path(t, fi->file);
                fi->short_path = (int32_t)strtab_intern(&t->short_paths, p, strlen(p));
        }
        return t->short_paths.v[fi->short_path].str;
}

const char *
frame_attribute_value(const struct frame_tree *t, const struct frame *f, char marker,
                      size_t *ret_len)
{
        const struct frame_attr *best = NULL;

        for (uint32_t i = 0; i < f->n_attrs; i++) {
                const struct frame_attr *a = &f->attrs[i];
                if (t->attr_keys.v[a->key].str[0] != marker)
                        continue;
                /* max() keeps the first of equal values */
                if (!best || a->time > best->time)
                        best = a;
        }
        if (!best)
                return NULL;
        if (ret_len)
                *ret_len = t->attr_keys.v[best->key].len - 1;
        return t->attr_keys.v[best->key].str + 1;
}

bool
frame_has_tracebackhide(const struct frame_tree *t, const struct frame *f)
{
        size_t len;
        const char *v = frame_attribute_value(t, f, 'h', &len);

        return v && len == 1 && v[0] == '1';
}

const char *
frame_class_name(const struct frame_tree *t, const struct frame *f)
{
        const char *v = frame_attribute_value(t, f, 'c', NULL);

        /* pyinstrument tests truthiness: an empty class name prints as no class */
        return v && v[0] ? v : NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* groups */

struct frame_group *
frame_group(const struct frame_tree *t, const struct frame *f)
{
        return f->group == FRAME_NO_GROUP ? NULL : t->groups[f->group];
}

static uint32_t
group_index(const struct frame_tree *t, const struct frame_group *g)
{
        for (size_t i = 0; i < t->n_groups; i++)
                if (t->groups[i] == g)
                        return (uint32_t)i;
        return FRAME_NO_GROUP;
}

static void
group_remove(struct frame_group *g, struct frame *f)
{
        for (size_t i = 0; i < g->n_frames; i++) {
                if (g->frames[i] == f) {
                        memmove(g->frames + i, g->frames + i + 1,
                                (g->n_frames - i - 1) * sizeof(*g->frames));
                        g->n_frames--;
                        break;
                }
        }
        f->group = FRAME_NO_GROUP;
}

static void
uuid4(char out[37])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];

        for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (unsigned char)random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        for (size_t i = 0, o = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[b[i] >> 4];
                out[o++] = hex[b[i] & 15];
        }
        out[36] = '\0';
}

struct frame_group *
frame_group_new(struct frame_tree *t, struct frame *root)
{
        struct frame_group *g = xcalloc(1, sizeof(*g));

        uuid4(g->id);
        g->root = root;
        xgrow(&t->groups, &t->cap_groups, t->n_groups + 1, sizeof(*t->groups));
        t->groups[t->n_groups++] = g;
        frame_group_add(t, g, root);
        return g;
}

void
frame_group_add(struct frame_tree *t, struct frame_group *g, struct frame *f)
{
        if (f->group != FRAME_NO_GROUP)
                group_remove(t->groups[f->group], f);
        xgrow(&g->frames, &g->cap_frames, g->n_frames + 1, sizeof(*g->frames));
        g->frames[g->n_frames++] = f;
        f->group = group_index(t, g);
}

bool
frame_group_is_exit_frame(struct frame_tree *t, struct frame_group *g, const struct frame *f)
{
        if (!g->exit_frames_known) {
                uint32_t gi = group_index(t, g);
                for (size_t i = 0; i < g->n_frames; i++) {
                        struct frame *m = g->frames[i];
                        for (uint32_t c = 0; c < m->n_children; c++) {
                                if (m->children[c]->group != gi) {
                                        g->exit_frames = xrealloc(g->exit_frames,
                                                                  (g->n_exit_frames + 1) *
                                                                          sizeof(*g->exit_frames));
                                        g->exit_frames[g->n_exit_frames++] = m;
                                        break;
                                }
                        }
                }
                g->exit_frames_known = true;
        }
        for (size_t i = 0; i < g->n_exit_frames; i++)
                if (g->exit_frames[i] == f)
                        return true;
        return false;
}

/* remove_frame_from_groups(): a group left with one frame is dissolved. */
static void
ungroup_one(struct frame_tree *t, struct frame *f)
{
        struct frame_group *g = frame_group(t, f);

        if (!g)
                return;
        group_remove(g, f);
        if (g->n_frames == 1)
                group_remove(g, g->frames[0]);
}

static void
ungroup_recursive(struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;

        /* pyinstrument goes children first; the order only matters for which single frame is
         * left to dissolve, and any order leaves the same membership */
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                frame_stack_push_children(&st, f);
                ungroup_one(t, f);
        }
        frame_stack_release(&st);
}

/* ------------------------------------------------------------------------------------------ */
/* frame_ops.py */

void
frame_delete(struct frame_tree *t, struct frame *f, enum frame_replace with)
{
        struct frame *parent = f->parent;
        uint32_t pos;

        if (!parent)
                return;
        pos = child_index(parent, f);
        switch (with) {
        case FRAME_REPLACE_CHILDREN: {
                uint32_t n = f->n_children;
                struct frame **moved = f->children; /* stays valid: arena memory */
                f->children = NULL;
                f->n_children = f->cap_children = 0;
                insert_children(t, parent, pos + 1, moved, n);
                break;
        }
        case FRAME_REPLACE_SELF_TIME: {
                struct frame *self = frame_alloc(t, t->self_ident);
                self->time = f->time;
                insert_children(t, parent, pos + 1, &self, 1);
                break;
        }
        case FRAME_REPLACE_NOTHING:
                parent->absorbed_time += f->time;
                break;
        }
        parent->absorbed_time += f->absorbed_time;
        frame_remove_from_parent(f);
        ungroup_recursive(t, f);
}

void
frame_delete_detached(struct frame_tree *t, struct frame *f)
{
        struct frame *parent = f->parent;

        parent->absorbed_time += f->time;
        parent->absorbed_time += f->absorbed_time;
        f->parent = NULL;
        ungroup_recursive(t, f);
}

void
frame_combine_into(struct frame_tree *t, struct frame *f, struct frame *into)
{
        into->absorbed_time += f->absorbed_time;
        into->time += f->time;
        for (uint32_t i = 0; i < f->n_attrs; i++)
                add_attr(t, into, f->attrs[i].key, f->attrs[i].time);
        insert_children(t, into, into->n_children, f->children, f->n_children);
        f->n_children = 0;
        f->parent = NULL;
        ungroup_one(t, f);
}

void
frame_combine(struct frame_tree *t, struct frame *f, struct frame *into)
{
        frame_remove_from_parent(f);
        frame_combine_into(t, f, into);
}

const struct frame *
frame_check(const struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;
        const struct frame *bad = NULL;

        if (!root)
                return NULL;
        frame_stack_push(&st, root);
        while (!bad && (f = frame_stack_pop(&st))) {
                double sum = f->absorbed_time;
                if (frame_is_synthetic_leaf(t, f)) {
                        if (f->n_children)
                                bad = f;
                        continue;
                }
                for (uint32_t i = 0; i < f->n_children; i++) {
                        sum += f->children[i]->time;
                        if (f->children[i]->parent != f)
                                bad = f;
                }
                /* math.isclose() with its default rel_tol of 1e-9 */
                if (fabs(sum - f->time) > 1e-9 * fmax(fabs(sum), fabs(f->time)))
                        bad = f;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        return bad;
}

/* Threads that play the same role, under one root (session_group_threads()). A server with a
 * thread per request leaves hundreds of short-lived threads, each its own root of a few
 * milliseconds: the report is a list of near-identical trees whose sum nobody can see. Grouped,
 * they are one tree with that sum. This is a view made at render time: the session itself (a
 * saved .pyisession, --load-prev) keeps every thread. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/u64map.h"
#include "common/xalloc.h"
#include "tree/tree.h"
#include "tree_internal.h"

#define NONE UINT32_MAX

/* What an entry candidate is, from least to most likely the thread's role: a call of
 * threading's own as the thread starts or ends, a thread's outermost frame, the target that
 * Thread.run called (or a subclass's run()). */
enum { BUSINESS, OUTERMOST, TARGET };

struct member {
        uint32_t root;  /* its root stack */
        uint32_t entry; /* identifier id of its entry function, NONE when unknown */
        uint32_t group; /* NONE until assigned */
        char *stem;     /* the name without its counters (and without " (entry)") */
        double best;    /* the weight of the entry candidate chosen so far */
        uint8_t level;  /* that candidate's: BUSINESS, OUTERMOST or TARGET */
        bool threading; /* some stack has threading's bootstrap frames */
        bool listed;    /* in its group's members */
        bool cut;       /* the name may be cut short: 15 bytes, an OS name (3.14+) */
};

struct group {
        uint32_t entry;
        const char *stem;  /* borrowed from its first member */
        char *full;        /* "STEM (FUNCTION)" when the entry is known */
        uint32_t *members; /* member indexes, in order of first sample */
        size_t n, cap;
        uint32_t root;  /* the new session's root stack of the group (when n > 1) */
        size_t n_named; /* members whose name and entry made the group */
};

static const char *
second_field(const char *info, size_t len)
{
        size_t n = strlen(info);
        return n < len ? info + n + 1 : NULL;
}

static bool
in_threading(const char *file)
{
        const char *slash = strrchr(file, '/');
        return strcmp(slash ? slash + 1 : file, "threading.py") == 0;
}

/* threading's frames below a Thread's target: Thread._bootstrap, _bootstrap_inner and run */
static bool
is_bootstrap(const char *info, size_t len)
{
        const char *file = second_field(info, len);

        return file && in_threading(file) &&
               (strcmp(info, "_bootstrap") == 0 || strcmp(info, "_bootstrap_inner") == 0 ||
                strcmp(info, "run") == 0);
}

/* A frame of the weakref modules with nothing below it is a callback the interpreter ran as
 * the last reference went: a Thread's, on its own thread after _bootstrap returned (every
 * Thread is in threading._dangling, a WeakSet, whose callback is _remove), never a role. */
static bool
weakref_callback(const char *info, size_t len)
{
        const char *file = second_field(info, len), *slash;

        if (!file)
                return false;
        slash = strrchr(file, '/');
        file = slash ? slash + 1 : file;
        return strcmp(file, "_weakrefset.py") == 0 || strcmp(file, "weakref.py") == 0;
}

/* The name with its counters taken out: a '-' or '_' and the digits after it, where a
 * non-alphanumeric character or the end follows ("Thread-12 (f)" → "Thread (f)",
 * "ThreadPoolExecutor-0_3" → "ThreadPoolExecutor", "Dummy-3", "Thread-<TID>", "asyncio_0").
 * Executors' own numbers go too: a program that makes an executor per task has one role. */
static char *
name_stem(const char *name)
{
        size_t n = strlen(name), k = 0;
        char *out = xmalloc(n + 1);

        for (size_t i = 0; i < n;) {
                if ((name[i] == '-' || name[i] == '_') && i + 1 < n && name[i + 1] >= '0' &&
                    name[i + 1] <= '9') {
                        size_t j = i + 1;
                        while (j < n && name[j] >= '0' && name[j] <= '9')
                                j++;
                        char c = name[j];
                        if (!c || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                                i = j;
                                continue;
                        }
                }
                out[k++] = name[i++];
        }
        out[k] = '\0';
        return out;
}

/* The target 3.10+ puts in the name of a Thread it names ("Thread-12 (process_request_thread)"),
 * or NULL: with its length in *@ret_len. */
static const char *
target_in_name(const char *name, size_t *ret_len)
{
        size_t n = strlen(name);
        const char *open = strstr(name, " (");

        if (strncmp(name, "Thread-", 7) != 0 || name[7] < '0' || name[7] > '9' || !open || n < 2 ||
            name[n - 1] != ')')
                return NULL;
        *ret_len = (size_t)(name + n - 1 - (open + 2));
        return open + 2;
}

/* Take " (FUNCTION)" off the end of @stem: 3.10+ names a Thread after its target
 * ("Thread-12 (process_request_thread)"), 3.8 and 3.9 do not, and a thread whose name could
 * not be read is Thread-<TID>: all three are the same role. */
static void
drop_target_suffix(char *stem, const char *function)
{
        size_t n = strlen(stem), f = strlen(function);

        if (n >= f + 3 && stem[n - 1] == ')' && strncmp(stem + n - f - 1, function, f) == 0 &&
            strncmp(stem + n - f - 3, " (", 2) == 0)
                stem[n - f - 3] = '\0';
}

static bool
starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct roles {
        struct group *v;
        size_t n, cap;
        struct strtab keys; /* "stem\0entry" → its group's index, as the key's id */
};

/* The role of @stem and @entry, made when it is new. */
static uint32_t
role(struct roles *r, const struct strtab *idents, const char *stem, uint32_t entry)
{
        size_t n = strlen(stem), len;
        _cleanup_free_ char *key = xmalloc(n + 1 + sizeof(entry));
        uint32_t id;

        memcpy(key, stem, n + 1);
        memcpy(key + n + 1, &entry, sizeof(entry));
        id = strtab_intern(&r->keys, key, n + 1 + sizeof(entry));
        if (id < r->n)
                return id;
        /* ids are dense and made in order: the new key is the next group */
        xgrow(&r->v, &r->cap, r->n + 1, sizeof(*r->v));
        r->v[r->n] = (struct group){ .entry = entry, .stem = stem, .root = NONE };
        if (entry != NONE &&
            asprintf(&r->v[r->n].full, "%s (%s)", stem, strtab_str(idents, entry, &len)) < 0)
                abort();
        return (uint32_t)r->n++;
}

struct session *
session_group_threads(const struct session *s)
{
        _cleanup_free_ uint32_t *roots = session_stack_roots(s), *slot = NULL, *cand = NULL,
                                *ident = NULL, *stack_map = NULL, *frame_map = NULL;
        _cleanup_free_ double *weight = NULL;
        _cleanup_free_ struct member *members = NULL;
        _cleanup_free_ bool *emitted = NULL;
        _cleanup_free_ uint8_t *level = NULL;
        _cleanup_free_ size_t *count = NULL, *order = NULL;
        struct strtab idents;
        struct u64map pairs;
        struct roles roles = { 0 };
        struct group *groups;
        size_t n_members = 0, cap_members = 0, n_groups, n_pairs = 0, cap_weight = 0, grouped = 0;
        uint32_t start_frame = NONE;
        struct session *r = NULL;

        /* the thread the session's start_call_stack names keeps its root: the stem is trimmed
         * by that frame */
        if (s->n_start_call_stack)
                start_frame = s->start_call_stack[0];

        /* thread roots that may be grouped: <thread> pseudo-frames other than MainThread */
        slot = xmalloc((s->n_stacks ? s->n_stacks : 1) * sizeof(*slot));
        for (size_t i = 0; i < s->n_stacks; i++) {
                size_t len;
                const char *info, *file;

                slot[i] = NONE;
                if (s->stacks[i].parent != SESSION_NO_STACK || s->stacks[i].frame == start_frame)
                        continue;
                info = session_frame_info(s, s->stacks[i].frame, &len);
                file = second_field(info, len);
                if (!file || strcmp(file, "<thread>") != 0 || strcmp(info, "MainThread") == 0)
                        continue;
                xgrow(&members, &cap_members, n_members + 1, sizeof(*members));
                members[n_members] = (struct member){ .root = (uint32_t)i,
                                                      .entry = NONE,
                                                      .group = NONE,
                                                      .stem = name_stem(info),
                                                      .cut = strlen(info) == 15 };
                slot[i] = (uint32_t)n_members++;
        }
        if (n_members < 2)
                goto out;

        /* each stack's entry candidate: its first frame above threading's bootstrap frames (the
         * thread's outermost frame for a thread threading did not start), as an identifier
         * (the frame text before its attributes: the line being run differs between samples).
         * It is the thread's target only when Thread.run called it, or it is a subclass's run()
         * called by _bootstrap_inner, or nothing is below it: what _bootstrap_inner calls
         * besides, as the thread starts and ends (_started.set(), _delete(), a weakref
         * callback of its locals), is threading's own business */
        strtab_init(&idents);
        strtab_init(&roles.keys);
        u64map_init(&pairs);
        ident = xmalloc((s->frames.n ? s->frames.n : 1) * sizeof(*ident));
        memset(ident, 0xff, (s->frames.n ? s->frames.n : 1) * sizeof(*ident));
        cand = xmalloc((s->n_stacks ? s->n_stacks : 1) * sizeof(*cand));
        level = xcalloc(s->n_stacks ? s->n_stacks : 1, sizeof(*level));
        for (size_t i = 0; i < s->n_stacks; i++) {
                const struct session_stack *st = &s->stacks[i];
                size_t len;
                const char *info;

                cand[i] = NONE;
                if (st->parent == SESSION_NO_STACK || slot[roots[i]] == NONE)
                        continue;
                if (cand[st->parent] != NONE) {
                        cand[i] = cand[st->parent];
                        level[i] = level[st->parent];
                        continue;
                }
                info = session_frame_info(s, st->frame, &len);
                if (is_bootstrap(info, len))
                        continue;
                if (s->stacks[st->parent].parent == SESSION_NO_STACK) {
                        level[i] = weakref_callback(info, len) ? BUSINESS : OUTERMOST;
                } else {
                        size_t plen;
                        const char *parent =
                                session_frame_info(s, s->stacks[st->parent].frame, &plen);
                        level[i] = strcmp(info, "run") == 0 || (is_bootstrap(parent, plen) &&
                                                                strcmp(parent, "run") == 0)
                                           ? TARGET
                                           : BUSINESS;
                }
                if (ident[st->frame] == NONE) {
                        const char *attr = memchr(info, '\x01', len);
                        ident[st->frame] =
                                strtab_intern(&idents, info, attr ? (size_t)(attr - info) : len);
                }
                cand[i] = ident[st->frame];
        }

        /* a thread's entry is the candidate it spent most time in, preferring its target: a
         * thread seen only as it starts or ends has none */
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i], c;
                uint64_t key, pos;

                if (st == SESSION_NO_STACK || slot[roots[st]] == NONE || cand[st] == NONE)
                        continue;
                c = cand[st];
                key = ((uint64_t)slot[roots[st]] << 32 | c) + 1;
                if (!u64map_get(&pairs, key, &pos)) {
                        pos = n_pairs++;
                        u64map_put(&pairs, key, pos);
                        xgrow(&weight, &cap_weight, n_pairs, sizeof(*weight));
                        weight[pos] = 0;
                }
                weight[pos] += s->sample_weight[i];

                struct member *m = &members[slot[roots[st]]];
                if (level[st] != OUTERMOST)
                        m->threading = true;
                if (m->entry == NONE || level[st] > m->level ||
                    (level[st] == m->level && weight[pos] > m->best)) {
                        m->entry = c;
                        m->best = weight[pos];
                        m->level = level[st];
                }
        }
        for (size_t k = 0; k < n_members; k++) {
                struct member *m = &members[k];
                size_t len, tlen;
                const char *name = session_frame_info(s, s->stacks[m->root].frame, &len);
                const char *target = target_in_name(name, &tlen), *function;

                /* only threading's own business was seen, or, of a thread threading started,
                 * what ran after its _bootstrap returned (the weakref callbacks of its
                 * thread-locals) */
                if (m->entry != NONE && m->level < (m->threading ? TARGET : OUTERMOST))
                        m->entry = NONE;
                if (m->entry == NONE)
                        continue;
                function = strtab_str(&idents, m->entry, &len);
                /* a thread whose name gives its target but that was only seen elsewhere (as it
                 * ended: a weakref callback of its locals) has no entry of its own */
                if (target && (strlen(function) != tlen || strncmp(function, target, tlen) != 0))
                        m->entry = NONE;
                else
                        drop_target_suffix(m->stem, function);
        }

        /* the roles of the threads whose name and entry are known */
        for (size_t k = 0; k < n_members; k++) {
                struct member *m = &members[k];
                if (m->entry == NONE || !m->stem[0] || m->cut)
                        continue;
                m->group = role(&roles, &idents, m->stem, m->entry);
                roles.v[m->group].n_named++;
        }
        /* a thread seen only in threading's frames, or with no name, or a name that may be cut
         * short, joins the one role its name can be the start of
         * ("Thread-12 (process_request_thread)" seen only in _bootstrap_inner; 3.14's OS names,
         * cut to 15 bytes, of threads not registered yet; 3.8's "Thread-12" may fit several:
         * the most common), else has its own */
        n_groups = roles.n;
        for (size_t k = 0; k < n_members; k++) {
                struct member *m = &members[k];
                uint32_t found = NONE;

                if (m->group != NONE)
                        continue;
                for (size_t g = 0; g < n_groups; g++) {
                        const struct group *gr = &roles.v[g];
                        if ((m->entry == NONE || gr->entry == m->entry) && gr->full &&
                            starts_with(gr->full, m->stem) &&
                            (found == NONE || gr->n_named > roles.v[found].n_named))
                                found = (uint32_t)g;
                }
                m->group = found != NONE ? found : role(&roles, &idents, m->stem, m->entry);
        }
        groups = roles.v;
        n_groups = roles.n;

        /* members in order of first sample, which is the order they are laid out in */
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i], k;
                struct group *g;

                if (st == SESSION_NO_STACK || (k = slot[roots[st]]) == NONE || members[k].listed)
                        continue;
                g = &groups[members[k].group];
                xgrow(&g->members, &g->cap, g->n + 1, sizeof(*g->members));
                g->members[g->n++] = k;
                members[k].listed = true;
        }
        for (size_t g = 0; g < n_groups; g++)
                if (groups[g].n > 1)
                        grouped++;
        if (!grouped)
                goto done;

        /* the new session: a group's threads under one root named for the role and the count */
        r = session_new();
        frame_map = xmalloc((s->frames.n ? s->frames.n : 1) * sizeof(*frame_map));
        for (size_t i = 0; i < s->frames.n; i++)
                frame_map[i] = session_frame(r, s->frames.v[i].str, s->frames.v[i].len);
        for (size_t g = 0; g < n_groups; g++) {
                struct group *gr = &groups[g];
                _cleanup_free_ char *info = NULL;
                const char *function = "";
                size_t len = 0;
                int n;

                if (gr->n < 2)
                        continue;
                if (gr->entry != NONE)
                        function = strtab_str(&idents, gr->entry, &len);
                /* "Thread (process_request_thread) [142 threads]": the function part of the
                 * entry's identifier names the role where the thread's name may not. The
                 * third part, a thread's threading.get_ident(), is 0: no one thread's, and
                 * folded stacks keep their "name (file:line)" shape (the text report leaves a
                 * 0 out) */
                if (gr->entry != NONE)
                        n = asprintf(&info, "%s%s(%s) [%zu threads]%c<thread>%c0", gr->stem,
                                     gr->stem[0] ? " " : "", function, gr->n, 0, 0);
                else
                        n = asprintf(&info, "%s [%zu threads]%c<thread>%c0", gr->stem, gr->n, 0, 0);
                if (n < 0)
                        abort();
                gr->root = session_stack(r, SESSION_NO_STACK, session_frame(r, info, (size_t)n));
        }
        stack_map = xmalloc((s->n_stacks ? s->n_stacks : 1) * sizeof(*stack_map));
        for (size_t i = 0; i < s->n_stacks; i++) {
                const struct session_stack *st = &s->stacks[i];
                uint32_t k = slot[roots[i]];
                const struct group *g = k == NONE ? NULL : &groups[members[k].group];

                if (st->parent != SESSION_NO_STACK)
                        stack_map[i] =
                                session_stack(r, stack_map[st->parent], frame_map[st->frame]);
                else if (g && g->n > 1)
                        stack_map[i] = g->root;
                else
                        stack_map[i] = session_stack(r, SESSION_NO_STACK, frame_map[st->frame]);
        }

        /* the samples in order, except that a group's are laid out thread after thread where
         * its first sample was: interleaved, concurrent threads would make the timeline (and
         * the timeline tree) a node per sample */
        count = xcalloc(n_members + 1, sizeof(*count));
        order = xmalloc((s->n_samples ? s->n_samples : 1) * sizeof(*order));
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                if (st != SESSION_NO_STACK && slot[roots[st]] != NONE)
                        count[slot[roots[st]] + 1]++;
        }
        for (size_t k = 0; k < n_members; k++)
                count[k + 1] += count[k];
        /* count[k] is now where member k's samples start in @order */
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                if (st != SESSION_NO_STACK && slot[roots[st]] != NONE)
                        order[count[slot[roots[st]]]++] = i;
        }
        /* and count[k] where they end; member k starts at count[k - 1] (0 for the first) */
        emitted = xcalloc(n_groups, sizeof(*emitted));
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i], k;
                struct group *g;

                if (st == SESSION_NO_STACK || (k = slot[roots[st]]) == NONE ||
                    groups[members[k].group].n < 2) {
                        session_add_sample(r, st == SESSION_NO_STACK ? st : stack_map[st],
                                           s->sample_weight[i]);
                        continue;
                }
                g = &groups[members[k].group];
                if (emitted[members[k].group])
                        continue;
                emitted[members[k].group] = true;
                for (size_t j = 0; j < g->n; j++) {
                        uint32_t m = g->members[j];
                        for (size_t x = m ? count[m - 1] : 0; x < count[m]; x++)
                                session_add_sample(r, stack_map[s->sample_stack[order[x]]],
                                                   s->sample_weight[order[x]]);
                }
        }

        session_set_times(r, s->start_time, s->duration, s->cpu_time);
        session_set_interval(r, s->min_interval, s->max_interval);
        session_set_sample_count(r, session_meta_sample_count(s));
        session_copy_about(r, s);
done:
        for (size_t g = 0; g < roles.n; g++) {
                free(roles.v[g].members);
                free(roles.v[g].full);
        }
        free(roles.v);
        strtab_release(&roles.keys);
        u64map_release(&pairs);
        strtab_release(&idents);
out:
        for (size_t k = 0; k < n_members; k++)
                free(members[k].stem);
        return r;
}

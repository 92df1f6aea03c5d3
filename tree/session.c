/* The session: frame-info strings interned, stacks as a prefix trie (parent stack + frame), the
 * sample log as two parallel arrays, and pyinstrument's session metadata. The .pyisession form
 * is in session-json.c; the frame tree built from the samples is in frame.c. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/u64map.h"
#include "common/xalloc.h"
#include "tree.h"
#include "tree_internal.h"

struct session *
session_new(void)
{
        struct session *s = xcalloc(1, sizeof(*s));
        strtab_init(&s->frames);
        u64map_init(&s->stack_index);
        s->min_interval = s->max_interval = 0.001;
        return s;
}

struct session *
session_free(struct session *s)
{
        if (!s)
                return NULL;
        strtab_release(&s->frames);
        free(s->stacks);
        free(s->sample_stack);
        free(s->sample_weight);
        u64map_release(&s->stack_index);
        free(s->target_description);
        for (size_t i = 0; i < s->n_sys_path; i++)
                free(s->sys_path[i]);
        free(s->sys_path);
        for (size_t i = 0; i < s->n_sys_prefixes; i++)
                free(s->sys_prefixes[i]);
        free(s->sys_prefixes);
        free(s->start_call_stack);
        free(s);
        return NULL;
}

uint32_t
session_frame(struct session *s, const char *info, size_t len)
{
        return strtab_intern(&s->frames, info, len);
}

uint32_t
session_stack(struct session *s, uint32_t parent, uint32_t frame)
{
        uint64_t key = ((uint64_t)parent << 32 | frame) + 1, v;

        if (u64map_get(&s->stack_index, key, &v))
                return (uint32_t)v;
        xgrow(&s->stacks, &s->cap_stacks, s->n_stacks + 1, sizeof(*s->stacks));
        s->stacks[s->n_stacks] = (struct session_stack){ .parent = parent, .frame = frame };
        u64map_put(&s->stack_index, key, s->n_stacks);
        return (uint32_t)s->n_stacks++;
}

void
session_add_sample(struct session *s, uint32_t stack, double weight)
{
        xgrow(&s->sample_stack, &s->cap_samples_s, s->n_samples + 1, sizeof(*s->sample_stack));
        xgrow(&s->sample_weight, &s->cap_samples_w, s->n_samples + 1, sizeof(*s->sample_weight));
        s->sample_stack[s->n_samples] = stack;
        s->sample_weight[s->n_samples] = weight;
        s->n_samples++;
}

size_t
session_filter_samples(struct session *s,
                       uint32_t (*fn)(size_t i, uint32_t stack, void *userdata),
                       void *userdata)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = fn(i, s->sample_stack[i], userdata);
                if (st == SESSION_DROP)
                        continue;
                s->sample_stack[n] = st;
                s->sample_weight[n] = s->sample_weight[i];
                n++;
        }
        s->n_samples = n;
        s->sample_count_set = false;
        return n;
}

void
session_clear_start_call_stack(struct session *s)
{
        s->n_start_call_stack = 0;
}

uint32_t
session_sample_stack(const struct session *s, size_t i)
{
        return s->sample_stack[i];
}

double
session_sample_weight(const struct session *s, size_t i)
{
        return s->sample_weight[i];
}

size_t
session_stack_count(const struct session *s)
{
        return s->n_stacks;
}

uint32_t
session_stack_parent(const struct session *s, uint32_t stack)
{
        return s->stacks[stack].parent;
}

uint32_t
session_stack_frame(const struct session *s, uint32_t stack)
{
        return s->stacks[stack].frame;
}

size_t
session_frame_count(const struct session *s)
{
        return strtab_count(&s->frames);
}

const char *
session_frame_info(const struct session *s, uint32_t frame, size_t *ret_len)
{
        return strtab_str(&s->frames, frame, ret_len);
}

uint32_t *
session_stack_roots(const struct session *s)
{
        uint32_t *root = xmalloc((s->n_stacks ? s->n_stacks : 1) * sizeof(*root));

        /* one pass: a parent is interned before its children, so its root is already known */
        for (size_t i = 0; i < s->n_stacks; i++)
                root[i] = s->stacks[i].parent == SESSION_NO_STACK ? (uint32_t)i
                                                                  : root[s->stacks[i].parent];
        return root;
}

void
session_set_times(struct session *s, double start_time, double duration, double cpu_time)
{
        s->start_time = start_time;
        s->duration = duration;
        s->cpu_time = cpu_time;
}

void
session_set_interval(struct session *s, double min_interval, double max_interval)
{
        s->min_interval = min_interval;
        s->max_interval = max_interval;
}

void
session_set_target_description(struct session *s, const char *text)
{
        free(s->target_description);
        s->target_description = xstrdup(text);
}

void
session_add_sys_path(struct session *s, const char *path)
{
        s->sys_path = xrealloc(s->sys_path, (s->n_sys_path + 1) * sizeof(char *));
        s->sys_path[s->n_sys_path++] = xstrdup(path);
}

void
session_add_sys_prefix(struct session *s, const char *prefix)
{
        s->sys_prefixes = xrealloc(s->sys_prefixes, (s->n_sys_prefixes + 1) * sizeof(char *));
        s->sys_prefixes[s->n_sys_prefixes++] = xstrdup(prefix);
}

void
session_add_start_call_stack(struct session *s, const char *info, size_t len)
{
        uint32_t id = session_frame(s, info, len);

        xgrow(&s->start_call_stack, &s->cap_start_call_stack, s->n_start_call_stack + 1,
              sizeof(*s->start_call_stack));
        s->start_call_stack[s->n_start_call_stack++] = id;
}

void
session_set_sample_count(struct session *s, uint64_t count)
{
        s->sample_count = count;
        s->sample_count_set = true;
}

size_t
session_sample_count(const struct session *s)
{
        return s->n_samples;
}

uint64_t
session_meta_sample_count(const struct session *s)
{
        return s->sample_count_set ? s->sample_count : s->n_samples;
}

double
session_start_time(const struct session *s)
{
        return s->start_time;
}

time_t
session_start_time_t(const struct session *s)
{
        double t = s->start_time;

        /* a loaded file says what it says: converting a double outside time_t's range (or a
         * NaN) is undefined, so such a time reads as the epoch. 0x1p63 is exact and excluded
         * (INT64_MAX rounds up to it); the comparisons are false for NaN. */
        _Static_assert(sizeof(time_t) == 8, "time_t is 64 bits");
        if (!(t >= -0x1p63 && t < 0x1p63))
                return 0;
        return (time_t)t;
}

double
session_duration(const struct session *s)
{
        return s->duration;
}

double
session_cpu_time(const struct session *s)
{
        return s->cpu_time;
}

double
session_max_interval(const struct session *s)
{
        return s->max_interval;
}

const char *
session_target_description(const struct session *s)
{
        return s->target_description ? s->target_description : "";
}

static bool
strv_contains(char *const *v, size_t n, const char *x)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], x) == 0)
                        return true;
        return false;
}

/* Re-intern @other's stack @st (and its parents) in @s. Parents have smaller ids than their
 * children, so one forward pass over @other's stacks fills the whole map. */
static uint32_t *
map_stacks(struct session *s, const struct session *other)
{
        uint32_t *map = xmalloc((other->n_stacks ? other->n_stacks : 1) * sizeof(*map));

        for (size_t i = 0; i < other->n_stacks; i++) {
                const struct session_stack *st = &other->stacks[i];
                const struct strtab_entry *f = &other->frames.v[st->frame];
                uint32_t parent =
                        st->parent == SESSION_NO_STACK ? SESSION_NO_STACK : map[st->parent];

                map[i] = session_stack(s, parent, session_frame(s, f->str, f->len));
        }
        return map;
}

void
session_combine(struct session *s, const struct session *other)
{
        _cleanup_free_ uint32_t *map = map_stacks(s, other);
        uint64_t count = session_meta_sample_count(s) + session_meta_sample_count(other);
        bool other_first = other->start_time < s->start_time;
        size_t n_own = s->n_samples;

        for (size_t i = 0; i < other->n_samples; i++) {
                uint32_t st = other->sample_stack[i];
                session_add_sample(s, st == SESSION_NO_STACK ? st : map[st],
                                   other->sample_weight[i]);
        }
        if (other_first) {
                /* the earlier session's records come first: rotate them to the front */
                size_t n_other = other->n_samples, n = s->n_samples;
                uint32_t *st = xmalloc(n * sizeof(*st) + 1);
                double *w = xmalloc(n * sizeof(*w) + 1);

                memcpy(st, s->sample_stack + n_own, n_other * sizeof(*st));
                memcpy(st + n_other, s->sample_stack, n_own * sizeof(*st));
                memcpy(w, s->sample_weight + n_own, n_other * sizeof(*w));
                memcpy(w + n_other, s->sample_weight, n_own * sizeof(*w));
                memcpy(s->sample_stack, st, n * sizeof(*st));
                memcpy(s->sample_weight, w, n * sizeof(*w));
                free(st);
                free(w);

                s->start_time = other->start_time;
                free(s->target_description);
                s->target_description =
                        other->target_description ? xstrdup(other->target_description) : NULL;
                s->n_start_call_stack = 0;
                for (size_t i = 0; i < other->n_start_call_stack; i++) {
                        const struct strtab_entry *f = &other->frames.v[other->start_call_stack[i]];
                        session_add_start_call_stack(s, f->str, f->len);
                }
        }
        s->min_interval =
                s->min_interval < other->min_interval ? s->min_interval : other->min_interval;
        s->max_interval =
                s->max_interval > other->max_interval ? s->max_interval : other->max_interval;
        s->duration += other->duration;
        s->cpu_time += other->cpu_time;
        session_set_sample_count(s, count);
        /* the earlier session's sys_path, then the later one's new entries; a set union of
         * prefixes has no order */
        if (other_first) {
                char **own = s->sys_path;
                size_t n_own_path = s->n_sys_path;

                s->sys_path = NULL;
                s->n_sys_path = 0;
                for (size_t i = 0; i < other->n_sys_path; i++)
                        session_add_sys_path(s, other->sys_path[i]);
                for (size_t i = 0; i < n_own_path; i++) {
                        if (!strv_contains(s->sys_path, s->n_sys_path, own[i]))
                                session_add_sys_path(s, own[i]);
                        free(own[i]);
                }
                free(own);
        } else {
                for (size_t i = 0; i < other->n_sys_path; i++)
                        if (!strv_contains(s->sys_path, s->n_sys_path, other->sys_path[i]))
                                session_add_sys_path(s, other->sys_path[i]);
        }
        for (size_t i = 0; i < other->n_sys_prefixes; i++)
                if (!strv_contains(s->sys_prefixes, s->n_sys_prefixes, other->sys_prefixes[i]))
                        session_add_sys_prefix(s, other->sys_prefixes[i]);
}

/* What @s says about its program, into @r: its description, sys.path and prefixes, and the
 * call stack its recording started in. */
void
session_copy_about(struct session *r, const struct session *s)
{
        if (s->target_description)
                session_set_target_description(r, s->target_description);
        for (size_t i = 0; i < s->n_sys_path; i++)
                session_add_sys_path(r, s->sys_path[i]);
        for (size_t i = 0; i < s->n_sys_prefixes; i++)
                session_add_sys_prefix(r, s->sys_prefixes[i]);
        for (size_t i = 0; i < s->n_start_call_stack; i++) {
                const struct strtab_entry *f = &s->frames.v[s->start_call_stack[i]];
                session_add_start_call_stack(r, f->str, f->len);
        }
}

struct session *
session_resample(const struct session *s, double interval)
{
        struct session *r = session_new();
        _cleanup_free_ uint32_t *map = map_stacks(r, s);
        _cleanup_free_ uint32_t *root = session_stack_roots(s);
        _cleanup_free_ double *acc = xcalloc(s->n_stacks + 1, sizeof(*acc));

        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                /* one accumulator per thread: samples of other threads interleave in the log */
                double *a = &acc[st == SESSION_NO_STACK ? s->n_stacks : root[st]];

                *a += s->sample_weight[i];
                if (*a >= interval) {
                        session_add_sample(r, st == SESSION_NO_STACK ? st : map[st], *a);
                        *a = fmod(*a, interval);
                }
        }
        session_set_times(r, s->start_time, s->duration, s->cpu_time);
        session_set_interval(r, interval, interval);
        session_set_sample_count(r, r->n_samples);
        session_copy_about(r, s);
        return r;
}

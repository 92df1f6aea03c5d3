/* Placeholder session (lead's minimal version for issue 2): frames interned as strings, a
 * stack trie, and the sample log. The full pyinstrument model comes with issue 3. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "tree.h"
#include "tree_internal.h"

static uint64_t
str_hash(const char *p, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
        return h | 1;
}

struct session *
session_new(void)
{
        struct session *s = xcalloc(1, sizeof(*s));
        u64map_init(&s->frame_index);
        u64map_init(&s->stack_index);
        s->min_interval = s->max_interval = 0.001;
        return s;
}

struct session *
session_free(struct session *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_frames; i++)
                free(s->frames[i].info);
        free(s->frames);
        free(s->stacks);
        free(s->sample_stack);
        free(s->sample_weight);
        u64map_release(&s->frame_index);
        u64map_release(&s->stack_index);
        free(s->target_description);
        for (size_t i = 0; i < s->n_sys_path; i++)
                free(s->sys_path[i]);
        free(s->sys_path);
        for (size_t i = 0; i < s->n_sys_prefixes; i++)
                free(s->sys_prefixes[i]);
        free(s->sys_prefixes);
        free(s);
        return NULL;
}

uint32_t
session_frame(struct session *s, const char *info, size_t len)
{
        uint64_t h = str_hash(info, len), v;

        /* chained by probing h+1, h+2… on collisions of different strings */
        for (;; h = (h + 2) | 1) {
                if (!u64map_get(&s->frame_index, h, &v))
                        break;
                if (s->frames[v].len == len && !memcmp(s->frames[v].info, info, len))
                        return (uint32_t)v;
        }
        xgrow(&s->frames, &s->cap_frames, s->n_frames + 1, sizeof(*s->frames));
        s->frames[s->n_frames] = (struct session_frame){ .info = xmemdup(info, len + 1), .len = len };
        s->frames[s->n_frames].info[len] = '\0';
        u64map_put(&s->frame_index, h, s->n_frames);
        return (uint32_t)s->n_frames++;
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
        (void)s;
        (void)info;
        (void)len;
}

size_t
session_sample_count(const struct session *s)
{
        return s->n_samples;
}

#pragma once
/* Private to tree/ and renderers/: the session's storage. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strtab.h"
#include "common/u64map.h"

struct session_stack {
        uint32_t parent, frame;
};

struct session {
        struct strtab frames; /* frame-info strings */
        struct session_stack *stacks;
        size_t n_stacks, cap_stacks;
        struct u64map stack_index;
        uint32_t *sample_stack; /* SESSION_NO_STACK for an empty stack */
        double *sample_weight;  /* seconds */
        size_t n_samples, cap_samples_s, cap_samples_w;
        double start_time, duration, cpu_time, min_interval, max_interval;
        uint64_t sample_count; /* meaningful only when @sample_count_set */
        bool sample_count_set;
        char *target_description;
        char **sys_path, **sys_prefixes;
        size_t n_sys_path, n_sys_prefixes;
        uint32_t *start_call_stack; /* frame ids, thread root first */
        size_t n_start_call_stack, cap_start_call_stack;
};

struct cJSON;

/* session-json.c: the members other than frame_records, parsed by cJSON into @doc, into @s;
 * 0, or -EBADMSG/-EINVAL with a sentence in @err. */
/* What @s says about its program (description, sys.path and prefixes, start call stack), into
 * @r. */
void session_copy_about(struct session *r, const struct session *s);
int session_json_meta(struct session *s, const struct cJSON *doc, char *err, size_t errlen);

/* session-plain.c: @len bytes of a .pyisession read in place (@mapped: a private file mapping
 * whose pages it may hand back). 0 and *@ret, or -EOPNOTSUPP when the cJSON path must decide
 * (an unusual shape, or a bad file). */
int session_load_plain(const char *buf, size_t len, bool mapped, struct session **ret);

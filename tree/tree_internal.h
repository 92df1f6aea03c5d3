#pragma once
/* Private to tree/ and renderers/: the session's storage. */

#include <stddef.h>
#include <stdint.h>

#include "common/u64map.h"

struct session_frame {
        char *info; /* NUL-terminated copy; may contain NULs, @len is authoritative */
        size_t len;
};

struct session_stack {
        uint32_t parent, frame;
};

struct session {
        struct session_frame *frames;
        size_t n_frames, cap_frames;
        struct u64map frame_index;
        struct session_stack *stacks;
        size_t n_stacks, cap_stacks;
        struct u64map stack_index;
        uint32_t *sample_stack;
        double *sample_weight;
        size_t n_samples, cap_samples_s, cap_samples_w;
        double start_time, duration, cpu_time, min_interval, max_interval;
        char *target_description;
        char **sys_path, **sys_prefixes;
        size_t n_sys_path, n_sys_prefixes;
};

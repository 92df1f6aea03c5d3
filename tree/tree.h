#pragma once
/* tree/: a profiling session (interned frames, a stack trie, the sample log and pyinstrument's
 * session metadata), its .pyisession form, and the frame tree built from it.
 * Nothing here knows that a remote process exists. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/macros.h"

/* The parent of a root stack entry (the <thread> pseudo-frame). */
#define SESSION_NO_STACK UINT32_MAX

struct session;

struct session *session_new(void);
struct session *session_free(struct session *s);
DEFINE_CLEANUP_FUNC(struct session *, session_free)

/* Intern a pyinstrument frame-info string (function \0 file \0 line [\x01 attr]*, see
 * pyinstrument-spec.md §1.3; @len bytes, NULs included). Returns its id, stable for the
 * session's life. */
uint32_t session_frame(struct session *s, const char *info, size_t len);

/* The stack made of @parent (SESSION_NO_STACK for a root) with @frame on top. Interned: the
 * same (parent, frame) always gives the same id. */
uint32_t session_stack(struct session *s, uint32_t parent, uint32_t frame);

/* Append a sample (a frame record) in time order: @stack, weighted @weight seconds. */
void session_add_sample(struct session *s, uint32_t stack, double weight);

/* Metadata (pyinstrument-spec.md §1.1). Strings are copied. */
void session_set_times(struct session *s, double start_time, double duration, double cpu_time);
void session_set_interval(struct session *s, double min_interval, double max_interval);
void session_set_target_description(struct session *s, const char *text);
void session_add_sys_path(struct session *s, const char *path);
void session_add_sys_prefix(struct session *s, const char *prefix);
void session_add_start_call_stack(struct session *s, const char *info, size_t len);
void session_clear_start_call_stack(struct session *s);

/* What session_filter_samples()'s callback returns for a sample to drop. */
#define SESSION_DROP (UINT32_MAX - 1)
/* Replace each sample's stack by what @fn returns for it (in order, with its index before the
 * filter), or drop it (SESSION_DROP). The sample count becomes the samples kept. @return how
 * many are kept. */
size_t session_filter_samples(struct session *s,
                              uint32_t (*fn)(size_t i, uint32_t stack, void *userdata),
                              void *userdata);
/* pyinstrument's sample_count, when it differs from the number of records (a loaded file says
 * what it says); by default it is session_sample_count(). */
void session_set_sample_count(struct session *s, uint64_t count);

/* The number of frame records (samples) held. */
size_t session_sample_count(const struct session *s);

/* Reading the raw samples, for renderers that do not need the frame tree. Sample @i (below
 * session_sample_count()) is a stack id, SESSION_NO_STACK for an empty stack (no thread, no
 * frame: renderers skip it), and a weight in seconds. Ids are dense: stacks below
 * session_stack_count(), frames below session_frame_count(); a stack's parent has a smaller id
 * than the stack. A root stack (parent SESSION_NO_STACK) holds the thread's <thread>
 * pseudo-frame. No bounds checks: the ids must be valid. */
uint32_t session_sample_stack(const struct session *s, size_t i);
double session_sample_weight(const struct session *s, size_t i);
size_t session_stack_count(const struct session *s);
uint32_t session_stack_parent(const struct session *s, uint32_t stack);
uint32_t session_stack_frame(const struct session *s, uint32_t stack);
size_t session_frame_count(const struct session *s);
/* The frame-info string of @frame (as given to session_frame()) and its length, NULs included;
 * NUL-terminated after that. Borrowed, valid until session_free(). */
const char *session_frame_info(const struct session *s, uint32_t frame, size_t *ret_len);
/* The thread root of every stack: an array of session_stack_count() root stack ids (at least
 * one item, never NULL), which the caller frees. */
uint32_t *session_stack_roots(const struct session *s);

/* Read-only metadata. Strings are borrowed, valid until session_free(). */
double session_start_time(const struct session *s);
/* The start time as a time_t for calendar output; the epoch when it is out of range. */
time_t session_start_time_t(const struct session *s);
double session_duration(const struct session *s);
double session_cpu_time(const struct session *s);
double session_max_interval(const struct session *s);
uint64_t session_meta_sample_count(const struct session *s);
const char *session_target_description(const struct session *s);

/* Append @other's records and metadata to @s as pyinstrument's Session.combine() does (the
 * earlier start_time leads; intervals min/max; durations, counts and CPU times summed). */
void session_combine(struct session *s, const struct session *other);

/* pyinstrument's Session.resample(@interval) (pyinstrument-spec.md §1.6) as a new session,
 * except that the time is accumulated per thread, since pyinstr's log interleaves threads and
 * one accumulator would hand one thread's time to another's stack. */
struct session *session_resample(const struct session *s, double interval);

/* Threads that play the same role under one root, as a new session: the same thread name once
 * its counters are taken out ("Thread-12 (f)", "ThreadPoolExecutor-0_3", "Dummy-3",
 * "Thread-<TID>") and the same entry function (what Thread.run called, a subclass's run(), or
 * the outermost frame of a thread threading did not start; a thread seen only in threading's
 * own calls as it starts or ends joins the role its name fits). A group's root is
 * "NAME (FUNCTION) [N threads]\0<thread>\00", N its thread roots; its samples are laid out thread
 * after thread where its first sample was. MainThread, the thread of the start_call_stack and
 * roots that are not <thread> frames (pyinstrument's sessions) keep theirs. NULL when no two
 * threads share a role: @s is the report as it is. */
struct session *session_group_threads(const struct session *s);

/* Load a .pyisession file (pyinstrument 4.7+/5.x, or pyinstr's). A bad or truncated file gives
 * -EBADMSG (-EINVAL for a missing key, -errno when it cannot be read) with one sentence in @err.
 * On success *@ret owns the new session. */
int session_load(const char *path, struct session **ret, char *err, size_t errlen);

/* For tests: whether session_load() and session_load_buffer() may read a file of the usual
 * shape in place (the default) or always go through cJSON. Both give the same session. */
void session_load_set_plain(bool enabled);

/* The same from a buffer of @len bytes (not necessarily NUL-terminated). */
int
session_load_buffer(const char *buf, size_t len, struct session **ret, char *err, size_t errlen);

/* Write @s as a .pyisession that pyinstrument loads (ASCII with \uXXXX escapes, repr floats, no
 * trailing newline), streaming, compacted: no space after "," and ":", and a thread's
 * identical consecutive samples as one record of their summed weight (sample_count still
 * counts them). @return 0 or -EIO. */
int session_save(const struct session *s, FILE *out);

/* The same with a record per sample, as pyinstrument writes them, for readers that count
 * records as samples. */
int session_save_every_sample(const struct session *s, FILE *out);

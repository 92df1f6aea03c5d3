#pragma once
/* pyinstrument's processors (pyinstrument-spec.md §3): passes that reshape a frame tree and
 * return its (possibly new, possibly NULL) root. They cannot fail. Adding one is a file in
 * tree/processors/ and a line in processor.c's table. */

#include <regex.h>
#include <stdbool.h>

#include "tree/frame.h"

struct processor_opts {
        double filter_threshold;   /* remove_irrelevant_nodes; pyinstrument's default 0.01 */
        const regex_t *hide_regex; /* group_library_frames_processor; NULL = none */
        const regex_t *show_regex;
};

typedef struct frame *(*processor_fn)(struct frame_tree *t,
                                      struct frame *root,
                                      const struct processor_opts *o);

struct processor {
        const char *name;
        processor_fn fn;
};

/* NULL when no processor has that name. */
const struct processor *processor_find(const char *name);

/* Run the NULL-terminated list @names in order, leaving out those in the NULL-terminated
 * @skip (may be NULL). Unknown names are skipped. (The tests run frame_check() after each.) */
struct frame *processors_run(struct frame_tree *t,
                             struct frame *root,
                             const char *const *names,
                             const char *const *skip,
                             const struct processor_opts *o);

/* processors_run(@names less @skip) over frame_tree_build(@thread)'s tree. When the list starts
 * with [remove_importlib] [remove_tracebackhide] merge_consecutive_self_time
 * aggregate_repeated_calls, that part is done by frame_tree_build_aggregated() straight from the
 * samples (the timeline tree of a long session takes gigabytes), unless the session needs the
 * timeline; the result is the same to the last bit. */
struct frame *processors_build_run(struct frame_tree *t,
                                   uint32_t thread,
                                   const char *const *names,
                                   const char *const *skip,
                                   const struct processor_opts *o);

/* For tests: make processors_build_run() always build the timeline tree. */
void processors_build_set_timeline(bool always);
/* Whether they asked for it: renderers that stream from the samples (speedscope) then take the
 * timeline tree too. */
bool processors_build_timeline(void);

/* remove_importlib's test: the identifier's file is <frozen importlib._bootstrap...>. */
bool processor_ident_is_importlib(const struct frame_ident *fi);

/* Shared by remove_importlib and remove_tracebackhide: children first, replace every child
 * that @match()es by its own children, in place. */
struct frame *processor_replace_matching(struct frame_tree *t,
                                         struct frame *root,
                                         bool (*match)(const struct frame_tree *t,
                                                       const struct frame *f));

/* The processors, one per file in tree/processors/. */
struct frame *processor_remove_importlib(struct frame_tree *t,
                                         struct frame *root,
                                         const struct processor_opts *o);
struct frame *processor_remove_tracebackhide(struct frame_tree *t,
                                             struct frame *root,
                                             const struct processor_opts *o);
struct frame *processor_merge_consecutive_self_time(struct frame_tree *t,
                                                    struct frame *root,
                                                    const struct processor_opts *o);
struct frame *processor_aggregate_repeated_calls(struct frame_tree *t,
                                                 struct frame *root,
                                                 const struct processor_opts *o);
struct frame *processor_remove_irrelevant_nodes(struct frame_tree *t,
                                                struct frame *root,
                                                const struct processor_opts *o);
struct frame *processor_remove_unnecessary_self_time_nodes(struct frame_tree *t,
                                                           struct frame *root,
                                                           const struct processor_opts *o);
struct frame *processor_remove_first_pyinstrument_frames(struct frame_tree *t,
                                                         struct frame *root,
                                                         const struct processor_opts *o);
struct frame *processor_group_library_frames(struct frame_tree *t,
                                             struct frame *root,
                                             const struct processor_opts *o);

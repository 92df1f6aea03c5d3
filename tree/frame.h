#pragma once
/* The frame tree pyinstrument renders: built from a session's samples in timeline order
 * (pyinstrument-spec.md §1.4), then reshaped by processors (§3). A node is a struct frame; all
 * nodes, identifiers and groups belong to one struct frame_tree and are freed with it, so a
 * processor that detaches a node simply forgets it. Nothing here recurses: trees may be
 * thousands of levels deep. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macros.h"
#include "tree/tree.h"

#define FRAME_NO_GROUP UINT32_MAX

enum frame_synthetic {
        FRAME_REAL = 0,
        FRAME_SELF,           /* [self] */
        FRAME_AWAIT,          /* [await] */
        FRAME_OUT_OF_CONTEXT, /* [out-of-context] */
        FRAME_ROOT,           /* [root], the dummy root above several threads */
};

/* An identifier (the frame-info text before the first \x01), split once. */
struct frame_ident {
        const char *function; /* never NULL */
        const char *file;     /* NULL when the identifier has no second part */
        long line;            /* 0 when absent or not a number */
        bool has_line;        /* a third part exists (pyinstrument's line_no is not None) */
        enum frame_synthetic synthetic;
        int32_t short_path; /* index into the tree's shortened paths, -1 = not computed */
};

struct frame_attr {
        uint32_t key; /* attribute text (marker + data), an index into the tree's table */
        double time;  /* seconds observed */
};

struct frame {
        struct frame *parent;
        struct frame **children;
        uint32_t n_children, cap_children;
        uint32_t ident;
        uint32_t group;           /* FRAME_NO_GROUP or an index into the tree's groups */
        struct frame_attr *attrs; /* in order of first observation, as Python's dict */
        uint32_t n_attrs, cap_attrs;
        double time;          /* seconds, inclusive */
        double absorbed_time; /* seconds of deleted descendants, kept inside @time */
};

struct frame_group {
        char id[37];    /* uuid4 text, as pyinstrument's FrameGroup.id */
        uint32_t index; /* its place in the tree's groups, what frame.group holds */
        struct frame *root;
        struct frame **frames; /* in the order they joined */
        size_t n_frames, cap_frames;
        struct frame **exit_frames; /* computed on first use */
        size_t n_exit_frames;
        bool exit_frames_known;
};

struct frame_tree;

/* A tree context for @s (borrowed: it must outlive the tree). Trees are built from it with
 * frame_tree_build(); processors and renderers take it with every frame. */
struct frame_tree *frame_tree_new(const struct session *s);
struct frame_tree *frame_tree_free(struct frame_tree *t);
DEFINE_CLEANUP_FUNC(struct frame_tree *, frame_tree_free)

/* The distinct thread roots of the session's samples, busiest (most sampled time) first.
 * Returns how many; *ret_threads is borrowed (valid until frame_tree_free). */
size_t frame_tree_threads(struct frame_tree *t, const uint32_t **ret_threads);

/* Build one thread's tree (@thread from frame_tree_threads(), an identifier index), or, with
 * @thread == UINT32_MAX, every thread: one thread's tree alone, or a [root] whose children are
 * the thread trees in order of first sample. As pyinstrument's build_frame_tree() (timeline
 * order, a [self] per sample) then Session._trim_stem(). NULL when there are no samples. */
struct frame *frame_tree_build(struct frame_tree *t, uint32_t thread);

/* The tree frame_tree_build(@thread) gives after remove_importlib (when @remove is its
 * identifier test, else NULL), remove_tracebackhide (when @remove_hidden),
 * merge_consecutive_self_time and aggregate_repeated_calls, built straight from the samples
 * without the timeline tree, the same to the last bit. @return 0 with *@ret_root (NULL when there
 * are no samples), or -EOPNOTSUPP when only the timeline can tell: the session trims a stem
 * (start_call_stack), an identifier's frames disagree on __tracebackhide__, a frame is named
 * [self] or [root], or a thread root under a [root] would be removed. */
int frame_tree_build_aggregated(struct frame_tree *t,
                                uint32_t thread,
                                bool (*remove)(const struct frame_ident *fi),
                                bool remove_hidden,
                                struct frame **ret_root);

/* Speedscope's events straight from the samples, without the timeline tree: for each node of the
 * tree frame_tree_build(@thread) gives after remove_importlib, remove_tracebackhide,
 * merge_consecutive_self_time, remove_irrelevant_nodes (@threshold) and
 * remove_unnecessary_self_time_nodes (only the merge and the last when @show_all), in depth-first
 * order, @fn(@userdata, 'O' or 'C', identifier index, clock) with the clock
 * renderers/speedscope.c keeps (moved at a close by the node's absorbed time, and by its time
 * when it is a synthetic leaf), the same to the last bit. Memory is the stack depth and the
 * events of the subtrees still under the threshold. */
typedef void (*frame_event_fn)(void *userdata, char type, uint32_t ident, double at);
struct frame_events;
/* 0 and *@ret, or -EOPNOTSUPP when only the timeline can tell: a frame is named [self] or [root],
 * a sample's weight is negative or not finite, the session trims a stem (start_call_stack), a
 * thread root's file is pyinstrument's (remove_first_pyinstrument_frames_processor), or an
 * identifier's frames disagree on __tracebackhide__. */
int
frame_events_new(struct frame_tree *t, bool show_all, double threshold, struct frame_events **ret);
/* The events of one thread (from frame_tree_threads()), or of every sample with UINT32_MAX
 * (a session of one thread). Nothing when it has no samples. */
void frame_events_run(struct frame_events *ev, uint32_t thread, frame_event_fn fn, void *userdata);
struct frame_events *frame_events_free(struct frame_events *ev);
/* For tests: how many buffered events make the first attempt to write some out (0: the
 * default, 4096); 1 tries after every sample. */
void frame_events_set_flush(size_t n);
DEFINE_CLEANUP_FUNC(struct frame_events *, frame_events_free)

const struct frame_ident *frame_ident(const struct frame_tree *t, const struct frame *f);
/* The parsed identifier of an identifier index. */
const struct frame_ident *frame_tree_ident(const struct frame_tree *t, uint32_t ident);
const char *frame_attr_key(const struct frame_tree *t, uint32_t key);
/* The identifier text of an identifier index, and its length. */
const char *frame_ident_text(const struct frame_tree *t, uint32_t ident, size_t *ret_len);

/* pyinstrument's derived values (frame.py). */
bool frame_is_synthetic(const struct frame_tree *t, const struct frame *f);
bool frame_is_synthetic_leaf(const struct frame_tree *t, const struct frame *f);
double frame_total_self_time(const struct frame_tree *t, const struct frame *f);
double frame_proportion_of_parent(const struct frame *f);
double frame_await_time(const struct frame_tree *t, struct frame *f);
bool frame_is_application_code(const struct frame_tree *t, const struct frame *f);
/* NULL when the frame has no file. Borrowed from the tree. */
const char *frame_file_path_short(struct frame_tree *t, const struct frame *f);
/* The data of the most-observed attribute with @marker ('c', 'l', 'h'), or NULL; its length
 * in *ret_len. Borrowed from the tree. */
const char *frame_attribute_value(const struct frame_tree *t,
                                  const struct frame *f,
                                  char marker,
                                  size_t *ret_len);
bool frame_has_tracebackhide(const struct frame_tree *t, const struct frame *f);
const char *frame_class_name(const struct frame_tree *t, const struct frame *f);

/* Tree operations (frame_ops.py). */
enum frame_replace {
        FRAME_REPLACE_CHILDREN,
        FRAME_REPLACE_SELF_TIME,
        FRAME_REPLACE_NOTHING,
};
void frame_delete(struct frame_tree *t, struct frame *f, enum frame_replace with);
void frame_combine(struct frame_tree *t, struct frame *f, struct frame *into);
/* The same as frame_delete(FRAME_REPLACE_NOTHING) and frame_combine(), except that @f stays in
 * its parent's children array: callers that remove many children compact the array once. */
void frame_delete_detached(struct frame_tree *t, struct frame *f);
void frame_combine_into(struct frame_tree *t, struct frame *f, struct frame *into);
void frame_remove_from_parent(struct frame *f);
void frame_add_child(struct frame_tree *t, struct frame *parent, struct frame *child);

/* Stable sort of @n frames by time, descending (sorted(reverse=True)), with @tmp (n items). */
void frame_sort_by_time(struct frame **v, struct frame **tmp, size_t n);

/* Groups (FrameGroup). */
struct frame_group *frame_group_new(struct frame_tree *t, struct frame *root);
struct frame_group *frame_group(const struct frame_tree *t, const struct frame *f);
void frame_group_add(struct frame_tree *t, struct frame_group *g, struct frame *f);
bool frame_group_is_exit_frame(struct frame_group *g, const struct frame *f);

/* Whether any identifier of the tree satisfies @pred, or any attribute is exactly @attr: lets
 * a processor skip a walk that cannot change anything. */
bool frame_tree_any_ident(const struct frame_tree *t, bool (*pred)(const struct frame_ident *fi));
bool frame_tree_has_attr(const struct frame_tree *t, const char *attr);

/* How many identifiers the tree has interned (identifier indexes are below this). */
size_t frame_tree_n_idents(const struct frame_tree *t);

/* Identifier index of the synthetic [self] frame, for processors. */
uint32_t frame_tree_self_ident(const struct frame_tree *t);

/* A reusable explicit stack of frames for iterative walks. */
struct frame_stack {
        struct frame **items;
        size_t n, cap;
};
void frame_stack_push(struct frame_stack *st, struct frame *f);
static inline struct frame *
frame_stack_pop(struct frame_stack *st)
{
        return st->n ? st->items[--st->n] : NULL;
}
void frame_stack_release(struct frame_stack *st);

/* Push @f's children so that they pop in order (first child first). */
void frame_stack_push_children(struct frame_stack *st, const struct frame *f);

/* Walk @root's subtree in pyinstrument's recursive order, calling @fn for each node in
 * pre-order. @fn may change the node's children before they are pushed. */
void
frame_walk_pre(struct frame *root, void (*fn)(struct frame *f, void *userdata), void *userdata);

/* Check pyinstrument's invariant (time = children + absorbed, within rounding) on every node.
 * Returns the first node that breaks it, or NULL. */
const struct frame *frame_check(const struct frame_tree *t, struct frame *root);

/* Parse a frame-info string into identifier and attributes and add @time to @f, as
 * Frame.record_time_from_frame_info(). Exposed for tests that build trees by hand. */
struct frame *frame_new_info(struct frame_tree *t, const char *info, size_t len, double time);

/* aggregate_repeated_calls: siblings with the same identifier merge into the first one seen,
 * then children are sorted by time, descending and stable. Turns the timeline into a summary. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/u64map.h"
#include "common/xalloc.h"
#include "tree/processor.h"

struct aggregate {
        struct frame_tree *t;
        struct u64map seen;
        struct frame **tmp;
        size_t cap_tmp;
};

/* Stable merge sort of @v (n items) by time, descending, using @tmp (n items). */
static void
sort_by_time(struct frame **v, struct frame **tmp, size_t n)
{
        for (size_t width = 1; width < n; width *= 2) {
                for (size_t lo = 0; lo < n; lo += 2 * width) {
                        size_t mid = lo + width < n ? lo + width : n;
                        size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
                        size_t a = lo, b = mid, o = lo;
                        while (a < mid && b < hi)
                                tmp[o++] = v[b]->time > v[a]->time ? v[b++] : v[a++];
                        while (a < mid)
                                tmp[o++] = v[a++];
                        while (b < hi)
                                tmp[o++] = v[b++];
                }
                memcpy(v, tmp, n * sizeof(*v));
        }
}

static void
aggregate_children(struct frame *f, void *userdata)
{
        struct aggregate *ag = userdata;
        uint32_t n = 0, count = f->n_children;
        uint64_t v;

        u64map_clear(&ag->seen);
        /* frame_combine() appends to the survivor, so iterate over the original count */
        for (uint32_t i = 0; i < count; i++) {
                struct frame *c = f->children[i];
                if (u64map_get(&ag->seen, (uint64_t)c->ident + 1, &v)) {
                        frame_combine_into(ag->t, c, f->children[v]);
                        continue;
                }
                u64map_put(&ag->seen, (uint64_t)c->ident + 1, n);
                f->children[n++] = c;
        }
        f->n_children = n;
        xgrow(&ag->tmp, &ag->cap_tmp, n, sizeof(*ag->tmp));
        sort_by_time(f->children, ag->tmp, n);
}

struct frame *
processor_aggregate_repeated_calls(struct frame_tree *t, struct frame *root,
                                   const struct processor_opts *o)
{
        struct aggregate ag = { .t = t };

        (void)o;
        u64map_init(&ag.seen);
        frame_walk_pre(root, aggregate_children, &ag);
        u64map_release(&ag.seen);
        free(ag.tmp);
        return root;
}

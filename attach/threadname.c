/* Who a sampled thread is: a key for the OS thread behind a thread state, and (below) the
 * threading.Thread name, read from the target's memory. */
#include "config.h"

#include "common/u64map.h"
#include "internal.h"

uint64_t
thread_stack_key(const struct thread_stack *st)
{
        uint64_t h = u64_hash((uint64_t)(uint32_t)st->tid);

        h = u64_hash(st->ident ^ h);
        return u64_hash(st->tstate ^ h) | 1;
}

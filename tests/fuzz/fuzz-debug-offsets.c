/* Harness: _Py_DebugOffsets validation (symbols_debug_offsets) and the cookie scan
 * (symbols_find_cookie) on arbitrary bytes. Offsets that validate must be safe for the walker:
 * one walk over a small zeroed image laid out by them stays in bounds. */
#include "config.h"

#include <stdlib.h>

#include "attach/attach.h"
#include "fuzz.h"

#define IMAGE_BASE 0x7f0000000000ULL

static void
ignore_stack(const struct thread_stack *st, void *userdata)
{
        (void)st;
        (void)userdata;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t image[4096];
        struct py_offsets o;
        size_t pos;

        (void)symbols_find_cookie(data, size, &pos);
        if (symbols_debug_offsets(data, size, &o) < 0)
                return 0;
        if (symbols_debug_offsets_size(o.version) > size)
                abort();
        struct target *t = target_new_image(rmem_new_image(image, sizeof(image), IMAGE_BASE), &o,
                                            IMAGE_BASE);
        (void)target_walk(t, ignore_stack, NULL);
        target_free(t);
        return 0;
}

#pragma once
/* Attributes, cleanup helpers and tiny utilities shared by every module.
 * No macro here hides a return or a goto. */

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership of *p: return it and leave NULL behind (systemd's TAKE_PTR). */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                typeof(p) _take_tmp = (p);                                                         \
                (p) = NULL;                                                                        \
                _take_tmp;                                                                         \
        })

/* DEFINE_CLEANUP_FUNC(struct x *, x_free) gives x_freep() for _cleanup_(x_freep). */
#define DEFINE_CLEANUP_FUNC(type, func)                                                            \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        (void)func(*p);                                                            \
        }

static inline void
freep(void *p)
{
        free(*(void **)p);
}

static inline void
closep(const int *fd)
{
        if (*fd >= 0)
                (void)close(*fd);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

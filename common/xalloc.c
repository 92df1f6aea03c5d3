/* Allocation wrappers: pyinstr treats out-of-memory as fatal (as htop and libinput do). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void *
check(void *p)
{
        if (!p) {
                fputs("pyinstr: out of memory\n", stderr);
                abort();
        }
        return p;
}

void *
xmalloc(size_t n)
{
        return check(malloc(n ? n : 1));
}

void *
xcalloc(size_t count, size_t size)
{
        return check(calloc(count ? count : 1, size ? size : 1));
}

void *
xrealloc(void *p, size_t n)
{
        return check(realloc(p, n ? n : 1));
}

void
xgrow(void *pp, size_t *cap, size_t need, size_t elem)
{
        void **p = pp;
        size_t c = *cap;

        if (need <= c)
                return;
        if (c < 16)
                c = 16;
        while (c < need)
                c *= 2;
        if (c > SIZE_MAX / elem)
                check(NULL);
        *p = xrealloc(*p, c * elem);
        *cap = c;
}

char *
xstrdup(const char *s)
{
        return check(strdup(s));
}

char *
xstrndup(const char *s, size_t n)
{
        return check(strndup(s, n));
}

void *
xmemdup(const void *p, size_t n)
{
        void *d = xmalloc(n);
        memcpy(d, p, n);
        return d;
}

/* A frame of a synthetic session from a printf-style description, for the tests and the
 * rendering benchmark that build sessions in memory. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

#include "tree/tree.h"

/* '|' stands for the NUL separators of a frame string, '^' for the attribute marks (\x01). */
static inline uint32_t __attribute__((format(printf, 2, 3)))
frame(struct session *s, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t)n >= sizeof(buf))
                n = sizeof(buf) - 1;
        for (int i = 0; i < n; i++)
                if (buf[i] == '|')
                        buf[i] = '\0';
                else if (buf[i] == '^')
                        buf[i] = '\x01';
        return session_frame(s, buf, (size_t)n);
}

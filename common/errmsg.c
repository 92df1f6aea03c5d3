/* See errmsg.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/errmsg.h"

int
errmsg(char *err, size_t errlen, int r, const char *fmt, ...)
{
        va_list ap;

        if (err && errlen) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return r;
}

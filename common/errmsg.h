#pragma once
/* Library code never prints: a function that can fail in a way worth a sentence writes it
 * into the caller's buffer and returns its -errno. */

#include <stddef.h>

#include "common/macros.h"

/* Format the sentence into @err (@errlen bytes, always NUL-terminated) and return @r. */
_printf_(4, 5) int errmsg(char *err, size_t errlen, int r, const char *fmt, ...);

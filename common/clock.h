#pragma once
/* Seconds on CLOCK_MONOTONIC, for deadlines and intervals (never the wall clock). */

#include <time.h>

static inline double
mono_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

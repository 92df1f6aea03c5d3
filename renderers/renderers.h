#pragma once
/* renderers/: turn a session into a report. */

#include <stdio.h>

#include "tree/tree.h"

/* Folded stacks: one "frame;frame;… weight" line per distinct stack, weight in microseconds
 * (flamegraph.pl, speedscope and inferno read it). @return 0 or -errno. */
int renderer_collapsed(const struct session *s, FILE *out);

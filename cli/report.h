#pragma once
/* The report side of the command line: which renderer, which options, where to write. */

#include <stdbool.h>

#include "tree/tree.h"

struct report_opts {
        const char *renderer;    /* -r NAME, NULL = guess from -o, else "text" */
        const char *outfile;     /* -o PATH, NULL = stdout */
        const char **render_options; /* -p values, in order */
        int n_render_options;
        bool timeline;           /* -t */
        const char *hide, *hide_regex, *show, *show_regex;
        bool show_all;
        int unicode, color;      /* -1 = detect, 0/1 forced */
        const char *target_description;
};

/* Validate the options before anything runs (renderer name, -p syntax, regexes, output file
 * writable). @return 0 or -errno with a message in @err. */
int report_check(const struct report_opts *o, char *err, size_t errlen);

/* Render @s as @o says. The output file is written to a temporary name and renamed into place,
 * so a failed run never truncates an existing report. @return 0 or -errno with @err set. */
int report_write(struct session *s, const struct report_opts *o, char *err, size_t errlen);

/* Parse the report option at argv[*i] (see report.c). @return 1 consumed (and *i advanced past
 * any value), 0 not a report option, -EINVAL bad value (message in @err). */
int report_parse_option(struct report_opts *o, int argc, char **argv, int *i, char *err,
                        size_t errlen);

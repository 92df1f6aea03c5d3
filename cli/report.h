#pragma once
/* The report side of the command line: which renderer, which options, where to write, and
 * pyinstr's folder of previous reports (--load-prev). */

#include <stdbool.h>
#include <stddef.h>

#include "tree/tree.h"

struct report_opts {
        const char *renderer;        /* -r NAME, NULL = guess from -o, else "text" */
        const char *outfile;         /* -o PATH, NULL = stdout */
        const char **render_options; /* -p values, in order */
        int n_render_options;
        bool timeline; /* -t */
        const char *hide, *hide_regex, *show, *show_regex;
        bool show_all;
        int unicode, color;             /* -1 = detect, 0/1 forced */
        const char *target_description; /* --target-description, NULL = "Program: {args}" */
        const char *thread;             /* --thread NAME|ID, NULL = every thread */
        bool split_threads;             /* --split-threads: no session_group_threads() */
};

/* Parse the report option at argv[*i]. Accepts "--opt VALUE", "--opt=VALUE", "-oFILE",
 * "-o FILE", "-rNAME", "-pX". @return 1 consumed (and *i advanced past it and any value), 0 not
 * a report option, -EINVAL bad or missing value (message in @err). Strings are borrowed from
 * @argv. */
int
report_parse_option(struct report_opts *o, int argc, char **argv, int *i, char *err, size_t errlen);

/* Validate the options before anything runs (renderer name, -p syntax and keys, regexes,
 * conflicting show/hide options, binary output to a terminal). @return 0 or -EINVAL with a
 * message in @err. */
int report_check(const struct report_opts *o, char *err, size_t errlen);

/* Render @s as @o says. The output file is written to a temporary name and renamed into place,
 * so a failed run never truncates an existing report. A text report to stdout is also saved
 * in the reports folder and followed by the --load-prev hint, as pyinstrument does.
 * @return 0 or -errno with @err set. */
int report_write(struct session *s, const struct report_opts *o, char *err, size_t errlen);

/* The session description: --target-description (default "Program: {args}") with {args}
 * replaced by @args. @return 0 and a malloc'd *ret, or -EINVAL for an unknown or empty
 * placeholder (pyinstrument's messages in @err). */
int report_target_description(
        const struct report_opts *o, const char *args, char **ret, char *err, size_t errlen);

/* Load report @id from the reports folder ($XDG_DATA_HOME/pyinstr/reports, by default
 * ~/.local/share/pyinstr/reports). @return 0, -ENOENT "Couldn't find a profile with
 * identifier ID", or session_load()'s errors. */
int report_load_prev(const char *id, struct session **ret, char *err, size_t errlen);

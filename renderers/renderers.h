#pragma once
/* renderers/: turn a session into a report. Each renderer is one file exporting one
 * const struct renderer; renderer.c lists them. */

#include <stdbool.h>
#include <stdio.h>

#include "tree/frame.h"
#include "tree/processor.h"
#include "tree/tree.h"

/* What a renderer is asked to do: pyinstrument's renderer constructor options after the CLI's
 * computation and -p overrides. Filled by the caller (cli/report.c). */
struct render_opts {
        bool show_all, timeline;                                  /* FrameRenderer */
        struct processor_opts processor;                          /* processor_options */
        bool unicode, color;                                      /* text */
        bool flat, flat_time_total, percent_of_total, short_mode; /* text */
        const char *thread; /* NULL: every thread; else a name or an id */
};

struct renderer {
        const char *name;
        /* pyinstrument's default_processors(), NULL-terminated; NULL for renderers that take
         * the raw session (pyisession, collapsed) */
        const char *const *default_processors;
        /* names left out of @default_processors (NULL-terminated, may be NULL) */
        const char *const *without_processors;
        bool binary;     /* refuses a terminal */
        bool frame_tree; /* accepts show_all, timeline and processor_options */
        bool console;    /* accepts unicode, color, flat, time, flat_time, short_mode */
        bool browser;    /* a terminal gets a temporary file, opened in a browser */
        /* Write the report. @return 0, -EIO, or -ENOENT when o->thread selects nothing. */
        int (*render)(const struct session *s, const struct render_opts *o, FILE *out);
};

/* ConsoleRenderer's and JSONRenderer's default_processors(). */
extern const char *const renderer_console_processors[];

extern const struct renderer renderer_text;
extern const struct renderer renderer_json;
extern const struct renderer renderer_speedscope;
extern const struct renderer renderer_pstats;
extern const struct renderer renderer_pyisession;
extern const struct renderer renderer_collapsed_stacks;
extern const struct renderer renderer_html;
extern const struct renderer renderer_gecko;

/* The HTML page around the data (renderers/html/, embedded at build time): the head, the
 * stylesheet and app included, ends inside the data's script element; the tail closes it. */
extern const char renderer_html_head[];
extern const char renderer_html_tail[];

/* Does a thread root's identifier text ("name\0<thread>\0id", @len bytes) match --thread
 * @sel (a name or an id)? */
bool renderer_thread_text_matches(const char *text, size_t len, const char *sel);

/* The renderer called @name ("session" is pyinstrument's old name for "pyisession"), or NULL. */
const struct renderer *renderer_find(const char *name);

/* pyinstrument's guess_renderer_from_outfile(): the renderer name for the extension,
 * case-insensitive (it may name a renderer pyinstr lacks); NULL when the extension says nothing
 * (the caller then uses text). */
const char *renderer_guess(const char *outfile);

/* The processed trees a renderer works on: every thread's own tree (busiest first) when
 * @per_thread, else one tree (a [root] above the threads when there are several), each run
 * through @r's processors as @o says. *ret_roots holds *ret_n roots (NULL for no samples) and is
 * freed by the caller; the frames belong to *ret_tree. @return 0, or -ENOENT when o->thread
 * matches no thread. */
int renderer_trees(const struct session *s,
                   const struct renderer *r,
                   const struct render_opts *o,
                   bool per_thread,
                   struct frame_tree **ret_tree,
                   struct frame ***ret_roots,
                   size_t *ret_n);

/* Folded stacks: one "frame;frame;… weight" line per distinct stack, weight in microseconds
 * (flamegraph.pl, speedscope and inferno read it). @return 0 or -errno. */
int renderer_collapsed(const struct session *s, FILE *out);

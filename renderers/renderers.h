#pragma once
/* renderers/: turn a session into a report. Each renderer is one file exporting one
 * const struct renderer (its name, options, file extensions and render function); renderer.c
 * lists them. Adding a renderer is that file, its line in the list and in meson.build. */

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tree/frame.h"
#include "tree/processor.h"
#include "tree/tree.h"

/* The text renderer's own options (pyinstrument's ConsoleRenderer). */
struct render_text_opts {
        bool unicode, color, flat, short_mode;
        bool percent_of_total; /* time="percent_of_total" (else "seconds") */
        bool flat_time_total;  /* flat_time="total" (else "self") */
};

/* What a renderer is asked to do: pyinstrument's renderer constructor options after the CLI's
 * computation and -p overrides, as renderer_options_apply() sets them from the renderer's
 * declared options (tests fill it by hand), and --thread. */
struct render_opts {
        bool show_all, timeline;         /* FrameRenderer */
        struct processor_opts processor; /* processor_options */
        struct render_text_opts text;    /* text only */
        bool every_sample;               /* pyisession only: a record per sample, unmerged */
        const char *thread;              /* NULL: every thread; else a name or an id */
        /* what processor.hide_regex and show_regex point to when renderer_options_apply()
         * compiled them; freed by renderer_opts_release() */
        regex_t hide, show;
};

/* How a -p value sets an option. */
enum renderer_option_type {
        RENDERER_OPTION_BOOL,      /* any JSON value, by Python truthiness */
        RENDERER_OPTION_CHOICE,    /* the bool is @if_equal when the value is the string @value,
                                    * else !@if_equal (one of pyinstrument's Literal strings) */
        RENDERER_OPTION_PROCESSOR, /* processor_options: an object of filter_threshold (a number,
                                    * default 0.01), hide_regex and show_regex (POSIX extended
                                    * regexes, or null) into render_opts.processor */
};

/* What the command line says about renderer options besides -p, which pyinstrument's
 * compute_render_options() turns into options. */
struct render_cli {
        bool timeline, show_all;             /* -t, --show-all */
        const char *hide_regex, *show_regex; /* already POSIX extended regexes; NULL: none */
        int unicode, color;                  /* --(no-)unicode, --(no-)color; -1: not given */
        bool tty;                            /* the report goes to a terminal */
};

struct cJSON;

/* One renderer option (a keyword argument of pyinstrument's renderer constructor). Absent, a
 * bool option is false, as pyinstrument's defaults are (or what @from_cli gives). */
struct renderer_option {
        const char *name;
        enum renderer_option_type type;
        size_t offset;     /* BOOL, CHOICE: of the bool in struct render_opts */
        const char *value; /* CHOICE */
        bool if_equal;     /* CHOICE */
        /* the value the command line puts in before -p, as a new cJSON item; NULL when it
         * puts none. May be NULL. */
        struct cJSON *(*from_cli)(const struct render_cli *cli);
};

struct renderer {
        const char *name;
        /* the file name endings -o guesses it from (case-insensitive; the longest match
         * wins), NULL-terminated; may be NULL */
        const char *const *extensions;
        /* the -p options it accepts: NULL-terminated list of arrays, each ended by an entry
         * with a NULL name (renderer_frame_options is FrameRenderer's); NULL for none */
        const struct renderer_option *const *options;
        /* The constructor's checks across options once all are set: NULL, or why it refuses
         * (one sentence). May be NULL. */
        const char *(*check_options)(const struct render_opts *o);
        /* pyinstrument's default_processors(), NULL-terminated; NULL for renderers that take
         * the raw session (pyisession, collapsed) */
        const char *const *default_processors;
        /* names left out of @default_processors (NULL-terminated, may be NULL) */
        const char *const *without_processors;
        /* draws every thread on its own whatever --split-threads says: a track per thread is
         * what its viewer works with (gecko), or it is the session itself (pyisession) */
        bool own_threads;
        bool binary;  /* refuses a terminal */
        bool browser; /* a terminal gets a temporary file, opened in a browser */
        /* Write the report. @return 0, -EIO, or -ENOENT when o->thread selects nothing. */
        int (*render)(const struct session *s, const struct render_opts *o, FILE *out);
};

/* ConsoleRenderer's and JSONRenderer's default_processors(). */
extern const char *const renderer_console_processors[];

/* FrameRenderer's options: show_all, timeline, processor_options. */
extern const struct renderer_option renderer_frame_options[];

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
 * @sel (a name or an id; a group of threads also by its name without " [N threads]")? */
bool renderer_thread_text_matches(const char *text, size_t len, const char *sel);

/* The renderer called @name ("session" is pyinstrument's old name for "pyisession"), or NULL. */
const struct renderer *renderer_find(const char *name);

/* The registry in order: the @i-th renderer, NULL past the last. */
const struct renderer *renderer_at(size_t i);

/* pyinstrument's guess_renderer_from_outfile(): the renderer whose extension ends @outfile
 * (case-insensitive, the longest such extension); NULL when none does (the caller then uses
 * text). */
const struct renderer *renderer_guess(const char *outfile);

/* The options object @r's constructor gets before -p, as pyinstrument's
 * compute_render_options() builds it from the command line: what each of @r's options takes
 * from @cli, then timeline and show_all when @cli sets them (whether or not @r has them, so
 * that it refuses them). A new object; the caller frees it with cJSON_Delete(). */
struct cJSON *renderer_options_new(const struct renderer *r, const struct render_cli *cli);

/* Set *@o from the options object @opts as @r's constructor would: every key must be one of
 * @r's options. o->thread is left alone. Release *@o with renderer_opts_release(), also after a
 * failure. @return 0, or -EINVAL with pyinstrument's message ("Failed to create X renderer.
 * Check your renderer options.\n  why") or pyinstr's for a bad processor option in @err. */
int renderer_options_apply(const struct renderer *r,
                           const struct cJSON *opts,
                           struct render_opts *o,
                           char *err,
                           size_t errlen);

/* Free the regexes renderer_options_apply() compiled into @o (none: nothing to do). */
void renderer_opts_release(struct render_opts *o);

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

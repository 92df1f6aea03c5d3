/* The report options of the command line (pyinstrument's, plus --thread), their translation
 * into renderer options (-p key paths with JSON values, glob and Python-regex translation),
 * writing the report, and the --load-prev folder. Never prints except the report itself and
 * the --load-prev hint after a text report on stdout. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/errmsg.h"
#include "common/xalloc.h"
#include "renderers/renderers.h"
#include "report.h"

/* ------------------------------------------------------------------------------------------ */
/* argv */

enum opt_kind { OPT_FLAG, OPT_VALUE };

/* The report options. --thread, --main-thread and --split-threads are pyinstr's: pyinstrument
 * profiles one thread, pyinstr sees them all and renders each; the first two restrict the report
 * to one, the last keeps threads of one role apart (session_group_threads()). */
static const struct {
        const char *shrt, *lng;
        enum opt_kind kind;
        int id;
} options[] = {
        { "-r", "--renderer", OPT_VALUE, 'r' },
        { "-o", "--outfile", OPT_VALUE, 'o' },
        { "-p", "--render-option", OPT_VALUE, 'p' },
        { "-t", "--timeline", OPT_FLAG, 't' },
        { NULL, "--hide", OPT_VALUE, 'h' },
        { NULL, "--hide-regex", OPT_VALUE, 'H' },
        { NULL, "--show", OPT_VALUE, 's' },
        { NULL, "--show-regex", OPT_VALUE, 'S' },
        { NULL, "--show-all", OPT_FLAG, 'a' },
        { NULL, "--unicode", OPT_FLAG, 'u' },
        { NULL, "--no-unicode", OPT_FLAG, 'U' },
        { NULL, "--color", OPT_FLAG, 'c' },
        { NULL, "--no-color", OPT_FLAG, 'C' },
        { NULL, "--target-description", OPT_VALUE, 'd' },
        { NULL, "--thread", OPT_VALUE, 'T' },
        { NULL, "--main-thread", OPT_FLAG, 'M' },
        { NULL, "--split-threads", OPT_FLAG, 'G' },
};

static void
store(struct report_opts *o, int id, const char *v)
{
        switch (id) {
        case 'r':
                o->renderer = v;
                break;
        case 'o':
                o->outfile = v;
                break;
        case 'p':
                o->render_options = xrealloc(o->render_options,
                                             (size_t)(o->n_render_options + 1) * sizeof(char *));
                o->render_options[o->n_render_options++] = v;
                break;
        case 't':
                o->timeline = true;
                break;
        case 'h':
                o->hide = v;
                break;
        case 'H':
                o->hide_regex = v;
                break;
        case 's':
                o->show = v;
                break;
        case 'S':
                o->show_regex = v;
                break;
        case 'a':
                o->show_all = true;
                break;
        case 'u':
                o->unicode = 1;
                break;
        case 'U':
                o->unicode = 0;
                break;
        case 'c':
                o->color = 1;
                break;
        case 'C':
                o->color = 0;
                break;
        case 'd':
                o->target_description = v;
                break;
        case 'T':
                o->thread = v;
                break;
        case 'M':
                o->thread = "MainThread";
                break;
        case 'G':
                o->split_threads = true;
                break;
        default:
                break;
        }
}

int
report_parse_option(struct report_opts *o, int argc, char **argv, int *i, char *err, size_t errlen)
{
        const char *a = argv[*i];

        for (size_t k = 0; k < ARRAY_SIZE(options); k++) {
                const char *value = NULL;
                size_t ln = strlen(options[k].lng);

                if (strcmp(a, options[k].lng) == 0 ||
                    (options[k].shrt && strcmp(a, options[k].shrt) == 0)) {
                        if (options[k].kind == OPT_VALUE) {
                                if (*i + 1 >= argc)
                                        return errmsg(err, errlen, -EINVAL, "%s needs a value", a);
                                value = argv[++*i];
                        }
                } else if (options[k].kind == OPT_VALUE && strncmp(a, options[k].lng, ln) == 0 &&
                           a[ln] == '=') {
                        value = a + ln + 1;
                } else if (options[k].kind == OPT_VALUE && options[k].shrt &&
                           strncmp(a, options[k].shrt, 2) == 0 && a[2]) {
                        value = a + 2;
                } else {
                        continue;
                }
                store(o, options[k].id, value);
                ++*i;
                return 1;
        }
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* patterns */

static void
put_escaped(FILE *m, char c)
{
        if (strchr(".^$*+?()[]{}|\\", c))
                fputc('\\', m);
        fputc(c, m);
}

/* fnmatch.translate() as a POSIX extended regex, anchored at both ends. */
static char *
glob_to_regex(const char *pat)
{
        char *buf = NULL;
        size_t len = 0, n = strlen(pat);
        FILE *m = open_memstream(&buf, &len);

        fputs("^(", m);
        for (size_t i = 0; i < n; i++) {
                char c = pat[i];
                if (c == '*') {
                        fputs(".*", m);
                } else if (c == '?') {
                        fputc('.', m);
                } else if (c == '[') {
                        size_t j = i + 1;
                        if (j < n && pat[j] == '!')
                                j++;
                        if (j < n && pat[j] == ']')
                                j++;
                        while (j < n && pat[j] != ']')
                                j++;
                        if (j >= n) {
                                fputs("\\[", m);
                                continue;
                        }
                        fputc('[', m);
                        size_t k = i + 1;
                        if (pat[k] == '!') {
                                fputc('^', m);
                                k++;
                        }
                        fwrite(pat + k, 1, j - k, m);
                        fputc(']', m);
                        i = j;
                } else {
                        put_escaped(m, c);
                }
        }
        fputs(")$", m);
        fclose(m);
        return buf;
}

/* A Python regex for re.match() as a POSIX extended regex anchored at the start: the common
 * Python-only spellings (\d \w \s, (?:…), \A \Z, lazy quantifiers) are translated. */
static char *
pyregex_to_regex(const char *re)
{
        static const struct {
                char c;
                const char *out, *in_class;
        } classes[] = {
                { 'd', "[0-9]", "0-9" },
                { 'D', "[^0-9]", NULL },
                { 'w', "[[:alnum:]_]", "[:alnum:]_" },
                { 'W', "[^[:alnum:]_]", NULL },
                { 's', "[[:space:]]", "[:space:]" },
                { 'S', "[^[:space:]]", NULL },
                { 'A', "^", NULL },
                { 'Z', "$", NULL },
                { 'z', "$", NULL },
        };
        char *buf = NULL;
        size_t len = 0;
        bool in_class = false;
        FILE *m = open_memstream(&buf, &len);

        fputs("^(", m);
        for (const char *p = re; *p; p++) {
                if (*p == '\\' && p[1]) {
                        bool done = false;
                        for (size_t k = 0; k < ARRAY_SIZE(classes) && !done; k++) {
                                if (classes[k].c != p[1])
                                        continue;
                                const char *o = in_class ? classes[k].in_class : classes[k].out;
                                if (o) {
                                        fputs(o, m);
                                        done = true;
                                }
                        }
                        if (!done) {
                                /* an escaped punctuation character stays escaped */
                                if (in_class)
                                        fputc(p[1], m);
                                else if (strchr(".^$*+?()[]{}|\\", p[1]))
                                        fprintf(m, "\\%c", p[1]);
                                else
                                        fputc(p[1], m);
                        }
                        p++;
                        continue;
                }
                if (in_class) {
                        in_class = *p != ']';
                        fputc(*p, m);
                } else if (*p == '[') {
                        in_class = true;
                        fputc('[', m);
                        if (p[1] == '^')
                                fputc(*++p, m);
                        if (p[1] == ']')
                                fputc(*++p, m);
                } else if (*p == '(' && p[1] == '?' && p[2] == ':') {
                        fputc('(', m);
                        p += 2;
                } else if ((*p == '?') && p > re && strchr("*+?}", p[-1])) {
                        continue; /* lazy: the same matches for a yes/no answer */
                } else {
                        fputc(*p, m);
                }
        }
        fputs(")", m);
        fclose(m);
        return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* renderer options */

/* -r, else the renderer the -o extension names, else text. */
static const struct renderer *
choose_renderer(const struct report_opts *o)
{
        const struct renderer *r = NULL;

        if (o->renderer)
                return renderer_find(o->renderer);
        if (o->outfile)
                r = renderer_guess(o->outfile);
        return r ? r : renderer_find("text");
}

/* keypath.set_value_at_keypath(): every key but the last must name an existing object */
static int
set_keypath(cJSON *root, const char *key, cJSON *value, char *err, size_t errlen)
{
        _cleanup_free_ char *path = xstrdup(key);
        cJSON *d = root;
        char *part = path, *dot;

        while ((dot = strchr(part, '.'))) {
                *dot = '\0';
                d = cJSON_GetObjectItemCaseSensitive(d, part);
                if (!cJSON_IsObject(d)) {
                        cJSON_Delete(value);
                        return errmsg(err, errlen, -EINVAL,
                                      "-p %s: there is no option '%s' to set '%s' in", key, part,
                                      dot + 1);
                }
                part = dot + 1;
        }
        if (cJSON_GetObjectItemCaseSensitive(d, part))
                cJSON_ReplaceItemInObjectCaseSensitive(d, part, value);
        else
                cJSON_AddItemToObject(d, part, value);
        return 0;
}

/* compute_render_options(), -p, and the renderer's constructor, into @ro (released by the
 * caller with renderer_opts_release() on success). @tty: whether the output is a terminal
 * (colour by default). */
static int
compute(const struct report_opts *o,
        const struct renderer *r,
        bool tty,
        struct render_opts *ro,
        char *err,
        size_t errlen)
{
        _cleanup_free_ char *hide = NULL, *show = NULL;
        int res;

        *ro = (struct render_opts){ .thread = o->thread };
        if (o->hide && o->hide_regex)
                return errmsg(err, errlen, -EINVAL,
                              "You can\u2018t specify both --hide and --hide-regex");
        if (!!o->show + !!o->show_regex + o->show_all > 1)
                return errmsg(err, errlen, -EINVAL,
                              "You can only specify one of --show, --show-regex and --show-all");
        if (o->hide)
                hide = glob_to_regex(o->hide);
        else if (o->hide_regex)
                hide = pyregex_to_regex(o->hide_regex);
        if (o->show)
                show = glob_to_regex(o->show);
        else if (o->show_all)
                show = xstrdup(".*");
        else if (o->show_regex)
                show = pyregex_to_regex(o->show_regex);

        const struct render_cli cli = {
                .timeline = o->timeline,
                .show_all = o->show_all,
                .hide_regex = hide,
                .show_regex = show,
                .unicode = o->unicode,
                .color = o->color,
                .tty = tty,
        };
        cJSON *opts = renderer_options_new(r, &cli);
        res = 0;
        for (int i = 0; i < o->n_render_options && res >= 0; i++) {
                const char *p = o->render_options[i], *eq = strchr(p, '=');
                _cleanup_free_ char *key = eq ? xstrndup(p, (size_t)(eq - p)) : xstrdup(p);
                cJSON *value = eq ? cJSON_ParseWithOpts(eq + 1, NULL, true) : cJSON_CreateTrue();

                if (!value) /* not JSON: the raw string */
                        value = cJSON_CreateString(eq + 1);
                res = set_keypath(opts, key, value, err, errlen);
        }
        if (res >= 0)
                res = renderer_options_apply(r, opts, ro, err, errlen);
        cJSON_Delete(opts);
        if (res < 0)
                renderer_opts_release(ro);
        return res;
}

/* A report replaces an existing regular file through a temporary file renamed over it, so a
 * failed run leaves the old one whole. Anything else that exists (a FIFO, /dev/null,
 * /dev/stdout, a terminal) is written in place: a rename would replace the device itself, and
 * as root it would succeed. */
static bool
outfile_in_place(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* The registry's names as a sentence lists them: "a, b and c". */
static char *
renderer_names(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        const struct renderer *r;

        for (size_t i = 0; (r = renderer_at(i)); i++)
                fprintf(m, "%s%s", i == 0 ? "" : renderer_at(i + 1) ? ", " : " and ", r->name);
        fclose(m);
        return buf;
}

int
report_check(const struct report_opts *o, char *err, size_t errlen)
{
        const struct renderer *r = choose_renderer(o);
        struct render_opts ro;
        int res;

        if (!r) {
                _cleanup_free_ char *names = renderer_names();
                return errmsg(err, errlen, -EINVAL,
                              "Failed to find renderer with name '%s'. Options are %s.",
                              o->renderer, names);
        }
        res = compute(o, r, !o->outfile && isatty(STDOUT_FILENO), &ro, err, errlen);
        if (res < 0)
                return res;
        renderer_opts_release(&ro);
        if (r->binary && !o->outfile && isatty(STDOUT_FILENO))
                return errmsg(err, errlen, -EINVAL,
                              "Can't write binary output to a terminal. Redirect to "
                              "a file or use --outfile.");
        if (o->outfile && !outfile_in_place(o->outfile)) {
                /* the report goes to a temporary file in the same folder, renamed into place:
                 * find out now that the folder takes it, not after an hour of sampling */
                _cleanup_free_ char *dir = xstrdup(o->outfile);
                char *slash = strrchr(dir, '/');
                if (!slash)
                        snprintf(dir, strlen(dir) + 1, ".");
                else if (slash == dir)
                        slash[1] = '\0';
                else
                        *slash = '\0';
                if (access(dir, W_OK | X_OK) < 0)
                        return errmsg(err, errlen, -EINVAL, "cannot write %s: %s", o->outfile,
                                      strerror(errno));
        } else if (o->outfile && access(o->outfile, W_OK) < 0) {
                return errmsg(err, errlen, -EINVAL, "cannot write %s: %s", o->outfile,
                              strerror(errno));
        }
        return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* the reports folder */

static char *
reports_dir(void)
{
        const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        char *dir;

        if (xdg && xdg[0] == '/')
                dir = xstrdup(xdg);
        else if (asprintf(&dir, "%s/.local/share", home && home[0] ? home : "/tmp") < 0)
                dir = xstrdup("/tmp");
        char *full;
        if (asprintf(&full, "%s/pyinstr/reports", dir) < 0)
                full = xstrdup("/tmp/pyinstr-reports");
        free(dir);
        return full;
}

static int
mkdir_p(const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int
cmp_desc(const void *a, const void *b)
{
        return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The --load-prev folder keeps the newest reports (names sort by time), at most this many and
 * this many bytes in all; the newest is kept whatever its size. A session is about 12 bytes a
 * sample in memory but up to 1 KB a record on disk (a thread's identical consecutive samples
 * share one: busy threads cost 270-660 bytes a sample, a sleeping one next to nothing): a
 * few long attaches would otherwise fill a home. */
#define KEEP_REPORTS 10
#define KEEP_REPORT_BYTES (64LL << 20)

static void
prune_reports(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0, cap = 0;
        long long bytes = 0;

        if (!d)
                return;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l > 11 && de->d_name[0] != '.' &&
                    strcmp(de->d_name + l - 11, ".pyisession") == 0) {
                        xgrow(&names, &cap, n + 1, sizeof(*names));
                        names[n++] = xstrdup(de->d_name);
                }
        }
        closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(*names), cmp_desc);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                if (asprintf(&path, "%s/%s", dir, names[i]) >= 0) {
                        if (stat(path, &st) == 0)
                                bytes += st.st_size;
                        if (i >= KEEP_REPORTS || (i > 0 && bytes > KEEP_REPORT_BYTES))
                                (void)unlink(path);
                }
                free(names[i]);
        }
        free(names);
}

/* Save @s as <dir>/<local start time>.pyisession; the identifier goes to @id. */
static int
save_report(const struct session *s, char id[static 64])
{
        _cleanup_free_ char *dir = reports_dir(), *path = NULL, *tmp = NULL;
        time_t start = session_start_time_t(s);
        struct tm tm;
        int r = mkdir_p(dir);

        if (r < 0)
                return r;
        if (!localtime_r(&start, &tm) || !strftime(id, 64, "%Y-%m-%dT%H-%M-%S", &tm))
                return -EINVAL;
        if (asprintf(&path, "%s/%s.pyisession", dir, id) < 0 ||
            asprintf(&tmp, "%s/.%s.pyisession.tmp", dir, id) < 0)
                return -ENOMEM;
        FILE *f = fopen(tmp, "we");
        if (!f)
                return -errno;
        r = session_save(s, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void)unlink(tmp);
        prune_reports(dir);
        return r;
}

int
report_load_prev(const char *id, struct session **ret, char *err, size_t errlen)
{
        _cleanup_free_ char *dir = reports_dir(), *path = NULL;

        if (strchr(id, '/') || asprintf(&path, "%s/%s.pyisession", dir, id) < 0 ||
            access(path, F_OK) < 0) {
                snprintf(err, errlen, "Couldn't find a profile with identifier %s", id);
                return -ENOENT;
        }
        return session_load(path, ret, err, errlen);
}

/* ------------------------------------------------------------------------------------------ */

int
report_target_description(
        const struct report_opts *o, const char *args, char **ret, char *err, size_t errlen)
{
        const char *tmpl = o->target_description ? o->target_description : "Program: {args}";
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        /* str.format() with one field: {args}; {{ and }} are literal braces */
        for (const char *p = tmpl; *p; p++) {
                if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
                        fputc(*p++, m);
                        continue;
                }
                if (*p != '{') {
                        fputc(*p, m);
                        continue;
                }
                const char *end = strchr(p, '}');
                size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
                if (n == 0 || !end) {
                        fclose(m);
                        free(buf);
                        return errmsg(err, errlen, -EINVAL,
                                      "Empty placeholder in --target-description");
                }
                if (n != 4 || strncmp(p + 1, "args", 4) != 0) {
                        fclose(m);
                        free(buf);
                        return errmsg(err, errlen, -EINVAL,
                                      "Unknown placeholder '%.*s' in --target-description", (int)n,
                                      p + 1);
                }
                fputs(args, m);
                p = end;
        }
        fclose(m);
        *ret = buf;
        return 0;
}

/* A new $TMPDIR/pyinstr-XXXXXX.html for a report a terminal cannot show. */
static int
temp_report(char **ret_path, FILE **ret_out)
{
        const char *dir = getenv("TMPDIR");
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/pyinstr-XXXXXX.html", dir && dir[0] ? dir : "/tmp") < 0)
                return -ENOMEM;
        fd = mkostemps(path, 5, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_out = fdopen(fd, "w");
        if (!*ret_out) {
                int r = -errno;
                close(fd);
                (void)unlink(path);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

/* Hand @path to xdg-open, not waiting for the browser; without it the printed path has to do,
 * as pyinstrument's webbrowser.open() does when it finds no browser. */
static void
open_in_browser(const char *path)
{
        _cleanup_free_ char *cmd = xstrdup("xdg-open"), *arg = xstrdup(path);
        char *argv[] = { cmd, arg, NULL };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        pid_t pid;

        /* its own session, as webbrowser does: closing the terminal must not take it along */
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (posix_spawnp(&pid, "xdg-open", &fa, &attr, argv, environ) != 0)
                printf("Open it in a browser: there is no xdg-open here.\n");
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        fflush(stdout);
}

/* Renderers say -EIO when their stream failed (ferror()). Why is in errno, left there by the
 * write that failed (ENOSPC, EPIPE, EFBIG...) when nothing has called into libc since; else
 * flushing again may tell, if the stream still holds what it could not write. */
static int
why_failed(FILE *f, int res, int saved_errno)
{
        if (res != -EIO)
                return res;
        if (saved_errno && saved_errno != EIO)
                return -saved_errno;
        clearerr(f);
        errno = 0;
        return fflush(f) != 0 && errno ? -errno : res;
}

/* Render into @out with errno cleared first, so that a write error's errno survives. */
static int
render_to(const struct renderer *r,
          const struct session *s,
          const struct render_opts *ro,
          FILE *out)
{
        int res, e;

        errno = 0;
        res = r->render(s, ro, out);
        e = errno;
        return why_failed(out, res, e);
}

/* Has @s a thread root that --thread @sel selects? */
static bool
has_thread(const struct session *s, const char *sel)
{
        for (size_t i = 0; i < session_stack_count(s); i++) {
                size_t len;
                const char *info;

                if (session_stack_parent(s, (uint32_t)i) != SESSION_NO_STACK)
                        continue;
                info = session_frame_info(s, session_stack_frame(s, (uint32_t)i), &len);
                if (renderer_thread_text_matches(info, len, sel))
                        return true;
        }
        return false;
}

/* What @r draws of @s: threads of one role under one root unless --split-threads (or @r draws
 * every thread itself); a new session in *@ret_grouped when that changes anything. --thread
 * picks among the groups and the threads left alone, or else among every thread, so that a
 * thread of a group can still be shown by its own name or id. */
static const struct session *
report_view(const struct session *s,
            const struct renderer *r,
            const struct report_opts *o,
            struct session **ret_grouped)
{
        *ret_grouped = NULL;
        if (o->split_threads || r->own_threads)
                return s;
        *ret_grouped = session_group_threads(s);
        if (!*ret_grouped || (o->thread && !has_thread(*ret_grouped, o->thread)))
                return s;
        return *ret_grouped;
}

int
report_write(struct session *s, const struct report_opts *o, char *err, size_t errlen)
{
        const struct renderer *r = choose_renderer(o);
        _cleanup_free_ char *tmp = NULL, *final = NULL;
        _cleanup_(session_freep) struct session *grouped = NULL;
        const struct session *view;
        struct render_opts ro;
        FILE *out = stdout;
        int res;

        if (!r)
                return report_check(o, err, errlen);
        res = compute(o, r, !o->outfile && isatty(STDOUT_FILENO), &ro, err, errlen);
        if (res < 0)
                return res;
        view = report_view(s, r, o, &grouped);
        if (!o->outfile && r->browser && isatty(STDOUT_FILENO)) {
                /* pyinstrument: a page is no use on a terminal, so it goes to a file that is
                 * opened in a browser */
                _cleanup_free_ char *path = NULL;

                res = temp_report(&path, &out);
                if (res == 0) {
                        res = render_to(r, view, &ro, out);
                        if (fclose(out) != 0 && res == 0)
                                res = -errno;
                }
                renderer_opts_release(&ro);
                if (res == -ENOENT)
                        snprintf(err, errlen, "no thread named or numbered '%s' has samples",
                                 o->thread ? o->thread : "");
                else if (res < 0)
                        snprintf(err, errlen, "cannot write the report: %s", strerror(-res));
                if (res < 0) {
                        if (path)
                                (void)unlink(path);
                        return res;
                }
                printf("stdout is a terminal, so saved profile output to %s\n", path);
                fflush(stdout);
                open_in_browser(path);
                return 0;
        }
        if (o->outfile) {
                const char *path = o->outfile;

                if (!outfile_in_place(o->outfile)) {
                        /* through a symlink, the file it names is replaced and the link stays */
                        final = realpath(o->outfile, NULL);
                        if (asprintf(&tmp, "%s.pyinstr-tmp", final ? final : o->outfile) < 0) {
                                tmp = NULL;
                                errno = ENOMEM;
                        }
                        path = tmp;
                }
                out = path ? fopen(path, "we") : NULL;
                if (!out) {
                        res = -errno;
                        renderer_opts_release(&ro);
                        snprintf(err, errlen, "cannot write %s: %s", o->outfile, strerror(-res));
                        return res;
                }
        }
        res = render_to(r, view, &ro, out);
        renderer_opts_release(&ro);
        if (res == -ENOENT)
                snprintf(err, errlen, "no thread named or numbered '%s' has samples",
                         o->thread ? o->thread : "");
        if (o->outfile) {
                if (fclose(out) != 0 && res == 0)
                        res = -errno;
                if (tmp && res == 0 && rename(tmp, final ? final : o->outfile) < 0)
                        res = -errno;
                if (res < 0) {
                        if (tmp)
                                (void)remove(tmp);
                        if (res != -ENOENT)
                                snprintf(err, errlen, "cannot write %s: %s", o->outfile,
                                         strerror(-res));
                }
                return res;
        }
        if (fflush(stdout) != 0 && res == 0)
                res = -errno;
        if (res == -EPIPE)
                return 0; /* the reader went away (| head): nothing more to say, as dump */
        if (res < 0) {
                if (res != -ENOENT)
                        snprintf(err, errlen, "cannot write the report: %s", strerror(-res));
                return res;
        }
        if (r == &renderer_text) {
                char id[64];
                /* a report folder that cannot be written only costs the hint */
                if (save_report(s, id) == 0) {
                        printf("To view this report with different options, run:\n"
                               "    pyinstr --load-prev %s [options]\n\n",
                               id);
                        fflush(stdout);
                }
        }
        return 0;
}

/* Collapsed (folded) stacks, as flamegraph.pl reads them: "a;b;c 1234", one line per distinct
 * stack with its weights summed, in microseconds; ';' and control characters in names as \xNN. A
 * frame is "Class.function (file:line)" with the current line (the l attribute) when there is one,
 * else the first line. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "renderers.h"

/* The format has no quoting: ';' separates frames and a newline ends the line, so those and the
 * other control characters are written as \xNN. */
static void
put_text(const char *s, size_t n, FILE *out)
{
        for (size_t i = 0; i < n && s[i]; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c < 0x20 || c == 0x7f || c == ';')
                        fprintf(out, "\\x%02x", c);
                else
                        fputc(c, out);
        }
}

static void
put_frame(const struct session *s, uint32_t frame, FILE *out)
{
        size_t len;
        const char *info = session_frame_info(s, frame, &len);
        const char *fn = info, *file = NULL, *line = NULL, *cls = NULL;
        size_t n = strlen(fn);

        if (n < len) {
                file = fn + n + 1;
                line = file + strlen(file) + 1;
                if (line > info + len)
                        line = NULL;
        }
        /* attributes after \x01: c<class>, l<line>, h1 */
        const char *cur = NULL;
        for (const char *p = memchr(info, '\x01', len); p;
             p = memchr(p + 1, '\x01', (size_t)(info + len - p - 1))) {
                if (p[1] == 'c')
                        cls = p + 2;
                else if (p[1] == 'l')
                        cur = p + 2;
        }
        if (cls) {
                put_text(cls, strcspn(cls, "\x01"), out);
                fputc('.', out);
        }
        put_text(fn, strcspn(fn, "\x01"), out);
        if (file && line) {
                fputs(" (", out);
                put_text(file, strlen(file), out);
                fprintf(out, ":%.*s)", (int)strcspn(cur ? cur : line, "\x01"), cur ? cur : line);
        }
}

static void
put_stack(const struct session *s, uint32_t id, FILE *out)
{
        /* stacks are parent-linked; print root first with an explicit path array */
        size_t depth = 0, cap = 0;
        uint32_t *path = NULL;

        for (uint32_t x = id; x != SESSION_NO_STACK; x = session_stack_parent(s, x)) {
                xgrow(&path, &cap, depth + 1, sizeof(*path));
                path[depth++] = x;
        }
        for (size_t i = depth; i-- > 0;) {
                put_frame(s, session_stack_frame(s, path[i]), out);
                if (i)
                        fputc(';', out);
        }
        free(path);
}

int
renderer_collapsed(const struct session *s, FILE *out)
{
        size_t n_stacks = session_stack_count(s), n_samples = session_sample_count(s), n = 0;
        double *w = xcalloc(n_stacks ? n_stacks : 1, sizeof(*w));
        /* first seen, not a weight of 0: a loaded session may weigh a sample 0 */
        bool *seen = xcalloc(n_stacks ? n_stacks : 1, sizeof(*seen));
        uint32_t *order = xmalloc((n_stacks ? n_stacks : 1) * sizeof(*order));

        for (size_t i = 0; i < n_samples; i++) {
                uint32_t st = session_sample_stack(s, i);
                if (st == SESSION_NO_STACK)
                        continue; /* no frame to write (w[st] would be far out of bounds) */
                if (!seen[st]) {
                        seen[st] = true;
                        order[n++] = st;
                }
                w[st] += session_sample_weight(s, i);
        }
        for (size_t i = 0; i < n; i++) {
                put_stack(s, order[i], out);
                fprintf(out, " %.0f\n", round(w[order[i]] * 1e6));
        }
        free(w);
        free(seen);
        free(order);
        return ferror(out) ? -EIO : 0;
}

static int
render_collapsed(const struct session *s, const struct render_opts *o, FILE *out)
{
        (void)o;
        return renderer_collapsed(s, out);
}

static const char *const collapsed_extensions[] = { ".collapsed", ".folded", NULL };

const struct renderer renderer_collapsed_stacks = {
        .name = "collapsed",
        .extensions = collapsed_extensions,
        .render = render_collapsed,
};

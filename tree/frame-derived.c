/* pyinstrument's derived Frame values: self time, await time, application code, shortened
 * paths (Session.shorten_path, relpath against sys_path), and the most-observed attribute
 * values. Shortened paths are cached per identifier. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "frame.h"
#include "frame_internal.h"
#include "tree_internal.h"

bool
frame_is_synthetic(const struct frame_tree *t, const struct frame *f)
{
        return t->ident[f->ident].synthetic != FRAME_REAL;
}

bool
frame_is_synthetic_leaf(const struct frame_tree *t, const struct frame *f)
{
        enum frame_synthetic k = t->ident[f->ident].synthetic;
        return k != FRAME_REAL && k != FRAME_ROOT;
}

double
frame_total_self_time(const struct frame_tree *t, const struct frame *f)
{
        double self = f->time;

        for (uint32_t i = 0; i < f->n_children; i++)
                if (!frame_is_synthetic(t, f->children[i]))
                        self -= f->children[i]->time;
        return self;
}

double
frame_proportion_of_parent(const struct frame *f)
{
        if (!f->parent)
                return 1.0;
        if (f->parent->time == 0)
                return NAN;
        return f->time / f->parent->time;
}

double
frame_await_time(const struct frame_tree *t, struct frame *root)
{
        struct frame_stack st = { 0 };
        struct frame *f;
        double sum = 0;

        /* pyinstrument sums recursively (self, then each child's subtotal); pre-order
         * accumulation differs only in rounding, far below the printed precision */
        frame_stack_push(&st, root);
        while ((f = frame_stack_pop(&st))) {
                if (t->ident[f->ident].synthetic == FRAME_AWAIT)
                        sum += f->time;
                frame_stack_push_children(&st, f);
        }
        frame_stack_release(&st);
        return sum;
}

static bool
starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
frame_is_application_code(const struct frame_tree *t, const struct frame *f)
{
        const struct session *s = t->session;

        for (; f; f = f->parent) {
                const struct frame_ident *fi = &t->ident[f->ident];
                if (fi->synthetic || !fi->file || !fi->file[0])
                        return false;
                for (size_t i = 0; i < s->n_sys_prefixes; i++)
                        if (starts_with(fi->file, s->sys_prefixes[i]))
                                return false;
                if (fi->file[0] != '<')
                        return true;
                if (starts_with(fi->file, "<ipython-input-"))
                        return true;
                if (strcmp(fi->file, "<string>") != 0 && strcmp(fi->file, "<stdin>") != 0)
                        return false;
                /* eval/exec code is application code when its caller is (or at the root) */
        }
        return true;
}

/* Normalised absolute components of @path (posixpath.abspath then split), as offsets into a
 * scratch copy. Returns the component count. */
static size_t
abs_components(const char *cwd, const char *path, char **ret_buf, const char ***ret_parts)
{
        size_t n = 0, cap = 0;
        const char **parts = NULL;
        char *buf;

        if (path[0] == '/')
                buf = xstrdup(path);
        else if (asprintf(&buf, "%s/%s", cwd, path) < 0)
                buf = xstrdup(path);
        for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok;
             tok = strtok_r(NULL, "/", &save)) {
                if (strcmp(tok, ".") == 0)
                        continue;
                if (strcmp(tok, "..") == 0) {
                        if (n)
                                n--;
                        continue;
                }
                xgrow(&parts, &cap, n + 1, sizeof(*parts));
                parts[n++] = tok;
        }
        *ret_buf = buf;
        *ret_parts = parts;
        return n;
}

static size_t
count_seps(const char *s)
{
        size_t n = 1;
        for (; *s; s++)
                n += *s == '/';
        return n;
}

/* Session.shorten_path(): os.path.relpath against each sys_path entry, keeping the candidate
 * with strictly fewer components. Returns a malloc'd string. */
static char *
shorten_path(const struct frame_tree *t, const char *path)
{
        const struct session *s = t->session;
        _cleanup_free_ char *pbuf = NULL;
        _cleanup_free_ const char **pparts = NULL;
        char *result = xstrdup(path);
        size_t np, best;

        if (!strchr(path, '/'))
                return result;
        best = count_seps(path);
        np = abs_components(t->cwd, path, &pbuf, &pparts);
        for (size_t e = 0; e < s->n_sys_path; e++) {
                _cleanup_free_ char *sbuf = NULL;
                _cleanup_free_ const char **sparts = NULL;
                size_t ns = abs_components(t->cwd, s->sys_path[e], &sbuf, &sparts), common = 0;
                size_t nrel;

                while (common < ns && common < np && strcmp(sparts[common], pparts[common]) == 0)
                        common++;
                nrel = (ns - common) + (np - common);
                if (nrel == 0)
                        nrel = 1; /* "." */
                if (nrel >= best)
                        continue;
                /* build the candidate: "../" for each start component left, then the rest */
                char *cand = NULL;
                size_t clen = 0;
                FILE *m = open_memstream(&cand, &clen);
                bool first = true;
                for (size_t i = common; i < ns; i++, first = false)
                        fputs(first ? ".." : "/..", m);
                for (size_t i = common; i < np; i++, first = false) {
                        if (!first)
                                fputc('/', m);
                        fputs(pparts[i], m);
                }
                if (first)
                        fputc('.', m);
                fclose(m);
                free(result);
                result = cand;
                best = nrel;
        }
        return result;
}

const char *
frame_file_path_short(struct frame_tree *t, const struct frame *f)
{
        struct frame_ident *fi;

        while (t->ident[f->ident].synthetic && f->parent)
                f = f->parent;
        fi = &t->ident[f->ident];
        if (!fi->file || !fi->file[0])
                return NULL;
        if (fi->short_path < 0) {
                _cleanup_free_ char *p = shorten_path(t, fi->file);
                fi->short_path = (int32_t)strtab_intern(&t->short_paths, p, strlen(p));
        }
        return t->short_paths.v[fi->short_path].str;
}

const char *
frame_attribute_value(const struct frame_tree *t,
                      const struct frame *f,
                      char marker,
                      size_t *ret_len)
{
        const struct frame_attr *best = NULL;

        for (uint32_t i = 0; i < f->n_attrs; i++) {
                const struct frame_attr *a = &f->attrs[i];
                if (t->attr_keys.v[a->key].str[0] != marker)
                        continue;
                /* max() keeps the first of equal values */
                if (!best || a->time > best->time)
                        best = a;
        }
        if (!best)
                return NULL;
        if (ret_len)
                *ret_len = t->attr_keys.v[best->key].len - 1;
        return t->attr_keys.v[best->key].str + 1;
}

bool
frame_has_tracebackhide(const struct frame_tree *t, const struct frame *f)
{
        size_t len;
        const char *v = frame_attribute_value(t, f, 'h', &len);

        return v && len == 1 && v[0] == '1';
}

const char *
frame_class_name(const struct frame_tree *t, const struct frame *f)
{
        const char *v = frame_attribute_value(t, f, 'c', NULL);

        /* pyinstrument tests truthiness: an empty class name prints as no class */
        return v && v[0] ? v : NULL;
}

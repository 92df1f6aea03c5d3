/* Placeholder report writer (lead's minimal version for issue 2): collapsed stacks only.
 * Issue 3 replaces this with the renderer registry. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "renderers/renderers.h"
#include "report.h"

int
report_check(const struct report_opts *o, char *err, size_t errlen)
{
        if (o->renderer && strcmp(o->renderer, "collapsed") != 0) {
                snprintf(err, errlen, "unknown renderer '%s'", o->renderer);
                return -EINVAL;
        }
        return 0;
}

int
report_write(struct session *s, const struct report_opts *o, char *err, size_t errlen)
{
        FILE *out = stdout;
        char tmp[4096];
        int r;

        if (o->outfile) {
                snprintf(tmp, sizeof(tmp), "%s.pyinstr-tmp", o->outfile);
                out = fopen(tmp, "w");
                if (!out) {
                        r = -errno;
                        snprintf(err, errlen, "cannot write %s: %s", o->outfile, strerror(errno));
                        return r;
                }
        }
        r = renderer_collapsed(s, out);
        if (o->outfile) {
                if (fclose(out) != 0 && r == 0)
                        r = -errno;
                if (r == 0 && rename(tmp, o->outfile) < 0)
                        r = -errno;
                if (r < 0) {
                        (void)remove(tmp);
                        snprintf(err, errlen, "cannot write %s: %s", o->outfile, strerror(-r));
                }
        } else {
                fflush(stdout);
        }
        return r;
}

int
report_parse_option(struct report_opts *o, int argc, char **argv, int *i, char *err,
                    size_t errlen)
{
        const char *a = argv[*i];

        if (!strcmp(a, "-r") || !strcmp(a, "--renderer") || !strcmp(a, "-o") ||
            !strcmp(a, "--outfile")) {
                if (*i + 1 >= argc) {
                        snprintf(err, errlen, "%s needs a value", a);
                        return -EINVAL;
                }
                if (a[1] == 'r' || a[2] == 'r')
                        o->renderer = argv[*i + 1];
                else
                        o->outfile = argv[*i + 1];
                *i += 2;
                return 1;
        }
        return 0;
}

/* A stand-in for `pyinstr --load FILE` / `pyinstr --load-prev ID` that runs only the report
 * side (cli/report.c, tree/, renderers/), so the report tests do not need attach/. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/report.h"

int
main(int argc, char **argv)
{
        _cleanup_(session_freep) struct session *s = NULL;
        struct report_opts o = { .unicode = -1, .color = -1 };
        const char *load = NULL, *load_prev = NULL;
        char err[1024];
        int r;

        for (int i = 1; i < argc;) {
                r = report_parse_option(&o, argc, argv, &i, err, sizeof(err));
                if (r < 0) {
                        fprintf(stderr, "pyinstr: %s\n", err);
                        return 2;
                }
                if (r > 0)
                        continue;
                if (!strcmp(argv[i], "--load") && i + 1 < argc) {
                        load = argv[i + 1];
                } else if (!strcmp(argv[i], "--load-prev") && i + 1 < argc) {
                        load_prev = argv[i + 1];
                } else {
                        fprintf(stderr, "usage: %s [report options] --load FILE|--load-prev ID\n",
                                argv[0]);
                        return 2;
                }
                i += 2;
        }
        if (!load == !load_prev) {
                fprintf(stderr, "pyinstr: give one of --load and --load-prev\n");
                return 2;
        }
        if (report_check(&o, err, sizeof(err)) < 0) {
                fprintf(stderr, "pyinstr: %s\n", err);
                return 2;
        }
        r = load ? session_load(load, &s, err, sizeof(err))
                 : report_load_prev(load_prev, &s, err, sizeof(err));
        if (r >= 0)
                r = report_write(s, &o, err, sizeof(err));
        free(o.render_options);
        if (r < 0) {
                fprintf(stderr, "pyinstr: %s\n", err);
                return 1;
        }
        return 0;
}

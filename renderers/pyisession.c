/* -r pyisession: the raw session as pyinstrument's SessionRenderer writes it, compacted (a
 * thread's runs of identical samples as one record); -p every_sample=true (pyinstr's own) keeps a
 * record per sample, for scripts that count records. */
#include "config.h"

#include <stddef.h>

#include "renderers.h"

static int
render_pyisession(const struct session *s, const struct render_opts *o, FILE *out)
{
        return o->every_sample ? session_save_every_sample(s, out) : session_save(s, out);
}

static const char *const pyisession_extensions[] = { ".pyisession", NULL };

static const struct renderer_option pyisession_own_options[] = {
        { "every_sample", RENDERER_OPTION_BOOL, offsetof(struct render_opts, every_sample) },
        { NULL },
};

static const struct renderer_option *const pyisession_options[] = { pyisession_own_options, NULL };

const struct renderer renderer_pyisession = {
        .name = "pyisession",
        .extensions = pyisession_extensions,
        .options = pyisession_options,
        .own_threads = true,
        .render = render_pyisession,
};

/* -r pyisession: the raw session as pyinstrument's SessionRenderer writes it. */
#include "config.h"

#include "renderers.h"

static int
render_pyisession(const struct session *s, const struct render_opts *o, FILE *out)
{
        (void)o;
        return session_save(s, out);
}

static const char *const pyisession_extensions[] = { ".pyisession", NULL };

const struct renderer renderer_pyisession = {
        .name = "pyisession",
        .extensions = pyisession_extensions,
        .own_threads = true,
        .render = render_pyisession,
};

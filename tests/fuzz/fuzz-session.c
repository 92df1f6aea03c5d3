/* Harness: the .pyisession loader (session_load_buffer) on arbitrary bytes, and the renderers
 * on what it accepts, so that a file that loads can also be reported. Under libFuzzer one
 * renderer and one option set run per input, picked by its length: running all of them made
 * each execution several times slower, and the fuzzer reaches every pick by growing or
 * shrinking an input anyway. The replay build (FUZZ_REPLAY: the seeds and regression inputs in
 * `meson test --suite fuzz`) runs every renderer with every option set on each input. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "renderers/renderers.h"

static const struct renderer *const renderers[] = {
        &renderer_text,     &renderer_json,       &renderer_speedscope,
        &renderer_pstats,   &renderer_pyisession, &renderer_collapsed_stacks,
        &renderer_html,     &renderer_gecko,
};

/* the console options and the frame-tree ones the command line can set, in a few mixes */
static const struct render_opts variants[] = {
        { .processor.filter_threshold = 0.01, .unicode = true, .color = true },
        { .processor.filter_threshold = 0.01, .timeline = true, .show_all = true },
        { .processor.filter_threshold = 0, .unicode = true, .flat = true, .flat_time_total = true,
          .percent_of_total = true },
        { .processor.filter_threshold = 0.5, .short_mode = true, .thread = "MainThread" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *null;
        struct session *s = NULL;
        char err[256];

        if (!null)
                null = fopen("/dev/null", "w");
        if (session_load_buffer((const char *)data, size, &s, err, sizeof(err)) < 0)
                return 0;
#ifdef FUZZ_REPLAY
        for (size_t i = 0; i < ARRAY_SIZE(renderers); i++)
                for (size_t v = 0; v < ARRAY_SIZE(variants); v++)
                        (void)renderers[i]->render(s, &variants[v], null);
#else
        size_t i = size % ARRAY_SIZE(renderers), v = size / ARRAY_SIZE(renderers);
        (void)renderers[i]->render(s, &variants[v % ARRAY_SIZE(variants)], null);
#endif
        session_free(s);
        return 0;
}

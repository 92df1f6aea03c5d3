/* Harness: the .pyisession loader (session_load_buffer) on arbitrary bytes, and every
 * renderer on what it accepts, so that a file that loads can also be reported. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "renderers/renderers.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct renderer *const renderers[] = {
                &renderer_text,     &renderer_json,       &renderer_speedscope,
                &renderer_pstats,   &renderer_pyisession, &renderer_collapsed_stacks,
        };
        static FILE *null;
        struct session *s = NULL;
        char err[256];

        if (!null)
                null = fopen("/dev/null", "w");
        if (session_load_buffer((const char *)data, size, &s, err, sizeof(err)) < 0)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(renderers); i++) {
                struct render_opts o = {
                        .processor.filter_threshold = 0.01,
                        .unicode = true,
                        .color = i == 0,
                        .timeline = size & 1,
                };
                (void)renderers[i]->render(s, &o, null);
        }
        session_free(s);
        return 0;
}

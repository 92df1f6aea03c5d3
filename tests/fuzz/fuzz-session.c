/* Harness: the .pyisession loader (session_load_buffer) on arbitrary bytes, read in place and
 * through cJSON, which must agree (verdict, message, and the session as saved); then the
 * renderers on what it accepts, so that a file that loads can also be reported. Under
 * libFuzzer one renderer and one option set run per input, picked by its length: running all
 * of them made each execution several times slower, and the fuzzer reaches every pick by
 * growing or shrinking an input anyway. The replay build (FUZZ_REPLAY: the seeds and
 * regression inputs in `meson test --suite fuzz`) runs every renderer with every option set on
 * each input. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "renderers/renderers.h"

/* Reports go nowhere, without opening anything (/dev/null may not be what it should). */
static ssize_t
discard(void *cookie, const char *buf, size_t size)
{
        (void)cookie;
        (void)buf;
        return (ssize_t)size;
}

static char *
saved(const struct session *s, size_t *ret_len)
{
        char *buf = NULL;
        FILE *m = open_memstream(&buf, ret_len);

        (void)session_save(s, m);
        fclose(m);
        return buf;
}

/* The in-place reader gives up on anything unusual; when it does not, it must have read what
 * the cJSON path reads. */
static void
check_both_ways(const uint8_t *data, size_t size, int r, const struct session *s, const char *err)
{
        struct session *c = NULL;
        char cerr[256] = "";
        int rc;

        session_load_set_plain(false);
        rc = session_load_buffer((const char *)data, size, &c, cerr, sizeof(cerr));
        session_load_set_plain(true);
        if (rc != r || (r < 0 && strcmp(err, cerr) != 0))
                abort();
        if (r >= 0) {
                size_t la, lb;
                char *a = saved(s, &la), *b = saved(c, &lb);
                if (la != lb || memcmp(a, b, la) != 0 ||
                    session_sample_count(s) != session_sample_count(c))
                        abort();
                free(a);
                free(b);
        }
        session_free(c);
}

static const struct renderer *const renderers[] = {
        &renderer_text,     &renderer_json,       &renderer_speedscope,
        &renderer_pstats,   &renderer_pyisession, &renderer_collapsed_stacks,
        &renderer_html,     &renderer_gecko,
};

/* the console options and the frame-tree ones the command line can set, in a few mixes */
static const struct render_opts variants[] = {
        { .processor.filter_threshold = 0.01, .text.unicode = true, .text.color = true },
        { .processor.filter_threshold = 0.01, .timeline = true, .show_all = true },
        { .processor.filter_threshold = 0,
          .text.unicode = true,
          .text.flat = true,
          .text.flat_time_total = true,
          .text.percent_of_total = true },
        { .processor.filter_threshold = 0.5, .text.short_mode = true, .thread = "MainThread" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *null;
        struct session *s = NULL;
        char err[256] = "";
        int r;

        if (!null)
                null = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = discard });
        r = session_load_buffer((const char *)data, size, &s, err, sizeof(err));
        check_both_ways(data, size, r, s, err);
        if (r < 0)
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

/* renderers/: the registry (names, extensions, option declarations) and setting render_opts from
 * an options object, without the command line. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "renderers/renderers.h"

/* Every renderer is found by its name and guessed from each of its extensions, in any case;
 * a renderer's option names are unique. */
static void
test_registry(void **state)
{
        const struct renderer *r;
        size_t n = 0;

        (void)state;
        for (size_t i = 0; (r = renderer_at(i)); i++, n++) {
                assert_ptr_equal(renderer_find(r->name), r);
                for (const char *const *e = r->extensions; e && *e; e++) {
                        char path[64];
                        snprintf(path, sizeof(path), "/tmp/report%s", *e);
                        for (char *p = path; *p; p++)
                                if (i % 2 && *p >= 'a' && *p <= 'z')
                                        *p = (char)(*p - 'a' + 'A');
                        assert_ptr_equal(renderer_guess(path), r);
                }
                for (const struct renderer_option *const *a = r->options; a && *a; a++)
                        for (const struct renderer_option *x = *a; x->name; x++)
                                for (const struct renderer_option *const *b = a; *b; b++)
                                        for (const struct renderer_option *y = *b; y->name; y++)
                                                assert_true(x == y || strcmp(x->name, y->name));
        }
        assert_int_equal(n, 8);
        assert_ptr_equal(renderer_find("session"), &renderer_pyisession);
        assert_ptr_equal(renderer_guess("a.speedscope.json"), &renderer_speedscope);
        assert_ptr_equal(renderer_guess("a.gecko.json"), &renderer_gecko);
        assert_ptr_equal(renderer_guess("a.json"), &renderer_json);
        assert_null(renderer_guess("a.unknown"));
        assert_null(renderer_guess("json"));
}

static int
apply(const struct renderer *r, const char *json, struct render_opts *o, char *err, size_t len)
{
        cJSON *opts = cJSON_Parse(json);
        int res;

        assert_non_null(opts);
        res = renderer_options_apply(r, opts, o, err, len);
        cJSON_Delete(opts);
        return res;
}

static void
test_apply(void **state)
{
        struct render_opts o = { .thread = "7" };
        char err[256];

        (void)state;
        assert_int_equal(apply(&renderer_text,
                               "{\"unicode\": 1, \"color\": \"\", \"time\": \"percent_of_total\", "
                               "\"flat_time\": \"self\", \"short_mode\": [0], \"show_all\": {}}",
                               &o, err, sizeof(err)),
                         0);
        assert_true(o.text.unicode);
        assert_false(o.text.color);
        assert_true(o.text.percent_of_total);
        assert_false(o.text.flat_time_total);
        assert_true(o.text.short_mode);
        assert_false(o.show_all);
        assert_string_equal(o.thread, "7");
        assert_true(o.processor.filter_threshold == 0.01);
        assert_null(o.processor.hide_regex);
        renderer_opts_release(&o);

        /* a choice that is not its string: the other value */
        assert_int_equal(apply(&renderer_text, "{\"time\": true, \"flat_time\": true}", &o, err,
                               sizeof(err)),
                         0);
        assert_false(o.text.percent_of_total);
        assert_true(o.text.flat_time_total);

        assert_int_equal(apply(&renderer_json,
                               "{\"processor_options\": {\"filter_threshold\": 0, "
                               "\"hide_regex\": \"^a\", \"show_regex\": null}}",
                               &o, err, sizeof(err)),
                         0);
        assert_true(o.processor.filter_threshold == 0);
        assert_ptr_equal(o.processor.hide_regex, &o.hide);
        assert_null(o.processor.show_regex);
        renderer_opts_release(&o);
        assert_null(o.processor.hide_regex);

        /* a regex compiled before a later one fails is released all the same */
        assert_int_equal(apply(&renderer_json,
                               "{\"processor_options\": {\"hide_regex\": \"^a\", "
                               "\"show_regex\": \"(\"}}",
                               &o, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "bad show_regex '('"));
        renderer_opts_release(&o);

        assert_int_equal(apply(&renderer_json, "{\"flat\": true}", &o, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "Failed to create json renderer. Check your renderer options.\n"
                                 "  unexpected keyword argument 'flat'");
        assert_int_equal(apply(&renderer_gecko, "{\"timeline\": false}", &o, err, sizeof(err)),
                         -EINVAL);
        assert_int_equal(
                apply(&renderer_text, "{\"flat\": 1, \"timeline\": 1}", &o, err, sizeof(err)),
                -EINVAL);
        assert_non_null(strstr(err, "Cannot use timeline and flat options together."));
}

/* What the command line gives each renderer before -p. */
static void
test_from_cli(void **state)
{
        const struct render_cli cli = {
                .timeline = true, .hide_regex = "^x", .unicode = -1, .color = -1, .tty = true
        };
        cJSON *o;
        char *text;

        (void)state;
        o = renderer_options_new(&renderer_text, &cli);
        text = cJSON_PrintUnformatted(o);
        assert_string_equal(text, "{\"processor_options\":{\"hide_regex\":\"^x\",\"show_regex\":"
                                  "null},\"unicode\":true,\"color\":true,\"timeline\":true}");
        free(text);
        cJSON_Delete(o);
        o = renderer_options_new(&renderer_collapsed_stacks, &cli);
        text = cJSON_PrintUnformatted(o);
        assert_string_equal(text, "{\"timeline\":true}");
        free(text);
        cJSON_Delete(o);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_registry),
                cmocka_unit_test(test_apply),
                cmocka_unit_test(test_from_cli),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

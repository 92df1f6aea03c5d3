/* record/ without a process: the synthetic interpreter of tests/image walked by the real
 * walker, turned into a session by the recorder and rendered, for every offsets table
 * (3.8–3.15). The report must be exactly the stacks laid out in the image, each under its own
 * thread root, with the weights given. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/pyimage.h"
#include "record/record.h"
#include "renderers/renderers.h"

/* What each table's image gives, as collapsed stacks (weights in µs): the main thread runs
 * <module> → work → Handler.handle, the other thread work alone; the lines are each line
 * table format's decoding of the instruction laid out in the frame; the method's name is
 * stored as UCS-2 (each letter shifted into CJK). IDENT stands for a thread's ident. */
struct expect {
        uint32_t version;
        const char *collapsed;
};

static const struct expect expected[] = {
#include "test-record.inc"
        { 0, NULL },
};

static char *
render(const struct session *s, const struct renderer *r, const struct render_opts *o)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        if (r)
                assert_int_equal(r->render(s, o, f), 0);
        else
                assert_int_equal(renderer_collapsed(s, f), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

/* Replace every occurrence of the decimal @ident by "IDENT". */
static char *
mask_ident(char *text, uint64_t ident)
{
        char id[32], *p;
        int n = snprintf(id, sizeof(id), "%llu", (unsigned long long)ident);

        while ((p = strstr(text, id))) {
                memcpy(p, "IDENT", 5);
                memmove(p + 5, p + n, strlen(p + n) + 1);
        }
        return text;
}

struct round {
        struct recorder *rec;
        double weight;
};

static void
add(const struct thread_stack *st, void *userdata)
{
        const struct round *rd = userdata;

        recorder_add(st, rd->weight, rd->rec);
}

static void
walk_into_session(unsigned table)
{
        uint32_t version;
        const struct py_offsets *o = pyimage_table(table, &version);
        struct pyimage l;

        pyimage_build(&l, o);
        struct target *t =
                target_new_image(rmem_new_image(l.buf, l.len, PYIMAGE_BASE), o, PYIMAGE_BASE);
        struct session *s = session_new();
        struct recorder *rec = recorder_new(s, t);

        /* three rounds, the weights as the sampler would give them */
        for (int i = 0; i < 3; i++) {
                struct round rd = { rec, 0.001 * (i + 1) };
                assert_int_equal(target_walk(t, add, &rd), 2);
        }
        assert_int_equal(recorder_thread_count(rec), 2);
        assert_int_equal(session_sample_count(s), 6);

        _cleanup_free_ char *got =
                mask_ident(mask_ident(render(s, NULL, NULL), l.main_ident), l.other_ident);
        const char *want = NULL;
        for (const struct expect *e = expected; e->collapsed; e++)
                if (e->version == version)
                        want = e->collapsed;
        if (getenv("PYINSTR_PRINT_EXPECTED"))
                printf("{ %#x, \"%s\" },\n", version, got);
        assert_non_null(want);
        assert_string_equal(got, want);

        /* and through pyinstrument's console tree: a tree per thread, busiest first; the
         * method is left out, as pyinstrument does, because its frame defines
         * __tracebackhide__ */
        struct render_opts ro = { .processor = { .filter_threshold = 0.01 } };
        session_set_times(s, 0, 0.012, 0);
        _cleanup_free_ char *text = render(s, &renderer_text, &ro);
        mask_ident(mask_ident(text, l.main_ident), l.other_ident);
        assert_non_null(strstr(text, "\n\n0.006 Thread-4242  <thread>:IDENT\n"
                                     "`- 0.006 work  /app/main.py:10\n"
                                     "\n"
                                     "0.006 MainThread  <thread>:IDENT\n"
                                     "`- 0.006 <module>  /app/main.py:1\n"
                                     "   `- 0.006 work  /app/main.py:10\n"));

        recorder_free(rec);
        session_free(s);
        target_free(t);
        pyimage_release(&l);
}

#define TABLE_TEST(i)                                                                              \
        static void test_table_##i(void **state)                                                   \
        {                                                                                          \
                (void)state;                                                                       \
                walk_into_session(i);                                                              \
        }
TABLE_TEST(0)
TABLE_TEST(1)
TABLE_TEST(2)
TABLE_TEST(3)
TABLE_TEST(4)
TABLE_TEST(5)
TABLE_TEST(6)
TABLE_TEST(7)

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_0), cmocka_unit_test(test_table_1),
                cmocka_unit_test(test_table_2), cmocka_unit_test(test_table_3),
                cmocka_unit_test(test_table_4), cmocka_unit_test(test_table_5),
                cmocka_unit_test(test_table_6), cmocka_unit_test(test_table_7),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

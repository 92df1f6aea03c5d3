/* Harness: the stack walker over a mutated memory image. For an offsets table (3.8–3.12
 * compiled, 3.13–3.15 from real _Py_DebugOffsets), a plausible interpreter is laid out in a
 * byte image: _PyRuntime, an interpreter, two thread states, frame chains (with a C-stack shim
 * frame ≥3.11), code objects, their type, str objects of every layout, line tables and
 * local-name tuples. The input picks the table and then patches the image between walks, as a
 * running interpreter would between samples; every walk must stay in bounds and report only
 * frame ids the target knows.
 * Input: a table byte, then commands (op % 4): 0 write bytes, 1 write a pointer to an object,
 * 2 walk now, 3 write a NULL; each names the object and the offset inside it it writes to. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attach/internal.h"
#include "fuzz.h"
#include "image/pyimage.h"

#define MAX_WALKS 8

static void
check_stack(const struct thread_stack *st, void *userdata)
{
        const struct target *t = userdata;

        if (!st->depth || st->depth > MAX_DEPTH)
                abort();
        for (uint32_t i = 0; i < st->depth; i++) {
                struct frame_parts p;
                size_t len;
                if (!target_frame_info(t, st->frames[i], &len))
                        abort();
                target_frame_parts(t, st->frames[i], &p);
                if (!p.function || !p.file || p.line < 0)
                        abort();
        }
}

static uint16_t
u16_at(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct pyimage layouts[PYIMAGE_TABLES];
        size_t i = 1;
        int walks = 0;

        if (size < 1)
                return 0;
        unsigned which = data[0] % ARRAY_SIZE(layouts);
        struct pyimage *l = &layouts[which];
        if (!l->buf)
                pyimage_build(l, pyimage_table(which, NULL));

        uint8_t *img = malloc(l->len);
        if (!img)
                abort();
        memcpy(img, l->buf, l->len);
        struct target *t = target_new_image(rmem_new_image(img, l->len, PYIMAGE_BASE), l->o,
                                            PYIMAGE_BASE);

        while (walks < MAX_WALKS) {
                uint8_t op = i < size ? data[i++] : 2;
                if (op % 4 == 2 || i + 3 > size) {
                        (void)target_walk(t, check_stack, t);
                        walks++;
                        if (i >= size)
                                break;
                        continue;
                }
                size_t dst = l->obj[data[i] % l->n_objs] + u16_at(data + i + 1);
                i += 3;
                if (op % 4 == 0 && i < size) {
                        size_t n = data[i++] % 16 + 1;
                        n = MIN(n, size - i);
                        if (dst < l->len && n <= l->len - dst)
                                memcpy(img + dst, data + i, n);
                        i += n;
                } else if (op % 4 == 1 && i + 2 <= size) {
                        uint64_t v = pyimage_addr(l->obj[data[i] % l->n_objs]) + (int8_t)data[i + 1];
                        i += 2;
                        if (dst < l->len && 8 <= l->len - dst)
                                memcpy(img + dst, &v, 8);
                } else if (op % 4 == 3) {
                        if (dst < l->len && 8 <= l->len - dst)
                                memset(img + dst, 0, 8);
                }
        }
        target_free(t);
        free(img);
        return 0;
}

/* Harness: the PyUnicode decoder. pystr_to_utf8() on the raw input in each character width,
 * checked to give valid UTF-8 of the expected length; then pystr_read() on the input as a
 * memory image holding a str object, laid out as each compiled offsets table says.
 * Input: a selector byte (table, and where in the image the object starts), then the bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attach/internal.h"
#include "fuzz.h"

#define IMAGE_BASE 0x7f0000001000ULL

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF) of
 * exactly @len bytes, NUL-terminated. */
static bool
utf8_valid(const char *str, size_t len)
{
        const uint8_t *s = (const uint8_t *)str;
        size_t i = 0;

        while (i < len) {
                uint8_t c = s[i];
                size_t n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
                           : c >= 0xf0 && c < 0xf5 ? 4 : 0;
                uint32_t cp = n == 1 ? c : n == 2 ? c & 31u : n == 3 ? c & 15u : c & 7u;
                if (!n || i + n > len)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + k] & 63u);
                }
                if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n;
        }
        return s[len] == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint32_t versions[] = { 0x03080000, 0x03090000, 0x030a0000, 0x030b0000,
                                             0x030c0000 };
        if (size < 1)
                return 0;
        const uint8_t *body = data + 1;
        size_t len = size - 1;

        for (unsigned kind = 1; kind <= 4; kind *= 2) {
                size_t out_len;
                char *s = pystr_to_utf8(body, len / kind, kind, &out_len);
                if (!utf8_valid(s, out_len))
                        abort();
                free(s);
        }

        const struct py_offsets *o = symbols_table_for(versions[data[0] % ARRAY_SIZE(versions)]);
        uint64_t addr = IMAGE_BASE + 8 * (uint64_t)(data[0] / ARRAY_SIZE(versions));
        _cleanup_(rmem_freep) struct rmem *m = rmem_new_image(body, len, IMAGE_BASE);
        struct pystr str;
        if (pystr_read(m, o, addr, &str) == 0) {
                if (!utf8_valid(str.s, str.len))
                        abort();
                free(str.s);
        }
        return 0;
}

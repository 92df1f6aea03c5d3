/* Remote str and bytes objects. Every layout of Include/cpython/unicodeobject.h is handled:
 * compact ASCII (data right after PyASCIIObject), compact latin-1/UCS-2/UCS-4 (after
 * PyCompactUnicodeObject) and the legacy non-compact form of ≤3.11 (a data pointer). The
 * state bitfield of GIL builds is interned:2, kind:3, compact:1, ascii:1 from bit 0 (3.8–3.15). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "common/xalloc.h"
#include "internal.h"

#define HDR_MAX 128

static size_t
put_utf8(char *out, uint32_t c)
{
        if (c >= 0xd800 && c <= 0xdfff) /* lone surrogates cannot be UTF-8 */
                c = 0xfffd;
        if (c > 0x10ffff)
                c = 0xfffd;
        if (c < 0x80) {
                out[0] = (char)c;
                return 1;
        }
        if (c < 0x800) {
                out[0] = (char)(0xc0 | c >> 6);
                out[1] = (char)(0x80 | (c & 63));
                return 2;
        }
        if (c < 0x10000) {
                out[0] = (char)(0xe0 | c >> 12);
                out[1] = (char)(0x80 | (c >> 6 & 63));
                out[2] = (char)(0x80 | (c & 63));
                return 3;
        }
        out[0] = (char)(0xf0 | c >> 18);
        out[1] = (char)(0x80 | (c >> 12 & 63));
        out[2] = (char)(0x80 | (c >> 6 & 63));
        out[3] = (char)(0x80 | (c & 63));
        return 4;
}

char *
pystr_to_utf8(const void *data, size_t n, unsigned kind, size_t *ret_len)
{
        const uint8_t *p = data;
        char *out = xmalloc(n * 4 + 1);
        size_t len = 0;

        for (size_t i = 0; i < n; i++) {
                uint32_t c;
                if (kind == 1) {
                        c = p[i];
                } else if (kind == 2) {
                        uint16_t v;
                        memcpy(&v, p + 2 * i, 2);
                        c = v;
                } else {
                        memcpy(&c, p + 4 * i, 4);
                }
                len += put_utf8(out + len, c);
        }
        out[len] = '\0';
        *ret_len = len;
        return out;
}

/* Do the @n characters of @kind at @data have the kind a compact str of them has (PEP 393,
 * Objects/unicodeobject.c PyUnicode_New: the smallest that holds the largest character)? */
static bool
canonical(const uint8_t *data, size_t n, unsigned kind, bool ascii)
{
        uint32_t max = 0;

        for (size_t i = 0; i < n; i++) {
                uint32_t c;
                if (kind == 1) {
                        c = data[i];
                } else if (kind == 2) {
                        uint16_t v;
                        memcpy(&v, data + 2 * i, 2);
                        c = v;
                } else {
                        memcpy(&c, data + 4 * i, 4);
                }
                max = MAX(max, c);
        }
        if (ascii)
                return kind == 1 && max < 0x80;
        return kind == 1 ? max >= 0x80 : kind == 2 ? max > 0xff : max > 0xffff && max <= 0x10ffff;
}

int
pystr_read(struct rmem *m, const struct py_offsets *o, uint64_t addr, struct pystr *ret)
{
        uint8_t hdr[HDR_MAX];
        size_t hsize = o->unicode.compact_size + 8; /* + data.any of legacy strings */
        uint64_t length, data;
        uint32_t state;
        unsigned kind;
        int r;

        if (!addr || hsize > sizeof(hdr))
                return -EBADMSG;
        r = rmem_read(m, addr, hsize, hdr);
        if (r < 0)
                return r;
        if (!pyobj_alive(rd_u64(hdr, hsize, o->object.ob_refcnt)))
                return -EBADMSG;
        length = rd_u64(hdr, hsize, o->unicode.length);
        state = rd_u32(hdr, hsize, o->unicode.state);
        kind = (state >> 2) & 7;
        if (length > MAX_STR_SANE || (kind != 1 && kind != 2 && kind != 4))
                return -EBADMSG;
        /* a name or path longer than MAX_STR_CHARS is cut there and marked, not dropped */
        bool cut = length > MAX_STR_CHARS;
        if (cut)
                length = MAX_STR_CHARS;
        if (state & (1u << 5)) /* compact */
                data = addr +
                       ((state & (1u << 6)) ? o->unicode.ascii_size : o->unicode.compact_size);
        else /* legacy (≤3.11, PyUnicodeObject.data.any) */
                data = rd_u64(hdr, hsize, o->unicode.compact_size);
        if (!data)
                return -EBADMSG;

        _cleanup_free_ uint8_t *raw = xmalloc(length * kind + 1);
        r = rmem_read(m, data, length * kind, raw);
        if (r < 0)
                return r;
        /* the widest character of a cut str may lie past the cut: its kind is not checked */
        if (!cut && (state & (1u << 5)) && length &&
            !canonical(raw, length, kind, state & (1u << 6)))
                return -EBADMSG;
        ret->s = pystr_to_utf8(raw, length, kind, &ret->len);
        if (cut) {
                static const char mark[] = "\u2026[cut]";
                ret->s = xrealloc(ret->s, ret->len + sizeof(mark));
                memcpy(ret->s + ret->len, mark, sizeof(mark));
                ret->len += sizeof(mark) - 1;
        }
        return 0;
}

int
pybytes_read(
        struct rmem *m, const struct py_offsets *o, uint64_t addr, uint8_t **ret, size_t *ret_len)
{
        uint8_t hdr[HDR_MAX];
        size_t hsize = o->bytes.ob_sval;
        uint64_t size;
        int r;

        if (!addr || hsize > sizeof(hdr))
                return -EBADMSG;
        r = rmem_read(m, addr, hsize, hdr);
        if (r < 0)
                return r;
        size = rd_u64(hdr, hsize, o->bytes.ob_size);
        if (size > MAX_LINETABLE)
                return -EBADMSG;
        uint8_t *buf = xmalloc(size + 1);
        r = rmem_read(m, addr + o->bytes.ob_sval, size, buf);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = size;
        return 0;
}

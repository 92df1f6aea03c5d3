/* Python-compatible JSON output (json.dumps strings, repr floats) and the input fix-ups that let
 * cJSON read strings with NULs and surrogate-escaped bytes. No JSON parsing here: that is
 * cJSON's job. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "pyjson.h"

char *
pyjson_float(double x, char buf[static PYJSON_FLOAT_MAX])
{
        char tmp[40], digits[20];
        int nd = 0, exp10, decpt;
        char *p = buf;

        if (isnan(x))
                return strcpy(buf, "NaN");
        if (isinf(x))
                return strcpy(buf, x < 0 ? "-Infinity" : "Infinity");
        /* the shortest %e precision that reads back to the same double is what repr() shows */
        for (int prec = 0; prec < 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
                if (strtod(tmp, NULL) == x)
                        break;
        }
        const char *t = tmp;
        if (*t == '-') {
                *p++ = '-';
                t++;
        }
        for (; *t && *t != 'e'; t++)
                if (*t >= '0' && *t <= '9')
                        digits[nd++] = *t;
        exp10 = atoi(t + 1);
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        decpt = exp10 + 1;
        /* CPython's float_repr_style 'short': exponent form outside 1e-4 <= |x| < 1e16 */
        if (decpt <= -4 || decpt > 16) {
                *p++ = digits[0];
                if (nd > 1) {
                        *p++ = '.';
                        memcpy(p, digits + 1, (size_t)nd - 1);
                        p += nd - 1;
                }
                snprintf(p, 16, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
                return buf;
        }
        if (decpt <= 0) {
                *p++ = '0';
                *p++ = '.';
                for (int i = 0; i < -decpt; i++)
                        *p++ = '0';
                memcpy(p, digits, (size_t)nd);
                p += nd;
        } else if (decpt >= nd) {
                memcpy(p, digits, (size_t)nd);
                p += nd;
                for (int i = nd; i < decpt; i++)
                        *p++ = '0';
                *p++ = '.';
                *p++ = '0';
        } else {
                memcpy(p, digits, (size_t)decpt);
                p += decpt;
                *p++ = '.';
                memcpy(p, digits + decpt, (size_t)(nd - decpt));
                p += nd - decpt;
        }
        *p = '\0';
        return buf;
}

/* Decode one UTF-8 sequence at @s (at most @n bytes). Returns its length and sets *cp, or 0
 * when the bytes are not valid UTF-8 (overlong forms and surrogates included). */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
        size_t len;
        uint32_t c, min;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2;
                c = s[0] & 0x1f;
                min = 0x80;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3;
                c = s[0] & 0x0f;
                min = 0x800;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4;
                c = s[0] & 0x07;
                min = 0x10000;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return len;
}

void
pyjson_put_string(FILE *out, const char *str, size_t len, bool ensure_ascii)
{
        const unsigned char *s = (const unsigned char *)str;

        fputc('"', out);
        for (size_t i = 0; i < len;) {
                unsigned char c = s[i];
                uint32_t cp;
                size_t n;

                /* printable ASCII other than '"' and '\\' goes out as one run */
                for (n = i; n < len && s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"' && s[n] != '\\';)
                        n++;
                if (n > i) {
                        fwrite(s + i, 1, n - i, out);
                        i = n;
                        continue;
                }
                switch (c) {
                case '"':
                        fputs("\\\"", out);
                        i++;
                        continue;
                case '\\':
                        fputs("\\\\", out);
                        i++;
                        continue;
                case '\n':
                        fputs("\\n", out);
                        i++;
                        continue;
                case '\r':
                        fputs("\\r", out);
                        i++;
                        continue;
                case '\t':
                        fputs("\\t", out);
                        i++;
                        continue;
                case '\b':
                        fputs("\\b", out);
                        i++;
                        continue;
                case '\f':
                        fputs("\\f", out);
                        i++;
                        continue;
                default:
                        break;
                }
                if (c < 0x20 || (ensure_ascii && c == 0x7f)) {
                        fprintf(out, "\\u%04x", c);
                        i++;
                        continue;
                }
                if (c < 0x80 || !ensure_ascii) {
                        fputc(c, out);
                        i++;
                        continue;
                }
                n = utf8_decode(s + i, len - i, &cp);
                if (n == 0) {
                        fprintf(out, "\\udc%02x", c);
                        i++;
                        continue;
                }
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        fprintf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
                } else {
                        fprintf(out, "\\u%04x", cp);
                }
                i += n;
        }
        fputc('"', out);
}

size_t
pyjson_restore_nuls(char *s, size_t len)
{
        size_t j = 0;

        for (size_t i = 0; i < len; i++) {
                if ((unsigned char)s[i] == 0xc0 && i + 1 < len && (unsigned char)s[i + 1] == 0x80) {
                        s[j++] = '\0';
                        i++;
                } else {
                        s[j++] = s[i];
                }
        }
        s[j] = '\0';
        return j;
}

static int
hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

char *
pyjson_prepare(char *text, size_t len)
{
        /* every rewrite is shorter than what it replaces, so the output never overtakes the
         * input and one buffer serves both */
        char *o = text;

        for (size_t i = 0; i < len;) {
                /* copy the run up to the next backslash in one go */
                const char *bs = memchr(text + i, '\\', len - i);
                size_t run = bs ? (size_t)(bs - text) - i : len - i;

                if (memchr(text + i, 0xc0, run))
                        return NULL;
                memmove(o, text + i, run);
                o += run;
                i += run;
                if (i >= len)
                        break;
                if (i + 1 >= len) {
                        *o++ = text[i++];
                        continue;
                }
                if (text[i + 1] == 'u' && i + 6 <= len && memcmp(text + i + 2, "0000", 4) == 0) {
                        *o++ = (char)0xc0;
                        *o++ = (char)0x80;
                        i += 6;
                        continue;
                }
                if (text[i + 1] == 'u' && i + 6 <= len && (text[i + 2] | 0x20) == 'd' &&
                    (text[i + 3] | 0x20) == 'c' && hexval(text[i + 4]) >= 8 &&
                    hexval(text[i + 5]) >= 0) {
                        *o++ = (char)(hexval(text[i + 4]) << 4 | hexval(text[i + 5]));
                        i += 6;
                        continue;
                }
                /* any other escape, "\\\\" included, is copied whole so that its second
                 * character is never taken for the start of another escape */
                *o++ = text[i++];
                *o++ = text[i++];
        }
        *o = '\0';
        return text;
}

char *
pyjson_surrogatepass(const char *str, size_t len, size_t *ret_len)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned char *out = xmalloc(len * 3 + 1), *p = out;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(s + i, len - i, &cp);

                if (n) {
                        memcpy(p, s + i, n);
                        p += n;
                        i += n;
                        continue;
                }
                /* U+DC00 + byte, encoded as UTF-8 would if surrogates were allowed */
                *p++ = 0xed;
                *p++ = (unsigned char)(0xb0 | (s[i] >> 6));
                *p++ = (unsigned char)(0x80 | (s[i] & 0x3f));
                i++;
        }
        *p = '\0';
        *ret_len = (size_t)(p - out);
        return (char *)out;
}

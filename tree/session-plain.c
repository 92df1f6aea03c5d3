/* .pyisession files read in place: the shape pyinstrument and pyinstr write (an object whose
 * frame_records is a list of [[frame, ...], weight]) parsed by hand where it lies, frames
 * unescaped only when they hold a backslash and only the first time their text is seen, a
 * record's frames compared with the previous record's before anything is hashed. Anything
 * else gives -EOPNOTSUPP and session-json.c's cJSON loader decides, so that both agree on
 * every file: whatever this accepts, that one accepts the same way. The file is never
 * trusted: every read is bounds-checked. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/strtab.h"
#include "common/xalloc.h"
#include "pyjson.h"
#include "tree.h"
#include "tree_internal.h"

/* Pages of a mapped file behind the record being read are handed back this often: a long
 * session's file is gigabytes, and read once. */
#define DROP_EVERY (64u << 20)

struct span {
        const char *p;
        size_t len;
};

struct plain {
        const char *p, *end;
        const char *dropped; /* mapped: pages before this were handed back */
        bool mapped;
        struct session *s;
        struct strtab raw;     /* frame strings as written, escapes and all */
        uint32_t *raw_frame;   /* raw id → session frame */
        size_t cap_raw_frame;
        char *buf; /* unescaped text */
        size_t cap_buf;
        /* the previous record, per depth: its frame text, frame and stack */
        struct span *prev;
        uint32_t *prev_frame, *prev_stack;
        size_t cap_prev, cap_prev_frame, cap_prev_stack, n_prev;
        struct span prev_num;
        double prev_w;
};

static void
skip_ws(struct plain *x)
{
        while (x->p < x->end && (*x->p == ' ' || *x->p == '\n' || *x->p == '\r' || *x->p == '\t'))
                x->p++;
}

static bool
eat(struct plain *x, char c)
{
        skip_ws(x);
        if (x->p >= x->end || *x->p != c)
                return false;
        x->p++;
        return true;
}

/* The string at x->p (its opening quote): body in *@ret, *@escaped when it has a backslash.
 * Control characters and C0 bytes (which the cJSON path refuses or reads differently) fail. */
static bool
scan_string(struct plain *x, struct span *ret, bool *escaped)
{
        const unsigned char *p = (const unsigned char *)x->p, *end = (const unsigned char *)x->end;

        if (p >= end || *p != '"')
                return false;
        const unsigned char *start = ++p;
        *escaped = false;
        for (; p < end; p++) {
                unsigned char c = *p;
                if (c == '"') {
                        ret->p = (const char *)start;
                        ret->len = (size_t)(p - start);
                        x->p = (const char *)p + 1;
                        return true;
                }
                if (c < 0x20 || c == 0xc0)
                        return false;
                if (c == '\\') {
                        *escaped = true;
                        if (++p >= end)
                                return false;
                }
        }
        return false;
}

static int
hex4(const char *p)
{
        int v = 0;

        for (int i = 0; i < 4; i++) {
                char c = p[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                        v |= (c | 0x20) - 'a' + 10;
                else
                        return -1;
        }
        return v;
}

/* What pyjson_prepare(), cJSON and pyjson_restore_nuls() make of a string body with escapes:
 * \u0000 is a NUL, \udc80-\udcff the byte itself, other escapes the usual. Surrogates other
 * than those, and anything cJSON would refuse, fail. */
static bool
unescape(struct plain *x, struct span in, size_t *ret_len)
{
        size_t o = 0;

        xgrow(&x->buf, &x->cap_buf, in.len + 1, 1);
        for (size_t i = 0; i < in.len; i++) {
                char c = in.p[i];
                if (c != '\\') {
                        x->buf[o++] = c;
                        continue;
                }
                if (++i >= in.len)
                        return false;
                switch (in.p[i]) {
                case '"':
                case '\\':
                case '/':
                        x->buf[o++] = in.p[i];
                        break;
                case 'b':
                        x->buf[o++] = '\b';
                        break;
                case 'f':
                        x->buf[o++] = '\f';
                        break;
                case 'n':
                        x->buf[o++] = '\n';
                        break;
                case 'r':
                        x->buf[o++] = '\r';
                        break;
                case 't':
                        x->buf[o++] = '\t';
                        break;
                case 'u': {
                        if (in.len - i < 5)
                                return false;
                        int cp = hex4(in.p + i + 1);
                        i += 4;
                        if (cp < 0)
                                return false;
                        if (cp >= 0xdc80 && cp <= 0xdcff && cp != 0xdcc0) {
                                /* a surrogate-escaped byte (C0 would meet the NUL marker) */
                                x->buf[o++] = (char)(cp & 0xff);
                        } else if (cp >= 0xd800 && cp <= 0xdfff) {
                                return false;
                        } else if (cp < 0x80) {
                                x->buf[o++] = (char)cp;
                        } else if (cp < 0x800) {
                                x->buf[o++] = (char)(0xc0 | cp >> 6);
                                x->buf[o++] = (char)(0x80 | (cp & 0x3f));
                        } else {
                                x->buf[o++] = (char)(0xe0 | cp >> 12);
                                x->buf[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
                                x->buf[o++] = (char)(0x80 | (cp & 0x3f));
                        }
                        break;
                }
                default:
                        return false;
                }
        }
        *ret_len = o;
        return true;
}

/* The session frame of a frame string as written. */
static bool
frame_of(struct plain *x, struct span raw, bool escaped, uint32_t *ret)
{
        size_t before = x->raw.n, len;
        uint32_t id = strtab_intern(&x->raw, raw.p, raw.len);

        if (x->raw.n == before) {
                *ret = x->raw_frame[id];
                return true;
        }
        xgrow(&x->raw_frame, &x->cap_raw_frame, id + 1, sizeof(*x->raw_frame));
        if (!escaped) {
                x->raw_frame[id] = session_frame(x->s, raw.p, raw.len);
        } else {
                if (!unescape(x, raw, &len)) {
                        /* never seen again: the whole load falls back */
                        return false;
                }
                x->raw_frame[id] = session_frame(x->s, x->buf, len);
        }
        *ret = x->raw_frame[id];
        return true;
}

/* A JSON number as cJSON reads it (strtod on at most 63 characters). */
static bool
number(struct plain *x, double *ret)
{
        const char *p = x->p, *start = p, *end = x->end;
        char tmp[64];

        skip_ws(x);
        p = start = x->p;
        if (p < end && *p == '-')
                p++;
        if (p >= end || *p < '0' || *p > '9')
                return false;
        if (*p == '0')
                p++;
        else
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
        if (p < end && *p == '.') {
                p++;
                if (p >= end || *p < '0' || *p > '9')
                        return false;
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
                p++;
                if (p < end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= end || *p < '0' || *p > '9')
                        return false;
                while (p < end && *p >= '0' && *p <= '9')
                        p++;
        }
        size_t len = (size_t)(p - start);
        x->p = p;
        /* weights repeat: the same text is the same value */
        if (len == x->prev_num.len && memcmp(start, x->prev_num.p, len) == 0) {
                *ret = x->prev_w;
                return true;
        }
        if (len >= sizeof(tmp))
                return false;
        memcpy(tmp, start, len);
        tmp[len] = '\0';
        *ret = strtod(tmp, NULL);
        x->prev_num = (struct span){ .p = start, .len = len };
        x->prev_w = *ret;
        return true;
}

/* Hand back the pages of a mapped file before the record that starts at @keep. */
static void
drop_behind(struct plain *x, const char *keep)
{
        long page = sysconf(_SC_PAGESIZE);
        uintptr_t upto = (uintptr_t)keep & ~(uintptr_t)(page - 1);

        if (!x->mapped || upto < (uintptr_t)x->dropped + DROP_EVERY)
                return;
        (void)madvise((void *)(uintptr_t)x->dropped, upto - (uintptr_t)x->dropped, MADV_DONTNEED);
        x->dropped = (const char *)upto;
}

static bool
records(struct plain *x)
{
        if (!eat(x, '['))
                return false;
        skip_ws(x);
        if (x->p < x->end && *x->p == ']') {
                x->p++;
                return true;
        }
        for (;;) {
                const char *record = x->p;
                uint32_t parent = SESSION_NO_STACK;
                bool same = true;
                size_t d = 0;
                double w;

                if (!eat(x, '[') || !eat(x, '['))
                        return false;
                skip_ws(x);
                if (x->p < x->end && *x->p == ']') {
                        x->p++;
                } else {
                        for (;; d++) {
                                struct span raw;
                                bool escaped = false;
                                uint32_t frame, st;

                                skip_ws(x);
                                /* the previous record's frame here, byte for byte: the same
                                 * valid string when a quote follows */
                                if (d < x->n_prev && x->p < x->end && *x->p == '"' &&
                                    (size_t)(x->end - x->p) > x->prev[d].len + 1 &&
                                    memcmp(x->p + 1, x->prev[d].p, x->prev[d].len) == 0 &&
                                    x->p[1 + x->prev[d].len] == '"') {
                                        raw = (struct span){ .p = x->p + 1, .len = x->prev[d].len };
                                        x->p += raw.len + 2;
                                        frame = x->prev_frame[d];
                                } else {
                                        if (!scan_string(x, &raw, &escaped) ||
                                            !frame_of(x, raw, escaped, &frame))
                                                return false;
                                }
                                if (same && d < x->n_prev && frame == x->prev_frame[d]) {
                                        st = x->prev_stack[d];
                                } else {
                                        same = false;
                                        st = session_stack(x->s, parent, frame);
                                }
                                xgrow(&x->prev, &x->cap_prev, d + 1, sizeof(*x->prev));
                                xgrow(&x->prev_frame, &x->cap_prev_frame, d + 1,
                                      sizeof(*x->prev_frame));
                                xgrow(&x->prev_stack, &x->cap_prev_stack, d + 1,
                                      sizeof(*x->prev_stack));
                                x->prev[d] = raw;
                                x->prev_frame[d] = frame;
                                x->prev_stack[d] = st;
                                parent = st;
                                if (eat(x, ']'))
                                        break;
                                if (!eat(x, ','))
                                        return false;
                        }
                        d++;
                }
                x->n_prev = d;
                if (!eat(x, ',') || !number(x, &w) || !eat(x, ']'))
                        return false;
                session_add_sample(x->s, parent, w);
                drop_behind(x, record);
                if (eat(x, ']'))
                        return true;
                if (!eat(x, ','))
                        return false;
        }
}

/* A member other than frame_records, as the cJSON path parses it: pyjson_prepare()d, then
 * cJSON. NULL when the text is not what that path would accept. */
static cJSON *
other_value(struct plain *x)
{
        const char *after;
        cJSON *v;

        skip_ws(x);
        v = cJSON_ParseWithLengthOpts(x->p, (size_t)(x->end - x->p), &after, false);
        if (!v)
                return NULL;
        cJSON_Delete(v);
        size_t n = (size_t)(after - x->p);
        if (memchr(x->p, '\0', n) || memchr(x->p, 0xc0, n))
                return NULL;
        _cleanup_free_ char *copy = xmalloc(n + 1);
        memcpy(copy, x->p, n);
        if (!pyjson_prepare(copy, n))
                return NULL;
        x->p = after;
        return cJSON_ParseWithLengthOpts(copy, strlen(copy), NULL, false);
}

static bool
document(struct plain *x, cJSON *doc)
{
        bool seen_records = false;

        if (!eat(x, '{'))
                return false;
        skip_ws(x);
        if (x->p < x->end && *x->p == '}')
                return false; /* no frame_records: the cJSON path says so */
        for (;;) {
                struct span key;
                bool escaped;

                skip_ws(x);
                if (!scan_string(x, &key, &escaped) || escaped || !eat(x, ':'))
                        return false;
                if (key.len == 13 && memcmp(key.p, "frame_records", 13) == 0) {
                        if (seen_records || !records(x))
                                return false;
                        seen_records = true;
                } else {
                        _cleanup_free_ char *name = xstrndup(key.p, key.len);
                        cJSON *value = other_value(x);
                        if (!value || memchr(key.p, '\0', key.len))
                                return false;
                        /* json.load() keeps the last of repeated keys */
                        if (cJSON_GetObjectItemCaseSensitive(doc, name))
                                cJSON_ReplaceItemInObjectCaseSensitive(doc, name, value);
                        else
                                cJSON_AddItemToObject(doc, name, value);
                }
                if (eat(x, '}'))
                        break;
                if (!eat(x, ','))
                        return false;
        }
        skip_ws(x);
        return seen_records && x->p == x->end;
}

int
session_load_plain(const char *buf, size_t len, bool mapped, struct session **ret)
{
        struct plain x = { .p = buf, .end = buf + len, .dropped = buf, .mapped = mapped };
        cJSON *doc = cJSON_CreateObject();
        char err[256];
        int r = -EOPNOTSUPP;

        x.s = session_new();
        strtab_init(&x.raw);
        /* the cJSON path reads the text up to its first NUL, and refuses C0 bytes anywhere:
         * the parser meets every byte but those of other members, which are checked there */
        if (document(&x, doc) && session_json_meta(x.s, doc, err, sizeof(err)) >= 0) {
                *ret = TAKE_PTR(x.s);
                r = 0;
        }
        cJSON_Delete(doc);
        session_free(x.s);
        strtab_release(&x.raw);
        free(x.raw_frame);
        free(x.buf);
        free(x.prev);
        free(x.prev_frame);
        free(x.prev_stack);
        return r;
}

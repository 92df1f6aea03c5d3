/* .pyisession files: pyinstrument's Session.to_json()/from_json() in C. Writing streams one
 * frame record at a time, compacted (see session_save()); reading is done in place by
 * session-plain.c when the file has the usual shape, else here through cJSON (the whole
 * document in memory once), which has the last word on what a file means. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/errmsg.h"
#include "common/xalloc.h"
#include "pyjson.h"
#include "tree.h"
#include "tree_internal.h"

static void
put_strv(FILE *out, char *const *v, size_t n)
{
        fputc('[', out);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputc(',', out);
                pyjson_put_string(out, v[i], strlen(v[i]), true);
        }
        fputc(']', out);
}

static void
put_float_key(FILE *out, const char *key, double x)
{
        char buf[PYJSON_FLOAT_MAX];

        fprintf(out, "\"%s\":%s,", key, pyjson_float(x, buf));
}

/* Frames repeat in every record: each is escaped once, then copied. */
struct escaped {
        char **text;
        size_t *len;
};

static void
put_frame(const struct session *s, struct escaped *e, uint32_t frame, FILE *out)
{
        if (!e->text[frame]) {
                const struct strtab_entry *f = &s->frames.v[frame];
                FILE *m = open_memstream(&e->text[frame], &e->len[frame]);
                pyjson_put_string(m, f->str, f->len, true);
                fclose(m);
        }
        fwrite(e->text[frame], 1, e->len[frame], out);
}

/* Identical consecutive samples of one thread (asleep, blocked in select() or accept(), held on
 * a lock: most samples of a server's threads) become one record of their summed weight, at the
 * place of the first: the thread's run of identical samples is one timeline node either way,
 * and the [self] node each sample adds is merged back by merge_consecutive_self_time, so
 * pyinstr's trees (built per thread) and pyinstrument's (but for its timeline of several
 * threads, which interleaves them as siblings: fewer of those) keep their nodes, order and
 * times (the sum is added to a node at once rather than sample by sample, which can differ in
 * the last bit). Other threads' samples in between do not break a run: pyinstr's log
 * interleaves threads round by round. Empty stacks (no thread) are kept as they are.
 * Fills @w with each record's weight and @skip for the samples merged into an earlier record. */
static void
merge_runs(const struct session *s, double *w, bool *skip)
{
        _cleanup_free_ uint32_t *root = session_stack_roots(s);
        _cleanup_free_ size_t *open = xmalloc((s->n_stacks + 1) * sizeof(*open));

        /* per thread root: the record its last sample went into */
        for (size_t i = 0; i <= s->n_stacks; i++)
                open[i] = SIZE_MAX;
        for (size_t i = 0; i < s->n_samples; i++) {
                uint32_t st = s->sample_stack[i];
                w[i] = s->sample_weight[i];
                skip[i] = false;
                if (st == SESSION_NO_STACK)
                        continue;
                size_t *o = &open[root[st]];
                if (*o != SIZE_MAX && s->sample_stack[*o] == st) {
                        w[*o] += w[i];
                        skip[i] = true;
                } else {
                        *o = i;
                }
        }
}

/* pyinstrument's Session.to_json() as json.dump() writes it (ASCII with \uXXXX escapes, repr
 * floats, no trailing newline), without the bulk the format does not need: no space after ","
 * and ":" (json.dump's default separators), and runs of identical samples merged (above), which
 * leaves sample_count the number of samples taken, as pyinstrument's banner shows it. Every
 * text report keeps a session for --load-prev, and a 3 s attach to a threaded server under load
 * wrote 6.0-6.5 MB; the same samples now take 48-53 % of that (the spaces were 1 %). */
static int
save(const struct session *s, bool merge, FILE *out)
{
        char buf[PYJSON_FLOAT_MAX];
        _cleanup_free_ uint32_t *path = NULL;
        _cleanup_free_ double *w = xmalloc((s->n_samples + 1) * sizeof(*w));
        _cleanup_free_ bool *skip = xmalloc((s->n_samples + 1) * sizeof(*skip));
        size_t cap = 0;
        double last_weight = NAN;
        bool first = true;
        struct escaped e = {
                .text = xcalloc(s->frames.n + 1, sizeof(char *)),
                .len = xcalloc(s->frames.n + 1, sizeof(size_t)),
        };

        if (merge)
                merge_runs(s, w, skip);
        else
                for (size_t i = 0; i < s->n_samples; i++) {
                        w[i] = s->sample_weight[i];
                        skip[i] = false;
                }
        fputc('{', out);
        put_float_key(out, "start_time", s->start_time);
        put_float_key(out, "duration", s->duration);
        put_float_key(out, "min_interval", s->min_interval);
        put_float_key(out, "max_interval", s->max_interval);
        fprintf(out, "\"sample_count\":%llu,", (unsigned long long)session_meta_sample_count(s));
        fputs("\"start_call_stack\":[", out);
        for (size_t i = 0; i < s->n_start_call_stack; i++) {
                if (i)
                        fputc(',', out);
                put_frame(s, &e, s->start_call_stack[i], out);
        }
        fputs("],\"target_description\":", out);
        pyjson_put_string(out, session_target_description(s), strlen(session_target_description(s)),
                          true);
        fputc(',', out);
        put_float_key(out, "cpu_time", s->cpu_time);
        fputs("\"sys_path\":", out);
        put_strv(out, s->sys_path, s->n_sys_path);
        fputs(",\"sys_prefixes\":", out);
        put_strv(out, s->sys_prefixes, s->n_sys_prefixes);
        fputs(",\"frame_records\":[", out);
        for (size_t i = 0; i < s->n_samples; i++) {
                size_t depth = 0;

                if (skip[i])
                        continue; /* merged into an earlier record */
                for (uint32_t st = s->sample_stack[i]; st != SESSION_NO_STACK;
                     st = s->stacks[st].parent) {
                        xgrow(&path, &cap, depth + 1, sizeof(*path));
                        path[depth++] = s->stacks[st].frame;
                }
                fputs(first ? "[[" : ",[[", out);
                first = false;
                for (size_t d = depth; d-- > 0;) {
                        put_frame(s, &e, path[d], out);
                        if (d)
                                fputc(',', out);
                }
                /* weights repeat (one interval): format only when it changes */
                if (!(w[i] == last_weight) || signbit(w[i]) != signbit(last_weight)) {
                        last_weight = w[i];
                        pyjson_float(last_weight, buf);
                }
                fprintf(out, "],%s]", buf);
        }
        fputs("]}", out);
        for (size_t i = 0; i < s->frames.n; i++)
                free(e.text[i]);
        free(e.text);
        free(e.len);
        return ferror(out) ? -EIO : 0;
}

int
session_save(const struct session *s, FILE *out)
{
        return save(s, true, out);
}

int
session_save_every_sample(const struct session *s, FILE *out)
{
        return save(s, false, out);
}

/* A string item of a parsed document, NULs restored; NULL if @item is not a string. */
static char *
item_string(const cJSON *item, size_t *ret_len)
{
        if (!cJSON_IsString(item) || !item->valuestring)
                return NULL;
        *ret_len = pyjson_restore_nuls(item->valuestring, strlen(item->valuestring));
        return item->valuestring;
}

static int
load_number(const cJSON *doc,
            const char *key,
            bool required,
            double dflt,
            double *ret,
            char *err,
            size_t errlen)
{
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, key);

        if (!item) {
                if (required) {
                        snprintf(err, errlen, "not a pyinstrument session: no \"%s\"", key);
                        return -EINVAL;
                }
                *ret = dflt;
                return 0;
        }
        if (cJSON_IsNull(item)) {
                /* pyinstrument reads a null cpu_time as 0 */
                *ret = dflt;
                return 0;
        }
        if (!cJSON_IsNumber(item))
                return errmsg(err, errlen, -EBADMSG, "\"%s\" is not a number", key);
        *ret = item->valuedouble;
        return 0;
}

static int
load_strv(struct session *s,
          const cJSON *doc,
          const char *key,
          void (*add)(struct session *, const char *),
          char *err,
          size_t errlen)
{
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, key), *it;
        size_t len;

        if (!arr)
                return 0; /* pyinstrument defaults to the loader's own; we have none */
        if (!cJSON_IsArray(arr))
                return errmsg(err, errlen, -EBADMSG, "\"%s\" is not a list", key);
        cJSON_ArrayForEach(it, arr)
        {
                const char *str = item_string(it, &len);
                if (!str)
                        return errmsg(err, errlen, -EBADMSG, "\"%s\" holds a non-string", key);
                add(s, str);
        }
        return 0;
}

/* One [stack, time] record. */
static int
load_record(struct session *s, const cJSON *rec, size_t n, char *err, size_t errlen)
{
        const cJSON *stack = cJSON_GetArrayItem(rec, 0), *w = cJSON_GetArrayItem(rec, 1), *info;
        uint32_t st = SESSION_NO_STACK;
        size_t len;

        if (!cJSON_IsArray(rec) || !cJSON_IsArray(stack) || !cJSON_IsNumber(w))
                return errmsg(err, errlen, -EBADMSG, "frame record %zu is not [stack, time]", n);
        cJSON_ArrayForEach(info, stack)
        {
                const char *str = item_string(info, &len);
                if (!str)
                        return errmsg(err, errlen, -EBADMSG,
                                      "frame record %zu holds a non-string frame", n);
                st = session_stack(s, st, session_frame(s, str, len));
        }
        session_add_sample(s, st, w->valuedouble);
        return 0;
}

/* cJSON_ParseWithOpts() would strlen() the rest of the text on every call: quadratic on a
 * long session. */
static cJSON *
parse_value(const char *p, const char *text_end, const char **ret_end)
{
        return cJSON_ParseWithLengthOpts(p, (size_t)(text_end - p), ret_end, false);
}

static const char *
skip_space(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* The frame_records list at @p, one record at a time: cJSON parses each record, and only one
 * is ever in memory (a whole-document tree of a long session takes gigabytes). *@end is set
 * past the list. */
static int
stream_records(struct session *s,
               const char *p,
               const char *text_end,
               const char **end,
               char *err,
               size_t errlen)
{
        size_t n = 0;

        p = skip_space(p);
        if (*p != '[')
                return errmsg(err, errlen, -EBADMSG, "\"frame_records\" is not a list");
        p = skip_space(p + 1);
        if (*p == ']') {
                *end = p + 1;
                return 0;
        }
        for (;; n++) {
                const char *after;
                cJSON *rec = parse_value(p, text_end, &after);
                int r;

                if (!rec)
                        return errmsg(err, errlen, -EBADMSG,
                                      "not a session file: frame record %zu is "
                                      "invalid or truncated",
                                      n);
                r = load_record(s, rec, n, err, errlen);
                cJSON_Delete(rec);
                if (r < 0)
                        return r;
                p = skip_space(after);
                if (*p == ']') {
                        *end = p + 1;
                        return 0;
                }
                if (*p != ',')
                        return errmsg(err, errlen, -EBADMSG,
                                      "not a session file: invalid or truncated "
                                      "JSON after frame record %zu",
                                      n);
                p++;
        }
}

/* The top-level object: every member but frame_records into @doc (cJSON parses each value),
 * frame_records streamed into @s. */
static int
parse_document(struct session *s, const char *p, cJSON *doc, char *err, size_t errlen)
{
        const char *text_end = p + strlen(p);
        bool records = false;

        p = skip_space(p);
        if (*p != '{')
                return errmsg(err, errlen, -EBADMSG,
                              "not a session file: the JSON is not an object");
        p = skip_space(p + 1);
        while (*p != '}') {
                const char *after;
                cJSON *key = parse_value(p, text_end, &after);
                int r = 0;

                if (!cJSON_IsString(key) || *(after = skip_space(after)) != ':') {
                        cJSON_Delete(key);
                        return errmsg(err, errlen, -EBADMSG,
                                      "not a session file: invalid or truncated JSON");
                }
                if (strcmp(key->valuestring, "frame_records") == 0) {
                        r = records ? errmsg(err, errlen, -EBADMSG, "two \"frame_records\" lists")
                                    : stream_records(s, after + 1, text_end, &after, err, errlen);
                        records = true;
                } else {
                        cJSON *value = parse_value(after + 1, text_end, &after);
                        if (!value)
                                r = errmsg(err, errlen, -EBADMSG,
                                           "not a session file: invalid or truncated JSON");
                        else if (cJSON_GetObjectItemCaseSensitive(doc, key->valuestring))
                                /* json.load() keeps the last of repeated keys */
                                cJSON_ReplaceItemInObjectCaseSensitive(doc, key->valuestring,
                                                                       value);
                        else
                                cJSON_AddItemToObject(doc, key->valuestring, value);
                }
                cJSON_Delete(key);
                if (r < 0)
                        return r;
                p = skip_space(after);
                if (*p == ',')
                        p = skip_space(p + 1);
                else if (*p != '}')
                        return errmsg(err, errlen, -EBADMSG,
                                      "not a session file: invalid or truncated JSON");
        }
        if (*skip_space(p + 1))
                return errmsg(err, errlen, -EBADMSG,
                              "not a session file: data after the JSON object");
        if (!records)
                return errmsg(err, errlen, -EBADMSG,
                              "not a pyinstrument session: no \"frame_records\"");
        return 0;
}

/* The members other than frame_records, parsed into @doc, into @s (whose records are in). */
int
session_json_meta(struct session *s, const cJSON *doc, char *err, size_t errlen)
{
        const cJSON *item, *it;
        double count;
        size_t slen;
        int r;

        r = load_number(doc, "start_time", true, 0, &s->start_time, err, errlen);
        if (r >= 0)
                r = load_number(doc, "duration", true, 0, &s->duration, err, errlen);
        if (r >= 0)
                r = load_number(doc, "min_interval", false, 0.001, &s->min_interval, err, errlen);
        if (r >= 0)
                r = load_number(doc, "max_interval", false, 0.001, &s->max_interval, err, errlen);
        if (r >= 0)
                r = load_number(doc, "sample_count", true, 0, &count, err, errlen);
        if (r >= 0)
                r = load_number(doc, "cpu_time", true, 0, &s->cpu_time, err, errlen);
        if (r >= 0)
                r = load_strv(s, doc, "sys_path", session_add_sys_path, err, errlen);
        if (r >= 0)
                r = load_strv(s, doc, "sys_prefixes", session_add_sys_prefix, err, errlen);
        if (r < 0)
                goto out;
        /* the file's figure, clamped: a double outside uint64_t's range does not convert
         * (0x1p64 is exact; UINT64_MAX as a double rounds up to it); NaN reads as 0 */
        session_set_sample_count(s, count >= 0x1p64 ? UINT64_MAX : count > 0 ? (uint64_t)count : 0);

        /* v4.0-4.6 files say "program"; pyinstrument 5 refuses them, we read them */
        item = cJSON_GetObjectItemCaseSensitive(doc, "target_description");
        if (!item)
                item = cJSON_GetObjectItemCaseSensitive(doc, "program");
        if (!item || !item_string(item, &slen)) {
                r = errmsg(err, errlen, -EBADMSG,
                           "not a pyinstrument session: no \"target_description\"");
                goto out;
        }
        session_set_target_description(s, item->valuestring);

        item = cJSON_GetObjectItemCaseSensitive(doc, "start_call_stack");
        if (!cJSON_IsArray(item)) {
                r = errmsg(err, errlen, -EBADMSG,
                           "not a pyinstrument session: no \"start_call_stack\" list");
                goto out;
        }
        cJSON_ArrayForEach(it, item)
        {
                const char *str = item_string(it, &slen);
                if (!str) {
                        r = errmsg(err, errlen, -EBADMSG,
                                   "\"start_call_stack\" holds a non-string");
                        goto out;
                }
                session_add_start_call_stack(s, str, slen);
        }
out:
        return r;
}

/* Load from @text (pyjson_prepare()d, NULL if that failed), which is freed as soon as cJSON
 * has its copy: a long session's text is a gigabyte. */
static int
load_prepared(char *text, struct session **ret, char *err, size_t errlen)
{
        _cleanup_(session_freep) struct session *s = NULL;
        int r;

        if (!text)
                return errmsg(err, errlen, -EBADMSG, "not a session file: it is not valid UTF-8");
        s = session_new();
        cJSON *doc = cJSON_CreateObject();
        r = parse_document(s, text, doc, err, errlen);
        free(text);
        if (r >= 0)
                r = session_json_meta(s, doc, err, errlen);
        cJSON_Delete(doc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

static bool plain_enabled = true;

void
session_load_set_plain(bool enabled)
{
        plain_enabled = enabled;
}

int
session_load_buffer(const char *buf, size_t len, struct session **ret, char *err, size_t errlen)
{
        if (plain_enabled && session_load_plain(buf, len, false, ret) == 0)
                return 0;
        char *copy = xmalloc(len + 1);

        memcpy(copy, buf, len);
        char *text = pyjson_prepare(copy, len);
        if (!text)
                free(copy);
        return load_prepared(text, ret, err, errlen);
}

int
session_load(const char *path, struct session **ret, char *err, size_t errlen)
{
        char *buf = NULL, *text;
        void *map = MAP_FAILED;
        struct stat st;
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;

        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        /* read in place when the file can be mapped (a pipe or an empty file cannot) */
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                len = (size_t)st.st_size;
                map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        }
        if (map != MAP_FAILED) {
                (void)madvise(map, len, MADV_SEQUENTIAL);
                if (plain_enabled && session_load_plain(map, len, true, ret) == 0) {
                        munmap(map, len);
                        close(fd);
                        return 0;
                }
                /* not the usual shape: the cJSON path, on a copy it can rewrite */
                buf = xmalloc(len + 1);
                memcpy(buf, map, len);
                buf[len] = '\0';
                munmap(map, len);
                close(fd);
                r = 0;
        } else {
                FILE *f = fdopen(fd, "re");
                if (!f) {
                        r = -errno;
                        close(fd);
                        snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
                        return r;
                }
                FILE *mem = open_memstream(&buf, &len);
                char chunk[65536];
                size_t n;
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        fwrite(chunk, 1, n, mem);
                r = ferror(f) ? -EIO : 0;
                fclose(f);
                fclose(mem);
        }
        if (r < 0) {
                free(buf);
                snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        /* both buffers keep a NUL after the data, the room pyjson_prepare() needs */
        text = pyjson_prepare(buf, len);
        if (!text)
                free(buf);
        r = load_prepared(text, ret, err, errlen);
        if (r < 0) {
                char msg[512];
                snprintf(msg, sizeof(msg), "%s", err);
                snprintf(err, errlen, "%s: %s", path, msg);
        }
        return r;
}

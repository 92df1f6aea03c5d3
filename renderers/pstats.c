/* -r pstats: pyinstrument's PstatsRenderer, a marshal-format dict that pstats.Stats loads:
 * (file, line, function) → (-1, -1, tottime, cumtime, {caller: (-1, -1, tt, ct)}). Written as
 * a plain marshal stream (no reference flags), which marshal.loads reads the same. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/strtab.h"
#include "common/u64map.h"
#include "common/xalloc.h"
#include "renderers.h"
#include "tree/pyjson.h"

/* PstatsRenderer's default_processors(): the console list without grouping */
static const char *const pstats_without[] = { "group_library_frames_processor", NULL };

struct caller {
        uint32_t key;
        double tt, ct;
};

struct entry {
        double tt, ct;
        struct caller *callers; /* in order of first call */
        size_t n_callers, cap_callers;
};

struct stats {
        struct frame_tree *t;
        struct strtab keys; /* "file\0line\0function" in order of first use */
        struct entry *entries;
        size_t cap_entries;
        struct u64map caller_index; /* key << 32 | caller key → index + 1 in callers */
};

static uint32_t
key_of(struct stats *st, struct frame *f)
{
        const struct frame_ident *fi = frame_ident(st->t, f);
        _cleanup_free_ char *key = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&key, &len);
        size_t before = strtab_count(&st->keys);
        uint32_t id;

        fprintf(m, "%s%c%ld%c%s", fi->file ? fi->file : "", 0, fi->line, 0, fi->function);
        fclose(m);
        id = strtab_intern(&st->keys, key, len);
        if (strtab_count(&st->keys) > before) {
                xgrow(&st->entries, &st->cap_entries, id + 1, sizeof(*st->entries));
                st->entries[id] = (struct entry){ 0 };
        }
        return id;
}

static void
account(struct stats *st, struct frame *f)
{
        uint32_t k = key_of(st, f);
        double self = frame_total_self_time(st->t, f);
        struct entry *e = &st->entries[k];
        uint64_t v;

        e->tt += self;
        e->ct += f->time;
        if (!f->parent)
                return;
        uint32_t pk = key_of(st, f->parent);
        e = &st->entries[k]; /* key_of() may have moved the array */
        uint64_t ck = ((uint64_t)k << 32 | pk) + 1;
        if (!u64map_get(&st->caller_index, ck, &v)) {
                xgrow(&e->callers, &e->cap_callers, e->n_callers + 1, sizeof(*e->callers));
                e->callers[e->n_callers] = (struct caller){ .key = pk };
                v = e->n_callers++;
                u64map_put(&st->caller_index, ck, v);
        }
        e->callers[v].tt += self;
        e->callers[v].ct += f->time;
}

static void
put_i32(FILE *out, int32_t x)
{
        uint32_t u = (uint32_t)x;
        for (int i = 0; i < 4; i++)
                fputc((int)(u >> (8 * i) & 0xff), out);
}

static void
put_float(FILE *out, double x)
{
        uint64_t u;

        memcpy(&u, &x, sizeof(u));
        fputc('g', out);
        for (int i = 0; i < 8; i++)
                fputc((int)(u >> (8 * i) & 0xff), out);
}

static void
put_int(FILE *out, int32_t x)
{
        fputc('i', out);
        put_i32(out, x);
}

/* marshal's str: UTF-8 with surrogatepass, so invalid bytes load back as surrogateescape */
static void
put_unicode(FILE *out, const char *s)
{
        size_t len;
        _cleanup_free_ char *u = pyjson_surrogatepass(s, strlen(s), &len);

        fputc('u', out);
        put_i32(out, (int32_t)len);
        fwrite(u, 1, len, out);
}

static void
put_key(FILE *out, const struct strtab *keys, uint32_t id)
{
        size_t len;
        const char *file = strtab_str(keys, id, &len), *line = file + strlen(file) + 1;
        const char *fn = line + strlen(line) + 1;

        fputc(')', out); /* small tuple */
        fputc(3, out);
        put_unicode(out, file);
        put_int(out, (int32_t)strtol(line, NULL, 10));
        put_unicode(out, fn);
}

static int
render_pstats(const struct session *s, const struct render_opts *o, FILE *out)
{
        _cleanup_(frame_tree_freep) struct frame_tree *t = NULL;
        _cleanup_free_ struct frame **roots = NULL;
        struct frame_stack walk = { 0 };
        struct frame *f;
        size_t n;
        int r = renderer_trees(s, &renderer_pstats, o, false, &t, &roots, &n);

        if (r < 0)
                return r;
        struct stats st = { .t = t };
        strtab_init(&st.keys);
        u64map_init(&st.caller_index);
        if (roots[0])
                frame_stack_push(&walk, roots[0]);
        /* pre-order over real frames: synthetic children show up as their parent's tottime */
        while ((f = frame_stack_pop(&walk))) {
                account(&st, f);
                for (uint32_t i = f->n_children; i-- > 0;)
                        if (!frame_is_synthetic(t, f->children[i]))
                                frame_stack_push(&walk, f->children[i]);
        }
        frame_stack_release(&walk);

        fputc('{', out);
        for (size_t i = 0; i < strtab_count(&st.keys); i++) {
                struct entry *e = &st.entries[i];
                put_key(out, &st.keys, (uint32_t)i);
                fputc(')', out);
                fputc(5, out);
                put_int(out, -1);
                put_int(out, -1);
                put_float(out, e->tt);
                put_float(out, e->ct);
                fputc('{', out);
                for (size_t c = 0; c < e->n_callers; c++) {
                        put_key(out, &st.keys, e->callers[c].key);
                        fputc(')', out);
                        fputc(4, out);
                        put_int(out, -1);
                        put_int(out, -1);
                        put_float(out, e->callers[c].tt);
                        put_float(out, e->callers[c].ct);
                }
                fputc('0', out);
                free(e->callers);
        }
        fputc('0', out);
        free(st.entries);
        strtab_release(&st.keys);
        u64map_release(&st.caller_index);
        return ferror(out) ? -EIO : 0;
}

static const char *const pstats_extensions[] = { ".pstats", NULL };
static const struct renderer_option *const pstats_options[] = { renderer_frame_options, NULL };

const struct renderer renderer_pstats = {
        .name = "pstats",
        .extensions = pstats_extensions,
        .options = pstats_options,
        .default_processors = renderer_console_processors,
        .without_processors = pstats_without,
        .binary = true,
        .render = render_pstats,
};

/* Test helper for check-offsets.py: print a struct py_offsets as "member value" lines, in the
 * format of `symbols/gen/gen-offsets.py probe`, so the two can be compared member by member.
 *   dump-offsets table VERSION   the compiled table for PY_VERSION_HEX VERSION (e.g. 0x030c0000)
 *   dump-offsets debug           symbols_debug_offsets() on hex bytes read from stdin
 *   dump-offsets size VERSION    symbols_debug_offsets_size() for PY_VERSION_HEX VERSION
 * It first checks that its member list tiles struct py_offsets, so a member added to
 * symbols/symbols.h without a line here makes the test fail. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/symbols.h"

enum kind { K_OFF, K_VERSION, K_BOOL, K_MODEL, K_LINES, K_MASK };

struct member {
        const char *name;
        size_t offset, size;
        enum kind kind;
};

#define MEMBER_NAME(m) #m
#define MEMBER_SIZE(m) sizeof(((struct py_offsets *)NULL)->m)
#define MEMBER(kind, m)                                                                            \
        {                                                                                          \
                MEMBER_NAME(m), offsetof(struct py_offsets, m), MEMBER_SIZE(m), kind               \
        }

static const struct member members[] = {
        MEMBER(K_VERSION, version),
        MEMBER(K_BOOL, free_threaded),
        MEMBER(K_MODEL, frame_model),
        MEMBER(K_LINES, linetable),
        MEMBER(K_MASK, stackref_mask),
        MEMBER(K_OFF, runtime.size),
        MEMBER(K_OFF, runtime.interpreters_head),
        MEMBER(K_OFF, interp.size),
        MEMBER(K_OFF, interp.next),
        MEMBER(K_OFF, interp.threads_head),
        MEMBER(K_OFF, interp.id),
        MEMBER(K_OFF, interp.modules),
        MEMBER(K_OFF, tstate.size),
        MEMBER(K_OFF, tstate.next),
        MEMBER(K_OFF, tstate.interp),
        MEMBER(K_OFF, tstate.frame),
        MEMBER(K_OFF, tstate.cframe),
        MEMBER(K_OFF, tstate.cframe_frame),
        MEMBER(K_OFF, tstate.thread_id),
        MEMBER(K_OFF, tstate.native_thread_id),
        MEMBER(K_OFF, tstate.base_frame),
        MEMBER(K_OFF, tstate.datastack_top),
        MEMBER(K_OFF, tstate.exc_info),
        MEMBER(K_OFF, frameobj.size),
        MEMBER(K_OFF, frameobj.back),
        MEMBER(K_OFF, frameobj.code),
        MEMBER(K_OFF, frameobj.lasti),
        MEMBER(K_OFF, frameobj.localsplus),
        MEMBER(K_OFF, frameobj.gen),
        MEMBER(K_OFF, frameobj.state),
        MEMBER(K_OFF, frameobj.state_executing),
        MEMBER(K_OFF, iframe.size),
        MEMBER(K_OFF, iframe.previous),
        MEMBER(K_OFF, iframe.code),
        MEMBER(K_OFF, iframe.instr),
        MEMBER(K_OFF, iframe.owner),
        MEMBER(K_OFF, iframe.localsplus),
        MEMBER(K_OFF, iframe.is_entry),
        MEMBER(K_OFF, iframe.owner_generator),
        MEMBER(K_OFF, iframe.owner_bottom),
        MEMBER(K_OFF, gen.iframe),
        MEMBER(K_OFF, gen.exc_state),
        MEMBER(K_OFF, code.size),
        MEMBER(K_OFF, code.argcount),
        MEMBER(K_OFF, code.firstlineno),
        MEMBER(K_OFF, code.filename),
        MEMBER(K_OFF, code.name),
        MEMBER(K_OFF, code.qualname),
        MEMBER(K_OFF, code.linetable),
        MEMBER(K_OFF, code.varnames),
        MEMBER(K_OFF, code.localsplusnames),
        MEMBER(K_OFF, code.code_adaptive),
        MEMBER(K_OFF, code.nlocalsplus),
        MEMBER(K_OFF, code.stacksize),
        MEMBER(K_OFF, object.ob_refcnt),
        MEMBER(K_OFF, object.ob_type),
        MEMBER(K_OFF, object.managed_dict),
        MEMBER(K_OFF, object.managed_values),
        MEMBER(K_OFF, object.managed_dict_tag),
        MEMBER(K_OFF, type.tp_name),
        MEMBER(K_OFF, type.tp_flags),
        MEMBER(K_OFF, type.tp_basicsize),
        MEMBER(K_OFF, type.tp_dictoffset),
        MEMBER(K_OFF, type.ht_cached_keys),
        MEMBER(K_OFF, type.tp_mro),
        MEMBER(K_OFF, type.tp_dict),
        MEMBER(K_OFF, type.flag_managed_dict),
        MEMBER(K_OFF, type.flag_inline_values),
        MEMBER(K_OFF, tuple.ob_size),
        MEMBER(K_OFF, tuple.ob_item),
        MEMBER(K_OFF, bytes.ob_size),
        MEMBER(K_OFF, bytes.ob_sval),
        MEMBER(K_OFF, unicode.length),
        MEMBER(K_OFF, unicode.state),
        MEMBER(K_OFF, unicode.ascii_size),
        MEMBER(K_OFF, unicode.compact_size),
        MEMBER(K_OFF, module.md_dict),
        MEMBER(K_OFF, dict.ma_keys),
        MEMBER(K_OFF, dict.ma_values),
        MEMBER(K_OFF, dict.dk_size),
        MEMBER(K_OFF, dict.dk_log2_size),
        MEMBER(K_OFF, dict.dk_log2_index_bytes),
        MEMBER(K_OFF, dict.dk_kind),
        MEMBER(K_OFF, dict.dk_nentries),
        MEMBER(K_OFF, dict.dk_indices),
        MEMBER(K_OFF, dict.entry_size),
        MEMBER(K_OFF, dict.unicode_entry_size),
        MEMBER(K_OFF, dict.values),
        MEMBER(K_OFF, dict.values_valid),
        MEMBER(K_OFF, pylong.ob_size),
        MEMBER(K_OFF, pylong.lv_tag),
        MEMBER(K_OFF, pylong.ob_digit),
        MEMBER(K_OFF, pylong.digit_bits),
};

/* Members in declaration order, each after the previous one with less padding between them
 * than its own size (scalars are aligned to at most their size), and no member left after
 * the last one. */
static int
check_members(void)
{
        size_t end = 0;

        for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
                const struct member *m = &members[i];

                if (m->offset < end || m->offset - end >= m->size)
                        return -EINVAL;
                if (m->kind == K_OFF && m->size != sizeof(uint32_t))
                        return -EINVAL;
                end = m->offset + m->size;
        }
        if (sizeof(struct py_offsets) - end >= _Alignof(struct py_offsets))
                return -EINVAL;
        return 0;
}

static const char *const models[] = {
        [PY_FRAMES_OBJECT] = "PY_FRAMES_OBJECT",
        [PY_FRAMES_INTERP] = "PY_FRAMES_INTERP",
};
static const char *const lines[] = {
        [PY_LINES_LNOTAB] = "PY_LINES_LNOTAB",
        [PY_LINES_310] = "PY_LINES_310",
        [PY_LINES_LOCATIONS] = "PY_LINES_LOCATIONS",
};

static const char *
enum_name(const char *const *names, size_t n, int e)
{
        return e >= 0 && (size_t)e < n && names[e] ? names[e] : "?";
}

static void
print_member(const struct py_offsets *o, const struct member *m)
{
        const uint8_t *p = (const uint8_t *)o + m->offset;
        uint32_t u32;
        uint64_t u64;
        bool b;
        int e;

        switch (m->kind) {
        case K_OFF:
                memcpy(&u32, p, sizeof(u32));
                if (u32 == OFF_NONE)
                        printf("%s OFF_NONE\n", m->name);
                else
                        printf("%s %" PRIu32 "\n", m->name, u32);
                break;
        case K_VERSION:
                memcpy(&u32, p, sizeof(u32));
                printf("%s 0x%" PRIx32 "\n", m->name, u32);
                break;
        case K_BOOL:
                memcpy(&b, p, sizeof(b));
                printf("%s %s\n", m->name, b ? "true" : "false");
                break;
        case K_MODEL:
                memcpy(&e, p, sizeof(e));
                printf("%s %s\n", m->name, enum_name(models, ARRAY_SIZE(models), e));
                break;
        case K_LINES:
                memcpy(&e, p, sizeof(e));
                printf("%s %s\n", m->name, enum_name(lines, ARRAY_SIZE(lines), e));
                break;
        case K_MASK:
                memcpy(&u64, p, sizeof(u64));
                printf("%s 0x%" PRIx64 "\n", m->name, u64);
                break;
        }
}

/* Hex digits from stdin, whitespace ignored. @return the byte count, or -EINVAL. */
static int
read_hex(uint8_t *buf, size_t cap)
{
        size_t n = 0;
        int c, hi = -1;

        while ((c = getchar()) != EOF) {
                int v;

                if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
                        continue;
                if (c >= '0' && c <= '9')
                        v = c - '0';
                else if (c >= 'a' && c <= 'f')
                        v = c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v = c - 'A' + 10;
                else
                        return -EINVAL;
                if (hi < 0) {
                        hi = v;
                        continue;
                }
                if (n == cap)
                        return -EINVAL;
                buf[n++] = (uint8_t)(hi << 4 | v);
                hi = -1;
        }
        return hi < 0 ? (int)n : -EINVAL;
}

int
main(int argc, char **argv)
{
        static uint8_t buf[65536];
        const struct py_offsets *t;
        struct py_offsets o;
        int r;

        if (check_members() < 0) {
                fprintf(stderr, "dump-offsets: members[] does not cover struct py_offsets\n");
                return 1;
        }
        if (argc == 3 && strcmp(argv[1], "table") == 0) {
                t = symbols_table_for((uint32_t)strtoul(argv[2], NULL, 0));
                if (!t) {
                        fprintf(stderr, "dump-offsets: no table for %s\n", argv[2]);
                        return 2;
                }
        } else if (argc == 3 && strcmp(argv[1], "size") == 0) {
                printf("%zu\n", symbols_debug_offsets_size((uint32_t)strtoul(argv[2], NULL, 0)));
                return 0;
        } else if (argc == 2 && strcmp(argv[1], "debug") == 0) {
                r = read_hex(buf, sizeof(buf));
                if (r < 0) {
                        fprintf(stderr, "dump-offsets: bad hex on stdin\n");
                        return 1;
                }
                r = symbols_debug_offsets(buf, (size_t)r, &o);
                if (r < 0) {
                        fprintf(stderr, "dump-offsets: symbols_debug_offsets: %s\n", strerror(-r));
                        return 1;
                }
                t = &o;
        } else {
                fprintf(stderr, "usage: dump-offsets table VERSION | debug <HEX | size VERSION\n");
                return 1;
        }
        for (size_t i = 0; i < ARRAY_SIZE(members); i++)
                print_member(t, &members[i]);
        return 0;
}

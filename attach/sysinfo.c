/* sys.path and sys's prefixes as the target has them, read from its main interpreter's sys
 * module: pyinstrument records exactly these inside the process, and tells library code from
 * application code by them (Debian's dist-packages, /usr/local, virtualenvs, .pth files: no
 * guess from outside gets them all right). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "internal.h"

/* sys.path entries kept at most (a real one has tens). */
#define MAX_SYS_PATH 4096
/* tp_flags bits (Include/object.h, 3.8–3.15) */
#define TPFLAGS_LIST_SUBCLASS (1ULL << 25)
#define TPFLAGS_UNICODE_SUBCLASS (1ULL << 28)

/* The main interpreter: the oldest, last in the runtime's list. */
static int
main_interpreter(struct target *t, uint64_t *ret)
{
        const struct py_offsets *o = &t->off;
        uint64_t interp, next;
        int r;

        r = rmem_read_ptr(t, t->loc.runtime + o->runtime.interpreters_head, &interp);
        if (r < 0)
                return r;
        for (int n = 0; interp && n < MAX_INTERPRETERS; n++) {
                r = rmem_read_ptr(t, interp + o->interp.next, &next);
                if (r < 0)
                        return r;
                if (!next) {
                        *ret = interp;
                        return 0;
                }
                interp = next;
        }
        return -EAGAIN;
}

static int
read_str(struct target *t, uint64_t addr, char **ret)
{
        struct pystr s = { 0 };
        int r = pystr_read(t->mem, &t->off, addr, &s);

        if (r < 0)
                return r;
        *ret = s.s;
        return 0;
}

/* The type of the object at @obj (*ret_type) and its tp_flags. */
static int
type_flags(struct target *t, uint64_t obj, uint64_t *ret_type, uint64_t *ret_flags)
{
        int r;

        if (!obj)
                return -EBADMSG;
        r = rmem_read_ptr(t, obj + t->off.object.ob_type, ret_type);
        if (r < 0)
                return r;
        if (!*ret_type)
                return -EBADMSG;
        return rmem_read(t->mem, *ret_type + t->off.type.tp_flags, 8, ret_flags);
}

/* The list at @list: PyListObject is PyObject_VAR_HEAD (ob_size where a tuple has it) and
 * then ob_item, a pointer to the items (Include/cpython/listobject.h, 3.8–3.15). Its str
 * items, in order. -ENOENT when it is not a list (the interpreter's finalization sets
 * sys.path to None). */
static int
read_str_list(struct target *t, uint64_t list, char ***ret, size_t *ret_n)
{
        const struct py_offsets *o = &t->off;
        uint64_t n, items, type, flags, str_type = 0;
        int r;

        r = type_flags(t, list, &type, &flags);
        if (r < 0)
                return r;
        if (!(flags & TPFLAGS_LIST_SUBCLASS))
                return -ENOENT;
        r = rmem_read(t->mem, list + o->tuple.ob_size, 8, &n);
        if (r < 0)
                return r;
        r = rmem_read_ptr(t, list + o->tuple.ob_size + 8, &items);
        if (r < 0)
                return r;
        if (n > MAX_SYS_PATH || (n && !items))
                return -EBADMSG;
        _cleanup_free_ uint64_t *ptrs = xcalloc(n ? n : 1, sizeof(*ptrs));
        if (n && (r = rmem_read(t->mem, items, n * 8, ptrs)) < 0)
                return r;
        char **v = xcalloc(n ? n : 1, sizeof(*v));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                /* not a str (a pathlib.Path someone put there): not a path */
                if (type_flags(t, ptrs[i], &type, &flags) < 0)
                        continue;
                if (type != str_type) {
                        if (!(flags & TPFLAGS_UNICODE_SUBCLASS))
                                continue;
                        str_type = type;
                }
                if (read_str(t, ptrs[i], &v[k]) == 0)
                        k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

void
target_sys_release(struct target_sys *s)
{
        for (size_t i = 0; i < s->n_path; i++)
                free(s->path[i]);
        free(s->path);
        for (size_t i = 0; i < ARRAY_SIZE(s->prefixes); i++)
                free(s->prefixes[i]);
        memset(s, 0, sizeof(*s));
}

int
target_sys_read(struct target *t, struct target_sys *ret)
{
        static const char *const prefix_names[] = { "prefix", "base_prefix", "exec_prefix",
                                                    "base_exec_prefix" };
        struct target_sys s = { 0 };
        struct dict_view d;
        uint64_t interp, list, v;
        int r;

        if (t->off.interp.modules == OFF_NONE || t->off.module.md_dict == OFF_NONE)
                return -ENOTSUP;
        r = main_interpreter(t, &interp);
        if (r < 0)
                return r;
        r = pymodule_dict(t, interp, "sys", &d);
        if (r < 0)
                return r;
        r = pydict_find_str(t, &d, "path", &list);
        if (r < 0)
                return r;
        r = read_str_list(t, list, &s.path, &s.n_path);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(prefix_names); i++) {
                r = pydict_find_str(t, &d, prefix_names[i], &v);
                if (r == 0)
                        r = read_str(t, v, &s.prefixes[i]);
                if (r < 0) {
                        target_sys_release(&s);
                        return r;
                }
        }
        target_sys_release(ret);
        *ret = s;
        return 0;
}

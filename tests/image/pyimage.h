#pragma once
/* A plausible CPython interpreter laid out in a byte image, for every offsets table (3.8–3.12
 * compiled, 3.13–3.15 from the real _Py_DebugOffsets of 3.13.0, 3.14.10 and 3.15.2): _PyRuntime,
 * an interpreter, two thread states and their frame chains (with the C-stack entry frame
 * ≥3.11), code objects, their type, str objects of every layout, line tables and local-name
 * tuples. The walker runs on it with no process (target_new_image()): the fuzzer mutates it,
 * the record/ tests walk it into a session.
 *
 * The main thread (tid = the image's pid, 0) runs <module> → work → Handler.handle (a method
 * whose self is an app.Handler); the second (tid 4242) runs work alone. Each has its own
 * struct pthread (≤3.10 learn the TID's offset in it from the main thread's). */

#include <stddef.h>
#include <stdint.h>

#include "attach/internal.h"

#define PYIMAGE_BASE 0x7f3a00000000ULL
#define PYIMAGE_MAX_OBJS 64
/* tables pyimage_table() knows: 3.8–3.12, then 3.13, 3.14, 3.15 */
#define PYIMAGE_TABLES 8

struct pyimage {
        const struct py_offsets *o;
        uint8_t *buf;
        size_t len, cap;
        size_t obj[PYIMAGE_MAX_OBJS]; /* where each object starts */
        size_t n_objs;
        uint64_t main_ident, other_ident; /* threading.get_ident() of the two threads */
};

/* The offsets table @i (< PYIMAGE_TABLES), and its version (PY_VERSION_HEX). */
const struct py_offsets *pyimage_table(unsigned i, uint32_t *ret_version);

/* Lay the interpreter out for @o into @l (its buffer malloc'd; pyimage_release() frees it). */
void pyimage_build(struct pyimage *l, const struct py_offsets *o);
void pyimage_release(struct pyimage *l);

static inline uint64_t
pyimage_addr(size_t off)
{
        return PYIMAGE_BASE + off;
}

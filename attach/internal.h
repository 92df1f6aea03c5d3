#pragma once
/* Private to attach/: pure decoders (tested and fuzzed on their own) and shared helpers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attach.h"

/* Bounds for untrusted remote data. */
#define MAX_STR_CHARS 16384     /* names and paths kept; longer ones are cut there, marked */
#define MAX_STR_SANE (1u << 24) /* a str longer than this is not a name: a torn read */
#define MAX_LINETABLE 1048576   /* bytes of a line table */
/* frames per thread; a deeper chain is dropped and counted (cycles are found apart, by
 * Brent's method: this is the bound of a real recursion, as sys.setrecursionlimit() allows) */
#define MAX_DEPTH 65536
#define MAX_THREADS 8192
#define MAX_INTERPRETERS 256
#define MAX_TUPLE 65536
#define MAX_CODE_BYTES (1 << 24) /* of a code object's bytecode */

/* Typed, bounds-checked field reads from a copied remote struct (alignment-safe). A field at
 * OFF_NONE or past @size reads as 0. */
static inline uint64_t
rd_u64(const void *buf, size_t size, uint32_t off)
{
        uint64_t v = 0;
        if (off != UINT32_MAX && (size_t)off + 8 <= size)
                memcpy(&v, (const char *)buf + off, 8);
        return v;
}

static inline uint32_t
rd_u32(const void *buf, size_t size, uint32_t off)
{
        uint32_t v = 0;
        if (off != UINT32_MAX && (size_t)off + 4 <= size)
                memcpy(&v, (const char *)buf + off, 4);
        return v;
}

static inline uint8_t
rd_u8(const void *buf, size_t size, uint32_t off)
{
        return off != UINT32_MAX && (size_t)off < size ? ((const uint8_t *)buf)[off] : 0;
}

/* Does the first word of a remote object, its reference count (at py_offsets.object.ob_refcnt),
 * say it is alive? A freed object's first word is the allocator's link to the next free block
 * (pymalloc's freelist, glibc's tcache/fastbin fd, mangled or not): NULL or a user-space
 * address, 2^32 <= v < 2^48. A live object's count is 1..2^32 - 1 in the low half (≥3.12
 * immortals: 3.12/3.13 0xffffffff, ≥3.14 3 << 30; Include/refcount.h, Include/object.h), the
 * high half 0 up to 3.13 and from 3.14 ob_overflow and ob_flags (flags in the top 16 bits). A
 * code object or name read through a stale frame is often a freed one. */
static inline bool
pyobj_alive(uint64_t refcnt)
{
        return (uint32_t)refcnt != 0 && !(refcnt >> 32 != 0 && refcnt >> 48 == 0);
}

/* Decode the line of byte offset @addrq in a code object whose first line is @firstlineno,
 * from its line table @tab (@format as in enum py_linetable). Returns the line, or -1 when
 * the table says "no line" or is malformed. Pure, bounded, safe on any input. */
int linetable_line(
        enum py_linetable format, const uint8_t *tab, size_t len, int firstlineno, int64_t addrq);

/* A remote str decoded to UTF-8. */
struct pystr {
        char *s; /* NUL-terminated, malloc'd */
        size_t len;
};

/* Decode the PyUnicode object at @addr (any layout: compact ASCII, compact latin-1/UCS-2/
 * UCS-4, legacy ≤3.11) into UTF-8. A freed object (pyobj_alive()) or a compact str whose
 * characters do not fit its kind (PEP 393: ASCII only below 0x80, latin-1 with one ≥ 0x80,
 * UCS-2 with one > 0xff, UCS-4 with one > 0xffff) is not a sane str: a torn or reused one.
 * @return 0; -EFAULT; -EBADMSG not a sane str. */
int pystr_read(struct rmem *m, const struct py_offsets *o, uint64_t addr, struct pystr *ret);

/* Pure part of pystr_read(): decode @n characters of @kind (1, 2, 4 bytes) at @data into
 * UTF-8 (invalid code points become U+FFFD). Returns a malloc'd, NUL-terminated string. */
char *pystr_to_utf8(const void *data, size_t n, unsigned kind, size_t *ret_len);

/* Read a bytes object (a line table) at @addr: @return 0 with *ret (malloc'd) and *ret_len. */
int pybytes_read(
        struct rmem *m, const struct py_offsets *o, uint64_t addr, uint8_t **ret, size_t *ret_len);

/* ---- the target's state, shared by target.c and walker.c ---- */

#include "common/u64map.h"

struct code_info {
        uint64_t addr;
        /* class_name: from co_qualname (≥3.11), else NULL; only used when self is a cell */
        char *function, *file, *class_name;
        int firstlineno;
        int self_kind; /* 1 first argument named self, 2 named cls, 0 neither */
        bool tbhide;   /* __tracebackhide__ is a local name */
        bool shim;     /* not a function: 3.13+ _Py_InitCleanup, reported by no profiler */
        uint8_t *linetable;
        size_t linetable_len;
        uint64_t fingerprint;  /* of the code object's header fields, to detect address reuse */
        uint32_t checked_walk; /* the walk in which the fingerprint was last confirmed */
        bool stale;            /* its address now holds another object */
        uint32_t last_class;   /* 1 + the types index of its self's last class, 0 none */
        uint32_t frame_words;  /* 3.11/3.12: of its frames on the data stack, 0 unknown */
        uint32_t code_units;   /* ≥3.11: of its bytecode (co_code_adaptive, Py_SIZE) */
};

/* ≥3.11: the bytecode of t->codes[idx] spans [start, end), for the code of a frame known by
 * its instruction pointer alone (walker.c, code_by_instr()) */
struct code_range {
        uint64_t start, end;
        uint32_t idx;
};

/* One interpreter and the head of its thread list. */
struct thread_list {
        uint64_t interp, tstate, next_interp;
        int64_t id; /* PyInterpreterState.id: 0 the main interpreter */
};

/* A stack walked in a subinterpreter this walk, held until the thread's stack in the main
 * interpreter is known (target_walk()): its frames are t->sub_frames[off, off + depth),
 * outermost first. */
struct sub_stack {
        struct thread_stack st;
        int64_t interp_id;
        uint32_t off;
        bool done; /* spliced into its thread's stack, or dropped with it */
};

/* A frame as read from the chain, before its code object is resolved. */
struct raw_frame {
        uint64_t addr; /* of the remote frame (PyFrameObject or _PyInterpreterFrame) */
        uint64_t code;
        int64_t addrq;     /* byte offset of the current instruction */
        uint64_t self_obj; /* the first local (for type(self)), 0 if unknown */
        uint32_t idx;      /* index into codes, UINT32_MAX until resolved */
        bool gen;          /* a generator's (or coroutine's) frame */
        /* returned after the sample's instant: ≤3.10 not executing, ≥3.14 f_executable NULL
         * (then addrq holds the raw instruction pointer until the code is known) */
        bool popped;
        bool entry; /* 3.11: called from C (is_entry) */
};

/* The previous complete walk of one thread, to resolve an unchanged outer part of its stack
 * without lookups (stacks mostly change at the top), and to restore the callers of a generator
 * that was suspended while its stack was read (walker.c, repair_from_memo()). */
struct thread_memo {
        uint64_t tstate;
        uint32_t n, cap;
        struct raw_frame *raw;
        uint32_t *ids;
        uint64_t bottom; /* the frame its chain ended at */
        /* a bottom frame deeper on the C stack than @bottom, and in how many walks in a row
         * chains ended at it (bottom_confirmed()) */
        uint64_t deeper_bottom;
        uint32_t deeper_walks, deeper_walk_no;
        /* the caller of each generator frame of recent complete walks, by frame address
         * (direct-mapped, MEMO_GEN_LINKS slots, allocated at the first generator seen) */
        struct gen_link *links;
};

#define MEMO_GEN_LINKS 64

/* A generator's frame and the frame that called it, as a complete walk saw them. */
struct gen_link {
        uint64_t addr, code;     /* the generator's frame, 0 for a free slot */
        struct raw_frame caller; /* its caller */
        uint32_t walk_no;        /* of the walk that saw it last */
};

struct frame_rec {
        char *info;
        size_t len;
        uint32_t code; /* index into codes */
        int line;
        char *class_name; /* as in info, NULL if none (owned) */
};

/* A class seen as some self's type. */
struct type_rec {
        char *name;    /* the bare tp_name */
        uint64_t addr; /* of the type object */
};

struct target {
        pid_t pid;
        pid_t ns_pid; /* the pid as the target sees itself (another PID namespace), else pid */
        struct u64map ns_tids; /* when ns_pid != pid: its TIDs → ours (0: none found) */
        struct rmem *mem;
        struct py_location loc;
        struct py_offsets off;
        uint32_t version;
        size_t tstate_len, iframe_len, code_len; /* bytes to copy per struct */
        size_t iframe_hdr_len;                   /* ≥3.11: iframe_len without localsplus[0] */

        /* caches, flushed periodically against address reuse */
        struct code_info *codes;
        size_t n_codes, cap_codes;
        struct u64map code_index;        /* code addr → index */
        struct u64map frame_index;       /* (code idx, addrq) [+ type] → frame id */
        struct u64map type_index;        /* type addr → index into types */
        struct u64map class_frame_index; /* (frame id + 1) << 32 | types index → frame id */
        struct u64map class_ok; /* (code idx + 1) << 32 | types index → its class is a base */
        /* the innermost live frames of recent walks, for frames popped before they were read:
         * hash of (frame addr, caller frame addr) → code addr, and code addr → the frame id
         * (with the class of its self) it last ran as */
        struct u64map slot_code;
        struct u64map slot_addrq; /* and its instruction, same key */
        struct u64map last_id;
        /* 3.12: an eval's entry frame addr → the frame it last ran on top of it */
        struct u64map entry_top;
        /* t->codes by bytecode address, sorted, made for the first n_ranged codes */
        struct code_range *ranges;
        size_t n_ranges, cap_ranges, n_ranged;
        struct type_rec *types;
        size_t n_types, cap_types;
        uint64_t walks_since_flush;

        /* the interpreter list and each one's thread list head, as last read (target_walk) */
        struct thread_list *lists;
        size_t n_lists, cap_lists;
        uint64_t lists_ns; /* CLOCK_MONOTONIC of that read */
        bool lists_ok;     /* and every walk since read them whole */

        /* frame ids handed out (never flushed: callers keep them) */
        struct frame_rec *frames;
        size_t n_frames, cap_frames;
        struct u64map info_index; /* hash of info → frame id (first of a collision chain) */

        struct thread_memo *memos;
        size_t n_memos, cap_memos;

        /* threading.Thread names by ident (threadname.c), and the threading module's _active
         * and _limbo dicts last found */
        struct thread_name *names;
        size_t n_names, cap_names;
        uint64_t tn_active, tn_limbo;

        /* ≤3.10: offset of the TID inside glibc's struct pthread, learned once; -1 unknown */
        int pthread_tid_off;
        int pthread_tid_tries; /* learn_pthread_tid() gives up after a few */

        /* per-walk scratch */
        uint32_t walk_no;
        struct raw_frame *raw;   /* MAX_DEPTH */
        uint8_t *fp_buf;         /* code_len bytes */
        uint32_t *stack_buf;     /* MAX_DEPTH */
        enum walk_torn torn_why; /* why the current thread walk was torn (torn()) */
        struct sub_stack *subs;
        size_t n_subs, cap_subs;
        uint32_t *sub_frames;
        size_t n_sub_frames, cap_sub_frames;
        uint32_t *splice_buf; /* MAX_DEPTH: a thread's stacks in all its interpreters */
        struct walk_stats stats;

        /* blocking mode */
        pid_t *seized;
        size_t n_seized, cap_seized;
        pid_t *stopped;
        size_t n_stopped, cap_stopped;
        bool job_stopped; /* job control stopped it (kill -STOP): let go until it runs again */
};

/* threadname.c */
void threadname_release(struct target *t);

/* ---- dicts and modules of the target (pydict.c) ---------------------------------------- */

/* The entries of one dict's keys object, and where its values are when they are kept apart
 * (a split dict, or an object's inline or managed values). */
struct dict_view {
        uint64_t entries;
        uint64_t values; /* the values[] array, 0 for a combined dict */
        uint64_t n;      /* entries in use (some may be deleted: key NULL) */
        uint32_t esize;  /* bytes per entry; every kind ends with key, value */
};

/* The pointer at remote @addr. */
int rmem_read_ptr(struct target *t, uint64_t addr, uint64_t *ret);
/* The dict at @dict; the keys object at @keys with @values (0 for none: combined) apart. */
int pydict_view(struct target *t, uint64_t dict, struct dict_view *ret);
int pydict_keys_view(struct target *t, uint64_t keys, uint64_t values, struct dict_view *ret);
/* Entry @i's key and value (0 when deleted or unset). */
int pydict_entry(struct target *t,
                 const struct dict_view *d,
                 uint64_t i,
                 uint64_t *ret_key,
                 uint64_t *ret_value);
/* The value of the str key @want in @d. @return 0; -ENOENT no such key; -errno. */
int pydict_find_str(struct target *t, const struct dict_view *d, const char *want, uint64_t *ret);
/* The __dict__ of sys.modules[@name] in interpreter @interp. */
int pymodule_dict(struct target *t, uint64_t interp, const char *name, struct dict_view *ret);

/* walker.c */
void walker_flush_caches(struct target *t);
void walker_release(struct target *t);

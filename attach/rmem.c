/* Remote memory: process_vm_readv (one syscall, no stop) with a /proc/PID/mem fallback, an
 * image backend for tests, and a per-walk cache of pieces with prefetch.
 * A syscall costs far more than the bytes it copies (peers.md §6.1), so a walk's reads go
 * through a cache of pieces (exact structs, or pages for frames and code objects) that lives
 * for one walk, and the next walk starts by reading, in ONE process_vm_readv, every piece the
 * previous walk used. In that prefetch each iovec costs the kernel a VMA lookup and a page pin
 * (about 0.3 us here, bench/readv-floor), so pieces that touch or lie close within one page
 * share an iovec, and of a page only the bytes the last walk used are read, with some slack.
 * When the stacks have not moved much, a whole sample of every thread is a single syscall;
 * whatever is new is read on demand and prefetched the time after.
 * The kernel copies the iovecs one after the other while the target runs, so their order is
 * the order of the instants each piece is read at: the pieces go in the order the last walk
 * first used them (the thread state, then where its stack starts, then the frames innermost
 * first). In address order, the thread state (heap) was copied first and the _PyCFrame that
 * says which frame runs (3.11/3.12, on the C stack, the highest addresses) last, with the
 * frames in between: a short call that returned meanwhile was given to its caller. json's
 * floatstr on a quiet machine (its share of the samples against --blocking's): 3.11 21 % of
 * 44 %, 29 % now; 3.12 35 % of 49 %, 41 % now; 3.14, whose frame pointer is in the thread
 * state, 28 % of 43 % either way. A loaded machine hides most of the gap. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attach.h"
#include "common/u64map.h"
#include "common/xalloc.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE_ (1u << PAGE_SHIFT)
#define PIECE_SLOTS 8192 /* open-addressing table of this walk's pieces (power of two) */
#define MAX_PIECES 2048  /* pieces remembered for the next walk's prefetch */
#define IOV_BATCH 1024

#define NO_WANT UINT32_MAX
#define MERGE_GAP 2048 /* bytes of a page read rather than start another iovec */
/* Bytes of a page prefetched around those the last walk used. A generator's frame lies in
 * its generator object, and pymalloc gives the next generator of a size the block the last
 * one freed, or one next to it in the same pool: json's encoders, a generator per list or
 * dict, alternate between two blocks 992 bytes apart. Prefetched, such a frame is read at
 * the thread state's instant; read on its own, microseconds later, the generator has often
 * yielded or been freed, and the walk is torn and read afresh after the short call it was
 * in. json.tool on 3.14 (4 runs each, the share of its walks read afresh; floatstr's share
 * of the samples): 128/512 bytes 18 %, 13.0 %; 1024/1024 bytes 13.5 %, 12.7 %, and with
 * frame_still() taking a freed generator's frame 4.8 %, 14.0 % (--blocking 17.7 %; perf
 * 16.0 % in one run). A round costs the same (cpu_deep.py: 55-62 us either way). */
#define SLACK_BELOW 1024
#define SLACK_ABOVE 1024

struct piece {
        uint64_t key;    /* addr * 2 + is_page */
        uint32_t gen;    /* valid in the walk with this number */
        uint32_t len;    /* of the piece: an exact struct, or PAGE_SIZE_ */
        uint32_t lo, hi; /* the bytes of it held (a prefetched page: around those used) */
        size_t off;      /* of byte lo, in rmem.arena */
        int err;
        bool used;               /* already remembered for the next walk's prefetch */
        uint32_t want;           /* its entry in rmem.used, NO_WANT if none */
        uint32_t ext_lo, ext_hi; /* the bytes of it used in this walk */
};

/* A piece the walk used, and the bytes [lo, hi) of it that it used (from its slot's extent
 * when the walk ends). */
struct want {
        uint64_t addr;
        uint32_t len;
        bool page;
        bool whole; /* a page read whole (rmem_mark_whole()) */
        uint32_t slot;
        uint32_t lo, hi;
};

/* The bytes of the want of the same index in the prefetch, and the iovec (range) they are
 * read by. */
struct span {
        uint64_t a, b;
        uint32_t range;
};

struct rmem {
        pid_t pid;
        int memfd;      /* /proc/PID/mem, opened on first need */
        bool use_memfd; /* process_vm_readv is unavailable */
        const unsigned char *image;
        size_t image_len;
        uint64_t image_base;
        uint64_t syscalls;
        uint32_t gen;
        struct piece *pieces; /* PIECE_SLOTS */
        unsigned char *arena; /* this walk's piece data */
        size_t arena_len, arena_cap;
        struct want *used; /* pieces used in this walk, for the next prefetch */
        size_t n_used, cap_used;
        struct want *prefetch; /* last walk's, being read */
        size_t n_prefetch, cap_prefetch;
        struct piece *last_page; /* the page piece read last: frames come in runs */
        struct rmem_iov *iov;    /* scratch for the prefetch and a readv's misses, kept across */
        size_t *miss;            /* walks so that sampling does not allocate */
        struct span *spans;
        size_t cap_iov, cap_miss, cap_spans;
};

struct rmem *
rmem_new(pid_t pid)
{
        struct rmem *m = xcalloc(1, sizeof(*m));
        m->pid = pid;
        m->memfd = -1;
        m->gen = 1;
        return m;
}

struct rmem *
rmem_new_image(const void *image, size_t len, uint64_t base)
{
        struct rmem *m = rmem_new(0);
        m->image = image;
        m->image_len = len;
        m->image_base = base;
        return m;
}

struct rmem *
rmem_free(struct rmem *m)
{
        if (!m)
                return NULL;
        if (m->memfd >= 0)
                (void)close(m->memfd);
        free(m->pieces);
        free(m->arena);
        free(m->used);
        free(m->prefetch);
        free(m->iov);
        free(m->miss);
        free(m->spans);
        free(m);
        return NULL;
}

uint64_t
rmem_syscalls(const struct rmem *m)
{
        return m->syscalls;
}

static int
map_errno(int e)
{
        switch (e) {
        case ESRCH:
        case ENOENT:
                return -ESRCH;
        case EPERM:
        case EACCES:
                return -EPERM;
        default:
                return -EFAULT;
        }
}

static int
read_memfd(struct rmem *m, uint64_t addr, size_t len, void *buf)
{
        if (m->memfd < 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/mem", (int)m->pid);
                m->memfd = open(path, O_RDONLY | O_CLOEXEC);
                if (m->memfd < 0)
                        return map_errno(errno);
        }
        m->syscalls++;
        ssize_t n = pread(m->memfd, buf, len, (off_t)addr);
        if (n < 0)
                return map_errno(errno);
        return (size_t)n == len ? 0 : -EFAULT;
}

int
rmem_read(struct rmem *m, uint64_t addr, size_t len, void *buf)
{
        if (len == 0)
                return 0;
        if (addr + len < addr)
                return -EFAULT;
        if (m->image) {
                if (addr < m->image_base || addr - m->image_base > m->image_len ||
                    len > m->image_len - (addr - m->image_base))
                        return -EFAULT;
                memcpy(buf, m->image + (addr - m->image_base), len);
                return 0;
        }
        if (m->use_memfd)
                return read_memfd(m, addr, len, buf);

        struct iovec local = { .iov_base = buf, .iov_len = len };
        struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
        m->syscalls++;
        ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
        if (n < 0) {
                if (errno == ENOSYS) {
                        m->use_memfd = true;
                        return read_memfd(m, addr, len, buf);
                }
                return map_errno(errno);
        }
        return (size_t)n == len ? 0 : -EFAULT;
}

/* Scattered read. The kernel stops at the first piece that faults; the pieces before it are
 * whole. With @exact the faulting piece is re-read alone (to tell a fault from a short read);
 * without, it is just marked -EFAULT (prefetch: a stale guess costs nothing more). */
static int
readv_core(struct rmem *m, struct rmem_iov *v, size_t n, bool exact)
{
        int first = 0;
        size_t i = 0;

        while (i < n) {
                size_t k = MIN(n - i, (size_t)IOV_BATCH), got_pieces = 0;
                ssize_t got = -1;

                if (!m->image && !m->use_memfd) {
                        struct iovec local[IOV_BATCH], remote[IOV_BATCH];
                        for (size_t j = 0; j < k; j++) {
                                local[j] = (struct iovec){ v[i + j].buf, v[i + j].len };
                                remote[j] = (struct iovec){ (void *)(uintptr_t)v[i + j].addr,
                                                            v[i + j].len };
                        }
                        m->syscalls++;
                        got = process_vm_readv(m->pid, local, k, remote, k, 0);
                        if (got < 0 && (errno == ESRCH || errno == EPERM))
                                return map_errno(errno);
                }
                for (size_t j = 0; j < k && got >= 0 && (size_t)got >= v[i + j].len; j++) {
                        got -= (ssize_t)v[i + j].len;
                        v[i + j].err = 0;
                        got_pieces++;
                }
                if (got_pieces == k) {
                        i += k;
                        continue;
                }
                struct rmem_iov *p = &v[i + got_pieces];
                p->err = exact || m->image || m->use_memfd ? rmem_read(m, p->addr, p->len, p->buf)
                                                           : -EFAULT;
                if (p->err == -ESRCH || p->err == -EPERM)
                        return p->err;
                if (p->err && !first)
                        first = p->err;
                i += got_pieces + 1;
        }
        return first;
}

int
rmem_readv(struct rmem *m, struct rmem_iov *v, size_t n)
{
        return readv_core(m, v, n, true);
}

/* ---- the per-walk piece cache ------------------------------------------------------------- */

static struct piece *
piece_slot(struct rmem *m, uint64_t key)
{
        if (!m->pieces)
                m->pieces = xcalloc(PIECE_SLOTS, sizeof(*m->pieces));
        size_t i = u64_hash(key) & (PIECE_SLOTS - 1);
        for (size_t n = 0; n < PIECE_SLOTS; i = (i + 1) & (PIECE_SLOTS - 1), n++) {
                struct piece *p = &m->pieces[i];
                if (p->gen != m->gen || p->key == key)
                        return p;
        }
        return NULL; /* full: the caller reads uncached */
}

static bool
piece_valid(const struct rmem *m, const struct piece *p, uint64_t key)
{
        return p && p->gen == m->gen && p->key == key;
}

/* Does the piece hold bytes [off, off + n) of its range? */
static bool
piece_holds(const struct piece *p, size_t off, size_t n)
{
        return p->err || (off >= p->lo && off + n <= p->hi);
}

/* Keep a piece (in slot @slot) in the next walk's prefetch; @return the want's index. */
static uint32_t
remember(struct rmem *m, uint64_t addr, uint32_t len, bool page, uint32_t slot)
{
        if (m->n_used >= MAX_PIECES)
                return NO_WANT;
        xgrow(&m->used, &m->cap_used, m->n_used + 1, sizeof(*m->used));
        m->used[m->n_used] = (struct want){ addr, len, page, false, slot, 0, 0 };
        return (uint32_t)m->n_used++;
}

/* Bytes [off, off + n) of piece @p are used in this walk: widen what the next walk reads.
 * Inline and on the piece itself (rmem_cache_reset() collects the extents): it runs per frame. */
static inline void
touch(struct rmem *m, struct piece *p, uint64_t addr, bool page, size_t off, size_t n)
{
        if (!p->used) {
                p->used = true;
                p->ext_lo = (uint32_t)off;
                p->ext_hi = (uint32_t)(off + n);
                p->want = remember(m, addr, p->len, page, (uint32_t)(p - m->pieces));
                return;
        }
        p->ext_lo = MIN(p->ext_lo, (uint32_t)off);
        p->ext_hi = MAX(p->ext_hi, (uint32_t)(off + n));
}

/* Install a piece read whole (@err: it could not be); *ret its slot, used in this walk. */
static struct piece *
install(struct rmem *m, uint64_t key, uint32_t len, const void *data, int err)
{
        struct piece *p = piece_slot(m, key);
        bool was_used = piece_valid(m, p, key) && p->used;
        uint32_t want = was_used ? p->want : NO_WANT;
        uint32_t ext_lo = was_used ? p->ext_lo : 0, ext_hi = was_used ? p->ext_hi : 0;

        if (!p)
                return NULL;
        xgrow(&m->arena, &m->arena_cap, m->arena_len + len, 1);
        *p = (struct piece){ .key = key,
                             .gen = m->gen,
                             .len = len,
                             .lo = 0,
                             .hi = len,
                             .off = m->arena_len,
                             .err = err,
                             .used = was_used,
                             .want = want,
                             .ext_lo = ext_lo,
                             .ext_hi = ext_hi };
        if (!err)
                memcpy(m->arena + m->arena_len, data, len);
        m->arena_len += len;
        return p;
}

/* Read @addr/@len as a piece of this walk (a page when @page), from the cache or the target;
 * [off, off + n) of it is what the caller uses. */
static int
piece_read(struct rmem *m, uint64_t addr, uint32_t len, bool page, size_t off, size_t n, void *buf)
{
        uint64_t key = addr * 2 + page;
        struct piece *p = piece_slot(m, key);
        int r;

        if (piece_valid(m, p, key) && p->len >= len && piece_holds(p, 0, len)) {
                touch(m, p, addr, page, off, n);
                if (p->err)
                        return p->err;
                memcpy(buf, m->arena + p->off, len);
                return 0;
        }
        r = rmem_read(m, addr, len, buf);
        if (r == -ESRCH || r == -EPERM)
                return r;
        p = install(m, key, len, buf, r);
        /* a piece that faulted (a torn pointer) is not prefetched: the kernel stops a readv at
         * it, and the pieces after it would be read by a second syscall, at another instant */
        if (p && !r)
                touch(m, p, addr, page, off, n);
        return r;
}

/* May [a, b) share the iovec reading [lo, hi)? When they overlap, or a short gap separates
 * them that lies in their own pages (the same page, or two adjacent ones), which the last
 * walk read: a page between might be unmapped. */
static bool
near(uint64_t lo, uint64_t hi, uint64_t a, uint64_t b)
{
        if (a <= hi && b >= lo)
                return true;
        if (a > hi)
                return a - hi <= MERGE_GAP && (a >> PAGE_SHIFT) - ((hi - 1) >> PAGE_SHIFT) <= 1;
        return lo - b <= MERGE_GAP && (lo >> PAGE_SHIFT) - ((b - 1) >> PAGE_SHIFT) <= 1;
}

void
rmem_cache_reset(struct rmem *m)
{
        struct want *w;
        size_t n, cap, n_ranges = 0;
        int r;

        /* the extents the walk used, from the pieces, before they are forgotten */
        for (size_t i = 0; i < m->n_used; i++) {
                if (!m->used[i].page)
                        continue; /* exact pieces are read whole */
                const struct piece *p = &m->pieces[m->used[i].slot];
                m->used[i].lo = p->ext_lo;
                m->used[i].hi = p->ext_hi;
        }
        /* a new walk: forget the pieces, then read what the last walk used, all at once */
        if (++m->gen == 0) {
                memset(m->pieces, 0, m->pieces ? PIECE_SLOTS * sizeof(*m->pieces) : 0);
                m->gen = 1;
        }
        m->arena_len = 0;
        m->last_page = NULL;
        w = m->used;
        n = m->n_used;
        cap = m->cap_used;
        m->used = m->prefetch;
        m->cap_used = m->cap_prefetch;
        m->prefetch = w;
        m->cap_prefetch = cap;
        m->n_prefetch = n;
        m->n_used = 0;
        if (!n || m->image)
                return;

        /* What each piece needs: a page only around the bytes the last walk used (a frame
         * chunk is a few hundred bytes of a page; copying the rest, which the target is busy
         * writing, showed as 17 % of a sample in the kernel's _copy_to_iter), with slack
         * above for a stack that grows a little, in 64-byte lines. */
        xgrow(&m->spans, &m->cap_spans, n, sizeof(*m->spans));
        for (size_t i = 0; i < n; i++) {
                uint64_t a = w[i].addr, b = w[i].addr + w[i].len;
                if (w[i].page && !w[i].whole) {
                        uint32_t lo = w[i].lo > SLACK_BELOW ? w[i].lo - SLACK_BELOW : 0;
                        uint32_t hi = MIN(w[i].hi + SLACK_ABOVE, w[i].len);
                        a = w[i].addr + (lo & ~(uint32_t)63);
                        b = w[i].addr + MIN((hi + 63) & ~(uint32_t)63, w[i].len);
                }
                m->spans[i] = (struct span){ a, b, 0 };
        }

        /* One iovec per run of consecutive pieces that are near() each other: the kernel
         * charges each iovec a VMA lookup and a page pin (0.3-0.4 us here, bench/readv-floor),
         * far more than copying a few hundred bytes more. */
        xgrow(&m->iov, &m->cap_iov, n, sizeof(*m->iov));
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
                struct span *s = &m->spans[i];
                struct rmem_iov *cur = n_ranges ? &m->iov[n_ranges - 1] : NULL;
                uint64_t end = cur ? cur->addr + cur->len : 0;
                if (cur && near(cur->addr, end, s->a, s->b)) {
                        uint64_t lo = MIN(cur->addr, s->a), hi = MAX(end, s->b);
                        total += (hi - lo) - cur->len;
                        cur->addr = lo;
                        cur->len = hi - lo;
                } else {
                        m->iov[n_ranges++] = (struct rmem_iov){ .addr = s->a, .len = s->b - s->a };
                        total += s->b - s->a;
                }
                s->range = (uint32_t)(n_ranges - 1);
        }
        xgrow(&m->arena, &m->arena_cap, total, 1);
        size_t off = 0;
        for (size_t i = 0; i < n_ranges; i++) {
                m->iov[i].buf = m->arena + off;
                off += m->iov[i].len;
        }
        /* prefetch only what reads whole: a faulting range is simply not installed */
        r = readv_core(m, m->iov, n_ranges, false);
        if (r == -ESRCH || r == -EPERM)
                return;
        for (size_t i = 0; i < n; i++) {
                const struct span *s = &m->spans[i];
                const struct rmem_iov *v = &m->iov[s->range];
                const struct want *x = &w[i];
                uint64_t key = x->addr * 2 + x->page;
                struct piece *p;
                if (v->err)
                        continue;
                p = piece_slot(m, key);
                if (!p)
                        break;
                *p = (struct piece){
                        .key = key,
                        .gen = m->gen,
                        .len = x->len,
                        .lo = (uint32_t)(s->a - x->addr),
                        .hi = (uint32_t)(s->b - x->addr),
                        .off = (size_t)((unsigned char *)v->buf - m->arena) + (s->a - v->addr),
                        .want = NO_WANT,
                };
        }
        m->arena_len = total;
}

void
rmem_mark_whole(struct rmem *m, uint64_t addr)
{
        uint64_t key = (addr & ~(uint64_t)(PAGE_SIZE_ - 1)) * 2 + 1;
        struct piece *p = piece_slot(m, key);

        if (piece_valid(m, p, key) && p->want != NO_WANT)
                m->used[p->want].whole = true;
}

void
rmem_prefetch_add(struct rmem *m, uint64_t addr, size_t len)
{
        if (len && len <= PAGE_SIZE_ && !m->image)
                (void)remember(m, addr, (uint32_t)len, false, 0);
}

int
rmem_read_piece(struct rmem *m, uint64_t addr, size_t len, void *buf)
{
        if (addr + len < addr)
                return -EFAULT;
        if (len > PAGE_SIZE_)
                return rmem_read(m, addr, len, buf);
        return piece_read(m, addr, (uint32_t)len, false, 0, len, buf);
}

int
rmem_read_cached(struct rmem *m, uint64_t addr, size_t len, void *buf)
{
        unsigned char *out = buf;
        unsigned char page[PAGE_SIZE_];

        if (addr + len < addr)
                return -EFAULT;
        /* large reads gain nothing from the cache */
        if (len > 2 * PAGE_SIZE_)
                return rmem_read(m, addr, len, buf);
        while (len) {
                uint64_t base = addr & ~(uint64_t)(PAGE_SIZE_ - 1);
                size_t off = addr - base, n = MIN(len, PAGE_SIZE_ - off);
                uint64_t key = base * 2 + 1;
                struct piece *p = m->last_page;
                if (!piece_valid(m, p, key))
                        p = piece_slot(m, key);
                if (piece_valid(m, p, key) && piece_holds(p, off, n)) {
                        m->last_page = p;
                        touch(m, p, base, true, off, n);
                        if (p->err)
                                return p->err;
                        memcpy(out, m->arena + p->off + (off - p->lo), n);
                } else {
                        /* not cached, or prefetched around other bytes: the whole page */
                        int r = piece_read(m, base, PAGE_SIZE_, true, off, n, page);
                        if (r < 0)
                                return r;
                        memcpy(out, page + off, n);
                }
                out += n;
                addr += n;
                len -= n;
        }
        return 0;
}

int
rmem_peek_cached(struct rmem *m, uint64_t addr, size_t len, void *scratch, const void **ret)
{
        uint64_t base = addr & ~(uint64_t)(PAGE_SIZE_ - 1);
        size_t off = addr - base;
        uint64_t key = base * 2 + 1;
        struct piece *p = m->last_page;

        *ret = scratch;
        if (off + len > PAGE_SIZE_ || addr + len < addr)
                return rmem_read_cached(m, addr, len, scratch);
        if (!piece_valid(m, p, key))
                p = piece_slot(m, key);
        if (!piece_valid(m, p, key) || p->err || !piece_holds(p, off, len))
                return rmem_read_cached(m, addr, len, scratch);
        m->last_page = p;
        touch(m, p, base, true, off, len);
        *ret = m->arena + p->off + (off - p->lo);
        return 0;
}

int
rmem_readv_cached(struct rmem *m, struct rmem_iov *v, size_t n)
{
        size_t n_miss = 0, *miss;
        int first = 0;

        xgrow(&m->miss, &m->cap_miss, n, sizeof(*m->miss));
        miss = m->miss;

        for (size_t i = 0; i < n; i++) {
                uint64_t key = v[i].addr * 2;
                struct piece *p = piece_slot(m, key);
                if (piece_valid(m, p, key) && p->len >= v[i].len && piece_holds(p, 0, v[i].len)) {
                        touch(m, p, v[i].addr, false, 0, v[i].len);
                        v[i].err = p->err;
                        if (!p->err)
                                memcpy(v[i].buf, m->arena + p->off, v[i].len);
                        else if (!first)
                                first = p->err;
                        continue;
                }
                miss[n_miss++] = i;
        }
        if (!n_miss)
                return first;
        xgrow(&m->iov, &m->cap_iov, n_miss, sizeof(*m->iov));
        struct rmem_iov *mv = m->iov;
        for (size_t j = 0; j < n_miss; j++)
                mv[j] = v[miss[j]];
        int r = rmem_readv(m, mv, n_miss);
        if (r == -ESRCH || r == -EPERM)
                return r;
        for (size_t j = 0; j < n_miss; j++) {
                struct rmem_iov *x = &v[miss[j]];
                struct piece *p;
                x->err = mv[j].err;
                if (x->err && !first)
                        first = x->err;
                p = install(m, x->addr * 2, (uint32_t)x->len, x->buf, x->err);
                if (p)
                        touch(m, p, x->addr, false, 0, x->len);
        }
        return first;
}

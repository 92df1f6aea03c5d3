/* Remote memory: process_vm_readv (one syscall, no stop) with a /proc/PID/mem fallback, an
 * image backend for tests, and a small per-sample page cache. One process_vm_readv costs about
 * the same for 64 bytes as for 4 KiB (peers.md §6.1), so the cache reads whole pages: the
 * frames of one sample usually sit in a few pages of the thread's data stack. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attach.h"
#include "common/xalloc.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE_ (1u << PAGE_SHIFT)
#define CACHE_SLOTS 128 /* direct-mapped: 512 KiB, enough for deep stacks of a few threads */

struct cache_slot {
        uint64_t page; /* page number (addr >> PAGE_SHIFT) */
        uint64_t gen;  /* valid when equal to rmem.gen */
        int err;       /* 0, or the -errno of the failed read (cached too) */
        unsigned char data[PAGE_SIZE_];
};

struct rmem {
        pid_t pid;
        int memfd;      /* /proc/PID/mem, opened on first need */
        bool use_memfd; /* process_vm_readv is unavailable */
        const unsigned char *image;
        size_t image_len;
        uint64_t image_base;
        uint64_t syscalls;
        uint64_t gen;
        struct cache_slot *cache;
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
        free(m->cache);
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

#define IOV_BATCH 1024

int
rmem_readv(struct rmem *m, struct rmem_iov *v, size_t n)
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
                /* the kernel stops at the first piece that faults: those before it are whole */
                for (size_t j = 0; j < k && got > 0 && (size_t)got >= v[i + j].len; j++) {
                        got -= (ssize_t)v[i + j].len;
                        v[i + j].err = 0;
                        got_pieces++;
                }
                if (got_pieces == k) {
                        i += k;
                        continue;
                }
                /* the faulting piece, read alone, and go on after it */
                struct rmem_iov *p = &v[i + got_pieces];
                p->err = rmem_read(m, p->addr, p->len, p->buf);
                if (p->err == -ESRCH || p->err == -EPERM)
                        return p->err;
                if (p->err && !first)
                        first = p->err;
                i += got_pieces + 1;
        }
        return first;
}

void
rmem_cache_reset(struct rmem *m)
{
        m->gen++;
}

static struct cache_slot *
cache_page(struct rmem *m, uint64_t page)
{
        struct cache_slot *s;

        if (!m->cache)
                m->cache = xcalloc(CACHE_SLOTS, sizeof(*m->cache));
        s = &m->cache[page % CACHE_SLOTS];
        if (s->gen != m->gen || s->page != page) {
                s->page = page;
                s->gen = m->gen;
                s->err = rmem_read(m, page << PAGE_SHIFT, PAGE_SIZE_, s->data);
        }
        return s;
}

int
rmem_read_cached(struct rmem *m, uint64_t addr, size_t len, void *buf)
{
        unsigned char *out = buf;

        if (addr + len < addr)
                return -EFAULT;
        /* large reads gain nothing from the cache */
        if (len > 2 * PAGE_SIZE_)
                return rmem_read(m, addr, len, buf);
        while (len) {
                struct cache_slot *s = cache_page(m, addr >> PAGE_SHIFT);
                size_t off = addr & (PAGE_SIZE_ - 1), n = MIN(len, PAGE_SIZE_ - off);
                if (s->err)
                        return s->err;
                memcpy(out, s->data + off, n);
                out += n;
                addr += n;
                len -= n;
        }
        return 0;
}

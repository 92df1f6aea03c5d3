/* /proc/PID/maps parsing. Pure text in, ranges out; the file is read in one go so that a
 * concurrent dlopen() cannot give us half of an old and half of a new list in one parse. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "symbols.h"

void
maps_release(struct maps *m)
{
        for (size_t i = 0; i < m->n; i++)
                free(m->v[i].path);
        free(m->v);
        m->v = NULL;
        m->n = 0;
}

static int
parse_line(const char *line, size_t len, struct map_entry *e)
{
        char perms[8] = "";
        unsigned long long start, end, off, inode;
        int n = 0;

        if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms, &off, &inode,
                   &n) < 5 ||
            n <= 0 || strlen(perms) != 4 || start > end)
                return -EINVAL;
        memset(e, 0, sizeof(*e));
        e->start = start;
        e->end = end;
        e->offset = off;
        e->inode = inode;
        memcpy(e->perms, perms, 5);
        if ((size_t)n < len) {
                const char *p = line + n;
                size_t plen = len - (size_t)n;
                static const char deleted[] = " (deleted)";
                if (plen >= sizeof(deleted) - 1 &&
                    !memcmp(p + plen - (sizeof(deleted) - 1), deleted, sizeof(deleted) - 1))
                        plen -= sizeof(deleted) - 1;
                if (plen)
                        e->path = xstrndup(p, plen);
        }
        return 0;
}

int
maps_parse(const char *text, struct maps *ret)
{
        struct maps m = { 0 };
        size_t cap = 0;

        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len) {
                        xgrow(&m.v, &cap, m.n + 1, sizeof(*m.v));
                        if (parse_line(p, len, &m.v[m.n]) < 0) {
                                maps_release(&m);
                                return -EINVAL;
                        }
                        m.n++;
                }
                p += len + (nl ? 1 : 0);
        }
        *ret = m;
        return 0;
}

int
maps_read(pid_t pid, struct maps *ret)
{
        char path[64];
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        _cleanup_close_ int fd = -1;

        snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        for (;;) {
                xgrow(&buf, &cap, len + 65536, 1);
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0)
                        return errno == ENOENT ? -ESRCH : -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (!buf)
                return -ESRCH;
        buf[len] = '\0';
        /* a zombie or exiting process has an empty maps file */
        if (len == 0)
                return -ESRCH;
        return maps_parse(buf, ret);
}

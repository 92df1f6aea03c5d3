/* Facts about a process that /proc tells without reading its memory: CPU time, thread names,
 * the command line, the root, working folder and environment it sees. Every /proc read of
 * pyinstr is here or in symbols/ (maps, the executable); the CLI and record/ ask through these. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "internal.h"

int
proc_cpu_time(pid_t pid, double *ret)
{
        char path[64], buf[1024];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        unsigned long long ut, st;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -ESRCH;
        buf[n] = '\0';
        /* the command name may contain spaces and parentheses: fields start after the last ')' */
        const char *p = strrchr(buf, ')');
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -EBADMSG;
        *ret = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        return 0;
}

static int
read_comm(const char *path, char *buf, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -ESRCH;
        n = read(fd, buf, len - 1);
        if (n <= 0)
                return -ESRCH;
        while (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        return 0;
}

int
proc_thread_name(pid_t pid, int32_t tid, char *buf, size_t len)
{
        char path[96], own[64];

        if (tid <= 0 || len < 2)
                return -ENOENT;
        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        if (read_comm(path, own, sizeof(own)) < 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
        if (read_comm(path, buf, len) < 0)
                return -ESRCH;
        return strcmp(buf, own) != 0 && buf[0] ? 0 : -ENOENT;
}

/* The whole of a /proc file that has no size (cmdline, environ). */
static int
read_all(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == EACCES ? -EPERM : -ESRCH;
        for (;;) {
                xgrow(&buf, &cap, len + 4096, 1);
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0)
                        return errno == EACCES ? -EPERM : -ESRCH;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int
proc_cmdline(pid_t pid, char **ret, size_t *ret_len)
{
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        r = read_all(path, ret, ret_len);
        return r == -EPERM ? -ESRCH : r;
}

int
proc_getenv(pid_t pid, const char *name, char **ret)
{
        _cleanup_free_ char *env = NULL;
        char path[64];
        size_t len, n = strlen(name);
        int r;

        snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
        r = read_all(path, &env, &len);
        if (r < 0)
                return r;
        for (const char *p = env; p < env + len; p += strlen(p) + 1)
                if (!strncmp(p, name, n) && p[n] == '=') {
                        *ret = xstrdup(p + n + 1);
                        return 0;
                }
        return -ENOENT;
}

/* readlink() of /proc/PID/@what into @buf, NUL-terminated. */
static int
proc_link(pid_t pid, const char *what, char *buf, size_t len)
{
        char path[64];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
        n = readlink(path, buf, len - 1);
        if (n < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        buf[n] = '\0';
        return 0;
}

int
proc_root(pid_t pid, char *buf, size_t len)
{
        int r = proc_link(pid, "root", buf, len);

        if (r < 0 || !strcmp(buf, "/"))
                buf[0] = '\0';
        return r;
}

int
proc_cwd(pid_t pid, char *buf, size_t len)
{
        char root[PATH_MAX];
        int r = proc_link(pid, "cwd", buf, len);

        if (r < 0) {
                snprintf(buf, len, "/");
                return r;
        }
        /* as the process sees it: inside its root */
        (void)proc_root(pid, root, sizeof(root));
        size_t rl = strlen(root);
        if (rl && !strncmp(buf, root, rl) && (buf[rl] == '/' || !buf[rl]))
                memmove(buf, buf + rl, strlen(buf + rl) + 1);
        if (!buf[0])
                snprintf(buf, len, "/");
        return 0;
}

bool
proc_running(pid_t pid)
{
        char path[64], buf[512];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

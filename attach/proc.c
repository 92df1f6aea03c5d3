/* Facts about a process that /proc tells without reading its memory: CPU time, thread names,
 * the command line, the root, working folder and environment it sees. Every /proc read of
 * pyinstr is here or in symbols/ (maps, the executable); the CLI and record/ ask through these. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "internal.h"

/* The fields of /proc/@pid/task/@tid/stat (of the process when @tid is 0) after the command
 * name, read into @buf: the name may hold spaces and parentheses, so they start after the
 * last ')'. NULL when there is no such task. */
static const char *
stat_fields(pid_t pid, pid_t tid, char *buf, size_t len)
{
        char path[96];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (tid)
                snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
        else
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, len - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p + 2 : NULL;
}

int
proc_cpu_time(pid_t pid, double *ret)
{
        char buf[1024];
        const char *f = stat_fields(pid, 0, buf, sizeof(buf));
        unsigned long long ut, st;

        if (!f)
                return -ESRCH;
        if (sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -EBADMSG;
        *ret = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        return 0;
}

char
proc_task_state(pid_t pid, pid_t tid)
{
        char buf[1024];
        const char *f = stat_fields(pid, tid, buf, sizeof(buf));

        return f ? f[0] : 0;
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
proc_comm(pid_t pid, char *buf, size_t len)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        return read_comm(path, buf, len);
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
proc_job_stopped(pid_t pid)
{
        return proc_task_state(pid, 0) == 'T';
}

bool
proc_exec_ready(pid_t pid)
{
        char buf[1024], state;
        const char *f = stat_fields(pid, 0, buf, sizeof(buf));
        unsigned long flags;

        /* state, then ppid pgrp session tty_nr tpgid, then the task's flags (proc(5)) */
        if (!f || sscanf(f, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
                return false;
        /* PF_EXITING (include/linux/sched.h): the task is on its way out, its memory gone
         * before it is a zombie: an exit, not an exec */
        return state != 'Z' && state != 'X' && !(flags & 0x4);
}

/* The first thread of @pid for which @match(@pid, tid, @userdata) holds, or 0. */
static pid_t
find_task(pid_t pid, bool (*match)(pid_t pid, pid_t tid, void *userdata), void *userdata)
{
        char path[64];
        struct dirent *e;
        pid_t found = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        d = opendir(path);
        if (!d)
                return 0;
        while (!found && (e = readdir(d))) {
                pid_t tid = (pid_t)atoi(e->d_name);
                if (tid > 0 && match(pid, tid, userdata))
                        found = tid;
        }
        closedir(d);
        return found;
}

static bool
task_alive(pid_t pid, pid_t tid, void *userdata)
{
        char state = proc_task_state(pid, tid);

        (void)userdata;
        return state && state != 'Z' && state != 'X';
}

bool
proc_threads_alive(pid_t pid)
{
        return find_task(pid, task_alive, NULL) != 0;
}

bool
proc_running(pid_t pid)
{
        char state = proc_task_state(pid, 0);

        return state && state != 'Z' && state != 'X';
}

/* The innermost of the ids on the NSpid line of /proc/PID/task/TID/status: the TID as the
 * process sees it in its own PID namespace. */
static pid_t
ns_tid_of(pid_t pid, pid_t tid)
{
        char path[96], line[256];
        pid_t id = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "NSpid:", 6)) {
                        for (char *p = line + 6, *end; *p; p = end) {
                                long v = strtol(p, &end, 10);
                                if (end == p)
                                        break;
                                id = (pid_t)v;
                        }
                        break;
                }
        fclose(f);
        return id;
}

pid_t
proc_ns_pid(pid_t pid, pid_t tid)
{
        pid_t id = ns_tid_of(pid, tid);

        return id > 0 ? id : tid;
}

static bool
task_has_ns_tid(pid_t pid, pid_t tid, void *userdata)
{
        return ns_tid_of(pid, tid) == *(const pid_t *)userdata;
}

pid_t
proc_host_tid(pid_t pid, pid_t ns_tid)
{
        if (proc_ns_pid(pid, pid) == pid)
                return ns_tid; /* the same namespace as ours */
        return find_task(pid, task_has_ns_tid, &ns_tid);
}

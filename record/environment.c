/* The target's environment as pyinstrument records it inside the process: sys.path (the
 * script's folder or the cwd first, then the interpreter's library folders), sys.prefix and
 * friends, and the description of an attached process. pyinstrument decides library against
 * application code from these (pyinstrument-spec.md §1.1), so they must be the target's view:
 * paths inside its root when it runs in a chroot or a container. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "record.h"

/* The folder of the script the interpreter runs: the first argument after the interpreter's
 * own options, when it names a .py file (relative to the target's @cwd). */
static int
script_folder(pid_t pid, const char *cwd, char *buf, size_t len)
{
        _cleanup_free_ char *args = NULL;
        size_t n;

        if (proc_cmdline(pid, &args, &n) < 0)
                return -ESRCH;
        for (const char *a = args + strlen(args) + 1; a < args + n; a += strlen(a) + 1) {
                if (!strcmp(a, "-m") || !strcmp(a, "-c"))
                        return -ENOENT;
                if (!strcmp(a, "-W") || !strcmp(a, "-X")) { /* options with a value */
                        a += strlen(a) + 1;
                        continue;
                }
                if (a[0] == '-')
                        continue;
                size_t l = strlen(a);
                if (l < 4 || strcmp(a + l - 3, ".py") != 0)
                        return -ENOENT;
                int w = a[0] == '/' ? snprintf(buf, len, "%s", a)
                                    : snprintf(buf, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", a);
                if (w < 0 || (size_t)w >= len)
                        return -ENAMETOOLONG;
                char *slash = strrchr(buf, '/');
                if (slash == buf)
                        slash[1] = '\0';
                else if (slash)
                        *slash = '\0';
                return 0;
        }
        return -ENOENT;
}

/* sys.prefix from the file that holds the interpreter, as the target sees it: the folder
 * above lib/libpython… or bin/. */
static void
interpreter_prefix(const struct target *t, const char *root, char *buf, size_t len)
{
        const char *bin = target_binary(t);
        size_t rl = strlen(root);

        if (rl && !strncmp(bin, root, rl))
                bin += rl;
        snprintf(buf, len, "%s", bin);
        char *cut = strstr(buf, "/lib/libpython");
        if (!cut)
                cut = strstr(buf, "/bin/");
        if (cut && cut != buf)
                *cut = '\0';
        else
                snprintf(buf, len, "/usr");
}

void
record_environment(struct session *s, const struct target *t)
{
        char root[PATH_MAX], prefix[PATH_MAX], cwd[PATH_MAX], script_dir[PATH_MAX];
        char buf[PATH_MAX + 64], ver[32];
        _cleanup_free_ char *venv = NULL;
        pid_t pid = target_pid(t);
        uint32_t v = target_version(t);

        (void)proc_root(pid, root, sizeof(root));
        interpreter_prefix(t, root, prefix, sizeof(prefix));

        /* sys.path[0] is the script's folder (python3 path/app.py), else the cwd (-m, -c) */
        (void)proc_cwd(pid, cwd, sizeof(cwd));
        if (script_folder(pid, cwd, script_dir, sizeof(script_dir)) == 0)
                session_add_sys_path(s, script_dir);
        session_add_sys_path(s, cwd);
        snprintf(ver, sizeof(ver), "%u.%u", v >> 24, (v >> 16) & 0xff);
        snprintf(buf, sizeof(buf), "%s/lib/python%s", prefix, ver);
        session_add_sys_path(s, buf);
        snprintf(buf, sizeof(buf), "%s/lib/python%s/lib-dynload", prefix, ver);
        session_add_sys_path(s, buf);
        snprintf(buf, sizeof(buf), "%s/lib/python%s/site-packages", prefix, ver);
        session_add_sys_path(s, buf);

        /* a virtualenv: VIRTUAL_ENV in the target's environment */
        if (proc_getenv(pid, "VIRTUAL_ENV", &venv) == 0 && !*venv) {
                free(venv);
                venv = NULL;
        }
        if (venv) {
                snprintf(buf, sizeof(buf), "%s/lib/python%s/site-packages", venv, ver);
                session_add_sys_path(s, buf);
                session_add_sys_prefix(s, venv);
        }
        /* [prefix, base_prefix, exec_prefix, base_exec_prefix], duplicates kept (spec §1.1) */
        for (int i = venv ? 1 : 0; i < 4; i++)
                session_add_sys_prefix(s, prefix);
}

char *
record_process_args(pid_t pid)
{
        char *args;
        size_t n;

        if (proc_cmdline(pid, &args, &n) < 0)
                return xstrdup("?");
        while (n > 0 && args[n - 1] == '\0')
                n--;
        for (size_t i = 0; i < n; i++)
                if (args[i] == '\0')
                        args[i] = ' ';
        args[n] = '\0';
        return args;
}

char *
record_process_description(pid_t pid)
{
        _cleanup_free_ char *args = record_process_args(pid);
        char *desc;

        if (asprintf(&desc, "Process %d: %s", (int)pid, args) < 0)
                abort();
        return desc;
}

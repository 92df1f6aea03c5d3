/* Replay driver: feeds every file named on the command line (directories recursively) to the
 * harness's LLVMFuzzerTestOneInput(), once each, as libFuzzer would. Linked in place of
 * libFuzzer so that the regression inputs run as ordinary tests under gcc, the sanitizers and
 * valgrind. A crash or abort() is the failure; the exit status is 0 otherwise. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macros.h"
#include "fuzz.h"

DEFINE_CLEANUP_FUNC(FILE *, fclose)
DEFINE_CLEANUP_FUNC(DIR *, closedir)

static int
replay_file(const char *path, size_t *count)
{
        _cleanup_(fclosep) FILE *f = fopen(path, "rb");
        struct stat st;

        if (!f || fstat(fileno(f), &st) < 0)
                return -errno;
        /* one more byte than needed, so that an empty file is not a zero-size malloc */
        _cleanup_free_ uint8_t *buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
                return -EIO;
        (void)LLVMFuzzerTestOneInput(buf, (size_t)st.st_size);
        (*count)++;
        return 0;
}

static int
replay_path(const char *path, size_t *count)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return replay_file(path, count);
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *e;
        if (!d)
                return -errno;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *sub = NULL;
                if (asprintf(&sub, "%s/%s", path, e->d_name) < 0)
                        return -ENOMEM;
                int r = replay_path(sub, count);
                if (r < 0)
                        return r;
        }
        return 0;
}

int
main(int argc, char **argv)
{
        size_t count = 0;

        for (int i = 1; i < argc; i++) {
                int r = replay_path(argv[i], &count);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
                        return 1;
                }
        }
        printf("%zu inputs replayed\n", count);
        return 0;
}

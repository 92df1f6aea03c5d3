/* The physical floor of a sample: the same process_vm_readv that pyinstr makes for one sample
 * (the remote ranges given on the command line, as strace shows them), repeated with nothing
 * else around it, and one 8-byte read for the cost of the syscall alone.
 *   readv-floor PID SECONDS ADDR:LEN...
 * Prints "floor <us per call> <bytes> <iovecs>" and "syscall <us per call>". Used by
 * bench/run.py; not a test. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

enum { MAX_IOV = 1024 };

static double
now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Calls per second of process_vm_readv(@pid, @remote[0..n)) for @seconds; -1 on error. */
static double
rate(pid_t pid, const struct iovec *remote, size_t n, unsigned char *buf, double seconds)
{
        struct iovec local[MAX_IOV];
        size_t off = 0;
        long calls = 0;

        for (size_t i = 0; i < n; i++) {
                local[i] = (struct iovec){ buf + off, remote[i].iov_len };
                off += remote[i].iov_len;
        }
        double t0 = now(), t = t0;
        while (t - t0 < seconds) {
                for (int k = 0; k < 1000; k++)
                        if (process_vm_readv(pid, local, n, remote, n, 0) < 0)
                                return -1;
                calls += 1000;
                t = now();
        }
        return (double)calls / (t - t0);
}

int
main(int argc, char **argv)
{
        static struct iovec remote[MAX_IOV];
        size_t n = 0, total = 0;

        if (argc < 4) {
                fprintf(stderr, "usage: readv-floor PID SECONDS ADDR:LEN...\n");
                return 2;
        }
        pid_t pid = (pid_t)atoi(argv[1]);
        double seconds = atof(argv[2]);
        for (int i = 3; i < argc && n < MAX_IOV; i++) {
                char *colon = strchr(argv[i], ':');
                if (!colon)
                        return 2;
                remote[n].iov_base = (void *)(uintptr_t)strtoull(argv[i], NULL, 0);
                remote[n].iov_len = strtoull(colon + 1, NULL, 0);
                total += remote[n++].iov_len;
        }
        unsigned char *buf = malloc(total + 8);
        if (!buf)
                return 1;
        double all = rate(pid, remote, n, buf, seconds);
        struct iovec one = { remote[0].iov_base, 8 };
        double sys = rate(pid, &one, 1, buf, seconds / 2);
        if (all < 0 || sys < 0) {
                fprintf(stderr, "readv-floor: process_vm_readv: %s\n", strerror(errno));
                return 1;
        }
        printf("floor %.3f %zu %zu\nsyscall %.3f\n", 1e6 / all, total, n, 1e6 / sys);
        free(buf);
        return 0;
}

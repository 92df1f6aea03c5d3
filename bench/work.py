"""Fixed work for the slowdown benchmark: DEPTH-deep recursion, then UNITS leaf loops.
Prints the work loop's own time: elapsed=<s> cpu=<s> units=<n>.
usage: work.py [DEPTH=40] [UNITS=300] [LEAF_ITERS=20000]
With $WORK_CPU set, the program pins itself to that CPU first (bench/run.py keeps the profiler
on another one, so that the two do not take turns on one core)."""
import os
import sys
import time

if os.environ.get("WORK_CPU"):
    os.sched_setaffinity(0, {int(os.environ["WORK_CPU"])})

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 40
UNITS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
LEAF = int(sys.argv[3]) if len(sys.argv) > 3 else 20000


def step(i):
    return (i * i) % 7


def leaf():
    # a call per iteration, as Python code goes: what a deterministic profiler pays for
    s = 0
    for i in range(LEAF):
        s += step(i)
    return s


def rec(n):
    if n > 0:
        return rec(n - 1)
    for _ in range(UNITS):
        leaf()


t0, c0 = time.perf_counter(), time.process_time()
rec(DEPTH - 2)
print("elapsed=%.6f cpu=%.6f units=%d" % (time.perf_counter() - t0, time.process_time() - c0, UNITS))

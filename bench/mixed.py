"""A known mix: alpha ~60 % CPU, beta ~30 % CPU, sleeper ~10 % sleeping, per round.
Prints the true shares of run()'s wall time, measured with perf_counter around each call:
  true alpha=0.598 beta=0.301 sleeper=0.099 other=0.002
usage: mixed.py [SECONDS=10] [ALPHA_ITERS=36000] [BETA_ITERS=18000] [SLEEP_MS=1.0]"""
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10
ALPHA = int(sys.argv[2]) if len(sys.argv) > 2 else 36000
BETA = int(sys.argv[3]) if len(sys.argv) > 3 else 18000
SLEEP = (float(sys.argv[4]) if len(sys.argv) > 4 else 1.0) / 1000


def spin(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def alpha():
    return spin(ALPHA)


def beta():
    return spin(BETA)


def sleeper():
    time.sleep(SLEEP)


def run():
    spent = {"alpha": 0.0, "beta": 0.0, "sleeper": 0.0}
    start = time.perf_counter()
    end = start + SECONDS
    while time.perf_counter() < end:
        for name, fn in (("alpha", alpha), ("beta", beta), ("sleeper", sleeper)):
            t = time.perf_counter()
            fn()
            spent[name] += time.perf_counter() - t
    total = time.perf_counter() - start
    other = total - sum(spent.values())
    print("true " + " ".join("%s=%.4f" % (k, v / total) for k, v in spent.items()) +
          " other=%.4f" % (other / total), flush=True)


run()

"""CPU-bound target at a fixed stack depth: python cpu_deep.py DEPTH SECONDS [THREADS]."""
import sys
import threading
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 40
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 5
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 1


def work(n, end):
    if n > 0:
        return work(n - 1, end)
    x = 0
    while time.monotonic() < end:
        for i in range(1000):
            x += i * i
    return x


def run(end):
    work(DEPTH - 2, end)


end = time.monotonic() + SECONDS
threads = [threading.Thread(target=run, args=(end,)) for _ in range(THREADS - 1)]
for t in threads:
    t.start()
run(end)
for t in threads:
    t.join()

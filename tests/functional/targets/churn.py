# Torn-read stress: threads born and dying, deep recursion and generators, as fast as possible,
# so that a sampler reading from outside sees frames freed and reused under it.
# Usage: churn.py SECONDS [ready]
import sys
import threading
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def recurse(n):
    if n:
        return recurse(n - 1) + 1
    return 0


def countdown(n):
    while n:
        yield n
        n -= 1


def nested_gen(depth):
    if depth:
        yield from nested_gen(depth - 1)
    else:
        yield from countdown(20)


def short_life(k):
    recurse(50 + k % 200)
    sum(nested_gen(k % 30))


def spawner(end):
    k = 0
    while time.monotonic() < end:
        batch = [threading.Thread(target=short_life, args=(k + i,)) for i in range(8)]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
        k += 8


def deep_worker(end):
    k = 0
    while time.monotonic() < end:
        recurse(100 + k % 800)
        k += 37


def gen_worker(end):
    while time.monotonic() < end:
        for _ in nested_gen(40):
            pass
        sum(x for x in countdown(100))


def main():
    end = time.monotonic() + DURATION
    workers = [threading.Thread(target=f, args=(end,)) for f in (spawner, spawner, deep_worker,
                                                                  gen_worker)]
    for t in workers:
        t.start()
    if len(sys.argv) > 2:
        print("ready", flush=True)
    deep_worker(end)
    for t in workers:
        t.join()


main()

# Generators that yield every few hundred nanoseconds, as json's encoder does: a chain of
# `yield from` generators consumed by a for loop, and sum() over a generator expression.
# A sampler that reads a generator's frame after it yielded must not report a stack whose
# outermost frame is a generator.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def leaf(n):
    for i in range(n):
        yield i


def middle(n):
    yield from leaf(n)
    yield from leaf(n)


def outer(n):
    for _ in range(3):
        yield from middle(n)


def consume(end):
    total = 0
    while time.monotonic() < end:
        for x in outer(20):
            total += x
        total += sum(x for x in range(50))
    return total


consume(time.monotonic() + DURATION)

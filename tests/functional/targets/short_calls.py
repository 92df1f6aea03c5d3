# A short call made in a loop: a class whose __init__ is trivial. Its share of the time must
# be the same sampled with and without stopping the target.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def churn(end):
    while time.monotonic() < end:
        for _ in range(1000):
            Point(1, 2)


if len(sys.argv) > 2:
    print("ready", flush=True)
churn(time.monotonic() + DURATION)

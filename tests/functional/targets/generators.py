# A generator consumed by a for loop, and a comprehension.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def produce(end):
    while True:
        while time.monotonic() < end: yield 1  # LINE produce
        return


def consume(end):
    total = 0
    for x in produce(end):  # LINE consume
        total += x
    return total


def squares(n):
    return [i * i for i in range(n)]  # LINE comprehension


if len(sys.argv) > 2:
    print("ready", flush=True)
consume(time.monotonic() + DURATION / 2)  # LINE module_gen
end = time.monotonic() + DURATION / 2
while time.monotonic() < end:
    squares(10000)  # LINE module_comp

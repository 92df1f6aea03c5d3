# Recursion to a known depth, then a busy loop at the bottom.
import sys
import time

DEPTH = 50
DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def recurse(n, end):
    if n == 0:
        while time.monotonic() < end: pass  # LINE bottom
        return
    recurse(n - 1, end)  # LINE recurse


if len(sys.argv) > 2:
    print("ready", flush=True)
recurse(DEPTH - 1, time.monotonic() + DURATION)  # LINE module

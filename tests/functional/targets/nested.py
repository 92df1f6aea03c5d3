# Nested calls with a known chain and known lines (asserted by test_functional.py).
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def spin(end):
    while time.monotonic() < end: pass  # LINE spin


def inner(end):
    spin(end)  # LINE inner


def outer(end):
    inner(end)  # LINE outer


if len(sys.argv) > 2:
    print("ready", flush=True)
outer(time.monotonic() + DURATION)  # LINE module

# Prints "ready" and then blocks in a known place, for attach and dump tests.
import sys
import time


def wait_here():
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 30)  # LINE wait_here


def caller():
    wait_here()  # LINE caller


print("ready", flush=True)
caller()  # LINE module

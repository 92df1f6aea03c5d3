"""A program with handlers for SIGINT and SIGTERM (SIGHUP keeps its default action: death).
Prints 'ready' once its handlers are in, spins in Python for up to argv[1] seconds, and on a
handled signal prints 'got N' and exits with status 3."""
import signal
import sys
import time


def handler(sig, frame):
    print("got", sig, flush=True)
    sys.exit(3)


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(500))


signal.signal(signal.SIGINT, handler)
signal.signal(signal.SIGTERM, handler)
print("ready", flush=True)
spin(float(sys.argv[1]) if len(sys.argv) > 1 else 30)

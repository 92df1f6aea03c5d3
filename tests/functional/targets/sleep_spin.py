# Naps and spins by turns for argv[1] seconds (default 1), printing nothing: most consecutive
# samples are the same stack (asleep on one line, spinning on one line), the runs a saved
# session writes as one record each.
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def nap():
    time.sleep(0.05)  # LINE nap


def spin(end):
    while time.monotonic() < end: pass  # LINE spin


end = time.monotonic() + DURATION
while time.monotonic() < end:
    nap()
    spin(time.monotonic() + 0.02)

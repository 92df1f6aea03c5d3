# Four worker threads and the main thread, each busy in its own known place.
import sys
import threading
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def spin_worker(end):
    while time.monotonic() < end: pass  # LINE spin_worker


def worker(end):
    spin_worker(end)  # LINE worker


def main_spin(end):
    while time.monotonic() < end: pass  # LINE main_spin


end = time.monotonic() + DURATION
threads = [threading.Thread(target=worker, args=(end,)) for _ in range(4)]
for t in threads:
    t.start()
if len(sys.argv) > 2:
    print("ready", flush=True)
main_spin(end)  # LINE module
for t in threads:
    t.join()

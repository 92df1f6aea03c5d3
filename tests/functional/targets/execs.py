"""Three spinning threads, then an execve() of a small Python program from the main thread
(argv[2] == "main") or from a worker thread ("thread"), argv[1] seconds after 'ready'. The new
program spins for argv[3] seconds (default 1) in after_exec() and prints 'after exec'."""
import os
import sys
import threading
import time

AFTER = """
import sys, time
def after_exec(end):
    while time.monotonic() < end: pass
after_exec(time.monotonic() + float(sys.argv[1]))
print("after exec", flush=True)
"""


def spin(end):
    while time.monotonic() < end:
        pass


def execer(delay):
    spin(time.monotonic() + delay)
    os.execv(sys.executable, [sys.executable, "-c", AFTER, sys.argv[3] if len(sys.argv) > 3 else "1"])


delay = float(sys.argv[1])
end = time.monotonic() + 60
for _ in range(2):
    threading.Thread(target=spin, args=(end,), daemon=True).start()
print("ready", flush=True)
if sys.argv[2] == "thread":
    threading.Thread(target=execer, args=(delay,)).start()
else:
    execer(delay)
spin(end)

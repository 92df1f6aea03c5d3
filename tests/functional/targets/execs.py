"""Spinning threads, then the process ends as argv[2] says, argv[1] seconds after 'ready':
"main" or "thread" execve() a small Python program from that thread (the new program spins
argv[3] seconds, default 1, in after_exec() and prints 'after exec'); "exit" returns from the
main thread and the interpreter exits on its own (the two worker threads are daemons).
argv[1] "-" reads the delay from a line on stdin instead: a test can then start the clock
once its profiler is known to be attached."""
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


end = time.monotonic() + 60
for _ in range(2):
    threading.Thread(target=spin, args=(end,), daemon=True).start()
print("ready", flush=True)
delay = float(sys.stdin.readline() if sys.argv[1] == "-" else sys.argv[1])
if sys.argv[2] == "thread":
    threading.Thread(target=execer, args=(delay,)).start()
elif sys.argv[2] == "exit":
    spin(time.monotonic() + delay)
    sys.exit(0)
else:
    execer(delay)
spin(end)

"""A recursion argv[1] frames deep (default 5000), then a function whose name is argv[2]
characters long (default 10000) spinning at the bottom until argv[3] seconds have passed
(default 30). Prints 'ready' once at the bottom when argv[4] is "ready"."""
import sys
import time

DEPTH = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
NAME_LEN = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 30
sys.setrecursionlimit(DEPTH + 1000)

name = "long_" + "x" * (NAME_LEN - 5)
ns = {}
READY = len(sys.argv) > 4 and sys.argv[4] == "ready"
exec("def %s(end):\n    if READY: print('ready', flush=True)\n"
     "    while time.monotonic() < end: pass\n" % name, {"time": time, "READY": READY}, ns)
bottom = ns[name]


def recurse(n, end):
    if n == 0:
        bottom(end)
    else:
        recurse(n - 1, end)


recurse(DEPTH, time.monotonic() + SECONDS)

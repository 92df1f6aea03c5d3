#!/usr/bin/env python3
"""Write a synthetic .pyisession of N samples (default 1,000,000) for timing the report side.

usage: bench-session.py OUT [N]
then:  time report-driver --load OUT --no-color > /dev/null

Like a real program: 2,000 distinct call paths 15-30 frames deep that share prefixes (a random
walk down a call graph of application and library functions), picked with a skewed
distribution, with the current line of the leaf varying, on two threads.
"""
import json
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rnd = random.Random(42)
app = ["f%d\x00/app/mod%d.py\x00%d" % (i, i % 9, 10 * i) for i in range(80)]
lib = ["g%d\x00/usr/lib/python3.12/lib%d/mod.py\x00%d" % (i, i % 7, i) for i in range(120)]
threads = ["MainThread\x00<thread>\x00140000", "Worker-1\x00<thread>\x00140001"]
paths = []
for p in range(2000):
    depth = rnd.randint(15, 30)
    path = [threads[p % 5 == 0]]
    for d in range(depth):
        pool = app if d < 10 or rnd.random() < 0.2 else lib
        # low indexes are likelier: shared prefixes, as in a real call graph
        path.append(pool[min(int(rnd.expovariate(0.5) + d * 3), len(pool) - 1)] + "\x01l%d" % (d + 1))
    if rnd.random() < 0.2:
        path.append("sleep\x00<built-in>\x000")
    paths.append(path)
records = []
for i in range(n):
    path = list(paths[min(int(rnd.expovariate(1 / 200)), len(paths) - 1)])
    if "<built-in>" not in path[-1]:
        path[-1] = path[-1].rsplit("\x01", 1)[0] + "\x01l%d" % rnd.randint(1, 60)
    records.append([path, 0.001])
session = {
    "start_time": 1700000000.0, "duration": n * 0.001, "min_interval": 0.001,
    "max_interval": 0.001, "sample_count": n, "start_call_stack": [threads[0]],
    "target_description": "Program: bench.py", "cpu_time": n * 0.0008,
    "sys_path": ["/app", "/usr/lib/python3.12"], "sys_prefixes": ["/usr"],
    "frame_records": records,
}
with open(out, "w") as f:
    json.dump(session, f)

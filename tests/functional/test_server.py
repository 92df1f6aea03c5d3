"""A threaded HTTP server attached while it serves requests (a thread per connection, each
living milliseconds; thread states and pthread stacks reused at once): no thread may weigh more
than the recording lasted, and all threads together no more than the threads that existed
could have run (issue 15: single samples weighed seconds, 142 roots totalled 516 s in 5 s)."""
import json
import re
import subprocess
import threading
import time
import urllib.request

from conftest import PYINSTR, TARGETS

SECONDS = 3
CLIENTS = 4


def load(port, stop, counts):
    """Requests in a loop until @stop, a new connection each (bounded: local, and by time)."""
    n = 0
    while not stop.is_set() and n < 100000:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
                r.read()
            n += 1
        except OSError:
            time.sleep(0.01)
    counts.append(n)


def test_threaded_server_under_load(python, tmp_path):
    server = subprocess.Popen([*python.argv, str(TARGETS / "http_server.py")],
                              stdout=subprocess.PIPE, text=True, cwd=str(TARGETS))
    stop = threading.Event()
    counts = []
    clients = []
    try:
        port = int(server.stdout.readline())
        clients = [threading.Thread(target=load, args=(port, stop, counts))
                   for _ in range(CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(0.3)
        session = tmp_path / "server.pyisession"
        out = subprocess.run([PYINSTR, "attach", "--pid", str(server.pid), "-d", str(SECONDS),
                              "-o", str(session)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    finally:
        stop.set()
        for c in clients:
            c.join()
        server.kill()
        server.wait()
    assert sum(counts) > 50, "the server served too little to test anything: %r" % counts
    data = json.loads(session.read_text())
    duration = data["duration"]
    # pyinstrument's frame records: [[frame ids...], time]; the first id names the thread
    per_thread = {}
    for stack, weight in data["frame_records"]:
        per_thread[stack[0]] = per_thread.get(stack[0], 0) + weight
    worst = max(per_thread.values())
    assert worst <= duration * 1.05 + 0.01, (worst, duration)
    # the main thread (serve_forever) and at most CLIENTS handler threads at a time
    total = sum(per_thread.values())
    assert total <= duration * (1 + CLIENTS) * 1.1, (total, duration, len(per_thread))
    m = re.search(r"(\d+) samples, (\d+) dropped \(([\d.]+)%\)", out.stderr)
    print("%d requests served; %d thread roots, %.2f s in %.2f s; %s" % (
        sum(counts), len(per_thread), total, duration, m.group(0) if m else out.stderr))

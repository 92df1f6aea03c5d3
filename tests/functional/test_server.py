"""A threaded HTTP server attached while it serves requests (a thread per connection, each
living milliseconds; thread states and pthread stacks reused at once): no thread may weigh more
than the recording lasted, and all threads together no more than the threads that existed
could have run (issue 15: single samples weighed seconds, 142 roots totalled 516 s in 5 s)."""
import json
import re

from conftest import attach_server_under_load

SECONDS = 3
CLIENTS = 4


def test_threaded_server_under_load(python, tmp_path):
    session = tmp_path / "server.pyisession"
    out, served = attach_server_under_load(python, session, SECONDS, CLIENTS)
    assert out.returncode == 0, out.stderr
    assert served > 50, "the server served too little to test anything: %d" % served
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
        served, len(per_thread), total, duration, m.group(0) if m else out.stderr))

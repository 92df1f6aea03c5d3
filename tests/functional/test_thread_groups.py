"""Threads of one role, one root (issue 16 item 3): a thread-per-request server attached under
load leaves hundreds of request threads, which the report shows as ONE root
"Thread (process_request_thread) [N threads]" whose time is the sum of theirs; --split-threads
gives a root per thread again; MainThread stays its own root. The session itself keeps every
thread: both reports are rendered from one recording."""
import json
import re

from conftest import TARGETS, attach_server_under_load, parse_collapsed, run_pyinstr

SECONDS = 3
CLIENTS = 4
GROUP_RE = re.compile(r"^Thread \(process_request_thread\) \[(\d+) threads\]$")


def render(session, *args):
    out = run_pyinstr(["--load", str(session), *args])
    assert out.returncode == 0, out.stderr
    return out.stdout


def per_root(stacks):
    """{root frame: microseconds} of parse_collapsed()'s stacks, and how many lines each has."""
    times, lines = {}, {}
    for frames, weight in stacks:
        times[frames[0]] = times.get(frames[0], 0) + weight
        lines[frames[0]] = lines.get(frames[0], 0) + 1
    return times, lines


def test_server_threads_grouped(python, tmp_path):
    session = tmp_path / "server.pyisession"
    out, served = attach_server_under_load(python, session, SECONDS, CLIENTS, extra=("-q",))
    assert out.returncode == 0, out.stderr
    assert served > 50, "the server served too little to test anything: %d" % served

    # split: a root per thread, as the session has them
    split, split_lines = per_root(parse_collapsed(render(session, "-r", "collapsed",
                                                        "--split-threads")))
    main = [r for r in split if r[0] == "MainThread"]
    assert len(main) == 1, sorted(split)
    workers = [r for r in split if r[0] != "MainThread"]
    assert len(workers) > 20, sorted(split)
    # each request is a connection and a thread (the clients count only the ones they saw
    # answered, from before the attach to after it)
    assert len(workers) <= served + CLIENTS, (len(workers), served)

    # grouped (the default): MainThread and one root for the request threads, with their count
    # and the sum of their times. A thread seen only in a stack that lost frames (a torn walk:
    # finish_request right above Thread.run) has another entry and keeps its own root: a
    # handful at most.
    grouped, grouped_lines = per_root(parse_collapsed(render(session, "-r", "collapsed")))
    assert main[0] in grouped and grouped[main[0]] == split[main[0]], sorted(grouped)
    groups = [r for r in grouped if GROUP_RE.match(r[0])]
    assert len(groups) == 1, sorted(grouped)
    group = groups[0]
    assert group[1:] == ("<thread>", 0), group
    count = int(GROUP_RE.match(group[0])[1])
    others = [r for r in grouped if r not in (main[0], group)]
    assert all(r in split for r in others), others  # not grouped: as they were
    assert len(others) <= max(3, len(workers) // 200), others
    assert count + len(others) == len(workers), (count, others, len(workers))
    # folded stacks are rounded to the microsecond a line: the sum within a microsecond a line
    split_sum = sum(split[r] for r in workers)
    grouped_sum = grouped[group] + sum(grouped[r] for r in others)
    slack = sum(split_lines[r] for r in workers) + sum(grouped_lines.values())
    assert abs(grouped_sum - split_sum) <= slack, (grouped_sum, split_sum, slack)
    assert grouped[group] >= 0.98 * split_sum, (grouped[group], split_sum)

    # the text report: from hundreds of lines to tens, the group's line with its count
    text_args = ("-r", "text", "--no-color", "--unicode")
    text = render(session, *text_args)
    split_text = render(session, *text_args, "--split-threads")
    assert len(re.findall(r"^\d+\.\d+ (.*)  <thread>$", text, re.M)) == 1, text
    assert re.search(r"^\d+\.\d+ %s  <thread>$" % re.escape(group[0]), text, re.M), text
    assert len(re.findall(r"^\d+\.\d+ MainThread  <thread>:\d+$", text, re.M)) == 1, text
    assert len(re.findall(r"^\d+\.\d+ MainThread  <thread>:\d+$", split_text, re.M)) == 1
    split_roots = re.findall(r"^\d+\.\d+ (?!MainThread)(.*)  <thread>:\d+$", split_text, re.M)
    assert len(split_roots) == len(workers), split_text[:2000]
    # the other renderers: HTML and speedscope draw the group (laid end to end); gecko keeps a
    # track per thread, as the Firefox Profiler works with them
    html, ss, gecko = (tmp_path / "r.html", tmp_path / "r.speedscope.json",
                       tmp_path / "r.gecko.json")
    for path in (html, ss, gecko):
        render(session, "-o", str(path))
    assert ('"name": %s' % json.dumps(group[0])) in html.read_text(), "no group in the page"
    profiles = [p["name"] for p in json.loads(ss.read_text())["profiles"]]
    assert len(profiles) == 2 + len(others) and any(group[0] in p for p in profiles), profiles
    tracks = [t["name"] for t in json.loads(gecko.read_text())["threads"]]
    assert len(tracks) == 1 + len(workers), (len(tracks), len(workers))

    n_text, n_split = len(text.splitlines()), len(split_text.splitlines())
    assert n_text < 80 and n_split > 3 * n_text and n_split > 100, (n_text, n_split)
    print("%d requests served; %d worker threads -> %r and %r; text %d lines (split %d); "
          "%.3f s grouped = %.3f s split" % (served, len(workers), group[0], others, n_text,
                                             n_split, grouped_sum / 1e6, split_sum / 1e6))


def test_worker_threads_grouped(python):
    """threads.py's four workers (one target, worker()) are one root "Thread (worker)
    [4 threads]" by default (record), and four roots with --split-threads (the pyinstrument
    command line)."""
    out = run_pyinstr(["record", "-r", "collapsed", "--", *python.argv,
                       str(TARGETS / "threads.py"), "1"], cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    roots = {f[0] for f, _ in parse_collapsed(out.stdout)}
    assert {r[0] for r in roots} == {"MainThread", "Thread (worker) [4 threads]"}, roots
    out = run_pyinstr(["--python", python.exe, "--split-threads", "-r", "collapsed",
                       str(TARGETS / "threads.py"), "1"], cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    roots = {f[0] for f, _ in parse_collapsed(out.stdout)}
    names = sorted(r[0] for r in roots)
    assert len(roots) == 5 and names[0] == "MainThread", roots
    assert all(re.fullmatch(r"Thread-\d+( \(worker\))?", n) for n in names[1:]), names

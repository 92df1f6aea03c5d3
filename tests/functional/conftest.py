"""Shared fixtures for the functional tests: the pyinstr binary, the interpreters to test
against, and helpers to run real targets and parse pyinstr's collapsed output.

Interpreters (pythons.py): $PYINSTR_TEST_PYTHONS (colon-separated paths) or, by default, every
pyenv CPython 3.8+ under `pyenv root` and Debian's /usr/bin/python3.X; plus python3.13-3.15 and
their debug builds python3.13d-3.15d of the Debian-unstable chroot (tools/sid-chroot.sh). Each
test gets a `python` (pythons.Python) and launches targets as `python.argv + [script, ...]`.
The debug builds are a `python` only of the tests marked @pytest.mark.debug_builds (see
pytest_generate_tests); `sid_python` is the chroot's release builds. A test that cannot run
says so loudly as a skip (one "sid-missing" skip per test when the chroot is missing); the
`interpreters` check in tests/functional/meson.build fails in CI when none was found.
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pythons import PYTHONS, SID_MISSING, TARGETS, python_id  # noqa: F401

HERE = Path(__file__).resolve().parent
PYINSTR = os.environ.get("PYINSTR") or str(HERE.parents[1] / "build" / "cli" / "pyinstr")


def pytest_configure(config):
    config.addinivalue_line("markers", "debug_builds: also run this test on the chroot's debug "
                            "interpreters python3.13d-3.15d (ids sid-3.X.Yd)")


def pytest_generate_tests(metafunc):
    if "python" in metafunc.fixturenames:
        # The debug builds (Py_DEBUG) differ from the release ones in the sizes of
        # _PyRuntimeState and PyInterpreterState (read through their own _Py_DebugOffsets,
        # checked by tests/offsets), in speed and in a 35-45 MB executable. Every test on them
        # would add about 100 s per build to a CI run of ~28 minutes that must stay under 30, so
        # they run only the tests marked debug_builds: record, attach and dump of whole stacks
        # (nested, recursion, classes, threads, generators, 5,000 frames deep), with and without
        # --blocking, and --blocking's single-shot signal and target-end cases: about 22 s each.
        with_debug = metafunc.definition.get_closest_marker("debug_builds") is not None
        chosen = [p for p in PYTHONS if with_debug or not p.debug]
        params = [pytest.param(p, id=p.id) for p in chosen]
        if not chosen:
            params.append(pytest.param(None, id="none", marks=pytest.mark.skip(
                reason="NO PYTHON INTERPRETER FOUND: nothing was profiled")))
        if SID_MISSING:
            params.append(pytest.param(None, id="sid-missing", marks=pytest.mark.skip(
                reason="DEBIAN 3.13/3.14/3.15 (AND 3.13d-3.15d) NOT TESTED: " + SID_MISSING)))
        metafunc.parametrize("python", params)
    if "sid_python" in metafunc.fixturenames:
        # only the chroot's python3.13-3.15: statically linked, _PyRuntime in the executable
        # (the tests that patch a copy of it; the debug builds add nothing to them)
        params = [pytest.param(p, id=p.id) for p in PYTHONS if p.kind == "sid" and not p.debug]
        if SID_MISSING:
            params.append(pytest.param(None, id="sid-missing", marks=pytest.mark.skip(
                reason="DEBIAN 3.13/3.14/3.15 NOT TESTED: " + SID_MISSING)))
        metafunc.parametrize("sid_python", params)


@pytest.fixture(scope="session", autouse=True)
def ptrace_allowed():
    """Skip everything loudly when this user may not read other processes' memory."""
    if not os.access(PYINSTR, os.X_OK):
        pytest.exit("pyinstr binary not found at %s (set PYINSTR)" % PYINSTR, returncode=1)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.3)
        out = subprocess.run([PYINSTR, "dump", "--pid", str(proc.pid)], capture_output=True,
                             text=True, timeout=30)
        if out.returncode == 5:
            pytest.skip("NO PTRACE RIGHT: pyinstr may not read process memory here "
                        "(%s)" % out.stderr.strip(), allow_module_level=True)
    finally:
        proc.kill()
        proc.wait()


def target_lines(name):
    """{marker: line} from the '# LINE marker' comments of a target file."""
    lines = {}
    for i, text in enumerate((TARGETS / name).read_text(encoding="utf-8").splitlines(), 1):
        m = re.search(r"# LINE (\w+)", text)
        if m:
            lines[m[1]] = i
    return lines


FRAME_RE = re.compile(r"^(?P<name>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def parse_collapsed(text):
    """[(frames, weight)], frames = [(name, file basename, line)], root (thread) first."""
    stacks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, _, weight = line.rpartition(" ")
        frames = []
        for part in stack.split(";"):
            m = FRAME_RE.match(part)
            assert m, "unparsable frame %r in line %r" % (part, line)
            frames.append((m["name"], os.path.basename(m["file"]), int(m["line"])))
        stacks.append((frames, int(weight)))
    return stacks


def heaviest(stacks, root=None):
    """The stack with the largest weight (optionally only under one thread root)."""
    cand = [s for s in stacks if root is None or s[0][0] == root]
    assert cand, "no samples%s" % ("" if root is None else " under %r" % (root,))
    return max(cand, key=lambda s: s[1])


def python_frames(frames):
    """Drop the thread root."""
    assert frames[0][1] == "<thread>", frames[0]
    return frames[1:]


def http_load(port, stop, counts):
    """HTTP requests to 127.0.0.1:@port in a loop until @stop, a new connection (so a new thread
    of a threaded server) each, bounded; appends how many were served to @counts."""
    import urllib.request
    n = 0
    while not stop.is_set() and n < 100000:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5) as r:
                r.read()
            n += 1
        except OSError:
            time.sleep(0.01)
    counts.append(n)


def attach_server_under_load(python, session, seconds, clients, extra=()):
    """`attach -d @seconds -o @session` to targets/http_server.py (a ThreadingHTTPServer) while
    @clients threads send it requests; returns pyinstr's CompletedProcess and the number of
    requests served."""
    import threading
    server = subprocess.Popen([*python.argv, str(TARGETS / "http_server.py")],
                              stdout=subprocess.PIPE, text=True, cwd=str(TARGETS))
    stop = threading.Event()
    counts, threads = [], []
    try:
        port = int(server.stdout.readline())
        threads = [threading.Thread(target=http_load, args=(port, stop, counts))
                   for _ in range(clients)]
        for c in threads:
            c.start()
        time.sleep(0.3)
        out = subprocess.run([PYINSTR, "attach", "--pid", str(server.pid), "-d", str(seconds),
                              *extra, "-o", str(session)], capture_output=True, text=True,
                             timeout=60)
    finally:
        stop.set()
        for c in threads:
            c.join()
        server.kill()
        server.wait()
    return out, sum(counts)


def run_pyinstr(args, timeout=120, **kw):
    return subprocess.run([PYINSTR] + args, capture_output=True, text=True, timeout=timeout, **kw)


def record(python, target, *args, extra=(), timeout=120, env=None):
    """pyinstr record -r collapsed -- python target args; returns (CompletedProcess, stacks)."""
    out = run_pyinstr(["record", "-r", "collapsed", *extra, "--", *python.argv,
                       str(TARGETS / target), *args], timeout=timeout, cwd=str(TARGETS),
                      env=env)
    stacks = parse_collapsed(out.stdout) if out.returncode == 0 else []
    return out, stacks


class Target:
    """A target started in the background; waits for its 'ready' line."""

    def __init__(self, python, target, *args):
        # for a chroot, the pid is chroot(8)'s, which execs the interpreter
        self.proc = subprocess.Popen([*python.argv, str(TARGETS / target), *args],
                                     cwd=str(TARGETS), stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", "target did not start: %r" % line

    @property
    def pid(self):
        return self.proc.pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

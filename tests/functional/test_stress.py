"""Torn-read stress: pyinstr attached in non-blocking mode at 10 kHz to a target that creates
and destroys threads, recurses deeply and runs generators as fast as it can (churn.py). Frames
are freed and reused under the sampler, so many reads are torn: pyinstr must not crash or
hang, every reported frame must be a real function (of churn.py, or the threading/importlib
machinery it runs through) and the dropped samples must be counted and reported.

By default two interpreters run for 10 s each (the ≤3.10 frame-object walker and the newest
interpreter-frame one); the manual long run is
    PYINSTR_STRESS_SECONDS=60 PYINSTR_STRESS_VERSIONS=all \
        meson test -C build test_stress --print-errorlogs
PYINSTR_STRESS_VERSIONS is "all" or a comma-separated list of major.minor versions ("3.14d" for
the chroot's debug build)."""
import json
import os
import re
import shutil
import subprocess
import types

import pytest

from conftest import PYINSTR, TARGETS, Target, parse_collapsed, python_frames
from pythons import PYTHONS, SID_MISSING

SECONDS = float(os.environ.get("PYINSTR_STRESS_SECONDS", "10"))
# the target's dozens of spinning threads on CPU 1, pyinstr on CPU 0: unpinned, on a machine
# busy with CI's other tests, pyinstr got a slice every few ms among them (148 rounds a second
# for the 10,000 asked, 7,676 samples in 10 s, where a quiet machine gives 190,000)
PIN = shutil.which("taskset") if (os.cpu_count() or 1) >= 2 else None
VERSIONS = os.environ.get("PYINSTR_STRESS_VERSIONS", "3.10,3.14")
SUMMARY_RE = re.compile(r"pyinstr: (\d+) samples, (\d+) dropped \(([\d.]+)%\), (\d+) threads?")
CAUSES_RE = re.compile(r"torn at first read / dropped by cause:(.*)")

# Every function name defined by the files a churn.py stack can pass through, as the target
# interpreter itself compiles them.
NAMES = r'''
import json, sys, threading, _weakrefset
def walk(code):
    yield code.co_name
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield from walk(c)
out = {}
for path in (sys.argv[1], threading.__file__, _weakrefset.__file__):
    out[path.rsplit("/", 1)[-1]] = sorted(set(walk(compile(open(path).read(), path, "exec"))))
print(json.dumps(out))
'''


def stress_pythons():
    if VERSIONS == "all":
        return PYTHONS
    chosen = []
    for v in VERSIONS.split(","):
        found = [p for p in PYTHONS if "%d.%d%s" % (*p.version[:2], p.abiflags) == v]
        chosen += found[-1:]  # one per version (the chroot's, or the last found)
    return chosen


def pytest_generate_tests(metafunc):
    if "stress_python" in metafunc.fixturenames:
        params = [pytest.param(p, id=p.id) for p in stress_pythons()]
        if not params:
            reason = "NO INTERPRETER OF %s FOUND for the stress test" % VERSIONS
            if SID_MISSING:
                reason += " (" + SID_MISSING + ")"
            params.append(pytest.param(None, id="none", marks=pytest.mark.skip(reason=reason)))
        metafunc.parametrize("stress_python", params)


def known_names(python):
    out = subprocess.run([*python.argv, "-c", NAMES, str(TARGETS / "churn.py")],
                         capture_output=True, text=True, check=True, cwd=str(TARGETS))
    return {f: set(names) for f, names in json.loads(out.stdout).items()}


def test_churn_10khz_nonblocking(stress_python):
    known = known_names(stress_python)
    lines = len((TARGETS / "churn.py").read_text().splitlines())
    pinned = types.SimpleNamespace(argv=[PIN, "-c", "1", *stress_python.argv] if PIN
                                   else stress_python.argv)
    with Target(pinned, "churn.py", str(SECONDS + 30), "ready") as t:
        out = subprocess.run([*([PIN, "-c", "0"] if PIN else []), PYINSTR, "attach", "--pid", str(t.pid), "-d", str(SECONDS),
                              "-i", "0.0001", "-r", "collapsed"],
                             capture_output=True, text=True, timeout=SECONDS + 60,
                             env=dict(os.environ, PYINSTR_DROP_CAUSES="1"))
        assert out.returncode == 0, out.stderr
        assert t.proc.poll() is None, "the target died"
    summary = SUMMARY_RE.search(out.stderr)
    assert summary, "no summary line: %r" % out.stderr
    samples, dropped = int(summary[1]), int(summary[2])
    print(out.stderr.strip())
    assert samples > 1000 * SECONDS, "too few samples: %s" % out.stderr
    bad = []
    stacks = parse_collapsed(out.stdout)
    for frames, _ in stacks:
        for name, file, line in python_frames(frames):
            func = name.rsplit(".", 1)[-1]  # "Thread.run": the class is not in co_name
            if "importlib" in file:
                continue
            if func not in known.get(file, ()) or line < 0 or \
                    (file == "churn.py" and line > lines):
                bad.append((name, file, line))
    assert not bad, "frames that are no function of the target: %s" % sorted(set(bad))[:20]
    assert stacks
    # drops are counted; a torn walk is normal here, but most must succeed
    assert dropped <= samples, out.stderr
    # and each has its cause (PYINSTR_DROP_CAUSES): the causes add up to the drops
    causes = CAUSES_RE.search(out.stderr)
    assert causes, "no drop causes line: %r" % out.stderr
    by_cause = [int(d) for _, _, d in re.findall(r"([a-z' ()]+) (\d+)/(\d+)", causes[1])]
    assert sum(by_cause) == dropped, out.stderr

"""The real pyinstrument (Debian's python3-pyinstrument 5.1.3 in the Debian-unstable chroot,
for its python3.14 and python3.15) and pyinstr read each other's .pyisession files (issue 16):
pyinstrument loads every session pyinstr records (it used to fail: `IndexError: pop from an
empty deque` in Session._trim_stem, for an empty start_call_stack) and renders it as text
exactly as pyinstr renders the same session; pyinstr loads what pyinstrument records and
renders it exactly as pyinstrument does. pyinstr writes a thread's identical consecutive samples
as one record (test_merged_session)."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import PYINSTR, PYTHONS, TARGETS, run_pyinstr
from pythons import SID_CHROOT

# real programs of the standard library and the test targets, each a few hundred ms; one
# thread each (pyinstr draws one tree per thread where pyinstrument puts them under a [root]:
# see test_threads_load below)
PROGRAMS = [
    ["nested.py", "0.5"],
    ["classes.py", "0.5"],
    ["-m", "json.tool", str(TARGETS / "nested.py")],  # not JSON: an error, status 1
]


def has_pyinstrument(python):
    return subprocess.run([*python.argv, "-c", "import pyinstrument"],
                          capture_output=True).returncode == 0


def need_pyinstrument(python):
    if python.version < (3, 14):
        pytest.skip("SKIPPED: Debian's python3-pyinstrument is built for 3.14 and 3.15 only, "
                    "not %s" % python.id)
    if not has_pyinstrument(python):
        pytest.skip("SKIPPED: NO pyinstrument in %s for %s (tools/sid-chroot.sh installs "
                    "python3-pyinstrument)" % (SID_CHROOT, python.id))


def argv_of(prog):
    return [str(TARGETS / prog[0]), *prog[1:]] if prog[0].endswith(".py") else prog


def body(text):
    """A text report below its header (the header has the recording's time and the name of
    the program that rendered it)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("Program:", "Profile at")):
            return "\n".join(lines[i:])
    return text


def pyinstrument_text(python, inside_path, tmp_path):
    out = subprocess.run([*python.argv, "-m", "pyinstrument", "--load", inside_path, "-r",
                          "text", "--no-color", "--unicode", "-o", "/tmp/pyinstr-test.txt"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    with open(SID_CHROOT + "/tmp/pyinstr-test.txt", encoding="utf-8") as f:
        return f.read()


def pyinstr_text(path, tmp_path):
    # a root per thread, as pyinstrument draws them (pyinstr's default joins threads of one
    # role)
    report = tmp_path / "pyinstr.txt"
    out = run_pyinstr(["--load", path, "-r", "text", "--no-color", "--unicode",
                       "--split-threads", "-o", str(report)])
    assert out.returncode == 0, out.stderr
    return report.read_text(encoding="utf-8")


@pytest.mark.parametrize("prog", PROGRAMS, ids=lambda p: p[0] if p[0] != "-m" else p[1])
def test_pyinstrument_loads_pyinstr_sessions(sid_python, prog, tmp_path):
    need_pyinstrument(sid_python)
    inside = "/tmp/pyinstr-test-%s.pyisession" % sid_python.id
    out = run_pyinstr(["record", "-q", "-r", "pyisession", "-o", SID_CHROOT + inside, "--",
                       *sid_python.argv, *argv_of(prog)], cwd=str(TARGETS))
    assert out.returncode in (0, 1), out.stderr
    theirs = pyinstrument_text(sid_python, inside, tmp_path)
    ours = pyinstr_text(SID_CHROOT + inside, tmp_path)
    assert "No samples were recorded" not in ours, ours
    assert body(theirs) == body(ours)


@pytest.mark.parametrize("prog", PROGRAMS[:2], ids=lambda p: p[0])
def test_pyinstr_loads_pyinstrument_sessions(sid_python, prog, tmp_path):
    need_pyinstrument(sid_python)
    inside = "/tmp/pyinstrument-test-%s.pyisession" % sid_python.id
    out = subprocess.run([*sid_python.argv, "-m", "pyinstrument", "-r", "pyisession", "-o",
                          inside, *argv_of(prog)], capture_output=True, text=True,
                         timeout=120, cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    theirs = pyinstrument_text(sid_python, inside, tmp_path)
    ours = pyinstr_text(SID_CHROOT + inside, tmp_path)
    assert body(theirs) == body(ours)


def test_pyinstrument_loads_every_interpreters_session(python, tmp_path):
    """A session recorded from every interpreter pyinstr profiles (pyenv 3.8-3.13, Debian's
    3.11, the chroot's 3.13-3.15): pyinstrument 5.1.3 (the chroot's python3.14) loads it and
    renders it exactly as pyinstr does."""
    loader = [p for p in PYTHONS if p.kind == "sid" and p.version[:2] == (3, 14) and not p.debug]
    if not loader:
        pytest.skip("SKIPPED: NO Debian python3.14 in %s to run pyinstrument" % SID_CHROOT)
    need_pyinstrument(loader[0])
    inside = "/tmp/pyinstr-test-every-%s.pyisession" % python.id
    out = run_pyinstr(["record", "-q", "-r", "pyisession", "-o", SID_CHROOT + inside, "--",
                       *python.argv, str(TARGETS / "classes.py"), "0.5"], cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    theirs = pyinstrument_text(loader[0], inside, tmp_path)
    ours = pyinstr_text(SID_CHROOT + inside, tmp_path)
    assert "No samples were recorded" not in ours, ours
    assert body(theirs) == body(ours)


def test_threads_load(sid_python, tmp_path):
    """A session of five threads: pyinstrument loads it and shows each thread with the time
    pyinstr shows for it (it puts them under a [root]; pyinstr draws a tree each)."""
    need_pyinstrument(sid_python)
    inside = "/tmp/pyinstr-test-threads-%s.pyisession" % sid_python.id
    out = run_pyinstr(["record", "-q", "-r", "pyisession", "-o", SID_CHROOT + inside, "--",
                       *sid_python.argv, str(TARGETS / "threads.py"), "0.5"], cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    theirs = pyinstrument_text(sid_python, inside, tmp_path)
    ours = pyinstr_text(SID_CHROOT + inside, tmp_path)

    def thread_lines(text):
        return sorted(re.sub(r"^[\s│├└─]*", "", l) for l in text.splitlines()
                      if "<thread>:" in l)
    assert len(thread_lines(ours)) == 5, ours
    assert thread_lines(theirs) == thread_lines(ours), (theirs, ours)


def test_merged_session(sid_python, tmp_path):
    """A program asleep or spinning on one line most of the time: the session that a text
    report keeps for --load-prev holds a record per run of identical samples, far fewer records
    than its sample_count (the samples taken, as the report's header says), and pyinstr
    (--load-prev) and pyinstrument (--load) render it exactly as the report printed when it was
    recorded."""
    need_pyinstrument(sid_python)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path))
    out = run_pyinstr(["record", "-q", "--no-color", "--unicode", "--", *sid_python.argv,
                       str(TARGETS / "sleep_spin.py"), "0.6"], cwd=str(TARGETS), env=env)
    assert out.returncode == 0, out.stderr
    m = re.search(r"pyinstr --load-prev (\S+)", out.stdout)
    assert m, out.stdout
    direct = out.stdout[:out.stdout.index("To view this report")]
    stored = tmp_path / "pyinstr" / "reports" / (m.group(1) + ".pyisession")
    data = json.loads(stored.read_text(encoding="ascii"))
    samples = int(re.search(r"Samples:\s+(\d+)", direct).group(1))
    assert data["sample_count"] == samples
    assert len(data["frame_records"]) * 5 < samples, (len(data["frame_records"]), samples)
    assert "nap" in direct and "spin" in direct, direct
    print("%d samples in %d records, %d bytes" % (samples, len(data["frame_records"]),
                                                  stored.stat().st_size))

    report = tmp_path / "again.txt"
    again = run_pyinstr(["--load-prev", m.group(1), "--no-color", "--unicode", "-o",
                         str(report)], env=env)
    assert again.returncode == 0, again.stderr
    assert body(report.read_text(encoding="utf-8")) == body(direct)

    inside = "/tmp/pyinstr-test-merged-%s.pyisession" % sid_python.id
    shutil.copyfile(stored, SID_CHROOT + inside)
    theirs = pyinstrument_text(sid_python, inside, tmp_path)
    assert body(theirs) == body(direct)

"""Bad input: each case gives one clear line on stderr and its documented exit status
(README, "Exit status"), and leaves nothing behind."""
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import PYINSTR, PYTHONS, TARGETS, Target, run_pyinstr
from pythons import set_debug_offsets, strip_section_headers


def one_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pyinstr: "), stderr
    return lines[0]


def free_pid():
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists("/proc/%d" % pid):
            return pid
    pytest.skip("no free pid")


def test_no_such_pid():
    out = run_pyinstr(["attach", "--pid", str(free_pid())])
    assert out.returncode == 6
    assert "no process with pid" in one_line(out.stderr)
    out = run_pyinstr(["dump", "--pid", str(free_pid())])
    assert out.returncode == 6


def test_not_python():
    proc = subprocess.Popen(["sleep", "100"])
    try:
        time.sleep(0.1)
        for cmd in (["attach", "--pid", str(proc.pid), "-d", "1"], ["dump", "--pid", str(proc.pid)]):
            out = run_pyinstr(cmd)
            assert out.returncode == 3
            assert "is not a Python process" in one_line(out.stderr)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def old_pythons():
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("pyenv") else ""
    found = []
    for v in ("2.7", "3.6", "3.7"):
        for d in sorted(Path(root, "versions").glob(v + ".*")) if root else []:
            exe = d / "bin" / ("python" + v)
            if exe.exists():
                found.append((str(exe), d.name))
    return found


@pytest.mark.parametrize("exe,version", old_pythons() or [pytest.param(
    None, None, marks=pytest.mark.skip(reason="NO PYTHON 2.7/3.6/3.7 INSTALLED: unsupported-version case not run"))])
def test_unsupported_version(exe, version):
    msg = "Python %s is not supported; pyinstr supports 3.8–3.15" % version
    out = run_pyinstr(["record", "--", exe, "-c", "import time; time.sleep(5)"])
    assert out.returncode == 4
    assert one_line(out.stderr) == "pyinstr: " + msg
    proc = subprocess.Popen([exe, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.5)
        out = run_pyinstr(["attach", "--pid", str(proc.pid)])
        assert out.returncode == 4
        assert one_line(out.stderr) == "pyinstr: " + msg
    finally:
        proc.kill()
        proc.wait()


def test_future_version(sid_python):
    """A version with no _Py_DebugOffsets layout (a 3.16 cookie) is named and refused, never
    read as garbage, when found by symbol and when found by the cookie scan."""
    msg = "pyinstr: Python 3.16.0 is not supported; pyinstr supports 3.8–3.15"

    def future(elf):
        set_debug_offsets(elf, version=0x031000f0)

    def future_without_sections(elf):
        future(elf)
        strip_section_headers(elf)

    for python in (sid_python.modified_copy("py316", future),
                   sid_python.modified_copy("py316-nosections", future_without_sections)):
        out = run_pyinstr(["record", "--", *python.argv, "-c", "import time; time.sleep(5)"])
        assert out.returncode == 4, out.stderr
        assert one_line(out.stderr) == msg
        with Target(python, "sleeper.py", "30", "ready") as t:
            for cmd in (["attach", "--pid", str(t.pid), "-d", "1"], ["dump", "--pid", str(t.pid)]):
                out = run_pyinstr(cmd)
                assert out.returncode == 4, out.stderr
                assert one_line(out.stderr) == msg
            assert t.proc.poll() is None


def test_free_threaded_refused(sid_python):
    """A free-threaded build (no Debian package yet: the flag is patched into a standard
    interpreter) is named and refused."""
    python = sid_python.modified_copy("ft", lambda elf: set_debug_offsets(elf, free_threaded=1))
    v = "%d.%d.%d" % python.version
    with Target(python, "sleeper.py", "30", "ready") as t:
        out = run_pyinstr(["attach", "--pid", str(t.pid), "-d", "1"])
        assert out.returncode == 4, out.stderr
        assert one_line(out.stderr) == (
            "pyinstr: process %d runs a free-threaded (no-GIL) Python %s, which pyinstr does not "
            "support yet; profile a standard build" % (t.pid, v))
        assert t.proc.poll() is None


def test_permission_denied():
    """An unprivileged user may not read a root process."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("NEEDS ROOT AND setpriv to run pyinstr as another user")
    if not PYTHONS:
        pytest.skip("NO PYTHON INTERPRETER FOUND")
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    exe = os.path.join(tmp, "pyinstr")
    shutil.copy(PYINSTR, exe)
    os.chmod(exe, 0o755)
    try:
        with Target(PYTHONS[0], "sleeper.py", "30") as t:
            out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  exe, "attach", "--pid", str(t.pid), "-d", "1"],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 5, out.stderr
            line = one_line(out.stderr)
            assert "permission denied" in line and "ptrace_scope" in line
            assert "CAP_SYS_PTRACE" in line and "SYS_PTRACE" in line
    finally:
        shutil.rmtree(tmp)


def test_record_missing_command():
    out = run_pyinstr(["record", "--", "no-such-command-pyinstr"])
    assert out.returncode == 127
    assert "command not found: no-such-command-pyinstr" in one_line(out.stderr)


def test_record_not_python():
    out = run_pyinstr(["record", "--", "/bin/true"])
    assert out.returncode == 3
    assert "before a Python interpreter started" in one_line(out.stderr)


def test_record_never_python_timeout():
    out = run_pyinstr(["record", "--start-timeout", "0.5", "--", "sleep", "5"])
    assert out.returncode == 3
    assert "did not start a Python interpreter" in one_line(out.stderr)


def test_script_not_found():
    out = run_pyinstr(["no_such_script.py"])
    assert out.returncode == 1
    assert out.stderr.strip() == "Error: program no_such_script.py not found!"


@pytest.mark.parametrize("args,needle", [
    (["attach"], "attach needs --pid"),
    (["attach", "--pid", "abc"], "--pid expects a process id"),
    (["record"], "record needs a command"),
    (["record", "-i", "fast", "--", "python3"], "--interval expects a number"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
])
def test_usage_errors(args, needle):
    out = run_pyinstr(args)
    assert out.returncode == 2
    assert needle in one_line(out.stderr)


def test_output_file_not_truncated_on_failure(tmp_path):
    """A run that fails before writing leaves an existing report as it was."""
    report = tmp_path / "report.txt"
    report.write_text("previous report\n")
    out = run_pyinstr(["record", "-r", "collapsed", "-o", str(report), "--", "/bin/true"])
    assert out.returncode == 3
    assert report.read_text() == "previous report\n"


def test_unwritable_outfile_fails_before_running(tmp_path):
    """An -o in a folder that does not exist is refused at once, before anything runs."""
    marker = tmp_path / "ran"
    out = run_pyinstr(["record", "-o", "/nonexistent-pyinstr/x.txt", "--", "sh", "-c",
                       "touch %s" % marker])
    assert out.returncode == 2
    assert "cannot write /nonexistent-pyinstr/x.txt" in one_line(out.stderr)
    assert not marker.exists()


SESSION = Path(__file__).resolve().parents[1] / "report" / "conformance" / "basic" / "session.pyisession"


def test_outfile_fifo_written_in_place(tmp_path):
    """-o naming something that is not a regular file (a FIFO here; /dev/null or /dev/stdout
    alike) is written in place: renaming a temp file over it would replace it, and as root
    a rename over /dev/null succeeds."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    # opened before pyinstr starts, without blocking: a pyinstr that renamed a file over the
    # FIFO would never open it, and a blocking open would hang here instead of failing
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    proc = subprocess.run([PYINSTR, "--load", str(SESSION), "-r", "collapsed", "-o", str(fifo)],
                          capture_output=True, text=True, timeout=60)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    data = b"".join(chunks).decode()
    assert proc.returncode == 0, proc.stderr
    assert data.strip() and all(line.rsplit(" ", 1)[1].isdigit() for line in data.splitlines())
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]


def test_outfile_symlink_keeps_the_link(tmp_path):
    """Through a symlink the file it points to gets the report and the link stays a link."""
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    out = run_pyinstr(["--load", str(SESSION), "-r", "collapsed", "-o", str(link)])
    assert out.returncode == 0, out.stderr
    assert link.is_symlink()
    assert real.read_text() != "old\n" and real.read_text().strip()


def test_session_cut_short_while_loading(tmp_path):
    """A .pyisession is mapped while it is read: cut short by another process meanwhile, the
    lost pages raise SIGBUS, which pyinstr reports as a truncated session (exit 7), never a
    crash. Each run either finished before the cut (0) or says so (7)."""
    tool = Path(PYINSTR).parents[1] / "tests" / "report" / "bench-render"
    if not tool.exists():
        pytest.skip("SKIPPED: %s not built (meson -Dtests=enabled)" % tool)
    big = tmp_path / "big.pyisession"
    subprocess.run([str(tool), "300000", "pyisession", str(big)], check=True,
                   capture_output=True, timeout=120)
    outcomes = []
    for delay in (0.005, 0.02, 0.05, 0.1, 0.2):
        cut = tmp_path / "cut.pyisession"
        shutil.copy(big, cut)
        proc = subprocess.Popen([PYINSTR, "--load", str(cut), "-r", "collapsed", "-o",
                                 str(tmp_path / "out")], stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        os.truncate(cut, 1000)
        _, err = proc.communicate(timeout=120)
        outcomes.append(proc.returncode)
        assert proc.returncode in (0, 7), (delay, proc.returncode, err)
        if proc.returncode == 7:
            assert "cut short" in one_line(err) or "truncated" in one_line(err)
    print("outcomes by delay:", outcomes)


def _loaded_session(tmp_path):
    """A real recording saved as a session, so that only the writing is tested."""
    session = tmp_path / "s.pyisession"
    out = run_pyinstr(["record", "-q", "-o", str(session), "--", PYTHONS[0].argv[0], "-c",
                       "import time\nend = time.monotonic() + 0.3\n"
                       "while time.monotonic() < end: pass\n"])
    assert out.returncode == 0, out.stderr
    return session


@pytest.mark.skipif(not PYTHONS, reason="NO PYTHON INTERPRETER FOUND")
def test_full_filesystem_says_so(tmp_path):
    """A report that does not fit says 'No space left on device', not 'Input/output error',
    whether -o names the file or stdout is redirected there."""
    session = _loaded_session(tmp_path)
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("CANNOT MOUNT A SMALL TMPFS (not root?): the full-disk case is NOT TESTED")
    try:
        out = run_pyinstr(["--load", str(session), "-r", "html", "-o", str(mnt / "r.html")])
        assert out.returncode == 1
        assert "No space left on device" in out.stderr, out.stderr
        assert not list(mnt.iterdir())  # the temporary file is gone
        with open(mnt / "redirected.html", "w") as f:
            out = subprocess.run([PYINSTR, "--load", str(session), "-r", "html"], stdout=f,
                                 stderr=subprocess.PIPE, text=True, timeout=60)
        assert out.returncode == 1
        assert "No space left on device" in out.stderr, out.stderr
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


@pytest.mark.skipif(not PYTHONS, reason="NO PYTHON INTERPRETER FOUND")
def test_closed_pipe_ends_quietly(tmp_path):
    """`pyinstr … -r html | head -1`: the reader going away is no error."""
    session = _loaded_session(tmp_path)
    p = subprocess.run("'%s' --load '%s' -r html | head -c 20; echo \" ${PIPESTATUS[0]}\""
                       % (PYINSTR, session), shell=True, executable="/bin/bash",
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.startswith("<!DOCTYPE html>"), p.stdout
    assert p.stdout.rstrip().endswith(" 0"), p.stdout
    assert p.stderr == "", p.stderr

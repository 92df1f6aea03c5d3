"""Kill and signal safety: the target is never left stopped, and a report is written with
what was gathered, whatever ends the run."""
import signal
import subprocess
import time

import pytest

from conftest import PYINSTR, Target, parse_collapsed, python_frames, target_lines


def proc_state(pid):
    with open("/proc/%d/status" % pid) as f:
        status = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
    return status["State"][0], int(status["TracerPid"])


def wait_running(pid, timeout=5):
    """The target is running again (not stopped, no tracer) within @timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state, tracer = proc_state(pid)
        if state in "RS" and tracer == 0:
            return True
        time.sleep(0.05)
    return False


def expected_nested():
    lines = target_lines("nested.py")
    return [(name, "nested.py", lines[m]) for name, m in
            (("<module>", "module"), ("outer", "outer"), ("inner", "inner"), ("spin", "spin"))]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("blocking", [False, True], ids=["nonblocking", "blocking"])
def test_signal_during_attach(python, sig, blocking):
    """SIGINT/SIGTERM to pyinstr during attach: it detaches, reports, exits 0."""
    with Target(python, "nested.py", "30", "ready") as t:
        cmd = [PYINSTR, "attach", "--pid", str(t.pid), "-r", "collapsed"]
        if blocking:
            cmd.append("--blocking")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        stacks = parse_collapsed(out)
        frames = max(stacks, key=lambda s: s[1])[0]
        assert python_frames(frames) == expected_nested()
        assert wait_running(t.pid), proc_state(t.pid)
        assert t.proc.poll() is None


def test_pyinstr_killed_in_blocking_mode(python):
    """pyinstr SIGKILLed while it may have threads stopped: the target keeps running."""
    with Target(python, "threads.py", "30", "ready") as t:
        p = subprocess.Popen([PYINSTR, "attach", "--pid", str(t.pid), "--blocking", "-i", "0",
                              "-r", "collapsed"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        p.kill()
        p.wait()
        assert wait_running(t.pid), proc_state(t.pid)
        # and it still makes progress: its CPU time grows
        def cpu():
            with open("/proc/%d/stat" % t.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        c0 = cpu()
        time.sleep(0.5)
        assert cpu() > c0
        assert t.proc.poll() is None


@pytest.mark.parametrize("mode", ["attach", "record"])
def test_target_killed(python, mode):
    """The target SIGKILLed mid-run: the report of what was gathered is still written."""
    if mode == "attach":
        with Target(python, "nested.py", "30", "ready") as t:
            p = subprocess.Popen([PYINSTR, "attach", "--pid", str(t.pid), "-r", "collapsed"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            t.proc.kill()
            out, err = p.communicate(timeout=30)
            assert p.returncode == 0, err
            assert "exited" in err
    else:
        from conftest import TARGETS
        p = subprocess.Popen([PYINSTR, "record", "-r", "collapsed", "--", *python.argv,
                              str(TARGETS / "nested.py"), "30"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        # the python child is pyinstr's only child
        child = int(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                                   text=True).stdout.split()[0])
        import os
        os.kill(child, signal.SIGKILL)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 128 + 9, err
    frames = max(parse_collapsed(out), key=lambda s: s[1])[0]
    assert python_frames(frames) == expected_nested()

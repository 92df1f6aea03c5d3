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


def test_pid_namespace(python):
    """A target in its own PID namespace (a container: unshare --pid): its main thread is
    MainThread (its TIDs in memory are the namespace's), --main-thread finds it, and blocking
    mode stops the right threads (ours are looked up from /proc/PID/task/*/status NSpid)."""
    import shutil
    from conftest import TARGETS
    unshare = shutil.which("unshare")
    if not unshare:
        pytest.skip("NO unshare: the PID-namespace case is NOT TESTED")
    outer = subprocess.Popen([unshare, "--pid", "--fork", "--mount-proc", *python.argv,
                              str(TARGETS / "threads.py"), "30", "ready"],
                             stdout=subprocess.PIPE, text=True, cwd=str(TARGETS))
    try:
        line = outer.stdout.readline()
        if line.strip() != "ready":
            pytest.skip("CANNOT MAKE A PID NAMESPACE here (%r): NOT TESTED" % line)
        # the interpreter: unshare's child (through chroot(8) for the sid ones, which execs)
        kids = subprocess.run(["pgrep", "-P", str(outer.pid)], capture_output=True,
                              text=True).stdout.split()
        pid = int(kids[0])
        for blocking in ([], ["--blocking"]):
            out = subprocess.run([PYINSTR, "attach", "--pid", str(pid), "-d", "0.5", "-q",
                                  "-r", "collapsed", "--split-threads", *blocking],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            stacks = parse_collapsed(out.stdout)
            # five threads (the root frame holds the thread's ident), one of them MainThread
            roots = {s[0][0] for s in stacks}
            names = [r[0] for r in roots]
            assert names.count("MainThread") == 1 and len(roots) == 5, out.stdout
            # its heaviest stack: a sample may catch it just before main_spin
            main = max((s for s in stacks if s[0][0][0] == "MainThread"), key=lambda s: s[1])
            assert python_frames(main[0])[-1][0] == "main_spin", out.stdout
            assert wait_running(pid), proc_state(pid)
            out = subprocess.run([PYINSTR, "attach", "--pid", str(pid), "-d", "0.3", "-q",
                                  "--main-thread", *blocking],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0 and "main_spin" in out.stdout, out.stderr
    finally:
        outer.kill()
        subprocess.run(["pkill", "-KILL", "-P", str(outer.pid)])
        outer.wait()

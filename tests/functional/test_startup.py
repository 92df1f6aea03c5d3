"""Start-up races: `record` must never call a real Python target "not Python" while its
interpreter is still loading (austin fails about one launch in five here for that reason).
500 short launches spread over every interpreter (PYINSTR_STARTUP_LAUNCHES to change), and not
one may fail."""
import os
import stat

import pytest

from conftest import PYTHONS, run_pyinstr

LAUNCHES = int(os.environ.get("PYINSTR_STARTUP_LAUNCHES", "500"))


def test_500_short_launches():
    if not PYTHONS:
        pytest.skip("NO PYTHON INTERPRETER FOUND: start-up races not tested")
    failures = []
    for i in range(LAUNCHES):
        python = PYTHONS[i % len(PYTHONS)]
        # a program that is over in milliseconds: the race window is all there is
        out = run_pyinstr(["record", "-q", "-r", "collapsed", "-o", os.devnull, "--",
                           *python.argv, "-c", "x = 1"], timeout=60)
        if out.returncode != 0:
            failures.append((python.id, out.returncode, out.stderr.strip()))
    print("%d launches over %d interpreters, %d failed" % (LAUNCHES, len(PYTHONS), len(failures)))
    assert not failures, failures[:10]
    # -o /dev/null is written in place: a report renamed over it would leave a regular file
    # there (as root), and every later `>/dev/null` in the machine would fill it
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode), "%s is no longer a device" % os.devnull


def test_python_over_before_first_sample(tmp_path):
    """`python --version` is Python but exits before its interpreter is initialised: once
    pyinstr has seen the Python in it, the run is an empty profile (pyinstrument's "No
    samples were recorded.") with the program's own status, never "not Python". Seeing it is a
    race: `--version` alone is over in 3 ms, which a loaded CI machine misses every time, so
    100,000 arguments follow it (decoded before the version is printed: ~90 ms), and at least
    one of 10 launches must be seen."""
    if not PYTHONS:
        pytest.skip("NO PYTHON INTERPRETER FOUND: start-up races not tested")
    python = PYTHONS[0]
    report = tmp_path / "report.txt"
    seen = 0
    for _ in range(10):
        out = run_pyinstr(["record", "-r", "text", "-o", str(report), "--", *python.argv,
                           "--version", *map(str, range(100000))], timeout=60)
        assert out.returncode in (0, 3), out.stderr
        if out.returncode == 0:
            seen += 1
            assert "before its first sample" in out.stderr
            assert "No samples were recorded." in report.read_text()
    print("%s --version: seen as Python in %d of 10 launches" % (python.id, seen))
    assert seen, "never seen as Python in 10 launches"


def test_python_never_seen_is_still_python(tmp_path):
    """`python --version` is over in about 3 ms, too soon for pyinstr to see an interpreter in
    it most times; what it ran (an ELF file that defines _PyRuntime or needs a libpython, or a
    "#!" script run by one) says that it was Python: an empty profile and its own status, every
    time, never "not Python"."""
    local = [p for p in PYTHONS if p.kind != "sid"]
    if not local:
        pytest.skip("NO LOCAL PYTHON INTERPRETER FOUND: not tested")
    report = tmp_path / "report.txt"
    script = tmp_path / "version.py"
    for python in local:
        script.write_text("#!%s -S\n" % python.exe)  # an empty program: over at once
        script.chmod(0o755)
        # and through a wrapper that execs it (env, a shell): its name is all that is left
        wrapped = (["env", python.exe, "-S", "--version"],
                   ["sh", "-c", "exec %s -S --version" % python.exe])
        for argv in ([*python.argv, "--version"], [str(script)], *wrapped):
            out = run_pyinstr(["record", "-r", "text", "-o", str(report), "--", *argv],
                              timeout=60)
            assert out.returncode == 0, (argv, out.stderr)
            if "--version" in argv:
                assert "No samples were recorded." in report.read_text()
    # and a program that is not Python is still told so
    for argv in (["/bin/true"], ["env", "/bin/true"]):
        out = run_pyinstr(["record", "--", *argv])
        assert out.returncode == 3 and "before a Python interpreter" in out.stderr, out.stderr

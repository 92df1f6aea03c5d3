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

"""Subinterpreters (issue 22): a thread that runs code in a subinterpreter has a thread state
in each interpreter. pyinstr reports it once per sample, as one stack: its frames in the main
interpreter, a frame "<interpreter N>", then its frames in the subinterpreter. Before, each
thread state was a thread of its own: a 2 s recording showed 4 s of MainThread."""
import collections
import re
import subprocess
import time

import pytest

from conftest import Target, parse_collapsed, run_pyinstr, target_lines, TARGETS

SECONDS = 1.5


def has_subinterpreters(python):
    r = subprocess.run([*python.argv, "-c", "try:\n import _interpreters\nexcept ImportError:\n"
                        " import _xxsubinterpreters"], capture_output=True)
    return r.returncode == 0


def need_subinterpreters(python):
    if not has_subinterpreters(python):
        pytest.skip("SKIPPED: %s has no _interpreters or _xxsubinterpreters module" % python.id)


def check_stacks(stacks):
    lines = target_lines("subinterp.py")
    roots = collections.Counter()
    for frames, w in stacks:
        roots[frames[0][0]] += w
    # two OS threads: nothing else, and in particular no subinterpreter thread state as a
    # thread of its own
    assert set(roots) == {"MainThread", "sub-runner"}, roots
    spin = {}
    for frames, w in stacks:
        names = [f[0] for f in frames]
        if names[-1] != "sub_spin":
            continue
        # the whole stack: the caller in the main interpreter, the interpreter, the code run
        i = names.index("run_in_sub")
        assert frames[i][1:] == ("subinterp.py", lines["run"]), frames
        assert re.fullmatch(r"<interpreter \d+>", names[i + 1]), frames
        assert frames[i + 1][1] == "<subinterpreter>", frames
        assert names[i + 2:] == ["<module>", "sub_spin"], frames
        assert frames[i + 2][1] in ("<string>", "<script>"), frames  # 3.14: "<script>"
        if frames[0][0] == "MainThread":
            assert frames[1][:1] == ("<module>",) and frames[1][2] == lines["module"], frames
            assert i == 2, frames
        spin[frames[0][0]] = spin.get(frames[0][0], 0) + w
    return roots, spin


@pytest.mark.parametrize("blocking", [False, True], ids=["default", "blocking"])
def test_record_subinterpreters(python, blocking):
    need_subinterpreters(python)
    start = time.monotonic()
    out = run_pyinstr(["record", "-r", "collapsed", *(["--blocking"] if blocking else []), "--",
                       *python.argv, str(TARGETS / "subinterp.py"), str(SECONDS)],
                      cwd=str(TARGETS))
    wall = time.monotonic() - start
    assert out.returncode == 0, out.stderr
    roots, spin = check_stacks(parse_collapsed(out.stdout))
    # each OS thread weighs at most the wall time (it weighed twice as much)
    for root, us in roots.items():
        assert us / 1e6 <= wall * 1.02, (root, us, wall)
    # and most of it is the subinterpreter's busy loop, seen through the whole stack
    for root in ("MainThread", "sub-runner"):
        assert spin.get(root, 0) / 1e6 > 0.7 * SECONDS, (root, spin, roots)
    assert re.search(r"\b2 threads\b", out.stderr), out.stderr


def test_dump_subinterpreters(python):
    need_subinterpreters(python)
    if python.version < (3, 12):
        # with the GIL shared by all interpreters the runner thread of this target sometimes
        # ends early on 3.9/3.10 (CPython's, seen in gdb: one task left), and the thread
        # spinning in its subinterpreter starves the other (the GIL drop request goes to the
        # waiter's interpreter); record's test above covers these versions
        pytest.skip("SKIPPED: dump of subinterpreters is checked on 3.12+ (own GIL each)")
    want = (2,)
    with Target(python, "subinterp.py", "30", "ready") as t:
        text, heads = "", []
        for _ in range(50):  # until the threads are inside their subinterpreters
            time.sleep(0.1)
            out = run_pyinstr(["dump", "--pid", str(t.pid)])
            assert out.returncode == 0, out.stderr
            text = out.stdout
            heads = re.findall(r"^Thread (\d+)", text, re.M)
            if text.count("in sub_spin") in want and len(heads) == 2:
                break
        # each OS thread once, not once per interpreter
        assert len(heads) == len(set(heads)) == 2, text
        assert len(re.findall(r'File "<subinterpreter>", line 0, in <interpreter \d+>\n'
                              r'  File "<(string|script)>", line \d+, in <module>\n'
                              r'  File "<(string|script)>", line \d+, in sub_spin',
                              text)) in want, text

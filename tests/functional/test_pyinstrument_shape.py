"""Reports shaped like pyinstrument's (issue 16): the real pyinstrument 5.1.3 (Debian's
python3-pyinstrument, in the chroot, for python3.14 and 3.15) and `pyinstr record` run the same
programs, and their console reports must have the same root (the program's <module>: no
interpreter start-up, no shutdown, no thread root for one thread, no runpy frames for -m), the
same functions above a 5 % share, and the same libraries in "[N frames hidden]". Their times
are not compared closely: pyinstrument's own overhead (a profile hook on every call) inflates
call-heavy code, so only each one's heaviest path must agree.

Where they differ by design: pyinstrument shows a running C function as a `<built-in>` leaf
(pyinstr gives its time to the calling line, README), so `<built-in>` and `[self]` lines are
left out of the comparison, and frames are compared with --show-all (a C function's
`<built-in>` leaf decides whether its callers form a "[N frames hidden]" group). A `-c` command
is not compared: pyinstrument's report of one starts below the command's own `<module>` (its
remove_first_pyinstrument_frames processor takes that frame for its own `exec`), pyinstr's at
it."""
import re
import subprocess

import pytest

from conftest import TARGETS, run_pyinstr
from pythons import SID_CHROOT
from test_pyinstrument import need_pyinstrument

PROGRAMS = [
    ["nested.py", "1"],
    ["classes.py", "1"],
    ["generators.py", "1"],
    ["json_regex.py", "1.5"],
    ["sleeper.py", "1"],
    ["-m", "timeit", "-n", "12000", "-r", "3", "sorted(range(2000, 0, -1))"],
]
# where the library frames folded away end in a C function, pyinstrument's `<built-in>` leaf
# decides whether they form a group (and which names a cut line shows): not compared until
# pyinstr reports C functions too (issue 17)
NO_LIBS_CHECK = {"json_regex.py", "-m"}
LINE = re.compile(r"^(?P<indent>[\s│├└─]*)(?P<time>\d+\.\d+) (?P<name>.+?)  (?P<file>\S+?)(:\d+)?$")
HIDDEN = re.compile(r"\[(\d+) frames hidden\]\s+(.*)$")


def parse(text):
    """(root (name, file), {(name, file): time} of every line, {hidden library names}, total)."""
    body = text[text.index("\n\n", text.index("Program:")):]
    frames, libs, root, total, last = {}, set(), None, 0.0, 0.0
    for line in body.splitlines():
        if "To view this report" in line:
            break
        h = HIDDEN.search(line)
        if h:
            names = [x.strip() for x in h[2].split(",")]
            if h[2].endswith("..."):
                names.pop()  # cut to the line's width: the last name may be cut short
            if last >= 0.05 * total:  # a group under a frame of 5 % or more
                libs.update(x for x in names if x)
            continue
        m = LINE.match(line)
        if not m:
            continue
        key = (m["name"], m["file"].rsplit("/", 1)[-1])
        last = float(m["time"])
        if root is None:
            root, total = key, last
        frames[key] = max(frames.get(key, 0.0), last)
    return root, frames, libs, total


def big(frames, total, share=0.05):
    return {k for k, t in frames.items()
            if t >= share * total and k[1] != "<built-in>" and k[0] != "[self]"}


def prog_id(p):
    return "-m" if p[0] == "-m" else "-c" if p[0] == "-c" else p[0]


@pytest.mark.parametrize("prog", PROGRAMS, ids=prog_id)
def test_same_shape_as_pyinstrument(sid_python, prog):
    need_pyinstrument(sid_python)
    argv = [str(TARGETS / prog[0]), *prog[1:]] if prog[0].endswith(".py") else prog
    def pyinstrument(*opts):
        out = subprocess.run([*sid_python.argv, "-m", "pyinstrument", "--no-color", "--unicode",
                              *opts, "-o", "/tmp/pyinstrument-shape.txt", *argv],
                             capture_output=True, text=True, timeout=120, cwd=str(TARGETS))
        assert out.returncode == 0, out.stderr
        with open(SID_CHROOT + "/tmp/pyinstrument-shape.txt", encoding="utf-8") as f:
            return f.read()

    def pyinstr(*opts):
        out = run_pyinstr(["record", "-q", "--no-color", "--unicode", "-r", "text", *opts, "--",
                           *sid_python.argv, *argv], cwd=str(TARGETS))
        assert out.returncode == 0, out.stderr
        return out.stdout

    their_text, our_text = pyinstrument(), pyinstr()
    t_root, _, t_libs, t_total = parse(their_text)
    o_root, _, o_libs, o_total = parse(our_text)
    why = "\n--- pyinstrument ---\n%s\n--- pyinstr ---\n%s" % (their_text, our_text)
    assert o_root == t_root, why
    # the run's length: both measure the program, not the interpreter around it
    assert abs(o_total - t_total) <= max(0.15, 0.2 * t_total), why
    # the libraries folded away under frames of 5 % or more
    if prog[0] not in NO_LIBS_CHECK:
        assert o_libs == t_libs, why
    # a function above 5 % in one is above 2 % in the other (shares move a little: each is a
    # separate run, and pyinstrument's hook slows calls)
    their_text, our_text = pyinstrument("--show-all"), pyinstr("--show-all")
    _, t_frames, _, t_total = parse(their_text)
    _, o_frames, _, o_total = parse(our_text)
    why = "\n--- pyinstrument ---\n%s\n--- pyinstr ---\n%s" % (their_text, our_text)
    assert not big(o_frames, o_total) - big(t_frames, t_total, 0.02), why
    assert not big(t_frames, t_total) - big(o_frames, o_total, 0.02), why

"""Reports shaped like pyinstrument's (issue 16): the real pyinstrument 5.1.3 (Debian's
python3-pyinstrument, in the chroot, for python3.14 and 3.15) and `pyinstr record` run the same
programs, each into a session that its own renderer draws, and their console reports must have
the same root (the program's <module>: no interpreter start-up, no shutdown, no thread root for
one thread, no runpy frames for -m), the same functions above a 5 % share (function and
shortened file, `jinja2/environment.py`), the same libraries in "[N frames hidden]" and
about as many frames in each group; the sessions must hold the same sys.path and sys_prefixes,
from which pyinstrument shortens paths and tells library code from the program's. Their times
are not compared closely: pyinstrument's own overhead (a profile hook on every call) inflates
call-heavy code, so only each one's heaviest path must agree.

The programs: the test targets, `-m timeit`, a Debian-packaged library (jinja2, from
python3-jinja2 in the chroot) and a package in a virtualenv (`python3.X -m venv
--system-site-packages` in the chroot, the package written into its site-packages, the program
run by the venv's python). Debian's python3.11 on the host has no pyinstrument (bookworm ships
none): there pyinstr's report of Flask's test client (Debian's python3-flask) and of a package
in a python3.11 venv is checked against what pyinstrument derives from the process's own
sys.path and prefixes (written by the program at its end): every file shortened against the
closest sys.path entry, library code = under a sys prefix, a group's library = the first part
of a shortened path.

Where they differ by design: pyinstrument shows a running C function as a `<built-in>` leaf
(pyinstr gives its time to the calling line, README), so `<built-in>` and `[self]` lines and
the `<built-in>` library name are left out of the comparison, and frames are compared with
--show-all (a C function's `<built-in>` leaf decides whether its callers form a "[N frames
hidden]" group). A `-c` command is not compared: pyinstrument's report of one starts below the
command's own `<module>` (its remove_first_pyinstrument_frames processor takes that frame for
its own `exec`), pyinstr's at it."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHONS, TARGETS, run_pyinstr
from pythons import SID_CHROOT
from test_pyinstrument import need_pyinstrument

PROGRAMS = [
    ["nested.py", "1"],
    ["classes.py", "1"],
    ["generators.py", "1"],
    ["json_regex.py", "1.5"],
    ["sleeper.py", "1"],
    ["-m", "timeit", "-n", "12000", "-r", "3", "sorted(range(2000, 0, -1))"],
    ["jinja_render.py", "2"],
    # a folder put on sys.path 0.54 s into the run: pyinstr read sys.path at the 1st, 2nd, 4th
    # ... 1024th sample and then every 4096th, so it kept the sys.path of before (the plugin
    # shown as /tmp/pyinstr-late-plugins/late_plugin.py), where pyinstrument records the one
    # at the end
    ["late_path.py", "0.9"],
]
# where the library frames folded away end in a C function, pyinstrument's `<built-in>` leaf
# decides whether they form a group and which of them it hides (json's encoder and scanner are
# C; timeit's `inner` is hidden in pyinstrument's report, where `sorted`, its `<built-in>`
# child, has the time, and shown in pyinstr's, where the time is its own): pyinstr, which
# reports no C function (issue 17), may name fewer libraries, never others. (Under 3.15's
# timeit, pyinstrument's hook also slows the import of _colorize past 1 % of the run: a
# "_colorize, dataclasses" group pyinstr has not.)
NO_LIBS_CHECK = {"json_regex.py", "-m"}
# a program's import and the Debian package that has it (in the chroot)
NEEDS = {"jinja_render.py": ("jinja2", "python3-jinja2")}
# pyinstr's options for a program. jinja2's rendering is short calls (a property, a __new__
# called from C) that on a loaded machine the default mode loses to torn reads: 8-14 % of the
# samples dropped, and LoopContext.last at 0.1-0.4 % of the run against 3.2 % with --blocking
# and 5.4 % under pyinstrument, Markup.__new__ at 1-5 % against 8.4 % and 9 % (2026-12-07,
# load 5-7 on 2 cores; on a quieter machine the default mode had 8.9 % and 2.7 %): issue 15's
# fidelity, not what this program checks (paths and library groups), so it is recorded with
# --blocking
RECORD_OPTS = {"jinja_render.py": ["--blocking"]}
# A function over 5 % of one run must be over FLOOR of the other (the runs differ a little, and
# pyinstrument's profile hook slows every call). jinja2's render is tiny filters called per item:
# the hook makes do_upper (`s.upper()`) 5.1 % of pyinstrument's run where --blocking gives it
# 1.6 % (a CI run, 2026-12-07), so there the floor is 1 %.
FLOOR = {"jinja_render.py": 0.01}
LINE = re.compile(r"^(?P<indent>[\s│├└─]*)(?P<time>\d+\.\d+) (?P<name>.+?)  (?P<file>\S+?)(:\d+)?$")
HIDDEN = re.compile(r"\[(\d+) frames hidden\]\s+(.*)$")
# a group's frame count ("[N frames hidden]") is the number of its hidden tree nodes that pass
# the 1 % threshold, `<built-in>` ones included in pyinstrument's (left out here, from its JSON
# report). In 8 runs of jinja_render.py 2 on 3.14 and 3.15 render's group had 45-49 hidden
# frames in pyinstrument's report, 35-40 without its `<built-in>` ones, and 30-33 in pyinstr's
# with --blocking (its hook makes small, frequent calls pass 1 % more often); in the default
# mode on a loaded machine 13-33 (short calls lost, RECORD_OPTS). The names were the same in
# all. A group may differ by a factor GROUP_RATIO (and 2 frames): a group broken in pieces, or
# swallowing the program's frames, is off by more (and names other libraries)
GROUP_RATIO = 1.5


def parse(text):
    """(root (name, file), {(name, file): time} of every line, {(name, file) of the line above:
    (N, [library names])} of each "[N frames hidden]" under a frame of 5 % or more, total).
    file is the report's shortened path; `<built-in>` is left out of the library names. Imports
    below the root (a `<module>` line and all below it) are left out: under pyinstrument much
    of the standard library is imported before the program starts (161 modules on 3.15, with
    re, typing and inspect), so the program's imports cost it less (jinja2's: 1-2 % of the
    run against 3-5 %)."""
    body = text[text.index("\n\n", text.index("Program:")):]
    frames, groups, root, total, last, last_time = {}, {}, None, 0.0, None, 0.0
    import_depth = None  # the depth of the import being skipped
    for line in body.splitlines():
        if "To view this report" in line:
            break
        h = HIDDEN.search(line)
        if h:
            if import_depth is not None:
                continue
            names = [x.strip() for x in h[2].split(",")]
            if h[2].endswith("..."):
                names.pop()  # cut to the line's width: the last name may be cut short
            if last_time >= 0.05 * total:  # a group under a frame of 5 % or more
                groups[last] = (int(h[1]), [x for x in names if x and x != "<built-in>"])
            continue
        m = LINE.match(line)
        if not m:
            continue
        depth = len(m["indent"]) // 3
        if import_depth is not None and depth > import_depth:
            continue
        import_depth = None
        if root is not None and m["name"] == "<module>":
            import_depth = depth
            continue
        last, last_time = (m["name"], m["file"]), float(m["time"])
        if root is None:
            root, total = last, last_time
        frames[last] = max(frames.get(last, 0.0), last_time)
    return root, frames, groups, total


def libraries(groups):
    return {x for _, names in groups.values() for x in names}


def library_of(short):
    """pyinstrument's library of a shortened path (ConsoleRenderer.libraries_for_frames)."""
    return re.split(r"[\\/\.]", short, maxsplit=1)[0]


def json_groups(report):
    """({library: share of the run in its library frames' own time}, {(name, file) of a group's
    root: how many of its hidden frames are `<built-in>`}) of a JSON report (the console
    renderer hides a group's frames but its root, those with over 20 % of the run in their own
    time and those that call out of the group)."""
    shares, builtins, roots = {}, {}, {}

    def hidden(frame, own):
        return (own <= 0.2 * total and roots[frame["group_id"]] != key(frame)
                and all(c.get("group_id") == frame["group_id"] for c in frame.get("children", ())))

    def key(frame):
        name = frame["function"]
        if frame.get("class_name"):
            name = frame["class_name"] + "." + name
        return name, frame["file_path_short"]

    def walk(frame):
        own = frame["time"] - sum(c["time"] for c in frame.get("children", ()))
        if not frame["is_application_code"] and frame.get("file_path_short"):
            lib = library_of(frame["file_path_short"])
            shares[lib] = shares.get(lib, 0.0) + own
        group = frame.get("group_id")
        if group and group not in roots:
            roots[group] = key(frame)
            builtins[roots[group]] = 0
        if group and frame.get("file_path_short") == "<built-in>" and hidden(frame, own):
            builtins[roots[group]] += 1
        for c in frame.get("children", ()):
            walk(c)

    root = json.loads(report)["root_frame"]
    total = root["time"]
    walk(root)
    return {k: v / root["time"] for k, v in shares.items()}, builtins


def big(frames, total, share=0.05):
    return {k for k, t in frames.items()
            if t >= share * total and k[1] != "<built-in>" and k[0] != "[self]"}


def prog_id(p):
    return "-m" if p[0] == "-m" else "-c" if p[0] == "-c" else p[0]


def need_module(python, module, package):
    out = subprocess.run([*python.argv, "-c", "import " + module], capture_output=True)
    if out.returncode != 0:
        pytest.skip("SKIPPED: NO %s for %s (Debian's %s: tools/sid-chroot.sh and tools/setup.sh "
                    "install it)" % (module, python.id, package))


def session_paths(tag):
    """(where pyinstrument writes its session, inside the chroot; where pyinstr writes its
    own, in the chroot too, so that pyinstrument could load it)."""
    inside = "/tmp/pyinstr-shape-%d-%s" % (os.getpid(), tag)
    return inside + "-theirs.pyisession", SID_CHROOT + inside + "-ours.pyisession"


def record_theirs(python_argv, argv, inside, cwd):
    out = subprocess.run([*python_argv, "-m", "pyinstrument", "-r", "pyisession", "-o", inside,
                          *argv], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert out.returncode == 0, out.stderr


def record_ours(python_argv, argv, path, cwd, opts=()):
    out = run_pyinstr(["record", "-q", *opts, "-r", "pyisession", "-o", path, "--", *python_argv,
                       *argv], cwd=cwd)
    assert out.returncode == 0, out.stderr


def render_theirs(python, inside, *opts, renderer="text"):
    report = inside + "." + renderer
    out = subprocess.run([*python.argv, "-m", "pyinstrument", "--load", inside, "-r", renderer,
                          "--no-color", "--unicode", *opts, "-o", report],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    try:
        return Path(SID_CHROOT + report).read_text(encoding="utf-8")
    finally:
        os.unlink(SID_CHROOT + report)


def render_ours(path, *opts, renderer="text"):
    out = run_pyinstr(["--load", path, "-r", renderer, "--no-color", "--unicode", *opts])
    assert out.returncode == 0, out.stderr
    return out.stdout


def compare(python, theirs, ours, libs="same", floor=0.02):
    """pyinstrument's session at @theirs (inside the chroot) and pyinstr's at @ours have the same
    shape (module docstring). @libs: "same" libraries folded under frames of 5 % or more, or
    "subset" (pyinstr's among pyinstrument's). Returns pyinstr's text report."""
    t_session = json.loads(Path(SID_CHROOT + theirs).read_text(encoding="utf-8"))
    o_session = json.loads(Path(ours).read_text(encoding="utf-8"))
    # what decides shortened paths and library code
    assert o_session["sys_path"] == t_session["sys_path"]
    assert o_session["sys_prefixes"] == t_session["sys_prefixes"]

    their_text, our_text = render_theirs(python, theirs), render_ours(ours)
    report = our_text
    t_root, _, t_groups, t_total = parse(their_text)
    o_root, _, o_groups, o_total = parse(our_text)
    why = "\n--- pyinstrument ---\n%s\n--- pyinstr ---\n%s" % (their_text, our_text)
    assert o_root == t_root, why
    # the run's length: both measure the program, not the interpreter around it (a start-up
    # or shutdown kept would add 0.05-0.5 s). The two runs are one after the other, and a
    # program that does a fixed amount of work takes a third longer or shorter when the
    # machine's load changes between them (20 % failed a few times at a load of 5-7)
    assert abs(o_total - t_total) <= max(0.15, 0.35 * t_total), why
    # the libraries folded away under frames of 5 % or more, and as many frames in a group
    if libs == "same":
        # a library whose frames pass pyinstrument's 1 % threshold in one run and not in the
        # other is named by one only: a library named by one and not the other must have
        # under 2 % of the run in both
        t_shares, t_builtins = json_groups(render_theirs(python, theirs, renderer="json"))
        o_shares, _ = json_groups(render_ours(ours, renderer="json"))
        for lib in libraries(o_groups) ^ libraries(t_groups):
            assert max(t_shares.get(lib, 0), o_shares.get(lib, 0)) < 0.02, (lib, t_shares,
                                                                              o_shares, why)
        # as many frames in a group, but for pyinstrument's `<built-in>` ones
        for key in o_groups.keys() & t_groups.keys():
            n_o, n_t = o_groups[key][0], t_groups[key][0] - t_builtins.get(key, 0)
            assert max(n_o, n_t) <= GROUP_RATIO * min(n_o, n_t) + 2, (key, n_o, n_t, why)
    else:
        # pyinstr's libraries among pyinstrument's, but for one with under 2 % of pyinstr's
        # run, which a short call hit in one run and not the other (3.15's timeit: a sample
        # in dataclasses, under _colorize's theme set-up)
        o_shares, _ = json_groups(render_ours(ours, renderer="json"))
        for lib in libraries(o_groups) - libraries(t_groups):
            assert o_shares.get(lib, 0) < 0.02, (lib, o_shares, why)
    # a function above 5 % in one is above @floor (FLOOR) in the other (shares move a little:
    # each is a separate run, and pyinstrument's hook slows calls)
    their_text = render_theirs(python, theirs, "--show-all")
    our_text = render_ours(ours, "--show-all")
    _, t_frames, _, t_total = parse(their_text)
    _, o_frames, _, o_total = parse(our_text)
    why = "\n--- pyinstrument ---\n%s\n--- pyinstr ---\n%s" % (their_text, our_text)
    only_ours = big(o_frames, o_total) - big(t_frames, t_total, floor)
    only_theirs = big(t_frames, t_total) - big(o_frames, o_total, floor)
    shares = {k: (round(t_frames.get(k, 0) / t_total, 3), round(o_frames.get(k, 0) / o_total, 3))
              for k in only_ours | only_theirs}  # (pyinstrument's, pyinstr's)
    assert not only_ours and not only_theirs, (shares, why)
    return report


@pytest.mark.parametrize("prog", PROGRAMS, ids=prog_id)
def test_same_shape_as_pyinstrument(sid_python, prog):
    need_pyinstrument(sid_python)
    if prog[0] in NEEDS:
        need_module(sid_python, *NEEDS[prog[0]])
    argv = [str(TARGETS / prog[0]), *prog[1:]] if prog[0].endswith(".py") else prog
    theirs, ours = session_paths("%s-%s" % (sid_python.id, prog_id(prog)))
    try:
        record_theirs(sid_python.argv, argv, theirs, str(TARGETS))
        record_ours(sid_python.argv, argv, ours, str(TARGETS), RECORD_OPTS.get(prog[0], ()))
        text = compare(sid_python, theirs, ours,
                       "subset" if prog_id(prog) in NO_LIBS_CHECK else "same",
                       FLOOR.get(prog[0], 0.02))
    finally:
        for f in (SID_CHROOT + theirs, ours):
            if os.path.exists(f):
                os.unlink(f)
    if prog[0] == "jinja_render.py":
        # shortened against /usr/lib/python3/dist-packages, not ../python3/dist-packages/...
        assert re.search(r"Template\.render  jinja2/environment\.py:\d+$", text, re.M), text
        assert "../" not in text and "dist-packages" not in text, text


# ---- shortened paths and library groups as pyinstrument derives them -----------------------


def shorten(path, sys_path):
    """pyinstrument 5.1.3's Session.shorten_path: @path relative to the sys.path entry that
    gives the fewest parts (`jinja2/environment.py`, not `../python3/dist-packages/...`)."""
    result = path
    if len(path.split(os.sep)) > 1:
        for entry in sys_path:
            try:
                candidate = os.path.relpath(path, entry)
            except ValueError:  # '' (python -c)
                continue
            if not result or len(candidate.split(os.sep)) < len(result.split(os.sep)):
                result = candidate
    return result


def application_code(path, prefixes, parent):
    """pyinstrument 5.1.3's Frame.is_application_code (@parent: the caller's)."""
    if any(path.startswith(p) for p in prefixes):
        return False  # in the Python installation or a virtualenv
    if path.startswith("<"):
        return parent if path in ("<string>", "<stdin>") else path.startswith("<ipython-input-")
    return True


def hidden_groups(text):
    """[library names] of every "[N frames hidden]" line (the last cut short: left out)."""
    groups = []
    for h in re.finditer(HIDDEN.pattern, text, re.M):
        names = [x.strip() for x in h[2].split(",")]
        if h[2].endswith("..."):
            names.pop()
        groups.append([x for x in names if x])
    return groups


def check_as_pyinstrument(session_path, truth):
    """pyinstr's session at @session_path holds the sys.path and sys_prefixes that the program
    wrote to @truth at its end (what pyinstrument records), and its reports shorten every file
    and tell library code from the program's as pyinstrument does from them; every library a
    "[N frames hidden]" line names is the first part of a shortened path in that group.
    Returns the text report."""
    with open(truth, encoding="utf-8") as f:
        want = json.load(f)
    session = json.loads(Path(session_path).read_text(encoding="utf-8"))
    assert session["sys_path"] == want["sys_path"]
    assert session["sys_prefixes"] == want["sys_prefixes"]
    report = json.loads(render_ours(session_path, renderer="json"))
    grouped = set()

    def walk(frame, parent_app):
        path = frame.get("file_path") or ""
        if path and not frame["function"].startswith("["):
            assert frame["file_path_short"] == shorten(path, want["sys_path"]), frame
            assert frame["is_application_code"] == application_code(
                path, want["sys_prefixes"], parent_app), frame
            if frame.get("group_id"):
                grouped.add(library_of(frame["file_path_short"]))
        for child in frame.get("children", ()):
            walk(child, frame["is_application_code"])

    walk(report["root_frame"], True)
    text = render_ours(session_path)
    for names in hidden_groups(text):
        assert set(names) <= grouped, (names, grouped, text)
    assert "../" not in text and "-packages/" not in text, text
    return text


def debian_python(module, package):
    """Debian's own interpreter on the host (/usr/bin/python3.X, 3.11 on bookworm) that
    imports @module, else a loud skip."""
    pythons = sorted((p for p in PYTHONS if p.kind == "debian"),
                     key=lambda p: p.version[:2] != (3, 11))
    if not pythons:
        pytest.skip("SKIPPED: NO Debian python3.X in /usr/bin among the tested interpreters")
    for p in pythons:
        if subprocess.run([*p.argv, "-c", "import " + module], capture_output=True).returncode == 0:
            return p
    pytest.skip("SKIPPED: NO %s for Debian's %s (apt-get install %s; tools/setup.sh installs it)"
                % (module, ", ".join(p.id for p in pythons), package))


def test_late_sys_path_on_debian_python(tmp_path):
    """A folder the program puts on sys.path late in its run (late_path.py) is in the session's
    sys.path, as in pyinstrument's, which records it at the end: the plugin's file is
    `late_plugin.py`, not its full path."""
    python = debian_python("json", "python3")
    session, truth = tmp_path / "late.pyisession", tmp_path / "sys.json"
    record_ours(python.argv, [str(TARGETS / "late_path.py"), "0.9", str(truth)], str(session),
                str(TARGETS))
    text = check_as_pyinstrument(session, truth)
    assert re.search(r"run_plugin  late_plugin\.py:\d+$", text, re.M), text


def test_flask_on_debian_python(tmp_path):
    """Debian's python3.11 with bookworm's python3-flask (no pyinstrument for it on the host):
    werkzeug/test.py-style paths and "[N frames hidden]  flask, werkzeug" groups, as
    pyinstrument derives them from the process's own sys.path."""
    python = debian_python("flask", "python3-flask")
    session, truth = tmp_path / "flask.pyisession", tmp_path / "sys.json"
    record_ours(python.argv, [str(TARGETS / "flask_client.py"), "1.5", str(truth)], str(session),
                str(TARGETS))
    text = check_as_pyinstrument(session, truth)
    assert re.search(r"FlaskClient\.get  werkzeug/test\.py:\d+$", text, re.M), text
    assert re.search(r"render_template_string  flask/templating\.py:\d+$", text, re.M), text
    groups = hidden_groups(text)
    assert any({"flask", "werkzeug"} <= set(names) for names in groups), text
    assert any("jinja2" in names for names in groups), text


# ---- a package in a virtualenv --------------------------------------------------------------

TINYPKG = {
    "__init__.py": "from .core import work  # noqa: F401\n",
    "core.py": ("def work(n):\n    return sum(step(i) for i in range(n))\n\n\n"
                "def step(i):\n    return sum(j * j for j in range(i % 50))\n"),
}
VENV_APP = '''"""Calls tinypkg, in the virtualenv's site-packages, for argv[1] seconds; writes its
sys.path and sys_prefixes to argv[2] at the end."""
import json
import sys
import time

import tinypkg


def main(end):
    while time.monotonic() < end:
        tinypkg.work(200)


main(time.monotonic() + float(sys.argv[1]))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump({"sys_path": sys.path, "sys_prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                      sys.base_exec_prefix]}, f)
'''


def make_venv(python, root, outside=""):
    """A `python -m venv --system-site-packages` at @root/venv (@outside + @root on this side:
    the chroot's root for its interpreters), tinypkg in its site-packages, and the program that
    calls it at @root/app/app.py, outside the venv. Returns the venv's python's path."""
    out = subprocess.run([*python.argv, "-m", "venv", "--without-pip", "--system-site-packages",
                          root + "/venv"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pytest.skip("SKIPPED: %s -m venv failed (python3.X-venv missing?): %s"
                    % (python.id, out.stderr.strip()[-300:]))
    site = Path(outside + root, "venv", "lib", "python%d.%d" % python.version[:2],
                "site-packages", "tinypkg")
    site.mkdir(parents=True)
    for name, code in TINYPKG.items():
        (site / name).write_text(code, encoding="utf-8")
    Path(outside + root, "app").mkdir()
    Path(outside + root, "app", "app.py").write_text(VENV_APP, encoding="utf-8")
    return root + "/venv/bin/python"


def check_venv_report(text):
    assert re.search(r"tinypkg/core\.py:\d+$", text, re.M), text
    assert re.search(r"^\S+ <module>  app\.py:1$", text, re.M), text
    assert ["tinypkg"] in hidden_groups(text), text


def test_venv_on_debian_python(tmp_path):
    """A package in a venv of Debian's python3.11 (no pyinstrument for it on the host):
    tinypkg/core.py paths and a "[N frames hidden]  tinypkg" group, as pyinstrument derives
    them from the process's own sys.path and prefixes (the venv's and the base's)."""
    python = debian_python("venv", "python3-venv")
    venv_python = make_venv(python, str(tmp_path))
    session, truth = tmp_path / "venv.pyisession", tmp_path / "sys.json"
    record_ours([venv_python], [str(tmp_path / "app" / "app.py"), "1", str(truth)], str(session),
                str(tmp_path))
    check_venv_report(check_as_pyinstrument(session, truth))


def test_venv_same_as_pyinstrument(sid_python):
    """A venv made by the chroot's python3.14/3.15 (--system-site-packages: the real
    pyinstrument, from dist-packages, runs in it), tinypkg in its site-packages: pyinstrument
    and pyinstr run by the venv's python record the same sys.path and prefixes and draw the
    same shape, with the same tinypkg/core.py paths and "tinypkg" group."""
    need_pyinstrument(sid_python)
    root = "/tmp/pyinstr-shape-venv-%d-%s" % (os.getpid(), sid_python.id)
    shutil.rmtree(SID_CHROOT + root, ignore_errors=True)
    theirs, ours = session_paths("venv-" + sid_python.id)
    try:
        venv_python = [*sid_python.argv[:-1], make_venv(sid_python, root, SID_CHROOT)]
        argv = [root + "/app/app.py", "1", root + "/sys.json"]
        truth = SID_CHROOT + root + "/sys.json"
        record_theirs(venv_python, argv, theirs, SID_CHROOT + root)
        record_ours(venv_python, argv, ours, SID_CHROOT + root)
        text = compare(sid_python, theirs, ours)
        check_venv_report(text)
        check_venv_report(check_as_pyinstrument(ours, truth))
    finally:
        shutil.rmtree(SID_CHROOT + root, ignore_errors=True)
        for f in (SID_CHROOT + theirs, ours):
            if os.path.exists(f):
                os.unlink(f)

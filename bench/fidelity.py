#!/usr/bin/env python3
"""The fidelity benchmark (issue 15): are the default sampler's stacks the ones the target
really had? Real stdlib (and Debian-packaged) workloads are recorded in the same invocation
with pyinstr's default mode, with `--blocking` (the threads stopped for each sample: exact
stacks) and, on 3.12+, with `perf record` on `python -X perf` as an independent referee.

    python3 bench/run.py --only fidelity                 # default interpreters, as is
    python3 bench/fidelity.py --seconds 5 --load         # the same, with every core kept busy
    python3 bench/fidelity.py --all-pythons --json out.json
    python3 bench/fidelity.py --runs 3 --workloads json.tool --pythons pyenv-3.12
    bash bench/fidelity-setup.sh        # once, as root: Debian's sympy, Flask, 3.11 test suite

Per workload and interpreter, one table: rows = mode (default, blocking, perf), columns =
samples, dropped %, cut-off % (share of the main thread's samples whose outermost frame is not
the program's real entry: runpy's `_run_module_as_main` for -m; roots that really have no
Python caller, interpreter start-up imports and exit handlers, are counted apart), the largest
per-function self-share difference against blocking and against perf (percentage points,
with the function and two standard deviations of sampling error), and PASS/FAIL against the
targets: default mode within 1.5 pp of blocking and of perf, cut-off <= 0.1 %, dropped <= 1 %.

Self share of a function = the main thread's samples whose innermost Python frame is that
function / its samples. pyinstr rows come from `-r pyisession -p every_sample=true` (one frame
record per sample, where pyinstr otherwise merges a thread's identical consecutive samples;
a function is `Class.name (file:first line)`); samples are counted rather than weighted by
their time, because on a loaded machine one late round gives a sample hundreds of ms, which
says nothing about its stack and would swamp the comparison. perf counts on-CPU samples
(cpu-clock at 999 Hz, DWARF unwinding, innermost `py::qualname:file` trampoline frame), pyinstr
samples wall time, so the workloads are CPU-bound ones; against perf, functions are compared by
(name, file), because perf names a method by its qualname and pyinstr by the class of `self`.
perf samples taken while a frame is being popped (`_PyEvalFrameClearAndPop` between the leaf and
the trampoline: a frame walker already sees the caller) and samples whose unwinding reached no
`py::` frame are left out and their shares shown (see
/work/shared/reference/sampler-races.md, "Referee for B"). When blocking and perf differ by
more than 1.5 pp themselves, the default mode's difference from perf is shown but not judged.

Noise: each table has a row "blocking again", a second --blocking recording compared with the
first: the difference a perfect sampler would still show, from sampling error (the ±2σ given
beside every difference) and from the workload itself varying between runs (on this shared
machine up to 4 pp at about 4,000 samples). `--runs N` records every mode N times, alternating,
and pools them; `--seconds` makes each run longer. The 1.5 pp target needs ~10,000 samples per
mode to be decided, i.e. `--seconds 10` or `--runs 3`.

Workloads (inputs made by the target interpreter itself in a temp dir on tmpfs, sized so that
an unprofiled run takes about --seconds): `-m json.tool` of a generated JSON file,
`-m pydoc -w` of 22 stdlib modules (repeated as needed), `-m compileall -f` of copies of the
`email` package, `-m timeit` of `difflib.ndiff` on difflib's own source, `-m test test_json`
(without test_tool, whose subprocesses leave the main process waiting) repeated, and where
Debian's packages are installed (bench/fidelity-setup.sh) `-m timeit` of a sympy integral and
of requests through Flask's test client (routing, Werkzeug, a Jinja template). Missing
packages or test suites are reported as SKIPPED; a workload that fails prints why and the
others go on.

The target runs on CPU 1 and the profiler on CPU 0 by default (`taskset`), because the
sampler's races only exist when the target runs while the profiler reads; `--no-pin` turns
that off. `--load` runs one busy loop per core while measuring.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "functional"))

TARGET_PP = 1.5
TARGET_CUT = 0.1
TARGET_DROP = 1.0
DEFAULT_PYTHONS = "pyenv-3.12,debian-3.11,sid-3.14"
SUMMARY = re.compile(r"pyinstr: (\d+) samples, (\d+) dropped \(([\d.]+)%\)")

# Roots that are genuine: Python code the interpreter runs with no Python caller at all, at
# startup (imports made from C: site, encodings, the external importers) and at exit (atexit
# handlers, finalisers). Matched on (function, file suffix); any other outermost frame of the
# main thread, apart from the program's entry, is a cut-off stack.
STARTUP_FILES = ("<frozen getpath>", "<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>",
                 "importlib/_bootstrap.py", "importlib/_bootstrap_external.py",
                 "<frozen zipimport>", "zipimport.py")
STARTUP_FUNCS = {("search_function", "encodings/__init__.py"),
                 ("<module>", "site.py"), ("<module>", "sitecustomize.py"),
                 ("_python_exit", "concurrent/futures/thread.py"),
                 ("shutdown", "logging/__init__.py"),
                 ("_exit_function", "multiprocessing/util.py"),
                 ("_run_finalizers", "multiprocessing/util.py")}


# ---- workloads ---------------------------------------------------------------------------
# Each: name, what it needs (module importable by the target), a base scale, and
# setup(tmp, scale) -> python code run by the target interpreter to make its inputs, and
# argv(tmp, scale) -> the program's arguments after the interpreter. `entry` is the real root:
# "-m" (runpy's _run_module_as_main) or a script path. Paths are the target's (inside the
# chroot for the chroot's interpreters).

DIFF_SETUP = ("import difflib; a = open(difflib.__file__).read().splitlines()[:400]; "
              "b = [l.upper() if i % 7 == 0 else l for i, l in enumerate(a)] + a[:40]")
SYMPY_SETUP = "from sympy import Symbol, integrate, exp, sin, cos; from sympy.core.cache import clear_cache; x = Symbol('x')"
SYMPY_STMT = "clear_cache(); integrate(x**3*exp(x)*sin(x) + cos(x)**2*x, x)"
# A small Flask app is the driver; the work (routing, request/response, Jinja) is Flask's,
# Werkzeug's and Jinja's.
FLASK_SETUP = (
    "import flask; app = flask.Flask('bench'); "
    "T = '<ul>{% for i in items %}<li class=\"{{ loop.cycle(\\'a\\', \\'b\\') }}\">{{ i.name|title }}: {{ i.v|round(2) }}</li>{% endfor %}</ul>'; "
    "app.add_url_rule('/items/<int:n>', 'items', lambda n: flask.render_template_string(T, items=[dict(name='item %d' % k, v=k / 7) for k in range(n)])); "
    "app.add_url_rule('/json/<int:n>', 'js', lambda n: flask.jsonify([{'k': k, 's': str(k)} for k in range(n)])); "
    "c = app.test_client()")
FLASK_STMT = "c.get('/items/60'); c.get('/json/40'); c.post('/items/3', data={'a': 'b'})"
PYDOC_MODULES = ["json", "email.message", "http.client", "urllib.request", "argparse",
                 "collections", "typing", "pathlib", "subprocess", "threading", "logging",
                 "unittest.case", "xml.dom.minidom", "tarfile", "zipfile", "difflib",
                 "inspect", "configparser", "smtplib", "calendar", "string", "textwrap"]


class Workload:
    def __init__(self, name, needs, base, argv, setup=None, entry="-m", min_version=(3, 8)):
        self.name, self.needs, self.base, self._argv, self._setup = name, needs, base, argv, setup
        self.entry, self.min_version = entry, min_version

    def argv(self, tmp, scale):
        return self._argv(tmp, scale)

    def setup(self, tmp, scale):
        return self._setup(tmp, scale) if self._setup else None


def _json_setup(tmp, scale):
    return ("import json, random; random.seed(15); "
            "d = [{'id': i, 'name': 'user%%d' %% i, 'tags': ['t%%d' %% (i %% 13), 'x'] * 3, "
            "'scores': [random.random() for _ in range(8)], "
            "'address': {'street': '%%d Main St' %% i, 'zip': str(10000 + i), 'geo': [i / 3, -i / 7]}, "
            "'active': i %% 2 == 0, 'none': None} for i in range(%d)]; "
            "json.dump(d, open(%r, 'w'))" % (scale, tmp + "/big.json"))


def _compileall_setup(tmp, scale):
    return ("import email, os, shutil; src = os.path.dirname(email.__file__); "
            "shutil.rmtree(%r + '/pkg', ignore_errors=True); "
            "[shutil.copytree(src, %r + '/pkg/copy%%d' %% k, ignore=shutil.ignore_patterns('__pycache__')) "
            "for k in range(%d)]" % (tmp, tmp, scale))


WORKLOADS = [
    Workload("json.tool", "json", 4000, lambda t, s: ["-m", "json.tool", t + "/big.json", t + "/out.json"],
             _json_setup),
    Workload("pydoc -w", "pydoc", 1,
             lambda t, s: ["-m", "pydoc", "-w"] + PYDOC_MODULES * s),
    Workload("compileall", "compileall", 1,
             lambda t, s: ["-m", "compileall", "-q", "-f", t + "/pkg"], _compileall_setup),
    Workload("timeit difflib.ndiff", "difflib", 5,
             lambda t, s: ["-m", "timeit", "-n", str(s), "-r", "1", "-s", DIFF_SETUP,
                           "list(difflib.ndiff(a, b))"]),
    # test_tool runs json.tool in subprocesses: the main process then waits, which perf
    # (on-CPU samples) does not see and pyinstr (wall time) does
    Workload("test test_json", "test.test_json", 1,
             lambda t, s: ["-m", "test", "-q", "--ignore", "test.test_json.test_tool.*"]
             + ["test_json"] * s),
    Workload("sympy integrate", "sympy", 2,
             lambda t, s: ["-m", "timeit", "-n", str(s), "-r", "1", "-s", SYMPY_SETUP, SYMPY_STMT]),
    Workload("flask test client", "flask", 100,
             lambda t, s: ["-m", "timeit", "-n", str(s), "-r", "1", "-s", FLASK_SETUP, FLASK_STMT]),
]


# ---- reading the recordings ----------------------------------------------------------------

def _session_frame(frame):
    """A .pyisession frame 'name\\0file\\0firstline\\x01lLINE\\x01cClass' -> (qualified name,
    plain name, file, first line)."""
    parts = frame.split("\x01")
    name, file, first = (parts[0].split("\x00") + ["", ""])[:3]
    cls = [a[1:] for a in parts[1:] if a.startswith("c")]
    return (cls[0] + "." + name if cls else name), name, file, first


def _is_entry(name, file, entry):
    if entry == "-m":
        return name == "_run_module_as_main" and file.endswith(("<frozen runpy>", "runpy.py"))
    return name == "<module>" and file == entry


def _is_startup(name, file):
    if file.endswith(STARTUP_FILES):
        return True
    return any(name == n and file.endswith(f) for n, f in STARTUP_FUNCS)


def read_session(path, entry):
    """Self shares per function of the main thread, and its cut-off samples by root, from a
    .pyisession (one frame record per sample). Shares are of samples, not of their time
    weights: on a loaded machine a late round gives one sample hundreds of ms, which says
    nothing about whether its stack was right and would swamp the comparison."""
    self_c, self_plain, cut = Counter(), Counter(), Counter()
    total = startup = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        records = json.load(f)["frame_records"]
    for stack, _ in records:
        if len(stack) < 2 or not stack[0].startswith("MainThread\x00<thread>"):
            continue
        total += 1
        qual, name, file, first = _session_frame(stack[-1])
        self_c["%s (%s:%s)" % (qual, file, first)] += 1
        self_plain["%s (%s)" % (name, file)] += 1
        _, rname, rfile, _ = _session_frame(stack[1])
        if _is_entry(rname, rfile, entry):
            continue
        if _is_startup(rname, rfile):
            startup += 1
        else:
            cut["%s (%s)" % (rname, os.path.basename(rfile))] += 1
    return {"total": total, "self": self_c, "self_plain": self_plain, "cut": cut,
            "startup": startup}


PERF_FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?(?:\s+\((.*)\))?\s*$")
POPPING = ("_PyEvalFrameClearAndPop", "clear_thread_frame", "clear_gen_frame",
           "_PyFrame_ClearExceptCode")


def read_perf(text, pid):
    """Innermost py:: frame of each sample of the main thread (tid == pid)."""
    self_w = Counter()
    n = no_py = popping = 0
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].strip():
            continue
        head = lines[0].split()
        if len(head) < 2 or not head[0].startswith("python"):
            continue
        try:
            tid = int(head[1].split("/")[-1])
        except ValueError:
            continue
        if tid != pid:
            continue
        n += 1
        below = []
        for ln in lines[1:]:
            m = PERF_FRAME.match(ln)
            if not m:
                continue
            sym = m[1]
            if sym.startswith("py::"):
                qual, _, file = sym[4:].rpartition(":")
                if any(s in POPPING for s in below):
                    popping += 1
                else:
                    self_w["%s (%s)" % (qual.rsplit(".", 1)[-1], file)] += 1
                break
            below.append(sym)
        else:
            no_py += 1
    return {"total": sum(self_w.values()), "self_plain": self_w, "samples": n, "no_py": no_py,
            "popping": popping}


def pool(results):
    """Several recordings of one mode as one: counts added, percentages recomputed."""
    out = {}
    for r in results:
        for k, v in r.items():
            if isinstance(v, Counter):
                out.setdefault(k, Counter()).update(v)
            elif isinstance(v, int):
                out[k] = out.get(k, 0) + v
    if "dropped" in out:
        # pyinstr's own figure: dropped / (samples + dropped)
        out["drop_pct"] = 100 * out["dropped"] / max(1, out["samples"] + out["dropped"])
    out["runs"] = len(results)
    return out


def max_diff(a, b, key="self"):
    """Largest |share_a - share_b| over functions, in pp: (pp, function, 2-sigma in pp)."""
    if not a["total"] or not b["total"]:
        return None
    best = (0.0, "-", 0.0)
    for fn in set(a[key]) | set(b[key]):
        pa, pb = a[key][fn] / a["total"], b[key][fn] / b["total"]
        d = abs(pa - pb) * 100
        if d > best[0]:
            na, nb = a.get("n", a["total"]), b.get("n", b["total"])
            sigma = math.sqrt(pa * (1 - pa) / max(1, na) + pb * (1 - pb) / max(1, nb))
            best = (d, fn, 200 * sigma)
    return best


# ---- running -------------------------------------------------------------------------------

class Fidelity:
    def __init__(self, args):
        self.args = args
        self.pyinstr = args.pyinstr
        self.pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset")
        self.results = []
        self.retried = []
        self.mounted = set()
        self.perf_problem = self.check_perf()

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def check_perf(self):
        """Why perf cannot be the referee here, or None."""
        if not shutil.which("perf"):
            return "perf is not installed (Debian: linux-perf, in tools/setup.sh)"
        try:
            level = int(Path("/proc/sys/kernel/perf_event_paranoid").read_text())
        except OSError:
            level = None
        if level is not None and level > 1 and os.geteuid() != 0:
            return "kernel.perf_event_paranoid is %d: lower it (sysctl kernel.perf_event_paranoid=1)" % level
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-o",
                                tmp + "/p.data", "--", "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                return "perf record fails here: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        return None

    def pythons(self):
        def named(p, want):
            # "sid-3.14" is the release build, "sid-3.14d" or "sid-3.14.10d" the debug one
            base, flags = (want[:-1], "d") if want.endswith("d") else (want, "")
            plain = p.id[:len(p.id) - len(p.abiflags)]
            return p.abiflags == flags and (plain == base or plain.startswith(base + "."))

        import pythons  # tests/functional/pythons.py: every interpreter and how to start it
        found = pythons.PYTHONS
        if self.args.all_pythons:
            return found, pythons.SID_MISSING
        chosen = []
        for want in self.args.pythons.split(","):
            want = want.strip()
            m = [p for p in found if named(p, want)]
            if m:
                chosen.append(m[-1])
            else:
                self.log("fidelity: no interpreter %s here (%s)%s" % (
                    want, ", ".join(p.id for p in found),
                    "; " + pythons.SID_MISSING if want.startswith("sid") and pythons.SID_MISSING else ""))
                print("\n**%s: not available, not measured**" % want)
        return chosen, pythons.SID_MISSING

    def tmpdir(self, py):
        """A temp dir the target sees: (host path, the target's path)."""
        if py.kind.startswith("sid"):
            chroot = py.argv[1]
            base = Path(chroot, "tmp")
            host = tempfile.mkdtemp(prefix="pyinstr-fidelity-", dir=base)
            # the chroot's /tmp is on disk: a tmpfs of our own on this dir (unmounted in
            # cleanup), as /dev/shm for the others
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g,mode=0755", "tmpfs", host],
                               capture_output=True, text=True)
            if r.returncode == 0:
                self.mounted.add(host)
            else:
                self.log("fidelity: no tmpfs for %s (%s): the inputs stay on disk" % (host, r.stderr.strip()))
            return host, "/tmp/" + os.path.basename(host)
        # tmpfs when there is one: compileall and pydoc write files, and a disk's writeback
        # stalls would differ from run to run
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        host = tempfile.mkdtemp(prefix="pyinstr-fidelity-", dir=shm)
        return host, host

    def target_cmd(self, py, inner, argv, xperf=False):
        """The command that runs the workload: [taskset -c 1] python [-X perf] argv, in the
        target's temp dir (`env -C`, which execs: the pid stays the interpreter's)."""
        cmd = list(py.argv[:-1]) + ["/usr/bin/env", "-C", inner, py.argv[-1]]
        if xperf:
            cmd.append("-X")
            cmd.append("perf")
        cmd += argv
        if self.pin:
            cmd = ["taskset", "-c", "1"] + cmd
        return cmd

    def run_plain(self, py, inner, argv, timeout):
        t0 = time.monotonic()
        r = subprocess.run(self.target_cmd(py, inner, argv), capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("exit %d: %s" % (r.returncode, (r.stderr or r.stdout).strip()[-600:]))
        return time.monotonic() - t0

    def setup(self, py, wl, inner, scale):
        code = wl.setup(inner, scale)
        if code:
            r = subprocess.run(py.argv + ["-c", code], capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                raise RuntimeError("setup failed: " + r.stderr.strip()[-600:])

    def calibrate(self, py, wl, host, inner):
        """The scale at which the workload runs about --seconds (unprofiled)."""
        startup = self.run_plain(py, inner, ["-c", "pass"], 60)
        scale = wl.base
        for _ in range(3):
            self.setup(py, wl, inner, scale)
            t = self.run_plain(py, inner, wl.argv(inner, scale), 600) - startup
            if t >= 0.5 or wl.base == 0:
                break
            scale = max(scale + 1, int(scale * 4))
        want = self.args.seconds - startup
        new = max(1, int(round(scale * want / max(t, 0.05))))
        if new != scale:
            self.setup(py, wl, inner, new)
        return new

    def record_pyinstr(self, py, wl, host, inner, scale, blocking):
        out = os.path.join(host, "blocking.pyisession" if blocking else "default.pyisession")
        # --include-startup: whole stacks, from the interpreter's own root (runpy's for -m),
        # as perf sees them; the report's cut to the program would hide a cut-off stack.
        # every_sample: a record per sample (shares are of samples, not merged runs)
        cmd = [self.pyinstr, "record", "--include-startup", "-r", "pyisession",
               "-p", "every_sample=true", "-o", out] + \
            (["--blocking"] if blocking else []) + ["--"] + \
            self.target_cmd(py, inner, wl.argv(inner, scale))
        if self.pin:
            cmd = ["taskset", "-c", "0"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.seconds * 20 + 120)
        if r.returncode == -9:
            # SIGKILL comes from outside (pyinstr never sends it; seen on this shared machine):
            # once more, said in the log
            self.log("fidelity: pyinstr was killed by SIGKILL from outside; recording again")
            self.retried.append("%s on %s%s" % (wl.name, py.id, " (--blocking)" if blocking else ""))
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.seconds * 20 + 120)
        if r.returncode != 0:
            raise RuntimeError("pyinstr record%s: exit %d: %s" % (
                " --blocking" if blocking else "", r.returncode, r.stderr.strip()[-600:]))
        m = SUMMARY.search(r.stderr)
        if not m:
            raise RuntimeError("no pyinstr summary line in: " + r.stderr.strip()[-600:])
        res = read_session(out, wl.entry)
        res.update(samples=int(m[1]), dropped=int(m[2]))
        res["n"] = res["total"]
        return res

    def record_perf(self, py, wl, host, inner, scale):
        data = os.path.join(host, "perf.data")
        cmd = ["perf", "record", "-q", "-F", "999", "-e", "cpu-clock", "--call-graph",
               "dwarf,%d" % self.args.perf_stack, "-o", data, "--"] + \
            self.target_cmd(py, inner, wl.argv(inner, scale), xperf=True)
        if self.pin:
            cmd = ["taskset", "-c", "0"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.seconds * 20 + 120)
        if r.returncode != 0:
            raise RuntimeError("perf record: exit %d: %s" % (r.returncode, r.stderr.strip()[-600:]))
        head = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid"],
                              capture_output=True, text=True, timeout=900)
        pid = None
        for line in head.stdout.splitlines():
            f = line.split()
            if len(f) > 1 and f[0].startswith("python"):
                pid = int(f[1].split("/")[0])
                break
        if pid is None:
            raise RuntimeError("perf recorded no sample of the interpreter: " + head.stderr.strip()[-300:])
        script = ["perf", "script", "-i", data, "-F", "comm,pid,tid,ip,sym,dso"]
        copied = None
        if py.kind.startswith("sid"):
            # the target's binaries are inside the chroot (--symfs), and so is the
            # /tmp/perf-PID.map it wrote, which perf reads from the host's /tmp only
            # (--no-inline: perf's addr2line cannot read the binaries through --symfs; so
            # an inlined _PyEvalFrameClearAndPop is not seen there)
            script += ["--no-inline", "--symfs", py.argv[1]]
            inside = Path(py.argv[1], "tmp", "perf-%d.map" % pid)
            copied = Path("/tmp/perf-%d.map" % pid)
            if inside.exists() and not copied.exists():
                shutil.copy(inside, copied)
            else:
                copied = None
        try:
            s = subprocess.run(script, capture_output=True, text=True, timeout=900)
        finally:
            if copied:
                copied.unlink()
        if not s.stdout:
            raise RuntimeError("perf script: " + s.stderr.strip()[-600:])
        res = read_perf(s.stdout, pid)
        for f in Path(py.argv[1] if py.kind.startswith("sid") else "/", "tmp").glob("perf-%d.map" % pid):
            f.unlink()
        os.unlink(data)
        if not res["total"]:
            raise RuntimeError("no perf sample had a py:: frame (is -X perf supported?)")
        res["n"] = res["total"]
        return res

    def measure(self, py, wl):
        name = "%s on %s" % (wl.name, py.id)
        res = {"workload": wl.name, "python": py.id, "version": "%d.%d.%d" % py.version}
        host, inner = self.tmpdir(py)
        try:
            if py.version[:2] < wl.min_version:
                raise RuntimeError("needs Python %d.%d+" % wl.min_version)
            r = subprocess.run(py.argv + ["-c", "import %s" % wl.needs], capture_output=True,
                               text=True, timeout=120)
            if r.returncode != 0:
                hint = ""
                if wl.needs in ("sympy", "flask"):
                    hint = " (bench/fidelity-setup.sh installs Debian's python3-%s for /usr/bin/python3)" % wl.needs
                elif wl.needs.startswith("test."):
                    hint = " (the interpreter has no test suite: Debian's libpython3.X-testsuite; bench/fidelity-setup.sh installs it for /usr/bin/python3)"
                raise RuntimeError("SKIPPED: cannot import %s%s" % (wl.needs, hint))
            self.log("fidelity: %s: calibrating" % name)
            scale = self.calibrate(py, wl, host, inner)
            res["scale"] = scale
            runs = {"default": [], "blocking": [], "perf": []}
            use_perf = py.version >= (3, 12) and not self.perf_problem and not self.args.no_perf
            for i in range(self.args.runs):
                # modes alternate run by run, so that slow and fast phases of a shared machine
                # fall on all of them
                n = " (run %d of %d)" % (i + 1, self.args.runs) if self.args.runs > 1 else ""
                self.log("fidelity: %s: default%s" % (name, n))
                runs["default"].append(self.record_pyinstr(py, wl, host, inner, scale, False))
                self.log("fidelity: %s: --blocking%s" % (name, n))
                runs["blocking"].append(self.record_pyinstr(py, wl, host, inner, scale, True))
                if use_perf:
                    self.log("fidelity: %s: perf%s" % (name, n))
                    try:
                        runs["perf"].append(self.record_perf(py, wl, host, inner, scale))
                    except (RuntimeError, subprocess.TimeoutExpired) as e:
                        res["perf_error"] = str(e)
            if not self.args.no_floor:
                self.log("fidelity: %s: --blocking again (noise floor)" % name)
                runs["blocking again"] = [self.record_pyinstr(py, wl, host, inner, scale, True)]
            modes = {mode: pool(rs) for mode, rs in runs.items() if rs}
            res["modes"] = modes
            self.report(name, res)
        except Exception as e:  # one workload's failure must not stop the others
            if not isinstance(e, (RuntimeError, subprocess.TimeoutExpired, OSError)):
                e = "%s: %s" % (type(e).__name__, e)
            res["error"] = str(e)
            print("\n### %s\n\n**NOT MEASURED**: %s" % (name, e))
            sys.stdout.flush()
        finally:
            if host in self.mounted and not self.args.keep:
                subprocess.run(["umount", host])
                self.mounted.discard(host)
            if not self.args.keep:
                shutil.rmtree(host, ignore_errors=True)
        self.results.append(res)

    def report(self, name, res):
        modes = res["modes"]
        blk, perf = modes.get("blocking"), modes.get("perf")
        rows = []
        for mode in ("default", "blocking", "blocking again", "perf"):
            m = modes.get(mode)
            if m is None:
                continue
            if mode == "perf":
                drop = 100 * m["no_py"] / max(1, m["samples"])
                m["drop_pct"] = drop
                row = ["perf -X perf", "%d" % m["samples"],
                       "%.2f no py:: frame, %.2f popping" % (drop, 100 * m["popping"] / max(1, m["samples"])),
                       "- (unwinding stops at the innermost py:: frame)"]
            else:
                cut_pct = 100 * sum(m["cut"].values()) / max(1, m["total"])
                m["cut_pct"] = cut_pct
                m["startup_pct"] = 100 * m["startup"] / max(1, m["total"])
                top = m["cut"].most_common(1)
                row = [mode + (" (noise floor)" if mode == "blocking again" else ""),
                       "%d" % m["samples"], "%.2f" % m["drop_pct"],
                       "%.2f%s" % (cut_pct, " (%s)" % top[0][0] if top else "")]
            verdict, unchecked = [], []
            for ref_name, ref in (("blocking", blk), ("perf", perf)):
                if ref is None or ref is m:
                    row.append("-")
                    continue
                key = "self_plain" if "perf" in (mode, ref_name) else "self"
                d = max_diff(m, ref, key)
                m["vs_" + ref_name] = d
                row.append("%.2f ±%.2f %s" % (d[0], d[2], d[1]) if d else "-")
                if mode == "default" and d and d[0] > TARGET_PP:
                    agree = max_diff(blk, perf, "self_plain") if ref_name == "perf" and blk else None
                    if agree and agree[0] > TARGET_PP:
                        unchecked.append("Δperf: the referees differ by %.1f pp (%s)" % (
                            agree[0], agree[1]))
                    else:
                        verdict.append("Δ%s %.1f" % (ref_name, d[0]))
            if mode != "perf":
                if m["cut_pct"] > TARGET_CUT:
                    verdict.append("cut-off")
                if m["drop_pct"] > TARGET_DROP:
                    verdict.append("dropped")
            m["pass"] = not verdict
            if mode in ("perf", "blocking again"):
                row.append("(referee)" if mode == "perf" else "(the referee against itself)")
                rows.append(row)
                continue
            row.append(("PASS" if not verdict else "FAIL (%s)" % ", ".join(verdict)) +
                       ("; not judged: " + "; ".join(unchecked) if unchecked else ""))
            rows.append(row)
        title = "%s (scale %s%s)" % (name, res["scale"], ", %d runs per mode pooled" % self.args.runs
                                       if self.args.runs > 1 else "")
        print("\n### " + title + "\n")
        header = ["mode", "samples", "dropped %", "cut-off % (top wrong root)",
                  "max Δself vs blocking, pp (±2σ) function", "max Δself vs perf, pp (±2σ) function",
                  "targets"]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
        if "perf_error" in res:
            print("\nperf referee failed: %s" % res["perf_error"])
        elif tuple(int(x) for x in res["version"].split(".")[:2]) < (3, 12):
            print("\n(no perf referee: -X perf needs Python 3.12+)")
        sys.stdout.flush()

    def run(self):
        loaders = []
        print("\n## Fidelity: default mode vs --blocking vs perf (issue 15)\n")
        print("Targets for the default mode: max per-function self-share difference <= %.1f pp from "
              "--blocking and from perf, cut-off stacks <= %.1f %%, dropped <= %.0f %%." % (
                  TARGET_PP, TARGET_CUT, TARGET_DROP))
        print("Conditions: %d cores, load average %s before starting; %s; %s; workloads about "
              "%g s each, pyinstr at 1 kHz." % (
                  os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3]),
                  "target pinned to CPU 1, pyinstr and perf to CPU 0 (taskset)" if self.pin
                  else "no pinning",
                  "one busy loop per core during the measurement (--load)" if self.args.load
                  else "no added load (--load adds a busy loop per core)", self.args.seconds))
        ver = subprocess.run([self.pyinstr, "--version"], capture_output=True, text=True)
        print("pyinstr: %s (%s)." % (self.pyinstr, (ver.stdout or ver.stderr).strip() or "?"))
        if self.perf_problem:
            print("\n**PERF REFEREE NOT AVAILABLE: %s. The perf column is left out.**" % self.perf_problem)
        elif self.args.no_perf:
            print("\n(perf referee turned off: --no-perf)")
        else:
            print("perf referee: `perf record -F 999 -e cpu-clock --call-graph dwarf,%d` on "
                  "`python -X perf` (3.12+).\n" % self.args.perf_stack)
        sys.stdout.flush()
        try:
            if self.args.load:
                for cpu in range(os.cpu_count() or 1):
                    loaders.append(subprocess.Popen(
                        (["taskset", "-c", str(cpu)] if shutil.which("taskset") else []) +
                        [sys.executable, "-c", "while True: pass"]))
            pys, sid_missing = self.pythons()
            if sid_missing and any(w.startswith("sid") for w in self.args.pythons.split(",")):
                print("\n**Debian-unstable interpreters not measured: %s**" % sid_missing)
            only = [w.strip() for w in self.args.workloads.split(",")] if self.args.workloads else None
            for py in pys:
                for wl in WORKLOADS:
                    if only and not any(o in wl.name for o in only):
                        continue
                    self.measure(py, wl)
        finally:
            for p in loaders:
                p.kill()
                p.wait()
        self.summary()
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump(self.json_results(), f, indent=1)

    def summary(self):
        print("\n### Summary (default mode against the targets)\n")
        print("| workload | interpreter | max Δ vs blocking pp | max Δ vs perf pp | cut-off % | dropped % | result "
              "| noise floor: blocking vs blocking again, pp | blocking vs perf, pp |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in self.results:
            if "error" in r:
                print("| %s | %s | - | - | - | - | %s | - | - |" % (
                    r["workload"], r["python"],
                    "SKIPPED" if r["error"].startswith("SKIPPED") else "ERROR (see above)"))
                continue
            d = r["modes"]["default"]
            vb, vp = d.get("vs_blocking"), d.get("vs_perf")
            fl = r["modes"].get("blocking again", {}).get("vs_blocking")
            bp = r["modes"]["blocking"].get("vs_perf")
            print("| %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |" % (
                r["workload"], r["python"], "%.2f" % vb[0] if vb else "-",
                "%.2f" % vp[0] if vp else "-", d["cut_pct"], d["drop_pct"],
                "PASS" if d["pass"] else "FAIL", "%.2f" % fl[0] if fl else "-",
                "%.2f" % bp[0] if bp else "-"))
        if self.retried:
            print("\npyinstr was killed by SIGKILL from outside and recorded again: " +
                  "; ".join(self.retried))
        sys.stdout.flush()

    def json_results(self):
        out = []
        for r in self.results:
            o = {k: v for k, v in r.items() if k != "modes"}
            o["modes"] = {}
            for mode, m in r.get("modes", {}).items():
                o["modes"][mode] = {
                    "samples": m["samples"], "dropped_pct": m.get("drop_pct"),
                    "cutoff_pct": m.get("cut_pct"), "startup_pct": m.get("startup_pct"),
                    "cutoff_roots": dict(m["cut"].most_common(10)) if "cut" in m else None,
                    "vs_blocking": m.get("vs_blocking"), "vs_perf": m.get("vs_perf"),
                    "pass": m.get("pass"),
                    "self_top": {k: round(100 * v / m["total"], 3) for k, v in
                                 (m.get("self") or m["self_plain"]).most_common(15)},
                }
            out.append(o)
        return {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
                "load": bool(self.args.load), "pinned": bool(self.pin),
                "seconds": self.args.seconds, "perf": self.perf_problem or "ok",
                "targets": {"pp": TARGET_PP, "cutoff_pct": TARGET_CUT, "dropped_pct": TARGET_DROP},
                "results": out}


def self_test():
    """The parsers on made-up input (no profiler, no interpreter needed)."""
    perf = ("python3.12 100/100 \n\t    7f1 PyLong_FromLong+0x4 (/usr/bin/python3.12)\n"
            "\t    7f2 py::Outer.<locals>.inner:/a/b.py+0x5 (/tmp/perf-100.map)\n\n"
            "python3.12 100/100 \n\t    7f3 _PyEvalFrameClearAndPop+0x1 (/usr/bin/python3.12)\n"
            "\t    7f4 py::f:/a/b.py+0x5 (/tmp/perf-100.map)\n\n"
            "python3.12 100/100 \n\t    7f5 __tls_get_addr+0x0 (/lib/ld.so)\n\n"
            "python3.12 100/101 \n\t    7f2 py::g:/a/b.py+0x5 (/tmp/perf-100.map)\n\n"
            "python3.12 100/100 \n\t    7f6 py::_find_and_load:<frozen importlib._bootstrap>+0x5 (/tmp/perf-100.map)\n")
    r = read_perf(perf, 100)
    assert r["samples"] == 4 and r["no_py"] == 1 and r["popping"] == 1, r
    assert r["self_plain"] == Counter({"inner (/a/b.py)": 1,
                                       "_find_and_load (<frozen importlib._bootstrap>)": 1}), r
    T = "MainThread\x00<thread>\x001"
    run = "_run_module_as_main\x00<frozen runpy>\x00190\x01l198"
    records = [[[T, run, "m\x00/x.py\x001\x01l2", "f\x00/x.py\x005\x01l6\x01cK"], 0.001],
               [[T, run, "m\x00/x.py\x001\x01l3"], 0.5],
               [[T, "_iterencode_list\x00/enc.py\x0010\x01l11"], 0.001],
               [[T, "_find_and_load\x00<frozen importlib._bootstrap>\x001\x01l2"], 0.001],
               [["Thread-1\x00<thread>\x002", "run\x00/t.py\x001\x01l1"], 0.001]]
    with tempfile.NamedTemporaryFile("w", suffix=".pyisession") as f:
        json.dump({"frame_records": records}, f)
        f.flush()
        r = read_session(f.name, "-m")
    assert r["total"] == 4 and r["startup"] == 1, r
    assert r["cut"] == Counter({"_iterencode_list (enc.py)": 1}), r
    assert r["self"]["K.f (/x.py:5)"] == 1 and r["self_plain"]["f (/x.py)"] == 1, r
    a = {"total": 4, "self": Counter(x=3, y=1)}
    b = {"total": 4, "self": Counter(x=2, y=2)}
    assert max_diff(a, b)[:2] == (25.0, "x") or max_diff(a, b)[:2] == (25.0, "y")
    p = pool([{"samples": 10, "dropped": 0, "self": Counter(x=1)},
              {"samples": 8, "dropped": 2, "self": Counter(x=2)}])
    assert p["samples"] == 18 and p["self"]["x"] == 3 and p["drop_pct"] == 10.0, p
    print("fidelity self-test: ok")


def add_arguments(ap):
    g = ap.add_argument_group("fidelity")
    g.add_argument("--seconds", type=float, default=4, help="about how long each workload runs (4)")
    g.add_argument("--pythons", default=DEFAULT_PYTHONS,
                   help="interpreters, by id prefix as tests/functional/pythons.py names them (%s)" % DEFAULT_PYTHONS)
    g.add_argument("--all-pythons", action="store_true", help="every interpreter on the machine")
    g.add_argument("--workloads", default="", help="only workloads whose name contains one of these (comma-separated)")
    g.add_argument("--load", action="store_true", help="one busy loop per core while measuring")
    g.add_argument("--no-pin", action="store_true", help="do not taskset target and profiler to different CPUs")
    g.add_argument("--no-perf", action="store_true", help="leave the perf referee out")
    g.add_argument("--perf-stack", type=int, default=32768, help="bytes of stack perf copies per sample (32768)")
    g.add_argument("--runs", type=int, default=1,
                   help="recordings per mode, pooled (1; blocking's own run-to-run spread is about +-2 pp)")
    g.add_argument("--no-floor", action="store_true",
                   help="do not record --blocking a second time (the noise floor row)")
    g.add_argument("--json", default=None, help="also write the figures to this JSON file")
    g.add_argument("--keep", action="store_true", help="keep the temp dirs (inputs and recordings)")


def run(args):
    Fidelity(args).run()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyinstr", default=str(ROOT / "build" / "cli" / "pyinstr"))
    ap.add_argument("--self-test", action="store_true", help="check the parsers on made-up input and exit")
    add_arguments(ap)
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    print("# pyinstr fidelity benchmark (%s, %d cores)" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    run(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""pyinstr's benchmarks: one command, one table per figure, each beside a baseline measured in
the same invocation. Figures are medians of several runs with their spread (min..max).

    python3 bench/run.py                      # everything (about 10 minutes)
    python3 bench/run.py --quick              # fewer runs, shorter (about 3 minutes)
    python3 bench/run.py --only rate,latency  # some sections

Sections: rate (max sustained sampling rate and cost per sample), slowdown (the target's own
work time with and without a profiler, paired A/B runs), accuracy (a known CPU/sleep mix),
latency (attach to first sample), render (memory and rendering time of 1M/10M samples),
fidelity (bench/fidelity.py: the default mode's stacks against --blocking and perf on real
workloads; not in the default set, about 10 minutes: `--only fidelity`, options below),
servers (bench/servers.py: drop rates attached to uvicorn+FastAPI, gunicorn, asyncio and
aiohttp servers under wrk's load, beside idle and --blocking; not in the default set, about
20 minutes: `--only servers` after `bash bench/servers-setup.sh`).
Baselines: cProfile, and CPython 3.15's own sampler
(profiling.sampling) when the Debian-unstable chroot exists (tools/sid-chroot.sh).

These machines are noisy (the same command varies by +-25 %): A/B runs alternate, ratios are
taken pair by pair, and the target's own timers are used rather than whole-process wall time.
"""
import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tables import median_spread, table

HERE = Path(__file__).resolve().parent
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
ROOT = HERE.parent


SUMMARY = re.compile(r"pyinstr: (\d+) samples, (\d+) dropped \(([\d.]+)%\).* at (\d+) Hz")
OWN = re.compile(r"own CPU ([\d.]+) s \(([\d.]+) us per round\), first sample ([\d.]+) ms")


def pyinstr_summary(stderr):
    m, o = SUMMARY.search(stderr), OWN.search(stderr)
    if not m or not o:
        raise RuntimeError("no pyinstr summary in: " + stderr)
    return {"samples": int(m[1]), "dropped": int(m[2]), "drop_pct": float(m[3]),
            "rounds_hz": int(m[4]), "own_cpu": float(o[1]), "us_per_round": float(o[2]),
            "first_ms": float(o[3])}


class Bench:
    def __init__(self, args):
        self.args = args
        self.pyinstr = args.pyinstr
        self.python = args.python
        self.runs = 2 if args.quick else 5
        self.pin = False
        self.sid = args.sid if args.sid and os.path.exists(os.path.join(args.sid, "usr/bin/python3.15")) else None

    # ---- 1. max rate --------------------------------------------------------------------
    def start_target(self, python, depth, seconds, threads, chroot=None):
        script = HERE / "cpu_deep.py"
        cmd = [python, str(script), str(depth), str(seconds), str(threads)]
        if chroot:
            dst = Path(chroot) / "tmp" / "pyinstr-bench"
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy(script, dst / script.name)
            cmd = ["chroot", chroot, python, "/tmp/pyinstr-bench/" + script.name,
                   str(depth), str(seconds), str(threads)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        return proc

    def rate_pyinstr(self, python, depth, threads, seconds, chroot=None):
        proc = self.start_target(python, depth, seconds + 2, threads, chroot)
        try:
            # chroot's pid is the python process: chroot execs it
            out = subprocess.run([self.pyinstr, "attach", "--pid", str(proc.pid), "-d",
                                  str(seconds), "-i", "0", "-r", "collapsed", "-o", os.devnull],
                                 capture_output=True, text=True, timeout=seconds + 60)
            s = pyinstr_summary(out.stderr)
            s["samples_per_s"] = s["samples"] / seconds
            s["us_per_sample"] = s["own_cpu"] * 1e6 / max(1, s["samples"])
            return s
        finally:
            proc.kill()
            proc.wait()

    def floor(self, python, depth, threads):
        """The physical floor of a round: pyinstr's own process_vm_readv of one round (its
        last, as strace shows it), repeated by bench/readv-floor with nothing else around it."""
        tool = Path(self.pyinstr).parents[1] / "bench" / "readv-floor"
        if not tool.exists() or not shutil.which("strace"):
            return None
        proc = self.start_target(python, depth, 8, threads)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                log = os.path.join(tmp, "strace")
                subprocess.run(["strace", "-e", "trace=process_vm_readv", "-e", "signal=none",
                                "-o", log, self.pyinstr, "attach", "--pid", str(proc.pid), "-d",
                                "0.3", "-i", "0.001", "-r", "collapsed", "-o", os.devnull],
                               capture_output=True, timeout=60)
                calls = [line for line in open(log) if "process_vm_readv(" in line and "= " in line]
            if not calls:
                return None
            remote = re.findall(r"iov_base=(0x[0-9a-f]+), iov_len=(\d+)", calls[-1])
            out = subprocess.run([str(tool), str(proc.pid), "2"] + ["%s:%s" % r for r in remote],
                                 capture_output=True, text=True, timeout=60).stdout
            m = re.search(r"floor ([\d.]+) (\d+) (\d+)\nsyscall ([\d.]+)", out)
            if not m:
                return None
            return {"us": float(m[1]), "bytes": int(m[2]), "iovecs": int(m[3]),
                    "syscall_us": float(m[4])}
        finally:
            proc.kill()
            proc.wait()

    def rate_tachyon(self, depth, threads, seconds):
        """CPython 3.15's sampler at 100 kHz on the same target, in the chroot."""
        proc = self.start_target("python3.15", depth, seconds + 2, threads, self.sid)
        try:
            out_file = "/tmp/pyinstr-bench/tachyon.collapsed"
            t0 = time.monotonic()
            r = subprocess.run(["chroot", self.sid, "python3.15", "-m", "profiling.sampling",
                                "attach", "-r", "100khz", "-d", str(seconds), "-a",
                                "--collapsed", "-o", out_file, str(proc.pid)],
                               capture_output=True, text=True, timeout=seconds + 120)
            wall = time.monotonic() - t0
            path = Path(self.sid) / out_file.lstrip("/")
            if r.returncode != 0 or not path.exists():
                return None
            samples = sum(int(line.rsplit(" ", 1)[1]) for line in path.read_text().splitlines()
                          if line.strip())
            return {"samples_per_s": samples / seconds, "wall": wall}
        finally:
            proc.kill()
            proc.wait()

    def section_rate(self):
        seconds = 2 if self.args.quick else 3  # whole seconds: the 3.15 sampler takes an int
        rows, floors = [], []
        for depth, threads in ((40, 1), (150, 1), (40, 8), (150, 8)):
            runs = [self.rate_pyinstr(self.python, depth, threads, seconds)
                    for _ in range(self.runs)]
            sps = [r["samples_per_s"] for r in runs]
            p315 = base = "-"
            ratio = "-"
            if self.sid:
                n = max(1, self.runs // 2)
                mine = [self.rate_pyinstr("python3.15", depth, threads, seconds, self.sid)["samples_per_s"]
                        for _ in range(n)]
                t = [self.rate_tachyon(depth, threads, seconds) for _ in range(n)]
                t = [x["samples_per_s"] for x in t if x]
                p315 = median_spread(mine, "%.0f")
                if t:
                    base = median_spread(t, "%.0f")
                    ratio = "%.1fx" % (statistics.median(mine) / statistics.median(t))
            rows.append([depth, threads, median_spread(sps, "%.0f"),
                         median_spread([r["us_per_sample"] for r in runs], "%.2f"),
                         median_spread([r["drop_pct"] for r in runs], "%.3f"), p315, base, ratio])
            f = self.floor(self.python, depth, threads)
            floors.append([depth, threads, median_spread([r["us_per_round"] for r in runs], "%.2f"),
                           "%.2f" % f["us"] if f else "-",
                           "%d / %d" % (f["iovecs"], f["bytes"]) if f else "-",
                           "%.2f" % f["syscall_us"] if f else "-",
                           "{:,.0f}".format(1e6 / f["us"]) if f else "-"])
        table("Max sustained sampling rate (-i 0 / -r 100khz, attach; all threads)",
              ["depth", "threads", "pyinstr on %s samples/s" % self.python_name(),
               "pyinstr CPU us/sample", "dropped %", "pyinstr on Debian 3.15 samples/s",
               "CPython 3.15 sampler samples/s", "pyinstr / 3.15 sampler"], rows)
        table("The floor: pyinstr's reads of one round alone (bench/readv-floor repeats its last "
              "process_vm_readv, as strace shows it, on the same target; %s)" % self.python_name(),
              ["depth", "threads", "pyinstr CPU us/round", "same reads alone us/round",
               "iovecs / bytes per round", "one 8-byte read us", "rounds/s the reads allow"],
              floors)
        if not self.sid:
            print("\n(no Debian-unstable chroot with python3.15: the 3.15 sampler baseline was "
                  "not run; make it with tools/sid-chroot.sh)")

    # ---- 2. slowdown --------------------------------------------------------------------
    def work(self, prefix, units, python=None, chroot=None):
        """One run of work.py under @prefix (a profiler's command line up to the target);
        (elapsed, cpu) of its work loop by its own clocks."""
        script = str(HERE / "work.py")
        python = python or self.python
        if chroot:
            dst = Path(chroot) / "tmp" / "pyinstr-bench"
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy(script, dst / "work.py")
            script = "/tmp/pyinstr-bench/work.py"
        env = dict(os.environ)
        if self.pin:
            env["WORK_CPU"] = "1"  # the target pins itself to CPU 1; profilers stay on CPU 0
        cmd = [a.format(python=python, chroot=chroot) for a in prefix] + \
            ([CHROOT, chroot] if chroot and not any("{chroot}" in a for a in prefix) else []) + \
            ([python] if not any("{python}" in a for a in prefix) else []) + \
            [script, "40", str(units)]
        if self.pin:
            cmd = ["taskset", "-c", "0"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        m = re.search(r"elapsed=([\d.]+) cpu=([\d.]+)", out.stdout)
        if not m:
            raise RuntimeError("work.py failed: %s %s" % (out.stdout, out.stderr))
        return float(m[1]), float(m[2])

    def section_slowdown(self):
        """Paired A/B runs of a fixed amount of work: without a profiler and with one, the
        order alternating pair by pair. The figure is the target's own CPU time for the work,
        with / without, per pair; the table gives the median and the geometric mean of the
        pairs with its 95 % confidence interval, so that a 1 % effect can be told from noise."""
        units = 80 if self.args.quick else 150
        pairs = 6 if self.args.quick else self.args.pairs
        self.pin = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
        rec = [self.pyinstr, "record", "-q", "-r", "collapsed", "-o", os.devnull, "-i"]
        cases = [
            ("pyinstr 1 kHz", self.python, None, rec + ["0.001", "--"]),
            ("pyinstr 10 kHz", self.python, None, rec + ["0.0001", "--"]),
            ("cProfile", self.python, None, ["{python}", "-m", "cProfile", "-o", os.devnull]),
        ]
        if self.sid:
            sampler = [CHROOT, "{chroot}", "{python}", "-m", "profiling.sampling", "run",
                       "--collapsed", "-o", "/dev/null", "-r"]
            cases += [
                ("pyinstr 1 kHz", "python3.15", self.sid, rec + ["0.001", "--"]),
                ("3.15 sampler 1 kHz", "python3.15", self.sid, sampler + ["1khz"]),
                ("pyinstr 10 kHz", "python3.15", self.sid, rec + ["0.0001", "--"]),
                ("3.15 sampler 10 kHz", "python3.15", self.sid, sampler + ["10khz"]),
            ]
        rows = []
        for name, python, chroot, prefix in cases:
            ratios_cpu, ratios_el = [], []
            self.work([], units, python, chroot)  # warm-up
            for i in range(pairs):
                # alternate the order so that slow and fast phases hit both sides
                res = {}
                for side in ((0, 1) if i % 2 == 0 else (1, 0)):
                    res[side] = self.work(prefix if side else [], units, python, chroot)
                ratios_el.append(res[1][0] / res[0][0])
                ratios_cpu.append(res[1][1] / res[0][1])
            logs = [math.log(r) for r in ratios_cpu]
            mean = statistics.mean(logs)
            half = 1.96 * statistics.stdev(logs) / math.sqrt(len(logs)) if len(logs) > 1 else 0
            rows.append(["%s on %s" % (name, "Debian 3.15" if chroot else self.python_name()),
                         median_spread(ratios_cpu), median_spread(ratios_el),
                         "%+.2f (%+.2f..%+.2f)" % (100 * (math.exp(mean) - 1),
                                                   100 * (math.exp(mean - half) - 1),
                                                   100 * (math.exp(mean + half) - 1))])
        table("Target slowdown: work.py 40 %d, %d alternating pairs%s" %
              (units, pairs, ", target pinned to CPU 1 and the profiler to CPU 0" if self.pin else ""),
              ["profiler on target", "target CPU ratio (with/without)", "target elapsed ratio",
               "slowdown % (CPU, geometric mean, 95 % CI)"], rows)

    # ---- 3. accuracy --------------------------------------------------------------------
    def section_accuracy(self):
        seconds = 4 if self.args.quick else 10
        runs = 2 if self.args.quick else 5
        names = ("alpha", "beta", "sleeper")
        errs = {n: [] for n in names}
        truth_all, got_all = [], []
        for _ in range(runs):
            out = subprocess.run([self.pyinstr, "record", "-q", "-i", "0.001", "-r", "collapsed",
                                  "--", self.python, str(HERE / "mixed.py"), str(seconds)],
                                 capture_output=True, text=True, timeout=seconds + 60)
            true_line = [l for l in out.stdout.splitlines() if l.startswith("true ")][0]
            truth = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", true_line)}
            total, got = 0, {n: 0 for n in names}
            for line in out.stdout.splitlines():
                if line.startswith("true ") or not line.strip():
                    continue
                stack, _, w = line.rpartition(" ")
                funcs = [f.split(" (")[0] for f in stack.split(";")]
                if "run" not in funcs:
                    continue
                total += int(w)
                inner = [f for f in funcs if f in names]
                if inner:
                    got[inner[-1]] += int(w)
            for n in names:
                errs[n].append(abs(100 * got[n] / total - 100 * truth[n]))
            truth_all.append(truth)
            got_all.append({n: got[n] / total for n in names})
        rows = []
        for n in names:
            rows.append([n, "%.1f" % (100 * statistics.median(t[n] for t in truth_all)),
                         "%.1f" % (100 * statistics.median(g[n] for g in got_all)),
                         median_spread(errs[n], "%.2f")])
        table("Accuracy: mixed.py %gs at 1 kHz, %d runs, %s (truth measured by the target)" % (
            seconds, runs, self.python_name()),
              ["function", "true % of run()", "pyinstr %", "abs error pp"], rows)

    # ---- 6. attach latency --------------------------------------------------------------
    def section_latency(self):
        n = 5 if self.args.quick else 15
        proc = self.start_target(self.python, 40, 60, 1)
        try:
            ms = []
            for _ in range(n):
                out = subprocess.run([self.pyinstr, "attach", "--pid", str(proc.pid), "-d", "0.005",
                                      "-r", "collapsed", "-o", os.devnull],
                                     capture_output=True, text=True, timeout=60)
                ms.append(pyinstr_summary(out.stderr)["first_ms"])
        finally:
            proc.kill()
            proc.wait()
        table("Attach latency: pyinstr start to first sample (%d attaches, %s)" % (n, self.python_name()),
              ["pyinstr ms", "target (austin 3.7, baseline.md)"],
              [[median_spread(ms, "%.2f"), "4-9 ms"]])

    # ---- 7. fidelity (bench/fidelity.py) ------------------------------------------------
    def section_fidelity(self):
        import fidelity
        fidelity.run(self.args)

    # ---- 8. servers under load (bench/servers.py) ---------------------------------------
    def section_servers(self):
        import servers
        servers.run(self.args)

    # ---- 4/5. memory and rendering ----------------------------------------------------------
    def render_run(self, args):
        """One bench-render process: its printed seconds (wall, CPU) per step and its peak RSS
        in MiB from wait4."""
        p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        if status != 0:
            raise RuntimeError("%s failed: %s" % (" ".join(args), out))
        steps = dict((m[0].strip(), (float(m[1]), float(m[2]))) for m in
                     re.findall(r"^(\w[\w -]*?)\s+([\d.]+) s  cpu ([\d.]+) s$", out, re.M))
        for m in re.finditer(r"^session of .*?: ([\d.]+) s  cpu ([\d.]+) s$", out, re.M):
            steps["load"] = (float(m[1]), float(m[2]))
        build = re.search(r"built in memory: ([\d.]+) s", out)
        return steps, ru.ru_maxrss / 1024, float(build[1]) if build else None

    def section_render(self):
        """tests/report/bench-render: a session of N samples built in memory as the sampler
        builds it, then one renderer per process (so that each has its own peak RSS, from
        wait4); then a 1M-sample .pyisession loaded and rendered."""
        tool = Path(self.pyinstr).parents[1] / "tests" / "report" / "bench-render"
        if not tool.exists():
            print("\n(no %s: build the tests to run the rendering benchmark)" % tool)
            return
        formats = ["text", "json", "pstats", "html", "collapsed", "speedscope", "text-t"]
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "report")
            runs = 1 if self.args.quick else 3
            for n in ((1_000_000,) if self.args.quick else (1_000_000, 10_000_000)):
                for fmt in formats:
                    walls, cpus, rsss, builds = [], [], [], []
                    for _ in range(runs):
                        steps, rss, build = self.render_run([str(tool), str(n), fmt, out])
                        wall, cpu = steps["text -t" if fmt == "text-t" else fmt]
                        walls.append(wall)
                        cpus.append(cpu)
                        rsss.append(rss)
                        builds.append(build)
                    rows.append(["{:,}".format(n), fmt.replace("text-t", "text -t"),
                                 median_spread(walls, "%.2f"), median_spread(cpus, "%.2f"),
                                 "%.0f" % max(rsss), "%.2f" % statistics.median(builds)])
            session = os.path.join(tmp, "1m.pyisession")
            self.render_run([str(tool), "1000000", "pyisession", session])
            size = os.path.getsize(session) / 2**20
            for fmt in ("text", "html"):
                loads, rendered, rsss = [], [], []
                for _ in range(runs):
                    steps, rss, _ = self.render_run([str(tool), "--load", session, fmt, out])
                    loads.append(steps["load"])
                    rendered.append(steps[fmt])
                    rsss.append(rss)
                med = lambda v, k: statistics.median(x[k] for x in v)
                rows.append(["1,000,000 (.pyisession, %.0f MiB)" % size, "load + " + fmt,
                             "%.2f + %.2f" % (med(loads, 0), med(rendered, 0)),
                             "%.2f + %.2f" % (med(loads, 1), med(rendered, 1)),
                             "%.0f" % max(rsss), "-"])
        table("Rendering (bench-render: 2,000 call paths 15-30 deep, two threads), one process "
              "per run, %d runs per row" % runs,
              ["samples", "format", "wall s", "CPU s", "peak RSS MiB (whole process, max)",
               "building the session in memory, s (not included)"], rows)
        print("\nStored per sample in the session: a 4-byte stack id and an 8-byte weight "
              "(12 bytes); stacks and frames are interned. text, json and pstats aggregate "
              "straight from the samples, speedscope streams its events from them; text -t "
              "needs pyinstrument's timeline tree (a node per call per sample run).")

    def python_name(self):
        out = subprocess.run([self.python, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True)
        return "CPython " + out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyinstr", default=str(ROOT / "build" / "cli" / "pyinstr"))
    ap.add_argument("--python", default=None, help="target interpreter (default pyenv 3.12)")
    ap.add_argument("--sid", default=os.environ.get("PYINSTR_SID_CHROOT", "/var/cache/pyinstr/sid"),
                    help="Debian-unstable chroot with python3.15, for the 3.15 sampler baseline")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pairs", type=int, default=20, help="A/B pairs per slowdown row (20)")
    ap.add_argument("--only", default="rate,slowdown,accuracy,latency,render")
    sys.path.insert(0, str(HERE))
    import fidelity
    import servers
    fidelity.add_arguments(ap)
    servers.add_arguments(ap)
    args = ap.parse_args()
    if not args.python:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() \
            if shutil.which("pyenv") else ""
        cands = sorted(Path(root, "versions").glob("3.12.*/bin/python3.12")) if root else []
        args.python = str(cands[-1]) if cands else shutil.which("python3")
    b = Bench(args)
    print("# pyinstr benchmarks (%s, %d cores)" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    for section in args.only.split(","):
        getattr(b, "section_" + section.strip())()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Drop rates under real load (issue 22, item 9): pyinstr attached in its default mode to real
servers while a load generator drives them, beside baselines measured in the same invocation.

    bash bench/servers-setup.sh                 # once, as root: Debian's servers, wrk, a chroot
    python3 bench/run.py --only servers         # every server on every interpreter; ~20 min
    python3 bench/servers.py --server-runs 3 --servers uvicorn,asyncio --server-pythons sid-3.14

Servers (bench/servers/, the same three endpoints each, plain Python returning JSON:
endpoints.py): uvicorn + FastAPI (async endpoints with a pydantic response model, and a sync one
run in FastAPI's thread pool; Debian's uvicorn without uvloop or httptools, so the event loop
and the HTTP parser are Python), gunicorn's sync workers (2 workers; pyinstr attaches to one
worker's pid), a plain asyncio.start_server HTTP/1.1 server, and aiohttp's web server.
Interpreters: Debian's /usr/bin/python3 (bookworm: 3.11) and python3.14 and python3.15 of the
benchmark's own Debian-unstable chroot ($PYINSTR_SID_SERVERS, default
/var/cache/pyinstr/sid-servers, made by bench/servers-setup.sh; started as `chroot DIR
python3.X`, attached by pid from the host). A server an interpreter cannot import is SKIPPED.

Load: wrk (one thread, --server-connections connections, keep-alive; bench/servers/paths.lua
asks the three endpoints in turn) for the recording's length plus two seconds; pyinstr attaches
one second after wrk starts, for --server-seconds (10), `-r collapsed -o /dev/null`, with
PYINSTR_DROP_CAUSES=1. Per server, each run records, in this order:
  idle, default 1 ms    the server with no request: the baseline of the default mode
  load, default 1 ms    pyinstr's default
  load, default 0.1 ms  -i 0.0001
  load, blocking 1 ms   --blocking: the threads stopped for each sample (the exact baseline)
and the table gives, per row, the median (min..max) over --server-runs (2) of: rounds (the
achieved rate times the duration), samples (thread stacks reported), dropped % (torn thread
walks dropped / all: pyinstr's summary), dropped / rounds % (the same drops per round: idle
threads, uvicorn's thread pool, are never torn and dilute the first figure, while nearly every
drop is the busy thread's, so this one is close to the busy thread's own drop rate), late rounds, the requests per second wrk got (its whole run: the
profiler's cost shows here), and the 1-minute load average. A second table breaks the drops of
the loaded default-mode rows down by the walker's check that rejected them (first read / after
the one re-read), from PYINSTR_DROP_CAUSES.

Nothing is pinned: the servers, wrk and pyinstr share the machine's cores as they would in
production, and the machine's other jobs run too (the load average column says how busy).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tables import median_spread, table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APPS = HERE / "servers"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
INSIDE = "/tmp/pyinstr-bench-servers"  # the apps' copy inside the chroot

SUMMARY = re.compile(r"pyinstr: (\d+) samples, (\d+) dropped \(([\d.]+)%\), (\d+) threads?, "
                     r"([\d.]+) s at (\d+) Hz \((\d+) late\)")
CAUSES = re.compile(r"pyinstr: thread walks (\d+), cut (\d+) \(repaired (\d+)\), returned frames "
                    r"revived (\d+), read afresh \d+(?:, [^;]*)?; torn at first read / dropped by "
                    r"cause:(.*)")

# name: (modules it needs, argv after the interpreter given the apps' dir and port, attach to
# a worker child rather than the process started)
SERVERS = {
    "uvicorn-fastapi": (("uvicorn", "fastapi"), lambda d, port: [
        "-m", "uvicorn", "--app-dir", d, "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log", "--loop", "asyncio", "--http", "h11",
        "fastapi_app:app"], False),
    "gunicorn-sync": (("gunicorn",), lambda d, port: [
        "-m", "gunicorn", "--chdir", d, "-w", "2", "-k", "sync", "-b", "127.0.0.1:%d" % port,
        "--log-level", "warning", "wsgi_app:app"], True),
    "asyncio": (("asyncio",), lambda d, port: [d + "/asyncio_server.py", str(port)], False),
    "aiohttp": (("aiohttp",), lambda d, port: [d + "/aiohttp_app.py", str(port)], False),
}
MODES = [  # (name, under load, pyinstr options)
    ("idle, default 1 ms", False, ["-i", "0.001"]),
    ("load, default 1 ms", True, ["-i", "0.001"]),
    ("load, default 0.1 ms", True, ["-i", "0.0001"]),
    ("load, blocking 1 ms", True, ["--blocking", "-i", "0.001"]),
]
DEFAULT_PYTHONS = "debian-3.11,sid-3.14,sid-3.15"


def loadavg():
    return float(open("/proc/loadavg").read().split()[0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_causes(line_rest):
    """'name first/dropped; ...' -> {name: (first, dropped)}"""
    out = {}
    for part in line_rest.split(";"):
        m = re.match(r"\s*(.+?) (\d+)/(\d+)\s*$", part)
        if m:
            out[m[1]] = (int(m[2]), int(m[3]))
    return out


class Servers:
    def __init__(self, args):
        self.args = args
        self.pyinstr = args.pyinstr
        self.seconds = 4.0 if args.quick and args.server_seconds is None else (args.server_seconds or 10.0)
        self.runs = 1 if args.quick and args.server_runs is None else (args.server_runs or 2)
        self.chroot = args.servers_chroot
        self.results = []  # dicts, one per measurement
        self.skipped = []

    # ---- interpreters -------------------------------------------------------------------
    def pythons(self):
        """[(id, argv prefix, apps dir as the interpreter sees it)]"""
        out = []
        for want in self.args.server_pythons.split(","):
            want = want.strip()
            if want.startswith("debian-"):
                exe = "/usr/bin/python" + want.split("-", 1)[1]
                if not os.access(exe, os.X_OK):
                    exe = "/usr/bin/python3"
                ver = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True).stdout.strip()
                if "debian-" + ver != want:
                    self.skipped.append((want, "-", "no /usr/bin/python%s (python3 is %s)" %
                                         (want.split("-", 1)[1], ver)))
                    continue
                out.append((want, [exe], str(APPS)))
            elif want.startswith("sid-"):
                v = want.split("-", 1)[1]
                why = self.sid_missing(v)
                if why:
                    self.skipped.append((want, "-", why))
                    continue
                dst = Path(self.chroot + INSIDE)
                dst.mkdir(parents=True, exist_ok=True)
                for f in APPS.iterdir():
                    if f.is_file():
                        shutil.copy2(f, dst / f.name)
                out.append((want, [CHROOT, self.chroot, "python" + v], INSIDE))
            else:
                raise SystemExit("servers: unknown interpreter %r (debian-3.X or sid-3.X)" % want)
        return out

    def sid_missing(self, v):
        if os.geteuid() != 0:
            return "chroot(8) needs root"
        if not os.path.isfile(os.path.join(self.chroot, ".pyinstr-sid-chroot")):
            return "no chroot at %s (run bash bench/servers-setup.sh as root)" % self.chroot
        if not os.path.isdir(os.path.join(self.chroot, "proc", "self")):
            return "/proc is not mounted in %s (run bash bench/servers-setup.sh)" % self.chroot
        if not os.path.exists(os.path.join(self.chroot, "usr/bin/python" + v)):
            return "no python%s in %s" % (v, self.chroot)
        return None

    def can_import(self, argv, modules):
        r = subprocess.run(argv + ["-c", "import " + ", ".join(modules)], capture_output=True,
                           text=True, timeout=120)
        return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["?"])[-1]

    # ---- one server ---------------------------------------------------------------------
    def start(self, argv, appdir, server):
        _, make, worker = SERVERS[server]
        port = free_port()
        proc = subprocess.Popen(argv + make(appdir, port), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError("%s exited (%s): %s" % (server, proc.returncode,
                                                           proc.stderr.read()[-2000:]))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/users/1" % port, timeout=2) as r:
                    json.loads(r.read())
                break
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise RuntimeError("%s did not answer on port %d within 60 s" % (server, port))
                time.sleep(0.2)
        pid = proc.pid  # chroot execs the interpreter: the same pid
        if worker:
            kids = []
            for _ in range(100):
                try:
                    kids = sorted(int(k) for k in
                                  open("/proc/%d/task/%d/children" % (pid, pid)).read().split())
                except OSError:
                    kids = []
                if kids:
                    break
                time.sleep(0.1)
            if not kids:
                raise RuntimeError("%s: no worker process under %d" % (server, pid))
            pid = kids[0]
        return proc, port, pid

    def stop(self, proc):
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # our own session: the server and its workers
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def measure(self, pid, port, loaded, opts):
        wrk = None
        if loaded:
            wrk = subprocess.Popen(["wrk", "-t1", "-c%d" % self.args.server_connections,
                                    "-d%ds" % int(self.seconds + 2.5), "-s", str(APPS / "paths.lua"),
                                    "http://127.0.0.1:%d" % port],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(1)
        load0 = loadavg()
        env = dict(os.environ, PYINSTR_DROP_CAUSES="1")
        out = subprocess.run([self.pyinstr, "attach", "--pid", str(pid), "-d", str(self.seconds),
                              "-r", "collapsed", "-o", os.devnull] + opts,
                             capture_output=True, text=True, timeout=self.seconds + 120, env=env)
        rps = None
        if wrk:
            text = wrk.communicate(timeout=self.seconds + 60)[0]
            m = re.search(r"Requests/sec:\s+([\d.]+)", text)
            rps = float(m[1]) if m else None
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
            if bad:
                print("(wrk: %s non-2xx responses)" % bad[1], file=sys.stderr)
        m, c = SUMMARY.search(out.stderr), CAUSES.search(out.stderr)
        if out.returncode != 0 or not m:
            raise RuntimeError("pyinstr failed (%d): %s" % (out.returncode, out.stderr[-2000:]))
        res = {"samples": int(m[1]), "dropped": int(m[2]), "drop_pct": float(m[3]),
               "threads": int(m[4]), "elapsed": float(m[5]), "hz": int(m[6]), "late": int(m[7]),
               "rounds": round(int(m[6]) * float(m[5])), "rps": rps,
               "load": (load0 + loadavg()) / 2}
        if c:
            res.update({"walks": int(c[1]), "cut": int(c[2]), "repaired": int(c[3]),
                        "revived": int(c[4]), "causes": parse_causes(c[5])})
        return res

    def run_server(self, pyid, argv, appdir, server):
        proc, port, pid = self.start(argv, appdir, server)
        try:
            # warm up: the first requests import and specialise
            subprocess.run(["wrk", "-t1", "-c4", "-d1s", "-s", str(APPS / "paths.lua"),
                            "http://127.0.0.1:%d" % port], capture_output=True, timeout=60)
            for run in range(self.runs):
                for mode, loaded, opts in MODES:
                    r = self.measure(pid, port, loaded, opts)
                    r.update({"python": pyid, "server": server, "mode": mode, "run": run})
                    self.results.append(r)
                    self.log("%s %s %s run %d: %d rounds, %d samples, %.2f %% dropped, %s req/s"
                             % (pyid, server, mode, run + 1, r["rounds"], r["samples"],
                                r["drop_pct"], r["rps"]))
        finally:
            self.stop(proc)

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    # ---- the whole benchmark --------------------------------------------------------------
    def run(self):
        if not shutil.which("wrk"):
            print("\n**servers: no wrk: run bash bench/servers-setup.sh as root**")
            return
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
        print("\n## Drop rates under load (bench/servers.py; %s, commit %s, %d cores, "
              "load average before: %s)" % (time.strftime("%Y-%m-%d %H:%M %Z"), commit,
                                            os.cpu_count(), open("/proc/loadavg").read().split()[0]))
        print("\n%g s per recording, %d run(s), wrk -t1 -c%d, nothing pinned" %
              (self.seconds, self.runs, self.args.server_connections))
        wanted = [s.strip() for s in self.args.servers.split(",") if s.strip()]
        for pyid, argv, appdir in self.pythons():
            for server in wanted:
                if server not in SERVERS:
                    raise SystemExit("servers: unknown server %r (%s)" % (server, ", ".join(SERVERS)))
                why = self.can_import(argv, SERVERS[server][0])
                if why:
                    self.skipped.append((pyid, server, why))
                    continue
                try:
                    self.run_server(pyid, argv, appdir, server)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    self.skipped.append((pyid, server, "FAILED: %s" % str(e)[:300]))
        self.report()

    def groups(self):
        out = {}
        for r in self.results:
            out.setdefault((r["python"], r["server"], r["mode"]), []).append(r)
        return out

    def report(self):
        rows = []
        for (py, server, mode), rs in self.groups().items():
            rps = [r["rps"] for r in rs if r["rps"] is not None]
            rows.append([py, server, mode, median_spread([r["rounds"] for r in rs], "%d"),
                         median_spread([r["samples"] for r in rs], "%d"),
                         median_spread([r["drop_pct"] for r in rs], "%.2f"),
                         median_spread([100.0 * r["dropped"] / max(1, r["rounds"]) for r in rs],
                                       "%.2f"),
                         median_spread([r["late"] for r in rs], "%d"),
                         median_spread(rps, "%.0f") if rps else "-",
                         median_spread([r["load"] for r in rs], "%.1f")])
        table("Dropped samples, default mode against idle and --blocking (median (min..max) of "
              "%d run(s), %g s each)" % (self.runs, self.seconds),
              ["python", "server", "mode", "rounds", "samples", "dropped %",
               "dropped / rounds %", "late", "req/s (wrk)", "load avg"], rows)
        rows = []
        for (py, server, mode), rs in self.groups().items():
            if "blocking" in mode or not all("causes" in r for r in rs):
                continue
            walks = sum(r["walks"] for r in rs)
            first, dropped = {}, {}
            for r in rs:
                for name, (f, d) in r["causes"].items():
                    first[name] = first.get(name, 0) + f
                    dropped[name] = dropped.get(name, 0) + d
            tf, td = sum(first.values()), sum(dropped.values())
            top = sorted(dropped.items(), key=lambda kv: -kv[1])
            rows.append([py, server, mode, walks,
                         "%.2f" % (100.0 * tf / walks if walks else 0),
                         "%.2f" % (100.0 * td / walks if walks else 0),
                         ", ".join("%s %d/%d" % (k, first[k], v) for k, v in top if v) or "-",
                         "%d (%d)" % (sum(r["cut"] for r in rs), sum(r["repaired"] for r in rs))])
        table("Why: torn thread walks by the check that rejected them (all runs pooled; "
              "PYINSTR_DROP_CAUSES)",
              ["python", "server", "mode", "thread walks", "torn at first read %",
               "dropped %", "dropped by cause (first read / dropped)",
               "chains cut (repaired)"], rows)
        for py, server, why in self.skipped:
            print("\nSKIPPED %s %s: %s" % (py, server, why))
        if self.args.server_json:
            Path(self.args.server_json).write_text(json.dumps(
                {"seconds": self.seconds, "runs": self.runs, "results": self.results,
                 "skipped": self.skipped}, indent=1))


def add_arguments(ap):
    g = ap.add_argument_group("servers")
    g.add_argument("--server-seconds", type=float, default=None, help="seconds per recording (10; --quick 4)")
    g.add_argument("--server-runs", type=int, default=None, help="runs of every mode per server (2; --quick 1)")
    g.add_argument("--servers", default=",".join(SERVERS), help="which (%s)" % ",".join(SERVERS))
    g.add_argument("--server-pythons", default=DEFAULT_PYTHONS,
                   help="interpreters: debian-3.X (/usr/bin), sid-3.X (the chroot) (%s)" % DEFAULT_PYTHONS)
    g.add_argument("--server-connections", type=int, default=16, help="wrk's connections (16)")
    g.add_argument("--servers-chroot", default=os.environ.get("PYINSTR_SID_SERVERS",
                                                              "/var/cache/pyinstr/sid-servers"),
                   help="the Debian-unstable chroot of bench/servers-setup.sh")
    g.add_argument("--server-json", default=None, help="also write every measurement to this JSON file")
    g.add_argument("--server-report", default=None, help="print the tables of a --server-json file, measure nothing")


def run(args):
    s = Servers(args)
    if args.server_report:
        # the tables again from a --server-json file
        data = json.loads(Path(args.server_report).read_text())
        s.seconds, s.runs, s.results = data["seconds"], data["runs"], data["results"]
        s.skipped = [tuple(x) for x in data["skipped"]]
        s.args.server_json = None
        for r in s.results:
            r["causes"] = {k: tuple(v) for k, v in r.get("causes", {}).items()}
        s.report()
        return
    s.run()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyinstr", default=str(ROOT / "build" / "cli" / "pyinstr"))
    ap.add_argument("--quick", action="store_true")
    add_arguments(ap)
    args = ap.parse_args()
    print("# pyinstr server benchmark (%s, %d cores)" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    run(args)


if __name__ == "__main__":
    main()

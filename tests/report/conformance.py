#!/usr/bin/env python3
"""Run pyinstr on the conformance cases made with real pyinstrument 5.1.2 and compare.

usage: conformance.py PYINSTR [CASE-FILTER]

Each entry of conformance/manifest.json names a case folder (holding session.pyisession), the
arguments to run there and the file with pyinstrument's exact output. Text must be equal from the
first line after the banner (the banner is pyinstr's own); the --load-prev hint that follows a
text report on stdout is checked and then removed. JSON must be equal once group ids are masked,
speedscope once the timestamp in the profile name is masked, and pstats as loaded by pstats.
"""
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "conformance")
HINT = re.compile(
    rb"To view this report with different options, run:\n"
    rb"    pyinstr --load-prev \d{4}-\d\d-\d\dT\d\d-\d\d-\d\d \[options\]\n\n\Z"
)


def strip_banner(text, target):
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line in (target, ".  " + target):
            return "\n".join(lines[i + 2 :])
    raise AssertionError("no banner with the target description %r" % target)


def mask_groups(text):
    ids = {}

    def label(m):
        return '"group_id": "group-%d"' % ids.setdefault(m.group(1), len(ids))

    return re.sub(r'"group_id": "([0-9a-f-]+)"', label, text)


def mask_timestamp(text):
    return re.sub(r"' at \d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\"", "' at TIMESTAMP\"", text)


def load_pstats(path):
    return pstats.Stats(path).stats


def first_difference(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(al, bl)):
        if x != y:
            return "line %d:\n  expected %r\n  got      %r" % (i + 1, x, y)
    return "length differs: expected %d lines, got %d" % (len(al), len(bl))


def run_case(pyinstr, case, env):
    folder = os.path.join(ROOT, case["case"])
    expected_path = os.path.join(folder, case["expected"])
    with open(os.path.join(folder, "session.pyisession")) as f:
        target = json.load(f)["target_description"]
    proc = subprocess.run([pyinstr] + case["args"], cwd=folder, env=env, capture_output=True)
    if proc.returncode != 0:
        return "exit %d: %s" % (proc.returncode, proc.stderr.decode(errors="replace").strip())
    out = proc.stdout
    name = case["expected"]
    if name.endswith(".txt"):
        if not HINT.search(out):
            return "no --load-prev hint after the text report"
        out = HINT.sub(b"", out)
        with open(expected_path, encoding="utf-8") as f:
            want = strip_banner(f.read(), target)
        got = strip_banner(out.decode("utf-8"), target)
    elif name.endswith(".speedscope.json"):
        with open(expected_path, encoding="utf-8") as f:
            want = mask_timestamp(f.read())
        got = mask_timestamp(out.decode("utf-8"))
    elif name.endswith(".json"):
        with open(expected_path, encoding="utf-8") as f:
            want = mask_groups(f.read())
        got = mask_groups(out.decode("utf-8"))
    elif name.endswith(".pstats"):
        with tempfile.NamedTemporaryFile(suffix=".pstats") as tmp:
            tmp.write(out)
            tmp.flush()
            try:
                got = load_pstats(tmp.name)
            except Exception as e:  # noqa: BLE001 - any failure to load is the finding
                return "pstats cannot load the output: %s" % e
        want = load_pstats(expected_path)
        if got == want:
            return None
        for key in want:
            if got.get(key) != want[key]:
                return "entry %r:\n  expected %r\n  got      %r" % (key, want[key], got.get(key))
        return "extra entries: %r" % sorted(set(got) - set(want))
    else:
        return "unknown expected file type"
    return None if got == want else first_difference(want, got)


def main():
    pyinstr = os.path.abspath(sys.argv[1])
    only = sys.argv[2] if len(sys.argv) > 2 else None
    with open(os.path.join(ROOT, "manifest.json")) as f:
        manifest = json.load(f)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, TZ=manifest.get("timezone", "UTC"), XDG_DATA_HOME=data)
        for case in manifest["cases"]:
            label = "%s %s" % (case["case"], case["expected"])
            if only and only not in label:
                continue
            problem = run_case(pyinstr, case, env)
            if problem:
                failed += 1
                print("FAIL %s (%s)\n     %s" % (label, " ".join(case["args"]), problem))
            else:
                passed += 1
                print("ok   %s" % label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

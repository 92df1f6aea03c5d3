#!/usr/bin/env python3
"""-r gecko on every conformance session: the output passes gecko_check.py, has one thread per
thread of the session, and each sample's stack, read back through the stack, frame, func and
string tables, is the record's stack (function names, root first, the thread frame left out),
and weighs the record's time (in ms).

usage: gecko-test.py PYINSTR CONFORMANCE-DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gecko_check  # noqa: E402


def stack_names(th, s):
    out = []
    while s is not None:
        func = th["frameTable"]["func"][th["stackTable"]["frame"][s]]
        out.append(th["stringArray"][th["funcTable"]["name"][func]])
        s = th["stackTable"]["prefix"][s]
    return out[::-1]


def main():
    pyinstr, root = sys.argv[1:3]
    cases = sorted(d for d in os.listdir(root) if os.path.exists(os.path.join(root, d, "session.pyisession")))
    assert cases, "no conformance sessions"
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            path = os.path.join(root, case, "session.pyisession")
            out = os.path.join(tmp, case + ".json")
            subprocess.run([pyinstr, "--load", path, "-r", "gecko", "-o", out], check=True)
            with open(out, "rb") as f:
                prof = json.load(f)
            gecko_check.check(prof)
            with open(path, "rb") as f:
                records = json.load(f)["frame_records"]
            by_thread = {}
            weights = {}
            for stack, weight in records:
                if stack:
                    by_thread.setdefault(stack[0].split("\0")[0], []).append(
                        [fr.split("\x01")[0].split("\0")[0] for fr in stack[1:]])
                    weights.setdefault(stack[0].split("\0")[0], []).append(weight * 1000.0)
            got = {th["name"]: th for th in prof["threads"]}
            assert sorted(got) == sorted(by_thread), (case, sorted(got), sorted(by_thread))
            for name, want in by_thread.items():
                th = got[name]
                have = [stack_names(th, s) for s in th["samples"]["stack"]]
                assert have == want, (case, name)
                assert th["samples"]["weightType"] == "tracing-ms", (case, name)
                assert th["samples"]["weight"] == weights[name], (case, name)
            print(f"ok: {case}: {len(prof['threads'])} thread(s), {len(records)} samples")


if __name__ == "__main__":
    main()

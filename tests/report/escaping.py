#!/usr/bin/env python3
"""Every report format, on a session whose names hold quotes, backslashes, </script>, control
characters, non-ASCII, U+2028/2029 and invalid UTF-8, read back by its real consumer: Python's
json for json/speedscope/pyisession/gecko (plus gecko_check.py), pstats for pstats, a parse of
the lines for collapsed and text, and for html the data element as a browser finds it (the
browser test then loads OUTDIR/escapes.html in chromium).

usage: escaping.py PYINSTR [OUTDIR]
"""
import json
import os
import pstats
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gecko_check  # noqa: E402

# (function, file, class or None); "\udcXX" is an invalid UTF-8 byte (surrogateescape)
FRAMES = [
    ('quote"d', '/app/dir "x"/q.py', None),
    ("back\\slash", "/app/C:\\path\\to.py", 'Cls"\\'),
    ("</script><script>alert(1)</script>", "/app/</script>.py", None),
    ("ctl\x02\t\n\r\x1b\x1f\x7f", "/app/ctl\x03.py", None),
    ("na\u00efve_\u540d\u524d_\U0001f600", "/app/\u00fcn\u00ef/\u540d\u524d.py", None),
    ("sep\u2028\u2029", "/app/sep.py", None),
    ("bad\udcff\udcfe", "/app/bad\udcc3.py", None),
    ("semi;colon lib", "/usr/lib/python3/lib;x.py", None),
]
THREAD = 'Main"Thread</script>\\\0<thread>\0' + "1234"
ROOT = "<module>\0/app/main.py\0" + "1"
NAMES = [f for f, _, _ in FRAMES]


def info(fn, file, cls, line=3):
    s = f"{fn}\0{file}\0{line}"
    if cls:
        s += "\x01c" + cls
    return s + "\x01l7"


def session():
    records = []
    for i, (fn, file, cls) in enumerate(FRAMES):
        records.append([[THREAD, ROOT, info(fn, file, cls)], 0.1])
        # nested too: each name under the previous one
        if i:
            records.append([[THREAD, ROOT, info(*FRAMES[i - 1]), info(fn, file, cls)], 0.05])
    return {
        "start_time": 1700000000.0, "duration": 1.5, "min_interval": 0.001,
        "max_interval": 0.001, "sample_count": len(records),
        "start_call_stack": [THREAD, ROOT], "target_description": 'Program: "</script>\u2028',
        "cpu_time": 1.0, "sys_path": ["/app", "/usr/lib/python3"], "sys_prefixes": ["/usr"],
        "frame_records": records,
    }


def run(pyinstr, path, renderer, out, *extra):
    subprocess.run([pyinstr, "--load", path, "-r", renderer, "-o", out, *extra], check=True)
    with open(out, "rb") as f:
        return f.read()


def text_of(raw):
    return raw.decode("utf-8", "surrogateescape")


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def names_in_tree(root, key="function"):
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        out.append(n[key])
        stack.extend(n["children"])
    return out


def main():
    pyinstr = sys.argv[1]
    outdir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="pyinstr-esc-")
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "escapes.pyisession")
    with open(path, "w", encoding="ascii") as f:
        json.dump(session(), f)
    o = lambda name: os.path.join(outdir, name)  # noqa: E731

    # text: every name, byte for byte (control characters included)
    raw = run(pyinstr, path, "text", o("escapes.txt"), "-p", "processor_options.filter_threshold=0")
    txt = text_of(raw)
    for n in NAMES:
        expect(n in txt, f"text shows {n!r}")

    # json (encode_basestring: non-ASCII raw, invalid bytes raw)
    doc = json.loads(text_of(run(pyinstr, path, "json", o("escapes.json"), "--show-all")))
    got = names_in_tree(doc["root_frame"])
    for n in NAMES:
        expect(n in got, f"json keeps {n!r}")
    expect(doc["target_description"] == 'Program: "</script>\u2028', "json keeps the description")

    # speedscope (ensure_ascii)
    raw = run(pyinstr, path, "speedscope", o("escapes.speedscope.json"))
    expect(all(b < 0x80 for b in raw), "speedscope is ASCII")
    sp = json.loads(raw)
    got = [f["name"] for f in sp["shared"]["frames"]]
    for n in NAMES:
        expect(n in got, f"speedscope keeps {n!r}")

    # pstats, loaded by pstats
    run(pyinstr, path, "pstats", o("escapes.pstats"))
    st = pstats.Stats(o("escapes.pstats"))
    got = [k[2] for k in st.stats]
    for n in NAMES:
        expect(n in got, f"pstats keeps {n!r}")

    # pyisession: the same session back, and pyinstr reads its own file
    back = json.loads(run(pyinstr, path, "pyisession", o("escapes2.pyisession")))
    expect(back["frame_records"] == session()["frame_records"], "pyisession round-trips")
    again = run(pyinstr, o("escapes2.pyisession"), "json", o("escapes2.json"), "--show-all")
    expect(json.loads(text_of(again)) == doc, "pyinstr reloads its own pyisession")

    # collapsed: one "stack count" per line, frames separated by ';'
    lines = text_of(run(pyinstr, path, "collapsed", o("escapes.collapsed"))).split("\n")
    expect(lines[-1] == "", "collapsed ends with a newline")
    for line in lines[:-1]:
        stack, _, count = line.rpartition(" ")
        expect(count.isdigit() and stack, f"collapsed line parses: {line!r}")
        expect(len(stack.split(";")) in (3, 4), f"collapsed stack has 3-4 frames: {stack!r}")

    # html: the data element ends where a browser ends it, and is JSON
    raw = run(pyinstr, path, "html", o("escapes.html"))
    page = text_of(raw)
    start = page.index('<script type="application/json" id="pyinstr-data">')
    start = page.index(">", start) + 1
    end = page.lower().index("</script", start)
    data = page[start:end]
    expect("<!--" not in data and "<" not in data, "html data has no '<' at all")
    expect("\u2028" not in data and "\u2029" not in data, "html data has no raw U+2028/2029")
    d = json.loads(data)
    got = [f[0] for f in d["frames"]]
    for n in NAMES:
        expect(n in got, f"html keeps {n!r}")
    expect(d["threads"][0]["name"] == 'Main"Thread</script>\\', "html keeps the thread name")
    expect(d["session"]["target_description"] == 'Program: "</script>\u2028',
           "html keeps the description")

    # gecko
    raw = run(pyinstr, path, "gecko", o("escapes.gecko.json"))
    g = json.loads(raw)
    gecko_check.check(g)
    strings = g["threads"][0]["stringArray"]
    for n in NAMES:
        expect(n in strings, f"gecko keeps {n!r}")
    expect(g["threads"][0]["name"] == 'Main"Thread</script>\\', "gecko keeps the thread name")
    print("escaping: every format read back by its consumer")


if __name__ == "__main__":
    main()

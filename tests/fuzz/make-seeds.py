"""Write the seed corpora of tests/fuzz/seeds/ from real data (run again after changing a
harness's input format; the output is committed):
  session        the conformance sessions (tests/report/conformance), cut to a few records
  linetable      real line tables of the interpreters found (as tests/unit/check-linetable.py)
  pystr          str objects of every layout, at every offsets table's str offsets
  debug-offsets  the real _Py_DebugOffsets of 3.13, 3.14 and 3.15 (tests/offsets/*.inc)
  walker         each offsets table, walked once and again, and a few pointer rewrites
Usage: python3 tests/fuzz/make-seeds.py"""
import hashlib
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "functional"))
from pythons import PYTHONS  # noqa: E402

SEEDS = HERE / "seeds"


def write(harness, data):
    d = SEEDS / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def sessions():
    for path in sorted((ROOT / "tests" / "report" / "conformance").glob("*/session.pyisession")):
        s = json.loads(path.read_text())
        for keep in (1, 8):
            s2 = dict(s, frame_records=s["frame_records"][:keep])
            write("session", json.dumps(s2, separators=(", ", ": ")).encode())


DUMPER = r'''
import sys, threading
fmt = 0 if sys.version_info < (3, 10) else 1 if sys.version_info < (3, 11) else 2
def walk(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield from walk(c)
codes = list(walk(compile(open(threading.__file__).read(), threading.__file__, "exec")))
for code in codes[::max(1, len(codes) // 12)]:
    table = code.co_lnotab if fmt == 0 else code.co_linetable
    print(fmt, code.co_firstlineno, len(code.co_code) // 2, table.hex())
'''


def linetables():
    for py in PYTHONS:
        out = subprocess.run([*py.argv, "-c", DUMPER], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            fmt, first, mid, table = line.split()
            write("linetable", struct.pack("<Bii", int(fmt), int(first), int(mid)) +
                  bytes.fromhex(table))


def pystrs():
    tables = sorted((ROOT / "symbols" / "tables").glob("py3*.c"),
                    key=lambda p: int(p.stem[3:]))
    for i, path in enumerate(tables):
        block = re.search(r"\.unicode = \{(.*?)\}", path.read_text(), re.S).group(1)
        off = {k: int(v) for k, v in re.findall(r"\.(\w+) = (\d+)", block)}
        for text, kind in (("handle", 1), ("caf\xe9", 1), ("名前", 2), ("\U0001f600x", 4)):
            ascii_ = all(ord(c) < 128 for c in text)
            for compact in (True, False):
                img = bytearray(256)
                struct.pack_into("<q", img, off["length"], len(text))
                state = kind << 2 | (compact << 5) | (ascii_ << 6)
                struct.pack_into("<I", img, off["state"], state)
                data = text.encode({1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[kind])
                if compact:
                    at = off["ascii_size"] if ascii_ else off["compact_size"]
                else:  # legacy: data.any points 128 bytes into the image
                    struct.pack_into("<Q", img, off["compact_size"], 0x7f0000001000 + 128)
                    at = 128
                img[at:at + len(data)] = data
                write("pystr", bytes([i]) + bytes(img))


def debug_offsets():
    for inc in sorted((ROOT / "tests" / "offsets").glob("debug-offsets-*.inc")):
        body = re.sub(r"/\*.*?\*/", "", inc.read_text(), flags=re.S)
        write("debug-offsets", bytes(int(x, 16) for x in re.findall(r"0x[0-9a-f]{2}", body)))


def walkers():
    for table in range(8):
        write("walker", bytes([table]))
        write("walker", bytes([table, 2, 2]))
        # objects 2 (the runtime's interpreter) and 4.. (frames, code) rewritten between walks
        for obj in (1, 4, 20, 30):
            write("walker", bytes([table, 2, 1, obj, 8, 0, obj, 0, 2, 3, obj, 0, 0, 2]))


sessions()
linetables()
pystrs()
debug_offsets()
walkers()
for d in sorted(SEEDS.iterdir()):
    print("%s: %d seeds" % (d.name, len(list(d.iterdir()))))

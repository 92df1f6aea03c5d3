"""Line numbers decoded by pyinstr (attach/linetable.c, through linetable-probe) must equal
what each real interpreter says for every instruction of many real code objects: the
interpreter's own PyCode_Addr2Line(), called through ctypes. Runs on every interpreter found
(as the functional tests find them); exits 77 (SKIP) loudly when there is none."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "functional"))
from pythons import PYTHONS, TARGETS  # noqa: E402

DUMPER = r'''
import ctypes, sys, os
addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int
fmt = 0 if sys.version_info < (3, 10) else 1 if sys.version_info < (3, 11) else 2
files = [m.__file__ for m in (__import__("threading"), __import__("json.decoder"),
         __import__("asyncio.base_events"), __import__("argparse"), __import__("dataclasses"))]
files += sys.argv[1:]
def walk(code):
    yield code
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            yield from walk(c)
for path in files:
    fn = sys.modules.get(path)
    with open(path, encoding="utf-8") as f:  # a debug build warns of an unclosed file
        src = f.read()
    for code in walk(compile(src, path, "exec")):
        table = code.co_lnotab if fmt == 0 else code.co_linetable
        # past the end too, except on a debug build, whose PyCode_Addr2Line asserts
        # addrq < _PyCode_NBYTES(co) (Objects/codeobject.c) and aborts
        addrs = list(range(-2, len(code.co_code) + (0 if "d" in sys.abiflags else 4), 2))
        print(fmt, code.co_firstlineno, table.hex() or "-", *addrs)
        sys.stderr.write(" ".join(str(addr2line(code, a)) for a in addrs) + "\n")
'''

probe = sys.argv[1]
extra = [str(TARGETS / f) for f in ("nested.py", "generators.py", "classes.py", "unicode_名前.py")]
if not PYTHONS:
    print("NO INTERPRETER FOUND: line tables not checked against any real interpreter",
          file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)
failures = 0
for py in PYTHONS:
    # the chroot's interpreters see the targets at the same path (pythons.py mirrors them)
    out = subprocess.run([*py.argv, "-c", DUMPER, *extra], capture_output=True, text=True,
                         check=True)
    tables = out.stdout.splitlines()
    expected = out.stderr.splitlines()
    got = subprocess.run([probe], input=out.stdout, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    n = 0
    for t, e, g in zip(tables, expected, got):
        e, g = e.split(), g.split()
        for i, (a, b) in enumerate(zip(e, g)):
            n += 1
            # PyCode_Addr2Line answers -1 for "no line"; so do we
            if a != b:
                failures += 1
                if failures < 20:
                    print("MISMATCH %s: %s addrq=%s interpreter=%s pyinstr=%s" %
                          (py.id, t[:60], t.split()[3 + i], a, b))
    assert len(tables) == len(got) == len(expected)
    print("ok %s: %d code objects, %d instruction offsets" % (py.id, len(tables), n))
sys.exit(1 if failures else 0)

# Imports freshly written modules in a loop: module bodies run once and their code objects are
# freed at once (and their names with them), while the sampler reads them.
import importlib
import os
import shutil
import sys
import tempfile
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0

root = tempfile.mkdtemp(prefix="pyinstr-imports-")
sys.path.insert(0, root)
end = time.monotonic() + DURATION
i = 0
try:
    while time.monotonic() < end:
        pkg = os.path.join(root, "pkg%d" % i)
        os.mkdir(pkg)
        with open(os.path.join(pkg, "__init__.py"), "w") as f:
            f.write("def f%d():\n    return [k for k in range(20)]\nY = f%d()\n" % (i, i))
        with open(os.path.join(pkg, "mod_\u00e9%d.py" % i), "w", encoding="utf-8") as f:
            f.write("class C%d:\n    def m(self):\n        return %d\n"
                    "Z = [C%d().m() for _ in range(50)]\n" % (i, i, i))
        importlib.invalidate_caches()
        importlib.import_module("pkg%d" % i)
        importlib.import_module("pkg%d.mod_\u00e9%d" % (i, i))
        i += 1
finally:
    shutil.rmtree(root, ignore_errors=True)

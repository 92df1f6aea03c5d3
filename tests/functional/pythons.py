"""Which interpreters the tests run against: $PYINSTR_TEST_PYTHONS (colon-separated paths)
or, by default, every pyenv CPython 3.8+ under `pyenv root` and Debian's /usr/bin/python3.X.
Free-threaded builds are left out. Imported by the pytest suites and the plain checkers."""
import os
import re
import shutil
import subprocess
from pathlib import Path


def _version_of(python):
    out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]);"
                          "print(int(bool(__import__('sysconfig').get_config_var('Py_GIL_DISABLED'))))"],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return None
    ver, ft = out.stdout.split()
    return tuple(int(x) for x in ver.split(".")), ft == "1"


def discover_pythons():
    env = os.environ.get("PYINSTR_TEST_PYTHONS")
    candidates = []
    if env:
        candidates = [p for p in env.split(":") if p]
    else:
        root = None
        if shutil.which("pyenv"):
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        if root and os.path.isdir(os.path.join(root, "versions")):
            for v in sorted(os.listdir(os.path.join(root, "versions"))):
                m = re.fullmatch(r"(\d+)\.(\d+)\.\d+", v)
                if m and (int(m[1]), int(m[2])) >= (3, 8):
                    exe = os.path.join(root, "versions", v, "bin", "python%s.%s" % (m[1], m[2]))
                    if os.access(exe, os.X_OK):
                        candidates.append(exe)
        for p in sorted(Path("/usr/bin").glob("python3.*")):
            if re.fullmatch(r"python3\.\d+", p.name):
                candidates.append(str(p))
    found = []
    for exe in candidates:
        info = _version_of(exe)
        if info and info[0] >= (3, 8) and not info[1]:
            found.append((exe, info[0]))
    return found


PYTHONS = discover_pythons()


def python_id(p):
    exe, ver = p
    where = "pyenv" if "/versions/" in exe else "debian" if exe.startswith("/usr/bin") else "other"
    return "%s-%d.%d.%d" % (where, *ver)

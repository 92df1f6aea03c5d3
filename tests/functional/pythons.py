"""Which interpreters the tests run against, and how to start each one.

A `Python` knows how to launch one interpreter on a file: `python.argv + [script, *args]`.
Two kinds:
  * local: $PYINSTR_TEST_PYTHONS (colon-separated paths) or, by default, every pyenv CPython
    3.8+ under `pyenv root` and Debian's /usr/bin/python3.X;
  * sid: python3.13, 3.14 and 3.15 and their debug builds python3.13d-3.15d (Py_DEBUG; ids
    like sid-3.14.10d), or those of $PYINSTR_SID_VERSIONS, of the Debian-unstable chroot that
    tools/sid-chroot.sh makes at $PYINSTR_SID_CHROOT (default /var/cache/pyinstr/sid), started
    as `chroot DIR python3.X FILE`. The test targets are mirrored into the chroot at the same
    absolute path, so one path names a target on both sides; pyinstr sees the target's files
    only through /proc/PID/root, as for a process in a container.
Free-threaded builds are left out. When the chroot is missing, SID_MISSING says why (the tests
then skip loudly). Imported by the pytest suites and the plain checkers.
"""
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

TARGETS = Path(__file__).resolve().parent / "targets"
SID_CHROOT = os.environ.get("PYINSTR_SID_CHROOT", "/var/cache/pyinstr/sid")
SID_STAMP = ".pyinstr-sid-chroot"  # written by tools/sid-chroot.sh once the chroot is complete
# $PYINSTR_SID_VERSIONS (comma-separated, "3.14d" for a debug build) narrows them, e.g. for the
# run under ASan
SID_VERSIONS = tuple(v for v in os.environ.get("PYINSTR_SID_VERSIONS",
                                               "3.13,3.14,3.15,3.13d,3.14d,3.15d").split(",") if v)
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"  # root's PATH has /usr/sbin, others may not


class Python:
    """One interpreter: `argv` starts it (add a script or -c and arguments)."""

    def __init__(self, kind, argv, version, abiflags=""):
        self.kind = kind          # "pyenv", "debian", "other" or "sid"
        self.argv = list(argv)
        self.version = version    # (major, minor, micro)
        self.abiflags = abiflags  # sys.abiflags: "d" for a debug build (Py_DEBUG)
        self._exe = None

    @property
    def debug(self):
        return "d" in self.abiflags

    @property
    def id(self):
        return "%s-%d.%d.%d%s" % (self.kind, *self.version, self.abiflags)

    @property
    def exe(self):
        """A single executable that runs this interpreter (for `pyinstr --python`): the
        interpreter itself, or for a chroot a small wrapper script that execs `chroot`."""
        if len(self.argv) == 1:
            return self.argv[0]
        if self._exe is None:
            d = Path(os.environ.get("TMPDIR", "/tmp")) / ("pyinstr-wrappers-%d" % os.getuid())
            d.mkdir(exist_ok=True)
            path = d / self.id
            path.write_text("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(self.argv))
            path.chmod(0o755)
            self._exe = str(path)
        return self._exe

    def modified_copy(self, tag, patch):
        """This interpreter run from a copy of its executable changed by patch(bytearray), at
        /var/tmp/pyinstr-TAG/ in the chroot. For the chroot's statically linked interpreters,
        whose executable holds _PyRuntime."""
        assert self.kind == "sid"
        name = self.argv[-1]
        inside = "/var/tmp/pyinstr-%s/%s" % (tag, name)
        data = bytearray(Path(SID_CHROOT, "usr", "bin", name).read_bytes())
        patch(data)
        out = Path(SID_CHROOT + inside)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        out.chmod(0o755)
        return Python("sid-" + tag, [CHROOT, SID_CHROOT, inside], self.version, self.abiflags)

    def __repr__(self):
        return self.id


def strip_section_headers(elf):
    """What sstrip leaves of an ELF64 executable: no section headers, hence no symbol table and
    no .PyRuntime section to find; the loader needs only the program headers."""
    struct.pack_into("<Q", elf, 0x28, 0)       # e_shoff
    struct.pack_into("<HH", elf, 0x3c, 0, 0)   # e_shnum, e_shstrndx


def set_debug_offsets(elf, version=None, free_threaded=None):
    """Make the _Py_DebugOffsets initializer in the executable claim another PY_VERSION_HEX or
    free-threaded flag (the interpreter itself does not read them)."""
    pos = -1
    while True:
        # the cookie is also an immediate operand in code: take the one a version follows
        pos = elf.index(b"xdebugpy", pos + 1)
        if struct.unpack_from("<Q", elf, pos + 8)[0] >> 24 == 3:
            break
    if version is not None:
        struct.pack_into("<Q", elf, pos + 8, version)
    if free_threaded is not None:
        struct.pack_into("<Q", elf, pos + 16, free_threaded)


VERSION_OF = """import sys, sysconfig
print('%d.%d.%d' % sys.version_info[:3])
print(int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))
print(repr(sys.abiflags))"""


def _version_of(argv):
    """((major, minor, micro), free-threaded, sys.abiflags) or None."""
    out = subprocess.run(argv + ["-c", VERSION_OF], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return None
    ver, ft, abiflags = out.stdout.split()
    return tuple(int(x) for x in ver.split(".")), ft == "1", abiflags.strip("'")


def _local_candidates():
    env = os.environ.get("PYINSTR_TEST_PYTHONS")
    if env:
        return [p for p in env.split(":") if p]
    candidates = []
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
    return candidates


def _kind(exe):
    return "pyenv" if "/versions/" in exe else "debian" if exe.startswith("/usr/bin") else "other"


def sid_missing():
    """Why the chroot's interpreters cannot be tested, or None."""
    if not SID_CHROOT or SID_CHROOT == "none":
        return "PYINSTR_SID_CHROOT is empty"
    if not os.path.isfile(os.path.join(SID_CHROOT, SID_STAMP)):
        return "no chroot at %s (make it with tools/sid-chroot.sh, as root)" % SID_CHROOT
    if os.geteuid() != 0:
        return "chroot(8) needs root"
    if not os.path.isdir(os.path.join(SID_CHROOT, "proc", "self")):
        return "/proc is not mounted in %s (run tools/sid-chroot.sh)" % SID_CHROOT
    return None


def _mirror_targets():
    """Copy the targets into the chroot at their own absolute path."""
    inside = Path(SID_CHROOT + str(TARGETS))
    inside.mkdir(parents=True, exist_ok=True)
    for f in TARGETS.iterdir():
        if f.is_file():
            shutil.copy2(f, inside / f.name)


def discover_pythons():
    """([Python], why some or all of the chroot's interpreters are missing, or None)."""
    found = []
    for exe in _local_candidates():
        info = _version_of([exe])
        if info and info[0] >= (3, 8) and not info[1]:
            found.append(Python(_kind(exe), [exe], info[0], info[2]))
    missing = sid_missing()
    if missing is None:
        _mirror_targets()
        broken = []
        for v in SID_VERSIONS:
            argv = [CHROOT, SID_CHROOT, "python" + v]
            info = _version_of(argv)
            # "3.14d" must be a debug build, "3.14" must not
            if info and not info[1] and ("d" in info[2]) == v.endswith("d"):
                found.append(Python("sid", argv, info[0], info[2]))
            else:
                broken.append("python" + v)
        if broken:
            missing = "%s do(es) not run in %s" % (", ".join(broken), SID_CHROOT)
    return found, missing


PYTHONS, SID_MISSING = discover_pythons()


def python_id(p):
    return p.id

"""Lists the interpreters the functional tests run against. Fails in CI (CI=true) when there
are none, so that a run in which every interpreter was skipped cannot pass; elsewhere it
exits 77 (SKIP) and says so loudly.
With --sid: only the Debian-unstable chroot's python3.13-3.15 and their debug builds 3.13d-3.15d;
exits 77 (SKIP, shown in meson's summary) when the chroot is missing or one of them does not run,
saying why."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pythons import PYTHONS, SID_MISSING  # noqa: E402

SKIP = 77
NOT_TESTED = "DEBIAN UNSTABLE 3.13/3.14/3.15 (AND 3.13d-3.15d) NOT TESTED: %s"


def show(p):
    # conftest.py runs only the tests marked debug_builds on a debug build
    print("functional tests run on %s (%s)%s" % (p.id, " ".join(p.argv),
                                                 ", the debug_builds tests" if p.debug else ""))


if sys.argv[1:] == ["--sid"]:
    for p in PYTHONS:
        if p.kind == "sid":
            show(p)
    if SID_MISSING:
        print(NOT_TESTED % SID_MISSING, file=sys.stderr)
        sys.exit(SKIP)
    sys.exit(0)

for p in PYTHONS:
    show(p)
if SID_MISSING:
    print(NOT_TESTED % SID_MISSING, file=sys.stderr)
if not PYTHONS:
    print("NO INTERPRETER FOUND for the functional tests (pyenv root, /usr/bin/python3.X, "
          "PYINSTR_TEST_PYTHONS, or the sid chroot): every profiling test was skipped",
          file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else SKIP)

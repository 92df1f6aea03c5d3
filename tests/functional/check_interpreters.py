"""Lists the interpreters the functional tests run against. Fails in CI (CI=true) when there
are none, so that a run in which every interpreter was skipped cannot pass; elsewhere it
exits 77 (SKIP) and says so loudly."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pythons import PYTHONS, python_id  # noqa: E402

for p in PYTHONS:
    print("functional tests run on %s (%s)" % (python_id(p), p[0]))
if not PYTHONS:
    print("NO INTERPRETER FOUND for the functional tests (pyenv root, /usr/bin/python3.X, "
          "or PYINSTR_TEST_PYTHONS): every profiling test was skipped", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

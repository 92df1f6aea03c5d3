#!/usr/bin/env bash
# Set up, build with warnings as errors, make the Debian-unstable chroot with python3.13-3.15
# (tools/sid-chroot.sh; quick when it exists), and run every test suite (unit, offsets, report,
# functional against every interpreter found). Exit status is meson test's. If the chroot
# cannot be made (no mirror reachable), its interpreters' tests are SKIPPED, loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
# meson's compiler probes (gcc -E -v -) read standard input: never let them read ours
exec </dev/null
export PYINSTR_MESON_ARGS="-Dwerror=true ${PYINSTR_MESON_ARGS:-}"
bash tools/setup.sh
sid=$(meson introspect --buildoptions "${PYINSTR_BUILD_DIR:-build}" |
      python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "sid-chroot"))')
if ! bash tools/sid-chroot.sh "$sid" >/dev/null; then
        echo "test: ****** NO SID CHROOT: Debian 3.13/3.14/3.15 will be SKIPPED ******" >&2
fi
exec meson test -C "${PYINSTR_BUILD_DIR:-build}" --print-errorlogs "$@"

#!/usr/bin/env bash
# Set up, build with warnings as errors, and run every test suite (unit, offsets, report,
# functional against every interpreter found). Exit status is meson test's.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYINSTR_MESON_ARGS="-Dwerror=true ${PYINSTR_MESON_ARGS:-}"
bash tools/setup.sh
exec meson test -C "${PYINSTR_BUILD_DIR:-build}" --print-errorlogs "$@"

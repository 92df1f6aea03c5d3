#!/usr/bin/env bash
# The memory checkers of CI: the unit, report and fuzz-replay suites built with ASan+UBSan
# (gcc, every UBSan report fatal) in $PYINSTR_ASAN_BUILD_DIR (default build-asan), then the
# unit and fuzz-replay C tests of ./build under valgrind memcheck (leaks included). The
# functional suite is left out: it takes minutes and mostly exercises the same C code.
set -euo pipefail
cd "$(dirname "$0")/.."
asan=${PYINSTR_ASAN_BUILD_DIR:-build-asan}
build=${PYINSTR_BUILD_DIR:-build}
if [ ! -f "$asan/build.ninja" ]; then
        meson setup "$asan" -Dwerror=true -Dfunctional-tests=disabled \
                -Db_sanitize=address,undefined -Db_lundef=false \
                -Dc_args=-fno-sanitize-recover=all >/dev/null
fi
ninja -C "$asan" >/dev/null
ASAN_OPTIONS=detect_leaks=1 meson test -C "$asan" --print-errorlogs \
        --suite unit --suite report --suite fuzz

ninja -C "$build" >/dev/null
# the C test programs only (the unit suite also holds a Python checker)
meson test -C "$build" --print-errorlogs --timeout-multiplier 4 \
        --wrapper 'valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite' \
        test-maps test-decoders fuzz-session fuzz-linetable fuzz-pystr fuzz-debug-offsets fuzz-walker

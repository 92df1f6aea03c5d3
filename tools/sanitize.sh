#!/usr/bin/env bash
# The memory checkers of CI: the unit, report and fuzz-replay suites built with ASan+UBSan
# (gcc, every UBSan report fatal) in $PYINSTR_ASAN_BUILD_DIR (default build-asan); the
# functional suites (record/attach/dump, bad input, kill safety, torn-read stress) with that
# ASan pyinstr against one interpreter of each layout family (3.8 frame objects and lnotab,
# 3.10 line table, 3.12 _PyInterpreterFrame with cframe, Debian 3.15 debug offsets and tagged
# stack refs) — all ten take several minutes more and exercise the same C code; then the unit
# and fuzz-replay C tests of ./build under valgrind memcheck (leaks included).
set -euo pipefail
cd "$(dirname "$0")/.."
# meson's compiler probes (gcc -E -v -) read standard input: never let them read ours
exec </dev/null
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

# the functional suites, with pyinstr built with ASan (leaks fail a run too: exit 1)
pythons=()
root=$(pyenv root 2>/dev/null || true)
for v in 3.8 3.10 3.12; do
        exe=$(ls -d "$root"/versions/$v.*/bin/python$v 2>/dev/null | tail -1 || true)
        [ -n "$exe" ] && pythons+=("$exe")
done
if ((${#pythons[@]})); then
        PYINSTR=$PWD/$asan/cli/pyinstr PYINSTR_SID_VERSIONS=3.15 PYINSTR_STRESS_VERSIONS=3.10,3.15 \
        PYINSTR_TEST_PYTHONS=$(IFS=:; echo "${pythons[*]}") \
        ASAN_OPTIONS=detect_leaks=1 /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider \
                tests/functional/test_profile.py tests/functional/test_errors.py \
                tests/functional/test_safety.py tests/functional/test_stress.py
else
        echo "SKIP: functional suites under ASan: no pyenv interpreters (tools/setup.sh installs them)" >&2
fi

ninja -C "$build" >/dev/null
# the C test programs only (the unit suite also holds a Python checker)
meson test -C "$build" --print-errorlogs --timeout-multiplier 4 \
        --wrapper 'valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite' \
        test-maps test-decoders test-rmem fuzz-session fuzz-linetable fuzz-pystr fuzz-debug-offsets fuzz-walker

#!/usr/bin/env bash
# Install what pyinstr needs to build and test (Debian packages), then configure and build it
# in ./build. Safe to run again. Run as root (or with sudo) on Debian bookworm or newer.
# Environment: PYINSTR_BUILD_DIR (default build), PYINSTR_MESON_ARGS (extra meson options).
set -euo pipefail
cd "$(dirname "$0")/.."
# meson's compiler probes (gcc -E -v -) read standard input: never let them read ours
exec </dev/null

# chromium: the browser test of the HTML report (tests/browser); it drives it with npm's
# playwright-core, so node and npm come from Debian too when the machine has none.
packages=(gcc pkg-config meson ninja-build libelf-dev libcjson-dev libcmocka-dev libunwind-dev
          python3 python3-pytest chromium
          clang libclang-rt-dev valgrind # tools/fuzz.sh (libFuzzer) and tools/sanitize.sh
          strace                         # bench/run.py: the reads of one round, for its floor
          linux-perf                     # bench/profile.sh: where a round's time goes
          gdb                            # test_blocking: where a hung pyinstr is, if ever
          python3-flask)                 # test_pyinstrument_shape: Flask and jinja2 on Debian's python3
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
        echo "setup: installing ${missing[*]}"
        if [ "$(id -u)" != 0 ]; then
                echo "setup: need root to install packages (run: sudo $0)" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${PYINSTR_BUILD_DIR:-build}
# shellcheck disable=SC2086
if [ -f "$build/build.ninja" ]; then
        meson configure "$build" ${PYINSTR_MESON_ARGS:-} >/dev/null
else
        meson setup "$build" ${PYINSTR_MESON_ARGS:-} >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built $build/cli/pyinstr"

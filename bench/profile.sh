#!/usr/bin/env bash
# Where pyinstr's time goes at its highest rate: `perf record` of `pyinstr attach -i 0` on
# bench/cpu_deep.py (a CPU-bound target at a fixed stack depth) for a few seconds, then the
# split between the kernel and pyinstr itself and the top symbols. This is the profile behind
# the rate figures' explanation in the README ("What bounds the rate").
#   bench/profile.sh [PYTHON] [DEPTH] [THREADS] [SECONDS]
# perf comes with tools/setup.sh (linux-perf); the software clock is used, so it works on
# machines without hardware counters.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null
python=${1:-$(ls -d "$(pyenv root 2>/dev/null)"/versions/3.12.*/bin/python3.12 2>/dev/null | tail -1)}
depth=${2:-40} threads=${3:-1} seconds=${4:-3}
pyinstr=${PYINSTR:-build/cli/pyinstr}
[ -x "$python" ] || { echo "profile.sh: no interpreter (give one: bench/profile.sh PYTHON)" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile.sh: perf not found (apt install linux-perf)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'kill "$target" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$python" bench/cpu_deep.py "$depth" $((seconds + 3)) "$threads" >/dev/null &
target=$!
sleep 0.5
perf record -q -e cpu-clock -F 10000 -g -o "$tmp/perf.data" -- \
        "$pyinstr" attach --pid "$target" -d "$seconds" -i 0 -r collapsed -o "$tmp/out" \
        2>"$tmp/summary" >/dev/null
grep "^pyinstr: " "$tmp/summary" || true
echo "--- share by object (kernel = the reads: process_vm_readv and its page walk)"
perf report -i "$tmp/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
        grep -v '^#' | grep '%' | head -6
echo "--- top symbols"
perf report -i "$tmp/perf.data" --no-children --sort dso,sym --stdio -g none \
        --percent-limit 1.5 2>/dev/null | grep -v '^#' | grep '%' | head -25

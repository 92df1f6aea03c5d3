#!/usr/bin/env bash
# Build the tests/fuzz harnesses with clang, libFuzzer, ASan and UBSan in $PYINSTR_FUZZ_BUILD_DIR
# (default build-fuzz) and run each one, from its committed seeds and regression inputs.
#   tools/fuzz.sh [-t SECONDS | -n RUNS] [HARNESS...]
# -t: time per harness (default 20), -n: executions per harness instead (the long run:
# -n 10000000). The growing corpus is kept in BUILD/corpus/HARNESS; crashes are written to
# BUILD/crashes/HARNESS/ and make the script fail (then copy the input to
# tests/fuzz/regressions/HARNESS/ and fix the bug); an input that runs over 25 s is reported
# the same way (timeout-*) rather than hanging the run. Stats go to BUILD/fuzz-HARNESS.log.
set -euo pipefail
cd "$(dirname "$0")/.."
# meson's compiler probes (gcc -E -v -) read standard input: never let them read ours
exec </dev/null
build=${PYINSTR_FUZZ_BUILD_DIR:-build-fuzz}
limit=(-max_total_time=20)
while getopts t:n: opt; do
        case $opt in
        t) limit=(-max_total_time="$OPTARG") ;;
        n) limit=(-runs="$OPTARG") ;;
        *) exit 2 ;;
        esac
done
shift $((OPTIND - 1))
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(session linetable pystr debug-offsets walker)

if [ ! -f "$build/build.ninja" ]; then
        # the whole project is instrumented for coverage; only the harnesses link libFuzzer
        CC=clang meson setup "$build" -Dfuzzing=true -Dtests=disabled -Dfunctional-tests=disabled \
                -Db_sanitize=address,undefined -Db_lundef=false \
                -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all' >/dev/null
fi
ninja -C "$build" >/dev/null

# larger inputs than libFuzzer's default 4 KiB for the loader: sessions are JSON
declare -A max_len=([session]=65536 [walker]=4096 [linetable]=4096 [pystr]=4096
                    [debug-offsets]=2048)
status=0
for h in "${harnesses[@]}"; do
        corpus=$build/corpus/$h crashes=$build/crashes/$h
        mkdir -p "$corpus" "$crashes"
        inputs=("$corpus" tests/fuzz/seeds/"$h")
        [ -d tests/fuzz/regressions/"$h" ] && inputs+=(tests/fuzz/regressions/"$h")
        start=$SECONDS
        if "$build/tests/fuzz/fuzz-$h" "${limit[@]}" -timeout=25 -max_len="${max_len[$h]}" \
                -artifact_prefix="$crashes/" -print_final_stats=1 "${inputs[@]}" \
                >"$build/fuzz-$h.log" 2>&1; then
                result=ok
        else
                result="FAILED (see $build/fuzz-$h.log, input in $crashes/)"
                status=1
        fi
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$h.log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz-$h.log")
        cov=$(grep -o 'cov: [0-9]*' "$build/fuzz-$h.log" | tail -1)
        echo "fuzz $h: $result, ${runs:-?} runs in $((SECONDS - start)) s (${speed:-?}/s), $cov"
done
exit $status

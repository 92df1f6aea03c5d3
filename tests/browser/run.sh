#!/usr/bin/env bash
# The HTML report in a real browser: record target.py with pyinstr, make the escaping report,
# install playwright-core (npm, into the build folder) and drive Debian's chromium with
# test-html.js. Screenshots land in BUILD/tests/browser/screenshots. Without chromium, node or
# the npm registry this test is SKIPPED (exit 77), loudly, never passed.
# usage: run.sh PYINSTR SOURCE-DIR BUILD-DIR
set -euo pipefail
pyinstr=$1 src=$2 out=$3/tests/browser
chromium=${CHROMIUM:-/usr/bin/chromium}

skip() {
        echo "****** SKIP: $* ******" >&2
        exit 77
}
[ -x "$chromium" ] || skip "no $chromium (apt-get install chromium; tools/setup.sh does)"
command -v node >/dev/null || skip "no node"
command -v npm >/dev/null || skip "no npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || skip "node $node_major is too old for playwright-core (20 or newer)"

mkdir -p "$out/npm" "$out/screenshots"
rm -f "$out"/screenshots/*.png
cp "$src/tests/browser/package.json" "$src/tests/browser/package-lock.json" "$out/npm/"
if ! cmp -s "$out/npm/package-lock.json" "$out/npm/node_modules/.package-lock.json" 2>/dev/null &&
   ! [ -f "$out/npm/node_modules/playwright-core/package.json" ]; then
        (cd "$out/npm" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
                skip "npm ci could not install playwright-core"
fi

# a real profile: two threads, application code over json/re/difflib
"$pyinstr" record -q -r html -o "$out/report.html" -- python3 "$src/tests/browser/target.py"
python3 "$src/tests/report/escaping.py" "$pyinstr" "$out/escapes" >/dev/null
echo "report: $out/report.html ($(stat -c %s "$out/report.html") bytes)"

export NODE_PATH="$out/npm/node_modules" CHROMIUM="$chromium"
node "$src/tests/browser/test-html.js" "$out/report.html" "$out/escapes/escapes.html" \
        "$out/screenshots"
echo "screenshots: $out/screenshots"

#!/usr/bin/env bash
# Set up, build, and profile the bundled example program (examples/demo.py) with pyinstr.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
python=$(command -v python3)
exec build/cli/pyinstr record -- "$python" examples/demo.py

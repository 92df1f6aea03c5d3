#!/bin/bash
# The fidelity benchmark's extra workloads (bench/fidelity.py): Debian's sympy and Flask, and
# CPython's test suite for Debian's python3 (test test_json). Bench-only: CI does not need them.
# Installs only what is missing; needs root and a Debian mirror.
set -e
packages=(python3-sympy python3-flask)
ver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
packages+=("libpython$ver-testsuite")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "fidelity-setup: all installed (${packages[*]})"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "fidelity-setup: need root to install ${missing[*]} (run: sudo $0)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "fidelity-setup: installed ${missing[*]}"

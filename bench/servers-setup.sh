#!/bin/bash
# The server benchmark's packages (bench/servers.py): Debian's uvicorn, FastAPI, gunicorn and
# aiohttp for the host's python3 (bookworm: 3.11) and wrk to load them; and a Debian-unstable
# chroot of its own (tools/sid-chroot.sh at $PYINSTR_SID_SERVERS, default
# /var/cache/pyinstr/sid-servers: not the tests' chroot, which stays as CI made it) with the
# same Python packages for its python3.13-3.15. Bench-only: CI does not need them.
# Installs only what is missing; needs root and a Debian mirror. Idempotent.
set -euo pipefail

py_packages=(python3-uvicorn python3-fastapi gunicorn python3-aiohttp)
host_packages=("${py_packages[@]}" wrk)
chroot_dir=${PYINSTR_SID_SERVERS:-/var/cache/pyinstr/sid-servers}
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "servers-setup: needs root (apt-get, debootstrap, chroot): sudo $0" >&2
    exit 1
fi

missing_in() { # root dir, packages...: prints the ones not installed there
    local root=$1 p
    shift
    for p in "$@"; do
        dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null |
            grep -q "install ok installed" || echo "$p"
    done
}

mapfile -t missing < <(missing_in / "${host_packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "servers-setup: installed ${missing[*]} on the host"
else
    echo "servers-setup: host has ${host_packages[*]}"
fi

# the chroot itself (python3.13-3.15 with their headers), then the servers inside it
PYINSTR_SID_CHROOT=$chroot_dir bash "$here/../tools/sid-chroot.sh" >/dev/null
mapfile -t missing < <(missing_in "$chroot_dir" "${py_packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    # the mirror's unstable Release file may be past its Valid-Until (as debootstrap ignores)
    apt_opts=(-o Acquire::Check-Valid-Until=false)
    chroot "$chroot_dir" apt-get "${apt_opts[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive chroot "$chroot_dir" \
        apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "servers-setup: installed ${missing[*]} in $chroot_dir"
else
    echo "servers-setup: $chroot_dir has ${py_packages[*]}"
fi
# which of the chroot's interpreters can run which server (compiled parts are built for
# Debian's supported versions only): bench/servers.py checks the same and skips the others
for v in 3.13 3.14 3.15; do
    ok=()
    for m in uvicorn fastapi gunicorn aiohttp; do
        chroot "$chroot_dir" "python$v" -c "import $m" 2>/dev/null && ok+=("$m")
    done
    echo "servers-setup: python$v in the chroot imports: ${ok[*]:-none}"
done

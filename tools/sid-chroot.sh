#!/usr/bin/env bash
# Make (or check) the Debian-unstable chroot that holds python3.13, python3.14 and python3.15
# with their -dev packages (internal headers: the ground truth for layouts), and their debug
# builds python3.13d-3.15d (python3.X-dbg; libpython3.X-dbg has their pyconfig.h, with Py_DEBUG,
# which makes _PyRuntimeState and PyInterpreterState larger), for the tests of Debian's newest
# interpreters and of targets in another root (/proc/PID/root).
# Usage (as root): tools/sid-chroot.sh [DIR]
#   DIR defaults to $PYINSTR_SID_CHROOT, else /var/cache/pyinstr/sid (outside the work tree).
# Idempotent: a complete chroot (stamp file matching the package list) is only checked and has
# /proc mounted, in well under a second. A missing or incomplete one is made with debootstrap
# (about 75 s and 1.5 GB; needs a Debian mirror). On failure: exit 1 and one line on
# stderr saying why; the debootstrap log is kept beside DIR.
set -euo pipefail

dir=${1:-${PYINSTR_SID_CHROOT:-/var/cache/pyinstr/sid}}
mirror=${PYINSTR_SID_MIRROR:-http://deb.debian.org/debian}
versions=(3.13 3.14 3.15)
dbg_versions=(3.13 3.14 3.15)
packages=()
for v in "${versions[@]}"; do
        packages+=("python$v" "libpython$v-dev")
done
for v in "${dbg_versions[@]}"; do
        packages+=("python$v-dbg" "libpython$v-dbg")
done
# the real pyinstrument (5.1.3, for 3.14 and 3.15): tests/functional/test_pyinstrument.py
# checks that it and pyinstr read each other's sessions
packages+=(python3-pyinstrument)
# a Debian-packaged library (and markupsafe, its C extension) for
# tests/functional/test_pyinstrument_shape.py: shortened dist-packages paths and library groups
packages+=(python3-jinja2)
stamp=$dir/.pyinstr-sid-chroot
want="${packages[*]}"
log=$dir.log

die() {
        echo "sid-chroot: cannot make $dir: $*" >&2
        exit 1
}

# /proc stays mounted between runs (and an interrupted debootstrap may leave /sys too): nothing
# mounted may be under the rm -rf below, which also stays on one file system to be sure
unmount_all() {
        local m
        awk -v d="$(realpath -m "$dir")" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
                while read -r m; do
                        umount "$m" 2>/dev/null || umount -l "$m" || die "cannot unmount $m"
                done
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        if [ -e "$dir" ]; then
                # an interrupted or older chroot: start again rather than repair it
                unmount_all
                rm -rf --one-file-system "$dir" || die "cannot remove the incomplete $dir"
        fi
        if ! command -v debootstrap >/dev/null; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
                        { apt-get update -qq >/dev/null 2>&1 &&
                          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1; } ||
                        die "debootstrap is not installed and apt-get could not install it"
        fi
        mkdir -p "$(dirname "$dir")"
        start=$(date +%s)
        if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
                sid "$dir" "$mirror" >"$log" 2>&1; then
                reason=$(grep -E '^(E|W): ' "$log" | tail -1 || true)
                unmount_all
                die "debootstrap failed: ${reason:-see $log} (log: $log)"
        fi
        echo "$want" >"$stamp"
        echo "sid-chroot: made $dir in $(( $(date +%s) - start )) s" >&2
fi

mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc" || die "cannot mount proc on $dir/proc"
for v in "${versions[@]}"; do
        chroot "$dir" "python$v" -c 'import sys' 2>/dev/null || die "python$v does not run in it"
        [ -f "$dir/usr/include/python$v/internal/pycore_frame.h" ] ||
                die "libpython$v-dev has no internal headers"
done
for v in "${dbg_versions[@]}"; do
        chroot "$dir" "python${v}d" -c 'import sys; assert sys.abiflags == "d"' 2>/dev/null ||
                die "python${v}d does not run in it, or is not a debug build"
        [ -f "$dir/usr/include/$(uname -m)-linux-gnu/python${v}d/pyconfig.h" ] ||
                die "libpython$v-dbg has no python${v}d/pyconfig.h"
done
echo "$dir"

#!/usr/bin/env python3
"""Check symbols/ against the CPython headers installed on this machine.

For every include dir that symbols/gen/gen-offsets.py finds (pyenv 3.8-3.13, /usr/include,
and the Debian-unstable chroot of tools/sid-chroot.sh at $PYINSTR_SID_CHROOT: 3.13-3.15 and
their debug builds 3.13d-3.15d, whose Py_DEBUG makes _PyRuntimeState and PyInterpreterState
larger):
  3.8-3.12: the compiled table for that minor must equal the probe, member by member;
  3.13+:    symbols_debug_offsets() on the real _Py_DebugOffsets bytes (dumped from that
            interpreter's libpython, or from the memory of the chroot's running interpreter)
            must equal the probe, member by member, and pyinstr's idea of the struct's size
            must be the headers' sizeof(_Py_DebugOffsets).
Exits 77 (meson: SKIP) when no interpreter with internal/ headers is found; says loudly when
the chroot is missing (its interpreters are then not checked).
"""

import argparse
import os
import subprocess
import sys

SKIP = 77


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('%s: exit %d\n%s' % (' '.join(cmd), r.returncode, r.stderr.strip()))
    return r.stdout


def members(text):
    return dict(line.split(' ', 1) for line in text.splitlines() if line)


def compare(label, want, got, minor_only_version):
    """Print each mismatch; @return how many."""
    bad = 0
    for name in list(want) + [n for n in got if n not in want]:
        w, g = want.get(name, '<missing>'), got.get(name, '<missing>')
        if name == 'version' and minor_only_version and w != '<missing>' and g != '<missing>':
            # a table serves every patch release of its minor
            if int(w, 16) >> 16 == int(g, 16) >> 16:
                continue
        if w != g:
            print('  MISMATCH %s %s: headers say %s, symbols/ says %s' % (label, name, w, g))
            bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cc', required=True, help='C compiler command, as one string')
    ap.add_argument('--gen', required=True, help='symbols/gen/gen-offsets.py')
    ap.add_argument('--dump', required=True, help='the dump-offsets test helper')
    a = ap.parse_args()
    gen = [sys.executable, a.gen, '--cc', a.cc]

    sid = os.environ.get('PYINSTR_SID_CHROOT', '/var/cache/pyinstr/sid')
    if os.path.exists(os.path.join(sid, '.pyinstr-sid-chroot')):
        gen += ['--root', sid]
    else:
        print('*' * 72)
        print('NOT CHECKED: Debian unstable 3.13/3.14/3.15 and 3.13d/3.14d/3.15d, no chroot at %s'
              % sid)
        print('(make it with tools/sid-chroot.sh; tools/test.sh does)')
        print('*' * 72)

    found = [line.split('\t') for line in run(gen + ['list']).splitlines() if line]
    if not found:
        print('*' * 72)
        print('SKIP: no CPython 3.8-3.13 include dir with internal/ headers was found')
        print('(pyenv versions or /usr/include/python3.X from python3.X-dev);')
        print('the offset tables were NOT checked against any headers.')
        print('*' * 72)
        return SKIP

    failures = 0
    for pyver, incdir, source in found:
        minor = int(pyver.split('.')[1])
        try:
            want = members(run(gen + ['probe', incdir]))
            if minor <= 12:
                what = 'compiled table'
                got = members(run([a.dump, 'table', '0x03%02x0000' % minor]))
            else:
                # INCLUDE_DIR is .../python3.X or .../python3.Xd: the interpreter's own name
                name = os.path.basename(incdir)
                if source.startswith('chroot:'):
                    what = '_Py_DebugOffsets from %s running in %s' % (name, source[7:])
                else:
                    what = '_Py_DebugOffsets from %s/lib%s.so' % (source, name)
                raw = run(gen + ['dump-debug-offsets', incdir, source])
                got = members(run([a.dump, 'debug'], stdin=raw))
                # the dump is sizeof(_Py_DebugOffsets) of the headers
                want['debug_offsets_size'] = str(len(bytes.fromhex(''.join(raw.split()))))
                got['debug_offsets_size'] = run([a.dump, 'size', got['version']]).strip()
        except RuntimeError as e:
            print('FAIL %s (%s): %s' % (pyver, incdir, e))
            failures += 1
            continue
        bad = compare(pyver, want, got, minor <= 12)
        note = ''
        if minor <= 12:
            note = ', table from %s' % version_str(int(got.get('version', '0'), 16))
        print('%s %s (%s): %d members, %s%s' % ('ok  ' if not bad else 'FAIL', pyver, incdir,
                                                len(want), what, note))
        failures += bool(bad)

    print('checked %d interpreter(s): %s' % (len(found), ', '.join(f[0] for f in found)))
    return 1 if failures else 0


def version_str(v):
    return '%d.%d.%d' % (v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff)


if __name__ == '__main__':
    sys.exit(main())

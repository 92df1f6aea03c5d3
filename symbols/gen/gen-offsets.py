#!/usr/bin/env python3
"""Maintainer tool: compile an offsetof()/sizeof() probe against a CPython include directory
and turn what it prints into symbols/tables/pyNNN.c (one const struct py_offsets per minor).

  gen-offsets.py [--root DIR]... list    include dirs found on this machine (pyenv, /usr/include,
                                         DIR/usr/include of each chroot DIR), with where the
                                         real _Py_DebugOffsets come from (a libdir or chroot:DIR)
  gen-offsets.py probe INCLUDE_DIR       "field value" lines, the format tests/offsets compares
  gen-offsets.py table INCLUDE_DIR [-o FILE]   the generated C table (stdout by default)
  gen-offsets.py update                  regenerate symbols/tables/py38.c .. py312.c from the
                                         newest interpreter found for each minor
  gen-offsets.py dump-debug-offsets [--c-array] INCLUDE_DIR SOURCE
                                         hex of the real _Py_DebugOffsets (3.13+): the first bytes
                                         of _PyRuntime, from the libpythonX.Y.so in SOURCE (a
                                         libdir), or, for SOURCE chroot:DIR, from the memory of
                                         pythonX.Y running in that chroot (its libc is too new to
                                         link against here); --c-array writes the fixture
                                         tests/offsets/ includes

The probe needs -DPy_BUILD_CORE and the internal/ headers, which pyenv and Debian's
python3.X-dev both install. Only dump-debug-offsets of a chroot runs an interpreter.
"""

import argparse
import ast
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Every member of struct py_offsets (symbols/symbols.h), in declaration order. The test helper
# tests/offsets/dump-offsets.c prints the same names, and checks that they cover the struct.
FIELDS = [
    'version', 'free_threaded', 'frame_model', 'linetable', 'stackref_mask',
    'runtime.size', 'runtime.interpreters_head',
    'interp.size', 'interp.next', 'interp.threads_head', 'interp.id', 'interp.modules',
    'tstate.size', 'tstate.next', 'tstate.interp', 'tstate.frame', 'tstate.cframe',
    'tstate.cframe_frame', 'tstate.thread_id', 'tstate.native_thread_id', 'tstate.base_frame',
    'tstate.datastack_top', 'tstate.exc_info',
    'frameobj.size', 'frameobj.back', 'frameobj.code', 'frameobj.lasti', 'frameobj.localsplus',
    'frameobj.gen', 'frameobj.state', 'frameobj.state_executing',
    'iframe.size', 'iframe.previous', 'iframe.code', 'iframe.instr', 'iframe.owner',
    'iframe.localsplus', 'iframe.is_entry', 'iframe.owner_generator', 'iframe.owner_bottom',
    'gen.iframe', 'gen.exc_state',
    'code.size', 'code.argcount', 'code.firstlineno', 'code.filename', 'code.name',
    'code.qualname', 'code.linetable', 'code.varnames', 'code.localsplusnames',
    'code.code_adaptive', 'code.nlocalsplus', 'code.stacksize',
    'object.ob_refcnt', 'object.ob_type', 'object.managed_dict', 'object.managed_values',
    'object.managed_dict_tag',
    'type.tp_name', 'type.tp_flags', 'type.tp_basicsize', 'type.tp_dictoffset', 'type.tp_mro', 'type.tp_dict',
    'type.ht_cached_keys', 'type.flag_managed_dict', 'type.flag_inline_values',
    'tuple.ob_size', 'tuple.ob_item',
    'bytes.ob_size', 'bytes.ob_sval',
    'unicode.length', 'unicode.state', 'unicode.ascii_size', 'unicode.compact_size',
    'module.md_dict',
    'dict.ma_keys', 'dict.ma_values', 'dict.dk_size', 'dict.dk_log2_size',
    'dict.dk_log2_index_bytes', 'dict.dk_kind', 'dict.dk_nentries', 'dict.dk_indices',
    'dict.entry_size', 'dict.unicode_entry_size', 'dict.values', 'dict.values_valid',
    'pylong.ob_size', 'pylong.lv_tag', 'pylong.ob_digit', 'pylong.digit_bits',
]

FIRST_MINOR, LAST_TABLE_MINOR, LAST_PROBE_MINOR = 8, 12, 15
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spec(minor):
    """field -> C expression compiled into the probe, None (OFF_NONE), or a fixed value
    (an enum name or an int) that the headers do not express."""
    old, interp = minor <= 10, minor >= 11
    cframe = minor in (11, 12)
    s = {
        'version': 'PY_VERSION_HEX',
        'free_threaded': 'PROBE_FREE_THREADED',
        'frame_model': ('PY_FRAMES_OBJECT' if old else 'PY_FRAMES_INTERP',),
        'linetable': ('PY_LINES_LNOTAB' if minor <= 9 else
                      'PY_LINES_310' if minor == 10 else 'PY_LINES_LOCATIONS',),
        # 3.14+ f_executable is a _PyStackRef whose low two bits are tags (Py_TAG_BITS,
        # Include/internal/pycore_stackref.h); none before
        'stackref_mask': (0xfffffffffffffffc if minor >= 14 else 0xffffffffffffffff,),
        'runtime.size': 'sizeof(_PyRuntimeState)',
        'runtime.interpreters_head': 'offsetof(_PyRuntimeState, interpreters.head)',
        'interp.size': 'sizeof(PyInterpreterState)',
        'interp.next': 'offsetof(PyInterpreterState, next)',
        # 3.11 moved tstate_head into struct pythreads (Include/internal/pycore_interp.h)
        'interp.threads_head': 'offsetof(PyInterpreterState, %s)'
                               % ('tstate_head' if old else 'threads.head'),
        'interp.id': 'offsetof(PyInterpreterState, id)',
        # sys.modules: 3.12 moved it into struct _import_state (Include/internal/pycore_interp.h)
        'interp.modules': 'offsetof(PyInterpreterState, %s)'
                          % ('imports.modules' if minor >= 12 else 'modules'),
        'tstate.size': 'sizeof(PyThreadState)',
        'tstate.next': 'offsetof(PyThreadState, next)',
        'tstate.interp': 'offsetof(PyThreadState, interp)',
        'tstate.frame': ('offsetof(PyThreadState, frame)' if old else
                         None if cframe else 'offsetof(PyThreadState, current_frame)'),
        'tstate.cframe': 'offsetof(PyThreadState, cframe)' if cframe else None,
        'tstate.cframe_frame': 'offsetof(_PyCFrame, current_frame)' if cframe else None,
        'tstate.thread_id': 'offsetof(PyThreadState, thread_id)',
        'tstate.native_thread_id': 'offsetof(PyThreadState, native_thread_id)' if interp else None,
        # 3.15 points every thread state at the frame its stack starts from
        # (Include/cpython/pystate.h, "used by profilers to validate complete stack unwinding")
        'tstate.base_frame': 'offsetof(PyThreadState, base_frame)' if minor >= 15 else None,
        # read with tstate->cframe, to tell whether a frame was still pushed at that instant
        # (3.11/3.12 _PyThreadState_PopFrame sets datastack_top to the popped frame)
        'tstate.datastack_top': 'offsetof(PyThreadState, datastack_top)' if interp else None,
        # and a generator's frame was running when tstate->exc_info was its gi_exc_state
        # (gen_send_ex2 sets it for the time the generator runs, Objects/genobject.c)
        'tstate.exc_info': 'offsetof(PyThreadState, exc_info)' if cframe else None,
        'frameobj.size': 'sizeof(PyFrameObject)' if old else None,
        'frameobj.back': 'offsetof(PyFrameObject, f_back)' if old else None,
        'frameobj.code': 'offsetof(PyFrameObject, f_code)' if old else None,
        'frameobj.lasti': 'offsetof(PyFrameObject, f_lasti)' if old else None,
        'frameobj.localsplus': 'offsetof(PyFrameObject, f_localsplus)' if old else None,
        'frameobj.gen': 'offsetof(PyFrameObject, f_gen)' if old else None,
        # ≤3.9 char f_executing is 1 while the frame runs (Python/ceval.c); 3.10 replaced it
        # with PyFrameState f_state (Include/cpython/frameobject.h)
        'frameobj.state': ('offsetof(PyFrameObject, %s)' % ('f_executing' if minor <= 9 else
                                                            'f_state')) if old else None,
        'frameobj.state_executing': ((1,) if minor <= 9 else 'FRAME_EXECUTING') if old else None,
        'iframe.size': 'sizeof(_PyInterpreterFrame)' if interp else None,
        'iframe.previous': 'offsetof(_PyInterpreterFrame, previous)' if interp else None,
        'iframe.code': ('offsetof(_PyInterpreterFrame, %s)'
                        % ('f_code' if cframe else 'f_executable')) if interp else None,
        'iframe.instr': ('offsetof(_PyInterpreterFrame, %s)'
                         % ('prev_instr' if cframe else 'instr_ptr')) if interp else None,
        'iframe.owner': 'offsetof(_PyInterpreterFrame, owner)' if interp else None,
        'iframe.localsplus': 'offsetof(_PyInterpreterFrame, localsplus)' if interp else None,
        # 3.11 marks the first frame of each _PyEval_EvalFrameDefault call is_entry; 3.12 made
        # those entry frames separate FRAME_OWNED_BY_CSTACK frames (Include/internal/
        # pycore_frame.h), 3.14 renamed their owner FRAME_OWNED_BY_INTERPRETER
        # (pycore_interpframe_structs.h)
        'iframe.is_entry': 'offsetof(_PyInterpreterFrame, is_entry)' if minor == 11 else None,
        'iframe.owner_generator': 'FRAME_OWNED_BY_GENERATOR' if interp else None,
        'iframe.owner_bottom': ('FRAME_OWNED_BY_THREAD' if minor == 11 else
                                'FRAME_OWNED_BY_CSTACK' if minor in (12, 13) else
                                'FRAME_OWNED_BY_INTERPRETER') if interp else None,
        'gen.iframe': 'offsetof(PyGenObject, gi_iframe)' if cframe else None,
        'gen.exc_state': 'offsetof(PyGenObject, gi_exc_state)' if cframe else None,
        'code.size': 'sizeof(PyCodeObject)',
        'code.argcount': 'offsetof(PyCodeObject, co_argcount)',
        'code.firstlineno': 'offsetof(PyCodeObject, co_firstlineno)',
        'code.filename': 'offsetof(PyCodeObject, co_filename)',
        'code.name': 'offsetof(PyCodeObject, co_name)',
        'code.qualname': 'offsetof(PyCodeObject, co_qualname)' if interp else None,
        'code.linetable': 'offsetof(PyCodeObject, %s)'
                          % ('co_lnotab' if minor <= 9 else 'co_linetable'),
        'code.varnames': 'offsetof(PyCodeObject, co_varnames)' if old else None,
        'code.localsplusnames': 'offsetof(PyCodeObject, co_localsplusnames)' if interp else None,
        'code.code_adaptive': 'offsetof(PyCodeObject, co_code_adaptive)' if interp else None,
        'code.nlocalsplus': 'offsetof(PyCodeObject, co_nlocalsplus)' if interp else None,
        'code.stacksize': 'offsetof(PyCodeObject, co_stacksize)' if interp else None,
        'object.ob_refcnt': 'offsetof(PyObject, ob_refcnt)',
        'object.ob_type': 'offsetof(PyObject, ob_type)',
        # 3.11+ managed dicts (Include/internal/pycore_object.h): the instance dict pointer
        # this many bytes before the object (3.11 _PyObject_ManagedDictPointer ((PyObject **)
        # obj)-3; 3.12 a tagged PyDictOrValues at ((PyDictOrValues *)obj)-3, no macro; 3.13+
        # MANAGED_DICT_OFFSET); 3.11 keeps the values pointer apart, ((PyDictValues **)obj)-4
        'object.managed_dict': ((24,) if minor == 12 else '-MANAGED_DICT_OFFSET' if interp
                                else None),
        'object.managed_values': (32,) if minor == 11 else None,
        # 3.12 _PyDictOrValues_IsValues(): bit 0 set means values, at the word + 1
        'object.managed_dict_tag': (1,) if minor == 12 else None,
        'type.tp_name': 'offsetof(PyTypeObject, tp_name)',
        'type.tp_flags': 'offsetof(PyTypeObject, tp_flags)',
        'type.tp_basicsize': 'offsetof(PyTypeObject, tp_basicsize)',
        'type.tp_dictoffset': 'offsetof(PyTypeObject, tp_dictoffset)',
        'type.tp_mro': 'offsetof(PyTypeObject, tp_mro)',
        # ≤3.10 code objects have no co_qualname: a method's class is the one whose __dict__
        # holds its name (3.12+ static types keep theirs elsewhere)
        'type.tp_dict': 'offsetof(PyTypeObject, tp_dict)' if minor <= 10 else None,
        'type.ht_cached_keys': 'offsetof(PyHeapTypeObject, ht_cached_keys)',
        'type.flag_managed_dict': 'Py_TPFLAGS_MANAGED_DICT' if interp else None,
        'type.flag_inline_values': 'Py_TPFLAGS_INLINE_VALUES' if minor >= 13 else None,
        'tuple.ob_size': 'offsetof(PyTupleObject, ob_base.ob_size)',
        'tuple.ob_item': 'offsetof(PyTupleObject, ob_item)',
        'bytes.ob_size': 'offsetof(PyBytesObject, ob_base.ob_size)',
        'bytes.ob_sval': 'offsetof(PyBytesObject, ob_sval)',
        'unicode.length': 'offsetof(PyASCIIObject, length)',
        'unicode.state': 'offsetof(PyASCIIObject, state)',
        'unicode.ascii_size': 'sizeof(PyASCIIObject)',
        'unicode.compact_size': 'sizeof(PyCompactUnicodeObject)',
        # PyModuleObject is private before 3.10 (Objects/moduleobject.c): md_dict follows the
        # object header there too
        'module.md_dict': 'offsetof(PyModuleObject, md_dict)' if minor >= 10 else (16,),
        'dict.ma_keys': 'offsetof(PyDictObject, ma_keys)',
        'dict.ma_values': 'offsetof(PyDictObject, ma_values)',
        # PyDictKeysObject is private before 3.11 (Objects/dict-common.h: dk_refcnt, dk_size,
        # dk_lookup, dk_usable, dk_nentries, dk_indices[]; entries {hash, key, value})
        'dict.dk_size': (8,) if old else None,
        'dict.dk_log2_size': 'offsetof(PyDictKeysObject, dk_log2_size)' if interp else None,
        'dict.dk_log2_index_bytes': ('offsetof(PyDictKeysObject, dk_log2_index_bytes)'
                                     if interp else None),
        'dict.dk_kind': 'offsetof(PyDictKeysObject, dk_kind)' if interp else None,
        'dict.dk_nentries': 'offsetof(PyDictKeysObject, dk_nentries)' if interp else (32,),
        'dict.dk_indices': 'offsetof(PyDictKeysObject, dk_indices)' if interp else (40,),
        'dict.entry_size': 'sizeof(PyDictKeyEntry)' if interp else (24,),
        'dict.unicode_entry_size': 'sizeof(PyDictUnicodeEntry)' if interp else None,
        # ≤3.10 ma_values is the bare PyObject *[] (Include/cpython/dictobject.h)
        'dict.values': 'offsetof(PyDictValues, values)' if interp else (0,),
        'dict.values_valid': 'offsetof(PyDictValues, valid)' if minor >= 13 else None,
        # 3.12 replaced ob_size by lv_tag (Include/cpython/longintrepr.h)
        'pylong.ob_size': 'offsetof(PyVarObject, ob_size)' if minor <= 11 else None,
        'pylong.lv_tag': 'offsetof(PyLongObject, long_value.lv_tag)' if minor >= 12 else None,
        'pylong.ob_digit': 'offsetof(PyLongObject, %s)'
                         % ('long_value.ob_digit' if minor >= 12 else 'ob_digit'),
        'pylong.digit_bits': 'PyLong_SHIFT',
    }
    assert list(s) == FIELDS
    return s


# Where each minor keeps the structs (3.8: internal/pycore_pystate.h has _PyRuntimeState and
# PyInterpreterState; 3.9 split them into pycore_runtime.h and pycore_interp.h; 3.11 moved the
# frame into pycore_frame.h; PyFrameObject is public up to 3.10).
def includes(minor):
    inc = ['Python.h']
    if minor <= 10:
        inc.append('frameobject.h')
    if minor == 8:
        inc.append('internal/pycore_pystate.h')
    else:
        inc += ['internal/pycore_runtime.h', 'internal/pycore_interp.h']
    if minor >= 11:
        inc += ['internal/pycore_frame.h', 'internal/pycore_dict.h', 'internal/pycore_object.h']
    if minor >= 10:
        inc.append('internal/pycore_moduleobject.h')
    if minor <= 10:
        inc.append('longintrepr.h')
    return inc


def fail(msg):
    sys.exit('gen-offsets: ' + msg)


def header_version(incdir):
    """(major, minor, "X.Y.Z...") from patchlevel.h."""
    try:
        with open(os.path.join(incdir, 'patchlevel.h')) as f:
            text = f.read()
    except OSError as e:
        fail('%s: %s' % (incdir, e.strerror))
    m = re.search(r'#define\s+PY_MAJOR_VERSION\s+(\d+)', text)
    n = re.search(r'#define\s+PY_MINOR_VERSION\s+(\d+)', text)
    s = re.search(r'#define\s+PY_VERSION\s+"([^"]+)"', text)
    if not (m and n and s):
        fail('%s/patchlevel.h: no version' % incdir)
    return int(m.group(1)), int(n.group(1)), s.group(1)


# An include dir is PREFIX/include/python3.X plus the build's ABI flags (sys.abiflags): "d" for
# a debug build (Py_DEBUG; Debian's python3.X-dbg installs /usr/include/python3.Xd), "t" for a
# free-threaded one. Its stdlib, with _sysconfigdata_ABIFLAGS_*.py, is PREFIX/lib/python3.X.
INCDIR_RE = re.compile(r'(?P<prefix>.*)/include/(?P<name>python3\.\d+)(?P<abiflags>[a-z]*)')


def abiflags(incdir):
    """sys.abiflags of the build whose headers are in @incdir ('' for a release build)."""
    m = INCDIR_RE.fullmatch(os.path.normpath(incdir))
    return m.group('abiflags') if m else ''


def label(incdir):
    """How the interpreter of @incdir is named in messages: "3.14.10", "3.14.10d"."""
    return header_version(incdir)[2] + abiflags(incdir)


def compile_and_run(cc, source, args):
    with tempfile.TemporaryDirectory(prefix='gen-offsets.') as tmp:
        src, exe = os.path.join(tmp, 'probe.c'), os.path.join(tmp, 'probe')
        with open(src, 'w') as f:
            f.write(source)
        cmd = cc.split() + [src, '-o', exe] + args
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail('probe failed to compile: %s\n%s' % (' '.join(cmd), r.stderr))
        r = subprocess.run([exe], capture_output=True, text=True)
        if r.returncode != 0:
            fail('probe failed to run:\n' + r.stderr)
        return r.stdout


def build_defines(incdir):
    """The -D options CPython itself was compiled with that change its structs but are not in
    pyconfig.h: Debian's 3.14/3.15 are built with -D_Py_TIER2=3 -D_Py_JIT (JIT state in
    PyInterpreterState: 3.15.2 is 8 bytes larger with them). Read statically from the
    build_time_vars of PREFIX/lib/python3.X/_sysconfigdata_ABIFLAGS_*.py (CONFIGURE_CFLAGS_NODIST;
    a debug build's is _sysconfigdata_d_*.py beside the release build's, Lib/sysconfig/__init__.py
    _get_sysconfigdata_name())."""
    m = INCDIR_RE.fullmatch(os.path.normpath(incdir))
    if not m:
        return []
    found = glob.glob(os.path.join(m.group('prefix'), 'lib', m.group('name'),
                                   '_sysconfigdata_%s_*.py' % m.group('abiflags')))
    flags = []
    for path in sorted(found)[:1]:
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and
                    getattr(node.targets[0], 'id', None) == 'build_time_vars'):
                cflags = ast.literal_eval(node.value).get('CONFIGURE_CFLAGS_NODIST', '')
                flags += re.findall(r'-D(?:_Py|Py_)\w*(?:=\S+)?', cflags)
    return flags


def include_flags(incdir):
    """-I for @incdir and the build's own defines; Debian's pyconfig.h includes
    <x86_64-linux-gnu/python3.X/pyconfig.h> (python3.Xd/pyconfig.h for python3.X-dbg's
    /usr/include/python3.Xd), so a chroot's /usr/include is searched too, but after the system's
    (its libc headers must not replace ours)."""
    flags = ['-I', incdir] + build_defines(incdir)
    m = INCDIR_RE.fullmatch(os.path.normpath(incdir))
    if m and m.group('prefix').endswith('/usr') and m.group('prefix') != '/usr':
        flags += ['-idirafter', m.group('prefix') + '/include']
    return flags


def probe(incdir, cc):
    """Field values for the headers in @incdir: int, None (OFF_NONE) or an enum name."""
    major, minor, _ = header_version(incdir)
    if (major, minor) < (3, FIRST_MINOR) or (major, minor) > (3, LAST_PROBE_MINOR):
        fail('%s: CPython %d.%d is not covered by this probe' % (incdir, major, minor))
    s = spec(minor)
    lines = ['#define Py_BUILD_CORE 1']
    lines += ['#include <%s>' % h for h in includes(minor)]
    lines += ['#include <stddef.h>', '#include <stdio.h>',
              '#ifdef Py_GIL_DISABLED', '#define PROBE_FREE_THREADED 1', '#else',
              '#define PROBE_FREE_THREADED 0', '#endif',
              'int main(void)', '{']
    for name, expr in s.items():
        if isinstance(expr, str):
            lines.append('        printf("%s %%llu\\n", (unsigned long long)(%s));' % (name, expr))
    lines += ['        return 0;', '}', '']
    out = compile_and_run(cc, '\n'.join(lines), include_flags(incdir))
    got = dict(line.split() for line in out.splitlines())
    vals = {}
    for name, expr in s.items():
        if isinstance(expr, str):
            vals[name] = int(got[name])
        elif isinstance(expr, tuple):
            vals[name] = expr[0]
        else:
            vals[name] = None
    vals['free_threaded'] = bool(vals['free_threaded'])
    return vals


def text_value(name, v):
    """The spelling tests/offsets/dump-offsets.c prints."""
    if v is None:
        return 'OFF_NONE'
    if name == 'free_threaded':
        return 'true' if v else 'false'
    if name in ('version', 'stackref_mask'):
        return '0x%x' % v
    return str(v)


def c_value(name, v):
    if name == 'stackref_mask' and v == 0xffffffffffffffff:
        return '~0ULL'
    if name == 'version':
        return '0x%08x' % v
    return text_value(name, v)


def table_source(incdir, cc):
    major, minor, pyver = header_version(incdir)
    if minor > LAST_TABLE_MINOR:
        fail('%s: %d.%d uses _Py_DebugOffsets, not a compiled table' % (incdir, major, minor))
    vals = probe(incdir, cc)
    out = ['/* generated from CPython %s headers by symbols/gen/gen-offsets.py; do not edit */'
           % pyver,
           '#include "config.h"', '', '#include "symbols/symbols.h"', '',
           'extern const struct py_offsets symbols_table_py%d%d;' % (major, minor),
           'const struct py_offsets symbols_table_py%d%d = {' % (major, minor)]
    group = None
    for name in FIELDS:
        head, _, member = name.rpartition('.')
        if head != group:
            if group:
                out.append('        },')
            if head:
                out.append('        .%s = {' % head)
            group = head
        indent = '        ' * (2 if head else 1)
        out.append('%s.%s = %s,' % (indent, member, c_value(name, vals[name])))
    if group:
        out.append('        },')
    out += ['};', '']
    return '\n'.join(out)


def find_includes(cc, roots=()):
    """[(include dir, source)] of every CPython 3.8–3.15 with internal/ headers, oldest first:
    pyenv's versions (found through `pyenv root`), the distribution's /usr/include ones (source:
    the libdir holding libpythonX.Y.so) and those of each chroot in @roots (source: chroot:DIR)."""
    found = []
    pyenv = shutil.which('pyenv')
    if pyenv:
        r = subprocess.run([pyenv, 'root'], capture_output=True, text=True)
        root = r.stdout.strip() if r.returncode == 0 else ''
        if root:
            for d in glob.glob(os.path.join(root, 'versions', '*', 'include', 'python3.*')):
                found.append((d, os.path.join(d, '..', '..', 'lib')))
    r = subprocess.run(cc.split() + ['-print-multiarch'], capture_output=True, text=True)
    multiarch = r.stdout.strip() if r.returncode == 0 else ''
    for d in glob.glob('/usr/include/python3.*'):
        found.append((d, os.path.join('/usr/lib', multiarch)))
    for root in roots:
        for d in glob.glob(os.path.join(root, 'usr', 'include', 'python3.*')):
            found.append((d, 'chroot:' + os.path.normpath(root)))
    keep = []
    for d, lib in found:
        if not os.path.isdir(os.path.join(d, 'internal')):
            continue
        if not os.path.exists(os.path.join(d, 'patchlevel.h')):
            continue
        major, minor, pyver = header_version(d)
        if major == 3 and FIRST_MINOR <= minor <= LAST_PROBE_MINOR:
            if not lib.startswith('chroot:'):
                lib = os.path.normpath(lib)
            keep.append((version_key(pyver), os.path.normpath(d), lib))
    return [(d, lib) for _, d, lib in sorted(keep)]


def version_key(pyver):
    """"3.13.0rc1" sorts before "3.13.0"."""
    m = re.match(r'(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?', pyver)
    if not m:
        fail('cannot parse version %r' % pyver)
    level = {'a': 0, 'b': 1, 'rc': 2, None: 3}[m.group(4)]
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), level, int(m.group(5) or 0))


def update(cc):
    best = {}
    for d, _ in find_includes(cc):
        major, minor, pyver = header_version(d)
        # the tables are of release builds (sys.abiflags ''), which pyinstr assumes before 3.13
        if minor <= LAST_TABLE_MINOR and not abiflags(d):
            if minor not in best or version_key(pyver) > version_key(best[minor][1]):
                best[minor] = (d, pyver)
    for minor in range(FIRST_MINOR, LAST_TABLE_MINOR + 1):
        if minor not in best:
            print('gen-offsets: no 3.%d headers found; py3%d.c left alone' % (minor, minor),
                  file=sys.stderr)
            continue
        d, pyver = best[minor]
        path = os.path.join(REPO, 'symbols', 'tables', 'py3%d.c' % minor)
        with open(path, 'w') as f:
            f.write(table_source(d, cc))
        print('%s: from %s (%s)' % (os.path.relpath(path, REPO), pyver, d))


DUMP_SOURCE = r'''
#include <stdio.h>
/* _PyRuntime's first member is _Py_DebugOffsets (3.13+ Include/internal/pycore_runtime.h);
 * its static initializer holds the offsets, so no Py_Initialize() is needed. */
extern const unsigned char _PyRuntime[];
int main(void)
{
        for (int i = 0; i < %d; i++)
                printf("%%02x%%s", _PyRuntime[i], i %% 32 == 31 ? "\n" : "");
        printf("\n");
        return 0;
}
'''


# Run by pythonX.Y inside a chroot: its own _PyRuntime, as hex (ctypes.pythonapi is the
# executable itself for Debian's statically linked interpreter, which exports _PyRuntime).
CHROOT_DUMP = """
import ctypes, sys
a = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, '_PyRuntime'))
raw = ctypes.string_at(a, int(sys.argv[1]))
print('\\n'.join(raw[i:i + 32].hex() for i in range(0, len(raw), 32)))
"""


def debug_offsets_size(incdir, cc):
    """sizeof(_Py_DebugOffsets) in the headers of @incdir."""
    _, minor, _ = header_version(incdir)
    src = ['#define Py_BUILD_CORE 1'] + ['#include <%s>' % h for h in includes(minor)]
    src += ['#include <stdio.h>',
            'int main(void) { printf("%zu\\n", sizeof(_Py_DebugOffsets)); return 0; }', '']
    return int(compile_and_run(cc, '\n'.join(src), include_flags(incdir)))


def dump_debug_offsets(incdir, source, cc, nbytes):
    major, minor, _ = header_version(incdir)
    if (major, minor) < (3, 13):
        fail('%s: no _Py_DebugOffsets before 3.13' % incdir)
    if nbytes is None:
        nbytes = debug_offsets_size(incdir, cc)
    # the build of these headers: python3.Xd and libpython3.Xd.so for a debug one
    name = 'python%d.%d%s' % (major, minor, abiflags(incdir))
    if source.startswith('chroot:'):
        cmd = ['chroot', source[len('chroot:'):], name, '-c', CHROOT_DUMP, str(nbytes)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail('%s: exit %d\n%s' % (' '.join(cmd[:3]), r.returncode, r.stderr))
        return r.stdout
    return compile_and_run(cc, DUMP_SOURCE % nbytes,
                           ['-L', source, '-Wl,-rpath,' + source, '-l' + name])


def c_array(hexdump, incdir):
    data = bytes.fromhex(hexdump)
    out = ['/* _Py_DebugOffsets of CPython %s (%d bytes), generated by',
           ' * `symbols/gen/gen-offsets.py dump-debug-offsets --c-array INCLUDE_DIR SOURCE`;',
           ' * do not edit */']
    out[0] %= (label(incdir), len(data))
    for i in range(0, len(data), 12):
        out.append('        ' + ' '.join('0x%02x,' % b for b in data[i:i + 12]))
    return '\n'.join(out) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--cc', default=os.environ.get('CC', 'cc'), help='C compiler (default $CC or cc)')
    ap.add_argument('--root', action='append', default=[],
                    help='also list the interpreters of this chroot (repeatable)')
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('list')
    p = sub.add_parser('probe')
    p.add_argument('include')
    p = sub.add_parser('table')
    p.add_argument('include')
    p.add_argument('-o', '--output')
    sub.add_parser('update')
    p = sub.add_parser('dump-debug-offsets')
    p.add_argument('include')
    p.add_argument('source', help='LIBDIR holding libpythonX.Y.so, or chroot:DIR')
    p.add_argument('--bytes', type=int, help='how many bytes (default: sizeof(_Py_DebugOffsets))')
    p.add_argument('--c-array', action='store_true', help='a C initializer list, not hex')
    a = ap.parse_args()

    if a.cmd == 'list':
        for d, lib in find_includes(a.cc, a.root):
            print('%s\t%s\t%s' % (label(d), d, lib))
    elif a.cmd == 'probe':
        vals = probe(a.include, a.cc)
        for name in FIELDS:
            print(name, text_value(name, vals[name]))
    elif a.cmd == 'table':
        src = table_source(a.include, a.cc)
        if a.output:
            with open(a.output, 'w') as f:
                f.write(src)
        else:
            sys.stdout.write(src)
    elif a.cmd == 'update':
        update(a.cc)
    elif a.cmd == 'dump-debug-offsets':
        raw = dump_debug_offsets(a.include, a.source, a.cc, a.bytes)
        sys.stdout.write(c_array(raw, a.include) if a.c_array else raw)


if __name__ == '__main__':
    main()

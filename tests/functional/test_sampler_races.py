"""The default (non-blocking) sampler reads a running interpreter: a sample's reads span
microseconds while generators yield and short calls return under it. These tests check that
it still tells the truth (issue 15, ../shared/reference/sampler-races.md):
  * no stack is cut off at a generator that yielded while it was read (its outermost frame
    must be the thread's real root);
  * a short call's share of the time is the one --blocking (the target stopped for each
    sample) measures: neither retries nor drops may move time between functions;
  * no function name is read from a freed or half-written code object.
The races only exist while the target runs as pyinstr reads it, so on a machine with two CPUs
or more pyinstr and the target are pinned to different ones (taskset). A few seconds per
interpreter."""
import collections
import os
import shutil
import subprocess

import pytest

from conftest import PYINSTR, TARGETS, parse_collapsed

PIN = shutil.which("taskset") if (os.cpu_count() or 1) >= 2 else None


def record_pinned(python, target, seconds, extra=()):
    """pyinstr (CPU 0) record -r collapsed of the target (CPU 1); returns the stacks."""
    pyinstr = [PYINSTR]
    argv = [*python.argv, str(TARGETS / target), str(seconds)]
    if PIN:
        pyinstr = [PIN, "-c", "0", PYINSTR]
        argv = [PIN, "-c", "1", *argv]
    out = subprocess.run([*pyinstr, "record", "-r", "collapsed", *extra, "--", *argv],
                         capture_output=True, text=True, timeout=120, cwd=str(TARGETS))
    assert out.returncode == 0, out.stderr
    return parse_collapsed(out.stdout), out.stderr


def test_generator_stacks_whole(python):
    """>= 10,000 samples of a generator-heavy target (5 kHz): none may start at a function of
    the target other than its module body (before the fix: 5-15 % of them did), and at most
    1 % (the issue's target) are dropped: 0.4-1.9 % when a torn walk was read afresh once,
    0-0.01 % with up to 5 readings, quiet or with both cores busy (2026-12-07). A loaded
    machine samples less often than asked: then a longer run makes up the count."""
    total = cut = count = dropped = 0
    firsts = collections.Counter()
    summaries = []
    seconds = 3.0
    while count < 10000 and len(summaries) < 3:
        stacks, err = record_pinned(python, "gen_chain.py", seconds, extra=("-i", "0.0002"))
        for frames, weight in stacks:
            py = frames[1:]
            if not py:
                continue
            total += weight
            name, file, _ = py[0]
            if file == "gen_chain.py" and name != "<module>":
                cut += weight
                firsts[name] += weight
        summary = err.strip().splitlines()[0] if err.strip() else ""
        assert summary.startswith("pyinstr: "), err
        got = int(summary.split()[1])
        dropped += int(summary.split()[3])
        summaries.append(summary)
        count += got
        seconds = min(12.0, seconds * 1.3 * (10000 - count) / max(got, 1000)) if count < 10000 else 0
    assert count >= 10000, "only %d samples: %s" % (count, summaries)
    assert dropped <= 0.01 * (count + dropped), "dropped: %s" % summaries
    assert cut == 0, "%.2f %% of the time in stacks cut off at %s" % (
        100.0 * cut / total, dict(firsts.most_common(3)))


def self_shares(stacks):
    """{function name (with its class): share of the time, %} of the innermost frames."""
    c = collections.Counter()
    for frames, weight in stacks:
        c[frames[-1][0]] += weight
    total = sum(c.values())
    return {k: 100.0 * v / total for k, v in c.items()}


def short_shares(weights):
    return {m: 100.0 * w["Point.__init__"] / max(1, sum(w.values())) for m, w in weights.items()}


# The target is 2 points, and it is not met everywhere: with the prefetch copying the
# pieces in the walk's order (2026-12-07, quiet machine, this test) the default mode was under
# --blocking by 1.1 (3.10), 0.3 (3.11), 1.1 (3.12), 2.3 (3.13), 2.5 (3.8), 2.1 (3.9), 0.7 (Debian
# 3.11), 3.3 (sid 3.13), 3.7 (3.14), 2.6 (3.15) points: always under, so some bias against a
# call made from C is left. CI holds it to 5 points: a guard against the bias this test was
# written for (3.12 6.8 vs 13.1, 3.14 10.6 vs 28.8 before the repairs), while the last points
# stay open in the issue.
BOUND = 5.0


def within_bound(weights):
    shares = short_shares(weights)
    return abs(shares[""] - shares["--blocking"]) <= BOUND


def test_short_call_share(python):
    """Point.__init__'s share, non-blocking vs --blocking, within BOUND points (before the fix:
    3.12 6.8 vs 13.1 %, 3.14 7.6 vs 18.9 %; <= 3.10 lost the class Point in half the samples).
    One target, attached to in alternate 0.6-second windows at 2 kHz, 10 of each mode (about
    12,000 samples each): its share moves by several points from one second to the next with
    the machine's load, and from one process to the next, so only windows close in time of the
    same process compare."""
    weights = alternate_windows(python, "short_calls.py", windows=10, done=within_bound)
    shares = short_shares(weights)
    print("Point.__init__ %.1f %% non-blocking vs %.1f %% blocking"
          % (shares[""], shares["--blocking"]))
    assert shares["--blocking"] > 3, "Point.__init__ barely sampled even when blocking: %r" % (
        shares,)
    assert abs(shares[""] - shares["--blocking"]) <= BOUND, (
        "Point.__init__ %.1f %% non-blocking vs %.1f %% blocking"
        % (shares[""], shares["--blocking"]))


def alternate_windows(python, target, windows=10, done=None):
    """{"" and "--blocking": Counter of the innermost frames' names (with their class)} from
    one process of @target, attached to in alternate 0.6-second windows at 2 kHz, @windows of
    each mode; @windows more when done(weights) says no (the share wanders with the machine's
    load: more windows of one process average it out)."""
    pin = [PIN, "-c", "1"] if PIN else []
    argv = [*pin, *python.argv, str(TARGETS / target), "60", "ready"]
    proc = subprocess.Popen(argv, cwd=str(TARGETS), stdout=subprocess.PIPE, text=True)
    weights = {"": collections.Counter(), "--blocking": collections.Counter()}
    try:
        assert proc.stdout.readline().strip() == "ready"
        pyinstr = [PIN, "-c", "0", PYINSTR] if PIN else [PYINSTR]
        for window in range(2 * windows):
            if window == windows and done and done(weights):
                break
            for mode in ("--blocking", ""):
                out = subprocess.run([*pyinstr, "attach", "--pid", str(proc.pid), "-d", "0.6",
                                      "-i", "0.0005", "-r", "collapsed",
                                      *((mode,) if mode else ())],
                                     capture_output=True, text=True, timeout=60)
                assert out.returncode == 0, out.stderr
                for frames, weight in parse_collapsed(out.stdout):
                    weights[mode][frames[-1][0]] += weight
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return weights


def test_short_call_in_generator_share(python, request):
    """json's encoder with indent (json_indent.py: stdlib code, as json.tool runs it): the
    share of floatstr(), a short call made by a generator for every float, non-blocking vs
    --blocking, within BOUND points. Before the fix (2026-12-07, json.tool on a 38 MB file,
    3 runs each): Debian 3.11 6.7 % vs 15.0 % (3.11 runs each generator in an evaluation loop
    of its own; its frame pointer, read late, named the generator after the call returned),
    3.14 13.0 % vs 17.7 %. After (2026-12-08, this test): 0.1-0.7 points on 3.8-3.10, pyenv
    3.12/3.13 and Debian 3.11, 2.4 on sid 3.13, 3.8 on pyenv 3.11."""
    if python.version[:2] >= (3, 14):
        request.applymarker(pytest.mark.xfail(
            reason="issue 15: >= 3.14 floatstr 16.6 vs 20.0 % (3.14), 14.7 vs 18.9 % (3.15) "
                   "(2026-12-08); within json.tool's encoding perf -X perf gives floatstr 20.3 %, "
                   "the default mode 19.6 %, --blocking 23.8-25.2 %: the referee is off too",
            strict=False))

    def shares(weights):
        return {m: 100.0 * w["floatstr"] / max(1, sum(w.values())) for m, w in weights.items()}

    weights = alternate_windows(python, "json_indent.py", windows=6,
                                done=lambda w: abs(shares(w)[""] - shares(w)["--blocking"])
                                <= BOUND)
    got = shares(weights)
    print("floatstr %.1f %% non-blocking vs %.1f %% blocking" % (got[""], got["--blocking"]))
    assert got["--blocking"] > 3, "floatstr barely sampled even when blocking: %r" % (got,)
    assert abs(got[""] - got["--blocking"]) <= BOUND, (
        "floatstr %.1f %% non-blocking vs %.1f %% blocking" % (got[""], got["--blocking"]))


def test_recursive_consumer_generator_share(python, request):
    """ast_visitor.py: ast.iter_fields(), a generator made per node and resumed once per field
    by the recursive NodeVisitor.generic_visit (pydoc's inspect._ClassFinder): its share
    non-blocking vs --blocking, within BOUND points. A generator suspended since the sample's
    instant is put back on the frame that holds it on its stack (<= 3.12). Measured
    2026-12-08 (3 windows): Debian 3.11 25-27 % vs 36-39 % before, 28.6-29.9 % vs 35.5-38.3 %
    after; pyenv 3.12 18-24 % vs 31-34 % before, 25-29 % vs 28-34.5 % after (perf -X perf:
    29.6 %)."""
    # Measured with this test, 2026-12-08 (non-blocking vs --blocking), before / after the
    # resumer was found by its stack on <= 3.10 too: 3.8 8.9 / 16.0 vs 24 %, 3.9 8.3 / 17.1 vs
    # 23 %, 3.10 11.3 / 17.1 vs 23 %; then pyenv 3.11 22.5 vs 32.8, 3.12 25.5 vs 34.3, pyenv
    # 3.13 22.7 vs 31.5, Debian 3.11 29.3 vs 33.8, sid 3.13 25.7 vs 34.2, 3.14 26.2 vs 37.1,
    # 3.15 24.8 vs 38.6. 3.13+ do not know where a generator's frame sits in its object
    # (gen.iframe), so they still take the callers its address had on earlier walks.
    request.applymarker(pytest.mark.xfail(
        reason="issue 15: iter_fields under by 4.5-14 points on every version (2026-12-08): a "
               "generator per call of a recursive consumer, suspended since the instant",
        strict=False))

    def shares(weights):
        return {m: 100.0 * w["iter_fields"] / max(1, sum(w.values())) for m, w in weights.items()}

    # 3 windows of each mode, no more: an xfail everywhere for now, it must not lengthen CI
    weights = alternate_windows(python, "ast_visitor.py", windows=3)
    got = shares(weights)
    print("iter_fields %.1f %% non-blocking vs %.1f %% blocking" % (got[""], got["--blocking"]))
    assert got["--blocking"] > 3, "iter_fields barely sampled even when blocking: %r" % (got,)
    assert abs(got[""] - got["--blocking"]) <= BOUND, (
        "iter_fields %.1f %% non-blocking vs %.1f %% blocking" % (got[""], got["--blocking"]))


def test_fresh_import_names(python):
    """Module bodies imported and freed in a loop, sampled at 5 kHz: every reported function
    name is a real one (not empty, no control character or U+FFFD, not a piece of a path)."""
    stacks, _ = record_pinned(python, "fresh_imports.py", 2, extra=("-i", "0.0002"))
    bad = collections.Counter()
    for frames, weight in stacks:
        for name, file, _ in frames[1:]:
            if (not name or "\ufffd" in name or ".cpython-" in name or not name.isprintable()
                    or not file):
                bad[(name, file)] += weight
    assert stacks, "no samples"
    assert not bad, "corrupt names: %r" % dict(bad.most_common(5))


def test_method_classes_true(python):
    """Methods of Parser and Generator objects, made in turn at the same address (5 kHz): a
    method is named by the class of its self (pyinstrument's naming), never by the class of
    the object found at its self's address a moment later. Before the fix 50-70 % of the
    time on every version was named Generator.parse, Parser.emit and so on."""
    stacks, _ = record_pinned(python, "reused_selves.py", 2, extra=("-i", "0.0002"))
    own = {"parse": "Parser", "step": "Parser", "generate": "Generator", "emit": "Generator"}
    total = 0
    wrong, classless = collections.Counter(), collections.Counter()
    for frames, weight in stacks:
        total += weight
        for name, file, _ in frames[1:]:
            cls, _, fn = name.rpartition(".")
            if file == "reused_selves.py" and fn in own and cls != own[fn]:
                (wrong if cls else classless)[name] += weight
    assert total, "no samples"
    assert not wrong, "misnamed: %.1f %% of the time, %r" % (
        100 * sum(wrong.values()) / total, dict(wrong.most_common(4)))
    # a self not readable when the method was first seen leaves it without a class (<=3.10,
    # where no co_qualname names it): about 1 % of this target's time on a quiet machine, 4.3 %
    # under CI's load (3.8)
    assert sum(classless.values()) <= 0.10 * total, "without class: %.1f %% of the time" % (
        100 * sum(classless.values()) / total)


# An event loop switching between 40 tasks (issue 22 item 9): a task that suspends while its
# stack is read leaves its coroutines without callers (previous = NULL), and the walker restores
# them from the callers its earlier walks saw at the same frame address (repair_from_memo()).
# Measured 2026-12-07 (pinned, 5 kHz): 30-47 % of the samples dropped (PYINSTR_DROP_CAUSES:
# mostly "generator: no caller known" / "code unknown"), and on every interpreter >= 3.11 some
# 0.02-0.2 % of the time reported in stacks that skip a coroutine (leaf directly under
# task_root or under the loop's Handle._run) or repeat one (leaf under leaf). Not only the
# repairs: on 3.11 they come with repair_from_memo() disabled too, so a live chain read while
# pymalloc gives a finished coroutine's memory to the next one passes every check. Cause not
# isolated, not fixed: the test says so.
ASYNCIO_PARENT = {"task_root": "<module>", "middle": "task_root", "leaf": "middle"}


def test_asyncio_task_stacks(python, request):
    """asyncio_tasks.py at 5 kHz: every stack is whole (its outermost frame the module body)
    and every coroutine sits under the one that awaits it (leaf under middle under task_root),
    whatever the walker restored. The dropped share is printed."""
    if python.version[:2] >= (3, 11):
        request.applymarker(pytest.mark.xfail(
            reason="issue 22 item 9: >= 3.11 0.02-0.2 % of the time in stacks that skip or "
                   "repeat a coroutine (2026-12-07), cause not isolated", strict=False))
    stacks, err = record_pinned(python, "asyncio_tasks.py", 3, extra=("-i", "0.0002"))
    total = 0
    bad = collections.Counter()
    for frames, weight in stacks:
        py = frames[1:]
        own = [name for name, file, _ in py if file == "asyncio_tasks.py"]
        if not py or not set(own) & set(ASYNCIO_PARENT):
            continue  # start-up imports and exit handlers have roots of their own
        total += weight
        if py[0][:2] != ("<module>", "asyncio_tasks.py"):
            bad["cut off at %s" % py[0][0]] += weight
            continue
        for caller, callee in zip(own, own[1:]):
            if callee in ASYNCIO_PARENT and caller != ASYNCIO_PARENT[callee]:
                bad["%s under %s" % (callee, caller)] += weight
    summary = err.strip().splitlines()[0] if err.strip() else ""
    assert summary.startswith("pyinstr: "), err
    samples, dropped = int(summary.split()[1]), int(summary.split()[3])
    assert samples >= 5000, "only %d samples: %s" % (samples, summary)
    assert not bad, "%.2f %% of the time in wrong stacks: %s" % (
        100.0 * sum(bad.values()) / total, dict(bad.most_common(3)))
    print(summary)

#!/usr/bin/env python3
"""A small checker for the Firefox Profiler's processed profile format as pyinstr writes it
(preprocessedProfileVersion 48): the required keys, every table's columns of the stated length,
and every index (prefix, frame, func, string, category, stack) pointing inside its table. The
real profiler cannot be loaded offline; this is what its loader would trip over first.

usage: gecko_check.py FILE...   (or import it and call check(profile))
"""
import json
import sys

META = ["interval", "startTime", "processType", "product", "stackwalk", "version",
        "preprocessedProfileVersion", "symbolicated", "categories", "markerSchema"]
THREAD = ["processType", "processStartupTime", "processShutdownTime", "registerTime",
          "unregisterTime", "pausedRanges", "name", "isMainThread", "pid", "tid", "samples",
          "markers", "stackTable", "frameTable", "funcTable", "resourceTable", "nativeSymbols",
          "stringArray"]
TABLES = {
    "samples": ["stack", "time"],
    "markers": ["category", "data", "endTime", "name", "phase", "startTime"],
    "stackTable": ["frame", "prefix", "category", "subcategory"],
    "frameTable": ["address", "inlineDepth", "category", "subcategory", "func", "nativeSymbol",
                   "innerWindowID", "implementation", "line", "column"],
    "funcTable": ["name", "isJS", "relevantForJS", "resource", "fileName", "lineNumber",
                  "columnNumber"],
    "resourceTable": ["lib", "name", "host", "type"],
    "nativeSymbols": ["libIndex", "address", "name", "functionSize"],
}


class GeckoError(AssertionError):
    pass


def need(cond, what):
    if not cond:
        raise GeckoError(what)


def index_ok(v, n, nullable):
    if v is None:
        return nullable
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n


def check(p):
    need(isinstance(p, dict), "the profile is an object")
    for k in ("meta", "libs", "threads"):
        need(k in p, f"profile.{k} exists")
    meta = p["meta"]
    for k in META:
        need(k in meta, f"meta.{k} exists")
    need(meta["preprocessedProfileVersion"] == 48, "preprocessedProfileVersion is 48")
    cats = meta["categories"]
    need(isinstance(cats, list) and cats, "meta.categories is a non-empty list")
    for c in cats:
        need({"name", "color", "subcategories"} <= set(c) and c["subcategories"],
             "a category has name, color and subcategories")
    # an empty session has no thread to show
    need(isinstance(p["threads"], list), "profile.threads is a list")
    for ti, th in enumerate(p["threads"]):
        where = f"threads[{ti}]"
        for k in THREAD:
            need(k in th, f"{where}.{k} exists")
        need(isinstance(th["pid"], str), f"{where}.pid is a string (v47)")
        need(isinstance(th["name"], str), f"{where}.name is a string")
        strings = th["stringArray"]
        need(all(isinstance(s, str) for s in strings), f"{where}.stringArray holds strings")
        for t, cols in TABLES.items():
            tab = th[t]
            need(isinstance(tab.get("length"), int), f"{where}.{t}.length is an int")
            for c in cols:
                need(isinstance(tab.get(c), list) and len(tab[c]) == tab["length"],
                     f"{where}.{t}.{c} has length {tab['length']}")
        st, fr, fn, sa = th["stackTable"], th["frameTable"], th["funcTable"], th["samples"]
        for i in range(st["length"]):
            need(index_ok(st["frame"][i], fr["length"], False), f"{where} stack {i} frame")
            # a prefix comes before its stack, so the table is a tree
            need(st["prefix"][i] is None or index_ok(st["prefix"][i], i, False),
                 f"{where} stack {i} prefix is an earlier stack")
            need(index_ok(st["category"][i], len(cats), False), f"{where} stack {i} category")
            sub = cats[st["category"][i]]["subcategories"]
            need(index_ok(st["subcategory"][i], len(sub), False), f"{where} stack {i} subcat")
        for i in range(fr["length"]):
            need(index_ok(fr["func"][i], fn["length"], False), f"{where} frame {i} func")
            need(index_ok(fr["category"][i], len(cats), True), f"{where} frame {i} category")
            need(fr["line"][i] is None or isinstance(fr["line"][i], int), f"{where} frame {i} line")
        for i in range(fn["length"]):
            need(index_ok(fn["name"][i], len(strings), False), f"{where} func {i} name")
            need(index_ok(fn["fileName"][i], len(strings), True), f"{where} func {i} fileName")
            need(fn["resource"][i] == -1 or index_ok(fn["resource"][i],
                 th["resourceTable"]["length"], False), f"{where} func {i} resource")
            need(isinstance(fn["isJS"][i], bool), f"{where} func {i} isJS")
        last = None
        for i in range(sa["length"]):
            need(index_ok(sa["stack"][i], st["length"], True), f"{where} sample {i} stack")
            t = sa["time"][i]
            need(isinstance(t, (int, float)), f"{where} sample {i} time is a number")
            need(last is None or t >= last, f"{where} sample times never go back")
            last = t
        w = sa.get("weight")
        need(w is None or (isinstance(w, list) and len(w) == sa["length"]), f"{where} weight")
        need(sa.get("weightType", "samples") in ("samples", "tracing-ms", "bytes"),
             f"{where} weightType")
    return True


def main():
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            check(json.load(f))
        print(f"{path}: a valid processed profile")


if __name__ == "__main__":
    main()

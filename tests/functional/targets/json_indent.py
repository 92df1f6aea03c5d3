"""json.dump with indent, as `python -m json.tool` does, for argv[1] seconds (default 1):
the standard library's pure-Python encoder, a chain of generators (_iterencode,
_iterencode_dict, _iterencode_list) that calls the short floatstr() for every float. With a
second argument it prints "ready" first (to be attached to)."""
import io
import json
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
DOC = [{"id": i, "name": "point %d" % i, "xyz": [i * 0.5, i * 0.25, i * 0.125, i / 7.0]}
       for i in range(2000)]


def main(end):
    while time.monotonic() < end:
        json.dump(DOC, io.StringIO(), indent=4)


if len(sys.argv) > 2:
    print("ready", flush=True)
main(time.monotonic() + DURATION)

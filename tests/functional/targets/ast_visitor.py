"""ast.NodeVisitor over the tree of a stdlib module, for argv[1] seconds (default 1), as
pydoc's inspect._ClassFinder does: generic_visit() is recursive and iterates a new
ast.iter_fields() generator per node, resumed once per field. With a second argument it
prints "ready" first (to be attached to)."""
import ast
import inspect
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
TREE = ast.parse(inspect.getsource(inspect))


class Visitor(ast.NodeVisitor):
    pass


def main(end):
    while time.monotonic() < end:
        Visitor().visit(TREE)


if len(sys.argv) > 2:
    print("ready", flush=True)
main(time.monotonic() + DURATION)

"""Adds a folder to sys.path late in its run, as a program that loads plugins does, and spends
the rest of its time in a module from there: argv[1] seconds (default 1) in all, the last 40 %
in the plugin. With argv[2], writes there at the end what pyinstrument records of the process
to tell library code from the program's (sys.path and its sys_prefixes) as JSON."""
import json
import os
import sys
import tempfile
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
PLUGIN = """import time


def run_plugin(end):
    while time.monotonic() < end:
        sum(range(1000))
"""


def spin(end):
    while time.monotonic() < end:
        sum(range(1000))


start = time.monotonic()
spin(start + 0.6 * DURATION)
# one folder for every run (the same sys.path under pyinstrument and pyinstr), left in place
plugins = os.path.join(tempfile.gettempdir(), "pyinstr-late-plugins")
os.makedirs(plugins, exist_ok=True)
with tempfile.NamedTemporaryFile("w", dir=plugins, delete=False, encoding="utf-8") as f:
    f.write(PLUGIN)
os.replace(f.name, os.path.join(plugins, "late_plugin.py"))
sys.path.insert(0, plugins)
import late_plugin  # noqa: E402

late_plugin.run_plugin(start + DURATION)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"sys_path": sys.path,
                   "sys_prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                    sys.base_exec_prefix]}, f)

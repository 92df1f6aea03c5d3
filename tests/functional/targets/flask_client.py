"""A Flask workload for argv[1] seconds (default 1): requests through Flask's test client to a
view that renders a jinja2 template. With argv[2], writes there at the end what pyinstrument
records of the process to tell library code from the program's (sys.path and its
sys_prefixes) as JSON. Needs Flask (Debian's python3-flask)."""
import json
import sys
import time

from flask import Flask, render_template_string

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
app = Flask(__name__)


@app.route("/items/<int:n>")
def items(n):
    return render_template_string(
        "<ul>{% for i in range(n) %}<li class='{{ cls }}'>{{ i }}</li>{% endfor %}</ul>",
        n=n, cls="item")


def main(end):
    client = app.test_client()
    while time.monotonic() < end:
        assert client.get("/items/20").status_code == 200


main(time.monotonic() + DURATION)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"sys_path": sys.path,
                   "sys_prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix,
                                    sys.base_exec_prefix]}, f)

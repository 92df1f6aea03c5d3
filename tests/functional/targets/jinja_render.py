"""A jinja2 workload for argv[1] seconds (default 1): render a page template (compiled once,
as a web application's template cache does) with a macro, loops, filters and autoescaping.
Needs jinja2 (Debian's python3-jinja2)."""
import sys
import time

import jinja2

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
PAGE = """<html><head><title>{{ title|e }}</title></head><body>
{% macro row(item) -%}
<tr class="{{ loop_class }}"><td>{{ item.id }}</td><td>{{ item.name|title }}</td>
<td>{% for tag in item.tags %}{{ tag|upper }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{%- endmacro %}
<table>{% for item in items if item.id % 3 %}{{ row(item) }}{% endfor %}</table>
{% if footer %}<p>{{ footer|striptags }}</p>{% endif %}
</body></html>"""
ITEMS = [{"id": i, "name": "item number %d" % i, "tags": ["alpha", "beta", "gamma"]}
         for i in range(60)]


def render(template):
    return template.render(title="Items & more", items=ITEMS, footer="<b>the end</b>")


def main(end):
    template = jinja2.Environment(autoescape=True).from_string(PAGE)
    size = 0
    while time.monotonic() < end:
        size += len(render(template))
    return size


main(time.monotonic() + DURATION)

"""Markdown tables and "median (min..max)" cells, shared by bench/run.py's sections."""
import statistics
import sys


def median_spread(values, fmt="%.3f"):
    if not values:
        return "-"
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " (" + fmt + ".." + fmt + ")") % (statistics.median(values), min(values),
                                                    max(values))


def table(title, header, rows):
    print("\n### " + title + "\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    sys.stdout.flush()

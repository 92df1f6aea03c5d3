"""A json and regex workload for argv[1] seconds (default 1): encode, decode and search
documents, the kind of work a web service does with its payloads."""
import json
import re
import sys
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
WORD = re.compile(r"\b[a-z]{4,}\b")
DOC = {"items": [{"id": i, "name": "item number %d" % i, "tags": ["alpha", "beta", "gamma"],
                  "text": "the quick brown fox jumps over the lazy dog %d times" % i}
                 for i in range(200)]}


def encode():
    return json.dumps(DOC)


def decode(text):
    return json.loads(text)


def search(doc):
    return sum(len(WORD.findall(item["text"])) for item in doc["items"])


def main(end):
    total = 0
    while time.monotonic() < end:
        total += search(decode(encode()))
    return total


main(time.monotonic() + DURATION)

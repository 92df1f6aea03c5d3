"""A small program with a known profile: parsing, a slow search and a sleep."""
import json
import time


def make_records(n):
    return [{"id": i, "name": f"item-{i}", "tags": ["a", "b", str(i % 7)]} for i in range(n)]


def serialise(records):
    return json.dumps(records)


def parse(text):
    return json.loads(text)


def slow_search(records, needle):
    hits = 0
    for _ in range(40):
        for r in records:
            if needle in r["tags"]:
                hits += 1
    return hits


class Report:
    def __init__(self, records):
        self.records = records

    def build(self):
        text = serialise(self.records)
        return len(parse(text))


def main():
    records = make_records(20000)
    Report(records).build()
    slow_search(records, "3")
    time.sleep(0.2)


if __name__ == "__main__":
    main()

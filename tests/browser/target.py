"""The browser test's program: application code on two threads that calls the standard
library (json, re, difflib), so the report has library groups, two threads and a timeline."""
import difflib
import json
import re
import threading
import time


def encode_documents(n):
    docs = [{"id": i, "words": ["alpha", "beta", str(i)] * 5} for i in range(n)]
    return [json.dumps(d) for d in docs]


def decode_documents(texts):
    return [json.loads(t) for t in texts]


def search_words(texts):
    pattern = re.compile(r"(alpha|beta)\s*\W+(\d+)")
    return sum(len(pattern.findall(t)) for t in texts)


def compare_lines():
    a = [f"line {i} of the first text" for i in range(400)]
    b = [f"line {i} of the {'second' if i % 5 else 'first'} text" for i in range(400)]
    return len(list(difflib.unified_diff(a, b)))


def background_worker(stop):
    while not stop.is_set():
        compare_lines()


def main_work():
    deadline = time.time() + 1.2
    while time.time() < deadline:
        texts = encode_documents(3000)
        decode_documents(texts)
        search_words(texts)


if __name__ == "__main__":
    stop = threading.Event()
    worker = threading.Thread(target=background_worker, args=(stop,), name="diff-worker")
    worker.start()
    main_work()
    stop.set()
    worker.join()

"""The work behind every server of bench/servers.py: the same three endpoints, plain Python
returning JSON-able dicts (a list built and summed, a sieve, a lookup with sorting and a hash),
so that the servers differ only in their framework and event loop."""
import hashlib
import json
import math

USERS = [{"id": i, "name": "user%d" % i, "email": "u%d@example.org" % i, "score": (i * 37) % 101}
         for i in range(1000)]
PATHS = ["/items/40", "/compute/3000", "/users/7"]  # what the load generator asks, in turn


def items(n):
    out = [{"id": i, "name": "item %d" % i, "price": round(math.sqrt(i + 1) * 3.7, 2),
            "tags": ["t%d" % (i % 7), "x"]} for i in range(n)]
    return {"count": n, "items": out, "total": round(sum(o["price"] for o in out), 2)}


def compute(n):
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, n + 1, i)))
    primes = [i for i, v in enumerate(sieve) if v]
    return {"n": n, "primes": len(primes), "last": primes[-1] if primes else None}


def user(uid):
    u = USERS[uid % len(USERS)]
    friends = sorted(USERS[(uid * k + k) % len(USERS)]["name"] for k in range(1, 30))
    return {"user": u, "friends": friends,
            "digest": hashlib.sha256(json.dumps(u, sort_keys=True).encode()).hexdigest()}


def route(path):
    """(status, body dict) for a GET of @path."""
    parts = path.split("?")[0].strip("/").split("/")
    try:
        if len(parts) == 2 and parts[0] == "items":
            return 200, items(int(parts[1]))
        if len(parts) == 2 and parts[0] == "compute":
            return 200, compute(int(parts[1]))
        if len(parts) == 2 and parts[0] == "users":
            return 200, user(int(parts[1]))
    except ValueError:
        return 400, {"error": "bad number"}
    return 404, {"error": "not found"}

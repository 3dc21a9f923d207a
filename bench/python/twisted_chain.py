"""Twisted's Deferred on CPython: a 10-callback chain built and fired N times
(the job of bench/twisted-chain.ts). Prints one JSON line:
{"id": "twisted-chain", "name": ..., "median": chains/s, "samples": [...]}.

Run with the Python that has Twisted, e.g. /usr/bin/python3 (Debian's
python3-twisted).
"""
import json
import statistics
import sys
import time

try:
    from twisted.internet.defer import Deferred
    import twisted
except ImportError:
    print(json.dumps({"id": "twisted-chain", "skip": "Twisted is not importable by " + sys.executable}))
    sys.exit(0)

LINKS = 10
N = 20000


def inc(x):
    return x + 1


def chains(n):
    total = 0
    for _ in range(n):
        d = Deferred()
        for _ in range(LINKS):
            d.addCallback(inc)
        d.callback(0)
        total += d.result
    assert total == n * LINKS


def main(samples=5, warmup=1):
    for _ in range(warmup):
        chains(N)
    rates = []
    for _ in range(samples):
        t0 = time.perf_counter()
        chains(N)
        rates.append(N / (time.perf_counter() - t0))
    print(json.dumps({
        "id": "twisted-chain",
        "name": "Twisted %s Deferred on CPython %s (10 callbacks)" % (twisted.__version__, sys.version.split()[0]),
        "unit": "chains/s",
        "median": statistics.median(rates),
        "samples": rates,
    }))


if __name__ == "__main__":
    main()

"""Interpreter of random Deferred programs for twisted-random-programs.test.ts: reads
a JSON list of programs on stdin, runs each on real Twisted, prints a JSON
list of traces. The TypeScript side runs the same programs on our Deferred
with the same interpreter and compares.

A program is a list of ops on Deferreds numbered 0..n-1:
  ["cb" | "eb" | "both", d, action]   add a callback / errback / both
  ["fire", d, "ok" | "err", k]         callback(k) / errback(Boom(k))
  ["pause", d], ["unpause", d], ["cancel", d], ["chainDeferred", d, j]
  ["dl", d, [indices], fireOnOneCallback, fireOnOneErrback, consumeErrors]
      (d is ignored: a new DeferredList, reported after the Deferreds)
  ["gather", d, [indices], consumeErrors]
An action is ["ret", k] | ["raise", k] | ["fail", k] | ["id"] | ["none"] |
["chain", j] (return Deferred j; j > d, so no cycles) | ["trap"] (re-raise
unless the failure is a Boom).
"""
import json
import sys

from twisted.internet.defer import AlreadyCalledError, Deferred, DeferredList, FirstError, gatherResults
from twisted.python.failure import Failure


class Boom(Exception):
    pass


def fmt(v):
    if isinstance(v, Failure) and isinstance(v.value, FirstError):
        return "F:FirstError:#%d:%s" % (v.value.index, fmt(v.value.subFailure))
    if isinstance(v, Failure):
        return "F:%s:%s" % (v.type.__name__, v.getErrorMessage())
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(fmt(x) for x in v) + "]"
    if isinstance(v, Deferred):
        return "Deferred"
    return str(v)


def run(program, n):
    trace = []
    ds = [Deferred() for _ in range(n)]
    lists = []
    step = [0]

    def make(kind, d, action):
        step[0] += 1
        name = "%s%d#%d" % (kind, d, step[0])

        def f(r):
            trace.append("%s<-%s" % (name, fmt(r)))
            a = action[0]
            if a == "ret":
                return action[1]
            if a == "raise":
                raise Boom(action[1])
            if a == "fail":
                return Failure(Boom(action[1]))
            if a == "id":
                return r
            if a == "none":
                return None
            if a == "chain":
                return ds[action[1]]
            if a == "trap":
                if isinstance(r, Failure):
                    r.trap(Boom)
                    return "trapped"
                return r
            raise AssertionError(a)

        return f

    for op in program:
        kind, d = op[0], op[1]
        D = ds[d]
        try:
            if kind == "cb":
                D.addCallback(make("cb", d, op[2]))
            elif kind == "eb":
                D.addErrback(make("eb", d, op[2]))
            elif kind == "both":
                D.addBoth(make("both", d, op[2]))
            elif kind == "fire":
                if op[2] == "ok":
                    D.callback(op[3])
                else:
                    D.errback(Boom(op[3]))
            elif kind == "pause":
                D.pause()
            elif kind == "unpause":
                if D.paused > 0:
                    D.unpause()
            elif kind == "cancel":
                D.cancel()
            elif kind == "chainDeferred":
                D.chainDeferred(ds[op[2]])
            elif kind == "dl":
                lists.append(DeferredList([ds[i] for i in op[2]], fireOnOneCallback=op[3], fireOnOneErrback=op[4], consumeErrors=op[5]))
            elif kind == "gather":
                lists.append(gatherResults([ds[i] for i in op[2]], consumeErrors=op[3]))
        except AlreadyCalledError:
            trace.append("AlreadyCalled:%d" % d)
    for i, D in enumerate(ds):
        trace.append("d%d called=%s paused=%d result=%s" % (i, "true" if D.called else "false", D.paused, fmt(D.result) if D.called else "-"))
        # Keep the unhandled-failure log quiet: handle what is left.
        D.addErrback(lambda f: None)
    for i, L in enumerate(lists):
        trace.append("list%d called=%s result=%s" % (i, "true" if L.called else "false", fmt(L.result) if L.called else "-"))
        L.addErrback(lambda f: None)
    return trace


if __name__ == "__main__":
    data = json.load(sys.stdin)
    json.dump([run(p["ops"], p["n"]) for p in data], sys.stdout)

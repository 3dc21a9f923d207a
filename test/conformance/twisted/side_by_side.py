"""Side-by-side scenarios run on real Twisted; side-by-side.test.ts runs the
same scenarios on asyncio-ts/twisted and compares the traces.

Prints one JSON object: {scenario name: [trace entries]}. Values are shown
as fmt() does, identically on both sides.
"""
import json
import sys

from twisted.internet import defer
from twisted.internet.defer import CancelledError, Deferred, DeferredList, inlineCallbacks
from twisted.python.failure import Failure


class Boom(Exception):
    pass


class Other(Exception):
    pass


def fmt(v):
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


def chain_switching():
    trace = []
    d = Deferred()

    def rec(name, ret=None, exc=None):
        def f(r):
            trace.append("%s<-%s" % (name, fmt(r)))
            if exc is not None:
                raise exc
            return ret if ret is not None else r
        return f

    d.addCallback(rec("cb1", ret=1))
    d.addCallback(rec("cb2", exc=Boom("b2")))
    d.addCallback(rec("cb3-skipped"))
    d.addErrback(rec("eb1"))  # returns the failure: stays on errback track
    d.addCallbacks(rec("cb4-skipped"), rec("eb2", ret="recovered"))
    d.addCallback(rec("cb5", ret=Failure(Other("o5"))))
    d.addErrback(lambda f: f.trap(Boom))  # not a Boom: re-raised
    d.addErrback(rec("eb3"))
    d.addErrback(lambda f: None)
    d.addBoth(rec("both"))
    d.callback(0)
    trace.append("final:" + fmt(d.result))
    return trace


def pause_on_inner():
    trace = []
    outer = Deferred()
    inner = Deferred()
    inner.addCallback(lambda r: trace.append("inner-own<-" + fmt(r)) or "inner-own-result")
    outer.addCallback(lambda r: trace.append("outer1<-" + fmt(r)) or inner)
    outer.addCallback(lambda r: trace.append("outer2<-" + fmt(r)) or "outer2")
    outer.callback("start")
    trace.append("paused:%d called:%s" % (outer.paused, fmt(inner.called)))
    inner.addCallback(lambda r: trace.append("inner-after<-" + fmt(r)))
    trace.append("before-fire")
    inner.callback("x")
    trace.append("outer:" + fmt(outer.result) + " inner:" + fmt(inner.result))
    # A fired inner: its result is taken at once.
    fired = defer.succeed("ready")
    o2 = Deferred()
    o2.addCallback(lambda r: fired)
    o2.callback(None)
    trace.append("o2:" + fmt(o2.result) + " fired:" + fmt(fired.result))
    return trace


def deferred_list_flags():
    trace = []
    # all results
    a, b, c = Deferred(), Deferred(), Deferred()
    DeferredList([a, b, c], consumeErrors=True).addCallback(lambda r: trace.append("all:" + fmt(r)))
    b.errback(Boom("b"))
    a.callback(1)
    c.callback(3)
    trace.append("b-after:" + fmt(b.result))
    # fireOnOneCallback
    a, b = Deferred(), Deferred()
    DeferredList([a, b], fireOnOneCallback=True).addCallback(lambda r: trace.append("one-cb:" + fmt(r)))
    b.callback("B")
    a.callback("A")
    # fireOnOneErrback
    a, b = Deferred(), Deferred()
    dl = DeferredList([a, b], fireOnOneErrback=True, consumeErrors=True)
    dl.addErrback(lambda f: trace.append("one-eb:%s idx=%d sub=%s" % (f.type.__name__, f.value.index, fmt(f.value.subFailure))))
    a.callback("A")
    b.errback(Other("o"))
    # empty
    DeferredList([]).addCallback(lambda r: trace.append("empty:" + fmt(r)))
    e = DeferredList([], fireOnOneCallback=True)
    trace.append("empty-one-cb-called:" + fmt(e.called))
    # gatherResults
    defer.gatherResults([defer.succeed(1), defer.fail(Boom("g"))], consumeErrors=True).addErrback(
        lambda f: trace.append("gather:%s sub=%s" % (f.type.__name__, fmt(f.value.subFailure)))
    )
    return trace


def inline_callbacks_cancellation():
    trace = []
    first, second = Deferred(), Deferred()

    @inlineCallbacks
    def gen():
        try:
            yield first
        except CancelledError:
            trace.append("caught-cancel")
        v = yield second
        trace.append("second<-" + fmt(v))
        return "done"

    d = gen()
    d.addBoth(lambda r: trace.append("outer<-" + fmt(r)))
    d.cancel()
    trace.append("after-first-cancel called:" + fmt(d.called))
    d.cancel()
    trace.append("after-second-cancel called:" + fmt(d.called))

    # translation to success
    def cancel(it):
        it.errback(Boom("translate"))

    third = Deferred(cancel)

    @inlineCallbacks
    def gen2():
        try:
            yield third
        except Boom as e:
            return "translated:" + str(e)

    d2 = gen2()
    d2.cancel()
    trace.append("d2:" + fmt(d2.result))
    return trace


def clock_timeouts_loopingcall():
    from twisted.internet.task import Clock, LoopingCall, deferLater

    trace = []
    clock = Clock()
    d = Deferred()
    d.addErrback(lambda f: trace.append("eb-before<-" + fmt(f)) or f)
    d.addTimeout(5, clock)
    d.addBoth(lambda r: trace.append("after<-%s timeout=%s" % (r.type.__name__, r.value.args[0])))
    clock.advance(4.9)
    trace.append("t=%s called=%s" % (clock.seconds(), fmt(d.called)))
    clock.advance(0.1)
    d2 = Deferred(lambda c: c.callback("cancel-success"))
    d2.addTimeout(1, clock)
    d2.addBoth(lambda r: trace.append("d2<-" + fmt(r)))
    clock.advance(1)
    times = []
    lc = LoopingCall(lambda: times.append(clock.seconds()))
    lc.clock = clock
    lc.start(1.0)
    clock.advance(1)
    clock.advance(2.5)
    clock.advance(0.5)
    lc.stop()
    trace.append("loop:" + fmt(times))
    dl = deferLater(clock, 2, lambda: "later")
    dl.addBoth(lambda r: trace.append("deferLater<-" + fmt(r)))
    clock.advance(2)
    return trace


def lock_semaphore_queue():
    trace = []
    lock = defer.DeferredLock()
    for name in ("a", "b", "c"):
        lock.acquire().addCallback(lambda l, n=name: trace.append("lock:" + n))
    c_waiter = lock.waiting[1]
    c_waiter.addErrback(lambda f: trace.append("cancelled:" + fmt(f)))
    c_waiter.cancel()
    trace.append("waiting:%d" % len(lock.waiting))
    lock.release()
    trace.append("locked:" + fmt(lock.locked))
    lock.release()
    trace.append("locked:" + fmt(lock.locked))
    sem = defer.DeferredSemaphore(2)
    for name in ("x", "y", "z"):
        sem.acquire().addCallback(lambda s, n=name: trace.append("sem:" + n))
    sem.release()
    trace.append("tokens:%d" % sem.tokens)
    q = defer.DeferredQueue(1, 1)
    q.get().addCallback(lambda v: trace.append("got:" + fmt(v)))
    try:
        q.get()
    except defer.QueueUnderflow:
        trace.append("underflow")
    q.put(1)
    q.put(2)
    try:
        q.put(3)
    except defer.QueueOverflow:
        trace.append("overflow")
    q.get().addCallback(lambda v: trace.append("got:" + fmt(v)))
    return trace


SCENARIOS = {
    "clock_timeouts_loopingcall": clock_timeouts_loopingcall,
    "lock_semaphore_queue": lock_semaphore_queue,
    "chain_switching": chain_switching,
    "pause_on_inner": pause_on_inner,
    "deferred_list_flags": deferred_list_flags,
    "inline_callbacks_cancellation": inline_callbacks_cancellation,
}

if __name__ == "__main__":
    json.dump({name: f() for name, f in SCENARIOS.items()}, sys.stdout, indent=1)

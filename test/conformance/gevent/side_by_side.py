# The scenarios of side-by-side.test.ts, run on real gevent (Debian's
# python3-gevent, /usr/bin/python3). Prints {scenario: [trace lines]} as JSON.
# Times are small real sleeps: only the order of events is compared.
import json
import gevent
from gevent import Greenlet, GreenletExit, Timeout
from gevent.event import Event, AsyncResult
from gevent.pool import Pool, Group
from gevent.queue import Queue, JoinableQueue, Channel, Empty


def state(g):
    return "started=%s dead=%s ready=%s successful=%s value=%s exception=%s" % (
        bool(g), g.dead, g.ready(), g.successful(),
        type(g.value).__name__ if isinstance(g.value, BaseException) else g.value,
        type(g.exception).__name__ if g.exception is not None else None)


def kill_semantics():
    trace = []
    def body():
        try:
            trace.append("body start")
            gevent.sleep(1)
        except GreenletExit:
            trace.append("body except GreenletExit")
            raise
        finally:
            trace.append("body finally")
    g = Greenlet(body)
    trace.append("new: " + state(g))
    g.start()
    trace.append("start: " + state(g))
    gevent.sleep(0.01)
    trace.append("running: " + state(g))
    g.kill()
    trace.append("killed: " + state(g))
    h = gevent.spawn(body)
    h.kill()
    trace.append("killed before run: " + state(h))
    gevent.sleep(0.01)
    trace.append("after a pass: " + state(h))
    return trace


def undead():
    trace = []
    shots = [0]
    def body():
        while True:
            try:
                gevent.sleep(0.05)
            except GreenletExit:
                shots[0] += 1
                trace.append("shot %d" % shots[0])
                if shots[0] == 2:
                    return "survived twice"
    g = gevent.spawn(body)
    gevent.sleep(0.01)
    g.kill(block=False)
    gevent.sleep(0.01)
    trace.append("after kill 1: " + state(g))
    g.kill(timeout=0.01)
    trace.append("after kill 2: " + state(g))
    return trace


def link_order():
    trace = []
    g = gevent.spawn(lambda: trace.append("body") or 7)
    g.rawlink(lambda x: trace.append("rawlink 1"))
    g.link(lambda x: trace.append("link 2"))
    g.link_value(lambda x: trace.append("link_value 3"))
    g.link_exception(lambda x: trace.append("link_exception (wrong)"))
    g.rawlink(lambda x: trace.append("rawlink 4"))
    trace.append("before sleep(0)")
    gevent.sleep(0)
    trace.append("after sleep(0) #1")
    gevent.sleep(0)
    trace.append("after sleep(0) #2")
    gevent.sleep(0.01)
    g.link(lambda x: trace.append("late link"))
    gevent.sleep(0.01)
    trace.append("end")
    return trace


def spawn_order():
    trace = []
    def worker(name):
        trace.append(name + " 1")
        gevent.sleep(0)
        trace.append(name + " 2")
    gevent.spawn(worker, "a")
    gevent.spawn(worker, "b")
    trace.append("main spawned")
    gevent.sleep(0)
    trace.append("main after sleep(0)")
    gevent.sleep(0.01)
    trace.append("main end")
    return trace


def timeout_nesting():
    trace = []
    outer = Timeout(0.05)
    inner = Timeout(0.1, False)
    try:
        with outer:
            with inner:
                try:
                    gevent.sleep(1)
                finally:
                    trace.append("inner finally")
            trace.append("after inner (wrong)")
    except Timeout as e:
        trace.append("outer caught: %s" % (e is outer))
    with Timeout(0.01, False):
        gevent.sleep(1)
    trace.append("silent scope ended")
    r = gevent.with_timeout(0.01, gevent.sleep, 1, timeout_value="tv")
    trace.append("with_timeout -> %s" % r)
    try:
        with Timeout(0.01, ValueError):
            gevent.sleep(1)
    except ValueError:
        trace.append("custom exception class")
    t = Timeout(0.01)
    t.start()
    try:
        gevent.sleep(1)
    except Timeout as e:
        trace.append("started timeout raised itself: %s" % (e is t))
    t.close()
    return trace


def queue_waiters():
    trace = []
    q = Queue()
    def getter(name, timeout):
        try:
            trace.append("%s got %s" % (name, q.get(timeout=timeout)))
        except Empty:
            trace.append("%s timed out" % name)
    gevent.spawn(getter, "g1", 0.01)
    gevent.spawn(getter, "g2", None)
    gevent.spawn(getter, "g3", None)
    gevent.sleep(0.05)
    q.put("x")
    q.put("y")
    gevent.sleep(0.01)
    trace.append("qsize %d" % q.qsize())
    jq = JoinableQueue(1)
    def consumer():
        while True:
            item = jq.get()
            trace.append("consumed %s" % item)
            jq.task_done()
    c = gevent.spawn(consumer)
    for i in range(3):
        jq.put(i)
        trace.append("put %d" % i)
    jq.join()
    trace.append("joined")
    c.kill()
    return trace


def channel_rendezvous():
    trace = []
    ch = Channel()
    def producer():
        for x in ("a", "b"):
            trace.append("put " + x)
            ch.put(x)
            trace.append("put %s returned" % x)
    p = gevent.spawn(producer)
    gevent.sleep(0.01)
    trace.append("balance %d" % ch.balance)
    trace.append("got " + ch.get())
    trace.append("got " + ch.get())
    p.join()
    trace.append("done")
    return trace


def pool_imap():
    trace = []
    pool = Pool(2)
    def job(x):
        gevent.sleep(x / 20.0)
        return x
    trace.append("unordered %s" % list(pool.imap_unordered(job, [5, 1, 3, 2])))
    trace.append("ordered %s" % list(pool.imap(job, [5, 1, 3, 2])))
    trace.append("map %s" % pool.map(job, [3, 1, 2]))
    gs = [pool.spawn(job, 2) for _ in range(3)]
    trace.append("len after 3 spawns %d free %d" % (len(pool), pool.free_count()))
    pool.join()
    trace.append("joined len %d" % len(pool))
    return trace


def event_waits():
    trace = []
    e = Event()
    ws = [gevent.spawn(e.wait) for _ in range(3)]
    gevent.sleep(0)
    e.set()
    e.clear()
    gevent.joinall(ws)
    trace.append("set-then-clear %s" % [w.value for w in ws])
    trace.append("timed wait %s" % e.wait(0.01))
    r = AsyncResult()
    gevent.spawn_later(0.01, r.set, 5)
    trace.append("asyncresult wait %s" % r.wait())
    bad = AsyncResult()
    bad.set_exception(ValueError("v"))
    trace.append("asyncresult wait on error %s" % bad.wait())
    return trace


def joinall_killall():
    trace = []
    def fails():
        gevent.sleep(0.02)
        raise ValueError("late")
    def fails_first():
        raise KeyError("first")
    a = gevent.spawn(fails)
    b = gevent.spawn(fails_first)
    c = gevent.spawn(gevent.sleep, 0.01)
    try:
        gevent.joinall([a, b, c], raise_error=True)
    except Exception as e:
        trace.append("joinall raised %s" % type(e).__name__)
    done = gevent.joinall([a, b, c], timeout=0.5)
    trace.append("joinall finished %d" % len(done))
    def stubborn():
        try:
            gevent.sleep(1)
        except GreenletExit:
            gevent.sleep(0.5)
    s = [gevent.spawn(stubborn) for _ in range(2)]
    gevent.sleep(0.01)
    try:
        gevent.killall(s, timeout=0.05)
        trace.append("killall returned")
    except Timeout:
        trace.append("killall raised Timeout")
    trace.append("alive %s" % [not g.dead for g in s])
    gevent.killall(s, exception=ValueError, block=True)
    trace.append("after second killall %s" % [type(g.exception).__name__ for g in s])
    return trace


def api_contract():
    # The names of issue 13 not traced by the scenarios above.
    trace = []
    e = ValueError("x")
    g = gevent.spawn(gevent.sleep, 1)
    gevent.sleep(0)
    g.kill(exception=e)
    trace.append("kill with an instance: same=%s successful=%s" % (g.exception is e, g.successful()))
    g = gevent.spawn(gevent.sleep, 1)
    gevent.sleep(0)
    g.kill(exception=ValueError)
    trace.append("kill with a class: %s" % type(g.exception).__name__)
    def exits():
        raise GreenletExit()
    g = gevent.spawn(exits)
    g.join()
    trace.append("raises GreenletExit itself: " + state(g))
    g = Greenlet(lambda a, b: a + b, 1, 2)
    trace.append("args [%s]" % ", ".join(str(a) for a in g.args))
    g.start()
    g.link(lambda x: trace.append("link (wrong)"))
    g.rawlink(lambda x: trace.append("rawlink (wrong)"))
    g.unlink_all()
    trace.append("has_links after unlink_all %s" % g.has_links())
    g.join()
    gevent.sleep(0.01)
    trace.append("value %s" % g.value)

    def with_start_new():
        t = Timeout.start_new(0.01, ValueError)
        try:
            trace.append("start_new pending %s seconds %s" % (t.pending, t.seconds))
            gevent.sleep(1)
        except ValueError:
            trace.append("start_new raised ValueError")
        finally:
            t.close()
        trace.append("after close pending %s" % t.pending)
    gevent.spawn(with_start_new).join()

    g1 = gevent.spawn(gevent.sleep, 0.01)
    g2 = gevent.spawn(gevent.sleep, 0.02)
    group = Group([g1, g2])
    trace.append("group len %d has %s iterates %d" % (len(group), g1 in group, len(list(group))))
    g3 = Greenlet(lambda: 3)
    group.start(g3)
    trace.append("start(g): has %s started %s" % (g3 in group, bool(g3)))
    group.discard(g1)
    trace.append("discard: has %s len %d" % (g1 in group, len(group)))
    group.join()
    trace.append("after join len %d" % len(group))

    ev = Event()
    trace.append("is_set %s" % ev.is_set())
    ev.set()
    trace.append("is_set %s" % ev.is_set())

    q = Queue()
    try:
        q.peek(block=False)
    except Empty:
        trace.append("peek(block=False) on empty: Empty")
    q.put(1)
    trace.append("peek %s qsize %d" % (q.peek(), q.qsize()))
    q2 = Queue()
    def putter():
        gevent.sleep(0.01)
        q2.put("x")
    gevent.spawn(putter)
    trace.append("peek waits: %s qsize %d" % (q2.peek(), q2.qsize()))
    q2.get()
    try:
        q2.peek(timeout=0.01)
    except Empty:
        trace.append("peek(timeout) on empty: Empty")
    trace.append("Queue(-1).maxsize %s" % Queue(-1).maxsize)
    for name, make in [("Channel(2)", lambda: Channel(2)), ("task_done", lambda: JoinableQueue().task_done())]:
        try:
            make()
        except Exception as e:
            trace.append("%s: %s %s" % (name, type(e).__name__, e))
    return trace


SCENARIOS = [kill_semantics, undead, link_order, spawn_order, timeout_nesting, queue_waiters,
             channel_rendezvous, pool_imap, event_waits, joinall_killall, api_contract]

if __name__ == "__main__":
    import sys
    gevent.get_hub().exception_stream = None  # the reports are not part of the trace
    out = {}
    for f in SCENARIOS:
        out[f.__name__] = f()
    sys.stdout.write(json.dumps(out, indent=1))

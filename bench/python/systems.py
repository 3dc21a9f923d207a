"""Scenarios 1, 3, 4 and 5 of bench/scenarios.ts for the systems asyncio-ts
lets people leave: CPython asyncio, uvloop, gevent and Twisted.

    python systems.py SYSTEM [SAMPLES] [WARMUP]

SYSTEM is asyncio, asyncio-eager (asyncio with eager_task_factory, 3.12+),
uvloop, gevent or twisted. Prints one JSON line: {"system", "version",
"results": {scenario: {"median", "min", "max", "n", "note"?}}}. Within the
process, the scenarios are interleaved round by round after a warm-up round,
with a full gc.collect() before each sample, as the Node harness does.
"""
import gc
import json
import statistics
import sys
import time

SYSTEM = sys.argv[1]
SAMPLES = int(sys.argv[2]) if len(sys.argv) > 2 else 5
WARMUP = int(sys.argv[3]) if len(sys.argv) > 3 else 1

# Operations per sample (each result is a rate, so sizes may differ).
N_TASKS = 50_000
N_LOCK = 500_000
N_LOCK100 = 50_000
N_LIMIT = 20_000
N_QUEUE = 200_000


def check(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


# ---------------------------------------------------------------- asyncio

def asyncio_scenarios(run, eager=False):
    import asyncio

    async def job():
        await asyncio.sleep(0)
        return 1

    def setup():
        if eager:
            asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)

    async def tasks(n):
        setup()
        ts = [asyncio.create_task(job()) for _ in range(n)]
        s = 0
        for t in ts:
            s += await t
        check(s, n, "tasks")

    async def lock(n):
        setup()
        lk = asyncio.Lock()
        for _ in range(n):
            await lk.acquire()
            lk.release()

    async def lock100(n):
        setup()
        lk = asyncio.Lock()
        count = 0

        async def worker():
            nonlocal count
            for _ in range(n // 100):
                async with lk:
                    count += 1
                    await asyncio.sleep(0)

        await asyncio.gather(*(worker() for _ in range(100)))
        check(count, n, "sections")

    async def limit(n):
        setup()
        sem = asyncio.Semaphore(10)
        done = 0

        async def one():
            nonlocal done
            async with sem:
                v = await job()
                done += v

        ts = [asyncio.create_task(one()) for _ in range(n)]
        for t in ts:
            await t
        check(done, n, "jobs")

    async def queue(n):
        setup()
        q = asyncio.Queue(100)
        s = 0

        async def producer():
            for _ in range(n):
                await q.put(1)

        async def consumer():
            nonlocal s
            for _ in range(n):
                v = await q.get()
                s += v

        await asyncio.gather(producer(), consumer())
        check(s, n, "items")

    def wrap(f):
        return lambda n: run(f(n))

    return {
        "tasks": (wrap(tasks), N_TASKS, None),
        "lock": (wrap(lock), N_LOCK, None),
        "lock100": (wrap(lock100), N_LOCK100, "section awaits asyncio.sleep(0)"),
        "limit": (wrap(limit), N_LIMIT, "a Task per job, `async with Semaphore(10)`"),
        "queue": (wrap(queue), N_QUEUE, "asyncio.Queue(100)"),
    }


# ---------------------------------------------------------------- gevent

def gevent_scenarios():
    import gevent
    import gevent.lock
    import gevent.pool
    import gevent.queue

    def job():
        gevent.sleep(0)
        return 1

    def tasks(n):
        gs = [gevent.spawn(job) for _ in range(n)]
        gevent.joinall(gs)
        check(sum(g.value for g in gs), n, "tasks")

    def lock(n):
        lk = gevent.lock.Semaphore(1)
        for _ in range(n):
            lk.acquire()
            lk.release()

    def lock100(n):
        lk = gevent.lock.Semaphore(1)
        count = [0]

        def worker():
            for _ in range(n // 100):
                with lk:
                    count[0] += 1
                    gevent.sleep(0)

        gevent.joinall([gevent.spawn(worker) for _ in range(100)])
        check(count[0], n, "sections")

    def limit(n):
        pool = gevent.pool.Pool(10)
        gs = [pool.spawn(job) for _ in range(n)]
        pool.join()
        check(sum(g.value for g in gs), n, "jobs")

    def queue(n):
        q = gevent.queue.Queue(100)
        s = [0]

        def producer():
            for _ in range(n):
                q.put(1)

        def consumer():
            for _ in range(n):
                s[0] += q.get()

        gevent.joinall([gevent.spawn(producer), gevent.spawn(consumer)])
        check(s[0], n, "items")

    return {
        "tasks": (tasks, N_TASKS // 2, "greenlets, body gevent.sleep(0)"),
        "lock": (lock, N_LOCK, "gevent.lock.Semaphore(1)"),
        "lock100": (lock100, N_LOCK100, "section does gevent.sleep(0)"),
        "limit": (limit, N_LIMIT, "gevent.pool.Pool(10)"),
        "queue": (queue, N_QUEUE, "gevent.queue.Queue(100)"),
    }


# ---------------------------------------------------------------- Twisted

def twisted_scenarios():
    from twisted.internet import defer, reactor, task as ttask

    def turn():
        # One reactor turn: Twisted's equivalent of asyncio.sleep(0).
        return ttask.deferLater(reactor, 0, lambda: 1)

    async def job():
        return await turn()

    async def tasks(n):
        ds = [defer.ensureDeferred(job()) for _ in range(n)]
        s = 0
        for d in ds:
            s += await d
        check(s, n, "tasks")

    async def lock(n):
        lk = defer.DeferredLock()
        for _ in range(n):
            await lk.acquire()
            lk.release()

    async def lock100(n):
        lk = defer.DeferredLock()
        count = [0]

        async def worker():
            for _ in range(n // 100):
                await lk.acquire()
                try:
                    count[0] += 1
                    await turn()
                finally:
                    lk.release()

        await defer.gatherResults([defer.ensureDeferred(worker()) for _ in range(100)])
        check(count[0], n, "sections")

    async def limit(n):
        sem = defer.DeferredSemaphore(10)
        ds = [sem.run(lambda: defer.ensureDeferred(job())) for _ in range(n)]
        rs = await defer.gatherResults(ds)
        check(sum(rs), n, "jobs")

    async def queue(n):
        q = defer.DeferredQueue()
        s = [0]

        async def producer():
            for i in range(n):
                q.put(1)
                if i % 100 == 99:
                    await turn()  # no backpressure: let the consumer run now and then

        async def consumer():
            for _ in range(n):
                v = await q.get()
                s[0] += v

        await defer.gatherResults([defer.ensureDeferred(producer()), defer.ensureDeferred(consumer())])
        check(s[0], n, "items")

    return reactor, defer, {
        "tasks": (tasks, N_TASKS // 2, "ensureDeferred(async def), body awaits one deferLater(reactor, 0)"),
        "lock": (lock, N_LOCK // 5, "DeferredLock"),
        "lock100": (lock100, N_LOCK100 // 5, "DeferredLock, section awaits one reactor turn"),
        "limit": (limit, N_LIMIT // 2, "DeferredSemaphore(10).run"),
        "queue": (queue, N_QUEUE // 2, "DeferredQueue: unbounded, put never waits (the producer yields a reactor turn every 100 items)"),
    }


# ---------------------------------------------------------------- driver

def measure(scenarios, timed_sample):
    rates = {k: [] for k in scenarios}
    errors = {}
    names = list(scenarios)
    for r in range(WARMUP + SAMPLES):
        for k in range(len(names)):
            name = names[(k + r) % len(names)]
            if name in errors:
                continue
            try:
                dt = timed_sample(name)
            except Exception as e:  # reported in the table, never lost
                errors[name] = "%s: %s" % (type(e).__name__, e)
                continue
            if r >= WARMUP:
                rates[name].append(scenarios[name][1] / dt)
    out = {}
    for name, (_, n, note) in scenarios.items():
        xs = rates[name]
        row = {"n": n, "note": note}
        if name in errors:
            row["error"] = errors[name]
        if xs:
            row.update(median=statistics.median(xs), min=min(xs), max=max(xs), samples=xs)
        out[name] = row
    return out


def main():
    if SYSTEM in ("asyncio", "asyncio-eager", "uvloop"):
        import asyncio
        if SYSTEM == "uvloop":
            import uvloop
            version = "uvloop %s on CPython %s" % (uvloop.__version__, sys.version.split()[0])
            runner = asyncio.Runner(loop_factory=uvloop.new_event_loop) if hasattr(asyncio, "Runner") else None
        else:
            version = "asyncio on CPython %s%s" % (sys.version.split()[0], ", eager_task_factory" if SYSTEM == "asyncio-eager" else "")
            runner = asyncio.Runner()
        scenarios = asyncio_scenarios(runner.run, eager=SYSTEM == "asyncio-eager")

        def timed(name):
            f, n, _ = scenarios[name]
            gc.collect()
            t0 = time.perf_counter()
            f(n)
            return time.perf_counter() - t0

        out = measure(scenarios, timed)
        runner.close()
    elif SYSTEM == "gevent":
        import gevent
        version = "gevent %s on CPython %s" % (gevent.__version__, sys.version.split()[0])
        scenarios = gevent_scenarios()

        def timed(name):
            f, n, _ = scenarios[name]
            gc.collect()
            t0 = time.perf_counter()
            f(n)
            return time.perf_counter() - t0

        out = measure(scenarios, timed)
    elif SYSTEM == "twisted":
        import twisted
        version = "Twisted %s on CPython %s" % (twisted.__version__, sys.version.split()[0])
        reactor, defer, coros = twisted_scenarios()
        scenarios = coros
        out = {}

        # The reactor cannot be restarted: the whole measurement runs inside one reactor.run().
        async def all_samples():
            nonlocal out
            timings = {}

            async def sample(name):
                f, n, _ = scenarios[name]
                gc.collect()
                t0 = time.perf_counter()
                await f(n)
                return time.perf_counter() - t0

            # measure() is synchronous; collect timings in the same interleaved order here.
            names = list(scenarios)
            rates = {k: [] for k in names}
            errors = {}
            for r in range(WARMUP + SAMPLES):
                for k in range(len(names)):
                    name = names[(k + r) % len(names)]
                    if name in errors:
                        continue
                    try:
                        dt = await sample(name)
                    except Exception as e:
                        errors[name] = "%s: %s" % (type(e).__name__, e)
                        continue
                    if r >= WARMUP:
                        rates[name].append(scenarios[name][1] / dt)
            for name, (_, n, note) in scenarios.items():
                xs = rates[name]
                row = {"n": n, "note": note}
                if name in errors:
                    row["error"] = errors[name]
                if xs:
                    row.update(median=statistics.median(xs), min=min(xs), max=max(xs), samples=xs)
                out[name] = row

        failure = []

        def go():
            d = defer.ensureDeferred(all_samples())
            d.addErrback(lambda f: failure.append(f))
            d.addBoth(lambda _: reactor.stop())

        reactor.callWhenRunning(go)
        reactor.run(installSignalHandlers=False)
        if failure:
            failure[0].raiseException()
    else:
        raise SystemExit("unknown system %r" % SYSTEM)
    print(json.dumps({"system": SYSTEM, "version": version, "results": out}))


if __name__ == "__main__":
    main()

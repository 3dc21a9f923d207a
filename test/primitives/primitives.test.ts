// The TypeScript side of the primitives and queues, beyond the CPython
// ports: bad input, the `{ signal }` option, statistics(), run()/enter(),
// async iteration of queues, loop binding. All on the virtual-time loop.
import test from "ava";
import { getEventListeners } from "node:events";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueShutDown,
  RuntimeError,
  Semaphore,
  ValueError,
  createTask,
  currentTask,
  sleep,
  type Coroutine,
} from "../../src/index.js";
import { makeLoop, runTest } from "../helpers/loop.js";

const tick = (): PromiseLike<void> => sleep(0);
const listeners = (s: AbortSignal): number => getEventListeners(s, "abort").length;

class Reason extends Error {}

// ---------------------------------------------------------------- bad input

test("bad input: release of an unlocked Lock is a RuntimeError", (t) => {
  t.throws(() => new Lock().release(), { instanceOf: RuntimeError, message: "Lock is not acquired." });
});

test("bad input: BoundedSemaphore released too often is a ValueError", async (t) => {
  await runTest(async () => {
    const sem = new BoundedSemaphore(2);
    await sem.acquire();
    sem.release();
    t.throws(() => sem.release(), { instanceOf: ValueError, message: "BoundedSemaphore released too many times" });
    t.is(sem.statistics().value, 2);
  });
});

test("bad input: Semaphore and BoundedSemaphore reject negative, NaN and fractional values", (t) => {
  for (const v of [-1, Number.NaN, 1.5, -Infinity]) {
    t.throws(() => new Semaphore(v), { instanceOf: ValueError }, String(v));
    t.throws(() => new BoundedSemaphore(v), { instanceOf: ValueError }, String(v));
  }
  t.throws(() => new Semaphore("3" as unknown as number), { instanceOf: TypeError });
  t.is(new Semaphore(0).statistics().value, 0);
  t.is(new Semaphore(Infinity).statistics().value, Infinity);
});

test("bad input: Barrier rejects parties < 1, NaN and fractions", (t) => {
  for (const v of [0, -4, Number.NaN, 2.5]) t.throws(() => new Barrier(v), { instanceOf: ValueError }, String(v));
});

test("bad input: taskDone() called too often is a ValueError", (t) => {
  const q = new Queue<number>();
  q.putNowait(1);
  q.getNowait();
  q.taskDone();
  t.throws(() => q.taskDone(), { instanceOf: ValueError, message: "task_done() called too many times" });
});

test("bad input: Queue(NaN) is a ValueError; a non-number maxsize a TypeError", (t) => {
  t.throws(() => new Queue(Number.NaN), { instanceOf: ValueError });
  t.throws(() => new Queue("3" as unknown as number), { instanceOf: TypeError });
});

test("bad input: Condition needs a Lock", (t) => {
  t.throws(() => new Condition({} as Lock), { instanceOf: TypeError });
});

test("bad input: PriorityQueue items that do not compare ask for a compare function", (t) => {
  const q = new PriorityQueue<unknown>();
  q.putNowait({ a: 1 });
  t.throws(() => q.putNowait({ b: 2 }), { instanceOf: TypeError, message: /compare function/ });
});

test("bad input: Condition.wait/notify without the lock are RuntimeErrors", async (t) => {
  await runTest(async () => {
    const cond = new Condition();
    t.throws(() => cond.wait(), { instanceOf: RuntimeError, message: "cannot wait on un-acquired lock" });
    t.throws(() => cond.notify(), { instanceOf: RuntimeError });
  });
});

test("loop binding: a primitive used from a second loop is a RuntimeError", async (t) => {
  const lock = new Lock();
  await runTest(async () => {
    await lock.acquire();
    const waiter = createTask(() => lock.acquire()); // binds the lock to this loop
    await tick();
    waiter.cancel();
    await t.throwsAsync(async () => waiter, { instanceOf: CancelledError });
  });
  await runTest(async () => {
    t.true(lock.locked());
    await t.throwsAsync(async () => lock.acquire(), {
      instanceOf: RuntimeError,
      message: "Lock is bound to a different event loop",
    });
  });
});

// ---------------------------------------------------------------- PriorityQueue

test("PriorityQueue: tuples compare like Python's, and a compare function can be given", async (t) => {
  const q = new PriorityQueue<[number, string]>();
  for (const x of [
    [2, "b"],
    [1, "z"],
    [1, "a"],
    [3, "c"],
  ] as [number, string][])
    q.putNowait(x);
  t.deepEqual(
    [q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()],
    [
      [1, "a"],
      [1, "z"],
      [2, "b"],
      [3, "c"],
    ],
  );
  const byLen = new PriorityQueue<string>(0, { compare: (a, b) => a.length - b.length });
  for (const s of ["ccc", "a", "bb"]) byLen.putNowait(s);
  t.deepEqual([byLen.getNowait(), byLen.getNowait(), byLen.getNowait()], ["a", "bb", "ccc"]);
});

// ---------------------------------------------------------------- statistics

test("statistics: every primitive reports its state", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    t.deepEqual(lock.statistics(), { locked: false, waiters: 0 });
    await lock.acquire();
    createTask(() => lock.acquire());
    await tick();
    t.deepEqual(lock.statistics(), { locked: true, waiters: 1 });
    lock.release();
    await tick();
    t.deepEqual(lock.statistics(), { locked: true, waiters: 0 });
    lock.release();

    const sem = new Semaphore(1);
    await sem.acquire();
    t.deepEqual(sem.statistics(), { value: 0, waiters: 0 });
    const ev = new Event();
    createTask(() => ev.wait());
    await tick();
    t.deepEqual(ev.statistics(), { isSet: false, waiters: 1 });
    ev.set();
    await tick();
    t.deepEqual(ev.statistics(), { isSet: true, waiters: 0 });

    const cond = new Condition();
    createTask(() => cond.run(() => cond.wait()));
    await tick();
    t.deepEqual(cond.statistics(), { lockStatistics: { locked: false, waiters: 0 }, waiters: 1 });

    const barrier = new Barrier(3);
    createTask(() => barrier.wait());
    await tick();
    t.deepEqual(barrier.statistics(), { parties: 3, nWaiting: 1, state: "filling", broken: false });
    await barrier.abort();
    t.deepEqual(barrier.statistics(), { parties: 3, nWaiting: 0, state: "broken", broken: true });

    const q = new Queue<number>(2);
    q.putNowait(1);
    q.putNowait(2);
    createTask(() => q.put(3));
    await tick();
    t.deepEqual(q.statistics(), { qsize: 2, maxsize: 2, getters: 0, putters: 1, unfinishedTasks: 2, shutdown: false });
    q.shutdown(true);
    await tick();
    t.deepEqual(q.statistics(), { qsize: 0, maxsize: 2, getters: 0, putters: 0, unfinishedTasks: 0, shutdown: true });
  });
});

// ---------------------------------------------------------------- run / enter

test("run: acquires, returns the result, releases on return and on throw (async and generator bodies)", async (t) => {
  await runTest(async () => {
    for (const cm of [new Lock(), new Semaphore(1), new BoundedSemaphore(1), new Condition()]) {
      t.is(await cm.run(async () => (await sleep(0.1), cm.locked())), true);
      t.false(cm.locked());
      t.is(await cm.run(() => 5), 5);
      await t.throwsAsync(
        async () =>
          cm.run(async () => {
            throw new Reason("x");
          }),
        { instanceOf: Reason },
      );
      t.false(cm.locked());
      const g = createTask(function* (): Coroutine<number> {
        return yield* cm.run(function* (): Coroutine<number> {
          yield* sleep(0.1);
          return 9;
        });
      });
      t.is(await g, 9);
      t.false(cm.locked());
    }
  });
});

test("enter: await using releases at the end of the block, also on throw", async (t) => {
  await runTest(async () => {
    const sem = new Semaphore(2);
    {
      await using _a = await sem.enter();
      await using _b = await sem.enter();
      t.is(sem.statistics().value, 0);
      t.true(sem.locked());
    }
    t.is(sem.statistics().value, 2);
    const lock = new Lock();
    await t.throwsAsync(
      async () => {
        await using _ = await lock.enter();
        throw new Reason("in block");
      },
      { instanceOf: Reason },
    );
    t.false(lock.locked());
    // contended enter
    await lock.acquire();
    const task = createTask(async () => {
      await using _ = await lock.enter();
      return lock.locked();
    });
    await tick();
    lock.release();
    t.true(await task);
    t.false(lock.locked());
  });
});

test("run: a cancelled holder releases (the next waiter gets the lock)", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    const order: string[] = [];
    const a = createTask(() =>
      lock.run(async () => {
        order.push("a");
        await sleep(10);
      }),
    );
    const b = createTask(() =>
      lock.run(() => {
        order.push("b");
      }),
    );
    await sleep(1);
    a.cancel();
    await t.throwsAsync(async () => a, { instanceOf: CancelledError });
    await b;
    t.deepEqual(order, ["a", "b"]);
    t.false(lock.locked());
  });
});

// ---------------------------------------------------------------- queues: async iteration

test("Queue: for await gets items until shut down and empty", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>(2);
    const seen: number[] = [];
    const consumer = createTask(async () => {
      for await (const x of q) {
        seen.push(x);
        q.taskDone();
      }
      return "ended";
    });
    for (let i = 0; i < 5; i++) await q.put(i);
    await q.join();
    q.shutdown();
    t.is(await consumer, "ended");
    t.deepEqual(seen, [0, 1, 2, 3, 4]);
  });
});

test("LifoQueue: for await after shutdown drains what is left, newest first", async (t) => {
  await runTest(async () => {
    const q = new LifoQueue<number>();
    for (const x of [1, 2, 3]) q.putNowait(x);
    q.shutdown();
    const seen: number[] = [];
    for await (const x of q) seen.push(x);
    t.deepEqual(seen, [3, 2, 1]);
  });
});

// ---------------------------------------------------------------- the signal option

test("signal: an already aborted signal throws its reason and changes nothing", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const reason = new Reason("before");
    ac.abort(reason);
    const lock = new Lock();
    t.throws(() => lock.acquire({ signal: ac.signal }), { is: reason });
    t.false(lock.locked());
    const sem = new Semaphore(1);
    t.throws(() => sem.acquire({ signal: ac.signal }), { is: reason });
    t.is(sem.statistics().value, 1);
    const q = new Queue<number>();
    q.putNowait(1);
    t.throws(() => q.get({ signal: ac.signal }), { is: reason });
    t.throws(() => q.put(2, { signal: ac.signal }), { is: reason });
    t.is(q.qsize(), 1);
    t.throws(() => new Event().wait({ signal: ac.signal }), { is: reason });
    t.throws(() => new Barrier(2).wait({ signal: ac.signal }), { is: reason });
    t.is(listeners(ac.signal), 0);
  });
});

for (const style of ["async", "generator"] as const) {
  test(`signal: Lock waiter aborted leaves the line at once and rejects with the reason [${style}]`, async (t) => {
    await runTest(async () => {
      const lock = new Lock();
      await lock.acquire();
      const ac = new AbortController();
      const order: string[] = [];
      const waiter = (name: string, signal?: AbortSignal) =>
        style === "async"
          ? createTask(async () => {
              await lock.acquire({ signal });
              order.push(name);
              lock.release();
            })
          : createTask(function* (): Coroutine<void> {
              yield* lock.acquire({ signal });
              order.push(name);
              lock.release();
            });
      const a = waiter("a", ac.signal);
      const b = waiter("b");
      await tick();
      t.is(lock.statistics().waiters, 2);
      t.is(listeners(ac.signal), 1);
      const reason = new Reason("abort a");
      ac.abort(reason);
      t.is(lock.statistics().waiters, 1); // removed at once
      await t.throwsAsync(async () => a, { is: reason });
      t.is(listeners(ac.signal), 0);
      lock.release();
      await b;
      t.deepEqual(order, ["b"]);
      t.false(lock.locked());
    });
  });
}

// An abort must behave as a cancellation of that waiter: the same scenario
// run with task.cancel() and with an abort gives the same states, tick by tick.
async function lockScenario(kind: "cancel" | "abort", abortFirst: boolean): Promise<string[]> {
  return runTest(async () => {
    const states: string[] = [];
    const lock = new Lock();
    await lock.acquire();
    const ac = new AbortController();
    const tb = createTask(() => lock.acquire({ signal: ac.signal }));
    await tick();
    const tc = createTask(() => lock.acquire());
    const stop = (): void => {
      if (kind === "cancel") tb.cancel();
      else ac.abort(new CancelledError("aborted"));
    };
    if (abortFirst) stop();
    lock.release(); // wakes tb unless it has left
    if (!abortFirst) stop(); // tb was woken but has not run
    for (let i = 0; i < 3; i++) {
      await tick();
      states.push(
        `locked=${lock.locked()} tb=${tb.done()} tc=${tc.done()} waiters=${[...lock._waiters!].filter((w) => !w.cancelled()).length}`,
      );
    }
    await t_settle(tb);
    await tc;
    states.push(`listeners=${listeners(ac.signal)}`);
    return states;
  });
}

async function t_settle(x: PromiseLike<unknown>): Promise<void> {
  try {
    await x;
  } catch {
    // the outcome is compared by the caller
  }
}

test("signal: a Lock waiter aborted behaves as a cancelled one (test_finished_waiter_cancelled with abort)", async (t) => {
  for (const abortFirst of [true, false]) {
    const c = await lockScenario("cancel", abortFirst);
    const a = await lockScenario("abort", abortFirst);
    t.deepEqual(a, c, `abortFirst=${abortFirst}`);
  }
});

test("signal: Semaphore waiter woken then aborted gives its permit back to the next waiter", async (t) => {
  await runTest(async () => {
    const sem = new Semaphore(0);
    const ac = new AbortController();
    const t1 = createTask(() => sem.acquire({ signal: ac.signal }));
    const t2 = createTask(() => sem.acquire());
    await tick();
    sem.release(); // reserves the permit for t1
    ac.abort(new Reason("late"));
    await tick();
    await tick();
    await t.throwsAsync(async () => t1, { instanceOf: Reason });
    t.true(t2.done());
    t.deepEqual(sem.statistics(), { value: 0, waiters: 0 });
  });
});

test("signal: Semaphore waiter aborted while pending takes no permit", async (t) => {
  await runTest(async () => {
    const sem = new Semaphore(0);
    const ac = new AbortController();
    const t1 = createTask(() => sem.acquire({ signal: ac.signal }));
    await tick();
    ac.abort(new Reason("pending"));
    await t.throwsAsync(async () => t1, { instanceOf: Reason });
    t.deepEqual(sem.statistics(), { value: 0, waiters: 0 });
    sem.release();
    t.deepEqual(sem.statistics(), { value: 1, waiters: 0 });
  });
});

test("signal: Condition.wait aborted re-acquires the lock and passes a notification on", async (t) => {
  await runTest(async () => {
    const cond = new Condition();
    const ac = new AbortController();
    const got: string[] = [];
    const a = createTask(() =>
      cond.run(async () => {
        try {
          await cond.wait({ signal: ac.signal });
        } finally {
          got.push(`a locked=${cond.locked()}`);
        }
      }),
    );
    const b = createTask(() =>
      cond.run(async () => {
        await cond.wait();
        got.push("b");
      }),
    );
    await tick();
    await cond.acquire();
    cond.notify(1); // to a
    ac.abort(new Reason("late")); // a was notified, then aborted: b must get the notification
    cond.release();
    await t.throwsAsync(async () => a, { instanceOf: Reason });
    await b;
    t.deepEqual(got, ["a locked=true", "b"]);
    t.false(cond.locked());
  });
});

test("signal: Event.wait, Queue.get/put/join and Barrier.wait abort cleanly", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const signal = ac.signal;
    const ev = new Event();
    const q = new Queue<number>(1);
    const full = new Queue<number>(1);
    full.putNowait(0);
    const joinq = new Queue<number>();
    joinq.putNowait(1);
    const barrier = new Barrier(3);
    const tasks = [
      createTask(() => ev.wait({ signal })),
      createTask(() => q.get({ signal })),
      createTask(() => full.put(1, { signal })),
      createTask(() => joinq.join({ signal })),
      createTask(() => barrier.wait({ signal })),
    ];
    await tick();
    t.is(listeners(signal), 5);
    t.is(barrier.nWaiting, 1);
    const reason = new Reason("stop");
    ac.abort(reason);
    for (const x of tasks) await t.throwsAsync(async () => x, { is: reason });
    t.is(listeners(signal), 0);
    t.is(ev.statistics().waiters, 0);
    t.is(q.statistics().getters, 0);
    t.is(full.statistics().putters, 0);
    t.is(barrier.nWaiting, 0);
    t.false(barrier.broken);
    // the primitives still work
    q.putNowait(5);
    t.is(await q.get(), 5);
    t.is(full.getNowait(), 0);
  });
});

test("signal: a Queue getter woken then aborted passes the item to the next getter", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    const ac = new AbortController();
    const g1 = createTask(() => q.get({ signal: ac.signal }));
    const g2 = createTask(() => q.get());
    await tick();
    q.putNowait(7); // wakes g1
    ac.abort(new Reason("late"));
    await t.throwsAsync(async () => g1, { instanceOf: Reason });
    t.is(await g2, 7);
  });
});

test("signal: the task's own signal turns cancellation into a CancelledError", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(async () => lock.acquire({ signal: currentTask()!.signal }));
    await tick();
    task.cancel("bye");
    const e = await t.throwsAsync(async () => task, { instanceOf: CancelledError });
    t.is(e!.message, "bye");
    t.is(lock.statistics().waiters, 0);
    lock.release();
    t.false(lock.locked());
  });
});

test("signal: a Barrier waiter aborted after the barrier tripped raises, as a cancellation there", async (t) => {
  await runTest(async () => {
    const barrier = new Barrier(2);
    const ac = new AbortController();
    const a = createTask(() => barrier.wait({ signal: ac.signal }));
    await tick();
    const b = createTask(() => barrier.wait());
    await tick();
    ac.abort(new Reason("too late"));
    // a was notified (draining) and then aborted: as a cancellation at that
    // point, it re-acquires the internal lock and raises; b is unaffected.
    await t.throwsAsync(async () => a, { instanceOf: Reason });
    t.is(await b, 1);
    t.is(barrier.nWaiting, 0);
    t.is(barrier.statistics().state, "filling");
  });
});

// ---------------------------------------------------------------- misc

test("Barrier: BrokenBarrierError is a RuntimeError", async (t) => {
  await runTest(async () => {
    const barrier = new Barrier(2);
    const w = createTask(() => barrier.wait());
    await tick();
    await barrier.abort();
    const e = await t.throwsAsync(async () => w, { instanceOf: BrokenBarrierError });
    t.true(e instanceof RuntimeError);
    await t.throwsAsync(async () => barrier.wait(), { instanceOf: BrokenBarrierError });
    await barrier.reset();
    t.false(barrier.broken);
  });
});

test("Queue: get() on a shut-down empty queue raises QueueShutDown through the awaitable", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    q.shutdown();
    await t.throwsAsync(async () => q.get(), { instanceOf: QueueShutDown });
  });
});

test("fast paths do not yield to the loop", async (t) => {
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const lock = new Lock();
    const sem = new Semaphore(2);
    const q = new Queue<number>(10);
    const ev = new Event();
    ev.set();
    const t0 = loop.time();
    let other = 0;
    createTask(async () => {
      for (;;) {
        other++;
        await sleep(0);
      }
    }).cancel();
    for (let i = 0; i < 100; i++) {
      await lock.acquire();
      lock.release();
      await sem.acquire();
      sem.release();
      await q.put(i);
      t.is(await q.get(), i);
      await ev.wait();
      q.taskDone();
      await q.join();
    }
    t.is(loop.time(), t0);
    t.is(other, 0);
  });
  loop.close();
});

// The pass-on rules of Queue.put/get (asyncio's `if not self.full() and not
// putter.cancelled(): self._wakeup_next(self._putters)`), with cancel() and
// with an abort.
for (const how of ["cancel", "abort"] as const) {
  test(`Queue: a putter woken by getNowait() and then stopped (${how}) passes the free slot on`, async (t) => {
    await runTest(async () => {
      const q = new Queue<number>(1);
      q.putNowait(0);
      const ac = new AbortController();
      const p1 = createTask(() => q.put(1, { signal: ac.signal }));
      const p2 = createTask(() => q.put(2));
      await tick();
      t.is(q.getNowait(), 0); // wakes p1
      if (how === "cancel") p1.cancel();
      else ac.abort(new Reason("late"));
      await tick();
      await tick();
      t.true(p1.done());
      t.true(p2.done());
      t.is(q.getNowait(), 2);
      t.deepEqual(q.statistics().putters, 0);
    });
  });

  test(`Queue: a getter woken by putNowait() and then stopped (${how}) passes the item on`, async (t) => {
    await runTest(async () => {
      const q = new Queue<number>();
      const ac = new AbortController();
      const g1 = createTask(() => q.get({ signal: ac.signal }));
      const g2 = createTask(() => q.get());
      await tick();
      q.putNowait(7); // wakes g1
      if (how === "cancel") g1.cancel();
      else ac.abort(new Reason("late"));
      await tick();
      await tick();
      t.true(g1.done());
      t.is(await g2, 7);
      t.is(q.qsize(), 0);
    });
  });
}

// Bridges between Deferreds and the core: Tasks awaiting Deferreds (both
// coroutine styles), cancellation in both directions, Deferred chains that
// return Futures and Tasks, inlineCallbacks yielding core awaitables, and the
// Deferred primitives beside the core's Lock and Queue in one program.
import test from "ava";
import {
  Deferred,
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  Failure,
  deferLater,
  inlineCallbacks,
  reactor,
  succeed,
} from "../../../adapters/twisted/index.js";
import {
  CancelledError as CoreCancelledError,
  Lock,
  Queue,
  createTask,
  getRunningLoop,
  isCancelledError,
  sleep,
  type Coroutine,
} from "../../../src/index.js";
import { runOn } from "../../helpers/loop.js";
import { assertNoResult, failureResultOf, successResultOf } from "./trial.js";

test("an async-function task awaits a Deferred and takes its result", async (t) => {
  await runOn(async () => {
    const d = new Deferred<number>();
    getRunningLoop().callLater(1, () => d.callback(42));
    t.is(await d, 42);
    t.is(d.result, undefined); // awaiting consumes the result (R11)
    t.is(await succeed("now"), "now");
  });
});

test("a failed Deferred throws its failure's value into the awaiting task", async (t) => {
  await runOn(async () => {
    const d = new Deferred<number>();
    getRunningLoop().callLater(1, () => d.errback(new RangeError("bad")));
    await t.throwsAsync(async () => d, { instanceOf: RangeError, message: "bad" });
  });
});

test("a generator task waits on a Deferred with yield*", async (t) => {
  const { result } = await runOn(function* (): Coroutine<string> {
    const d = deferLater(reactor, 2, () => "two seconds");
    const v = yield* d;
    return v;
  });
  t.is(result, "two seconds");
});

test("cancelling a task that awaits a Deferred cancels the Deferred, and the task ends cancelled", async (t) => {
  await runOn(async () => {
    let cancelled = 0;
    const d = new Deferred<number>(() => void cancelled++);
    const task = createTask(async () => await d);
    await sleep(0.1);
    task.cancel();
    await t.throwsAsync(async () => task, { instanceOf: CoreCancelledError });
    t.true(task.cancelled());
    t.is(cancelled, 1);
    t.true(d.called);
  });
});

test("cancelling a generator task at yield* d cancels d", async (t) => {
  await runOn(async () => {
    let cancelled = 0;
    const d = new Deferred<number>(() => void cancelled++);
    const task = createTask(function* () {
      return yield* d;
    });
    await sleep(0.1);
    task.cancel();
    try {
      await task;
    } catch (e) {
      t.true(isCancelledError(e));
    }
    t.true(task.cancelled());
    t.is(cancelled, 1);
  });
});

test("a Deferred chain that returns a Future or a Task waits for it", async (t) => {
  await runOn(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const d = succeed(1).addCallback(() => fut);
    assertNoResult(d);
    fut.setResult(2);
    await sleep(0);
    t.is(successResultOf(d), 2);

    const e = succeed("x").addCallback((x) =>
      createTask(async () => {
        await sleep(1);
        return x + "y";
      }),
    );
    t.is(await e, "xy");
  });
});

test("Deferred.fromFuture(task): cancelling the Deferred cancels the task", async (t) => {
  await runOn(async () => {
    let reached = false;
    const task = createTask(async () => {
      await sleep(10);
      reached = true;
    });
    const d = Deferred.fromFuture(task);
    await sleep(1);
    d.cancel();
    await sleep(0);
    await sleep(0);
    t.true(task.cancelled());
    t.false(reached);
    failureResultOf(d).trap(Error);
  });
});

test("inlineCallbacks yields Futures, Tasks, sleeps and promises; cancelling it cancels the awaited task", async (t) => {
  await runOn(async () => {
    const loop = getRunningLoop();
    const steps: unknown[] = [];
    let taskCancelled = false;
    const f = inlineCallbacks(function* () {
      steps.push(yield sleep(1, "slept"));
      steps.push(yield Promise.resolve("promised"));
      const fut = loop.createFuture<string>();
      loop.callLater(1, () => fut.setResult("future"));
      steps.push(yield fut);
      steps.push(
        yield createTask(async () => {
          try {
            await sleep(100);
          } catch (e) {
            taskCancelled = isCancelledError(e);
            throw e;
          }
        }),
      );
      return "unreachable";
    });
    const d = f();
    await sleep(5);
    t.deepEqual(steps, ["slept", "promised", "future"]);
    d.cancel();
    await sleep(0);
    await sleep(0);
    t.true(taskCancelled);
    failureResultOf(d).trap(Error);
    t.true(d.called);
  });
});

test("DeferredLock and the core Lock, DeferredQueue and the core Queue in one program", async (t) => {
  const { result } = await runOn(async () => {
    const log: string[] = [];
    const dlock = new DeferredLock();
    const lock = new Lock();
    const dq = new DeferredQueue<number>();
    const q = new Queue<number>();

    // Twisted-style producer: holds the DeferredLock, feeds both queues.
    const producer = inlineCallbacks(function* () {
      yield dlock.acquire();
      try {
        for (let i = 0; i < 3; i++) {
          yield deferLater(reactor, 1);
          dq.put(i);
          yield q.put(i * 10);
          log.push(`put ${i}`);
        }
      } finally {
        dlock.release();
      }
    });
    // asyncio-style consumer: holds the core Lock while draining, awaits the Deferred queue.
    const consumer = createTask(async () => {
      const got: number[] = [];
      await lock.acquire();
      try {
        for (let i = 0; i < 3; i++) {
          got.push(await dq.get());
          got.push(await q.get());
        }
      } finally {
        lock.release();
      }
      return got;
    });
    // Someone waiting for the DeferredLock from a task.
    const waiter = createTask(async () => {
      await sleep(0.5);
      const l = await dlock.acquire();
      log.push("deferred lock acquired after producer");
      l.release();
    });
    const pd = producer();
    const got = await consumer;
    await waiter;
    await pd;
    return { got, log, locked: dlock.locked || lock.locked() };
  });
  t.deepEqual(result.got, [0, 0, 1, 10, 2, 20]);
  t.deepEqual(result.log, ["put 0", "put 1", "put 2", "deferred lock acquired after producer"]);
  t.false(result.locked);
});

test("asFuture / fromFuture round trip keeps the value and errors", async (t) => {
  await runOn(async () => {
    const loop = getRunningLoop();
    const d = new Deferred<number>();
    const back = Deferred.fromFuture(d.asFuture(loop));
    d.callback(5);
    await sleep(0);
    await sleep(0);
    t.is(successResultOf(back), 5);
    const e = new Deferred<number>();
    const back2 = Deferred.fromFuture(e.asFuture(loop));
    e.errback(new Failure(new SyntaxError("s")));
    await sleep(0);
    await sleep(0);
    t.is(failureResultOf(back2, SyntaxError).getErrorMessage(), "s");
  });
});

// test_defer.py CoroutineContextVarsTests.test_asyncWithLock: `async with lock:`
// is `await using _ = await lock.enter()` in TypeScript.
test("CoroutineContextVarsTests.test_asyncWithLock", async (t) => {
  await runOn(async () => {
    const lock = new DeferredLock();
    let d: Deferred<void>;
    {
      await using _ = await lock.enter();
      t.true(lock.locked);
      d = lock.acquire().addCallback(() => lock.release());
      t.true(lock.locked);
      t.false(d.called);
    }
    t.true(d.called);
    await d;
    t.false(lock.locked);
  });
});

test("CoroutineContextVarsTests.test_asyncWithSemaphore", async (t) => {
  await runOn(async () => {
    const sem = new DeferredSemaphore(3);
    let d2: Deferred<unknown>;
    {
      await using _a = await sem.enter();
      t.is(sem.tokens, 2);
      {
        await using _b = await sem.enter();
        t.is(sem.tokens, 1);
        const d1 = sem.acquire();
        d2 = sem.acquire();
        t.is(sem.tokens, 0);
        t.true(d1.called);
        t.false(d2.called);
      }
      t.is(sem.tokens, 0);
      t.true(d2.called);
    }
    t.is(sem.tokens, 1);
  });
});

test("CoroutineContextVarsTests.test_asyncWithLockException", async (t) => {
  await runOn(async () => {
    const lock = new DeferredLock();
    await t.throwsAsync(
      async () => {
        await using _ = await lock.enter();
        t.true(lock.locked);
        throw new RangeError("oh no");
      },
      { instanceOf: RangeError },
    );
    t.false(lock.locked);
  });
});

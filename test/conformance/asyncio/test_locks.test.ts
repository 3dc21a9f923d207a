// Ports of CPython 3.13 Lib/test/test_asyncio/test_locks.py (asyncio.md §3:
// the core list and the "further" list), with the original class and method
// names as titles. Iteration counts (`await sleep(0)`) are kept as in the
// originals. White-box asserts on `_waiters` read the test-only `_waiters`
// deque (documented @internal in src/locks.ts) or `statistics()`.
//
// Porting conventions:
// - `asyncio.create_task(lock.acquire())` becomes `createTask(() => lock.acquire())`:
//   the task's first step calls acquire(), as the coroutine's first step
//   does in asyncio (a bare Awaitable given to createTask would be followed
//   as a foreign thenable, without the task's cancellation reaching it).
// - `async with x:` becomes `await x.run(...)` or `await using _ = await x.enter()`.
// - Several scenarios also run with generator coroutines (titles suffixed
//   " [generator]") to check that `yield*` gives the same schedule.
import test from "ava";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  Event,
  Lock,
  RuntimeError,
  Semaphore,
  Task,
  TimeoutError,
  ValueError,
  createTask,
  getRunningLoop,
  isCancelledError,
  sleep,
  type Coroutine,
  type Future,
} from "../../../src/index.js";
import { runTest } from "../../helpers/loop.js";

const tick = (): PromiseLike<void> => sleep(0);

async function settle(tasks: Task<unknown>[]): Promise<Array<{ ok: boolean; value: unknown }>> {
  const out: Array<{ ok: boolean; value: unknown }> = [];
  for (const t of tasks) {
    try {
      out.push({ ok: true, value: await t });
    } catch (e) {
      out.push({ ok: false, value: e });
    }
  }
  return out;
}

// ---------------------------------------------------------------- LockTests

test("LockTests.test_acquire", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    const result: number[] = [];
    t.true(await lock.acquire());
    const c = (n: number) => async () => {
      if (await lock.acquire()) result.push(n);
      return true;
    };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    await tick();
    t.deepEqual(result, []);
    lock.release();
    await tick();
    t.deepEqual(result, [1]);
    await tick();
    t.deepEqual(result, [1]);
    const t3 = createTask(c(3));
    lock.release();
    await tick();
    t.deepEqual(result, [1, 2]);
    lock.release();
    await tick();
    t.deepEqual(result, [1, 2, 3]);
    for (const x of [t1, t2, t3]) {
      t.true(x.done());
      t.true(x.result());
    }
  });
});

test("LockTests.test_acquire [generator]", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const lock = new Lock();
    const result: number[] = [];
    t.true(yield* lock.acquire());
    const c = (n: number) =>
      function* (): Coroutine<boolean> {
        if (yield* lock.acquire()) result.push(n);
        return true;
      };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    yield* sleep(0);
    t.deepEqual(result, []);
    lock.release();
    yield* sleep(0);
    t.deepEqual(result, [1]);
    yield* sleep(0);
    t.deepEqual(result, [1]);
    const t3 = createTask(c(3));
    lock.release();
    yield* sleep(0);
    t.deepEqual(result, [1, 2]);
    lock.release();
    yield* sleep(0);
    t.deepEqual(result, [1, 2, 3]);
    for (const x of [t1, t2, t3]) t.true(x.done() && x.result());
  });
});

test("LockTests.test_acquire_cancel", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    t.true(await lock.acquire());
    const task = createTask(() => lock.acquire());
    getRunningLoop().callSoon(() => task.cancel());
    await t.throwsAsync(async () => task, { instanceOf: CancelledError });
    t.is(lock._waiters!.length, 0);
  });
});

test("LockTests.test_cancel_race", async (t) => {
  // A holds the lock, B and C wait; B is cancelled while A releases: the
  // wake-up must go to C, not to B's cancelled waiter.
  await runTest(async () => {
    const lock = new Lock();
    const lockit = async (blocker: Future<void> | null): Promise<void> => {
      await lock.acquire();
      try {
        if (blocker !== null) await blocker;
      } finally {
        lock.release();
      }
    };
    const fa = getRunningLoop().createFuture<void>();
    const ta = createTask(() => lockit(fa));
    await tick();
    t.true(lock.locked());
    const tb = createTask(() => lockit(null));
    await tick();
    t.is(lock._waiters!.length, 1);
    const tc = createTask(() => lockit(null));
    await tick();
    t.is(lock._waiters!.length, 2);
    fa.setResult();
    tb.cancel();
    t.true(lock._waiters!.at(0)!.cancelled());
    await tick();
    t.false(lock.locked());
    t.true(ta.done());
    t.true(tb.cancelled());
    await tc;
  });
});

test("LockTests.test_cancel_race [generator]", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const lock = new Lock();
    const lockit = (blocker: Future<void> | null) =>
      function* (): Coroutine<void> {
        yield* lock.acquire();
        try {
          if (blocker !== null) yield* blocker;
        } finally {
          lock.release();
        }
      };
    const fa = getRunningLoop().createFuture<void>();
    const ta = createTask(lockit(fa));
    yield* sleep(0);
    t.true(lock.locked());
    const tb = createTask(lockit(null));
    yield* sleep(0);
    t.is(lock._waiters!.length, 1);
    const tc = createTask(lockit(null));
    yield* sleep(0);
    t.is(lock._waiters!.length, 2);
    fa.setResult();
    tb.cancel();
    t.true(lock._waiters!.at(0)!.cancelled());
    yield* sleep(0);
    t.false(lock.locked());
    t.true(ta.done());
    t.true(tb.cancelled());
    yield* tc;
  });
});

test("LockTests.test_cancel_release_race", async (t) => {
  // bpo-32734: acquire 4 times, cancel the second, release the first:
  // exactly one more acquire must succeed.
  await runTest(async () => {
    const loop = getRunningLoop();
    const lock = new Lock();
    let lockCount = 0;
    let callCount = 0;
    const lockit = async (): Promise<void> => {
      callCount++;
      await lock.acquire();
      lockCount++;
    };
    await lock.acquire();
    const t1 = createTask(lockit);
    const t2 = createTask(lockit);
    const t3 = createTask(lockit);
    await tick();
    loop.callSoon(() => {
      t1.cancel();
      lock.release();
    });
    await t.throwsAsync(async () => t1, { instanceOf: CancelledError });
    t.is(lockCount, 1);
    t.is(callCount, 3);
    t.true(t1.cancelled() && t2.done());
    t3.cancel();
    await tick();
    t.true(t3.cancelled());
  });
});

test("LockTests.test_finished_waiter_cancelled", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    await lock.acquire();
    t.true(lock.locked());
    const tb = createTask(() => lock.acquire());
    await tick();
    t.is(lock._waiters!.length, 1);
    // A second waiter; wake up the first and cancel it: the second must wake.
    const tc = createTask(() => lock.acquire());
    tb.cancel();
    lock.release();
    await tick();
    t.true(lock.locked());
    t.true(tb.cancelled());
    await tc;
  });
});

test("LockTests.test_finished_waiter_cancelled [generator]", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const lock = new Lock();
    yield* lock.acquire();
    const tb = createTask(function* () {
      return yield* lock.acquire();
    });
    yield* sleep(0);
    t.is(lock.statistics().waiters, 1);
    const tc = createTask(function* () {
      return yield* lock.acquire();
    });
    tb.cancel();
    lock.release();
    yield* sleep(0);
    t.true(lock.locked());
    t.true(tb.cancelled());
    yield* tc;
  });
});

test("LockTests.test_release_not_acquired", async (t) => {
  const lock = new Lock();
  t.throws(() => lock.release(), { instanceOf: RuntimeError, message: "Lock is not acquired." });
});

test("LockTests.test_release_no_waiters", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    await lock.acquire();
    t.true(lock.locked());
    lock.release();
    t.false(lock.locked());
  });
});

test("LockTests.test_context_manager", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    t.false(lock.locked());
    const r = await lock.run(async () => {
      t.true(lock.locked());
      return 7;
    });
    t.is(r, 7);
    t.false(lock.locked());
    {
      await using _ = await lock.enter();
      t.true(lock.locked());
    }
    t.false(lock.locked());
  });
});

test("LockTests.test_context_manager [generator]", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const lock = new Lock();
    const r = yield* lock.run(function* () {
      t.true(lock.locked());
      yield* sleep(0);
      return 8;
    });
    t.is(r, 8);
    t.false(lock.locked());
  });
});

// --------------------------------------------------------------- EventTests

test("EventTests.test_wait", async (t) => {
  await runTest(async () => {
    const ev = new Event();
    t.false(ev.isSet());
    const result: number[] = [];
    const c = (n: number) => async () => {
      if (await ev.wait()) result.push(n);
    };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    await tick();
    t.deepEqual(result, []);
    const t3 = createTask(c(3));
    ev.set();
    await tick();
    t.deepEqual(result, [3, 1, 2]);
    for (const x of [t1, t2, t3]) {
      t.true(x.done());
      t.is(x.result(), undefined);
    }
  });
});

test("EventTests.test_wait [generator]", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const ev = new Event();
    const result: number[] = [];
    const c = (n: number) =>
      function* (): Coroutine<void> {
        if (yield* ev.wait()) result.push(n);
      };
    createTask(c(1));
    createTask(c(2));
    yield* sleep(0);
    t.deepEqual(result, []);
    createTask(c(3));
    ev.set();
    yield* sleep(0);
    t.deepEqual(result, [3, 1, 2]);
  });
});

test("EventTests.test_wait_cancel", async (t) => {
  await runTest(async () => {
    const ev = new Event();
    const wait = createTask(() => ev.wait());
    getRunningLoop().callSoon(() => wait.cancel());
    await t.throwsAsync(async () => wait, { instanceOf: CancelledError });
    t.is(ev._waiters.length, 0);
  });
});

test("EventTests.test_clear_with_waiters", async (t) => {
  await runTest(async () => {
    const ev = new Event();
    const result: number[] = [];
    const task = createTask(async () => {
      if (await ev.wait()) result.push(1);
      return true;
    });
    await tick();
    t.deepEqual(result, []);
    ev.set();
    ev.clear();
    t.false(ev.isSet());
    ev.set();
    ev.set();
    t.is(ev.statistics().waiters, 1);
    await tick();
    t.deepEqual(result, [1]);
    t.is(ev.statistics().waiters, 0);
    t.true(task.done());
    t.true(task.result());
  });
});

// Ports of the shield / gather / wait / as_completed tests of CPython 3.13
// Lib/test/test_asyncio/test_tasks.py (BaseTaskTests, GatherTestsBase,
// FutureGatherTests, CoroutineGatherTests). The TestLoop(gen) tests ([VC]) run
// on the VirtualTimeLoop; test_utils.run_briefly(loop) is `runBriefly(loop)`
// below (run_until_complete of an empty task). Python coroutine objects are
// async functions or generator objects here (both become tasks).
import test, { type ExecutionContext } from "ava";
import {
  ALL_COMPLETED,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type GatheringFuture,
  RuntimeError,
  Task,
  TimeoutError,
  ValueError,
  asCompleted,
  createTask,
  ensureFuture,
  gather,
  getRunningLoop,
  shield,
  sleep,
  wait,
  timeout,
  currentTask,
  type Coroutine,
  type VirtualTimeLoop,
} from "../../../src/index.js";
import { makeLoop, runTest, type TestLoop } from "../../helpers/loop.js";

async function runBriefly(loop: TestLoop): Promise<void> {
  await loop.runUntilComplete(async () => {});
}

/** GatherTestsBase._run_loop: run while callbacks are ready. */
async function runLoop(loop: TestLoop): Promise<void> {
  while ((loop as unknown as { _ready: unknown[] })._ready.length > 0) await runBriefly(loop);
}

async function raises(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    await aw;
  } catch (e) {
    return e;
  }
  throw new Error("did not raise");
}

/** test_utils.MockCallback */
function mockCallback(): { (f: unknown): void; calls: unknown[] } {
  const cb = ((f: unknown) => {
    cb.calls.push(f);
  }) as { (f: unknown): void; calls: unknown[] };
  cb.calls = [];
  return cb;
}

/** Set equality regardless of insertion order (ava's deepEqual compares Sets in order). */
function sameSet(t: ExecutionContext, actual: Set<unknown>, expected: Set<unknown>, message?: string): void {
  t.is(actual.size, expected.size, message);
  for (const x of expected) t.true(actual.has(x), message);
}

/** assertAlmostEqual (7 places). */
function almost(t: ExecutionContext, actual: number, expected: number): void {
  t.true(Math.abs(actual - expected) < 1e-7, `${actual} != ${expected}`);
}

function vloop(): VirtualTimeLoop {
  return getRunningLoop() as VirtualTimeLoop;
}

// ---- shield -------------------------------------------------------------------

test("test_shield_result", async (t) => {
  const loop = makeLoop();
  const inner = loop.createFuture<number>();
  const outer = shield(inner);
  inner.setResult(42);
  t.is(await loop.runUntilComplete(outer), 42);
  loop.close();
});

test("test_shield_exception", async (t) => {
  const loop = makeLoop();
  const inner = loop.createFuture<number>();
  const outer = shield(inner);
  await runBriefly(loop);
  const exc = new RuntimeError("expected");
  inner.setException(exc);
  await runBriefly(loop);
  t.is(outer.exception(), exc);
  loop.close();
});

test("test_shield_cancel_inner", async (t) => {
  const loop = makeLoop();
  const inner = loop.createFuture();
  const outer = shield(inner);
  await runBriefly(loop);
  inner.cancel();
  await runBriefly(loop);
  t.true(outer.cancelled());
  loop.close();
});

test("test_shield_cancel_outer", async (t) => {
  const loop = makeLoop();
  const inner = loop.createFuture();
  const outer = shield(inner);
  await runBriefly(loop);
  outer.cancel();
  await runBriefly(loop);
  t.true(outer.cancelled());
  // outer._callbacks is empty: its done callback ran and removed inner's.
  t.is((inner as unknown as { _callbacks?: unknown[] })._callbacks?.length ?? 0, 0);
  loop.close();
});

test("test_shield_shortcut", async (t) => {
  const loop = makeLoop();
  const fut = loop.createFuture<number>();
  fut.setResult(42);
  t.is(shield(fut), fut);
  t.is(await loop.runUntilComplete(shield(fut)), 42);
  loop.close();
});

for (const style of ["async", "generator"] as const) {
  test(`test_shield_effect (${style} coroutines)`, async (t) => {
    // Cancelling outer() does not affect inner().
    const loop = makeLoop();
    let proof = 0;
    const waiter = loop.createFuture();
    let f: Task<void>;
    if (style === "async") {
      const inner = async (): Promise<void> => {
        await waiter;
        proof += 1;
      };
      f = loop.createTask(async () => {
        await shield(inner);
        proof += 100;
      });
    } else {
      const inner = function* (): Coroutine<void> {
        yield* waiter;
        proof += 1;
      };
      f = loop.createTask(function* () {
        yield* shield(inner);
        proof += 100;
      });
    }
    await runBriefly(loop);
    f.cancel();
    t.true((await raises(loop.runUntilComplete(f))) instanceof CancelledError);
    waiter.setResult(undefined);
    await runBriefly(loop);
    t.is(proof, 1);
    loop.close();
  });
}

test("test_shield_gather", async (t) => {
  const loop = makeLoop();
  const child1 = loop.createFuture<number>();
  const child2 = loop.createFuture<number>();
  const parent = gather(child1, child2);
  const outer = shield(parent);
  await runBriefly(loop);
  outer.cancel();
  await runBriefly(loop);
  t.true(outer.cancelled());
  child1.setResult(1);
  child2.setResult(2);
  await runBriefly(loop);
  t.deepEqual(parent.result(), [1, 2]);
  loop.close();
});

test("test_gather_shield", async (t) => {
  const loop = makeLoop();
  const child1 = loop.createFuture<number>();
  const child2 = loop.createFuture<number>();
  const inner1 = shield(child1);
  const inner2 = shield(child2);
  const parent = gather(inner1, inner2);
  await runBriefly(loop);
  parent.cancel();
  // This should cancel inner1 and inner2 but not child1 and child2.
  await runBriefly(loop);
  t.true(parent.exception() instanceof CancelledError);
  t.true(inner1.cancelled());
  t.true(inner2.cancelled());
  child1.setResult(1);
  child2.setResult(2);
  await runBriefly(loop);
  t.false(child1.cancelled());
  loop.close();
});

// ---- gather: GatherTestsBase with futures and with coroutines ----------------------

type Wrap = (loop: TestLoop, futs: Future<unknown>[]) => unknown[];
const wrapFutures: Record<string, Wrap> = {
  FutureGatherTests: (_loop, futs) => futs,
  CoroutineGatherTests: (_loop, futs) =>
    futs.map(
      (fut) =>
        async function coro(): Promise<unknown> {
          return await fut;
        },
    ),
};

/**
 * FutureGatherTests gathers at once; CoroutineGatherTests inside the loop
 * (its coroutines need it). Boxed: a promise cannot resolve to a Future (a
 * thenable) without waiting for it.
 */
async function doGather(kind: string, loop: TestLoop, args: unknown[]): Promise<[GatheringFuture<unknown[]>]> {
  const call = (): GatheringFuture<unknown[]> => (gather as (...a: unknown[]) => GatheringFuture<unknown[]>)(...args);
  if (kind === "FutureGatherTests") return [call()];
  return [(await loop.runUntilComplete(async () => [call()] as const))[0]];
}

for (const kind of Object.keys(wrapFutures)) {
  const wrap = wrapFutures[kind]!;

  for (const opts of [undefined, { returnExceptions: false }, { returnExceptions: true }]) {
    const name = opts?.returnExceptions === true ? "test_result_exception_success" : "test_success";
    test(`${kind}.${name} ${JSON.stringify(opts ?? {})}`, async (t) => {
      const loop = makeLoop();
      const [a, b, c] = [0, 1, 2].map(() => loop.createFuture<number>()) as [
        Future<number>,
        Future<number>,
        Future<number>,
      ];
      const args = wrap(loop, [a, b, c]);
      const [fut] = await doGather(kind, loop, opts ? [...args, opts] : args);
      const cb = mockCallback();
      fut.addDoneCallback(cb);
      b.setResult(1);
      a.setResult(2);
      await runLoop(loop);
      t.is(cb.calls.length, 0);
      t.false(fut.done());
      c.setResult(3);
      await runLoop(loop);
      t.deepEqual(cb.calls, [fut]);
      t.deepEqual(fut.result(), [2, 1, 3]);
      loop.close();
    });
  }

  test(`${kind}.test_one_exception`, async (t) => {
    const loop = makeLoop();
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => loop.createFuture<number>()) as Future<number>[];
    const [fut] = await doGather(kind, loop, wrap(loop, [a!, b!, c!, d!, e!]));
    const cb = mockCallback();
    fut.addDoneCallback(cb);
    const exc = new RangeError("1/0");
    a!.setResult(1);
    b!.setException(exc);
    await runLoop(loop);
    t.true(fut.done());
    t.deepEqual(cb.calls, [fut]);
    t.is(fut.exception(), exc);
    // Does nothing
    c!.setResult(3);
    d!.cancel();
    e!.setException(new RuntimeError());
    e!.exception();
    await runLoop(loop);
    t.deepEqual(loop.errors, []);
    loop.close();
  });

  test(`${kind}.test_return_exceptions`, async (t) => {
    const loop = makeLoop();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => loop.createFuture<number>()) as Future<number>[];
    const [fut] = await doGather(kind, loop, [...wrap(loop, [a!, b!, c!, d!]), { returnExceptions: true }]);
    const cb = mockCallback();
    fut.addDoneCallback(cb);
    const exc = new RangeError("1/0");
    const exc2 = new RuntimeError();
    b!.setResult(1);
    c!.setException(exc);
    a!.setResult(3);
    await runLoop(loop);
    t.false(fut.done());
    d!.setException(exc2);
    await runLoop(loop);
    t.true(fut.done());
    t.deepEqual(cb.calls, [fut]);
    t.deepEqual(fut.result(), [3, 1, exc, exc2]);
    loop.close();
  });
}

test("FutureGatherTests.test_constructor_empty_sequence_use_running_loop", async (t) => {
  const loop = makeLoop();
  const [fut] = await loop.runUntilComplete(async () => [gather()]);
  t.true(fut instanceof Future);
  t.is(fut!.getLoop(), loop);
  await runLoop(loop);
  t.true(fut!.done());
  t.deepEqual(fut!.result(), []);
  loop.close();
});

test("FutureGatherTests.test_constructor_empty_sequence_without_loop", (t) => {
  t.throws(() => gather(), { instanceOf: RuntimeError, message: /no running event loop/ });
});

test("FutureGatherTests.test_constructor_heterogenous_futures", (t) => {
  const one = makeLoop();
  const other = makeLoop();
  const fut1 = one.createFuture();
  const fut2 = other.createFuture();
  t.throws(() => gather(fut1, fut2), { instanceOf: ValueError });
  one.close();
  other.close();
});

test("FutureGatherTests.test_constructor_homogenous_futures", async (t) => {
  const other = makeLoop();
  const children = [0, 1, 2].map(() => other.createFuture());
  let fut = gather(...children);
  t.is(fut.getLoop(), other);
  await runLoop(other);
  t.false(fut.done());
  fut = gather(...children);
  t.is(fut.getLoop(), other);
  await runLoop(other);
  t.false(fut.done());
  other.close();
});

test("FutureGatherTests.test_one_cancellation", async (t) => {
  const loop = makeLoop();
  const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => loop.createFuture<number>()) as Future<number>[];
  const fut = gather(a!, b!, c!, d!, e!);
  const cb = mockCallback();
  fut.addDoneCallback(cb);
  a!.setResult(1);
  b!.cancel();
  await runLoop(loop);
  t.true(fut.done());
  t.deepEqual(cb.calls, [fut]);
  t.false(fut.cancelled());
  t.true(fut.exception() instanceof CancelledError);
  // Does nothing
  c!.setResult(3);
  d!.cancel();
  e!.setException(new RuntimeError());
  e!.exception();
  loop.close();
});

test("FutureGatherTests.test_result_exception_one_cancellation", async (t) => {
  const loop = makeLoop();
  const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(() => loop.createFuture<number>()) as Future<number>[];
  const fut = gather(a!, b!, c!, d!, e!, f!, { returnExceptions: true });
  const cb = mockCallback();
  fut.addDoneCallback(cb);
  a!.setResult(1);
  const zde = new RangeError("1/0");
  b!.setException(zde);
  c!.cancel();
  await runLoop(loop);
  t.false(fut.done());
  d!.setResult(3);
  e!.cancel();
  const rte = new RuntimeError();
  f!.setException(rte);
  const res = (await loop.runUntilComplete(fut)) as unknown[];
  t.true(res[2] instanceof CancelledError);
  t.true(res[4] instanceof CancelledError);
  res[2] = res[4] = null;
  t.deepEqual(res, [1, zde, null, 3, null, rte]);
  t.deepEqual(cb.calls, [fut]);
  loop.close();
});

test("CoroutineGatherTests.test_duplicate_coroutines", async (t) => {
  // A coroutine object is single use: a generator object here.
  const loop = makeLoop();
  function* coro(s: string): Coroutine<string> {
    return s;
  }
  const c = coro("abc");
  const [fut] = await doGather("CoroutineGatherTests", loop, [c, c, coro("def"), c]);
  await runLoop(loop);
  t.deepEqual(fut.result(), ["abc", "abc", "def", "abc"]);
  loop.close();
});

test("CoroutineGatherTests.test_cancellation_broadcast", async (t) => {
  // Cancelling outer() cancels all children.
  const loop = makeLoop();
  let proof = 0;
  const waiter = loop.createFuture();
  const inner = async (): Promise<void> => {
    await waiter;
    proof += 1;
  };
  const child1 = loop.createTask(inner);
  const child2 = loop.createTask(inner);
  let gatherer!: GatheringFuture<unknown>;
  const f = loop.createTask(async () => {
    gatherer = gather(child1, child2);
    await gatherer;
    proof += 100;
  });
  await runBriefly(loop);
  t.true(f.cancel());
  t.true((await raises(loop.runUntilComplete(f))) instanceof CancelledError);
  t.false(gatherer.cancel());
  t.true(waiter.cancelled());
  t.true(child1.cancelled());
  t.true(child2.cancelled());
  await runBriefly(loop);
  t.is(proof, 0);
  loop.close();
});

test("CoroutineGatherTests.test_exception_marking", async (t) => {
  // Test for the first line marked "Mark exception retrieved."
  const loop = makeLoop();
  const inner = (f: Future<unknown>) => async (): Promise<void> => {
    await f;
    throw new RuntimeError("should not be ignored");
  };
  const a = loop.createFuture();
  const b = loop.createFuture();
  const f = loop.createTask(async () => {
    await gather(inner(a), inner(b));
  });
  await runBriefly(loop);
  a.setResult(undefined);
  await runBriefly(loop);
  b.setResult(undefined);
  await runBriefly(loop);
  t.true(f.exception() instanceof RuntimeError);
  loop.close();
});

test("CoroutineGatherTests.test_issue46672", async (t) => {
  // bpo-46672: a bad argument after a coroutine raises TypeError, nothing else.
  const loop = makeLoop();
  function* coro(s: string): Coroutine<string> {
    return s;
  }
  const c = coro("abc");
  await loop.runUntilComplete(async () => {
    t.throws(() => gather(c, {} as never), { instanceOf: TypeError });
  });
  await runLoop(loop);
  t.deepEqual(loop.errors, []);
  loop.close();
});

test("test_cancel_gather_1", async (t) => {
  // Ensure that a gathering future refuses to be cancelled once all children are done.
  const loop = makeLoop();
  const fut = loop.createFuture<number>();
  const [gatherTask] = await loop.runUntilComplete(async () => {
    // The indirection fut->child_coro is needed since otherwise the
    // gathering task is done at the same time as the child future.
    // child_coro is a generator coroutine: its step runs inside the loop
    // iteration, as in asyncio. (An async function's continuation runs in
    // the microtasks after the iteration's callbacks, so the cancelling
    // callback below would still see the child pending.)
    const gatherFuture = gather(function* childCoro() {
      return yield* fut;
    });
    return [ensureFuture(gatherFuture)] as const;
  });
  let cancelResult: boolean | undefined;
  fut.addDoneCallback(() => {
    cancelResult = gatherTask.cancel();
  });
  fut.setResult(42); // calls the cancelling callback after fut is done()
  await loop.runUntilComplete(gatherTask);
  // bpo-26923: asyncio.gather drops cancellation
  t.is(cancelResult, false);
  t.false(gatherTask.cancelled());
  t.deepEqual(gatherTask.result(), [42]);
  loop.close();
});

for (const [cancelArgs, expected] of [
  [[], ""],
  [[undefined], ""],
  [["my message"], "my message"],
] as const) {
  test(`test_cancel_gather_2 ${JSON.stringify(cancelArgs)}`, async (t) => {
    // Non-string messages (the `5` case) do not exist: cancel(msg?: string).
    const loop = makeLoop();
    const e = await raises(
      loop.runUntilComplete(async () => {
        const qwe = createTask(async () => {
          let time = 0;
          for (;;) {
            time += 0.05;
            await gather(sleep(0.05), { returnExceptions: true });
            if (time > 1) return;
          }
        });
        await sleep(0.2);
        qwe.cancel(...(cancelArgs as unknown as [string?]));
        await qwe;
      }),
    );
    t.true(
      e instanceof CancelledError,
      "gather() does not propagate CancelledError raised by inner task to the gather() caller.",
    );
    t.is((e as Error).message, expected);
    loop.close();
  });
}

test("gather: a generator coroutine waits with yield*, a cancelled child fails it", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const [x, y] = yield* gather(sleep(1, "x"), function* () {
      return yield* sleep(2, 2);
    });
    t.deepEqual([x, y], ["x", 2]);
    t.is(getRunningLoop().time(), 2);
    const slow = createTask(sleep(10));
    const g = gather(slow, sleep(1));
    slow.cancel("stop");
    try {
      yield* g;
      t.fail();
    } catch (e) {
      t.true(e instanceof CancelledError);
      t.is((e as Error).message, "stop");
    }
  });
});

// Issue #19: one array (or other iterable) is the list of awaitables; an array among several arguments is refused.
test("gather: options only as a plain object with returnExceptions; one array is the list, an array among others is refused", async (t) => {
  await runTest(async () => {
    const r = await gather(
      async () => {
        throw new ValueError("v");
      },
      sleep(0, 1),
      { returnExceptions: true },
    );
    t.true(r[0] instanceof ValueError);
    t.is(r[1], 1);
    t.deepEqual(await gather([sleep(0, 2), sleep(0, 3)]), [2, 3]);
    const untyped = gather as unknown as (...a: unknown[]) => unknown;
    t.throws(() => untyped([sleep(0)], sleep(0)), { instanceOf: TypeError, message: /one list/ });
  });
});

// ---- wait -----------------------------------------------------------------

test("test_wait", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(0.1));
    const b = createTask(sleep(0.15));
    const foo = async (): Promise<number> => {
      const { done, pending } = await wait([b, a]);
      sameSet(t, done, new Set([b, a]));
      sameSet(t, pending, new Set());
      return 42;
    };
    t.is(await createTask(foo), 42);
    almost(t, loop.time(), 0.15);
    // Doing it again should take no time and exercise a different path.
    t.is(await createTask(foo), 42);
    almost(t, loop.time(), 0.15);
  });
});

test("test_wait (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const a = createTask(sleep(0.1));
    const b = createTask(sleep(0.15));
    const { done, pending } = yield* wait([b, a]);
    t.is(done.size, 2);
    t.is(pending.size, 0);
    t.is(getRunningLoop().time(), 0.15);
  });
});

test("test_wait_duplicate_coroutines", async (t) => {
  await runTest(async () => {
    const c = createTask(async () => "test");
    const { done, pending } = await wait([c, c, createTask(async () => "spam")]);
    t.is(pending.size, 0);
    t.deepEqual(new Set([...done].map((f) => f.result())), new Set(["test", "spam"]));
  });
});

test("test_wait_errors", async (t) => {
  await runTest(async () => {
    t.throws(() => wait(new Set<Future<unknown>>()), { instanceOf: ValueError });
    // -1 is an invalid return_when value
    const s = createTask(sleep(10.0));
    t.throws(() => wait([s], { returnWhen: -1 as never }), { instanceOf: ValueError });
    s.cancel();
  });
});

test("test_wait_invalid_args", async (t) => {
  await runTest(async () => {
    const fut = getRunningLoop().createFuture();
    // wait() expects a list of futures, not a future instance
    t.throws(() => wait(fut as never), { instanceOf: TypeError });
    t.throws(() => wait((async () => {}) as never), { instanceOf: TypeError });
    t.throws(() => wait([async () => {}] as never), { instanceOf: TypeError, message: /coroutines is forbidden/ });
    t.throws(() => wait([Promise.resolve(1)] as never), { instanceOf: TypeError, message: /ensureFuture/ });
    // wait() expects at least a future
    t.throws(() => wait([]), { instanceOf: ValueError });
    t.throws(() => wait([fut], { timeout: NaN }), { instanceOf: ValueError });
  });
});

test("test_wait_first_completed", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(10.0));
    const b = createTask(sleep(0.1));
    const { done, pending } = await createTask(wait([b, a], { returnWhen: FIRST_COMPLETED }));
    sameSet(t, done, new Set([b]));
    sameSet(t, pending, new Set([a]));
    t.false(a.done());
    t.true(b.done());
    t.is(b.result(), undefined);
    almost(t, loop.time(), 0.1);
    a.cancel();
  });
});

test("test_wait_really_done", async (t) => {
  // Some tasks in the pending list became done but their callbacks have not all run yet.
  await runTest(async () => {
    const a = createTask(async () => {
      await sleep(0);
    });
    const b = createTask(async () => {
      await sleep(0);
      await sleep(0);
    });
    const { done } = await createTask(wait([b, a], { returnWhen: FIRST_COMPLETED }));
    sameSet(t, done, new Set([a, b]));
    t.true(a.done());
    t.is(a.result(), undefined);
    t.true(b.done());
    t.is(b.result(), undefined);
  });
});

test("test_wait_first_exception", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    // first_exception, task already has exception
    const a = createTask(sleep(10.0));
    const b = createTask(async () => {
      throw new RangeError("err");
    });
    const { done, pending } = await createTask(wait([b, a], { returnWhen: FIRST_EXCEPTION }));
    sameSet(t, done, new Set([b]));
    sameSet(t, pending, new Set([a]));
    almost(t, loop.time(), 0);
    a.cancel();
  });
});

test("test_wait_first_exception_in_wait", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(10.0));
    const b = createTask(async () => {
      await sleep(0.01);
      throw new RangeError("err");
    });
    const { done, pending } = await wait([b, a], { returnWhen: FIRST_EXCEPTION });
    sameSet(t, done, new Set([b]));
    sameSet(t, pending, new Set([a]));
    almost(t, loop.time(), 0.01);
    a.cancel();
  });
});

test("wait FIRST_EXCEPTION: a cancellation is a completion, not an exception", async (t) => {
  await runTest(async () => {
    const a = createTask(sleep(10.0));
    const b = createTask(sleep(1));
    const c = createTask(sleep(2));
    b.cancel();
    const { done, pending } = await wait([a, b, c], { returnWhen: FIRST_EXCEPTION });
    // Nobody failed: it returns only when all are done.
    sameSet(t, done, new Set([a, b, c]));
    t.is(pending.size, 0);
    t.is(getRunningLoop().time(), 10);
  });
});

test("test_wait_with_exception", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(0.1));
    const b = createTask(async () => {
      await sleep(0.15);
      throw new RangeError("really");
    });
    const foo = async (): Promise<void> => {
      const { done, pending } = await wait([b, a]);
      t.is(done.size, 2);
      t.is(pending.size, 0);
      t.is([...done].filter((f) => f.exception() !== undefined).length, 1);
    };
    await createTask(foo);
    almost(t, loop.time(), 0.15);
    await createTask(foo);
    almost(t, loop.time(), 0.15);
  });
});

test("test_wait_with_timeout", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(0.1));
    const b = createTask(sleep(0.15));
    await createTask(async () => {
      const { done, pending } = await wait([b, a], { timeout: 0.11 });
      sameSet(t, done, new Set([a]));
      sameSet(t, pending, new Set([b]));
    });
    almost(t, loop.time(), 0.11);
    t.false(b.cancelled()); // wait never cancels
    b.cancel();
  });
});

test("test_wait_concurrent_complete", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const a = createTask(sleep(0.1));
    const b = createTask(sleep(0.15));
    const { done, pending } = await wait([b, a], { timeout: 0.1 });
    sameSet(t, done, new Set([a]));
    sameSet(t, pending, new Set([b]));
    almost(t, loop.time(), 0.1);
    b.cancel();
  });
});

test("test_wait_with_iterator_of_tasks", async (t) => {
  await runTest(async () => {
    const a = createTask(sleep(0.1));
    const b = createTask(sleep(0.15));
    const { done, pending } = await wait([b, a][Symbol.iterator]());
    sameSet(t, done, new Set([a, b]));
    t.is(pending.size, 0);
    t.is(getRunningLoop().time(), 0.15);
  });
});

test("test_wait_generator", async (t) => {
  await runTest(async () => {
    const tasks = (function* () {
      for (let i = 0; i < 10; i++) yield createTask(async () => i);
    })();
    const { done, pending } = await wait(tasks, { returnWhen: ALL_COMPLETED });
    t.is(done.size, 10);
    t.is(pending.size, 0);
  });
});

test("wait: cancelling the waiting task leaves the futures alone and removes the callbacks", async (t) => {
  await runTest(async () => {
    const a = createTask(sleep(10));
    const w = createTask(async () => wait([a]));
    await sleep(1);
    w.cancel();
    t.true((await raises(w)) instanceof CancelledError);
    t.false(a.cancelled());
    t.is((a as unknown as { _callbacks?: unknown[] })._callbacks?.length ?? 0, 0);
    a.cancel();
  });
});

// ---- as_completed ------------------------------------------------------------

for (const method of ["try_iterator", "try_async_iterator"] as const) {
  test(`test_as_completed (${method})`, async (t) => {
    await runTest(async () => {
      const loop = vloop();
      const completed = new Set<string>();
      let timeShifted = false;
      const sleeper = (dt: number, x: string) => async (): Promise<string> => {
        await sleep(dt);
        completed.add(x);
        if (!timeShifted && completed.has("a") && completed.has("b")) {
          timeShifted = true;
          loop.advance(0.14);
        }
        return x;
      };
      const a = sleeper(0.01, "a");
      const b = sleeper(0.01, "b");
      const c = sleeper(0.15, "c");
      const values: string[] = [];
      if (method === "try_iterator") {
        for (const f of asCompleted([b, c, a])) values.push(await f);
      } else {
        for await (const f of asCompleted([b, c, a])) values.push(await f);
      }
      almost(t, loop.time(), 0.15);
      t.true(values.slice(0, 2).includes("a"));
      t.true(values.slice(0, 2).includes("b"));
      t.is(values[2], "c");
    });
  });
}

test("test_as_completed (generator coroutine, plain iteration)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const values: string[] = [];
    for (const f of asCompleted([sleep(0.2, "b"), sleep(0.1, "a")])) values.push(yield* f);
    t.deepEqual(values, ["a", "b"]);
  });
});

test("test_as_completed_same_tasks_in_as_out", async (t) => {
  await runTest(async () => {
    const tryAsyncIterator = async (aws: unknown[]): Promise<Set<unknown>> => {
      const out = new Set<unknown>();
      for await (const aw of asCompleted(aws as unknown[])) out.add(aw);
      return out;
    };
    const coro = (i: unknown) => async () => i;
    // Coroutines shouldn't be yielded back as finished coroutines can't be re-used.
    const ins = [coro(0), coro(1), coro(2), coro(3)];
    const outs = await tryAsyncIterator(ins);
    t.true(
      ins.every((c) => !outs.has(c)),
      "Got original coroutines out of as_completed iterator.",
    );
    t.true([...outs].every((f) => f instanceof Task));
    // Tasks should be yielded back.
    const taskB = createTask(coro("b"));
    const taskD = createTask(coro("d"));
    const ins2 = [coro("a"), taskB, coro("c"), taskD];
    const outs2 = await tryAsyncIterator(ins2);
    sameSet(
      t,
      new Set(ins2.filter((x) => outs2.has(x))),
      new Set([taskB, taskD]),
      "Only tasks should be yielded from as_completed iterator as-is.",
    );
  });
});

for (const method of ["try_iterator", "try_async_iterator"] as const) {
  test(`test_as_completed_with_timeout (${method})`, async (t) => {
    await runTest(async () => {
      const loop = vloop();
      const a = createTask(sleep(0.1, "a"));
      const b = createTask(sleep(0.15, "b"));
      const values: [number, unknown][] = [];
      if (method === "try_iterator") {
        for (const f of asCompleted([a, b], { timeout: 0.12 })) {
          if (values.length) loop.advance(0.02);
          try {
            values.push([1, await f]);
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
            values.push([2, e]);
          }
        }
      } else {
        try {
          for await (const f of asCompleted([a, b], { timeout: 0.12 })) {
            values.push([1, await f]);
            loop.advance(0.02);
          }
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
          values.push([2, e]);
        }
      }
      t.is(values.length, 2);
      t.deepEqual(values[0], [1, "a"]);
      t.is(values[1]![0], 2);
      t.true(values[1]![1] instanceof TimeoutError);
      almost(t, loop.time(), 0.12);
      t.false(b.cancelled()); // as_completed never cancels
      b.cancel();
    });
  });

  test(`test_as_completed_with_unused_timeout (${method})`, async (t) => {
    await runTest(async () => {
      const a = sleep(0.01, "a");
      if (method === "try_iterator") {
        for (const f of asCompleted([a], { timeout: 1 })) t.is(await f, "a");
      } else {
        for await (const f of asCompleted([a], { timeout: 1 })) t.is(await f, "a");
      }
      await sleep(5); // the timeout handle was cancelled
      t.is(getRunningLoop().time(), 5.01);
    });
  });

  test(`test_as_completed_resume_iterator (${method})`, async (t) => {
    await runTest(async () => {
      const coro = (i: number) => async () => i;
      const iterator = asCompleted([coro(0), coro(1), coro(2), coro(3)]);
      const collected: number[] = [];
      let iterations = 0;
      if (method === "try_iterator") {
        for (const f of iterator) {
          collected.push(await f);
          if (++iterations === 2) break;
        }
        t.is(collected.length, 2);
        for (const f of iterator) collected.push(await f);
      } else {
        for await (const f of iterator) {
          collected.push(await f);
          if (++iterations === 2) break;
        }
        t.is(collected.length, 2);
        for await (const f of iterator) collected.push(await f);
      }
      t.deepEqual([...collected].sort(), [0, 1, 2, 3]);
    });
  });

  test(`test_as_completed_concurrent (${method})`, async (t) => {
    await runTest(async () => {
      const fs = [sleep(0.05, "a"), sleep(0.05, "b")];
      let futs: unknown[];
      if (method === "try_iterator") futs = [...asCompleted(fs)];
      else {
        futs = [];
        for await (const f of asCompleted(fs)) futs.push(f);
      }
      t.is(futs.length, 2);
      const { done } = await wait(futs.map((f) => ensureFuture(f as PromiseLike<string>)));
      t.deepEqual(new Set([...done].map((f) => f.result())), new Set(["a", "b"]));
    });
  });

  test(`test_as_completed_duplicate_coroutines (${method})`, async (t) => {
    await runTest(async () => {
      const c = (function* () {
        return "ham";
      })();
      const spam = (function* () {
        return "spam";
      })();
      const result: string[] = [];
      if (method === "try_iterator") {
        for (const f of asCompleted([c, c, spam])) result.push(await f);
      } else {
        for await (const f of asCompleted([c, c, spam])) result.push(await f);
      }
      t.deepEqual(new Set(result), new Set(["ham", "spam"]));
      t.is(result.length, 2);
    });
  });
}

test("test_as_completed_reverse_wait", async (t) => {
  await runTest(async () => {
    const loop = vloop();
    const a = sleep(0.05, "a");
    const b = sleep(0.1, "b");
    const futs = [...asCompleted([a, b])];
    t.is(futs.length, 2);
    const x = await futs[1]!;
    t.is(x, "a");
    almost(t, loop.time(), 0.05);
    loop.advance(0.05);
    const y = await futs[0]!;
    t.is(y, "b");
    almost(t, loop.time(), 0.1);
  });
});

test("test_as_completed_invalid_args", async (t) => {
  await runTest(async () => {
    const fut = getRunningLoop().createFuture();
    // as_completed() expects a list of futures, not a future instance
    t.throws(() => asCompleted(fut as never), { instanceOf: TypeError });
    t.throws(() => asCompleted(sleep(0) as never), { instanceOf: TypeError });
    t.throws(() => asCompleted(Promise.resolve(1) as never), { instanceOf: TypeError });
    t.throws(() => asCompleted([fut], { timeout: NaN }), { instanceOf: ValueError });
    fut.cancel();
  });
});

// ---- further gather rules (asyncio.md §2.5) -------------------------------------

test("gather: cancel() with returnExceptions still ends in CancelledError (bpo-32684)", async (t) => {
  await runTest(async () => {
    const g = gather(sleep(10), sleep(20), { returnExceptions: true });
    await sleep(1);
    t.true(g.cancel("stop"));
    const e = await raises(g);
    t.true(e instanceof CancelledError);
    t.false(g.cancelled()); // set via setException, not cancelled itself
    t.false(g.cancel()); // done: refused
  });
});

test("gather: children already done complete the gather at once (eager)", async (t) => {
  const loop = makeLoop();
  const a = loop.createFuture<number>();
  const b = loop.createFuture<number>();
  a.setResult(1);
  b.setResult(2);
  const g = gather(a, b);
  t.true(g.done());
  t.deepEqual(g.result(), [1, 2]);
  const failed = loop.createFuture<number>();
  failed.setException(new ValueError("x"));
  const g2 = gather(a, failed);
  t.true(g2.done());
  t.true(g2.exception() instanceof ValueError);
  loop.close();
});

test("gather: a later child error after the gather failed is marked retrieved, not reported", async (t) => {
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const g = gather(
      async () => {
        throw new ValueError("first");
      },
      async () => {
        await sleep(1);
        throw new ValueError("second");
      },
    );
    t.is(((await raises(g)) as Error).message, "first");
    await sleep(2);
  });
  const { collectGarbage } = await import("../../helpers/loop.js");
  await collectGarbage();
  t.deepEqual(loop.errors, []);
  loop.close();
});

test("gather: typed tuple results (checked by tsc)", async (t) => {
  await runTest(async () => {
    const r: [string, number, boolean] = await gather(
      sleep(1, "x"),
      async () => 2,
      function* () {
        return yield* sleep(0, true);
      },
    );
    t.deepEqual(r, ["x", 2, true]);
    const r2: [unknown, unknown] = await gather(sleep(0, 1), Promise.resolve("p"), { returnExceptions: true });
    t.deepEqual(r2, [1, "p"]);
    const r3: [number] = await gather(sleep(0, 1), { returnExceptions: false });
    t.deepEqual(r3, [1]);
  });
});

test("createTask/ensureFuture of a scope or combinator awaitable runs it in the new task", async (t) => {
  // Regression (core): these awaitables are thenables; taking them through
  // then() ran them in the creator's task, so the timeout cancelled the creator.
  await runTest(async () => {
    const t1 = createTask(
      timeout(1).run(async () => {
        await sleep(10);
        return "late";
      }),
    );
    t.true((await raises(t1)) instanceof TimeoutError);
    t.is(currentTask()!.cancelling(), 0);
    const a = createTask(sleep(5));
    const w = ensureFuture(wait([a], { timeout: 1 }));
    await sleep(0.5);
    w.cancel();
    t.true((await raises(w)) instanceof CancelledError);
    t.false(a.cancelled());
    t.is(currentTask()!.cancelling(), 0);
    a.cancel();
  });
});

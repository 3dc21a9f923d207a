// Ports of test_defer.py's DeferredAddTimeoutTests, OtherPrimitivesTests,
// DeferredFutureAdapterTests, EnsureDeferredTests and the maybeDeferred tests.
import test from "ava";
import {
  DeferredCancelledError as CancelledError,
  Clock,
  Deferred,
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  Failure,
  FirstError,
  NotACoroutineError,
  QueueOverflow,
  QueueUnderflow,
  DeferredTimeoutError as TimeoutError,
  ensureDeferred,
  execute,
  maybeDeferred,
  succeed,
} from "../../../adapters/twisted/index.js";
import { CancelledError as CoreCancelledError, ValueError, sleep, getRunningLoop } from "../../../src/index.js";
import { runOn } from "../../helpers/loop.js";
import { assertImmediateFailure, assertNoResult, failureResultOf, successResultOf } from "./trial.js";

// ---- DeferredAddTimeoutTests --------------------------------------------------

test("DeferredAddTimeoutTests.test_timedOut", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock);
  assertNoResult(d);
  clock.advance(15);
  const f = failureResultOf(d, TimeoutError);
  t.is((f.value as TimeoutError).timeout, 10);
});

test("DeferredAddTimeoutTests.test_timedOutCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock, () => "OVERRIDDEN");
  assertNoResult(d);
  clock.advance(15);
  t.is(successResultOf<unknown>(d), "OVERRIDDEN");
});

test("DeferredAddTimeoutTests.test_successResultBeforeTimeout", (t) => {
  const clock = new Clock();
  const d = new Deferred<string>();
  d.addTimeout(10, clock);
  const innerDeferred = new Deferred<void>();
  let dCallbacked: string | undefined;
  d.addCallback((results) => {
    dCallbacked = results;
    return innerDeferred;
  });
  d.callback("results");
  t.is(dCallbacked, "results");
  clock.advance(15);
  assertNoResult(innerDeferred);
  t.deepEqual(clock.getDelayedCalls(), []);
});

test("DeferredAddTimeoutTests.test_failureBeforeTimeout", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock);
  const innerDeferred = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  const error = new ValueError("fail");
  d.addErrback((f) => {
    dErrbacked = f;
    return innerDeferred;
  });
  d.errback(error);
  t.is(dErrbacked!.value, error);
  clock.advance(15);
  assertNoResult(innerDeferred);
});

test("DeferredAddTimeoutTests.test_timedOutProvidedCancelSuccess", (t) => {
  const clock = new Clock();
  const d = new Deferred<string>((c) => c.callback("I was cancelled!"));
  d.addTimeout(10, clock);
  assertNoResult(d);
  clock.advance(15);
  t.is(successResultOf(d), "I was cancelled!");
});

test("DeferredAddTimeoutTests.test_cancelBeforeTimeout", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock);
  const innerDeferred = new Deferred<void>();
  let dCanceled: Failure | undefined;
  d.addErrback((f) => {
    dCanceled = f;
    return innerDeferred;
  });
  d.cancel();
  t.is(dCanceled!.type, CancelledError); // not a TimeoutError: the timer did not fire
  clock.advance(15);
  assertNoResult(innerDeferred);
});

test("DeferredAddTimeoutTests.test_errbackAddedBeforeTimeout", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  d.addErrback((f) => {
    dErrbacked = f;
    return f;
  });
  d.addTimeout(10, clock);
  clock.advance(15);
  t.true(dErrbacked!.value instanceof CancelledError);
  failureResultOf(d, TimeoutError);
});

test("DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellation", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  d.addErrback((f) => {
    dErrbacked = f;
    f.trap(CancelledError);
  });
  d.addTimeout(10, clock);
  clock.advance(15);
  t.true(dErrbacked!.value instanceof CancelledError);
  successResultOf(d);
});

test("DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeout", (t) => {
  const clock = new Clock();
  const success = "success";
  const d = new Deferred<string>((x) => x.callback(success));
  let dCallbacked: string | undefined;
  d.addCallback((value) => {
    dCallbacked = value;
    return value;
  });
  d.addTimeout(10, clock);
  clock.advance(15);
  t.is(dCallbacked, success);
  t.is(successResultOf(d), success);
});

// ---- OtherPrimitivesTests ---------------------------------------------------------

test("OtherPrimitivesTests.testLock", (t) => {
  let counter = 0;
  const incr = () => void counter++;
  const lock = new DeferredLock();
  lock.acquire().addCallback(incr);
  t.true(lock.locked);
  t.is(counter, 1);
  lock.acquire().addCallback(incr);
  t.true(lock.locked);
  t.is(counter, 1);
  lock.release();
  t.true(lock.locked); // handed straight to the waiter
  t.is(counter, 2);
  lock.release();
  t.false(lock.locked);
  t.is(counter, 2);
  t.throws(() => (lock.run as (f?: unknown) => unknown)(), { instanceOf: TypeError });

  const firstUnique = {};
  const secondUnique = {};
  const controlDeferred = new Deferred<object>();
  let result: unknown;
  const helper = (resultValue: unknown, returnValue?: unknown) => {
    result = resultValue;
    return returnValue;
  };
  const resultDeferred = lock.run(helper, firstUnique, controlDeferred);
  t.true(lock.locked);
  t.is(result, firstUnique);
  resultDeferred.addCallback((r) => helper(r));
  lock.acquire().addCallback(incr);
  t.true(lock.locked);
  t.is(counter, 2);
  controlDeferred.callback(secondUnique);
  t.is(result, secondUnique);
  t.true(lock.locked);
  t.is(counter, 3);
  const d = lock.acquire().addBoth((r) => helper(r));
  d.cancel();
  t.true(result instanceof Failure);
  t.is((result as Failure).type, CancelledError);
  lock.release();
  t.false(lock.locked);
});

test("OtherPrimitivesTests.test_cancelLockBeforeAcquired", (t) => {
  const lock = new DeferredLock();
  lock.acquire();
  const d = lock.acquire();
  d.cancel();
  t.true(assertImmediateFailure(d, CancelledError) instanceof CancelledError);
  t.is(lock.waiting.length, 0);
});

test("OtherPrimitivesTests.testSemaphore", (t) => {
  const N = 13;
  let counter = 0;
  const incr = () => void counter++;
  const sem = new DeferredSemaphore(N);
  const controlDeferred = new Deferred<void>();
  let helperArg: unknown;
  const results: unknown[] = [];
  const uniqueObject = {};
  const resultDeferred = sem.run((arg: unknown) => {
    helperArg = arg;
    return controlDeferred;
  }, uniqueObject);
  resultDeferred.addCallback((r) => void results.push(r));
  resultDeferred.addCallback(incr);
  t.deepEqual(results, []);
  t.is(helperArg, uniqueObject);
  controlDeferred.callback(undefined);
  t.is(results.pop(), undefined);
  t.is(counter, 1);
  counter = 0;
  for (let i = 1; i <= N; i++) {
    sem.acquire().addCallback(incr);
    t.is(counter, i);
  }
  const success: boolean[] = [];
  const d = sem.acquire().addCallbacks(
    () => void success.push(false),
    () => void success.push(true),
  );
  d.cancel();
  t.deepEqual(success, [true]);
  sem.acquire().addCallback(incr);
  t.is(counter, N);
  sem.release();
  t.is(counter, N + 1);
  for (let i = 1; i <= N; i++) {
    sem.release();
    t.is(counter, N + 1);
  }
});

test("OtherPrimitivesTests.test_semaphoreInvalidTokens", (t) => {
  t.throws(() => new DeferredSemaphore(0), { instanceOf: ValueError });
  t.throws(() => new DeferredSemaphore(-1), { instanceOf: ValueError });
});

test("OtherPrimitivesTests.test_cancelSemaphoreBeforeAcquired", (t) => {
  const sem = new DeferredSemaphore(1);
  sem.acquire();
  const d = sem.acquire();
  d.cancel();
  t.true(assertImmediateFailure(d, CancelledError) instanceof CancelledError);
});

test("OtherPrimitivesTests.testQueue", (t) => {
  const N = 2;
  const M = 2;
  let queue = new DeferredQueue<number>(N, M);
  let gotten: number[] = [];
  for (let i = 0; i < M; i++) queue.get().addCallback((x) => void gotten.push(x));
  t.throws(() => queue.get(), { instanceOf: QueueUnderflow });
  for (let i = 0; i < M; i++) {
    queue.put(i);
    t.deepEqual(gotten, [...Array(i + 1).keys()]);
  }
  for (let i = 0; i < N; i++) {
    queue.put(N + i);
    t.deepEqual(gotten, [...Array(M).keys()]);
  }
  t.throws(() => queue.put(0), { instanceOf: QueueOverflow });
  gotten = [];
  for (let i = 0; i < N; i++) {
    queue.get().addCallback((x) => void gotten.push(x));
    t.deepEqual(
      gotten,
      Array.from({ length: i + 1 }, (_, k) => N + k),
    );
  }
  queue = new DeferredQueue<number>();
  gotten = [];
  for (let i = 0; i < N; i++) queue.get().addCallback((x) => void gotten.push(x));
  for (let i = 0; i < N; i++) queue.put(i);
  t.deepEqual(gotten, [...Array(N).keys()]);
  t.throws(() => new DeferredQueue<number>(0).put(1), { instanceOf: QueueOverflow });
  t.throws(() => new DeferredQueue<number>(undefined, 0).get(), { instanceOf: QueueUnderflow });
});

test("OtherPrimitivesTests.test_cancelQueueAfterGet", (t) => {
  const queue = new DeferredQueue<null>();
  const d = queue.get();
  d.cancel();
  assertImmediateFailure(d, CancelledError);
  d.addCallback(() => {
    queue.put(null);
    return queue.get().addCallback((x) => t.is(x, null));
  });
  const done: unknown[] = [];
  d.addCallback((r) => void done.push(r));
  t.is(done.length, 1);
});

// ---- maybeDeferred / execute / ensureDeferred --------------------------------------

test("DeferredTests.test_maybeDeferredSyncWithArgs", (t) => {
  const results: number[] = [];
  const errors: Failure[] = [];
  maybeDeferred((x: number) => x + 5, 10).addCallbacks(
    (r) => void results.push(r),
    (f) => void errors.push(f),
  );
  t.deepEqual(errors, []);
  t.deepEqual(results, [15]);
});

test("DeferredTests.test_maybeDeferredSyncException", (t) => {
  const results: unknown[] = [];
  const errors: Failure[] = [];
  const expected = new TypeError("x is not a number");
  maybeDeferred(() => {
    throw expected;
  }).addCallbacks(
    (r) => void results.push(r),
    (f) => void errors.push(f),
  );
  t.deepEqual(results, []);
  t.is(errors.length, 1);
  t.is(errors[0]!.value, expected);
});

test("DeferredTests.test_maybeDeferredAsync", (t) => {
  const d1 = new Deferred<string>();
  const d2 = maybeDeferred(() => d1);
  d1.callback("Success");
  const result: string[] = [];
  d2.addCallback((r) => void result.push(r));
  t.deepEqual(result, ["Success"]);
});

test("DeferredTests.test_maybeDeferredSyncFailure: a returned Failure becomes a failed Deferred", (t) => {
  const f = new Failure(new RangeError("returned"));
  t.is(
    failureResultOf(
      maybeDeferred(() => f),
      RangeError,
    ).value,
    f.value,
  );
});

test("DeferredTests.test_maybeDeferredCoroutineSuccess: a returned generator runs as a coroutine", (t) => {
  const d = maybeDeferred(function* () {
    const x = (yield succeed(2)) as number;
    return x * 21;
  });
  t.is(successResultOf(d), 42);
});

test("execute: calls now, succeed or fail", (t) => {
  t.is(successResultOf(execute((a: number, b: number) => a + b, 1, 2)), 3);
  failureResultOf(
    execute(() => JSON.parse("{")),
    SyntaxError,
  );
  t.pass();
});

test("EnsureDeferredTests.test_passesThroughDeferreds", (t) => {
  const d1 = new Deferred<void>();
  t.is(ensureDeferred(d1), d1);
});

test("EnsureDeferredTests.test_willNotAllowNonDeferredOrCoroutine", (t) => {
  t.throws(() => ensureDeferred("something" as never), {
    instanceOf: NotACoroutineError,
    message: /is not a coroutine or a Deferred/,
  });
  t.true(new NotACoroutineError() instanceof TypeError);
});

test("EnsureDeferredTests.test_ensureDeferredCoroutine: a generator coroutine", (t) => {
  const d = ensureDeferred(
    (function* () {
      return ((yield succeed(1)) as number) + 1;
    })(),
  );
  t.is(successResultOf(d), 2);
});

// ---- DeferredFutureAdapterTests ----------------------------------------------------
// callAllSoonCalls(loop) is one `await sleep(0)` on our loop: done callbacks go
// through callSoon, as in asyncio.

test("DeferredFutureAdapterTests.test_asFuture", async (t) => {
  await runOn(async () => {
    const d = new Deferred<number>();
    const aFuture = d.asFuture(getRunningLoop());
    t.false(aFuture.done());
    d.callback(13);
    await sleep(0);
    t.is(successResultOf<unknown>(d), undefined);
    t.is(aFuture.result(), 13);
  });
});

test("DeferredFutureAdapterTests.test_asFutureCancelFuture", async (t) => {
  await runOn(async () => {
    let called = false;
    const d = new Deferred<void>(() => {
      called = true;
    });
    const aFuture = d.asFuture(getRunningLoop());
    aFuture.cancel();
    await sleep(0);
    t.true(called);
    t.is(successResultOf<unknown>(d), undefined);
    t.throws(() => aFuture.result(), { instanceOf: CoreCancelledError });
  });
});

test("DeferredFutureAdapterTests.test_asFutureSuccessCancel", async (t) => {
  await runOn(async () => {
    const d = new Deferred<number>((dprime) => dprime.callback(9));
    const aFuture = d.asFuture(getRunningLoop());
    aFuture.cancel();
    await sleep(0);
    t.is(successResultOf<unknown>(d), undefined);
    t.throws(() => aFuture.result(), { instanceOf: CoreCancelledError });
  });
});

test("DeferredFutureAdapterTests.test_asFutureFailure", async (t) => {
  await runOn(async () => {
    const d = new Deferred<void>();
    const theFailure = new Failure(new RangeError());
    const future = d.asFuture(getRunningLoop());
    await sleep(0);
    d.errback(theFailure);
    await sleep(0);
    t.throws(() => future.result(), { instanceOf: RangeError });
  });
});

test("DeferredFutureAdapterTests.test_fromFuture", async (t) => {
  await runOn(async () => {
    const aFuture = getRunningLoop().createFuture<number>();
    const d = Deferred.fromFuture(aFuture);
    assertNoResult(d);
    aFuture.setResult(7);
    await sleep(0);
    t.is(successResultOf(d), 7);
  });
});

test("DeferredFutureAdapterTests.test_fromFutureFutureCancelled", async (t) => {
  await runOn(async () => {
    const cancelled = getRunningLoop().createFuture<void>();
    const d = Deferred.fromFuture(cancelled);
    cancelled.cancel();
    await sleep(0);
    t.throws(() => cancelled.result(), { instanceOf: CoreCancelledError });
    failureResultOf(d).trap(CoreCancelledError);
  });
});

test("DeferredFutureAdapterTests.test_fromFutureDeferredCancelled", async (t) => {
  await runOn(async () => {
    const cancelled = getRunningLoop().createFuture<void>();
    const d = Deferred.fromFuture(cancelled);
    d.cancel();
    await sleep(0);
    t.true(cancelled.cancelled());
    t.throws(() => cancelled.result(), { instanceOf: CoreCancelledError });
    failureResultOf(d).trap(CoreCancelledError);
  });
});

// ---- the rest of DeferredAddTimeoutTests (…Custom use onTimeoutCancel = _overrideFunc) ----

const overrideFunc = () => "OVERRIDDEN";

test("DeferredAddTimeoutTests.test_timeoutChainable", (t) => {
  const d = new Deferred<void>();
  d.addTimeout(5, new Clock());
  d.addCallback(() => "done");
  d.callback(undefined);
  t.is(successResultOf<unknown>(d), "done");
});

for (const [name, custom] of [["test_successResultBeforeTimeoutCustom", true]] as const) {
  test(`DeferredAddTimeoutTests.${name}`, (t) => {
    const clock = new Clock();
    const d = new Deferred<string>();
    d.addTimeout(10, clock, custom ? overrideFunc : undefined);
    const innerDeferred = new Deferred<void>();
    let dCallbacked: string | undefined;
    d.addCallback((results) => {
      dCallbacked = results;
      return innerDeferred;
    });
    d.callback("results");
    t.is(dCallbacked, "results");
    clock.advance(15);
    assertNoResult(innerDeferred);
  });
}

test("DeferredAddTimeoutTests.test_failureBeforeTimeoutCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock, overrideFunc);
  const innerDeferred = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  const error = new ValueError("fail");
  d.addErrback((f) => {
    dErrbacked = f;
    return innerDeferred;
  });
  d.errback(error);
  t.is(dErrbacked!.value, error);
  clock.advance(15);
  assertNoResult(innerDeferred);
});

test("DeferredAddTimeoutTests.test_timedOutProvidedCancelFailure", (t) => {
  const clock = new Clock();
  const error = new ValueError("what!");
  const d = new Deferred<void>((c) => c.errback(error));
  d.addTimeout(10, clock);
  assertNoResult(d);
  clock.advance(15);
  t.is(failureResultOf(d, ValueError).value, error);
});

test("DeferredAddTimeoutTests.test_cancelBeforeTimeoutCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  d.addTimeout(10, clock, overrideFunc);
  const innerDeferred = new Deferred<void>();
  let dCanceled: Failure | undefined;
  d.addErrback((f) => {
    dCanceled = f;
    return innerDeferred;
  });
  d.cancel();
  t.is(dCanceled!.type, CancelledError);
  clock.advance(15);
  assertNoResult(innerDeferred);
});

test("DeferredAddTimeoutTests.test_providedCancelCalledBeforeTimeoutCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>((c) => c.errback(new ValueError("what!")));
  d.addTimeout(10, clock, overrideFunc);
  assertNoResult(d);
  clock.advance(15);
  t.is(successResultOf<unknown>(d), "OVERRIDDEN");
});

test("DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  d.addErrback((f) => {
    dErrbacked = f;
    return f;
  });
  d.addTimeout(10, clock, overrideFunc);
  clock.advance(15);
  t.true(dErrbacked!.value instanceof CancelledError);
  t.is(successResultOf<unknown>(d), "OVERRIDDEN");
});

test("DeferredAddTimeoutTests.test_errbackAddedBeforeTimeoutSuppressesCancellationCustom", (t) => {
  const clock = new Clock();
  const d = new Deferred<void>();
  let dErrbacked: Failure | undefined;
  d.addErrback((f) => {
    dErrbacked = f;
  });
  d.addTimeout(10, clock, overrideFunc);
  clock.advance(15);
  t.true(dErrbacked!.value instanceof CancelledError);
  t.is(successResultOf<unknown>(d), "OVERRIDDEN");
});

test("DeferredAddTimeoutTests.test_callbackAddedToCancelerBeforeTimeoutCustom", (t) => {
  const clock = new Clock();
  const success = "success";
  const d = new Deferred<string>((x) => x.callback(success));
  let dCallbacked: string | undefined;
  d.addCallback((value) => {
    dCallbacked = value;
    return value;
  });
  d.addTimeout(10, clock, overrideFunc);
  clock.advance(15);
  t.is(dCallbacked, success);
  t.is(successResultOf<unknown>(d), "OVERRIDDEN");
});

// ---- the rest of OtherPrimitivesTests ----------------------------------------------

for (const [name, make] of [
  ["test_cancelLockAfterAcquired", () => new DeferredLock().acquire()],
  ["test_cancelSemaphoreAfterAcquired", () => new DeferredSemaphore(1).acquire()],
  [
    "test_cancelQueueAfterSynchronousGet",
    () => {
      const q = new DeferredQueue<null>();
      const d = q.get();
      q.put(null);
      return d;
    },
  ],
] as const) {
  test(`OtherPrimitivesTests.${name}`, (t) => {
    const d = (make as () => Deferred<unknown>)();
    d.addErrback(() => t.fail("Unexpected errback call!"));
    d.cancel();
    t.true(d.called);
  });
}

// ---- FirstErrorTests -----------------------------------------------------------------

test("FirstErrorTests.test_str / test_repr", (t) => {
  const f = new Failure(new ValueError("some text"));
  const error = new FirstError(f, 3);
  t.is(error.message, "FirstError[#3, some text]");
  t.is(error.index, 3);
  t.is(error.subFailure, f);
});

test("FirstErrorTests.test_comparison", (t) => {
  const firstFailure = new Failure(new RangeError());
  const one = new FirstError(firstFailure, 13);
  const anotherOne = new FirstError(firstFailure, 13);
  const another = new FirstError(new Failure(new ValueError("bar")), 9);
  t.true(one.equals(anotherOne));
  t.false(one.equals(another));
  t.false(one.equals(10));
});

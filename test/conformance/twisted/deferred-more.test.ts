// More ports from test_defer.py: the remaining DeferredTests, AlreadyCalledTests
// and DeferredCancellerTests that apply to JavaScript.
import test from "ava";
import {
  AlreadyCalledError,
  DeferredCancelledError as CancelledError,
  Deferred,
  DeferredList,
  Failure,
  FirstError,
  NotACoroutineError,
  gatherResults,
  getDebugging,
  maybeDeferred,
  setDebugging,
} from "../../../adapters/twisted/index.js";
import { GenericError, assertImmediateFailure, assertNoResult, failureResultOf, successResultOf } from "./trial.js";

const fakeCallbackCanceller = (d: Deferred<string>) => d.callback("Callback Result");

test("DeferredTests.test_addCallbacksNoneCallbackArgs / test_addCallbacksNoneErrbackArgs", (t) => {
  const seen: unknown[][] = [];
  const d = new Deferred<string>();
  d.addCallbacks((...a: unknown[]) => void seen.push(a), null, null, null);
  d.callback("hello");
  const e = new Deferred<string>();
  e.addCallbacks(
    () => undefined,
    (...a: unknown[]) => void seen.push(a),
    null,
    null,
  );
  const err = new GenericError("x");
  e.errback(err);
  t.deepEqual(seen[0], ["hello"]);
  t.is(seen[1]!.length, 1);
  t.is((seen[1]![0] as Failure).value, err);
});

test("DeferredTests.testDeferredListFireOnOneErrorWithAlreadyFiredDeferreds", (t) => {
  const d1 = new Deferred<void>();
  const d2 = new Deferred<void>();
  d1.errback(new GenericError("Bang"));
  const dl = new DeferredList([d1, d2], { fireOnOneErrback: true });
  const result: Failure[] = [];
  dl.addErrback((f) => void result.push(f));
  t.is(result.length, 1);
  d1.addErrback(() => undefined);
});

test("DeferredTests.test_cancelDeferredListCallback", (t) => {
  const deferredOne = new Deferred<string>(fakeCallbackCanceller);
  const deferredTwo = new Deferred<string>();
  const deferredList = new DeferredList([deferredOne, deferredTwo]);
  deferredList.cancel();
  failureResultOf(deferredTwo, CancelledError);
  const result = successResultOf(deferredList);
  t.true(result[0]![0]);
  t.is(result[0]![1], "Callback Result");
  t.false(result[1]![0]);
  t.truthy((result[1]![1] as Failure).check(CancelledError));
});

test("DeferredTests.test_cancelDeferredListWithFireOnOneCallback", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneCallback: true });
  deferredList.cancel();
  failureResultOf(deferredOne, CancelledError);
  failureResultOf(deferredTwo, CancelledError);
  // Every member failed: the list fires with all the pairs (Twisted's last branch of _cbDeferred).
  const pairs = successResultOf(deferredList);
  t.deepEqual(
    pairs.map((p) => p[0]),
    [false, false],
  );
});

test("DeferredTests.test_cancelDeferredListWithFireOnOneCallbackAndDeferredCallback", (t) => {
  const deferredOne = new Deferred<string>(fakeCallbackCanceller);
  const deferredTwo = new Deferred<string>();
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneCallback: true });
  deferredList.cancel();
  failureResultOf(deferredTwo, CancelledError);
  t.deepEqual(successResultOf(deferredList) as unknown, ["Callback Result", 0]);
});

test("DeferredTests.test_cancelDeferredListWithFireOnOneErrback", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneErrback: true });
  deferredList.cancel();
  failureResultOf(deferredOne, CancelledError);
  failureResultOf(deferredTwo, CancelledError);
  const firstError = failureResultOf(deferredList, FirstError).value as FirstError;
  t.truthy(firstError.subFailure.check(CancelledError));
});

test("DeferredTests.test_cancelDeferredListWithFireOnOneErrbackAllDeferredsCallback", (t) => {
  const deferredOne = new Deferred<string>(fakeCallbackCanceller);
  const deferredTwo = new Deferred<string>(fakeCallbackCanceller);
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneErrback: true });
  deferredList.cancel();
  t.deepEqual(successResultOf(deferredList), [
    [true, "Callback Result"],
    [true, "Callback Result"],
  ]);
});

test("DeferredTests.test_cancelDeferredListWithOriginalDeferreds", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const argumentList = [deferredOne, deferredTwo];
  const deferredList = new DeferredList(argumentList);
  const deferredThree = new Deferred<void>();
  argumentList.push(deferredThree);
  deferredList.cancel();
  failureResultOf(deferredOne, CancelledError);
  failureResultOf(deferredTwo, CancelledError);
  assertNoResult(deferredThree);
  t.pass();
});

test("DeferredTests.test_cancelGatherResultsWithAllDeferredsCallback", (t) => {
  const deferredOne = new Deferred<string>(fakeCallbackCanceller);
  const deferredTwo = new Deferred<string>(fakeCallbackCanceller);
  const result = gatherResults([deferredOne, deferredTwo]);
  result.cancel();
  t.deepEqual(successResultOf(result), ["Callback Result", "Callback Result"]);
});

test("DeferredTests.testReturnDeferred", (t) => {
  const d1 = new Deferred<number>();
  const d2 = new Deferred<number>();
  d2.pause();
  let callbackResults: unknown[] | undefined;
  d1.addCallback(() => d2);
  d1.addCallback((...a: unknown[]) => {
    callbackResults = a;
  });
  d1.callback(1);
  t.is(callbackResults, undefined, "Should not have been called yet.");
  d2.callback(2);
  t.is(callbackResults, undefined, "Still should not have been called yet.");
  d2.unpause();
  t.is(callbackResults![0], 2, "Result should have been from second deferred");
});

test("DeferredTests.test_maybeDeferredAsyncError", (t) => {
  const d1 = new Deferred<void>();
  const d2 = maybeDeferred(() => d1);
  d1.errback(new Failure(new RangeError()));
  t.true(assertImmediateFailure(d2, RangeError) instanceof RangeError);
});

test("DeferredTests.test_chainDeferredRecordsExplicitChain", (t) => {
  const a = new Deferred<void>();
  const b = new Deferred<void>();
  b.chainDeferred(a);
  t.is(a._chainedTo, b);
});

test("DeferredTests.test_explicitChainClearedWhenResolved", (t) => {
  const a = new Deferred<void>();
  const b = new Deferred<void>();
  b.chainDeferred(a);
  b.callback(undefined);
  t.is(a._chainedTo, undefined);
});

test("DeferredTests.test_chainDeferredRecordsImplicitChain", (t) => {
  const a = new Deferred<void>();
  const b = new Deferred<void>();
  a.addCallback(() => b);
  a.callback(undefined);
  t.is(a._chainedTo, b);
});

test("DeferredTests.test_reprWithResult", (t) => {
  const d = new Deferred<string>();
  d.callback("orange");
  t.regex(String(d), /^<Deferred at 0x[0-9a-f]+ current result: 'orange'>$/);
});

test("DeferredTests.test_fromCoroutineRequiresCoroutine", (t) => {
  for (const thing of [(x: unknown) => x, 1, true, null, undefined, {}, Math]) {
    t.throws(() => Deferred.fromCoroutine(thing as never), { instanceOf: NotACoroutineError });
  }
});

test.serial("AlreadyCalledTests.testNoDebugging", (t) => {
  const was = getDebugging();
  setDebugging(false);
  try {
    const d = new Deferred<string>();
    d.addCallbacks(
      () => undefined,
      () => undefined,
    );
    d.callback("hello");
    const e = t.throws(() => d.callback("twice"), { instanceOf: AlreadyCalledError })!;
    t.is(e.message, "");
  } finally {
    setDebugging(was);
  }
});

test.serial("AlreadyCalledTests.testSwitchDebugging", (t) => {
  const was = getDebugging();
  try {
    setDebugging(false);
    let d = new Deferred<void>();
    d.addBoth(() => undefined);
    setDebugging(true);
    d.callback(undefined);
    setDebugging(false);
    d = new Deferred<void>();
    d.callback(undefined);
    setDebugging(true);
    d.addBoth(() => undefined);
    t.pass();
  } finally {
    setDebugging(was);
  }
});

for (const [name, first, second] of [
  ["testAlreadyCalledDebug_CE", "callback", "errback"],
  ["testAlreadyCalledDebug_EC", "errback", "callback"],
  ["testAlreadyCalledDebug_EE", "errback", "errback"],
] as const) {
  test.serial(`AlreadyCalledTests.${name}`, (t) => {
    const was = getDebugging();
    setDebugging(true);
    try {
      const d = new Deferred<string>();
      d.addCallbacks(
        () => undefined,
        () => undefined,
      );
      const fire = (how: "callback" | "errback") =>
        how === "callback" ? d.callback("x") : d.errback(new Failure(new RangeError()));
      function _first() {
        fire(first);
      }
      function _second() {
        fire(second);
      }
      _first();
      const e = t.throws(() => _second(), { instanceOf: AlreadyCalledError })!;
      const lines = e.message.split("\n");
      t.true(lines.some((l) => l.startsWith(" C: Deferred was created:")));
      t.is(lines.filter((l) => l.startsWith(" I:") && l.includes("_first")).length, 1);
      t.is(lines.filter((l) => l.startsWith(" I:") && l.includes("_second")).length, 0);
    } finally {
      setDebugging(was);
    }
  });
}

test("DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndErrback", (t) => {
  let errbackResults: Failure | undefined;
  const d = new Deferred<void>();
  d.addCallbacks(
    () => undefined,
    (f) => {
      errbackResults = f;
    },
  );
  d.cancel();
  t.is(errbackResults!.type, CancelledError);
  const currentFailure = errbackResults;
  d.errback(new GenericError());
  t.is(errbackResults!.type, CancelledError);
  d.cancel();
  t.is(errbackResults, currentFailure);
});

test("DeferredListEmptyTests.testDeferredListEmpty", (t) => {
  let callbackRan = 0;
  const dl = new DeferredList([]);
  dl.addCallback((r) => {
    t.deepEqual(r, []);
    callbackRan = 1;
  });
  t.is(callbackRan, 1);
});

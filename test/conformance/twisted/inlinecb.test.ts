// Ports of twisted/internet/test/test_inlinecb.py (CancellationTests,
// StopIterationReturnTests) and twisted/test/test_defgen.py
// (InlineCallbacksTests), plus trunk's test_inlineCallbacksCancelCaptured.
// JavaScript difference: inlineCallbacks takes a `function*`, and a plain
// `return` is the result (Twisted's returnValue is deprecated; we have none).
import test from "ava";
import { ContextVar, copyContext } from "../../../src/index.js";
import {
  DeferredCancelledError as CancelledError,
  Clock,
  Deferred,
  Failure,
  fail,
  inlineCallbacks,
  succeed,
} from "../../../adapters/twisted/index.js";
import { assertNoResult, failureResultOf, successResultOf } from "./trial.js";

class UntranslatedError extends Error {}
class TranslatedError extends Error {}
class DontFail extends Error {
  constructor(readonly actualValue: number) {
    super();
  }
}

/** CancellationTests' fixture: sampleInlineCB and the outstanding Deferreds. */
function fixture() {
  const deferredsOutstanding: Deferred<unknown>[] = [];
  const getDeferred = () => {
    const d = new Deferred<unknown>();
    deferredsOutstanding.push(d);
    return d;
  };
  const sampleInlineCB = inlineCallbacks(function* (getChildDeferred: () => Deferred<unknown> = getDeferred) {
    let x: number;
    try {
      x = (yield getChildDeferred()) as number;
    } catch (e) {
      if (e instanceof UntranslatedError) throw new TranslatedError();
      if (e instanceof DontFail) x = e.actualValue - 2;
      else throw e;
    }
    return x + 1;
  });
  const deferredGotten = (result?: unknown) => deferredsOutstanding.shift()!.callback(result);
  return { deferredsOutstanding, getDeferred, sampleInlineCB, deferredGotten };
}

test("CancellationTests.test_cascadeCancellingOnCancel", (t) => {
  const { sampleInlineCB } = fixture();
  let childResultHolder: unknown = "FAILURE";
  const getChildDeferred = () => {
    const d = new Deferred<unknown>();
    d.addErrback((result) => {
      childResultHolder = result.check(CancelledError);
      return result;
    });
    return d;
  };
  const d = sampleInlineCB(getChildDeferred);
  d.addErrback(() => undefined);
  d.cancel();
  t.is(childResultHolder, CancelledError, "no cascade cancelling occurs");
});

test("CancellationTests.test_errbackCancelledErrorOnCancel", (t) => {
  const { sampleInlineCB } = fixture();
  const d = sampleInlineCB();
  d.cancel();
  t.throws(() => failureResultOf(d).raiseException(), { instanceOf: CancelledError });
});

test("CancellationTests.test_errorToErrorTranslation (trunk: test_ErrorToErrorTranslation)", (t) => {
  const { sampleInlineCB } = fixture();
  const a = new Deferred<unknown>((it) => it.errback(new UntranslatedError()));
  const d = sampleInlineCB(() => a);
  d.cancel();
  t.throws(() => failureResultOf(d).raiseException(), { instanceOf: TranslatedError });
});

test("CancellationTests.test_errorToSuccessTranslation (trunk: test_ErrorToSuccessTranslation)", (t) => {
  const { sampleInlineCB } = fixture();
  const a = new Deferred<unknown>((it) => it.errback(new DontFail(4321)));
  const d = sampleInlineCB(() => a);
  const results: unknown[] = [];
  d.addCallback((r) => void results.push(r));
  d.cancel();
  t.deepEqual(results, [4320]);
});

test("CancellationTests.test_asynchronousCancellation (trunk: test_AsynchronousCancellation)", (t) => {
  const { sampleInlineCB } = fixture();
  const moreDeferred = new Deferred<number>();
  const deferMe = () => {
    const d = new Deferred<unknown>();
    d.addErrback((result) => {
      result.trap(CancelledError);
      return moreDeferred;
    });
    return d;
  };
  const d = sampleInlineCB(deferMe);
  d.cancel();
  assertNoResult(d);
  moreDeferred.callback(6543);
  t.is(successResultOf(d), 6544);
});

test("CancellationTests.test_CascadeCancellingOnCancelNotStacked: nested inlineCallbacks cancel down to the innermost wait", (t) => {
  const leaf = new Deferred<number>();
  const inner = inlineCallbacks(function* () {
    return ((yield leaf) as number) + 1;
  });
  const outer = inlineCallbacks(function* () {
    return ((yield inner()) as number) + 1;
  });
  const d = outer();
  d.cancel();
  failureResultOf(d, CancelledError);
  t.true(leaf.called);
});

// Trunk (test_defer.py InlineCallbacksTests): a generator that catches the
// CancelledError and goes on leaves the outer Deferred unfired; it can be
// cancelled again.
test("InlineCallbacksTests.test_inlineCallbacksCancelCaptured", (t) => {
  const canceller1: Deferred<unknown> = new Deferred();
  const canceller2: Deferred<unknown> = new Deferred();
  const seen: string[] = [];
  const f = inlineCallbacks(function* () {
    try {
      yield canceller1;
    } catch (e) {
      seen.push(e instanceof CancelledError ? "first" : "other");
    }
    yield canceller2;
    return "unreachable";
  });
  const d = f();
  d.cancel();
  assertNoResult(d);
  t.deepEqual(seen, ["first"]);
  d.cancel();
  failureResultOf(d, CancelledError);
});

test("StopIterationReturnTests.test_returnWithValue", (t) => {
  const f = inlineCallbacks(function* () {
    yield undefined;
    return 6;
  });
  t.is(successResultOf(f()), 6);
});

test("InlineCallbacksTests.testReturnNoValue", (t) => {
  const f = inlineCallbacks(function* () {
    yield 5;
  });
  t.is(successResultOf(f()), undefined);
});

test("InlineCallbacksTests.testYieldNonDeferred", (t) => {
  const f = inlineCallbacks(function* () {
    const x = yield 5;
    return x;
  });
  t.is(successResultOf(f()), 5);
});

test("InlineCallbacksTests.testStackUsage (100,000 immediately available Deferreds)", (t) => {
  const f = inlineCallbacks(function* () {
    for (let i = 0; i < 100_000; i++) yield succeed(1);
    return 0;
  });
  t.is(successResultOf(f()), 0);
});

test("InlineCallbacksTests.testStackUsage2 (100,000 immediately available values)", (t) => {
  const f = inlineCallbacks(function* () {
    for (let i = 0; i < 100_000; i++) yield 1;
    return 0;
  });
  t.is(successResultOf(f()), 0);
});

test("InlineCallbacksTests.test_nonGeneratorReturn", (t) => {
  const f = inlineCallbacks((() => 5) as never);
  const e = t.throws(() => f(), { instanceOf: TypeError })!;
  t.regex(e.message, /inlineCallbacks/);
});

test("inlineCallbacks: a failure is thrown in at the yield, an uncaught throw fails the Deferred", (t) => {
  const f = inlineCallbacks(function* () {
    try {
      yield fail(new RangeError("in"));
    } catch (e) {
      t.true(e instanceof RangeError);
    }
    throw new TypeError("out");
  });
  t.is(failureResultOf(f(), TypeError).getErrorMessage(), "out");
});

test("inlineCallbacks: the yielded Deferred's result is consumed, and asynchronous results resume the generator", (t) => {
  const waits = [new Deferred<number>(), new Deferred<number>()];
  const f = inlineCallbacks(function* () {
    const a = (yield waits[0]) as number;
    const b = (yield waits[1]) as number;
    return a + b;
  });
  const d = f();
  waits[0]!.callback(1);
  assertNoResult(d);
  waits[1]!.callback(2);
  t.is(successResultOf(d), 3);
  t.is(waits[0]!.result, undefined);
});

test("inlineCallbacks: yielding a generator coroutine runs it inline", (t) => {
  function* child(): Generator<unknown, number, unknown> {
    const v = (yield succeed(20)) as number;
    return v + 1;
  }
  const f = inlineCallbacks(function* () {
    return ((yield child()) as number) * 2;
  });
  t.is(successResultOf(f()), 42);
});

test("inlineCallbacks: `this` and arguments are passed through", (t) => {
  const obj = {
    base: 10,
    add: inlineCallbacks(function* (this: { base: number }, n: number) {
      yield undefined;
      return this.base + n;
    }),
  };
  t.is(successResultOf(obj.add(5)), 15);
});

test("inlineCallbacks: a Failure yielded value is a value (only Deferreds fail)", (t) => {
  const f0 = new Failure(new Error("as a value"));
  const f = inlineCallbacks(function* () {
    const x = yield f0;
    return x;
  });
  // Twisted: a yielded non-Deferred is sent back; a Failure sent back is thrown in.
  // Ours follows _inlineCallbacks literally: the result is a Failure, so it is thrown in.
  t.is(failureResultOf(f()).getErrorMessage(), "as a value");
});

// test_defer.py CoroutineContextVarsTests.test_withInlineCallbacks: each step
// runs in the context copied at the call; what the Deferreds' firers set does
// not leak in.
test("CoroutineContextVarsTests.test_withInlineCallbacks", (t) => {
  const clock = new Clock();
  const v = new ContextVar<number>("testvar");
  const root = copyContext();
  root.run(() => {
    v.set(1);
    const mutatingDeferred = new Deferred<boolean>();
    mutatingDeferred.addCallback(() => void v.set(3));
    const mutatingDeferredThatFails = new Deferred<number>();
    mutatingDeferredThatFails.addCallback(() => void v.set(4));
    mutatingDeferredThatFails.addCallback(() => {
      throw new RangeError("division by zero");
    });
    const yieldingDeferred = inlineCallbacks(function* () {
      const d = new Deferred<boolean>();
      clock.callLater(1, () => d.callback(true));
      yield d;
      v.set(3);
    });
    const testFunction = inlineCallbacks(function* () {
      t.is(v.get(), 2);
      yield succeed(1);
      t.is(v.get(), 2);
      clock.callLater(1, () => mutatingDeferred.callback(true));
      yield mutatingDeferred;
      t.is(v.get(), 2);
      clock.callLater(1, () => mutatingDeferredThatFails.callback(1));
      try {
        yield mutatingDeferredThatFails;
        throw new Error("???? should have failed");
      } catch (e) {
        t.true(e instanceof RangeError);
        t.is(v.get(), 2);
      }
      yield yieldingDeferred();
      t.is(v.get(), 2);
      return true;
    });
    v.set(2);
    const d = testFunction();
    clock.advance(1);
    clock.advance(1);
    clock.advance(1);
    t.is(successResultOf(d), true);
    t.is(v.get(), 4); // the firers ran here, in the caller's context
  });
});

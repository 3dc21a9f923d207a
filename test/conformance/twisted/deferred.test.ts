// Ports of twisted/test/test_defer.py (Twisted 22.4 / trunk): DeferredTests,
// AlreadyCalledTests, DeferredCancellerTests. Each title is the Twisted test's
// name; where JavaScript forces a difference it is said next to the test.
import test from "ava";
import {
  AlreadyCalledError,
  DeferredCancelledError as CancelledError,
  Deferred,
  Failure,
  fail,
  gatherResults,
  getDebugging,
  setDebugging,
  succeed,
} from "../../../adapters/twisted/index.js";
import { GenericError, assertImmediateFailure, failureResultOf, successResultOf } from "./trial.js";

/** DeferredTests' recorders: _callback returns its first argument, _callback2 and _errback return undefined. */
function recorders() {
  const r = {
    callbackResults: undefined as unknown[] | undefined,
    callback2Results: undefined as unknown[] | undefined,
    errbackResults: undefined as unknown[] | undefined,
    _callback: (...args: unknown[]) => {
      r.callbackResults = args;
      return args[0];
    },
    _callback2: (...args: unknown[]) => {
      r.callback2Results = args;
    },
    _errback: (...args: unknown[]) => {
      r.errbackResults = args;
    },
  };
  return r;
}

// ---- A. chain mechanics -----------------------------------------------------

test("DeferredTests.testCallbackWithoutArgs", (t) => {
  const r = recorders();
  const deferred = new Deferred<string>();
  deferred.addCallback(r._callback);
  deferred.callback("hello");
  t.is(r.errbackResults, undefined);
  t.deepEqual(r.callbackResults, ["hello"]);
});

test("DeferredTests.testCallbackWithArgs", (t) => {
  const r = recorders();
  const deferred = new Deferred<string>();
  deferred.addCallback(r._callback, "world");
  deferred.callback("hello");
  t.is(r.errbackResults, undefined);
  t.deepEqual(r.callbackResults, ["hello", "world"]);
});

test("DeferredTests.testTwoCallbacks", (t) => {
  const r = recorders();
  const deferred = new Deferred<string>();
  deferred.addCallback(r._callback);
  deferred.addCallback(r._callback2);
  deferred.callback("hello");
  t.is(r.errbackResults, undefined);
  t.deepEqual(r.callbackResults, ["hello"]);
  t.deepEqual(r.callback2Results, ["hello"]);
});

test("DeferredTests.test_addCallbacksNoneErrback", (t) => {
  const r = recorders();
  const error = new GenericError("oopsie");
  const deferred = new Deferred<void>();
  deferred.addCallbacks(r._callback, null);
  deferred.errback(error);
  deferred.addErrback(r._errback);
  t.is(r.callbackResults, undefined);
  t.is(r.errbackResults!.length, 1);
  t.is((r.errbackResults![0] as Failure).value, error);
});

test("DeferredTests.testCallbackErrors", (t) => {
  let l: Failure[] = [];
  let d: Deferred<any> = new Deferred()
    .addCallback(() => {
      throw new RangeError("division by zero");
    })
    .addErrback((f) => void l.push(f));
  d.callback(1);
  t.true(l[0]!.value instanceof RangeError);
  l = [];
  d = new Deferred().addCallback(() => new Failure(new RangeError())).addErrback((f) => void l.push(f));
  d.callback(1);
  t.true(l[0]!.value instanceof RangeError);
});

// Twisted trunk: a callback typed to maybe return a Failure switches the track
// only when it does; returning an Error *value* (not a Failure) stays a success.
test("DeferredTests.test_callbackMaybeReturnsFailure", (t) => {
  const d = new Deferred<number>();
  d.addCallback((n) => (n > 0 ? new Failure(new GenericError("positive")) : n));
  d.callback(1);
  t.true(failureResultOf(d, GenericError).value instanceof GenericError);
  const err = new GenericError("a value");
  const e = succeed(0).addCallback(() => err);
  t.is(successResultOf(e), err); // R3: only a Failure switches the track (MochiKit gets this wrong)
});

test("DeferredTests.testImmediateSuccess", (t) => {
  const l: string[] = [];
  const d = succeed("success");
  d.addCallback((x) => void l.push(x));
  t.deepEqual(l, ["success"]);
});

test("DeferredTests.testImmediateFailure", (t) => {
  const l: Failure[] = [];
  const d = fail(new GenericError("fail"));
  d.addErrback((f) => void l.push(f));
  t.is((l[0]!.value as Error).message, "fail");
});

// Twisted trunk: succeed(x) has the same state as Deferred(); d.callback(x).
test("DeferredTests.test_succeedMatchesManualSuccess", (t) => {
  const manual = new Deferred<string>();
  manual.callback("x");
  const s = succeed("x");
  for (const k of [
    "called",
    "paused",
    "result",
    "callbacks",
    "_chainedTo",
    "_canceller",
    "_suppressAlreadyCalled",
    "_runningCallbacks",
  ] as const) {
    t.deepEqual(s[k], manual[k], k);
  }
});

test("DeferredTests.testPausedFailure", (t) => {
  const l: Failure[] = [];
  const d = fail(new GenericError("fail"));
  d.pause();
  d.addErrback((f) => void l.push(f));
  t.deepEqual(l, []);
  d.unpause();
  t.is((l[0]!.value as Error).message, "fail");
});

test("DeferredTests.testUnpauseBeforeCallback", (t) => {
  const r = recorders();
  const d = new Deferred<void>();
  d.pause();
  d.addCallback(r._callback);
  d.unpause();
  t.is(r.callbackResults, undefined); // not fired: unpause runs nothing
});

test("DeferredTests.test_reentrantRunCallbacks", (t) => {
  const deferred = new Deferred<void>();
  const called: number[] = [];
  deferred.addCallback(() => {
    called.push(1);
    deferred.addCallback(() => void called.push(3));
  });
  deferred.addCallback(() => void called.push(2));
  deferred.callback(undefined);
  t.deepEqual(called, [1, 2, 3]);
});

test("DeferredTests.test_nonReentrantCallbacks", (t) => {
  const deferred = new Deferred<void>();
  const called: number[] = [];
  deferred.addCallback(() => {
    called.push(1);
    deferred.addCallback(() => void called.push(2));
    t.deepEqual(called, [1]);
  });
  deferred.callback(undefined);
  t.deepEqual(called, [1, 2]);
});

test("DeferredTests.test_reentrantRunCallbacksWithFailure", (t) => {
  const exceptionMessage = "callback raised exception";
  const deferred = new Deferred<void>();
  deferred.addCallback(() => {
    deferred.addCallback(() => {
      throw new Error(exceptionMessage);
    });
  });
  deferred.callback(undefined);
  const exception = assertImmediateFailure(deferred, Error) as Error;
  t.is(exception.message, exceptionMessage);
});

test("R1: every return value replaces the result, undefined included", (t) => {
  const seen: unknown[] = [];
  const d = succeed(1)
    .addCallback(() => undefined)
    .addCallback((r) => {
      seen.push(r);
      return null;
    })
    .addCallback((r) => void seen.push(r));
  t.deepEqual(seen, [undefined, null]);
  t.is(d.result, undefined);
});

// ---- B. returned-Deferred chaining and result stealing ----------------------

// Twisted trunk: a callback returning an unfired Deferred pauses the chain until it fires.
test("DeferredTests.test_callbackReturnsDeferred", (t) => {
  const outer = new Deferred<string>();
  const inner = new Deferred<string>();
  const seen: string[] = [];
  outer.addCallback(() => inner).addCallback((r) => void seen.push(r));
  outer.callback("outer");
  t.deepEqual(seen, []);
  t.is(outer.paused, 1);
  t.is(outer.result, inner);
  inner.callback("inner");
  t.deepEqual(seen, ["inner"]);
  t.is(outer.paused, 0);
});

test("DeferredTests.test_errbackReturnsDeferred", (t) => {
  const outer = new Deferred<string>();
  const inner = new Deferred<string>();
  const seen: string[] = [];
  outer.addErrback(() => inner).addCallback((r) => void seen.push(r as string));
  outer.errback(new GenericError("x"));
  t.deepEqual(seen, []);
  inner.callback("recovered");
  t.deepEqual(seen, ["recovered"]);
});

test("DeferredTests.test_chainedPausedDeferredWithResult", (t) => {
  const expected = {};
  const paused = new Deferred<object>();
  paused.callback(expected);
  paused.pause();
  const chained = new Deferred<void>();
  chained.addCallback(() => paused);
  chained.callback(undefined);
  const result: unknown[] = [];
  chained.addCallback((r) => void result.push(r));
  t.deepEqual(result, []);
  paused.unpause();
  t.is(result.length, 1);
  t.is(result[0], expected);
});

test("DeferredTests.test_pausedDeferredChained", (t) => {
  const first = new Deferred<void>();
  const second = new Deferred<void>();
  first.addCallback(() => second);
  first.callback(undefined);
  first.pause();
  second.callback(undefined);
  const result: unknown[] = [];
  second.addCallback((r) => void result.push(r));
  t.deepEqual(result, [undefined]);
});

test("DeferredTests.test_synchronousImplicitChain", (t) => {
  const result = {};
  const first = succeed(result);
  const second = new Deferred<void>();
  second.addCallback(() => first);
  second.callback(undefined);
  const results: unknown[] = [];
  first.addCallback((r) => void results.push(r));
  t.is(results[0], undefined);
  second.addCallback((r) => void results.push(r));
  t.is(results[1], result);
});

test("DeferredTests.test_asynchronousImplicitChain", (t) => {
  const first = new Deferred<object>();
  const second = new Deferred<object>();
  second.addCallback(() => first);
  second.callback({});
  const firstResult: unknown[] = [];
  first.addCallback((r) => void firstResult.push(r));
  const secondResult: unknown[] = [];
  second.addCallback((r) => void secondResult.push(r));
  t.deepEqual(firstResult, []);
  t.deepEqual(secondResult, []);
  const result = {};
  first.callback(result);
  t.deepEqual(firstResult, [undefined]);
  t.is(secondResult.length, 1);
  t.is(secondResult[0], result);
});

test("DeferredTests.test_synchronousImplicitErrorChain", (t) => {
  const first = fail(new RangeError("First Deferred's Failure"));
  const second = new Deferred<void>();
  second.addCallback(() => first);
  second.callback(undefined);
  const firstResult: unknown[] = [];
  first.addCallback((r) => void firstResult.push(r));
  t.is(firstResult[0], undefined);
  t.true(assertImmediateFailure(second, RangeError) instanceof RangeError);
});

test("DeferredTests.test_asynchronousImplicitErrorChain", (t) => {
  const first = new Deferred<void>();
  const second = new Deferred<void>();
  second.addCallback(() => first);
  second.callback(undefined);
  const secondError: Failure[] = [];
  second.addErrback((f) => void secondError.push(f));
  const firstResult: unknown[] = [];
  first.addCallback((r) => void firstResult.push(r));
  const secondResult: unknown[] = [];
  second.addCallback((r) => void secondResult.push(r));
  t.deepEqual(firstResult, []);
  t.deepEqual(secondResult, []);
  first.errback(new RangeError("First Deferred's Failure"));
  t.truthy(secondError[0]!.check(RangeError));
  t.deepEqual(firstResult, [undefined]);
  t.is(secondResult.length, 1);
});

test("DeferredTests.test_doubleAsynchronousImplicitChaining", (t) => {
  const first = new Deferred<object>();
  const second = new Deferred<object>();
  second.addCallback(() => first);
  const third = new Deferred<object>();
  third.addCallback(() => second);
  const thirdResult: unknown[] = [];
  third.addCallback((r) => void thirdResult.push(r));
  const result = {};
  second.callback({});
  third.callback({});
  t.deepEqual(thirdResult, []);
  first.callback(result);
  t.is(thirdResult.length, 1);
  t.is(thirdResult[0], result);
});

test("DeferredTests.test_nestedAsynchronousChainedDeferreds", (t) => {
  const results: unknown[] = [];
  const failures: Failure[] = [];
  const inner = new Deferred<string>();
  const cb = (result: string) => {
    results.push(["start-of-cb", result]);
    const d = succeed("inner");
    d.addCallback(() => {
      results.push(["firstCallback", "inner"]);
      return inner;
    }).addCallback((r: string) => {
      results.push(["secondCallback", r]);
      return r + r;
    });
    d.addErrback((f) => void failures.push(f));
    return d;
  };
  const outer = succeed("outer");
  outer.addCallback(cb);
  outer.addCallback((r) => void results.push(r));
  t.deepEqual(results, [
    ["start-of-cb", "outer"],
    ["firstCallback", "inner"],
  ]);
  inner.callback("orange");
  inner.addErrback((f) => void failures.push(f));
  outer.addErrback((f) => void failures.push(f));
  t.deepEqual(failures, [], "Got errbacks but wasn't expecting any.");
  t.deepEqual(results, [
    ["start-of-cb", "outer"],
    ["firstCallback", "inner"],
    ["secondCallback", "orange"],
    "orangeorange",
  ]);
});

test("DeferredTests.test_nestedAsynchronousChainedDeferredsWithExtraCallbacks", (t) => {
  const results: unknown[] = [];
  const failures: Failure[] = [];
  const inner = new Deferred<unknown>();
  const cb = (result: string) => {
    results.push(["start-of-cb", result]);
    const d = succeed("inner");
    d.addCallback((r: string) => {
      results.push(["firstCallback", r]);
      return inner.addCallback((x) => [x]);
    });
    d.addCallback((r: unknown) => {
      results.push(["secondCallback", r]);
      return [...(r as string[]), ...(r as string[])];
    });
    d.addErrback((f) => void failures.push(f));
    return d;
  };
  const outer = succeed("outer");
  outer.addCallback(cb);
  outer.addCallback((r) => void results.push(r));
  t.deepEqual(results, [
    ["start-of-cb", "outer"],
    ["firstCallback", "inner"],
  ]);
  inner.callback("withers");
  outer.addErrback((f) => void failures.push(f));
  inner.addErrback((f) => void failures.push(f));
  t.deepEqual(failures, []);
  t.deepEqual(results, [
    ["start-of-cb", "outer"],
    ["firstCallback", "inner"],
    ["secondCallback", ["withers"]],
    ["withers", "withers"],
  ]);
});

test("DeferredTests.test_innerCallbacksPreserved", (t) => {
  const results: unknown[] = [];
  const failures: Failure[] = [];
  const inner = new Deferred<string>();
  const cb = (result: string) => {
    results.push(["start-of-cb", result]);
    const d = succeed("inner");
    d.addCallback(() => {
      results.push(["firstCallback", "inner"]);
      return inner;
    }).addCallback((r: string) => {
      results.push(["secondCallback", r]);
      return r + r;
    });
    d.addErrback((f) => void failures.push(f));
    return d;
  };
  const outer = succeed("outer");
  outer.addCallback(cb);
  inner.callback("orange");
  outer.addCallback((r) => void results.push(r));
  inner.addErrback((f) => void failures.push(f));
  outer.addErrback((f) => void failures.push(f));
  t.deepEqual(failures, []);
  t.deepEqual(results, [
    ["start-of-cb", "outer"],
    ["firstCallback", "inner"],
    ["secondCallback", "orange"],
    "orangeorange",
  ]);
});

test("DeferredTests.test_continueCallbackNotFirst", (t) => {
  const results: unknown[] = [];
  const failures: Failure[] = [];
  const a = new Deferred<string>();
  const cb = (result: string) => {
    results.push(["cb", result]);
    const d = new Deferred<unknown>();
    d.addCallback((r) => {
      results.push(["firstCallback", r]);
      return gatherResults([a]);
    });
    d.addCallback((r) => void results.push(["secondCallback", r]));
    d.addErrback((f) => void failures.push(f));
    d.callback(undefined);
    return d;
  };
  const outer = succeed("outer");
  outer.addCallback(cb);
  outer.addErrback((f) => void failures.push(f));
  t.deepEqual(results, [
    ["cb", "outer"],
    ["firstCallback", undefined],
  ]);
  a.callback("withers");
  t.deepEqual(failures, []);
  t.deepEqual(results, [
    ["cb", "outer"],
    ["firstCallback", undefined],
    ["secondCallback", ["withers"]],
  ]);
});

test("DeferredTests.test_callbackOrderPreserved", (t) => {
  const results: unknown[] = [];
  const failures: Failure[] = [];
  const a = new Deferred<string>();
  const cb = (result: string) => {
    results.push(["cb", result]);
    const d = new Deferred<unknown>();
    d.addCallback((r) => {
      results.push(["firstCallback", r]);
      return gatherResults([a]);
    });
    d.addCallback((r) => void results.push(["secondCallback", r]));
    d.addErrback((f) => void failures.push(f));
    d.callback(undefined);
    return d;
  };
  const outer = new Deferred<string>();
  outer.addCallback(cb);
  outer.addCallback(() => void results.push(["final", undefined]));
  outer.addErrback((f) => void failures.push(f));
  outer.callback("outer");
  t.deepEqual(results, [
    ["cb", "outer"],
    ["firstCallback", undefined],
  ]);
  a.callback("withers");
  t.deepEqual(failures, []);
  t.deepEqual(results, [
    ["cb", "outer"],
    ["firstCallback", undefined],
    ["secondCallback", ["withers"]],
    ["final", undefined],
  ]);
});

test("DeferredTests.test_resultOfDeferredResultOfDeferredOfFiredDeferredCalled", (t) => {
  const first = new Deferred<void>();
  const second = new Deferred<void>();
  const third = new Deferred<void>();
  first.addCallback(() => second);
  second.addCallback(() => third);
  second.callback(undefined);
  first.callback(undefined);
  third.callback(undefined);
  const results: unknown[] = [];
  second.addCallback((r) => void results.push(r));
  t.deepEqual(results, [undefined]);
});

function stackDepth(): number {
  const prev = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  try {
    return (new Error().stack ?? "").split("\n").length;
  } finally {
    Error.stackTraceLimit = prev;
  }
}

function chainDeferreds(howMany: number): number {
  const stack: number[] = [];
  const top = new Deferred<void>();
  const innerDeferreds = Array.from({ length: howMany }, () => new Deferred<void>());
  const originalInners = innerDeferreds.slice();
  const last = new Deferred<void>();
  let inner = innerDeferreds.pop()!;
  {
    const captured = inner;
    top.addCallback(() => captured);
  }
  top.addCallback(() => void stack.push(stackDepth()));
  while (innerDeferreds.length > 0) {
    const newInner = innerDeferreds.pop()!;
    inner.addCallback(() => newInner);
    inner = newInner;
  }
  inner.addCallback(() => last);
  top.callback(undefined);
  for (const d of originalInners) d.callback(undefined);
  if (stack.length !== 0) throw new Error("fired too early");
  last.callback(undefined);
  return stack[0]!;
}

test("DeferredTests.test_boundedStackDepth", (t) => {
  t.is(chainDeferreds(1), chainDeferreds(2));
  t.is(chainDeferreds(1), chainDeferreds(100_000)); // the 100,000 implicit links
});

test("R5: 100,000 callbacks on one Deferred and a 100,000-deep implicit chain fired from the bottom", (t) => {
  const d = new Deferred<number>();
  for (let i = 0; i < 100_000; i++) d.addCallback((n) => n + 1);
  d.callback(0);
  t.is(d.result, 100_000);
  // Each Deferred waits on the next one; the innermost fires last.
  const ds = Array.from({ length: 100_000 }, () => new Deferred<number>());
  for (let i = 0; i < ds.length - 1; i++) {
    const next = ds[i + 1]!;
    ds[i]!.addCallback(() => next).addCallback((n) => n + 1);
  }
  for (let i = 0; i < ds.length - 1; i++) ds[i]!.callback(0);
  ds[ds.length - 1]!.callback(0);
  t.is(ds[0]!.result, 99_999);
});

// Twisted emits a DeprecationWarning (and fails under -Werror,
// test_circularChainException); JavaScript has no warnings filter, so the
// port always takes the -Werror behaviour: the chain fails with a TypeError.
test("DeferredTests.test_circularChainWarning / test_circularChainException", (t) => {
  const d = new Deferred<string>();
  d.addCallback(function circularCallback() {
    return d;
  });
  d.callback("foo");
  const failure = failureResultOf(d, TypeError);
  t.regex(failure.getErrorMessage(), /Callback circularCallback returned the Deferred it was attached to/);
});

test("DeferredTests.test_reprWithChaining", (t) => {
  const a = new Deferred<void>();
  const b = new Deferred<void>();
  b.chainDeferred(a);
  t.regex(String(a), /^<Deferred at 0x[0-9a-f]+ waiting on Deferred at 0x[0-9a-f]+>$/);
  const ida = /at (0x[0-9a-f]+)/.exec(String(a))![1];
  t.not(ida, /waiting on Deferred at (0x[0-9a-f]+)/.exec(String(a))![1]);
  t.is(String(b), `<Deferred at ${/at (0x[0-9a-f]+)/.exec(String(b))![1]}>`);
  t.regex(String(succeed(3)), /current result: 3>$/);
});

// ---- C. fire once -------------------------------------------------------------

const call1 = (d: Deferred<string>) => d.callback("hello");
const call2 = (d: Deferred<string>) => d.callback("twice");
const err1 = (d: Deferred<string>) => d.errback(new Failure(new RangeError()));
const err2 = (d: Deferred<string>) => d.errback(new Failure(new RangeError()));
const noop = () => undefined;

for (const [name, first, second] of [
  ["testAlreadyCalled_CC", call1, call2],
  ["testAlreadyCalled_CE", call1, err2],
  ["testAlreadyCalled_EE", err1, err2],
  ["testAlreadyCalled_EC", err1, call2],
] as const) {
  test(`AlreadyCalledTests.${name}`, (t) => {
    const d = new Deferred<string>();
    d.addCallbacks(noop, noop);
    first(d);
    t.throws(() => second(d), { instanceOf: AlreadyCalledError });
  });
}

test.serial("AlreadyCalledTests.testAlreadyCalledDebug_CC", (t) => {
  const was = getDebugging();
  setDebugging(true);
  try {
    const d = new Deferred<string>();
    d.addCallbacks(noop, noop);
    function _call_1(x: Deferred<string>) {
      x.callback("hello");
    }
    function _call_2(x: Deferred<string>) {
      x.callback("twice");
    }
    _call_1(d);
    const e = t.throws(() => _call_2(d), { instanceOf: AlreadyCalledError })!;
    const lines = e.message.split("\n");
    const count = (prefix: string, what: string) =>
      lines.filter((l) => l.startsWith(` ${prefix}:`) && l.includes(what)).length;
    t.true(lines.some((l) => l.startsWith(" C: Deferred was created:")));
    t.is(count("C", "_call_1"), 0);
    t.is(count("C", "_call_2"), 0);
    t.is(count("I", "_call_1"), 1);
    t.is(count("I", "_call_2"), 0);
  } finally {
    setDebugging(was);
  }
});

// ---- D. cancellation ------------------------------------------------------------

function cancelRecorders() {
  const r = {
    callbackResults: undefined as unknown,
    errbackResults: undefined as Failure | undefined,
    cancellerCallCount: 0,
    _callback: (data: unknown) => {
      r.callbackResults = data;
      return data;
    },
    _errback: (error: Failure) => {
      r.errbackResults = error;
    },
  };
  return r;
}

test("DeferredCancellerTests.test_noCanceller", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>();
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.errbackResults!.type, CancelledError);
  t.is(r.callbackResults, undefined);
});

test("DeferredCancellerTests.test_raisesAfterCancelAndCallback", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>();
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  d.callback(undefined); // the producer's one late call is swallowed
  t.throws(() => d.callback(undefined), { instanceOf: AlreadyCalledError });
  t.throws(() => d.errback(new Error()), { instanceOf: AlreadyCalledError });
});

test("DeferredCancellerTests.test_raisesAfterCancelAndErrback", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>();
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  d.errback(new Error());
  t.throws(() => d.callback(undefined), { instanceOf: AlreadyCalledError });
  t.throws(() => d.errback(new Error()), { instanceOf: AlreadyCalledError });
});

test("DeferredCancellerTests.test_noCancellerMultipleCancelsAfterCancelAndCallback", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>();
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  const currentFailure = r.errbackResults;
  d.callback(undefined);
  d.cancel();
  t.is(r.errbackResults, currentFailure);
});

test("DeferredCancellerTests.test_noCancellerMultipleCancel", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>();
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.errbackResults!.type, CancelledError);
  const currentFailure = r.errbackResults;
  d.cancel();
  t.is(r.errbackResults, currentFailure);
});

test("DeferredCancellerTests.test_cancellerMultipleCancel", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>(() => void r.cancellerCallCount++);
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.errbackResults!.type, CancelledError);
  const currentFailure = r.errbackResults;
  d.cancel();
  t.is(r.errbackResults, currentFailure);
  t.is(r.cancellerCallCount, 1);
});

test("DeferredCancellerTests.test_simpleCanceller", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>(() => void r.cancellerCallCount++);
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.cancellerCallCount, 1);
  t.is(r.errbackResults!.type, CancelledError);
  t.throws(() => d.callback(undefined), { instanceOf: AlreadyCalledError });
  t.throws(() => d.errback(new Error()), { instanceOf: AlreadyCalledError });
});

test("DeferredCancellerTests.test_cancellerArg", (t) => {
  let got: unknown;
  const d: Deferred<void> = new Deferred<void>((d1) => {
    got = d1;
  });
  d.addErrback(() => undefined);
  d.cancel();
  t.is(got, d);
});

test("DeferredCancellerTests.test_cancelAfterCallback", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<string>((x) => {
    r.cancellerCallCount++;
    x.errback(new GenericError());
  });
  d.addCallbacks(r._callback, r._errback);
  d.callback("biff!");
  d.cancel();
  t.is(r.cancellerCallCount, 0);
  t.is(r.errbackResults, undefined);
  t.is(r.callbackResults, "biff!");
});

test("DeferredCancellerTests.test_cancelAfterErrback", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>((x) => {
    r.cancellerCallCount++;
    x.errback(new GenericError());
  });
  d.addCallbacks(r._callback, r._errback);
  d.errback(new GenericError());
  d.cancel();
  t.is(r.cancellerCallCount, 0);
  t.is(r.errbackResults!.type, GenericError);
  t.is(r.callbackResults, undefined);
});

test("DeferredCancellerTests.test_cancellerThatErrbacks", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<void>((x) => {
    r.cancellerCallCount++;
    x.errback(new GenericError());
  });
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.cancellerCallCount, 1);
  t.is(r.errbackResults!.type, GenericError);
});

test("DeferredCancellerTests.test_cancellerThatCallbacks", (t) => {
  const r = cancelRecorders();
  const d = new Deferred<string>((x) => {
    r.cancellerCallCount++;
    x.callback("hello!");
  });
  d.addCallbacks(r._callback, r._errback);
  d.cancel();
  t.is(r.cancellerCallCount, 1);
  t.is(r.callbackResults, "hello!");
  t.is(r.errbackResults, undefined);
});

test("DeferredCancellerTests.test_cancelNestedDeferred", (t) => {
  const r = cancelRecorders();
  const b = new Deferred<void>(() => void r.cancellerCallCount++);
  const a = new Deferred<void>(() => t.fail("the outer canceller must not run"));
  a.callback(undefined);
  a.addCallback(() => b);
  a.cancel();
  a.addCallbacks(r._callback, r._errback);
  t.is(r.cancellerCallCount, 1);
  t.is(r.errbackResults!.type, CancelledError);
});

test("R7: the canceller is dropped once the Deferred fires (no reference cycle)", (t) => {
  const d = new Deferred<number>(() => undefined);
  d.callback(1);
  t.is(d._canceller, undefined);
});

test("R8: cancelling the inner Deferred an outer one waits on fails the outer chain with CancelledError", (t) => {
  const inner = new Deferred<number>();
  const outer = succeed(1).addCallback(() => inner);
  assertNoResultHere(outer);
  inner.cancel();
  t.is(inner.result, undefined); // the failure moved to the outer chain
  const f = failureResultOf(outer, CancelledError);
  t.true(f.value instanceof CancelledError);
  inner.callback(5); // the producer's late call is swallowed (no canceller)
  t.throws(() => inner.callback(6), { instanceOf: AlreadyCalledError });
});

function assertNoResultHere(d: Deferred<unknown>): void {
  if (d.paused === 0 && d.called && !(d.result instanceof Deferred)) throw new Error(`${d} has a result`);
}

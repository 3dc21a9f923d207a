// Bad input gets a clear error of the right class.
import test from "ava";
import {
  AlreadyCalledError,
  Clock,
  Deferred,
  DeferredList,
  DeferredLock,
  DeferredSemaphore,
  LoopingCall,
  NotACoroutineError,
  deferLater,
  ensureDeferred,
  fail,
  inlineCallbacks,
  maybeDeferred,
} from "../../../adapters/twisted/index.js";
import { RuntimeError, ValueError } from "../../../src/index.js";

test("calling back twice: AlreadyCalledError", (t) => {
  const d = new Deferred<number>();
  d.callback(1);
  t.throws(() => d.callback(2), { instanceOf: AlreadyCalledError });
  t.throws(() => d.errback(new Error("late")), { instanceOf: AlreadyCalledError });
  t.is(d.result, 1);
});

test("a non-callable callback or errback: TypeError naming what was wrong", (t) => {
  const d = new Deferred<number>();
  t.throws(() => d.addCallback(42 as never), {
    instanceOf: TypeError,
    message: "Deferred callback must be a function, got number",
  });
  t.throws(() => d.addErrback("oops" as never), {
    instanceOf: TypeError,
    message: "Deferred errback must be a function, got string",
  });
  t.throws(() => d.addBoth(undefined as never), {
    instanceOf: TypeError,
    message: "Deferred callback must be a function, got undefined",
  });
  t.throws(() => d.addCallbacks((x) => x, {} as never), {
    instanceOf: TypeError,
    message: "Deferred errback must be a function, got Object",
  });
  t.throws(() => new Deferred(5 as never), { instanceOf: TypeError, message: /canceller must be a function/ });
  t.is(d.callbacks.length, 0); // nothing half-added
});

test("ensureDeferred / fromCoroutine of a non-coroutine: NotACoroutineError (a TypeError)", (t) => {
  t.throws(() => ensureDeferred(42 as never), {
    instanceOf: NotACoroutineError,
    message: "number is not a coroutine or a Deferred",
  });
  t.throws(() => Deferred.fromCoroutine({} as never), {
    instanceOf: NotACoroutineError,
    message: "Object is not a coroutine",
  });
  // A generator *function* is not a coroutine: it must be called.
  t.throws(() => ensureDeferred(function* () {} as never), { instanceOf: NotACoroutineError });
});

test("a negative LoopingCall interval: ValueError; starting twice: RuntimeError", (t) => {
  const lc = new LoopingCall(() => undefined);
  lc.clock = new Clock();
  t.throws(() => lc.start(-1), { instanceOf: ValueError, message: "interval must be >= 0" });
  t.throws(() => lc.start(NaN), { instanceOf: TypeError });
  lc.start(1);
  t.throws(() => lc.start(1), { instanceOf: RuntimeError, message: "Tried to start an already running LoopingCall." });
  lc.stop();
  t.throws(() => lc.stop(), { instanceOf: RuntimeError });
  t.throws(() => new LoopingCall("f" as never), { instanceOf: TypeError });
});

test("errback() and fail() need an argument (JavaScript has no current exception)", (t) => {
  t.throws(() => (new Deferred().errback as unknown as () => void)(), {
    instanceOf: TypeError,
    message: /no current exception/,
  });
  t.throws(() => (fail as unknown as () => void)(), { instanceOf: TypeError, message: /no current exception/ });
});

test("callback() with a Deferred: TypeError", (t) => {
  t.throws(() => new Deferred<unknown>().callback(new Deferred()), {
    instanceOf: TypeError,
    message: /got a Deferred/,
  });
});

test("inlineCallbacks of a non-function, maybeDeferred of a non-function, DeferredList of non-Deferreds", (t) => {
  t.throws(() => inlineCallbacks(3 as never), { instanceOf: TypeError });
  t.throws(() => maybeDeferred(3 as never), { instanceOf: TypeError, message: /maybeDeferred\(\) must be a function/ });
  t.throws(() => new DeferredList([1 as never]), { instanceOf: TypeError, message: /item 0 is not a Deferred/ });
});

test("primitives: releasing unlocked, bad semaphore sizes, bad delays", (t) => {
  t.throws(() => new DeferredLock().release(), {
    instanceOf: RuntimeError,
    message: "Tried to release an unlocked lock",
  });
  t.throws(() => new DeferredSemaphore(1).release(), { instanceOf: RuntimeError });
  t.throws(() => new DeferredSemaphore(1.5), { instanceOf: TypeError });
  t.throws(() => new DeferredSemaphore(0), { instanceOf: ValueError });
  const clock = new Clock();
  t.throws(() => clock.callLater("1" as never, () => undefined), { instanceOf: TypeError });
  t.throws(() => deferLater(clock, NaN), { instanceOf: TypeError });
  t.throws(() => new Deferred().addTimeout(NaN, clock), { instanceOf: TypeError });
});

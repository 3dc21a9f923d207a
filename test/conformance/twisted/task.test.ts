// Ports of twisted/test/test_task.py: ClockTests, DeferLaterTests, LoopTests,
// ReactorLoopTests; plus the reactor over our event loop.
import test from "ava";
import {
  AlreadyCalled,
  AlreadyCancelled,
  DeferredCancelledError as CancelledError,
  Clock,
  Deferred,
  LoopingCall,
  Reactor,
  deferLater,
  reactor,
} from "../../../adapters/twisted/index.js";
import { type EventLoop, RuntimeError, ValueError, getRunningLoop, sleep } from "../../../src/index.js";
import { makeLoop, runOn } from "../../helpers/loop.js";
import { assertNoResult, failureResultOf, successResultOf } from "./trial.js";

class TestException extends Error {}

// ---- ClockTests ------------------------------------------------------------------

test("ClockTests.testSecondsTime", (t) => {
  t.is(new Clock().seconds(), 0);
});

test("ClockTests.testCallLater", (t) => {
  const c = new Clock();
  const call = c.callLater(1, (_a: number, _b: number) => undefined, 1, 2);
  t.is(call.getTime(), 1);
  t.true(call.active());
});

test("ClockTests.testCallLaterCancelled", (t) => {
  const c = new Clock();
  const call = c.callLater(1, () => undefined);
  call.cancel();
  t.false(call.active());
  t.throws(() => call.cancel(), { instanceOf: AlreadyCancelled });
  t.deepEqual(c.getDelayedCalls(), []);
});

test("ClockTests.testAdvance", (t) => {
  const events: unknown[] = [];
  const c = new Clock();
  const call = c.callLater(2, () => void events.push(null));
  c.advance(1);
  t.deepEqual(events, []);
  c.advance(1);
  t.deepEqual(events, [null]);
  t.false(call.active());
});

test("ClockTests.testAdvanceCancel", (t) => {
  const c = new Clock();
  let thrown: unknown;
  const call = c.callLater(1, () => {
    try {
      call.cancel();
    } catch (e) {
      thrown = e;
    }
  });
  c.advance(1);
  t.true(thrown instanceof AlreadyCalled);
});

test("ClockTests.testCallLaterResetLater", (t) => {
  const events: unknown[] = [];
  const c = new Clock();
  const call = c.callLater(2, (a: number, b: number) => void events.push([a, b]), 1, 2);
  c.advance(1);
  call.reset(3);
  t.is(call.getTime(), 4);
  c.advance(2);
  t.deepEqual(events, []);
  c.advance(1);
  t.deepEqual(events, [[1, 2]]);
});

test("ClockTests.testCallLaterResetSooner", (t) => {
  const events: unknown[] = [];
  const c = new Clock();
  const call = c.callLater(4, (a: number, b: number) => void events.push([a, b]), 1, 2);
  call.reset(3);
  t.is(call.getTime(), 3);
  c.advance(3);
  t.deepEqual(events, [[1, 2]]);
});

test("ClockTests.test_callLaterKeepsCallsOrdered", (t) => {
  const result: unknown[] = [];
  const clock = new Clock();
  const logtime = (n: string) => void result.push([n, clock.seconds()]);
  const callA = clock.callLater(1.0, logtime, "a");
  callA.reset(3.0);
  clock.callLater(2.0, logtime, "b");
  clock.pump([1, 1, 1]);
  t.deepEqual(result, [
    ["b", 2.0],
    ["a", 3.0],
  ]);
});

test("ClockTests.test_callLaterResetInsideCallKeepsCallsOrdered", (t) => {
  const result: unknown[] = [];
  const clock = new Clock();
  const logtime = (n: string) => void result.push([n, clock.seconds()]);
  const callB = clock.callLater(2.0, logtime, "b");
  clock.callLater(1.0, () => callB.reset(3.0));
  clock.callLater(3.0, logtime, "c");
  clock.pump(Array(10).fill(0.5));
  t.deepEqual(result, [
    ["c", 3.0],
    ["b", 4.0],
  ]);
});

test("ClockTests: delay() moves a call later; advance() refuses negative amounts", (t) => {
  const c = new Clock();
  const call = c.callLater(1, () => undefined);
  call.delay(2);
  t.is(call.getTime(), 3);
  t.throws(() => c.advance(-1), { instanceOf: ValueError });
});

// ---- DeferLaterTests ---------------------------------------------------------------

test("DeferLaterTests.test_callback", (t) => {
  const results: unknown[] = [];
  const flag = {};
  const clock = new Clock();
  const d = deferLater(
    clock,
    3,
    (foo: string, bar: string) => {
      results.push([foo, bar]);
      return flag;
    },
    "foo",
    "bar",
  );
  clock.advance(2);
  t.deepEqual(results, []);
  clock.advance(1);
  t.deepEqual(results, [["foo", "bar"]]);
  t.is(successResultOf(d), flag);
});

test("DeferLaterTests.test_errback", (t) => {
  const clock = new Clock();
  const d = deferLater(clock, 1, () => {
    throw new TestException();
  });
  clock.advance(1);
  failureResultOf(d, TestException);
  t.pass();
});

test("DeferLaterTests.test_cancel", (t) => {
  const called: unknown[] = [];
  const clock = new Clock();
  const d = deferLater(clock, 1, (x: null) => void called.push(x), null);
  d.cancel();
  failureResultOf(d, CancelledError);
  t.deepEqual(clock.getDelayedCalls(), []);
  t.deepEqual(called, []);
});

test("DeferLaterTests.test_noCallback", (t) => {
  const clock = new Clock();
  const d = deferLater(clock, 2.0);
  assertNoResult(d);
  clock.advance(2.0);
  t.is(successResultOf(d), undefined);
});

// ---- LoopTests -----------------------------------------------------------------------

function testable<A extends unknown[]>(clock: Clock, f: (...args: A) => unknown, ...args: A): LoopingCall {
  const lc = new LoopingCall(f as (...a: unknown[]) => unknown, ...args);
  lc.clock = clock;
  return lc;
}

test("LoopTests.testBasicFunction", (t) => {
  const clock = new Clock();
  const L: unknown[] = [];
  const lc = testable(
    clock,
    (a: string, b: string, c?: string, d?: string) => void L.push([a, b, c, d]),
    "a",
    "b",
    undefined,
    "d",
  );
  const D = lc.start(0.1);
  const theResult: unknown[] = [];
  D.addCallback((r) => void theResult.push(r));
  clock.pump([0.05, 0.1, 0.1]);
  t.is(L.length, 3);
  for (const x of L) t.deepEqual(x, ["a", "b", undefined, "d"]);
  lc.stop();
  t.is(theResult[0], lc);
  t.deepEqual(clock.calls, []);
});

test("LoopTests.testDelayedStart", (t) => {
  const clock = new Clock();
  const L: unknown[] = [];
  const lc = testable(clock, (x: null) => void L.push(x), null);
  const d = lc.start(0.1, false);
  const theResult: unknown[] = [];
  d.addCallback((r) => void theResult.push(r));
  clock.pump([0.05, 0.1, 0.1]);
  t.is(L.length, 2);
  lc.stop();
  t.is(theResult[0], lc);
  t.deepEqual(clock.calls, []);
});

test("LoopTests.testBadDelay", (t) => {
  const lc = new LoopingCall(() => undefined);
  t.throws(() => lc.start(-1), { instanceOf: ValueError });
  t.false(lc.running);
});

for (const [name, delay] of [
  ["testStopAtOnce", 0],
  ["testStoppingBeforeDelayedStart", 10],
] as const) {
  test(`LoopTests.${name}`, (t) => {
    const clock = new Clock();
    const lc = testable(clock, () => undefined);
    const d = lc.start(delay, false);
    lc.stop();
    t.is(successResultOf(d), lc);
    t.deepEqual(clock.calls, []);
  });
}

test("LoopTests.test_reset", (t) => {
  const ran: unknown[] = [];
  const c = new Clock();
  const lc = testable(c, () => void ran.push(null));
  lc.start(2, false);
  c.advance(1);
  lc.reset();
  c.advance(1);
  t.deepEqual(ran, []);
  c.advance(1);
  t.deepEqual(ran, [null]);
});

test("LoopTests.test_callbackTimeSkips", (t) => {
  const times: number[] = [];
  let callDuration = 0;
  const clock = new Clock();
  const call = testable(clock, () => {
    times.push(clock.seconds());
    clock.advance(callDuration);
  });
  callDuration = 2;
  call.start(0.5);
  t.deepEqual(times, [0]);
  t.is(clock.seconds(), callDuration);
  clock.advance(0);
  t.deepEqual(times, [0]);
  callDuration = 1;
  clock.advance(0.5);
  t.deepEqual(times, [0, 2.5]);
  t.is(clock.seconds(), 3.5);
  clock.advance(0);
  t.deepEqual(times, [0, 2.5]);
  callDuration = 0;
  clock.advance(0.5);
  t.deepEqual(times, [0, 2.5, 4]);
  t.is(clock.seconds(), 4);
});

test("LoopTests.test_reactorTimeSkips", (t) => {
  const times: number[] = [];
  const clock = new Clock();
  const call = testable(clock, () => void times.push(clock.seconds()));
  call.start(0.5);
  t.deepEqual(times, [0]);
  clock.advance(2);
  t.deepEqual(times, [0, 2]);
  clock.advance(1);
  t.deepEqual(times, [0, 2, 3]);
  clock.advance(0);
  t.deepEqual(times, [0, 2, 3]);
});

test("LoopTests.test_withCountFloatingPointBoundary", (t) => {
  const clock = new Clock();
  const accumulator: number[] = [];
  const call = LoopingCall.withCount((n) => void accumulator.push(n));
  call.clock = clock;
  const count = 10;
  const timespan = 1.0;
  const interval = timespan / count;
  call.start(interval, false);
  for (let x = 0; x < count; x++) clock.advance(interval);
  const epsilon =
    timespan -
    Array(count)
      .fill(interval)
      .reduce((a, b) => a + b, 0);
  clock.advance(epsilon);
  t.true(Math.abs(epsilon) > 0);
  t.true(clock.seconds() >= timespan);
  t.is(
    accumulator.reduce((a, b) => a + b, 0),
    count,
  );
  t.false(accumulator.includes(0));
});

test("LoopTests.test_withCountIntervalZero", (t) => {
  const clock = new Clock();
  const accumulator: number[] = [];
  const loop: LoopingCall = LoopingCall.withCount((cnt) => {
    accumulator.push(cnt);
    if (accumulator.length > 4) loop.stop();
  });
  loop.clock = clock;
  const deferred = loop.start(0, false);
  clock.advance(0);
  successResultOf(deferred);
  t.deepEqual(accumulator, [1, 1, 1, 1, 1]);
});

test("LoopTests.test_withCountSkips: skipped intervals are counted", (t) => {
  const clock = new Clock();
  const counts: number[] = [];
  const lc = LoopingCall.withCount((n) => void counts.push(n));
  lc.clock = clock;
  lc.start(1);
  clock.advance(3);
  clock.advance(1);
  t.deepEqual(counts, [1, 3, 1]);
});

// ---- ReactorLoopTests (LoopingCall on the default reactor = our running loop) ------

test("ReactorLoopTests.testFailAndStop", async (t) => {
  await runOn(async () => {
    const lc: LoopingCall = new LoopingCall((x: unknown) => {
      lc.stop();
      throw new TestException(String(x));
    }, "bar");
    await t.throwsAsync(async () => lc.start(0.1), { instanceOf: TestException, message: "bar" });
  });
});

test("ReactorLoopTests.testEveryIteration", async (t) => {
  await runOn(async () => {
    let ran = 0;
    const lc: LoopingCall = new LoopingCall(() => {
      ran += 1;
      if (ran > 5) lc.stop();
    });
    const result = await lc.start(0);
    t.is(result, lc);
    t.is(ran, 6);
  });
});

test("ReactorLoopTests.testWaitDeferred", (t) => {
  const clock = new Clock();
  const lc: LoopingCall = testable(clock, () => {
    const d = new Deferred<void>();
    d.addCallback(() => lc.stop());
    clock.callLater(1, () => d.callback(undefined));
    return d;
  });
  lc.start(0.2);
  clock.pump([0.2, 0.8]);
  t.deepEqual(clock.calls, []);
});

test("ReactorLoopTests.testFailurePropagation", (t) => {
  const clock = new Clock();
  const lc = testable(clock, () => {
    const d = new Deferred<void>();
    clock.callLater(0.3, () => d.errback(new TestException()));
    return d;
  });
  const d = lc.start(1);
  clock.pump([0.3]);
  failureResultOf(d, TestException);
  t.deepEqual(clock.calls, []);
  t.false(lc.running);
});

test("LoopingCall over the reactor skips missed intervals on virtual time", async (t) => {
  const { result } = await runOn(async () => {
    const loop = getRunningLoop();
    const times: number[] = [];
    const lc = new LoopingCall(() => {
      times.push(loop.time());
      if (times.length === 2) (loop as EventLoop & { advance(s: number): void }).advance(2.2); // "blocked" for 2.2 s
      if (times.length === 4) lc.stop();
    });
    await lc.start(1);
    return times;
  });
  t.deepEqual(result, [0, 1, 4, 5]);
});

// ---- the reactor over an event loop ---------------------------------------------------

test("Reactor: callWhenRunning, callLater, seconds, stop, run on a bound loop", async (t) => {
  const loop = makeLoop();
  const r = new Reactor(loop);
  const events: unknown[] = [];
  r.callWhenRunning(() => {
    events.push(["running", r.seconds()]);
    r.callLater(1.5, () => {
      events.push(["later", r.seconds()]);
      r.stop();
    });
  });
  t.false(r.running);
  await r.run();
  t.deepEqual(events, [
    ["running", 0],
    ["later", 1.5],
  ]);
  t.throws(() => r.stop(), { instanceOf: RuntimeError });
  loop.close();
});

test("Reactor: delayed calls can be reset, delayed, cancelled", async (t) => {
  await runOn(async () => {
    const events: number[] = [];
    const loop = getRunningLoop();
    const call = reactor.callLater(1, () => void events.push(loop.time()));
    call.reset(3);
    call.delay(1);
    t.is(call.getTime(), 4);
    const gone = reactor.callLater(2, () => void events.push(-1));
    t.is(reactor.getDelayedCalls().length, 2);
    gone.cancel();
    t.throws(() => gone.cancel(), { instanceOf: AlreadyCancelled });
    await sleep(5);
    t.deepEqual(events, [4]);
    t.false(call.active());
    t.throws(() => call.reset(1), { instanceOf: AlreadyCalled });
    t.deepEqual(reactor.getDelayedCalls(), []);
  });
});

test("deferLater on the default reactor, awaited from a task", async (t) => {
  const { result, loop } = await runOn(async () => deferLater(reactor, 0.5, () => "later"));
  t.is(result, "later");
  t.is(loop.time(), 0.5);
});

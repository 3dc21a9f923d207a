// The event loop's own rules (base_events._run_once), bad input, exception
// reporting and process exit.
import test from "ava";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  EventLoop,
  InvalidStateError,
  RuntimeError,
  type Task,
  TimeoutError,
  ValueError,
  createTask,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from "../../src/index.js";
import { collectGarbage, makeLoop, runBriefly } from "../helpers/loop.js";

test("an iteration runs only the callbacks that were ready when it began", async (t) => {
  const loop = makeLoop();
  const order: string[] = [];
  loop.callSoon(() => {
    order.push("a");
    loop.callSoon(() => order.push("c")); // next iteration
  });
  loop.callSoon(() => order.push("b"));
  const f = loop.createFuture<void>();
  loop.callSoon(() => loop.callSoon(() => loop.callSoon(() => f.setResult())));
  loop.callSoon(() => loop.stop()); // stops after this iteration
  await loop.runForever();
  t.deepEqual(order, ["a", "b"], "c was scheduled during the iteration: it waits for the next one");
  await loop.runUntilComplete(f);
  t.deepEqual(order, ["a", "b", "c"]);
  loop.close();
});

test("callSoon is strict FIFO and passes its arguments", async (t) => {
  const loop = makeLoop();
  const seen: number[] = [];
  for (let i = 0; i < 50; i++) loop.callSoon((n: number) => seen.push(n), i);
  await runBriefly(loop);
  t.deepEqual(seen, [...Array(50).keys()]);
  loop.close();
});

test("timers fire in time order; a cancelled timer never runs; equal times keep insertion order", async (t) => {
  const loop = makeLoop();
  const seen: string[] = [];
  loop.callLater(3, () => seen.push("3"));
  loop.callLater(1, () => seen.push("1a"));
  loop.callLater(1, () => seen.push("1b"));
  loop.callAt(2, () => seen.push("2"));
  const h = loop.callLater(1.5, () => seen.push("never"));
  t.is(h.when(), 1.5);
  h.cancel();
  t.true(h.cancelled());
  const done = loop.createFuture<void>();
  loop.callLater(4, () => done.setResult());
  await loop.runUntilComplete(done);
  t.deepEqual(seen, ["1a", "1b", "2", "3"]);
  t.is(loop.time(), 4);
  loop.close();
});

test("many cancelled timers are purged lazily (heap rebuilt past 50%)", async (t) => {
  const loop = makeLoop();
  const handles = Array.from({ length: 300 }, (_, i) => loop.callLater(10 + i, () => {}));
  for (const h of handles.slice(0, 200)) h.cancel();
  await runBriefly(loop);
  t.is(loop._timers.length, 100);
  t.is(loop._timerCancelledCount, 0);
  loop.close();
});

test("a timeout at or before now fires on the next iteration, not synchronously", async (t) => {
  const loop = makeLoop();
  let fired = false;
  await loop.runUntilComplete(async () => {
    loop.callAt(loop.time() - 1, () => (fired = true));
    t.false(fired);
    await sleep(0);
    await sleep(0);
    t.true(fired);
  });
  loop.close();
});

test("an exception in a callback goes to the exception handler with message, exception and handle", async (t) => {
  const loop = makeLoop();
  const boom = new Error("boom");
  const h = loop.callSoon(function failing() {
    throw boom;
  });
  let after = false;
  loop.callSoon(() => (after = true));
  await runBriefly(loop);
  t.true(after, "the loop goes on");
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.exception, boom);
  t.is(loop.errors[0]!.handle, h);
  t.regex(loop.errors[0]!.message, /Exception in callback failing/);
  loop.close();
});

test("if the custom exception handler throws, the default handler reports it", async (t) => {
  const loop = new EventLoop();
  const logged: string[] = [];
  loop.logger = { error: (m: string) => void logged.push(m), warn: () => {} };
  loop.setExceptionHandler(() => {
    throw new Error("handler broke");
  });
  loop.callExceptionHandler({ message: "original" });
  t.is(logged.length, 1);
  t.regex(logged[0]!, /Unhandled error in exception handler/);
  t.regex(logged[0]!, /handler broke/);
  loop.setExceptionHandler(null);
  t.is(loop.getExceptionHandler(), undefined);
  loop.close();
});

test("debug mode warns about a slow callback", async (t) => {
  const loop = makeLoop();
  const warnings: string[] = [];
  loop.logger = { error: () => {}, warn: (m: string) => void warnings.push(m) };
  loop.setDebug(true);
  t.true(loop.getDebug());
  loop.slowCallbackDuration = 0; // any callback is "slow": no real waiting needed
  loop.callSoon(function slowOne() {});
  await runBriefly(loop);
  t.true(warnings.some((w) => /Executing <Handle slowOne> took \d+\.\d{3} seconds/.test(w)));
  loop.close();
});

test("bad input: createTask of something not awaitable is a TypeError", async (t) => {
  const loop = makeLoop();
  t.throws(() => loop.createTask(42 as never), {
    instanceOf: TypeError,
    message: /a coroutine was expected, got number/,
  });
  t.throws(() => loop.createTask({} as never), { instanceOf: TypeError, message: /a coroutine was expected/ });
  loop.close();
});

test("bad input: callSoon of a non-function is a TypeError; on a closed loop a RuntimeError", (t) => {
  const loop = makeLoop();
  t.throws(() => loop.callSoon("nope" as never), { instanceOf: TypeError, message: /callable/ });
  loop.close();
  t.true(loop.isClosed());
  t.throws(() => loop.callSoon(() => {}), { instanceOf: RuntimeError, message: "Event loop is closed" });
  t.throws(() => loop.callLater(1, () => {}), { instanceOf: RuntimeError, message: "Event loop is closed" });
  t.throws(() => loop.createTask(async () => {}), { instanceOf: RuntimeError, message: "Event loop is closed" });
});

test("bad input: NaN delays are ValueError; non-numbers TypeError", async (t) => {
  const loop = makeLoop();
  t.throws(() => loop.callLater(NaN, () => {}), { instanceOf: ValueError, message: /NaN/ });
  t.throws(() => loop.callAt(NaN, () => {}), { instanceOf: ValueError, message: /NaN/ });
  t.throws(() => loop.callLater("1" as never, () => {}), { instanceOf: TypeError });
  await loop.runUntilComplete(async () => {
    t.throws(() => sleep(NaN), { instanceOf: ValueError, message: "Invalid delay: NaN" });
  });
  loop.close();
});

test("bad input: a second setResult is InvalidStateError; Task.setResult is RuntimeError", async (t) => {
  const loop = makeLoop();
  const f = loop.createFuture<number>();
  f.setResult(1);
  t.throws(() => f.setResult(2), { instanceOf: InvalidStateError });
  t.throws(() => f.setException(new Error()), { instanceOf: InvalidStateError });
  const task = loop.createTask(async () => 1);
  t.throws(() => task.setResult(2), { instanceOf: RuntimeError, message: /does not support set_result/ });
  t.throws(() => task.setException(new Error()), { instanceOf: RuntimeError });
  await loop.runUntilComplete(task);
  loop.close();
});

test("running a running loop, or closing it, is a RuntimeError; getRunningLoop outside is a RuntimeError", async (t) => {
  const loop = makeLoop();
  t.throws(() => getRunningLoop(), { instanceOf: RuntimeError, message: "no running event loop" });
  await loop.runUntilComplete(async () => {
    t.is(getRunningLoop(), loop);
    t.throws(() => loop.runForever(), { instanceOf: RuntimeError, message: /already running/ });
    t.throws(() => loop.close(), { instanceOf: RuntimeError, message: /Cannot close a running event loop/ });
  });
  loop.close();
});

test("runUntilComplete: a stop before the future is done is a RuntimeError", async (t) => {
  const loop = makeLoop();
  const f = loop.createFuture();
  loop.callSoon(() => loop.stop());
  await t.throwsAsync(loop.runUntilComplete(f), {
    instanceOf: RuntimeError,
    message: "Event loop stopped before Future completed.",
  });
  loop.close();
});

test("a task exception nobody retrieved is reported once through the exception handler, not as unhandledRejection", async (t) => {
  const loop = makeLoop();
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => void unhandled.push(r);
  process.on("unhandledRejection", onUnhandled);
  try {
    await loop.runUntilComplete(async () => {
      createTask(async () => {
        throw new TimeoutError("lost");
      });
      await sleep(1);
    });
    await collectGarbage();
    await collectGarbage();
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  t.deepEqual(unhandled, []);
  const reports = loop.errors.filter((e) => e.message === "Task exception was never retrieved");
  t.is(reports.length, 1);
  t.is((reports[0]!.exception as Error).message, "lost");
  loop.close();
});

test("a cancelled task is never reported as unretrieved", async (t) => {
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const task = createTask(async () => sleep(10));
    await sleep(1);
    task.cancel();
    await sleep(1);
  });
  await collectGarbage();
  t.deepEqual(loop.errors, [] as ExceptionContext[]);
  loop.close();
});

test("the loop does not block Node: I/O, timers and promises keep working while it runs", async (t) => {
  // A real-time loop here (no virtual clock): a Node setTimeout must fire
  // while our loop waits on a 20 ms timer of its own.
  let nodeTimerFired = false;
  const r = await run(
    async () => {
      setTimeout(() => (nodeTimerFired = true), 1);
      await sleep(0.02);
      return nodeTimerFired;
    },
    { handleSigint: false },
  );
  t.true(r);
});

test("a program whose main coroutine returns exits on its own (no leaked handle)", (t) => {
  const script = fileURLToPath(new URL("../fixtures/exits-on-its-own.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--import=tsx", script], { encoding: "utf8", timeout: 20_000 });
  t.is(child.error, undefined, "the child exited within 20 s");
  t.is(child.status, 0, child.stderr);
  t.regex(child.stdout, /result=child/);
});

test("tasks are typed: Task<T> from async functions and generator coroutines", async (t) => {
  const loop = makeLoop();
  const a: Task<number> = loop.createTask(async () => 1);
  const g: Task<string> = loop.createTask(function* () {
    return yield* sleep(1, "s");
  });
  t.is(await loop.runUntilComplete(a), 1);
  t.is(await loop.runUntilComplete(g), "s");
  loop.close();
});

test("cancelling a task awaiting another task cancels that task (cancellation propagates down)", async (t) => {
  const loop = makeLoop();
  let inner: Task<void> | undefined;
  const outer = loop.createTask(async () => {
    inner = createTask(async () => sleep(100));
    await inner;
  });
  await runBriefly(loop);
  outer.cancel("down");
  await t.throwsAsync(loop.runUntilComplete(outer), { instanceOf: CancelledError, message: "down" });
  t.true(inner!.cancelled());
  loop.close();
});

test("bad input: coroutine functions cannot be used with callSoon/callLater (as asyncio)", (t) => {
  const loop = makeLoop();
  t.throws(() => loop.callSoon(async () => {}), {
    instanceOf: TypeError,
    message: /coroutines cannot be used with callSoon\(\)/,
  });
  t.throws(() => loop.callLater(1, function* () {}), {
    instanceOf: TypeError,
    message: /coroutines cannot be used with callAt\(\)/,
  });
  loop.close();
});

test("VirtualTimeLoop with autojump off: time moves only through advance()", async (t) => {
  const loop = makeLoop({ autojump: false });
  const fired: number[] = [];
  loop.callLater(5, () => fired.push(loop.time()));
  loop.callLater(10, () => fired.push(loop.time()));
  const run = loop.runForever();
  await nodeTurns(3); // Node iterations pass; virtual time does not
  t.is(loop.time(), 0);
  t.deepEqual(fired, []);
  loop.advance(5);
  await nodeTurns(3);
  t.deepEqual(fired, [5]);
  t.throws(() => loop.advance(-1), { instanceOf: ValueError });
  loop.advance(7);
  await nodeTurns(3);
  t.deepEqual(fired, [5, 12]);
  loop.stop();
  await run;
  loop.close();
});

/** Lets Node run `n` macrotask turns (our loop iterates once per turn when it has work). */
async function nodeTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

// A Future completed while its loop does not run. asyncio (CPython 3.13):
// call_soon on a stopped loop queues until the next run, so done callbacks
// wait for it; on a closed loop call_soon raises, so set_result of a future
// with callbacks raises RuntimeError("Event loop is closed") (the future is
// done all the same). JavaScript code awaiting a Future from outside the loop
// has no asyncio counterpart: it must not wait for a run that may not come.
// (Before the fix, `await fut` in plain code hung silently in both cases.)

function settledWithin<T>(p: PromiseLike<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([Promise.resolve(p), new Promise<"pending">((r) => setTimeout(() => r("pending"), ms))]);
}

test("a Future completed on a stopped loop: plain code's await settles at once, done callbacks wait for the next run", async (t) => {
  const loop = new EventLoop();
  const fut = loop.createFuture<number>();
  const inTask = loop.createFuture<number>();
  const seen: string[] = [];
  fut.addDoneCallback(() => seen.push("done callback"));
  await loop.runUntilComplete(async () => {
    void inTask.then((v) => seen.push(`task's then ${v}`)); // made by code running on the loop
    await sleep(0);
  });
  const plain = fut.then((v) => v * 2);
  await new Promise((r) => setImmediate(r)); // past the microtasks and the ticks of this turn
  fut.setResult(1);
  inTask.setResult(2);
  t.is(await settledWithin(plain, 1000), 2);
  t.deepEqual(seen, [], "the loop's own callbacks wait for its next run");
  await loop.runUntilComplete(async () => await sleep(0));
  t.deepEqual(seen, ["done callback", "task's then 2"]);
  loop.close();
});

test("plain code's await of a Future completed in the loop's last iteration settles after the loop stops", async (t) => {
  const loop = new EventLoop();
  const fut = loop.createFuture<number>();
  const plain = fut.then((v) => v + 1);
  loop.callSoon(() => {
    fut.setResult(1); // its reaction is queued for the next iteration...
    loop.stop(); // ...which never comes
  });
  await loop.runForever();
  t.is(await settledWithin(plain, 1000), 2);
  loop.close();
});

test("a Future completed on a closed loop: RuntimeError if a callback cannot run, plain code's await still settles", async (t) => {
  const loop = new EventLoop();
  loop.close();
  const quiet = loop.createFuture<number>();
  quiet.setResult(1); // nothing to schedule: no error, as asyncio
  const plainOnly = loop.createFuture<number>();
  const p = plainOnly.then((v) => v);
  plainOnly.setResult(2);
  t.is(await settledWithin(p, 1000), 2);
  const withCallback = loop.createFuture<number>();
  withCallback.addDoneCallback(() => {});
  const q = withCallback.then((v) => v);
  t.throws(() => withCallback.setResult(3), { instanceOf: RuntimeError, message: "Event loop is closed" });
  t.true(withCallback.done());
  t.is(await settledWithin(q, 1000), 3);
  const cancelled = loop.createFuture<number>();
  cancelled.addDoneCallback(() => {});
  t.throws(() => cancelled.cancel(), { instanceOf: RuntimeError });
  t.throws(() => quiet.addDoneCallback(() => {}), { instanceOf: RuntimeError, message: "Event loop is closed" });
});

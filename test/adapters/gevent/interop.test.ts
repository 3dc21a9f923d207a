// Greenlets, core Tasks, Futures and Twisted Deferreds waiting on each other
// on one loop, in each direction.
import test from "ava";
import {
  Event,
  Greenlet,
  GreenletExit,
  Queue,
  Timeout,
  getcurrent,
  spawn,
  sleep as gsleep,
  toFuture,
} from "../../../adapters/gevent/index.js";
import { Deferred } from "../../../adapters/twisted/index.js";
import {
  CancelledError,
  RuntimeError,
  createTask,
  gather,
  getRunningLoop,
  sleep,
  waitFor,
} from "../../../src/index.js";
import { runOn } from "../../helpers/loop.js";

test("a greenlet yield*s a core Task and a Twisted Deferred", async (t) => {
  const { result } = await runOn(async () => {
    const task = createTask(async () => {
      await sleep(0.1);
      return "task";
    });
    const d = new Deferred<string>();
    getRunningLoop().callLater(0.2, () => d.callback("deferred"));
    const g = spawn(function* () {
      const a = yield* task;
      const b = yield* d;
      return `${a}+${b}`;
    });
    return await g.get();
  });
  t.is(result, "task+deferred");
});

test("an async function awaits g.get() and g.join(), with timeouts", async (t) => {
  const { result } = await runOn(async () => {
    const g = spawn(function* () {
      yield* gsleep(1);
      return 42;
    });
    let timedOut = false;
    try {
      await g.get({ timeout: 0.1 });
    } catch (e) {
      timedOut = e instanceof Timeout;
    }
    await g.join(0.1); // swallows its own timeout
    const before = g.ready();
    await g.join();
    return [timedOut, before, await g.get()];
  });
  t.deepEqual(result, [true, false, 42]);
});

test("toFuture: a Greenlet as a core Future (gather, waitFor)", async (t) => {
  const { result } = await runOn(async () => {
    const a = spawn(function* () {
      yield* gsleep(0.1);
      return 1;
    });
    const b = spawn(() => 2);
    const values = await gather(toFuture(a), toFuture(b));
    const slow = spawn(() => gsleep(5));
    let cancelledWait = false;
    try {
      await waitFor(toFuture(slow), 0.1);
    } catch (e) {
      cancelledWait = (e as Error).name === "TimeoutError";
    }
    slow.kill({ block: false });
    await slow.join();
    return [values, cancelledWait, slow.value instanceof GreenletExit];
  });
  t.deepEqual(result, [[1, 2], true, true]);
});

test("a core Task cancelled while it awaits a greenlet's get() leaves the greenlet running", async (t) => {
  const { result } = await runOn(async () => {
    const g = spawn(function* () {
      yield* gsleep(0.5);
      return "done";
    });
    const waiter = createTask(async () => await g.get());
    await sleep(0.1);
    waiter.cancel();
    let cancelled = false;
    try {
      await waiter;
    } catch (e) {
      cancelled = e instanceof CancelledError;
    }
    return [cancelled, g.dead, await g.get()];
  });
  t.deepEqual(result, [true, false, "done"]);
});

test("an async greenlet body is killed at its next await on the library (best effort)", async (t) => {
  const { result } = await runOn(async () => {
    const trace: string[] = [];
    const g = spawn(async () => {
      try {
        await sleep(10);
      } catch (e) {
        trace.push(e instanceof CancelledError ? "cancelled inside" : String(e));
        throw e;
      } finally {
        trace.push("finally");
      }
    });
    await sleep(0.1);
    await g.kill();
    return [trace, g.dead, g.successful(), g.value instanceof GreenletExit];
  });
  t.deepEqual(result, [["cancelled inside", "finally"], true, true, true]);
});

test("a greenlet kill reaches a core primitive's wait at its switch point, and the queue loses nothing", async (t) => {
  const { result } = await runOn(async () => {
    const q = new Queue<number>();
    const trace: string[] = [];
    const g = spawn(function* () {
      try {
        yield* q.get();
      } finally {
        trace.push(`finally, current=${getcurrent()?.name === g.name}`);
      }
    });
    const h = spawn(() => q.get());
    await sleep(0);
    g.kill({ block: false });
    q.putNowait(7);
    await h.join();
    await g.join();
    return [trace, h.value, g.value instanceof GreenletExit];
  });
  t.deepEqual(result, [["finally, current=true"], 7, true]);
});

test("a greenlet waits on a core Event (cancelled as asyncio's when killed) and a core Task waits on a gevent Event", async (t) => {
  const { result } = await runOn(async () => {
    const { Event: CoreEvent } = await import("../../../src/index.js");
    const coreEv = new CoreEvent();
    const gEv = new Event();
    const g = spawn(function* () {
      yield* coreEv.wait();
      gEv.set();
      return "woken";
    });
    const task = createTask(async () => await gEv.wait());
    await sleep(0.1);
    coreEv.set();
    return [await task, await g.get()];
  });
  t.deepEqual(result, [true, "woken"]);
});

test("Greenlet is not a thenable: an async function returning one does not unwrap it", async (t) => {
  const { result } = await runOn(async () => {
    const make = async (): Promise<Greenlet<number>> => spawn(() => 5);
    const g = await make();
    return [g instanceof Greenlet, await g.get()];
  });
  t.deepEqual(result, [true, 5]);
});

test("toFuture of a greenlet never started: RuntimeError (it has no loop yet)", (t) => {
  const g = new Greenlet(() => 1);
  t.throws(() => toFuture(g), { instanceOf: RuntimeError, message: /never started/ });
});

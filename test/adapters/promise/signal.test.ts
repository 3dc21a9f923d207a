// AbortSignal both ways: createTaskWithSignal({ signal }), signalOf, futureFromSignal.
import test from "ava";
import { EventEmitter, getEventListeners, once } from "node:events";
import {
  CancelledError,
  Task,
  currentTask,
  eagerTaskFactory,
  getRunningLoop,
  isCancelledError,
  sleep,
  type Coroutine,
} from "../../../src/index.js";
import { createTaskWithSignal, fromThenable, futureFromSignal, signalOf } from "../../../adapters/promise/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

const listeners = (s: AbortSignal): number => getEventListeners(s, "abort").length;

async function outcome(p: PromiseLike<unknown>): Promise<unknown> {
  return p.then(
    (v) => v,
    (e) => e,
  );
}

// ---- createTaskWithSignal({ signal }) -----------------------------------------------------

test("createTaskWithSignal: aborting the signal cancels the task, with the reason's message", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    let reached = false;
    const task = createTaskWithSignal(
      async () => {
        await sleep(10);
        reached = true;
      },
      { signal: ac.signal, name: "worker" },
    );
    t.true(task instanceof Task);
    t.is(task.getName(), "worker");
    await sleep(1);
    ac.abort(new Error("user left"));
    const e = await outcome(task);
    t.true(isCancelledError(e));
    t.is((e as Error).message, "user left");
    t.false(reached);
    t.is(getRunningLoop().time(), 1); // at once, not at the end of the sleep
  });
});

test("createTaskWithSignal: the reason may be a string, or the default AbortError", async (t) => {
  await runTest(async () => {
    const a = new AbortController();
    const t1 = createTaskWithSignal(async () => sleep(5), { signal: a.signal });
    const b = new AbortController();
    const t2 = createTaskWithSignal(async () => sleep(5), { signal: b.signal });
    await sleep(0);
    a.abort("plain text");
    b.abort();
    t.is(((await outcome(t1)) as Error).message, "plain text");
    t.is(((await outcome(t2)) as Error).message, "This operation was aborted");
  });
});

test("createTaskWithSignal: an already aborted signal cancels the task at once; the coroutine never runs", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    ac.abort("early");
    let ran = false;
    const t1 = createTaskWithSignal(
      async () => {
        ran = true;
      },
      { signal: ac.signal },
    );
    const t2 = createTaskWithSignal(
      function* (): Coroutine<void> {
        ran = true;
        yield* sleep(0);
      },
      { signal: ac.signal },
    );
    t.is(t1.cancelling(), 1);
    const e = await outcome(t1);
    await outcome(t2);
    t.true(isCancelledError(e));
    t.is((e as Error).message, "early");
    t.true(t2.cancelled());
    t.false(ran);
    t.is(listeners(ac.signal), 0);
  });
});

test("createTaskWithSignal: a generator task receives the cancellation at its yield*", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const log: string[] = [];
    const task = createTaskWithSignal(
      function* (): Coroutine<string> {
        try {
          yield* sleep(10);
          return "done";
        } catch (e) {
          log.push(`caught ${(e as Error).message}`);
          throw e;
        } finally {
          log.push("finally");
        }
      },
      { signal: ac.signal },
    );
    await sleep(1);
    ac.abort("stop");
    await outcome(task);
    t.true(task.cancelled());
    t.deepEqual(log, ["caught stop", "finally"]);
  });
});

test("createTaskWithSignal: the listener is removed once the task is done; without a signal it is the core's createTaskWithSignal", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const task = createTaskWithSignal(async () => sleep(1, "ok"), { signal: ac.signal });
    t.is(listeners(ac.signal), 1);
    t.is(await task, "ok");
    await sleep(0); // done callbacks run one iteration later
    t.is(listeners(ac.signal), 0);
    ac.abort(); // too late: nothing happens
    t.is(await task, "ok");
    t.is(await createTaskWithSignal(async () => 2), 2);
  });
});

test("createTaskWithSignal: with the eager task factory (a task done inside createTaskWithSignal keeps no listener)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    loop.setTaskFactory(eagerTaskFactory);
    try {
      const ac = new AbortController();
      const gen = createTaskWithSignal(
        function* (): Coroutine<number> {
          return 1;
        },
        { signal: ac.signal },
      );
      t.true(gen.done());
      t.is(listeners(ac.signal), 0);
      const asyncTask = createTaskWithSignal(async () => 2, { signal: ac.signal });
      t.is(await asyncTask, 2);
      await sleep(0);
      t.is(listeners(ac.signal), 0);
      const waiting = createTaskWithSignal(async () => sleep(5), { signal: ac.signal });
      ac.abort("eager");
      t.is(((await outcome(waiting)) as Error).message, "eager");
    } finally {
      loop.setTaskFactory(undefined);
    }
  });
});

test("createTaskWithSignal: a bad signal is a TypeError", async (t) => {
  await runTest(async () => {
    t.throws(() => createTaskWithSignal(async () => 1, { signal: {} as AbortSignal }), {
      instanceOf: TypeError,
      message: /signal must be an AbortSignal, got Object/,
    });
  });
});

test("createTaskWithSignal: one signal for 1000 concurrent tasks carries one listener and cancels them all", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const tasks = Array.from({ length: 1000 }, () =>
      createTaskWithSignal(async () => sleep(10), { signal: ac.signal }),
    );
    t.is(listeners(ac.signal), 1);
    await sleep(1);
    ac.abort("all");
    for (const task of tasks) await outcome(task);
    t.true(tasks.every((x) => x.cancelled()));
    t.is(listeners(ac.signal), 0);
  });
});

test.serial(
  "createTaskWithSignal: 100k tasks on one signal: no MaxListenersExceededWarning, no listener left",
  async (t) => {
    t.timeout(120_000);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      await runTest(async () => {
        const ac = new AbortController();
        const batch = 1000;
        let max = 0;
        for (let i = 0; i < 100_000; i += batch) {
          const tasks: Task<number>[] = [];
          for (let j = 0; j < batch; j++) tasks.push(createTaskWithSignal(async () => i + j, { signal: ac.signal }));
          max = Math.max(max, listeners(ac.signal));
          for (const task of tasks) await task;
        }
        await sleep(0);
        t.is(max, 1);
        t.is(listeners(ac.signal), 0);
        // And each on its own signal, one after another.
        for (let i = 0; i < 1000; i++) {
          const own = new AbortController();
          await createTaskWithSignal(async () => i, { signal: own.signal });
          await sleep(0);
          t.is(listeners(own.signal), 0);
        }
      });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    t.deepEqual(
      warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message),
      [],
    );
  },
);

// ---- signalOf -----------------------------------------------------------------

test("signalOf(task) is the task's signal, aborted with a CancelledError at the cancel request", async (t) => {
  await runTest(async () => {
    const task = createTaskWithSignal(async () => sleep(10));
    const s = signalOf(task);
    t.is(s, task.signal);
    t.false(s.aborted);
    task.cancel("why");
    t.true(s.aborted); // at the request, before the task ends
    t.true(s.reason instanceof CancelledError);
    t.is((s.reason as Error).message, "why");
    await outcome(task);
  });
});

test("signalOf(future): aborted when the Future is cancelled (a done callback later), never otherwise; one signal per Future", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const f = loop.createFuture();
    const s = signalOf(f);
    t.is(signalOf(f), s);
    f.cancel("msg");
    t.false(s.aborted);
    await sleep(0);
    t.true(s.aborted);
    t.true(s.reason instanceof CancelledError);
    t.is((s.reason as Error).message, "msg");
    const ok = loop.createFuture();
    const s2 = signalOf(ok);
    ok.setResult(1);
    await sleep(0);
    t.false(s2.aborted);
    const already = loop.createFuture();
    already.cancel();
    t.true(signalOf(already).aborted);
  });
});

test("signalOf: bad input is a TypeError", (t) => {
  t.throws(() => signalOf(Promise.resolve() as never), {
    instanceOf: TypeError,
    message: /signalOf\(\) expects a Future or a Task, got Promise/,
  });
});

test("signalOf stops signal-aware work (events.once) when the task is cancelled; the task ends cancelled at once", async (t) => {
  const { loop } = await runOn(async () => {
    const emitter = new EventEmitter();
    const task = createTaskWithSignal(async () => {
      await fromThenable(once(emitter, "ready", { signal: signalOf(currentTask()!) }));
    });
    await sleep(1);
    t.is(emitter.listenerCount("ready"), 1);
    task.cancel("no longer needed");
    const e = await outcome(task);
    t.true(isCancelledError(e));
    t.is((e as Error).message, "no longer needed");
    t.is(emitter.listenerCount("ready"), 0); // events.once stopped listening
    await sleep(0);
  });
  t.deepEqual(loop.errors, []); // the AbortError that once() rejected with is not reported
});

// ---- futureFromSignal ----------------------------------------------------------

test("futureFromSignal: cancelled when the signal aborts, with the reason's message", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const ac = new AbortController();
    loop.callLater(3, () => ac.abort("shutdown"));
    const fut = futureFromSignal(ac.signal);
    t.is(listeners(ac.signal), 1);
    const waiter = createTaskWithSignal(async () => {
      try {
        await fut;
        return "no";
      } catch (e) {
        return `${(e as Error).message} cancelling=${currentTask()!.cancelling()}`;
      }
    });
    t.is(await waiter, "shutdown cancelling=0");
    t.is(loop.time(), 3);
    t.true(fut.cancelled());
    t.is(listeners(ac.signal), 0);
  });
});

test("futureFromSignal: an aborted signal gives a cancelled Future at once; cancelling the Future stops the watching", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    ac.abort(new Error("gone"));
    const f1 = futureFromSignal(ac.signal);
    t.true(f1.cancelled());
    t.is(((await outcome(f1)) as Error).message, "gone");
    const live = new AbortController();
    const f2 = futureFromSignal(live.signal);
    const f3 = futureFromSignal(live.signal);
    t.is(listeners(live.signal), 1);
    f2.cancel();
    await sleep(0);
    t.is(listeners(live.signal), 1); // f3 still watches
    f3.cancel();
    await sleep(0);
    t.is(listeners(live.signal), 0);
  });
});

test("futureFromSignal and signalOf are inverse: abort -> cancel -> abort", async (t) => {
  await runTest(async () => {
    const ac = new AbortController();
    const back = signalOf(futureFromSignal(ac.signal));
    ac.abort("round trip");
    await sleep(0);
    t.true(back.aborted);
    t.is((back.reason as Error).message, "round trip");
  });
});

test("futureFromSignal: bad input is a TypeError; it needs a running loop", (t) => {
  t.throws(() => futureFromSignal("x" as never), {
    instanceOf: TypeError,
    message: /futureFromSignal\(\): signal must be an AbortSignal/,
  });
  t.throws(() => futureFromSignal(new AbortController().signal), { message: /no running event loop/ });
});

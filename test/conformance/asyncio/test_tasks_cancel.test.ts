// Ports of the cancellation part of CPython 3.13 Lib/test/test_asyncio/test_tasks.py
// (BaseTaskTests), plus test_current_task_with_interleaving_tasks,
// test_task_awaits_on_itself and test_sleep_cancel. Each title is the CPython
// test name; "[gen]" marks the same scenario with a generator coroutine.
// White-box checks ([WB]) read the task's internal `_futWaiter` / `_mustCancel`,
// the same fields CPython's tests read.
import test from "ava";
import {
  CancelledError,
  type Future,
  RuntimeError,
  type Task,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  type Coroutine,
} from "../../../src/index.js";
import { makeLoop, runBriefly } from "../../helpers/loop.js";

/** Waits until every task is done, without raising (a stand-in for asyncio.wait in these ports). */
function allDone(loop: ReturnType<typeof makeLoop>, tasks: Future<unknown>[]): Future<void> {
  const f = loop.createFuture<void>();
  let left = tasks.length;
  for (const t of tasks)
    t.addDoneCallback(() => {
      if (--left === 0) f.setResult();
    });
  return f;
}

test("test_cancelling", async (t) => {
  const loop = makeLoop();
  const task = loop.createTask(async () => {
    await sleep(10);
  });
  t.is(task.cancelling(), 0);
  t.true(task.cancel());
  t.is(task.cancelling(), 1);
  // Since CPython commented out two lines of Task.cancel(), a second cancel() returns True.
  t.true(task.cancel());
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  loop.close();
});

for (const style of ["async", "gen"] as const) {
  const name = style === "gen" ? " [gen]" : "";

  test(`test_uncancel_basic${name}`, async (t) => {
    const loop = makeLoop();
    const body =
      style === "async"
        ? async () => {
            try {
              await sleep(10);
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              currentTask()!.uncancel();
              await sleep(10);
            }
          }
        : function* (): Coroutine<void> {
            try {
              yield* sleep(10);
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
              currentTask()!.uncancel();
              yield* sleep(10);
            }
          };
    const task = loop.createTask(body);
    await loop.runUntilComplete(sleepOn(loop, 0.01));
    t.true(task.cancel());
    t.is(task.cancelling(), 1);
    t.false(task.cancelled());
    await loop.runUntilComplete(sleepOn(loop, 0.01));
    t.is(task.cancelling(), 0);
    t.false(task.cancelled());
    t.true(task.cancel());
    t.is(task.cancelling(), 1);
    t.false(task.cancelled());
    await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
    t.true(task.cancelled());
    t.true(task.done());
    task.uncancel();
    t.true(task.cancelled());
    t.true(task.done());
    loop.close();
  });

  test(`test_cancel_task_catching${name}`, async (t) => {
    const loop = makeLoop();
    const fut1 = loop.createFuture();
    const fut2 = loop.createFuture();
    const body =
      style === "async"
        ? async () => {
            await fut1;
            try {
              await fut2;
            } catch (e) {
              if (e instanceof CancelledError) return 42;
              throw e;
            }
            return 0;
          }
        : function* (): Coroutine<number> {
            yield* fut1;
            try {
              yield* fut2;
            } catch (e) {
              if (e instanceof CancelledError) return 42;
              throw e;
            }
            return 0;
          };
    const task = loop.createTask<number>(body);
    await runBriefly(loop);
    t.is(task._futWaiter, fut1); // [WB]
    fut1.setResult(undefined);
    await runBriefly(loop);
    t.is(task._futWaiter, fut2); // [WB]
    task.cancel();
    t.true(fut2.cancelled());
    t.is(await loop.runUntilComplete(task), 42);
    t.false(task.cancelled());
    loop.close();
  });

  test(`test_cancel_task_ignoring${name}`, async (t) => {
    const loop = makeLoop();
    const fut1 = loop.createFuture();
    const fut2 = loop.createFuture();
    const fut3 = loop.createFuture<number>();
    const body =
      style === "async"
        ? async () => {
            await fut1;
            try {
              await fut2;
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
            }
            return await fut3;
          }
        : function* (): Coroutine<number> {
            yield* fut1;
            try {
              yield* fut2;
            } catch (e) {
              if (!(e instanceof CancelledError)) throw e;
            }
            return yield* fut3;
          };
    const task = loop.createTask<number>(body);
    await runBriefly(loop);
    t.is(task._futWaiter, fut1); // [WB]
    fut1.setResult(undefined);
    await runBriefly(loop);
    t.is(task._futWaiter, fut2); // [WB]
    task.cancel();
    t.true(fut2.cancelled());
    await runBriefly(loop);
    t.is(task._futWaiter, fut3); // [WB]
    fut3.setResult(42);
    t.is(await loop.runUntilComplete(task), 42);
    t.false(fut3.cancelled());
    t.false(task.cancelled());
    loop.close();
  });

  test(`test_cancel_current_task${name}`, async (t) => {
    const loop = makeLoop();
    let mustCancelInside: boolean | undefined;
    let task: Task<number>;
    const body =
      style === "async"
        ? async () => {
            task.cancel();
            mustCancelInside = task._mustCancel; // [WB]
            await sleep(100); // cancelled at once
            return 12;
          }
        : function* (): Coroutine<number> {
            task.cancel();
            mustCancelInside = task._mustCancel; // [WB]
            yield* sleep(100);
            return 12;
          };
    task = loop.createTask<number>(body);
    t.false(task.cancelled());
    await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
    t.true(mustCancelInside);
    t.true(task.done());
    t.true(task.cancelled());
    t.false(task._mustCancel); // [WB]
    t.false(task.cancel());
    t.is(loop.time(), 0, "the sleep was cancelled, not waited for");
    loop.close();
  });

  test(`test_cancel_at_end${name}`, async (t) => {
    // The coroutine ends right after its task is cancelled: the task ends cancelled.
    const loop = makeLoop();
    let mustCancelInside: boolean | undefined;
    let task: Task<number>;
    const body =
      style === "async"
        ? async () => {
            task.cancel();
            mustCancelInside = task._mustCancel; // [WB]
            return 12;
          }
        : // eslint-disable-next-line require-yield
          function* (): Coroutine<number> {
            task.cancel();
            mustCancelInside = task._mustCancel; // [WB]
            return 12;
          };
    task = loop.createTask<number>(body);
    await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
    t.true(mustCancelInside);
    t.true(task.cancelled());
    t.false(task._mustCancel); // [WB]
    t.false(task.cancel());
    loop.close();
  });

  test(`test_cancel_awaited_task${name}`, async (t) => {
    // bpo-34872: a task cancelled while not blocked cancels the next future it blocks on.
    const loop = makeLoop();
    const fut = loop.createFuture();
    let nested: Task<unknown> | undefined;
    let task: Task<void>;
    const body =
      style === "async"
        ? async () => {
            nested = createTask(async () => {
              await fut;
            });
            await sleep(0);
            task.cancel();
            await nested;
          }
        : function* (): Coroutine<void> {
            nested = createTask(function* () {
              yield* fut;
            });
            yield* sleep(0);
            task.cancel();
            yield* nested;
          };
    task = loop.createTask<void>(body);
    await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
    t.true(task.cancelled());
    t.true(nested!.cancelled());
    t.true(fut.cancelled());
    loop.close();
  });
}

test("test_uncancel_structured_blocks", async (t) => {
  const loop = makeLoop();
  async function makeRequestWithTimeout(sleepFor: number, timeout: number) {
    const task = currentTask()!;
    const l = task.getLoop();
    let timedOut = false;
    let structuredBlockFinished = false;
    let outerCodeReached = false;
    const timeoutHandle = l.callLater(timeout, () => {
      timedOut = true;
      task.cancel();
    });
    try {
      let pending: unknown;
      try {
        await sleep(sleepFor);
        structuredBlockFinished = true;
      } catch (e) {
        pending = e;
      } finally {
        timeoutHandle.cancel();
        if (timedOut && task.uncancel() === 0 && pending instanceof CancelledError) {
          // The five rules of the CPython comment, in order: uncancel in a
          // finally, only for our own cancel, convert only at count 0, only a
          // CancelledError, and unschedule the trigger (done above).
          pending = new TimeoutError();
        }
      }
      if (pending !== undefined) throw pending;
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      t.true(timedOut);
    }
    outerCodeReached = true;
    await sleep(0);
    return [timedOut, structuredBlockFinished, outerCodeReached] as const;
  }
  const t1 = loop.createTask(() => makeRequestWithTimeout(10.0, 0.1));
  t.deepEqual(await loop.runUntilComplete(t1), [true, false, true]);
  t.is(t1.cancelling(), 0);
  const t2 = loop.createTask(() => makeRequestWithTimeout(0, 10.0));
  t.deepEqual(await loop.runUntilComplete(t2), [false, true, true]);
  t.is(t2.cancelling(), 0);
  loop.close();
});

for (const style of ["async", "gen"] as const) {
  test(`test_uncancel_resets_must_cancel${style === "gen" ? " [gen]" : ""}`, async (t) => {
    const loop = makeLoop();
    const fut = loop.createFuture();
    const body =
      style === "async"
        ? async () => {
            await fut;
            return 42;
          }
        : function* (): Coroutine<number> {
            yield* fut;
            return 42;
          };
    const task = loop.createTask<number>(body);
    await loop.runUntilComplete(sleepOn(loop, 0)); // get the task waiting for fut
    fut.setResult(undefined); // make the task runnable
    task.cancel();
    t.is(task.cancelling(), 1);
    t.true(task._mustCancel); // [WB]
    task.uncancel();
    t.is(task.cancelling(), 0);
    t.false(task._mustCancel); // [WB]
    t.is(await loop.runUntilComplete(task), 42);
    loop.close();
  });
}

test("test_cancel_both_task_and_inner_future", async (t) => {
  const loop = makeLoop();
  const f = loop.createFuture();
  const task = loop.createTask(async () => {
    await f;
    return 12;
  });
  await runBriefly(loop);
  f.cancel();
  task.cancel();
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  t.true(task.done());
  t.true(f.cancelled());
  t.true(task.cancelled());
  loop.close();
});

test("test_cancel_inner_future", async (t) => {
  const loop = makeLoop();
  const f = loop.createFuture();
  const task = loop.createTask(async () => {
    await f;
    return 12;
  });
  await runBriefly(loop);
  f.cancel();
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  t.true(f.cancelled());
  t.true(task.cancelled());
  loop.close();
});

test("test_cancel_yield", async (t) => {
  const loop = makeLoop();
  const task = loop.createTask(async () => {
    await sleep(0);
    await sleep(0);
    return 12;
  });
  await runBriefly(loop);
  task.cancel();
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  t.true(task.done());
  t.true(task.cancelled());
  t.false(task.cancel());
  loop.close();
});

test("test_cancellation_exception_context", async (t) => {
  // Python chains with __context__/__cause__; JavaScript's equivalent is
  // `cause`, set explicitly (`raise ... from ex` → `{ cause: ex }`).
  const loop = makeLoop();
  const fut = loop.createFuture();
  const task = loop.createTask(async () => {
    const inner = createTask(async () => {
      fut.setResult(undefined);
      await sleep(10);
    });
    await fut;
    getRunningLoop().callSoon(() => inner.cancel("msg"));
    try {
      await inner;
    } catch (ex) {
      if (ex instanceof CancelledError) throw new ValueError("cancelled", { cause: ex });
      throw ex;
    }
  });
  const err = await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: ValueError, message: "cancelled" });
  t.true(err!.cause instanceof CancelledError);
  t.is((err!.cause as Error).message, "msg");
  loop.close();
});

test("test_cancel_with_message_before_starting_task", async (t) => {
  // asyncio.wait([task]) is replaced by a done-callback wait (wait() has its own ports).
  const loop = makeLoop();
  let bodyRan = false;
  const task = loop.createTask(async () => {
    const inner = createTask(async () => {
      bodyRan = true;
      await sleep(10);
    });
    inner.cancel("my message"); // before it ever ran
    await allDone(loop, [inner]);
    inner.exception();
  });
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError, message: "my message" });
  t.false(bodyRan, "a task cancelled before its first step never runs its body");
  loop.close();
});

test("test_yield_wait_does_not_shield_cancel", async (t) => {
  // Cancelling outer() makes its wait return early, and leaves inner() running.
  const loop = makeLoop();
  let proof = 0;
  const waiter = loop.createFuture();
  const outer = loop.createTask(async () => {
    const inner = createTask(async () => {
      await waiter;
      proof += 1;
    });
    await allDone(loop, [inner]);
    proof += 100;
  });
  await runBriefly(loop);
  outer.cancel();
  await t.throwsAsync(loop.runUntilComplete(outer), { instanceOf: CancelledError });
  waiter.setResult(undefined);
  await runBriefly(loop);
  t.is(proof, 1);
  loop.close();
});

test("test_yield_future_passes_cancel", async (t) => {
  const loop = makeLoop();
  let proof = 0;
  const waiter = loop.createFuture();
  async function inner() {
    try {
      await waiter;
    } catch (e) {
      if (e instanceof CancelledError) proof += 1;
      throw e;
    }
    t.fail("got past waiter in inner()");
  }
  const f = loop.createTask(async () => {
    try {
      await inner();
    } catch (e) {
      if (e instanceof CancelledError) proof += 100;
      else throw e;
      return;
    }
    proof += 10;
  });
  await runBriefly(loop);
  f.cancel();
  await loop.runUntilComplete(f);
  t.is(proof, 101);
  t.true(waiter.cancelled());
  loop.close();
});

test("test_current_task_with_interleaving_tasks", async (t) => {
  const loop = makeLoop();
  const fut1 = loop.createFuture();
  const fut2 = loop.createFuture();
  const seen: boolean[] = [];
  const task1: Task<void> = loop.createTask(async () => {
    seen.push(currentTask() === task1);
    await fut1;
    seen.push(currentTask() === task1);
    fut2.setResult(true);
  });
  const task2: Task<void> = loop.createTask(async () => {
    seen.push(currentTask() === task2);
    fut1.setResult(true);
    await fut2;
    seen.push(currentTask() === task2);
  });
  await loop.runUntilComplete(allDone(loop, [task1, task2]));
  t.deepEqual(seen, [true, true, true, true]);
  t.is(currentTask(), undefined);
  loop.close();
});

test("test_current_task_with_interleaving_tasks [gen]", async (t) => {
  const loop = makeLoop();
  const fut1 = loop.createFuture();
  const fut2 = loop.createFuture();
  const seen: boolean[] = [];
  const task1: Task<void> = loop.createTask(function* () {
    seen.push(currentTask() === task1);
    yield* fut1;
    seen.push(currentTask() === task1);
    fut2.setResult(true);
  });
  const task2: Task<void> = loop.createTask(function* () {
    seen.push(currentTask() === task2);
    fut1.setResult(true);
    yield* fut2;
    seen.push(currentTask() === task2);
  });
  await loop.runUntilComplete(allDone(loop, [task1, task2]));
  t.deepEqual(seen, [true, true, true, true]);
  loop.close();
});

test("test_task_awaits_on_itself", async (t) => {
  const loop = makeLoop();
  const task: Task<void> = loop.createTask(function* () {
    yield* task;
  });
  await t.throwsAsync(loop.runUntilComplete(task), {
    instanceOf: RuntimeError,
    message: /Task cannot await on itself/,
  });
  loop.close();
});

test("test_task_awaits_on_itself [async]", async (t) => {
  // An async function that awaits its own task would wait forever in
  // JavaScript; the task detects it when the await registers on itself.
  const loop = makeLoop();
  const task: Task<void> = loop.createTask(async () => {
    await task;
  });
  await t.throwsAsync(loop.runUntilComplete(task), {
    instanceOf: RuntimeError,
    message: /Task cannot await on itself/,
  });
  loop.close();
});

test("test_sleep_cancel", async (t) => {
  const loop = makeLoop();
  const handles: { cancelled(): boolean }[] = [];
  const orig = loop.callLater.bind(loop);
  loop.callLater = ((delay: number, cb: (...a: unknown[]) => unknown, ...args: unknown[]) => {
    const h = orig(delay, cb, ...args);
    handles.push(h);
    return h;
  }) as typeof loop.callLater;
  const task = loop.createTask(() => sleep(10.0, "yeah"));
  await runBriefly(loop);
  t.is(handles.length, 1);
  t.false(handles[0]!.cancelled());
  task.cancel();
  await runBriefly(loop);
  t.true(handles[0]!.cancelled());
  loop.close();
});

test("sleep(0) yields exactly one loop iteration, in both styles", async (t) => {
  // Iteration counts match asyncio in both styles. Known difference inside one
  // iteration: async-function steps run in the microtasks that follow the
  // iteration's callbacks (JavaScript resumes an async function only from a
  // microtask), so a generator step scheduled in the same iteration runs
  // before them; each style keeps FIFO order among itself.
  const loop = makeLoop();
  const order: string[] = [];
  const iteration = (): number => iterations;
  let iterations = 0;
  const count = (): void => {
    iterations++;
    loop.callSoon(count);
  };
  loop.callSoon(count);
  loop.createTask(async () => {
    order.push(`a1@${iteration()}`);
    await sleep(0);
    order.push(`a2@${iteration()}`);
    await sleep(0);
    order.push(`a3@${iteration()}`);
  });
  loop.createTask(function* () {
    order.push(`g1@${iteration()}`);
    yield* sleep(0);
    order.push(`g2@${iteration()}`);
    yield* sleep(0);
    order.push(`g3@${iteration()}`);
  });
  await runBriefly(loop);
  await runBriefly(loop);
  loop.close();
  const byStyle = (p: string) => order.filter((o) => o.startsWith(p));
  t.deepEqual(byStyle("a"), ["a1@1", "a2@2", "a3@3"]);
  t.deepEqual(byStyle("g"), ["g1@1", "g2@2", "g3@3"]);
});

test("task.signal is aborted with a CancelledError on the cancel request", async (t) => {
  const loop = makeLoop();
  let reason: unknown;
  const task = loop.createTask(async () => {
    const signal = currentTask()!.signal;
    // A foreign, signal-aware wait: stops at once on cancel.
    await new Promise((_resolve, reject) => {
      signal.addEventListener("abort", () => reject((reason = signal.reason)), { once: true });
    });
  });
  await runBriefly(loop);
  task.cancel("stop");
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  t.true(reason instanceof CancelledError);
  t.is((reason as Error).message, "stop");
  loop.close();
});

test("a cancel while awaiting a foreign promise arrives at the next await on ours", async (t) => {
  const loop = makeLoop();
  const steps: string[] = [];
  let release!: () => void;
  const foreign = new Promise<void>((r) => (release = r));
  const task = loop.createTask(async () => {
    await foreign; // not cancellable: a foreign promise
    steps.push("after foreign");
    await sleep(1); // the cancellation arrives here
    steps.push("after sleep");
  });
  await runBriefly(loop);
  task.cancel();
  release();
  await t.throwsAsync(loop.runUntilComplete(task), { instanceOf: CancelledError });
  t.deepEqual(steps, ["after foreign"]);
  loop.close();
});

function sleepOn(loop: ReturnType<typeof makeLoop>, delay: number): Future<void> {
  const f = loop.createFuture<void>();
  loop.callLater(delay, () => f.setResult());
  return f;
}

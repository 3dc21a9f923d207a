// Ports of CPython 3.13 Lib/test/test_asyncio/test_waitfor.py
// (AsyncioWaitForTest, WaitForShieldTests) on the virtual-time loop:
// time.monotonic() is loop.time(). A Python coroutine object `coro()` passed
// to wait_for is a function `() => coro()` (or the promise itself), run in
// the calling task as asyncio 3.12+ does. Implicit `__context__` chains
// become the `cause` set by `raise TimeoutError from exc`.
import test from "ava";
import {
  CancelledError,
  TimeoutError,
  createTask,
  getRunningLoop,
  shield,
  sleep,
  wait,
  waitFor,
  type Coroutine,
} from "../../../src/index.js";
import { runTest } from "../../helpers/loop.js";

// A very small timeout: it passes "timeout > 0" but has almost no effect.
const EPSILON = 0.0001;

async function raises(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    await aw;
  } catch (e) {
    return e;
  }
  throw new Error("did not raise");
}

/** A task that runs for TASK_TIMEOUT seconds, ignoring cancel requests. */
class SlowTask {
  static readonly TASK_TIMEOUT = 0.2;
  exited = false;
  async run(): Promise<void> {
    const loop = getRunningLoop();
    const exitat = loop.time() + SlowTask.TASK_TIMEOUT;
    for (;;) {
      const tosleep = exitat - loop.time();
      if (tosleep <= 0) break;
      try {
        await sleep(tosleep);
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
      }
    }
    this.exited = true;
  }
}

test("test_asyncio_wait_for_cancelled", async (t) => {
  await runTest(async () => {
    const st = new SlowTask();
    const waitfortask = createTask(() => waitFor(() => st.run(), SlowTask.TASK_TIMEOUT * 2));
    await sleep(0);
    waitfortask.cancel();
    await wait(new Set([waitfortask]));
    t.true(st.exited);
  });
});

test("test_asyncio_wait_for_timeout", async (t) => {
  await runTest(async () => {
    const st = new SlowTask();
    try {
      await waitFor(() => st.run(), SlowTask.TASK_TIMEOUT / 2);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
    t.true(st.exited);
  });
});

test("test_wait_for_timeout_less_then_0_or_0_future_done", async (t) => {
  await runTest(async () => {
    const fut = getRunningLoop().createFuture<string>();
    fut.setResult("done");
    const ret = await waitFor(fut, 0);
    t.is(ret, "done");
    t.true(fut.done());
  });
});

test("test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started", async (t) => {
  await runTest(async () => {
    let fooStarted = false;
    const foo = async (): Promise<void> => {
      fooStarted = true;
    };
    t.true((await raises(waitFor(foo, 0))) instanceof TimeoutError);
    t.false(fooStarted);
  });
});

for (const timeout of [0, -1]) {
  test(`test_wait_for_timeout_less_then_0_or_0 (timeout=${timeout})`, async (t) => {
    await runTest(async () => {
      const loop = getRunningLoop();
      let fooRunning: boolean | undefined;
      const started = loop.createFuture<void>();
      const fut = createTask(async () => {
        fooRunning = true;
        started.setResult();
        try {
          await sleep(10);
        } finally {
          fooRunning = false;
        }
        return "done";
      });
      await started;
      const e = await raises(waitFor(fut, timeout));
      t.true(e instanceof TimeoutError);
      t.true((e as Error).cause instanceof CancelledError);
      t.true(fut.done());
      // it should have been cancelled due to the timeout
      t.true(fut.cancelled());
      t.is(fooRunning, false);
    });
  });
}

test("test_wait_for", async (t) => {
  await runTest(async () => {
    let fooRunning: boolean | undefined;
    const fut = createTask(async () => {
      fooRunning = true;
      try {
        await sleep(300); // support.LONG_TIMEOUT
      } finally {
        fooRunning = false;
      }
      return "done";
    });
    t.true((await raises(waitFor(fut, 0.1))) instanceof TimeoutError);
    t.true(fut.done());
    t.true(fut.cancelled());
    t.is(fooRunning, false);
    t.is(getRunningLoop().time(), 0.1);
  });
});

test("test_wait_for (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    let fooRunning: boolean | undefined;
    const fut = createTask(function* () {
      fooRunning = true;
      try {
        yield* sleep(300);
      } finally {
        fooRunning = false;
      }
      return "done";
    });
    try {
      yield* waitFor(fut, 0.1);
      t.fail();
    } catch (e) {
      t.true(e instanceof TimeoutError);
    }
    t.true(fut.cancelled());
    t.is(fooRunning, false);
  });
});

test("test_wait_for_blocking", async (t) => {
  await runTest(async () => {
    const res = await waitFor(async () => "done", null);
    t.is(res, "done");
  });
});

test("test_wait_for_race_condition", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    const task = waitFor(fut, 0.2);
    loop.callSoon(() => fut.setResult("ok"));
    t.is(await task, "ok");
  });
});

test("test_wait_for_cancellation_race_condition", async (t) => {
  await runTest(async () => {
    const inner = async (): Promise<number> => {
      t.true((await raises(sleep(1))) instanceof CancelledError);
      return 1;
    };
    const result = await waitFor(inner, 0.01);
    t.is(result, 1);
  });
});

test("test_wait_for_waits_for_task_cancellation", async (t) => {
  await runTest(async () => {
    let taskDone = false;
    const innerTask = createTask(async () => {
      try {
        await sleep(10);
      } catch (e) {
        if (e instanceof CancelledError) await sleep(EPSILON);
        throw e;
      } finally {
        taskDone = true;
      }
    });
    const e = await raises(waitFor(innerTask, EPSILON));
    t.true(e instanceof TimeoutError);
    t.true(taskDone);
    t.true((e as Error).cause instanceof CancelledError); // __context__ in Python
  });
});

test("test_wait_for_waits_for_task_cancellation_w_timeout_0", async (t) => {
  await runTest(async () => {
    let taskDone = false;
    const foo = async (): Promise<void> => {
      const innerTask = createTask(async () => {
        try {
          await sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) await sleep(EPSILON);
          throw e;
        } finally {
          taskDone = true;
        }
      });
      await sleep(EPSILON);
      await waitFor(innerTask, 0);
    };
    const e = await raises(foo());
    t.true(e instanceof TimeoutError);
    t.true(taskDone);
    t.true((e as Error).cause instanceof CancelledError);
  });
});

class FooException extends Error {}

// The async-function caller needs innerTask's FooException to be delivered
// although innerTask accepted the caller's cancel (Task._wakeupGivesCancel,
// fixed in core); the generator port below follows asyncio's __step.
test("test_wait_for_reraises_exception_during_cancellation (async-function caller)", async (t) => {
  await runTest(async () => {
    const foo = async (): Promise<void> => {
      const innerTask = createTask(async () => {
        try {
          await sleep(0.2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new FooException();
        }
      });
      await waitFor(innerTask, EPSILON);
    };
    t.true((await raises(foo())) instanceof FooException);
  });
});

test("test_wait_for_reraises_exception_during_cancellation", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const foo = function* (): Coroutine<void> {
      const innerTask = createTask(function* () {
        try {
          yield* sleep(0.2);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new FooException();
        }
      });
      yield* waitFor(innerTask, EPSILON);
    };
    try {
      yield* foo();
      t.fail();
    } catch (e) {
      t.true(e instanceof FooException);
    }
  });
});

for (const [name, timeout] of [
  ["test_cancel_blocking_wait_for", null],
  ["test_cancel_wait_for", 60.0],
] as const) {
  test(name, async (t) => {
    await runTest(async () => {
      const loop = getRunningLoop();
      const task = createTask(async () => {
        const fut = loop.createFuture();
        await fut; // Block: fut result is never set
      });
      const w = createTask(() => waitFor(task, timeout));
      loop.callSoon(() => w.cancel());
      t.true((await raises(w)) instanceof CancelledError);
      // Python issue #23219: cancelling the wait must also cancel the task
      t.true(task.cancelled());
    });
  });
}

test("test_cancel_wait_for (generator coroutines)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const loop = getRunningLoop();
    const task = createTask(function* () {
      yield* loop.createFuture();
    });
    const w = createTask(function* () {
      return yield* waitFor(task, 60.0);
    });
    loop.callSoon(() => w.cancel());
    try {
      yield* w;
      t.fail();
    } catch (e) {
      t.true(e instanceof CancelledError);
    }
    t.true(task.cancelled());
  });
});

test("test_wait_for_cancel_suppressed", async (t) => {
  // GH-86296: a task that suppresses CancelledError and returns a value:
  // wait_for returns the value, as asyncio.timeout does.
  await runTest(async () => {
    const return42 = async (): Promise<number> => {
      try {
        await sleep(10);
      } catch (e) {
        if (e instanceof CancelledError) return 42;
        throw e;
      }
      return 0;
    };
    t.is(await waitFor(return42, 0.1), 42);
  });
});

test("test_wait_for_cancel_suppressed (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const res = yield* waitFor(function* () {
      try {
        yield* sleep(10);
      } catch (e) {
        if (e instanceof CancelledError) return 42;
        throw e;
      }
      return 0;
    }, 0.1);
    t.is(res, 42);
  });
});

test("test_wait_for_issue86296", async (t) => {
  // GH-86296: the task should get cancelled and not run to completion.
  // inner completes in one cycle of the event loop so it completes before
  // the task is cancelled.
  await runTest(async () => {
    const innerTask = createTask(async () => "done");
    let reachedEnd = false;
    const task = createTask(async () => {
      await waitFor(innerTask, 100);
      await sleep(1);
      reachedEnd = true;
    });
    t.false(task.done());
    // Run the task
    await sleep(0);
    task.cancel();
    t.true((await raises(task)) instanceof CancelledError);
    t.true(innerTask.done());
    t.is(await innerTask, "done");
    t.false(reachedEnd);
  });
});

test("test_wait_for_issue86296 (generator coroutines)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const innerTask = createTask(function* () {
      return "done";
    });
    let reachedEnd = false;
    const task = createTask(function* () {
      yield* waitFor(innerTask, 100);
      yield* sleep(1);
      reachedEnd = true;
    });
    yield* sleep(0);
    task.cancel();
    try {
      yield* task;
      t.fail();
    } catch (e) {
      t.true(e instanceof CancelledError);
    }
    t.is(yield* innerTask, "done");
    t.false(reachedEnd);
  });
});

// ---- WaitForShieldTests -------------------------------------------------------

test("test_zero_timeout", async (t) => {
  await runTest(async () => {
    const task = createTask(async () => {
      await sleep(0.01);
      return "done";
    });
    const shieldedTask = shield(task);
    t.true((await raises(waitFor(shieldedTask, 0))) instanceof TimeoutError);
    // Task is running in background
    t.false(task.done());
    t.false(task.cancelled());
    t.true(shieldedTask.cancelled());
    // Wait for the task to complete
    await sleep(0.1);
    t.true(task.done());
  });
});

test("test_none_timeout", async (t) => {
  await runTest(async () => {
    const task = createTask(async () => {
      await sleep(0.1);
      return "done";
    });
    await waitFor(shield(task), null);
    t.true(task.done());
    t.is(await task, "done");
  });
});

test("test_shielded_timeout", async (t) => {
  await runTest(async () => {
    const task = createTask(async () => {
      await sleep(0.1);
      return "done";
    });
    t.true((await raises(waitFor(shield(task), 0.01))) instanceof TimeoutError);
    t.false(task.done());
    t.false(task.cancelled());
    t.is(await task, "done");
  });
});

test("bad input: NaN timeout is a ValueError, a non-number a TypeError", async (t) => {
  await runTest(async () => {
    const { ValueError } = await import("../../../src/index.js");
    t.throws(() => waitFor(sleep(1), NaN), { instanceOf: ValueError });
    t.throws(() => waitFor(sleep(1), "1" as never), { instanceOf: TypeError });
  });
});

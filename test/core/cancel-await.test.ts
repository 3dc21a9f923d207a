// Which await task.cancel() reaches in an async-function task (issue #20):
// the await the task is really suspended on, never a Future that a promise
// chain of the task adopts while it waits elsewhere. Each test starts such a
// chain, then suspends on `sleep(10)` (the real await); cancelled at t = 1,
// the task must end cancelled at t = 1, with the other Future untouched.
// (Before the fix, the core took any `Future.then` call made in the task's
// frame as its await: `other` was cancelled instead and the task ran to the
// end of its sleep, returning normally with cancelling() === 1.)
import test from "ava";
import {
  type Future,
  RuntimeError,
  createTask,
  getRunningLoop,
  isCancelledError,
  sleep,
  type Task,
  VirtualTimeLoop,
} from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

async function outcome(task: Task<unknown>): Promise<unknown> {
  return task.then(
    (v) => v,
    (e) => e,
  );
}

/** Runs `body(other)` in a task, cancels it at t = 1 and checks the task ended cancelled there, `other` untouched. */
async function cancelledAtTheRealAwait(
  t: import("ava").ExecutionContext,
  body: (other: Future<number>) => Promise<unknown>,
): Promise<void> {
  await runTest(async () => {
    const loop = getRunningLoop();
    const other = loop.createFuture<number>();
    const task = createTask(() => body(other));
    await sleep(1);
    t.true(task.cancel("stop"));
    const e = await outcome(task);
    t.true(isCancelledError(e), `the task ended with ${String(e)}`);
    t.is((e as Error).message, "stop");
    t.is(loop.time(), 1, "cancelled at the real await, not at the end of the sleep");
    t.true(task.cancelled());
    t.is(task.cancelling(), 1);
    t.false(other.cancelled(), "the adopted Future is not the victim");
    other.setResult(1);
    await sleep(0);
  });
}

test("a Future adopted by Promise.resolve().then does not take over the task's cancellation", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    const p = Promise.resolve().then(() => other);
    p.catch(() => {});
    await sleep(10);
    return "finished";
  });
});

test("a Future in a Promise.all started and not awaited", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    void Promise.all([other, Promise.resolve(2)]).catch(() => {});
    await sleep(10);
  });
});

test("a Future in a Promise.race started and not awaited", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    void Promise.race([other]).catch(() => {});
    await sleep(10);
  });
});

test("a .then on our Future made in the task's frame and not awaited", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    other.then(() => {}).catch(() => {});
    await sleep(10);
  });
});

test("a .then on our Future made after a microtask, while the task is suspended", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    void Promise.resolve().then(() =>
      other.then(
        () => {},
        () => {},
      ),
    );
    await sleep(10);
  });
});

test("an async helper called without await, awaiting our Future", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    const helper = async (): Promise<number> => await other;
    void helper().catch(() => {});
    await sleep(10);
  });
});

test("an async helper called without await, awaiting our Future after the task suspended", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    const helper = async (): Promise<number> => {
      await null;
      await sleep(0);
      return await other;
    };
    void helper().catch(() => {});
    await sleep(10);
  });
});

test("a thenable whose own then calls ours, adopted and not awaited", async (t) => {
  await cancelledAtTheRealAwait(t, async (other) => {
    const thenable = { then: (ok: (v: number) => void, fail: (e: unknown) => void) => other.then(ok, fail) };
    void Promise.resolve(thenable).catch(() => {});
    void new Promise((resolve) => resolve(thenable)).catch(() => {});
    await sleep(10);
  });
});

// The other side: cancellation still reaches an await made through helpers,
// promise chains and thenables that the task does await.

async function cancelledAtOne(t: import("ava").ExecutionContext, body: () => Promise<unknown>): Promise<void> {
  await runTest(async () => {
    const loop = getRunningLoop();
    const task = createTask(body);
    await sleep(1);
    task.cancel();
    t.true(isCancelledError(await outcome(task)));
    t.is(loop.time(), 1);
  });
}

test("awaited helpers, three levels deep: the innermost sleep is cancelled", async (t) => {
  const h = async (): Promise<number> => {
    await sleep(10);
    return 1;
  };
  const g = async (): Promise<number> => (await h()) + 1;
  await cancelledAtOne(t, async () => await g());
});

test("a helper that returns our awaitable without awaiting it", async (t) => {
  const h = async (): Promise<void> => sleep(10);
  const g = async (): Promise<void> => h();
  await cancelledAtOne(t, async () => {
    await g();
  });
});

test("an awaited promise chain and an awaited thenable that follow our Future", async (t) => {
  await cancelledAtOne(t, async () => {
    await Promise.resolve().then(() => sleep(10));
  });
  await cancelledAtOne(t, async () => {
    const s = sleep(10);
    await { then: (ok: (v: void) => void, fail: (e: unknown) => void) => s.then(ok, fail) };
  });
  await cancelledAtOne(t, async () => {
    await Promise.resolve(sleep(10));
  });
});

test("a cancel while the task runs is delivered at its next await", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const other = loop.createFuture<number>();
    let reached = false;
    const task = createTask(async () => {
      currentCancel();
      other.then(() => {}); // not an await: the cancel is not delivered here
      reached = true;
      await sleep(10);
    });
    const currentCancel = (): boolean => task.cancel();
    t.true(isCancelledError(await outcome(task)));
    t.true(reached);
    t.is(loop.time(), 0);
    t.false(other.cancelled());
  });
});

// ---- issue #18, items 2-4 ------------------------------------------------------

test("Task.cancel() through a chain of 20,000 tasks awaiting each other cancels them all (no stack overflow)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const leaf = loop.createFuture<void>();
    let prev: Future<void> = leaf;
    const tasks: Task<void>[] = [];
    for (let i = 0; i < 20_000; i++) {
      const inner = prev;
      const task: Task<void> = createTask(async () => {
        await inner;
      });
      tasks.push(task);
      prev = task;
    }
    await sleep(0);
    const top = tasks[tasks.length - 1]!;
    t.true(top.cancel());
    t.true(leaf.cancelled());
    t.true(isCancelledError(await outcome(top)));
    t.true(tasks.every((x) => x.cancelled()));
  });
});

test("Task.cancel() through a chain of 20,000 generator tasks", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const leaf = loop.createFuture<void>();
    let prev: Future<void> = leaf;
    const tasks: Task<void>[] = [];
    for (let i = 0; i < 20_000; i++) {
      const inner = prev;
      const task: Task<void> = createTask(function* () {
        yield* inner;
      });
      tasks.push(task);
      prev = task;
    }
    await sleep(0);
    const top = tasks[tasks.length - 1]!;
    t.true(top.cancel());
    t.true(leaf.cancelled());
    t.true(isCancelledError(await outcome(top))); // one loop iteration per level, as in asyncio
    t.true(tasks.every((x) => x.cancelled()));
  });
});

test("createTask(() => gen()): a function returning a generator object runs it as a generator coroutine", async (t) => {
  await runTest(async () => {
    function* body(): Generator<unknown, string, unknown> {
      yield* sleep(1);
      return "ran";
    }
    const task = createTask(() => body());
    t.is(await task, "ran");
    t.is(getRunningLoop().time(), 1);
    const slow = createTask(() => body());
    await sleep(0.5);
    slow.cancel();
    t.true(isCancelledError(await outcome(slow)));
    t.is(getRunningLoop().time(), 1.5); // cancelled at its yield*, at once
  });
});

test("awaiting a Future of another loop in an async-function task raises RuntimeError, as in a generator", async (t) => {
  const otherLoop = new VirtualTimeLoop();
  const foreign = otherLoop.createFuture<number>();
  await runTest(async () => {
    const asyncTask = createTask(async () => await foreign);
    const genTask = createTask(function* () {
      return yield* foreign;
    });
    const a = await outcome(asyncTask);
    const g = await outcome(genTask);
    t.true(a instanceof RuntimeError);
    t.true(g instanceof RuntimeError);
    t.regex((a as Error).message, /attached to a different loop/);
    t.regex((g as Error).message, /attached to a different loop/);
  });
  otherLoop.close();
});

// A function that starts a `then` chain, then returns (without awaiting) our
// Future: V8 reads the Future's `then` as it resolves the function's promise,
// and that read is no await of the chain's promise. (Before the fix the
// chain's `then` was taken for the function's await: its later reaction
// re-pointed the task at an unrelated promise and cancel() never reached
// the Future, as with an executor job returned by an async function.)
test("a function that starts a then chain and returns our Future unawaited is cancelled at that Future", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const later = new Promise<void>((resolve) => loop.callLater(0.5, resolve));
    const task = createTask(async () => {
      // The reaction, when it runs, makes promises of its own in the task's frame.
      void later.then(() => Promise.resolve().then(() => {}));
      return fut;
    });
    await sleep(1);
    t.true(task.cancel());
    t.true(fut.cancelled(), "the returned Future is what the task waits on");
    t.true(isCancelledError(await outcome(task)));
    t.is(loop.time(), 1);
  });
});

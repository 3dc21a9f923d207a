// Ports of CPython 3.13 Lib/test/test_asyncio/test_eager_task_factory.py.
// Generator coroutines match asyncio exactly; for async functions the first
// step also runs inside createTask, but JavaScript reports an async
// function's return only through a promise, so its completion is seen after
// the current microtasks (see the "[async]" variants).
import test from "ava";
import {
  CancelledError,
  ContextVar,
  Task,
  TaskGroup,
  allTasks,
  currentTask,
  eagerTaskFactory,
  gather,
  sleep,
  type Coroutine,
} from "../../../src/index.js";
import { makeLoop } from "../../helpers/loop.js";

function eagerLoop() {
  const loop = makeLoop();
  loop.setTaskFactory(eagerTaskFactory);
  return loop;
}

test("test_eager_completion", async (t) => {
  const loop = eagerLoop();
  // eslint-disable-next-line require-yield
  function* coro(): Coroutine<string> {
    return "hello";
  }
  const result = await loop.runUntilComplete(function* (): Coroutine<string> {
    const task = loop.createTask(coro);
    t.true(task.done(), "the eager step completed the task");
    return yield* task;
  });
  t.is(result, "hello");
  loop.close();
});

test("test_eager_completion [async]", async (t) => {
  const loop = eagerLoop();
  const result = await loop.runUntilComplete(async () => {
    const task = loop.createTask(async () => "hello");
    t.false(task.done(), "an async function's return arrives through a promise");
    await null; // one microtask: no loop iteration
    t.true(task.done());
    return await task;
  });
  t.is(result, "hello");
  loop.close();
});

test("test_block_after_eager_step", async (t) => {
  const loop = eagerLoop();
  const result = await loop.runUntilComplete(async () => {
    const task = loop.createTask(async () => {
      await sleep(0.1);
      return "finished after blocking";
    });
    t.false(task.done());
    const r = await task;
    t.true(task.done());
    return r;
  });
  t.is(result, "finished after blocking");
  loop.close();
});

test("test_cancellation_after_eager_step_blocks", async (t) => {
  const loop = eagerLoop();
  const main = loop.createTask(async () => {
    const task = loop.createTask(async () => {
      await sleep(0.1);
      return "finished after blocking";
    });
    task.cancel("cancellation message");
    t.true(task.cancelling() > 0);
    await task;
  });
  await t.throwsAsync(loop.runUntilComplete(main), { instanceOf: CancelledError, message: "cancellation message" });
  loop.close();
});

for (const style of ["gen", "async"] as const) {
  test(`test_current_task${style === "async" ? " [async]" : ""}`, async (t) => {
    const loop = eagerLoop();
    let captured: Task<unknown> | undefined;
    await loop.runUntilComplete(async () => {
      const task: Task<void> =
        style === "gen"
          ? loop.createTask(function* () {
              captured = currentTask();
              yield* sleep(0.1);
              t.is(currentTask(), captured);
            })
          : loop.createTask(async () => {
              captured = currentTask();
              await sleep(0.1);
              t.is(currentTask(), captured);
            });
      t.is(captured, task);
      await task;
    });
    loop.close();
  });
}

test("test_all_tasks_with_eager_completion", async (t) => {
  const loop = eagerLoop();
  let captured: Set<Task<unknown>> | undefined;
  await loop.runUntilComplete(async () => {
    // eslint-disable-next-line require-yield
    const task = loop.createTask(function* () {
      captured = allTasks();
    });
    t.true(captured!.has(task));
    t.false(allTasks().has(task));
  });
  loop.close();
});

test("test_context_vars", async (t) => {
  const loop = eagerLoop();
  const cv = new ContextVar<number>("cv", { default: 0 });
  let firstStepRan = false;
  let secondStepRan = false;
  await loop.runUntilComplete(async () => {
    cv.set(1);
    const task = loop.createTask(async () => {
      t.is(cv.get(), 1);
      cv.set(2);
      t.is(cv.get(), 2);
      firstStepRan = true;
      await sleep(0.1);
      t.is(cv.get(), 2);
      cv.set(3);
      t.is(cv.get(), 3);
      secondStepRan = true;
    });
    t.true(firstStepRan);
    t.false(secondStepRan);
    t.is(cv.get(), 1);
    await task;
    t.true(secondStepRan);
    t.is(cv.get(), 1);
  });
  loop.close();
});

// BaseTaskCountingTests: a factory that counts the tasks created without an eager start.
function countingLoop(eager: boolean) {
  const loop = makeLoop();
  const counter = { count: 0 };
  loop.setTaskFactory((l, coro, options) => {
    if (!eager) counter.count++;
    return new Task(coro, { ...options, loop: l, eagerStart: eager });
  });
  return { loop, counter };
}

function* recursiveTaskgroups(width: number, depth: number): Coroutine<void> {
  if (depth === 0) return;
  yield* new TaskGroup().run(function* (tg): Coroutine<void> {
    for (let i = 0; i < width; i++) tg.createTask(recursiveTaskgroups(width, depth - 1));
  });
}

function* recursiveGather(width: number, depth: number): Coroutine<void> {
  if (depth === 0) return;
  yield* gather(...Array.from({ length: width }, () => recursiveGather(width, depth - 1)));
}

for (const [eager, expected] of [
  [false, 781], // 1 + 5 + 5^2 + 5^3 + 5^4
  [true, 0],
] as const) {
  const cls = eager ? "EagerTests" : "NonEagerTests";
  test(`${cls}.test_recursive_taskgroups`, async (t) => {
    const { loop, counter } = countingLoop(eager);
    await loop.runUntilComplete(loop.createTask(recursiveTaskgroups(5, 4)));
    t.is(counter.count, expected);
    loop.close();
  });
  test(`${cls}.test_recursive_gather`, async (t) => {
    const { loop, counter } = countingLoop(eager);
    await loop.runUntilComplete(loop.createTask(recursiveGather(5, 4)));
    t.is(counter.count, expected);
    loop.close();
  });
}

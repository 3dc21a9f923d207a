// Ports of CPython 3.13 Lib/test/test_asyncio/test_queues.py (asyncio.md §3:
// the core list and the "further" list), with the original class and method
// names as titles. White-box asserts on `_getters`/`_putters` read the
// test-only deques (documented @internal in src/queues.ts) or statistics().
//
// Porting conventions (as in test_locks.test.ts):
// - `asyncio.create_task(q.get())` becomes `createTask(() => q.get())`;
// - a TaskGroup that only awaits its tasks becomes awaiting each task;
// - the mixin classes (join, shutdown) run once per queue class, titled
//   `QueueJoinTests.…`, `LifoQueueJoinTests.…`, `PriorityQueueJoinTests.…`.
import test from "ava";
import {
  CancelledError,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
  ValueError,
  createTask,
  getRunningLoop,
  sleep,
  waitFor,
  type Coroutine,
  type Task,
} from "../../../src/index.js";
import { runTest } from "../../helpers/loop.js";

const tick = (): PromiseLike<void> => sleep(0);

async function settle(tasks: Task<unknown>[]): Promise<void> {
  for (const t of tasks) {
    try {
      await t;
    } catch {
      // collected by the caller's own asserts
    }
  }
}

// ---------------------------------------------------------- QueueBasicTests

test("QueueBasicTests.test_empty", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    t.true(q.empty());
    await q.put(1);
    t.false(q.empty());
    t.is(await q.get(), 1);
    t.true(q.empty());
  });
});

test("QueueBasicTests.test_full", async (t) => {
  await runTest(async () => {
    let q = new Queue<number>();
    t.false(q.full());
    q = new Queue<number>(1);
    await q.put(1);
    t.true(q.full());
  });
});

test("QueueBasicTests.test_order", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    for (const i of [1, 3, 2]) await q.put(i);
    const items = [await q.get(), await q.get(), await q.get()];
    t.deepEqual(items, [1, 3, 2]);
  });
});

for (const style of ["async", "generator"] as const) {
  test(`QueueBasicTests.test_maxsize${style === "generator" ? " [generator]" : ""}`, async (t) => {
    await runTest(async () => {
      const q = new Queue<number>(2);
      t.is(q.maxsize, 2);
      const haveBeenPut: number[] = [];
      const task =
        style === "async"
          ? createTask(async () => {
              for (let i = 0; i < 3; i++) {
                await q.put(i);
                haveBeenPut.push(i);
              }
              return true;
            })
          : createTask(function* (): Coroutine<boolean> {
              for (let i = 0; i < 3; i++) {
                yield* q.put(i);
                haveBeenPut.push(i);
              }
              return true;
            });
      for (let i = 0; i < 2; i++) await tick();
      // The putter is blocked after putting two items.
      t.deepEqual(haveBeenPut, [0, 1]);
      t.is(await q.get(), 0);
      // Let the putter resume and put the last item.
      await tick();
      t.deepEqual(haveBeenPut, [0, 1, 2]);
      t.is(await q.get(), 1);
      t.is(await q.get(), 2);
      t.true(task.done());
      t.true(task.result());
    });
  });
}

// ------------------------------------------------------------ QueueGetTests

test("QueueGetTests.test_blocking_get", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    t.is(await q.get(), 1);
  });
});

test("QueueGetTests.test_get_with_putters", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const q = new Queue<number>(1);
    await q.put(1);
    const waiter = loop.createFuture<void>();
    q._putters.push(waiter);
    t.is(await q.get(), 1);
    t.true(waiter.done());
    t.is(waiter.result(), undefined);
  });
});

test("QueueGetTests.test_blocking_get_wait", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const q = new Queue<number>();
    const { Event } = await import("../../../src/index.js");
    const started = new Event();
    let finished = false;
    const task = createTask(async () => {
      started.set();
      const res = await q.get();
      finished = true;
      return res;
    });
    await started.wait();
    t.false(finished);
    loop.callLater(0.01, () => q.putNowait(1));
    const res = await task;
    t.true(finished);
    t.is(res, 1);
  });
});

test("QueueGetTests.test_nonblocking_get", (t) => {
  const q = new Queue<number>();
  q.putNowait(1);
  t.is(q.getNowait(), 1);
});

test("QueueGetTests.test_nonblocking_get_exception", (t) => {
  const q = new Queue<number>();
  t.throws(() => q.getNowait(), { instanceOf: QueueEmpty });
});

for (const style of ["async", "generator"] as const) {
  test(`QueueGetTests.test_get_cancelled_race${style === "generator" ? " [generator]" : ""}`, async (t) => {
    await runTest(async () => {
      const q = new Queue<string>();
      const mk = () =>
        style === "async"
          ? createTask(() => q.get())
          : createTask(function* () {
              return yield* q.get();
            });
      const t1 = mk();
      const t2 = mk();
      await tick();
      t1.cancel();
      await tick();
      t.true(t1.done());
      await q.put("a");
      await tick();
      t.is(await t2, "a");
    });
  });
}

test("QueueGetTests.test_get_with_waiting_putters", async (t) => {
  await runTest(async () => {
    const q = new Queue<string>(1);
    createTask(() => q.put("a"));
    createTask(() => q.put("b"));
    t.is(await q.get(), "a");
    t.is(await q.get(), "b");
  });
});

test("QueueGetTests.test_why_are_getters_waiting", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>(1);
    const n = 5;
    const producer = createTask(async () => {
      for (let i = 0; i < n; i++) await q.put(i);
    });
    const got: number[] = [];
    const consumer = createTask(async () => {
      for (let i = 0; i < n; i++) got.push(await q.get());
    });
    await producer;
    await consumer;
    t.deepEqual(got, [0, 1, 2, 3, 4]);
  });
});

test("QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters", async (t) => {
  await runTest(async () => {
    const queue = new Queue<number>(5);
    await t.throwsAsync(async () => waitFor(queue.get(), 0.1), { instanceOf: TimeoutError });
    t.is(queue._getters.length, 0);
    t.is(queue.statistics().getters, 0);
  });
});

// ------------------------------------------------------------ QueuePutTests

test("QueuePutTests.test_blocking_put", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    await q.put(1); // no maxsize: does not block
    t.is(await q.get(), 1);
  });
});

test("QueuePutTests.test_blocking_put_wait", async (t) => {
  await runTest(async () => {
    const { Event } = await import("../../../src/index.js");
    const q = new Queue<number>(1);
    const started = new Event();
    let finished = false;
    const loop = getRunningLoop();
    loop.callLater(0.01, () => q.getNowait());
    const task = createTask(async () => {
      started.set();
      await q.put(1);
      await q.put(2);
      finished = true;
    });
    await started.wait();
    t.false(finished);
    await task;
    t.true(finished);
  });
});

test("QueuePutTests.test_nonblocking_put", (t) => {
  const q = new Queue<number>();
  q.putNowait(1);
  t.is(q.getNowait(), 1);
});

test("QueuePutTests.test_get_cancel_drop_one_pending_reader", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    let reader = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.putNowait(2);
    reader.cancel();
    try {
      await reader;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      reader = createTask(() => q.get()); // try again
      await reader;
    }
    // 2 would mean 1 got dropped.
    t.is(reader.result(), 1);
  });
});

test("QueuePutTests.test_get_cancel_drop_many_pending_readers", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    const reader1 = createTask(() => q.get());
    const reader2 = createTask(() => q.get());
    const reader3 = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.putNowait(2);
    reader1.cancel();
    await t.throwsAsync(async () => reader1, { instanceOf: CancelledError });
    await reader3;
    await reader2;
    // The order in which concurrent readers receive results is undefined.
    t.deepEqual(new Set([reader2.result(), reader3.result()]), new Set([1, 2]));
  });
});

test("QueuePutTests.test_put_cancel_drop", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    // a second item has to block (maxsize 1)
    let writer = createTask(() => q.put(2));
    await tick();
    t.is(q.getNowait(), 1);
    writer.cancel();
    try {
      await writer;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      writer = createTask(() => q.put(2)); // try again
      await writer;
    }
    t.is(q.getNowait(), 2);
    t.is(q.qsize(), 0);
  });
});

test("QueuePutTests.test_nonblocking_put_exception", (t) => {
  const q = new Queue<number>(1);
  q.putNowait(1);
  t.throws(() => q.putNowait(2), { instanceOf: QueueFull });
});

test("QueuePutTests.test_float_maxsize", async (t) => {
  await runTest(async () => {
    let q = new Queue<number>(1.3);
    q.putNowait(1);
    q.putNowait(2);
    t.true(q.full());
    t.throws(() => q.putNowait(3), { instanceOf: QueueFull });
    q = new Queue<number>(1.3);
    await q.put(1);
    await q.put(2);
    t.true(q.full());
  });
});

test("QueuePutTests.test_put_cancelled", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    const task = createTask(async () => {
      await q.put(1);
      return true;
    });
    t.is(await q.get(), 1);
    t.true(task.done());
    t.true(task.result());
  });
});

for (const style of ["async", "generator"] as const) {
  test(`QueuePutTests.test_put_cancelled_race${style === "generator" ? " [generator]" : ""}`, async (t) => {
    await runTest(async () => {
      const q = new Queue<string>(1);
      const mk = (x: string) =>
        style === "async"
          ? createTask(() => q.put(x))
          : createTask(function* () {
              yield* q.put(x);
            });
      const putA = mk("a");
      const putB = mk("b");
      const putC = mk("X");
      await tick();
      t.true(putA.done());
      t.false(putB.done());
      putC.cancel();
      await tick();
      t.true(putC.done());
      t.is(q.getNowait(), "a");
      await tick();
      t.is(q.getNowait(), "b");
      await putB;
    });
  });
}

test("QueuePutTests.test_put_with_waiting_getters", async (t) => {
  await runTest(async () => {
    const q = new Queue<string>();
    const task = createTask(() => q.get());
    await tick();
    await q.put("a");
    t.is(await task, "a");
  });
});

test("QueuePutTests.test_why_are_putters_waiting", async (t) => {
  await runTest(async () => {
    const queue = new Queue<number>(2);
    const getter = createTask(async () => {
      await tick();
      const num = queue.qsize();
      for (let i = 0; i < num; i++) queue.getNowait();
    });
    const putters = [0, 1, 2, 3].map((i) => createTask(() => queue.put(i)));
    await getter;
    for (const p of putters) await p; // would hang (virtual time: never end) if a putter were lost
    t.is(queue.qsize(), 2);
  });
});

test("QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters", async (t) => {
  await runTest(async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(1);
    const putTask = createTask(() => queue.put(1));
    await tick();
    t.is(queue._putters.length, 1);
    putTask.cancel();
    await t.throwsAsync(async () => putTask, { instanceOf: CancelledError });
    t.is(queue._putters.length, 0);
  });
});

test("QueuePutTests.test_cancelled_put_silence_value_error_exception", async (t) => {
  await runTest(async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(1);
    const putTask = createTask(() => queue.put(1));
    await tick();
    // getNowait() removes put_task's future from the putters...
    queue.getNowait();
    // ...so the removal in put() on cancellation finds nothing: no error but the CancelledError.
    putTask.cancel();
    await t.throwsAsync(async () => putTask, { instanceOf: CancelledError });
  });
});

// ---------------------------------------------------- LifoQueue / Priority

test("LifoQueueTests.test_order", async (t) => {
  await runTest(async () => {
    const q = new LifoQueue<number>();
    for (const i of [1, 3, 2]) await q.put(i);
    t.deepEqual([await q.get(), await q.get(), await q.get()], [2, 3, 1]);
  });
});

test("PriorityQueueTests.test_order", async (t) => {
  await runTest(async () => {
    const q = new PriorityQueue<number>();
    for (const i of [1, 3, 2]) await q.put(i);
    t.deepEqual([await q.get(), await q.get(), await q.get()], [1, 2, 3]);
  });
});

// ----------------------------------------------- join and shutdown mixins

const classes = [
  ["Queue", Queue],
  ["LifoQueue", LifoQueue],
  ["PriorityQueue", PriorityQueue],
] as const;

for (const [name, Q] of classes) {
  const mk = <T>(maxsize?: number): Queue<T> => new Q<T>(maxsize);

  test(`${name}JoinTests.test_task_done_underflow`, (t) => {
    const q = mk<number>();
    t.throws(() => q.taskDone(), { instanceOf: ValueError, message: "task_done() called too many times" });
  });

  test(`${name}JoinTests.test_task_done`, async (t) => {
    await runTest(async () => {
      const q = mk<number>();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let accumulator = 0;
      // Two workers get items and call taskDone after each; join() waits for all.
      let running = true;
      const worker = async (): Promise<void> => {
        while (running) {
          const item = await q.get();
          accumulator += item;
          q.taskDone();
        }
      };
      const tasks = [createTask(worker), createTask(worker)];
      await q.join();
      t.is(accumulator, 4950);
      running = false; // stop the workers
      for (let i = 0; i < tasks.length; i++) q.putNowait(0);
      await settle(tasks);
    });
  });

  test(`${name}JoinTests.test_join_empty_queue`, async (t) => {
    await runTest(async () => {
      const q = mk<number>();
      // join() returns at once (twice, for insurance)
      await q.join();
      await q.join();
      t.pass();
    });
  });

  const assertShutdown = async (t: import("ava").ExecutionContext, fn: () => unknown): Promise<void> => {
    await t.throwsAsync(async () => fn(), { instanceOf: QueueShutDown }, "Didn't appear to shut-down queue");
  };

  test(`${name}ShutdownTests.test_shutdown_empty`, async (t) => {
    await runTest(async () => {
      const q = mk<string>();
      const getTask = createTask(() => q.get());
      await tick(); // the get task is pending before the shutdown
      q.shutdown(false); // unfinished tasks: 0 -> 0
      t.is(q.qsize(), 0);
      await q.join();
      await tick();
      t.true(getTask.done());
      await assertShutdown(t, () => getTask);
      await assertShutdown(t, () => q.put("data"));
      await assertShutdown(t, () => q.putNowait("data"));
      await assertShutdown(t, () => q.get());
      await assertShutdown(t, () => q.getNowait());
    });
  });

  test(`${name}ShutdownTests.test_shutdown_nonempty`, async (t) => {
    await runTest(async () => {
      const q = mk<string>(1);
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      const putTask = createTask(() => q.put("data2"));
      await tick();
      t.false(putTask.done());
      q.shutdown(false); // unfinished tasks: 1 -> 1
      t.is(q.qsize(), 1);
      await tick();
      t.true(putTask.done());
      await assertShutdown(t, () => putTask);
      t.is(await q.get(), "data"); // the item queued is still served
      await tick();
      t.false(joinTask.done());
      await assertShutdown(t, () => q.put("data"));
      await assertShutdown(t, () => q.putNowait("data"));
      await assertShutdown(t, () => q.get());
      await assertShutdown(t, () => q.getNowait());
      q.taskDone(); // 1 unfinished task
      await tick();
      t.true(joinTask.done());
      await joinTask;
      t.throws(() => q.taskDone(), { instanceOf: ValueError }, "Didn't appear to mark all tasks done");
    });
  });

  test(`${name}ShutdownTests.test_shutdown_immediate`, async (t) => {
    await runTest(async () => {
      const q = mk<string>();
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      q.shutdown(true); // unfinished tasks: 1 -> 0
      t.is(q.qsize(), 0);
      await tick();
      t.true(joinTask.done());
      await joinTask;
      await assertShutdown(t, () => q.put("data"));
      await assertShutdown(t, () => q.putNowait("data"));
      await assertShutdown(t, () => q.get());
      await assertShutdown(t, () => q.getNowait());
      t.throws(() => q.taskDone(), { instanceOf: ValueError });
    });
  });

  test(`${name}ShutdownTests.test_shutdown_immediate_with_unfinished`, async (t) => {
    await runTest(async () => {
      const q = mk<string>();
      q.putNowait("data");
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      t.is(await q.get(), "data");
      q.shutdown(true); // unfinished tasks: 2 -> 1
      t.is(q.qsize(), 0);
      await tick();
      t.false(joinTask.done());
      await assertShutdown(t, () => q.put("data"));
      await assertShutdown(t, () => q.putNowait("data"));
      await assertShutdown(t, () => q.get());
      await assertShutdown(t, () => q.getNowait());
      q.taskDone(); // the 1 unfinished task
      t.throws(() => q.taskDone(), { instanceOf: ValueError });
      await tick();
      t.true(joinTask.done());
      await joinTask;
    });
  });
}

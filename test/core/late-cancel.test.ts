// A cancel requested by another callback of the loop iteration in which an
// async-function task's step began, before the microtasks that run the rest
// of that step. The loop runs an iteration's callbacks back to back and the
// async function continues in the microtasks after them, so such a request
// lands "inside" the step; in asyncio the step is atomic and would be over.
// Each case was run side by side with CPython 3.13 (`asyncio.Queue`,
// `asyncio.Lock`, `loop.call_soon(t.cancel)`); its output is in the test.
// (Before the fix, a task whose step took a queue item or a lock and then
// returned ended cancelled: the item or the lock was lost.)
import test from "ava";
import {
  Lock,
  Queue,
  type Task,
  createTask,
  currentTask,
  getRunningLoop,
  isCancelledError,
  sleep,
} from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

async function outcome(task: Task<unknown>): Promise<unknown> {
  return task.then(
    (v) => v,
    (e) => (isCancelledError(e) ? "cancelled" : e),
  );
}

test("createTask(async () => q.get()) cancelled by a later callback of its first step's iteration keeps the item", async (t) => {
  // asyncio: q.put_nowait(5); t = create_task(f()); call_soon(t.cancel) -> result 5, qsize 0
  await runTest(async () => {
    const loop = getRunningLoop();
    for (const body of [(q: Queue<number>) => async () => q.get(), (q: Queue<number>) => async () => await q.get()]) {
      const q = new Queue<number>();
      q.putNowait(5);
      const task = createTask(body(q));
      loop.callSoon(() => t.true(task.cancel()));
      t.is(await outcome(task), 5);
      t.is(q.qsize(), 0);
    }
  });
});

test("a getter woken by put and cancelled by a later callback of the wake-up's iteration keeps the item", async (t) => {
  // asyncio: t suspended on get(); q.put_nowait(5); call_soon(t.cancel) -> result 5, qsize 0
  await runTest(async () => {
    const loop = getRunningLoop();
    for (const body of [(q: Queue<number>) => async () => q.get(), (q: Queue<number>) => async () => await q.get()]) {
      const q = new Queue<number>();
      const task = createTask(body(q));
      await sleep(0);
      q.putNowait(5);
      loop.callSoon(() => task.cancel());
      t.is(await outcome(task), 5);
      t.is(q.qsize(), 0);
    }
  });
});

test("a getter cancelled before its wake-up runs still leaves the item in the queue", async (t) => {
  // asyncio: t suspended on get(); q.put_nowait(5); t.cancel() -> cancelled, qsize 1
  await runTest(async () => {
    const q = new Queue<number>();
    const task = createTask(async () => q.get());
    await sleep(0);
    q.putNowait(5);
    task.cancel();
    t.is(await outcome(task), "cancelled");
    t.is(q.qsize(), 1);
  });
});

test("createTask(async () => lock.acquire()) cancelled later in the same iteration holds the lock and returns true", async (t) => {
  // asyncio: t = create_task(lock.acquire()); call_soon(t.cancel) -> True, locked, cancel() came too late
  await runTest(async () => {
    const lock = new Lock();
    const task = createTask(async () => lock.acquire());
    getRunningLoop().callSoon(() => task.cancel());
    t.is(await outcome(task), true);
    t.true(lock.locked());
  });
});

test("the step's own cancel request still ends the task cancelled (asyncio: cancelled right before it returned)", async (t) => {
  await runTest(async () => {
    const task = createTask(async () => {
      currentTask()!.cancel();
      return 1;
    });
    t.is(await outcome(task), "cancelled");
  });
});

test("a late request reaches the step's next await on one of ours", async (t) => {
  // asyncio: await q.get(); return await fut  with call_soon(t.cancel) -> cancelled, fut cancelled
  await runTest(async () => {
    const loop = getRunningLoop();
    const q = new Queue<number>();
    q.putNowait(1);
    const fut = loop.createFuture<number>();
    const task = createTask(async () => {
      await q.get();
      return await fut;
    });
    loop.callSoon(() => task.cancel());
    t.is(await outcome(task), "cancelled");
    t.true(fut.cancelled());
  });
});

test("a request while the task awaits a foreign promise that settles in a later iteration ends it cancelled", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const foreign = new Promise<number>((resolve) => loop.callLater(1, () => resolve(1)));
    const task = createTask(async () => await foreign);
    loop.callSoon(() => task.cancel());
    t.is(await outcome(task), "cancelled");
  });
});

// Errors people read: each names what was attempted or what the user passed, and what was expected.
import test from "ava";
import { gather, Queue, QueueEmpty, QueueFull, QueueShutDown } from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

test("QueueFull names the non-blocking put, the queue's bound and what to do instead", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    const e = t.throws(() => q.putNowait(2), { instanceOf: QueueFull });
    t.regex(e!.message, /putNowait\(\) on a full queue \(maxsize 1, 1 items\).*await put\(\)/);
  });
});

test("QueueEmpty names the non-blocking get and what to do instead", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    const e = t.throws(() => q.getNowait(), { instanceOf: QueueEmpty });
    t.regex(e!.message, /getNowait\(\) on an empty queue.*await get\(\)/);
  });
});

test("QueueShutDown names the call made on the shut-down queue", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    q.shutdown();
    t.regex(t.throws(() => q.putNowait(1), { instanceOf: QueueShutDown })!.message, /putNowait\(\).*shut down/);
    t.regex(t.throws(() => q.getNowait(), { instanceOf: QueueShutDown })!.message, /getNowait\(\).*shut down/);
  });
});

test("gather(1, 2) says what it expected and what it got, without Python's names", async (t) => {
  await runTest(async () => {
    const e = t.throws(() => gather(1 as never, 2 as never), { instanceOf: TypeError });
    t.notRegex(e!.message, /asyncio\./);
    t.regex(e!.message, /expected a Future, a Task, a coroutine .* or an awaitable .*, got number/);
  });
});

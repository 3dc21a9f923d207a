// toQueue: an rxjs 7.8.2 Observable pumped into a core Queue. Completion
// and errors shut the queue down (Python 3.13 Queue.shutdown: getters
// raise only once it is drained); a source error is raised by the getters
// instead of QueueShutDown; a full queue applies the overflow policy.
import test from "ava";
import { Subject, concat, of, throwError } from "rxjs";
import { toQueue } from "../../../adapters/rxjs/index.js";
import { Queue, QueueFull, QueueShutDown, createTask, sleep } from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

test("values go to the queue; completion shuts it down, QueueShutDown only once drained", async (t) => {
  await runTest(async () => {
    const { queue, subscription } = toQueue(of(1, 2, 3));
    t.true(subscription.closed);
    t.true(queue.statistics().shutdown);
    t.is(await queue.get(), 1);
    const rest: number[] = [];
    for await (const v of queue) rest.push(v);
    t.deepEqual(rest, [2, 3]);
    await t.throwsAsync(async () => queue.get(), { instanceOf: QueueShutDown });
  });
});

test("a waiting getter gets the value; cancelling it loses nothing", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const { queue } = toQueue(s);
    const a = createTask(async () => queue.get());
    const b = createTask(async () => queue.get());
    await sleep(0);
    a.cancel();
    s.next(1);
    await sleep(0);
    t.is(await b, 1);
    t.true(a.cancelled());
    t.is(queue.qsize(), 0);
  });
});

test("a source error shuts the queue down and is raised by the getter that drains it", async (t) => {
  await runTest(async () => {
    const err = new Error("source failed");
    const { queue } = toQueue(
      concat(
        of(1),
        throwError(() => err),
      ),
    );
    t.is(queue.getNowait(), 1);
    t.is(await t.throwsAsync(async () => queue.get()), err);
    t.is(
      t.throws(() => queue.getNowait()),
      err,
    );
    // and `for await` over the queue raises it too
    await t.throwsAsync(
      async () => {
        for await (const _ of queue) t.fail();
      },
      { is: err },
    );
  });
});

test("an error while a getter waits is raised in that getter", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const { queue } = toQueue(s);
    const getter = createTask(async () => queue.get());
    await sleep(0);
    s.error("plain");
    const e = await t.throwsAsync(getter as unknown as Promise<unknown>, { any: true });
    t.is(e, "plain" as unknown as Error);
  });
});

test("a source error no getter ever raises is reported once, as never retrieved", async (t) => {
  const { loop } = await runOn(async () => {
    toQueue(throwError(() => new Error("nobody looked")));
    await sleep(0);
  });
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
  }
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0]!.exception as Error).message, "nobody looked");
});

test("bounded policies on the queue: dropOldest, dropNewest, error (QueueFull, unsubscribed)", async (t) => {
  await runTest(async () => {
    for (const [overflow, expected] of [
      ["dropOldest", [3, 4, 5]],
      ["dropNewest", [1, 2, 3]],
    ] as const) {
      const s = new Subject<number>();
      const { queue } = toQueue(s, { policy: { bufferSize: 3, overflow } });
      t.is(queue.maxsize, 3);
      for (let i = 1; i <= 5; i++) s.next(i);
      s.complete();
      const got: number[] = [];
      for await (const v of queue) got.push(v);
      t.deepEqual(got, [...expected], overflow);
      t.is(queue.statistics().unfinishedTasks, expected.length, "a dropped value counts as done");
    }
    const s = new Subject<number>();
    const { queue, subscription } = toQueue(s, { policy: { bufferSize: 2, overflow: "error" } });
    s.next(1);
    s.next(2);
    s.next(3);
    t.false(s.observed);
    t.true(subscription.closed);
    t.is(queue.getNowait(), 1);
    t.is(queue.getNowait(), 2);
    t.throws(() => queue.getNowait(), { instanceOf: QueueFull });
  });
});

test("a queue of our own with a maxsize: unbounded acts as overflow error", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const q = new Queue<number>(1);
    const { queue } = toQueue(s, { queue: q });
    t.is(queue, q);
    s.next(1);
    s.next(2);
    t.false(s.observed);
    t.is(q.getNowait(), 1);
    await t.throwsAsync(async () => q.get(), { instanceOf: QueueFull });
  });
});

test("latest and next on a queue", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const { queue } = toQueue(s, { policy: "latest" });
    s.next(1);
    s.next(2);
    t.is(queue.qsize(), 1);
    t.is(queue.getNowait(), 2);
    const n = new Subject<number>();
    const { queue: q2 } = toQueue(n, { policy: "next" });
    n.next(1); // nobody waits: dropped
    const getter = createTask(async () => q2.get());
    await sleep(0);
    n.next(2);
    n.next(3); // the getter was woken already: dropped
    t.is(await getter, 2);
    t.is(q2.qsize(), 0);
  });
});

test("unsubscribe: no subscription left, the queue stays open; a consumer's shutdown stops the pumping", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const { queue, subscription } = toQueue(s);
    s.next(1);
    subscription.unsubscribe();
    t.false(s.observed);
    t.false(queue.statistics().shutdown);
    t.is(queue.getNowait(), 1);
    const s2 = new Subject<number>();
    const { queue: q2 } = toQueue(s2);
    q2.shutdown();
    s2.next(1);
    t.false(s2.observed);
  });
});

test("bad input: clear errors", async (t) => {
  await runTest(async () => {
    t.throws(() => toQueue(of(1), { queue: {} as Queue<number> }), { instanceOf: TypeError });
    t.throws(() => toQueue(of(1), { policy: { bufferSize: -1, overflow: "error" } }), { name: "ValueError" });
  });
});

test("without a running loop: RuntimeError and no subscription", (t) => {
  const s = new Subject<number>();
  t.throws(() => toQueue(s), { name: "RuntimeError" });
  t.false(s.observed);
});

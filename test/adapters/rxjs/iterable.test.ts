// toAsyncIterable against real rxjs 7.8.2 Subjects: lazy subscription,
// each policy, errors after buffered values, and cancellation or teardown
// at every point (before the first value, between values, while next() is
// pending, after completion) with the Subject unobserved afterwards and no
// pending next() left unsettled.
import test from "ava";
import { Subject, concat, of, throwError } from "rxjs";
import { toAsyncIterable, type ObservableIterator } from "../../../adapters/rxjs/index.js";
import { CancelledError, Future, QueueFull, createTask, sleep } from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

async function drain<T>(it: ObservableIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

test("next() returns a core Future; subscription is lazy (first next())", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s);
    t.false(s.observed, "nothing subscribed before next()");
    const n = it.next();
    t.true(n instanceof Future);
    t.true(s.observed);
    s.next(1);
    t.deepEqual(await n, { value: 1, done: false });
    await it.return();
    t.false(s.observed);
  });
});

test("it is an async iterator, not an async generator", async (t) => {
  await runTest(async () => {
    const it = toAsyncIterable(of(1));
    t.is(Object.prototype.toString.call(it), "[object Object]");
    t.is(it[Symbol.asyncIterator](), it as unknown as AsyncIterator<number>);
    t.deepEqual(await drain(it), [1]);
  });
});

test("unbounded: lossless FIFO, synchronous sources included", async (t) => {
  await runTest(async () => {
    t.deepEqual(await drain(toAsyncIterable(of(1, 2, 3, 4))), [1, 2, 3, 4]);
    const s = new Subject<number>();
    const it = toAsyncIterable(s);
    const first = it.next();
    for (let i = 0; i < 5; i++) s.next(i);
    s.complete();
    t.deepEqual(await first, { value: 0, done: false });
    t.deepEqual(await drain(it), [1, 2, 3, 4]);
  });
});

test("values buffered before an error are delivered before it; then done", async (t) => {
  await runTest(async () => {
    const err = new Error("boom");
    const it = toAsyncIterable(
      concat(
        of(1, 2),
        throwError(() => err),
      ),
    );
    t.deepEqual(await it.next(), { value: 1, done: false });
    t.deepEqual(await it.next(), { value: 2, done: false });
    t.is(await t.throwsAsync(it.next() as unknown as Promise<unknown>), err);
    t.deepEqual(await it.next(), { value: undefined, done: true });
  });
});

test("an error while next() is pending fails that next(); a non-Error passes unchanged", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s);
    const a = it.next();
    const b = it.next();
    s.error("plain string");
    t.is(await t.throwsAsync(a as unknown as Promise<unknown>, { any: true }), "plain string" as unknown as Error);
    t.deepEqual(await b, { value: undefined, done: true });
    t.false(s.observed);
  });
});

test("latest: only the newest unread value is kept", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s, { policy: "latest" });
    const first = it.next();
    s.next(1); // to the waiting next()
    s.next(2);
    s.next(3);
    t.deepEqual(await first, { value: 1, done: false });
    t.deepEqual(await it.next(), { value: 3, done: false });
    s.next(4);
    s.complete();
    t.deepEqual(await drain(it), [4]);
  });
});

test("next: only values that arrive while a next() waits", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s, { policy: "next" });
    const first = it.next();
    s.next(1);
    s.next(2); // nobody waits: dropped
    t.deepEqual(await first, { value: 1, done: false });
    const second = it.next();
    s.next(3);
    t.deepEqual(await second, { value: 3, done: false });
    s.next(4);
    s.complete();
    t.deepEqual(await it.next(), { value: undefined, done: true });
  });
});

test("bounded dropOldest / dropNewest keep the newest / oldest bufferSize values", async (t) => {
  await runTest(async () => {
    for (const [overflow, expected] of [
      ["dropOldest", [3, 4, 5]],
      ["dropNewest", [1, 2, 3]],
    ] as const) {
      const s = new Subject<number>();
      const it = toAsyncIterable(s, { policy: { bufferSize: 3, overflow } });
      const first = it.next();
      s.next(0);
      for (let i = 1; i <= 5; i++) s.next(i);
      s.complete();
      t.deepEqual(await first, { value: 0, done: false });
      t.deepEqual(await drain(it), [...expected], overflow);
    }
  });
});

test("bounded error: QueueFull after the buffered values, and unsubscribed", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s, { policy: { bufferSize: 2, overflow: "error" } });
    const first = it.next();
    s.next(0);
    s.next(1);
    s.next(2);
    t.true(s.observed);
    s.next(3); // overflow
    t.false(s.observed);
    t.deepEqual(await first, { value: 0, done: false });
    t.deepEqual(await it.next(), { value: 1, done: false });
    t.deepEqual(await it.next(), { value: 2, done: false });
    const e = await t.throwsAsync(it.next() as unknown as Promise<unknown>);
    t.true(e instanceof QueueFull);
    t.deepEqual(await it.next(), { value: undefined, done: true });
  });
});

test("bad policies: clear errors", (t) => {
  t.throws(() => toAsyncIterable(of(1), { policy: "fifo" as never }), { instanceOf: TypeError });
  t.throws(() => toAsyncIterable(of(1), { policy: { bufferSize: 0, overflow: "error" } }), { name: "ValueError" });
  t.throws(() => toAsyncIterable(of(1), { policy: { bufferSize: 2, overflow: "oldest" as never } }), {
    name: "ValueError",
  });
});

// ---- cancellation and teardown at every point --------------------------

type Stop = "return" | "throw" | "break" | "cancelTask";
const stops: Stop[] = ["return", "throw", "break", "cancelTask"];
const points = ["before the first value", "between values", "while next() is pending", "after completion"] as const;

for (const stop of stops) {
  for (const point of points) {
    test(`${stop} ${point}: unsubscribed, pending next() settled done`, async (t) => {
      await runTest(async () => {
        const s = new Subject<number>();
        const it = toAsyncIterable(s);
        const got: number[] = [];
        let extra: Future<IteratorResult<number, undefined>> | undefined;
        const consumer = createTask(async () => {
          if (stop === "break") {
            // break happens in the loop body: at the first value (with a
            // second reader pending for "while next() is pending").
            for await (const v of it) {
              got.push(v);
              if (point === "while next() is pending") {
                await sleep(0);
                await sleep(0);
              }
              break;
            }
            return;
          }
          for (;;) {
            const r = await it.next();
            if (r.done) return;
            got.push(r.value);
          }
        });
        await sleep(0);
        t.true(s.observed, "subscribed by the first next()");
        if (point === "between values" || point === "while next() is pending") s.next(1);
        if (point === "after completion") {
          s.next(1);
          s.complete();
        }
        if (stop === "break" && point === "before the first value") s.next(1);
        await sleep(0);
        if (point === "while next() is pending") {
          // a second reader also waits: it must be settled too
          extra = it.next();
        }
        if (point === "after completion") {
          await sleep(0);
          await sleep(0);
        }
        if (stop === "break") await consumer;
        else if (stop === "return") await it.return();
        else if (stop === "throw") {
          const e = new Error("stop");
          t.is(await t.throwsAsync(it.throw(e) as unknown as Promise<unknown>), e);
        } else if (stop === "cancelTask") consumer.cancel();
        t.false(s.observed, "unsubscribed");
        s.next(99); // nothing after
        await sleep(0);
        await sleep(0);
        t.true(consumer.done(), "the consumer is not left waiting");
        if (stop === "cancelTask" && point !== "after completion") t.true(consumer.cancelled());
        else if (consumer.cancelled()) t.fail("consumer should not be cancelled");
        if (extra !== undefined) {
          t.true(extra.done());
          if (!extra.cancelled()) t.deepEqual(extra.result(), { value: undefined, done: true });
        }
        t.false(got.includes(99));
        t.deepEqual(await it.next(), { value: undefined, done: true });
      });
    });
  }
}

test("cancelling a pending next() Future closes the iterator and settles the others", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s);
    const a = it.next();
    const b = it.next();
    t.true(a.cancel());
    t.false(s.observed);
    t.deepEqual(b.result(), { value: undefined, done: true });
    const e = await t.throwsAsync(a as unknown as Promise<unknown>);
    t.true(e instanceof CancelledError);
  });
});

test("a source error the consumer never read goes to the exception handler once", async (t) => {
  const { loop } = await runOn(async () => {
    const it = toAsyncIterable(
      concat(
        of(1, 2),
        throwError(() => new Error("unread")),
      ),
    );
    await it.next();
    await it.return();
  });
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0]!.exception as Error).message, "unread");
});

test("needs a running loop: made outside one it does not subscribe; next() there throws RuntimeError", (t) => {
  const s = new Subject<number>();
  const it = toAsyncIterable(s);
  t.false(s.observed, "lazy: nothing subscribed yet");
  t.throws(() => it.next(), { name: "RuntimeError", message: /no running event loop/ });
  t.false(s.observed, "no subscription left behind");
});

// Property tests (fast-check) with random emission, reading and
// cancellation schedules on the virtual-time loop, against a real rxjs
// 7.8.2 Subject:
// - toAsyncIterable, lossless policies ("unbounded", and a bounded buffer
//   that never overflows): the values read are exactly the values emitted,
//   in order, when nobody stops; a prefix of them when the consumer is
//   cancelled or returns; afterwards the Subject is unobserved and no
//   next() is left pending;
// - lossy policies: what is read is a subsequence of what was emitted (in
//   order, never duplicated), and "latest" always ends with the last value;
// - toQueue with getters cancelled at random: no value lost or duplicated
//   (read + left in the queue = emitted).
import test from "ava";
import fc from "fast-check";
import { Subject } from "rxjs";
import { toAsyncIterable, toQueue, type Policy } from "../../adapters/rxjs/index.js";
import { QueueShutDown, createTask, sleep, type Coroutine, type Future, type Task } from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

/** Producer steps: emit `n` values then wait `wait` (0: one iteration) virtual seconds. */
const producerArb = fc.array(fc.record({ n: fc.integer({ min: 0, max: 3 }), wait: fc.integer({ min: 0, max: 3 }) }), {
  maxLength: 12,
});
/** Consumer waits between reads (virtual seconds; 0: none). */
const consumerArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 });
const stopArb = fc.option(
  fc.record({ at: fc.integer({ min: 0, max: 12 }), how: fc.constantFrom("cancelTask", "return", "cancelNext") }),
  { nil: undefined },
);

async function scenario(
  policy: Policy,
  producer: Array<{ n: number; wait: number }>,
  consumer: number[],
  stop: { at: number; how: string } | undefined,
): Promise<{ emitted: number[]; read: number[]; stopped: boolean; observed: boolean; pendingLeft: boolean }> {
  return runTest(async () => {
    const s = new Subject<number>();
    const it = toAsyncIterable(s, { policy });
    const emitted: number[] = [];
    const read: number[] = [];
    let current: Future<IteratorResult<number, undefined>> | undefined;
    const reader: Task<void> = createTask(async () => {
      // What `for await` does, with the pending next() kept in view.
      try {
        for (let k = 0; ; k++) {
          current = it.next();
          const r = await current;
          if (r.done) return;
          read.push(r.value);
          const w = consumer[k % Math.max(consumer.length, 1)] ?? 0;
          if (w > 0) await sleep(w);
        }
      } finally {
        await it.return();
      }
    });
    await sleep(0);
    let stopped = false;
    let next = 0;
    for (let step = 0; step < producer.length; step++) {
      if (stop !== undefined && stop.at === step) {
        // cancelNext only stops when a next() is pending (a done Future cannot be cancelled)
        if (stop.how === "cancelTask") stopped = reader.cancel();
        else if (stop.how === "return") {
          await it.return();
          stopped = true;
        } else stopped = current?.cancel() ?? false;
        if (stopped) break;
      }
      const { n, wait } = producer[step]!;
      for (let i = 0; i < n; i++) {
        emitted.push(next);
        s.next(next++);
      }
      await sleep(wait);
    }
    if (!stopped) s.complete();
    // bounded: every read eventually happens (the consumer waits at most 3 s per value)
    for (let i = 0; i < 200 && !reader.done(); i++) await sleep(1);
    const observed = s.observed;
    const pendingLeft = current !== undefined && !current.done();
    if (!reader.done()) reader.cancel();
    return { emitted, read, stopped, observed, pendingLeft };
  });
}

function isPrefix(a: number[], b: number[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}
function isSubsequence(a: number[], b: number[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] !== x) j++;
    if (j === b.length) return false;
    j++;
  }
  return true;
}

for (const policy of ["unbounded", { bufferSize: 64, overflow: "error" }] as Policy[]) {
  test(`toAsyncIterable ${JSON.stringify(policy)}: no lost item, whatever the schedule and the cancellation`, async (t) => {
    await fc.assert(
      fc.asyncProperty(producerArb, consumerArb, stopArb, async (producer, consumer, stop) => {
        const r = await scenario(policy, producer, consumer, stop);
        if (r.observed || r.pendingLeft) return false;
        return r.stopped ? isPrefix(r.read, r.emitted) : JSON.stringify(r.read) === JSON.stringify(r.emitted);
      }),
      { numRuns: 60 },
    );
    t.pass();
  });
}

for (const policy of [
  "latest",
  "next",
  { bufferSize: 2, overflow: "dropOldest" },
  { bufferSize: 2, overflow: "dropNewest" },
] as Policy[]) {
  test(`toAsyncIterable ${JSON.stringify(policy)}: in order, never duplicated, torn down`, async (t) => {
    await fc.assert(
      fc.asyncProperty(producerArb, consumerArb, stopArb, async (producer, consumer, stop) => {
        const r = await scenario(policy, producer, consumer, stop);
        if (r.observed || r.pendingLeft) return false;
        if (!isSubsequence(r.read, r.emitted)) return false;
        // "latest" and "dropOldest" keep the newest: an uninterrupted run ends with the last value
        if (
          !r.stopped &&
          r.emitted.length > 0 &&
          (policy === "latest" || (policy as { overflow?: string }).overflow === "dropOldest")
        )
          return r.read.at(-1) === r.emitted.at(-1);
        return true;
      }),
      { numRuns: 40 },
    );
    t.pass();
  });
}

test("toQueue: getters cancelled at random lose no value", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      producerArb,
      fc.array(
        fc.record({ wait: fc.integer({ min: 0, max: 3 }), cancelAfter: fc.option(fc.integer({ min: 0, max: 2 })) }),
        {
          maxLength: 10,
        },
      ),
      async (producer, getters) => {
        return runTest(async () => {
          const s = new Subject<number>();
          const { queue } = toQueue(s);
          const emitted: number[] = [];
          const read: number[] = [];
          const consumer = createTask(async () => {
            for (const g of getters) {
              // A generator task: it ends in the step that takes the item. (An
              // async-function task that took the item but is cancelled before its
              // promise settles ends cancelled and drops it: a core limitation,
              // see Task's doc, not the bridge's.)
              const task = createTask(function* (): Coroutine<number> {
                return yield* queue.get();
              });
              if (g.cancelAfter !== null) {
                await sleep(g.cancelAfter);
                task.cancel();
              }
              try {
                read.push(await task);
              } catch (e) {
                if (e instanceof QueueShutDown) return;
                if (!task.cancelled()) throw e;
              }
              if (g.wait > 0) await sleep(g.wait);
            }
          });
          let next = 0;
          for (const { n, wait } of producer) {
            for (let i = 0; i < n; i++) {
              emitted.push(next);
              s.next(next++);
            }
            await sleep(wait);
          }
          s.complete();
          await consumer;
          while (queue.qsize() > 0) read.push(queue.getNowait());
          return JSON.stringify(read) === JSON.stringify(emitted) && !s.observed;
        });
      },
    ),
    { numRuns: 60 },
  );
  t.pass();
});

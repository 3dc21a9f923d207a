// Scenarios of the rxjs bridges (issue 14), registered in bench/scenarios.ts:
// - toAsyncIterable over 1M values against rxjs-for-await's eachValueFrom
//   (an async generator doing the same job) and a plain Subject read by a
//   minimal hand-written async iterator (the V8 limit of the job);
// - firstValueFrom round trips against rxjs's own firstValueFrom.
// The adapter imports src/ itself, so here the core runs through tsx (not
// the tsc build the other scenarios measure): our figures are, if anything,
// pessimistic.
import { Subject, firstValueFrom as rxFirstValueFrom } from "rxjs";
import { eachValueFrom } from "rxjs-for-await";
import { firstValueFrom, toAsyncIterable } from "../adapters/rxjs/index.js";
import { EventLoop, type Coroutine } from "../src/index.js";
import type { Contender, Scenario } from "./harness.js";

let loop: EventLoop | undefined;
function onOurLoop<T>(main: (() => Promise<T>) | (() => Coroutine<T>)): Promise<T> {
  loop ??= new EventLoop();
  return loop.runUntilComplete(main);
}

function check(sum: number, n: number): void {
  if (sum !== n) throw new Error(`wrong sum ${sum}, expected ${n}`);
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Emits n ones on `subject` in bursts of 100, each followed by a Node
 * macrotask so that the consumer drains the burst (a stream, not one
 * million values buffered at once: eachValueFrom's buffer is an array
 * shifted per value, quadratic when it holds them all).
 */
async function produce(subject: Subject<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    subject.next(1);
    if (i % 100 === 99) await immediate();
  }
  subject.complete();
}

/** A Subject read through a minimal async iterator (unbounded buffer; no cancellation, no policy). */
function plainIterator<T>(subject: Subject<T>): AsyncIterableIterator<T> {
  const buf: T[] = [];
  let head = 0;
  let done = false;
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  subject.subscribe({
    next(v) {
      if (waiting !== undefined) {
        const w = waiting;
        waiting = undefined;
        w({ value: v, done: false });
      } else buf.push(v);
    },
    complete() {
      done = true;
      waiting?.({ value: undefined, done: true });
    },
  });
  return {
    next(): Promise<IteratorResult<T>> {
      if (head < buf.length) {
        const v = buf[head++]!;
        if (head === buf.length) {
          buf.length = 0;
          head = 0;
        }
        return Promise.resolve({ value: v, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((r) => {
        waiting = r;
      });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function consume(it: AsyncIterable<number>, subject: Subject<number>, n: number): Promise<void> {
  let sum = 0;
  const consumer = (async () => {
    for await (const v of it) sum += v;
  })();
  await null; // the consumer subscribes (lazily) before the first value
  await produce(subject, n);
  await consumer;
  check(sum, n);
}

const VALUES = 1_000_000;

const iterate: Scenario = {
  id: "rxjs-iterate",
  title: "rxjs: `for await` over a Subject, 1M values (values/s)",
  unit: "values/s",
  notes: [
    "The producer emits bursts of 100 values, each followed by a Node macrotask (setImmediate) in which the consumer drains the burst; every contender buffers without bound.",
    "Ours: toAsyncIterable (policy unbounded) on our loop, each next() a core Future (cancellable, so a cancelled consumer unsubscribes); run through tsx.",
  ],
  contenders: [
    {
      name: "plain Subject + minimal async iterator",
      reference: true,
      n: VALUES,
      async run(n) {
        const subject = new Subject<number>();
        await consume(plainIterator(subject), subject, n);
      },
    },
    {
      name: "rxjs-for-await eachValueFrom",
      n: VALUES,
      async run(n) {
        const subject = new Subject<number>();
        await consume(eachValueFrom(subject), subject, n);
      },
    },
    {
      name: "rxjs-for-await eachValueFrom, in a Task on our loop",
      n: VALUES,
      async run(n) {
        await onOurLoop(async () => {
          const subject = new Subject<number>();
          await consume(eachValueFrom(subject), subject, n);
        });
      },
    },
    {
      name: "asyncio-ts/rxjs toAsyncIterable, for await in an async-fn Task",
      ours: true,
      n: VALUES,
      async run(n) {
        await onOurLoop(async () => {
          const subject = new Subject<number>();
          await consume(toAsyncIterable(subject), subject, n);
        });
      },
    },
    {
      name: "asyncio-ts/rxjs toAsyncIterable, yield* next() in a generator Task",
      ours: true,
      n: VALUES,
      async run(n) {
        await onOurLoop(async () => {
          const subject = new Subject<number>();
          const it = toAsyncIterable(subject);
          const consumer = loop!.createTask(function* (): Coroutine<number> {
            let sum = 0;
            for (;;) {
              const r = yield* it.next();
              if (r.done) return sum;
              sum += r.value;
            }
          });
          // the consumer's first step (its first next() subscribes) runs in the loop's next iteration
          await immediate();
          await immediate();
          await produce(subject, n);
          check(await consumer, n);
        });
      },
    },
  ] satisfies Contender[],
};

const ROUND_TRIPS = 100_000;

const first: Scenario = {
  id: "rxjs-first",
  title: "rxjs: firstValueFrom round trips (subscribe, emit, await) (round trips/s)",
  unit: "round trips/s",
  notes: [
    "One round trip: a new Subject, firstValueFrom on it, next(i), await the result.",
    "Ours returns a core Future (cancellable, with signal); rxjs's a native Promise (cannot be cancelled). Ours awaited inside a Task on our loop; run through tsx.",
  ],
  contenders: [
    {
      name: "rxjs firstValueFrom",
      n: ROUND_TRIPS,
      async run(n) {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const s = new Subject<number>();
          const p = rxFirstValueFrom(s);
          s.next(1);
          sum += await p;
        }
        check(sum, n);
      },
    },
    {
      name: "rxjs firstValueFrom, in a Task on our loop",
      n: ROUND_TRIPS,
      async run(n) {
        await onOurLoop(async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const s = new Subject<number>();
            const p = rxFirstValueFrom(s);
            s.next(1);
            sum += await p;
          }
          check(sum, n);
        });
      },
    },
    {
      name: "asyncio-ts/rxjs firstValueFrom, yield* in a generator Task",
      ours: true,
      n: ROUND_TRIPS,
      async run(n) {
        await onOurLoop(function* (): Coroutine<void> {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const s = new Subject<number>();
            const f = firstValueFrom(s);
            s.next(1);
            sum += yield* f;
          }
          check(sum, n);
        });
      },
    },
    {
      name: "asyncio-ts/rxjs firstValueFrom, await in an async-fn Task",
      ours: true,
      n: ROUND_TRIPS,
      async run(n) {
        await onOurLoop(async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const s = new Subject<number>();
            const f = firstValueFrom(s);
            s.next(1);
            sum += await f;
          }
          check(sum, n);
        });
      },
    },
  ] satisfies Contender[],
};

/** The rxjs scenarios, appended to bench/scenarios.ts's list. */
export const rxjsScenarios: Scenario[] = [iterate, first];

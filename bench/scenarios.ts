// The scenarios of issue 7. Each contender does the same job n times; the
// hand-written reference is the fewest lines that do that job correctly on
// V8 (the physical limit). Our contenders always run inside our loop.
import { createRequire } from "node:module";
import Bluebird from "bluebird";
import * as effection from "effection";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Mutex as MutexEsm, Semaphore as SemaphoreEsm } from "async-mutex";
import { Subject } from "rxjs";
import type { Coroutine, Future, Task } from "../src/index.js";
import type { Contender, Scenario } from "./harness.js";
import { netScenarios } from "./net.js";
import {
  Lock,
  Queue,
  Semaphore,
  TaskGroup,
  createTask,
  gather,
  getRunningLoop,
  missing,
  onLoop,
  sleep,
  timeout,
  waitFor,
} from "./ours.js";

const require = createRequire(import.meta.url);
const asyncMutexCjs = require("async-mutex") as typeof import("async-mutex");

// ---- jobs shared by every contender --------------------------------------

/** A short async function whose body awaits once (a microtask). */
async function job(): Promise<number> {
  await null;
  return 1;
}

function* genJob(): Coroutine<number> {
  yield* sleep(0);
  return 1;
}

// ---- hand-written references ---------------------------------------------

/** The minimal mutex: a flag and a FIFO of resolvers; acquire returns nothing when free. */
class HandMutex {
  locked = false;
  waiters: Array<() => void> = [];
  head = 0;
  acquire(): Promise<void> | undefined {
    if (!this.locked) {
      this.locked = true;
      return undefined;
    }
    return new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    if (this.head < this.waiters.length) {
      const w = this.waiters[this.head]!;
      this.waiters[this.head++] = undefined as unknown as () => void;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      w(); // ownership passes to the waiter: locked stays true
    } else this.locked = false;
  }
}

/** The minimal bounded channel: a ring buffer; put and get await only when they must. */
class HandChannel<T> {
  buf: (T | undefined)[];
  head = 0;
  size = 0;
  getter: ((v: T) => void) | undefined;
  putter: (() => void) | undefined;
  constructor(readonly cap: number) {
    this.buf = new Array(cap);
  }
  put(v: T): Promise<void> | undefined {
    if (this.getter !== undefined) {
      const g = this.getter;
      this.getter = undefined;
      g(v);
      return undefined;
    }
    if (this.size < this.cap) {
      this.buf[(this.head + this.size++) % this.cap] = v;
      return undefined;
    }
    return new Promise<void>((r) => (this.putter = r)).then(() => this.put(v));
  }
  get(): T | Promise<T> {
    if (this.size > 0) {
      const v = this.buf[this.head]!;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.cap;
      this.size--;
      if (this.putter !== undefined) {
        const p = this.putter;
        this.putter = undefined;
        p();
      }
      return v;
    }
    return new Promise<T>((r) => (this.getter = r));
  }
}

// ---- helpers -------------------------------------------------------------

function times<T>(n: number, f: (i: number) => T): T[] {
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

async function awaitAll(tasks: Future<unknown>[]): Promise<void> {
  for (const t of tasks) await t;
}

function check(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

function oursIf(c: Contender, ...names: string[]): Contender {
  const why = missing(...names);
  return why === undefined ? c : { ...c, skip: why };
}

// ---- 1. create and await tasks ------------------------------------------

const s1: Scenario = {
  id: "tasks",
  title: "1. Create and await tasks running a short async function (tasks/s)",
  unit: "tasks/s",
  notes: [
    "The body awaits once: `await null` (a microtask) in async functions; effection's body does `yield* call(() => Promise.resolve(1))`; the generator coroutine's cheapest suspension is `yield* sleep(0)`, one loop iteration (as `await asyncio.sleep(0)`), so it is compared with our async function doing `await sleep(0)` as well.",
    "Ours awaits each task in turn (`for (const t of tasks) await t`), without gather.",
  ],
  contenders: [
    {
      name: "native async fn + Promise.all",
      reference: true,
      n: 100_000,
      async run(n) {
        const rs = await Promise.all(times(n, () => job()));
        check(rs.length, n, "results");
      },
    },
    {
      name: "effection spawn",
      n: 1_000,
      async run(n) {
        await effection.run(function* () {
          const tasks = [];
          for (let i = 0; i < n; i++)
            tasks.push(yield* effection.spawn(() => effection.call(() => Promise.resolve(1))));
          for (const t of tasks) yield* t;
        });
      },
    },
    {
      name: "createTask(async fn)",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(async () => {
          const ts = times(n, () => createTask(job));
          await awaitAll(ts);
        });
      },
    },
    {
      name: "createTask(async fn awaiting sleep(0))",
      ours: true,
      n: 50_000,
      async run(n) {
        await onLoop(async () => {
          const ts = times(n, () =>
            createTask(async () => {
              await sleep(0);
              return 1;
            }),
          );
          await awaitAll(ts);
        });
      },
    },
    {
      name: "createTask(generator, yield* sleep(0))",
      ours: true,
      n: 50_000,
      async run(n) {
        await onLoop(function* () {
          const ts = times(n, () => createTask(genJob));
          for (const t of ts) yield* t;
        });
      },
    },
  ],
};

// ---- 2. resolve then await a future --------------------------------------

const s2: Scenario = {
  id: "future",
  title: "2. Resolve, then await a future, sequentially (awaits/s)",
  unit: "awaits/s",
  notes: [
    "Each operation creates a pending future (a promise with its resolver), resolves it, then awaits it.",
    "Bluebird awaited from a native async function costs an event-loop turn per await; inside `Bluebird.coroutine` it does not.",
  ],
  contenders: [
    {
      name: "native Promise",
      reference: true,
      n: 1_000_000,
      async run(n) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          let res!: (v: number) => void;
          const p = new Promise<number>((r) => (res = r));
          res(1);
          s += await p;
        }
        check(s, n, "sum");
      },
    },
    {
      name: "native Promise, inside one of our async-fn tasks",
      ours: true,
      n: 1_000_000,
      async run(n) {
        await onLoop(async () => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            let res!: (v: number) => void;
            const p = new Promise<number>((r) => (res = r));
            res(1);
            s += await p;
          }
          check(s, n, "sum");
        });
      },
      note: "user code, not our Future: what the promise hooks that carry the current task cost every promise inside a task",
    },
    {
      name: "bluebird, awaited natively",
      n: 20_000,
      async run(n) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          const d = Bluebird.defer<number>();
          d.resolve(1);
          s += await d.promise;
        }
        check(s, n, "sum");
      },
    },
    {
      name: "bluebird, in Bluebird.coroutine",
      n: 1_000_000,
      async run(n) {
        const s = await Bluebird.coroutine(function* (): Generator<unknown, number, number> {
          let s = 0;
          for (let i = 0; i < n; i++) {
            const d = Bluebird.defer<number>();
            d.resolve(1);
            s += yield d.promise;
          }
          return s;
        })();
        check(s as number, n, "sum");
      },
    },
    {
      name: "Future, await in an async-fn task",
      ours: true,
      n: 1_000_000,
      async run(n) {
        await onLoop(async () => {
          const loop = getRunningLoop();
          let s = 0;
          for (let i = 0; i < n; i++) {
            const f = loop.createFuture<number>();
            f.setResult(1);
            s += await f;
          }
          check(s, n, "sum");
        });
      },
    },
    {
      name: "Future, yield* in a generator task",
      ours: true,
      n: 1_000_000,
      async run(n) {
        await onLoop(function* () {
          const loop = getRunningLoop();
          let s = 0;
          for (let i = 0; i < n; i++) {
            const f = loop.createFuture<number>();
            f.setResult(1);
            s += yield* f;
          }
          check(s, n, "sum");
        });
      },
    },
  ],
};

// ---- 3. Lock --------------------------------------------------------------

type MutexLike = { acquire(): Promise<unknown>; release(): void };

function mutexUncontended(name: string, make: () => MutexLike, n: number, note?: string): Contender {
  return {
    name,
    n,
    note,
    async run(n) {
      const m = make();
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
    },
  };
}

/** 100 tasks share one lock; inside the section each awaits once, so that waiters really queue. */
async function contended(
  n: number,
  acquire: () => unknown,
  release: () => void,
  spawn: (f: () => Promise<void>) => PromiseLike<void> | Future<void>,
): Promise<void> {
  const workers = 100;
  const per = n / workers;
  let count = 0;
  const all: Array<PromiseLike<void> | Future<void>> = [];
  for (let w = 0; w < workers; w++) {
    all.push(
      spawn(async () => {
        for (let i = 0; i < per; i++) {
          const p = acquire();
          if (p !== undefined) await p;
          count++;
          await null;
          release();
        }
      }),
    );
  }
  for (const p of all) await p;
  check(count, n, "sections");
}

const s3a: Scenario = {
  id: "lock",
  title: "3a. Lock acquire + release, uncontended (cycles/s)",
  unit: "cycles/s",
  notes: [
    "async-mutex 0.5.0: `import` gets its ESM build (`index.mjs`, with a generator-based `__awaiter`); `require` gets the CommonJS build (`lib/`, tslib's `__awaiter`). Both are measured.",
    "The hand-written mutex returns nothing when the lock is free, and the caller awaits only a returned promise.",
  ],
  contenders: [
    {
      name: "hand-written mutex",
      reference: true,
      n: 5_000_000,
      async run(n) {
        const m = new HandMutex();
        for (let i = 0; i < n; i++) {
          const p = m.acquire();
          if (p !== undefined) await p;
          m.release();
        }
      },
    },
    {
      name: "hand-written mutex, `await` on every acquire",
      n: 5_000_000,
      async run(n) {
        const m = new HandMutex();
        for (let i = 0; i < n; i++) {
          await m.acquire();
          m.release();
        }
      },
      note: "the floor of any acquire that must be awaited: one `await` per cycle",
    },
    mutexUncontended(
      "async-mutex Mutex (ESM, what `import` gets)",
      () => new MutexEsm() as unknown as MutexLike,
      50_000,
    ),
    mutexUncontended(
      "async-mutex Mutex (CJS, `require`)",
      () => new asyncMutexCjs.Mutex() as unknown as MutexLike,
      200_000,
    ),
    oursIf(
      {
        name: "Lock, await in an async-fn task",
        ours: true,
        n: 1_000_000,
        async run(n) {
          await onLoop(async () => {
            const lock = new Lock!();
            for (let i = 0; i < n; i++) {
              await lock.acquire();
              lock.release();
            }
          });
        },
      },
      "Lock",
    ),
    oursIf(
      {
        name: "Lock, yield* in a generator task",
        ours: true,
        n: 2_000_000,
        async run(n) {
          await onLoop(function* () {
            const lock = new Lock!();
            for (let i = 0; i < n; i++) {
              yield* lock.acquire();
              lock.release();
            }
          });
        },
      },
      "Lock",
    ),
  ],
};

const s3b: Scenario = {
  id: "lock100",
  title: "3b. Lock with 100 contending tasks (sections/s)",
  unit: "sections/s",
  notes: [
    "100 workers share one lock; each section awaits once (`await null`) so that the other 99 queue on the lock. Peers run as plain async functions; ours as 100 Tasks on our loop.",
    "Our Lock follows asyncio: a released lock wakes the first waiter's future, whose callback runs on the next loop iteration, so each hand-over costs one loop iteration (a `setImmediate`); peers hand over in a microtask.",
  ],
  contenders: [
    {
      name: "hand-written mutex",
      reference: true,
      n: 500_000,
      async run(n) {
        const m = new HandMutex();
        await contended(
          n,
          () => m.acquire(),
          () => m.release(),
          (f) => f(),
        );
      },
    },
    {
      name: "async-mutex Mutex (ESM)",
      n: 30_000,
      async run(n) {
        const m = new MutexEsm();
        await contended(
          n,
          () => m.acquire(),
          () => m.release(),
          (f) => f(),
        );
      },
    },
    {
      name: "async-mutex Mutex (CJS)",
      n: 100_000,
      async run(n) {
        const m = new asyncMutexCjs.Mutex();
        await contended(
          n,
          () => m.acquire(),
          () => m.release(),
          (f) => f(),
        );
      },
    },
    oursIf(
      {
        name: "Lock, 100 async-fn tasks",
        ours: true,
        n: 100_000,
        async run(n) {
          await onLoop(async () => {
            const lock = new Lock!();
            await contended(
              n,
              () => lock.acquire(),
              () => lock.release(),
              (f) => createTask(f),
            );
          });
        },
      },
      "Lock",
    ),
  ],
};

// ---- 4. limited concurrency ---------------------------------------------

const s4: Scenario = {
  id: "limit",
  title: "4. 100k jobs, at most 10 at a time (jobs/s)",
  unit: "jobs/s",
  notes: [
    "A job is the short async function of scenario 1 (`await null; return 1`).",
    "All jobs are queued at once (a Task or a pending call per job); ours with a Task per job run 50k jobs per sample (100k Tasks take over 2 s on this machine), which keeps their queue half as deep as the peers'.",
  ],
  contenders: [
    {
      name: "10 hand-written workers",
      reference: true,
      n: 100_000,
      async run(n) {
        let next = 0;
        let done = 0;
        const worker = async (): Promise<void> => {
          while (next < n) {
            next++;
            const v = await job();
            done += v;
          }
        };
        await Promise.all(times(10, worker));
        check(done, n, "jobs");
      },
    },
    {
      name: "p-limit",
      n: 100_000,
      async run(n) {
        const limit = pLimit(10);
        const rs = await Promise.all(times(n, () => limit(job)));
        check(rs.length, n, "jobs");
      },
    },
    {
      name: "p-queue",
      n: 100_000,
      async run(n) {
        const q = new PQueue({ concurrency: 10 });
        let done = 0;
        for (let i = 0; i < n; i++)
          void q.add(async () => {
            const v = await job();
            done += v;
          });
        await q.onIdle();
        check(done, n, "jobs");
      },
    },
    {
      name: "async-mutex Semaphore (ESM)",
      n: 5_000,
      async run(n) {
        const sem = new SemaphoreEsm(10);
        const rs = await Promise.all(times(n, () => sem.runExclusive(job)));
        check(rs.length, n, "jobs");
      },
    },
    {
      name: "bluebird map({concurrency: 10})",
      n: 100_000,
      async run(n) {
        const rs = await Bluebird.map(
          times(n, (i) => i),
          () => job(),
          { concurrency: 10 },
        );
        check(rs.length, n, "jobs");
      },
    },
    oursIf(
      {
        name: "Semaphore, one Task per job (asyncio style)",
        ours: true,
        n: 50_000,
        async run(n) {
          await onLoop(async () => {
            const sem = new Semaphore!(10);
            let done = 0;
            const ts = times(n, () =>
              createTask(async () => {
                await sem.acquire();
                try {
                  const v = await job();
                  done += v;
                } finally {
                  sem.release();
                }
              }),
            );
            await awaitAll(ts);
            check(done, n, "jobs");
          });
        },
      },
      "Semaphore",
    ),
    oursIf(
      {
        name: "Semaphore.run(job) for each job, Promise.all (p-limit style)",
        ours: true,
        n: 100_000,
        async run(n) {
          await onLoop(async () => {
            const sem = new Semaphore!(10);
            const rs = await Promise.all(times(n, () => sem.run!(job)));
            check(rs.length, n, "jobs");
          });
        },
      },
      "Semaphore",
    ),
    oursIf(
      {
        name: "TaskGroup + Semaphore",
        ours: true,
        n: 50_000,
        async run(n) {
          await onLoop(async () => {
            const sem = new Semaphore!(10);
            let done = 0;
            await new TaskGroup!().run(async (tg) => {
              for (let i = 0; i < n; i++)
                tg.createTask(async () => {
                  await sem.acquire();
                  try {
                    const v = await job();
                    done += v;
                  } finally {
                    sem.release();
                  }
                });
            });
            check(done, n, "jobs");
          });
        },
      },
      "Semaphore",
      "TaskGroup",
    ),
    oursIf({
      name: "10 worker Tasks (asyncio style)",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(async () => {
          let next = 0;
          let done = 0;
          const ts = times(10, () =>
            createTask(async () => {
              while (next < n) {
                next++;
                const v = await job();
                done += v;
              }
            }),
          );
          await awaitAll(ts);
          check(done, n, "jobs");
        });
      },
    }),
  ],
};

// ---- 5. bounded queue -------------------------------------------------------

/** An RxJS Subject read with `for await` through a minimal async iterator (unbounded buffer: no backpressure). */
function subjectIterator<T>(subject: Subject<T>): AsyncIterableIterator<T> {
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
      if (waiting !== undefined) waiting({ value: undefined, done: true });
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
      return new Promise((r) => (waiting = r));
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const ITEMS = 1_000_000;

const s5: Scenario = {
  id: "queue",
  title: "5. Producer/consumer through a bounded queue (maxsize 100), 1M items (items/s)",
  unit: "items/s",
  notes: [
    "One producer, one consumer. The RxJS Subject has no backpressure: the producer never waits and the buffer grows without bound; it is the closest JavaScript peer, not an equivalent.",
  ],
  contenders: [
    {
      name: "hand-written bounded channel",
      reference: true,
      n: ITEMS,
      async run(n) {
        const ch = new HandChannel<number>(100);
        let s = 0;
        const producer = async (): Promise<void> => {
          for (let i = 0; i < n; i++) {
            const p = ch.put(1);
            if (p !== undefined) await p;
          }
        };
        const consumer = async (): Promise<void> => {
          for (let i = 0; i < n; i++) {
            const v = ch.get();
            s += typeof v === "number" ? v : await v;
          }
        };
        await Promise.all([producer(), consumer()]);
        check(s, n, "items");
      },
    },
    {
      name: "RxJS Subject + for await",
      n: ITEMS,
      async run(n) {
        const subject = new Subject<number>();
        const it = subjectIterator(subject);
        let s = 0;
        const consumer = (async () => {
          for await (const v of it) s += v;
        })();
        const producer = async (): Promise<void> => {
          for (let i = 0; i < n; i++) {
            subject.next(1);
            if ((i & 99) === 99) await null; // let the consumer run now and then
          }
          subject.complete();
        };
        await producer();
        await consumer;
        check(s, n, "items");
      },
    },
    oursIf(
      {
        name: "Queue(100), async-fn tasks",
        ours: true,
        n: ITEMS,
        async run(n) {
          await onLoop(async () => {
            const q = new Queue!(100) as { put(x: number): PromiseLike<unknown>; get(): PromiseLike<number> };
            let s = 0;
            const producer = createTask(async () => {
              for (let i = 0; i < n; i++) await q.put(1);
            });
            const consumer = createTask(async () => {
              for (let i = 0; i < n; i++) s += await q.get();
            });
            await producer;
            await consumer;
            check(s, n, "items");
          });
        },
      },
      "Queue",
    ),
    oursIf(
      {
        name: "Queue(100), generator tasks",
        ours: true,
        n: ITEMS,
        async run(n) {
          await onLoop(function* () {
            const q = new Queue!(100);
            let s = 0;
            const producer = createTask(function* () {
              for (let i = 0; i < n; i++) yield* q.put(1);
            });
            const consumer = createTask(function* () {
              for (let i = 0; i < n; i++) s += (yield* q.get()) as number;
            });
            yield* producer;
            yield* consumer;
            check(s, n, "items");
          });
        },
      },
      "Queue",
    ),
  ],
};

// ---- 6. gather ------------------------------------------------------------

const G = 10_000;

const s6: Scenario = {
  id: "gather",
  title: "6. Gather of 10k (awaitables/s)",
  unit: "awaitables/s",
  notes: [
    'Each sample runs 10 gathers of 10k. "tasks": 10k short async functions; "futures": 10k pending futures (promises) gathered, then resolved.',
  ],
  contenders: [
    {
      name: "Promise.all of 10k async fn calls",
      reference: true,
      n: 100_000,
      async run(n) {
        for (let g = 0; g < n / G; g++) check((await Promise.all(times(G, () => job()))).length, G, "results");
      },
    },
    {
      name: "Promise.all of 10k promises, resolved after",
      reference: true,
      n: 100_000,
      async run(n) {
        for (let g = 0; g < n / G; g++) {
          const rs: Array<(v: number) => void> = [];
          const all = Promise.all(times(G, () => new Promise<number>((r) => rs.push(r))));
          for (const r of rs) r(1);
          check((await all).length, G, "results");
        }
      },
    },
    oursIf(
      {
        name: "gather of 10k tasks (async fn)",
        ours: true,
        n: 20_000,
        async run(n) {
          await onLoop(async () => {
            for (let g = 0; g < n / G; g++)
              check((await gather!(...times(G, () => createTask(job)))).length, G, "results");
          });
        },
      },
      "gather",
    ),
    oursIf(
      {
        name: "gather of 10k futures, resolved after",
        ours: true,
        n: 100_000,
        async run(n) {
          await onLoop(async () => {
            const loop = getRunningLoop();
            for (let g = 0; g < n / G; g++) {
              const fs = times(G, () => loop.createFuture<number>());
              const all = gather!(...fs);
              for (const f of fs) f.setResult(1);
              check((await all).length, G, "results");
            }
          });
        },
      },
      "gather",
    ),
  ],
};

// ---- 7. timeouts ------------------------------------------------------------

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

const s7: Scenario = {
  id: "timeout",
  title: "7. A 10 s timeout around work that finishes in time (ops/s)",
  unit: "ops/s",
  notes: [
    "The work is the short async function of scenario 1. The first row is the work alone, without a timeout, for the overhead.",
  ],
  contenders: [
    {
      name: "no timeout (work alone)",
      n: 500_000,
      async run(n) {
        let s = 0;
        for (let i = 0; i < n; i++) s += await job();
        check(s, n, "ops");
      },
    },
    {
      name: "setTimeout + Promise.race + clearTimeout",
      reference: true,
      n: 100_000,
      async run(n) {
        let s = 0;
        for (let i = 0; i < n; i++) {
          let timer!: NodeJS.Timeout;
          const t = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error("timeout")), 10_000)));
          try {
            s += await Promise.race([job(), t]);
          } finally {
            clearTimeout(timer);
          }
        }
        check(s, n, "ops");
      },
    },
    {
      name: "Promise.race with AbortSignal.timeout",
      n: 10_000,
      async run(n) {
        let s = 0;
        for (let i = 0; i < n; i++) s += await Promise.race([job(), abortPromise(AbortSignal.timeout(10_000))]);
        check(s, n, "ops");
      },
      note: "AbortSignal.timeout's timer cannot be cleared: each one lives its 10 s (unref'd).",
    },
    oursIf(
      {
        name: "waitFor(task, 10)",
        ours: true,
        n: 20_000,
        async run(n) {
          await onLoop(async () => {
            let s = 0;
            for (let i = 0; i < n; i++) s += (await waitFor!<number>(createTask(job), 10)) as number;
            check(s, n, "ops");
          });
        },
      },
      "waitFor",
    ),
    oursIf(
      {
        name: "timeout(10).run(fn)",
        ours: true,
        n: 50_000,
        async run(n) {
          await onLoop(async () => {
            let s = 0;
            for (let i = 0; i < n; i++) s += await timeout!(10).run(job);
            check(s, n, "ops");
          });
        },
      },
      "timeout",
    ),
  ],
};

// ---- 8. one loop iteration -------------------------------------------------

const s8: Scenario = {
  id: "iteration",
  title: "8. One loop iteration (iterations/s)",
  unit: "iterations/s",
  notes: ["Our loop runs each iteration in one `setImmediate`, so Node's `setImmediate` is the limit."],
  contenders: [
    {
      name: "setImmediate callback chain",
      reference: true,
      n: 100_000,
      run(n) {
        return new Promise<void>((resolve) => {
          let k = n;
          const step = (): void => {
            if (--k > 0) setImmediate(step);
            else resolve();
          };
          setImmediate(step);
        });
      },
    },
    {
      name: "await new Promise(r => setImmediate(r))",
      n: 100_000,
      async run(n) {
        for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
      },
    },
    {
      name: "loop.callSoon callback chain",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(() => {
          const loop = getRunningLoop();
          const done = loop.createFuture<void>();
          let k = n;
          const step = (): void => {
            if (--k > 0) loop.callSoon(step);
            else done.setResult();
          };
          loop.callSoon(step);
          return done;
        });
      },
    },
    {
      name: "await sleep(0) in an async-fn task",
      ours: true,
      n: 50_000,
      async run(n) {
        await onLoop(async () => {
          for (let i = 0; i < n; i++) await sleep(0);
        });
      },
    },
    {
      name: "yield* sleep(0) in a generator task",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          for (let i = 0; i < n; i++) yield* sleep(0);
        });
      },
    },
  ],
};

/** Every scenario, in the order. */
export const scenarios: Scenario[] = [s1, s2, s3a, s3b, s4, s5, s6, s7, s8, ...netScenarios];

export type { Task };
scenarios.push(...(await import("./rxjs.js")).rxjsScenarios);
scenarios.push(...(await import("./executors.js")).executorScenarios); // issue 16: bench/executors.ts

// Bytes per pending object: the heap difference (after a full GC) between
// before and while holding `count` pending objects, divided by `count`.
// Medians of 3 measurements, each in a clean heap.
import { createRequire } from "node:module";
import * as effection from "effection";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { Mutex as MutexEsm, Semaphore as SemaphoreEsm } from "async-mutex";
import Bluebird from "bluebird";
import type { Future, Task } from "../src/index.js";
import { median, settle } from "./harness.js";
import { Lock, Queue, Semaphore, createTask, getRunningLoop, missing, onLoop, sleep } from "./ours.js";

const require = createRequire(import.meta.url);
const asyncMutexCjs = require("async-mutex") as typeof import("async-mutex");

const N = 100_000;
const noop = (): void => {};
const never = new Promise<never>(noop);

function heap(): number {
  return process.memoryUsage().heapUsed;
}

/** `hold(n, measure)` creates n pending objects, calls `measure()` while they exist, then releases them. */
type Hold = (n: number, measure: () => Promise<void>) => Promise<void>;

/** One row of the memory table. */
export interface MemRow {
  group: string;
  name: string;
  ours: boolean;
  count: number;
  bytes: number;
  skip?: string;
  error?: string;
}

interface MemCase {
  group: string;
  name: string;
  ours?: boolean;
  count?: number;
  skip?: string;
  hold: Hold;
}

async function measureOnce(c: MemCase, n: number): Promise<number> {
  await settle();
  const before = heap();
  let after = before;
  await c.hold(n, async () => {
    await settle();
    after = heap();
  });
  return (after - before) / n;
}

/** Runs `body` with n pending things created by `make`, on our loop. */
function inLoop(make: (n: number) => Promise<() => void>): Hold {
  return async (n, measure) => {
    await onLoop(async () => {
      const release = await make(n);
      await measure();
      release();
      await sleep(0);
      await sleep(0);
    });
  };
}

function plain<T>(make: (i: number) => T, release?: (xs: T[]) => void): Hold {
  return async (n, measure) => {
    const xs = new Array<T>(n);
    for (let i = 0; i < n; i++) xs[i] = make(i);
    await measure();
    release?.(xs);
    xs.length = 0;
  };
}

const cases: MemCase[] = [
  // ---- a pending task / promise
  {
    group: "pending task",
    name: "native pending Promise (`new Promise(() => {})`)",
    hold: plain(() => new Promise(noop)),
  },
  {
    group: "pending task",
    name: "native async fn suspended on a pending promise",
    hold: plain(() => (async () => await never)()),
  },
  {
    group: "pending task",
    name: "effection task suspended (`spawn` + `suspend`)",
    count: 10_000,
    hold: async (n, measure) => {
      await effection.run(function* () {
        for (let i = 0; i < n; i++) yield* effection.spawn(() => effection.suspend());
        yield* effection.call(measure);
      });
    },
  },
  {
    group: "pending task",
    name: "Task(async fn) suspended on a pending Future",
    ours: true,
    hold: inLoop(async (n) => {
      const fut = getRunningLoop().createFuture<void>();
      const ts: Task<void>[] = [];
      for (let i = 0; i < n; i++) ts.push(createTask(async () => await fut));
      await sleep(0);
      await sleep(0);
      return () => ts.forEach((t) => void t.cancel());
    }),
  },
  {
    group: "pending task",
    name: "Task(generator) suspended on a pending Future",
    ours: true,
    hold: inLoop(async (n) => {
      const fut = getRunningLoop().createFuture<void>();
      const ts: Task<void>[] = [];
      for (let i = 0; i < n; i++)
        ts.push(
          createTask(function* () {
            yield* fut;
          }),
        );
      await sleep(0);
      await sleep(0);
      return () => ts.forEach((t) => void t.cancel());
    }),
  },
  // ---- a pending future
  {
    group: "pending future",
    name: "native Promise with its resolve function kept",
    hold: plain(() => {
      let r: unknown;
      const p = new Promise((res) => (r = res));
      return [p, r];
    }),
  },
  { group: "pending future", name: "bluebird `defer()`", hold: plain(() => Bluebird.defer()) },
  {
    group: "pending future",
    name: "Future (`loop.createFuture()`)",
    ours: true,
    hold: inLoop(async (n) => {
      const loop = getRunningLoop();
      const fs: Future<unknown>[] = [];
      for (let i = 0; i < n; i++) fs.push(loop.createFuture());
      return () => (fs.length = 0);
    }),
  },
  // ---- a waiter on a held lock
  {
    group: "lock waiter",
    name: "hand-written mutex waiter (a promise + its resolver in an array)",
    hold: async (n, measure) => {
      const ws: Array<() => void> = [];
      const ps: Promise<void>[] = [];
      for (let i = 0; i < n; i++) ps.push(new Promise<void>((r) => ws.push(r)));
      await measure();
      for (const w of ws) w();
    },
  },
  {
    group: "lock waiter",
    name: "async-mutex Mutex waiter (ESM)",
    hold: async (n, measure) => {
      const m = new MutexEsm();
      await m.acquire();
      const ps: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) ps.push(m.acquire());
      await measure();
      m.cancel();
      await Promise.allSettled(ps);
    },
  },
  {
    group: "lock waiter",
    name: "async-mutex Mutex waiter (CJS)",
    hold: async (n, measure) => {
      const m = new asyncMutexCjs.Mutex();
      await m.acquire();
      const ps: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) ps.push(m.acquire());
      await measure();
      m.cancel();
      await Promise.allSettled(ps);
    },
  },
  {
    group: "lock waiter",
    name: "Lock waiter (`lock.acquire().then(...)` on a held Lock)",
    ours: true,
    skip: missing("Lock"),
    hold: inLoop(async (n) => {
      const lock = new Lock!();
      await lock.acquire();
      // Never released: the waiters become garbage with the lock.
      for (let i = 0; i < n; i++) lock.acquire().then(noop, noop);
      await sleep(0);
      return () => void lock;
    }),
  },
  // ---- a queued item / a queued job in a limiter
  { group: "queued item", name: "array slot (a number pushed on an array)", hold: plain((i) => i) },
  {
    group: "queued item",
    name: "Queue item (`putNowait` on an unbounded Queue)",
    ours: true,
    skip: missing("Queue"),
    hold: inLoop(async (n) => {
      const q = new Queue!();
      for (let i = 0; i < n; i++) q.putNowait(i);
      return () => void q;
    }),
  },
  {
    group: "queued job",
    name: "p-limit queued job",
    hold: async (n, measure) => {
      const limit = pLimit(1);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const ps = [limit(() => gate)];
      for (let i = 0; i < n; i++) ps.push(limit(async () => {}));
      await measure();
      open();
      await Promise.all(ps);
    },
  },
  {
    group: "queued job",
    name: "p-queue queued job",
    hold: async (n, measure) => {
      const q = new PQueue({ concurrency: 1, autoStart: false });
      for (let i = 0; i < n; i++) void q.add(async () => {});
      await measure();
      q.start();
      await q.onIdle();
    },
  },
  {
    group: "queued job",
    name: "async-mutex Semaphore waiter (ESM)",
    hold: async (n, measure) => {
      const s = new SemaphoreEsm(1);
      await s.acquire();
      const ps: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) ps.push(s.acquire());
      await measure();
      s.cancel();
      await Promise.allSettled(ps);
    },
  },
  {
    group: "queued job",
    name: "Semaphore waiter (`sem.acquire().then(...)` on an exhausted Semaphore)",
    ours: true,
    skip: missing("Semaphore"),
    hold: inLoop(async (n) => {
      const sem = new Semaphore!(1);
      await sem.acquire();
      for (let i = 0; i < n; i++) sem.acquire().then(noop, noop);
      await sleep(0);
      return () => void sem;
    }),
  },
];

/** Measures every case; each is measured 3 times and the median kept. */
// The gevent adapter's row (bench/gevent.ts).
cases.push(...((await import("./gevent.js")) as { geventMemoryCases: MemCase[] }).geventMemoryCases);

export async function measureMemory(log: (s: string) => void): Promise<MemRow[]> {
  const rows: MemRow[] = [];
  for (const c of cases) {
    const count = c.count ?? N;
    const row: MemRow = { group: c.group, name: c.name, ours: !!c.ours, count, bytes: NaN, skip: c.skip };
    if (c.skip === undefined) {
      try {
        const xs: number[] = [];
        for (let k = 0; k < 3; k++) xs.push(await measureOnce(c, count));
        row.bytes = median(xs);
      } catch (e) {
        row.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    log(`  ${c.name}: ${row.skip ?? row.error ?? Math.round(row.bytes) + " B"}`);
    rows.push(row);
  }
  return rows;
}

/** The memory table in markdown. */
export function memoryTable(rows: MemRow[]): string {
  const lines = ["### Memory per pending object (bytes, heap difference after a full GC)", ""];
  lines.push("| what | contender | objects | bytes each |", "|---|---|---:|---:|");
  for (const r of rows) {
    const v =
      r.skip !== undefined
        ? `skipped: ${r.skip}`
        : r.error !== undefined
          ? `failed: ${r.error}`
          : Math.round(r.bytes).toLocaleString("en-US");
    lines.push(`| ${r.group} | ${r.ours ? "**ours**: " : ""}${r.name} | ${r.count.toLocaleString("en-US")} | ${v} |`);
  }
  const get = (prefix: string): number => rows.find((r) => r.name.startsWith(prefix))?.bytes ?? NaN;
  const task = get("Task(async fn)");
  const native = get("native async fn suspended");
  if (Number.isFinite(task) && Number.isFinite(native)) {
    lines.push(
      "",
      `Our pending async-fn Task / a suspended native async function with its promise: **${(task / native).toFixed(2)}x** (target: within 3x).`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

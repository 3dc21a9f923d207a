// Scenarios of issue 16 (executors): CPU-bound fan-out of 1,000 jobs on 2
// workers against the same work on one thread, and the per-call overhead of
// our ThreadPoolExecutor against calling piscina directly. The pools are
// made once per process (the warm-up round starts their workers) and kept.
// The executors adapter runs on the core through tsx (src/), so our loop
// here is that core's, not bench/ours.ts's compiled copy.
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { EventLoop, gather } from "../src/index.js";
import { ProcessPoolExecutor, ThreadPoolExecutor, target } from "../adapters/executors/index.js";
import { fib } from "./executor-jobs.js";
import type { Contender, Scenario } from "./harness.js";

const JOBS = new URL("./executor-jobs.ts", import.meta.url);
const FIB_N = 24;
const fibT = target<[number], number>(JOBS, "fib");
const addT = target<[number, number], number>(JOBS, "add");

let loop: EventLoop | undefined;
function onLoop<T>(main: () => PromiseLike<T>): Promise<T> {
  loop ??= new EventLoop();
  return loop.runUntilComplete(main);
}

let threads: ThreadPoolExecutor | undefined;
let threadsSync: ThreadPoolExecutor | undefined;
let procs: ProcessPoolExecutor | undefined;
let piscina: Piscina | undefined;
let piscinaAsync: Piscina | undefined;
const threadPool = (): ThreadPoolExecutor => (threads ??= new ThreadPoolExecutor({ maxWorkers: 2 }));
const threadPoolSync = (): ThreadPoolExecutor =>
  (threadsSync ??= new ThreadPoolExecutor({ maxWorkers: 2, atomics: "sync" }));
const procPool = (): ProcessPoolExecutor => (procs ??= new ProcessPoolExecutor({ maxWorkers: 2 }));
const piscinaAsyncPool = (): Piscina =>
  (piscinaAsync ??= new Piscina({ filename: fileURLToPath(JOBS), maxThreads: 2, minThreads: 2, atomics: "async" }));
const piscinaPool = (): Piscina =>
  (piscina ??= new Piscina({ filename: fileURLToPath(JOBS), maxThreads: 2, minThreads: 2 }));

function check(sum: number, n: number, each: number): void {
  if (sum !== n * each) throw new Error(`wrong result: ${sum}`);
}

const fanout: Contender[] = [
  {
    name: "ThreadPoolExecutor, 2 workers (gather of submit)",
    ours: true,
    n: 1000,
    async run(n) {
      const pool = threadPool();
      const r = await onLoop(() => gather(...Array.from({ length: n }, () => pool.submit(fibT, FIB_N))));
      check(
        r.reduce((a, b) => a + b, 0),
        n,
        fib(FIB_N),
      );
    },
  },
  {
    name: "ProcessPoolExecutor, 2 workers (gather of submit)",
    ours: true,
    n: 1000,
    async run(n) {
      const pool = procPool();
      const r = await onLoop(() => gather(...Array.from({ length: n }, () => pool.submit(fibT, FIB_N))));
      check(
        r.reduce((a, b) => a + b, 0),
        n,
        fib(FIB_N),
      );
    },
  },
  {
    name: "piscina directly, 2 threads (Promise.all of run)",
    n: 1000,
    async run(n) {
      const pool = piscinaPool();
      const r = await Promise.all(Array.from({ length: n }, () => pool.run({ n: FIB_N }, { name: "fibTask" })));
      check(
        r.reduce((a: number, b: number) => a + b, 0),
        n,
        fib(FIB_N),
      );
    },
  },
  {
    name: "one thread (plain calls on the loop's thread)",
    reference: true,
    n: 1000,
    async run(n) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += fib(FIB_N);
      check(sum, n, fib(FIB_N));
    },
  },
];

const overhead: Contender[] = [
  {
    name: "ThreadPoolExecutor.submit, one call at a time",
    ours: true,
    n: 2000,
    async run(n) {
      const pool = threadPool();
      await onLoop(async () => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await pool.submit(addT, i, 1);
        check(sum - (n * (n - 1)) / 2, n, 1);
      });
    },
  },
  {
    name: "ThreadPoolExecutor({ atomics: 'sync' }).submit, one call at a time",
    ours: true,
    n: 2000,
    async run(n) {
      const pool = threadPoolSync();
      await onLoop(async () => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += await pool.submit(addT, i, 1);
        check(sum - (n * (n - 1)) / 2, n, 1);
      });
    },
  },
  {
    name: "piscina.run directly, one call at a time",
    n: 2000,
    async run(n) {
      const pool = piscinaPool();
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (await pool.run({ a: i, b: 1 }, { name: "addTask" })) as number;
      check(sum - (n * (n - 1)) / 2, n, 1);
    },
  },
  {
    name: "piscina.run directly with atomics 'async' (our setting), one call at a time",
    n: 2000,
    async run(n) {
      const pool = piscinaAsyncPool();
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (await pool.run({ a: i, b: 1 }, { name: "addTask" })) as number;
      check(sum - (n * (n - 1)) / 2, n, 1);
    },
  },
  {
    name: "ThreadPoolExecutor.submit, 10,000 at once (gather)",
    ours: true,
    n: 10_000,
    async run(n) {
      const pool = threadPool();
      const r = await onLoop(() => gather(...Array.from({ length: n }, () => pool.submit(addT, 1, 1))));
      check(
        r.reduce((a, b) => a + b, 0),
        n,
        2,
      );
    },
  },
  {
    name: "piscina.run directly, 10,000 at once (Promise.all)",
    n: 10_000,
    async run(n) {
      const pool = piscinaPool();
      const r = await Promise.all(Array.from({ length: n }, () => pool.run({ a: 1, b: 1 }, { name: "addTask" })));
      check(
        r.reduce((a: number, b: number) => a + b, 0),
        n,
        2,
      );
    },
  },
  {
    name: "piscina.run directly with atomics 'async' (our setting), 10,000 at once",
    n: 10_000,
    async run(n) {
      const pool = piscinaAsyncPool();
      const r = await Promise.all(Array.from({ length: n }, () => pool.run({ a: 1, b: 1 }, { name: "addTask" })));
      check(
        r.reduce((a: number, b: number) => a + b, 0),
        n,
        2,
      );
    },
  },
];

/** The executor scenarios (registered in bench/scenarios.ts). */
export const executorScenarios: Scenario[] = [
  {
    id: "executors-fanout",
    title: `CPU-bound fan-out: 1,000 jobs of fib(${FIB_N}) on 2 workers vs one thread`,
    unit: "jobs/s",
    contenders: fanout,
    notes: [
      `Target: ThreadPoolExecutor with 2 workers ≥ 1.7x one thread (the machine has ${os.availableParallelism()} cores, shared).`,
      "Workers run the job module through tsx (the bench's --import=tsx); the pools are made once and kept across samples.",
    ],
  },
  {
    id: "executors-overhead",
    title: "Per-call overhead: a trivial job through ThreadPoolExecutor vs piscina directly (2 threads)",
    unit: "calls/s",
    contenders: overhead,
    notes: [
      "Target: our per-call cost ≤ 1.2x piscina's, i.e. ours / piscina ≥ 0.83 on the same shape (one at a time, or all at once).",
      "Ours: a core Future per call, our own queue in front of piscina (at most maxWorkers jobs handed to it), atomics 'async'; piscina directly: its defaults (atomics 'sync').",
    ],
  },
];

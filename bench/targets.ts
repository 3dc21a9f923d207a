// The targets of issue 7, checked against one run's medians.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Result } from "./harness.js";
import type { MemRow } from "./memory.js";

/** Where bench:python leaves its medians (for the Queue target). */
export const PYTHON_RESULTS = fileURLToPath(new URL("results/python.json", import.meta.url));

interface Target {
  what: string;
  ours: [string, string];
  peer: [string, string] | "asyncio.Queue";
  /** ours / peer must be at least this (or at most, for memory). */
  bound: number;
  memory?: boolean;
  /** Memory against a fixed number of bytes (the peer column shows the bound). */
  bytes?: number;
}

const TARGETS: Target[] = [
  {
    what: "Task running an async fn ≥ 1/2 native async fn",
    ours: ["tasks", "createTask(async fn)"],
    peer: ["tasks", "native async fn + Promise.all"],
    bound: 0.5,
  },
  {
    what: "Future await ≥ 2/3 native Promise await",
    ours: ["future", "Future, await in an async-fn task"],
    peer: ["future", "native Promise"],
    bound: 2 / 3,
  },
  {
    what: "Lock ≥ 4x async-mutex (ESM, what `import` gets)",
    ours: ["lock", "Lock, await in an async-fn task"],
    peer: ["lock", "async-mutex Mutex (ESM, what `import` gets)"],
    bound: 4,
  },
  {
    what: "Lock ≥ 4x async-mutex (CJS)",
    ours: ["lock", "Lock, await in an async-fn task"],
    peer: ["lock", "async-mutex Mutex (CJS, `require`)"],
    bound: 4,
  },
  {
    what: "Lock ≥ 1/4 hand-written mutex",
    ours: ["lock", "Lock, await in an async-fn task"],
    peer: ["lock", "hand-written mutex"],
    bound: 0.25,
  },
  {
    what: "Lock (generator task) ≥ 1/4 hand-written mutex",
    ours: ["lock", "Lock, yield* in a generator task"],
    peer: ["lock", "hand-written mutex"],
    bound: 0.25,
  },
  {
    what: "Semaphore-limited jobs ≥ 2x p-limit",
    ours: ["limit", "Semaphore, one Task per job (asyncio style)"],
    peer: ["limit", "p-limit"],
    bound: 2,
  },
  {
    what: "bounded Queue ≥ 2x asyncio.Queue (CPython 3.13)",
    ours: ["queue", "Queue(100), async-fn tasks"],
    peer: "asyncio.Queue",
    bound: 2,
  },
  {
    what: "bounded Queue (generator tasks) ≥ 2x asyncio.Queue (CPython 3.13)",
    ours: ["queue", "Queue(100), generator tasks"],
    peer: "asyncio.Queue",
    bound: 2,
  },
  {
    what: "pending Task memory ≤ 3x a suspended native async fn",
    ours: ["memory", "Task(async fn) suspended on a pending Future"],
    peer: ["memory", "native async fn suspended on a pending promise"],
    bound: 3,
    memory: true,
  },
  // issue 14: the rxjs bridges (bench/rxjs.ts)
  ...(
    [
      ["for await", "asyncio-ts/rxjs toAsyncIterable, for await in an async-fn Task"],
      ["yield*", "asyncio-ts/rxjs toAsyncIterable, yield* next() in a generator Task"],
    ] as const
  ).flatMap(([how, ours]) => [
    {
      what: `toAsyncIterable (${how}) ≥ 1x rxjs-for-await eachValueFrom`,
      ours: ["rxjs-iterate", ours] as [string, string],
      peer: ["rxjs-iterate", "rxjs-for-await eachValueFrom"] as [string, string],
      bound: 1,
    },
    {
      what: `toAsyncIterable (${how}) ≥ 1x plain Subject + for await`,
      ours: ["rxjs-iterate", ours] as [string, string],
      peer: ["rxjs-iterate", "plain Subject + minimal async iterator"] as [string, string],
      bound: 1,
    },
  ]),
  ...(
    [
      ["await", "asyncio-ts/rxjs firstValueFrom, await in an async-fn Task"],
      ["yield*", "asyncio-ts/rxjs firstValueFrom, yield* in a generator Task"],
    ] as const
  ).map(([how, ours]) => ({
    what: `firstValueFrom round trip (${how}) ≥ 1x rxjs firstValueFrom`,
    ours: ["rxjs-first", ours] as [string, string],
    peer: ["rxjs-first", "rxjs firstValueFrom"] as [string, string],
    bound: 1,
  })),
  // Issue 17 (core speed: the task step, Future callbacks, promise hooks, waiters).
  {
    what: "(17) Semaphore.run p-limit style ≥ 1.5x p-limit",
    ours: ["limit", "Semaphore.run(job) for each job, Promise.all (p-limit style)"],
    peer: ["limit", "p-limit"],
    bound: 1.5,
  },
  {
    what: "(17) one Task per job ≥ 1x p-limit",
    ours: ["limit", "Semaphore, one Task per job (asyncio style)"],
    peer: ["limit", "p-limit"],
    bound: 1,
  },
  {
    what: "(17) TaskGroup + Semaphore ≥ 1x p-limit",
    ours: ["limit", "TaskGroup + Semaphore"],
    peer: ["limit", "p-limit"],
    bound: 1,
  },
  {
    what: "(17) Future awaited from an async fn ≥ 0.6x native promise",
    ours: ["future", "Future, await in an async-fn task"],
    peer: ["future", "native Promise"],
    bound: 0.6,
  },
  {
    what: "(17) native promise inside a task ≥ 0.85x outside",
    ours: ["future", "native Promise, inside one of our async-fn tasks"],
    peer: ["future", "native Promise"],
    bound: 0.85,
  },
  {
    what: "(17) Lock, 100 contenders ≥ 1x async-mutex (CJS)",
    ours: ["lock100", "Lock, 100 async-fn tasks"],
    peer: ["lock100", "async-mutex Mutex (CJS)"],
    bound: 1,
  },
  {
    what: "(17) pending Task(async fn) ≤ 900 B",
    ours: ["memory", "Task(async fn) suspended on a pending Future"],
    peer: ["memory", "Task(async fn) suspended on a pending Future"],
    bound: 1,
    memory: true,
    bytes: 900,
  },
  {
    what: "(17) Lock waiter ≤ 400 B",
    ours: ["memory", "Lock waiter (`lock.acquire().then(...)` on a held Lock)"],
    peer: ["memory", "Lock waiter (`lock.acquire().then(...)` on a held Lock)"],
    bound: 1,
    memory: true,
    bytes: 400,
  },
  {
    what: "(17) Semaphore waiter ≤ 400 B",
    ours: ["memory", "Semaphore waiter (`sem.acquire().then(...)` on an exhausted Semaphore)"],
    peer: ["memory", "Semaphore waiter (`sem.acquire().then(...)` on an exhausted Semaphore)"],
    bound: 1,
    memory: true,
    bytes: 400,
  },
];

function pythonResults(): Record<string, unknown> | undefined {
  if (!existsSync(PYTHON_RESULTS)) return undefined;
  try {
    return JSON.parse(readFileSync(PYTHON_RESULTS, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function pythonQueue(): number | undefined {
  return (pythonResults()?.["asyncio 3.13"] as Record<string, number> | undefined)?.queue;
}

/** The targets table: measured ratio and whether it is met. */
export function targetsTable(byId: Map<string, Result[]>, mem: MemRow[] | undefined): string {
  const value = ([id, name]: [string, string]): number => {
    if (id === "memory") return mem?.find((r) => r.name === name)?.bytes ?? NaN;
    return byId.get(id)?.find((r) => r.name === name)?.median ?? NaN;
  };
  const lines = ["### Targets (issue 7)", "", "| target | ours | peer | ratio | met? |", "|---|---:|---:|---:|:---:|"];
  for (const t of TARGETS) {
    const o = value(t.ours);
    const p = t.bytes !== undefined ? t.bytes : t.peer === "asyncio.Queue" ? (pythonQueue() ?? NaN) : value(t.peer);
    const ratio = o / p;
    const fmt = (x: number): string =>
      !Number.isFinite(x)
        ? "–"
        : t.memory
          ? `${Math.round(x)} B`
          : x >= 1e6
            ? `${(x / 1e6).toFixed(2)}M/s`
            : `${(x / 1e3).toFixed(0)}k/s`;
    const met = !Number.isFinite(ratio)
      ? "not measured"
      : (t.memory ? ratio <= t.bound : ratio >= t.bound)
        ? "yes"
        : "**no**";
    lines.push(
      `| ${t.what} | ${fmt(o)} | ${fmt(p)} | ${Number.isFinite(ratio) ? ratio.toFixed(2) + "x" : "–"} | ${met} |`,
    );
  }
  if (pythonQueue() === undefined)
    lines.push(
      "",
      "The Queue targets need `npm run bench:python` first (it leaves asyncio's figure in bench/results/python.json).",
    );
  else {
    const when = pythonResults()?._run;
    lines.push(
      "",
      `The Queue targets compare with asyncio.Queue as measured by the last \`npm run bench:python\`${typeof when === "string" ? ` (${when})` : ""}, a different process at a different time on this noisy machine: indicative only (the Python section gives the same ratio).`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

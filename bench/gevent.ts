// The gevent adapter's rows: spawn+join of tiny greenlets, Pool(10) over
// jobs, Queue(100) producer/consumer; against our own Tasks (and p-limit for
// the pool), with gevent itself on CPython read from bench/results/python.json
// (`npm run bench:python` measures the same jobs in bench/python/systems.py).
// Also the memory of a pending greenlet (bench/memory.ts adds the rows).
//
// As the other rows, the library is measured compiled by tsc: this module
// compiles src/ and adapters/gevent/ into node_modules/.cache (once per run).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import pLimit from "p-limit";
import type * as Gevent from "../adapters/gevent/index.js";
import type * as Lib from "../src/index.js";
import type { Contender, Scenario } from "./harness.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${ROOT}/node_modules/.cache/asyncio-ts-bench-gevent`;
const compiled = process.env.ASYNCIO_TS_BENCH_LIB !== undefined;

function newest(dir: string): number {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${f.name}`;
    t = Math.max(t, f.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (compiled) {
  const marker = `${OUT}/adapters/gevent/index.js`;
  const stale =
    !existsSync(marker) ||
    statSync(marker).mtimeMs < Math.max(newest(`${ROOT}/src`), newest(`${ROOT}/adapters/gevent`));
  if (stale) {
    const r = spawnSync(
      process.execPath,
      [`${ROOT}/node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.gevent.json"],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`tsc of adapters/gevent failed:\n${r.stdout}${r.stderr}`);
  }
}
const base = compiled ? pathToFileURL(OUT).href : new URL("..", import.meta.url).href;
const ext = compiled ? ".js" : ".ts";
const g = (await import(`${base}/adapters/gevent/index${ext}`)) as typeof Gevent;
// The core of the same build, so that greenlets and Tasks compare like for like.
const lib = (await import(`${base}/src/index${ext}`)) as typeof Lib;

let shared: Lib.EventLoop | undefined;
function onLoop<T>(main: Lib.CoroutineLike<T>): Promise<T> {
  shared ??= new lib.EventLoop();
  return shared.runUntilComplete(main);
}

function check(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`${what}: got ${got}, want ${want}`);
}

/** gevent's figure (ops/s) from bench/results/python.json, for the notes. */
function geventFigure(key: string): string {
  try {
    const r = JSON.parse(readFileSync(`${ROOT}/bench/results/python.json`, "utf8")) as Record<
      string,
      Record<string, number>
    >;
    const v = r.gevent?.[key];
    return v === undefined ? "not measured" : `${Math.round(v).toLocaleString("en")}/s`;
  } catch {
    return "not measured (run `npm run bench:python`)";
  }
}

// The job of bench/python's gevent row: `gevent.sleep(0); return 1`.
function* tinyJob(): Lib.Coroutine<number> {
  yield* g.sleep(0);
  return 1;
}

const spawnJoin: Scenario = {
  id: "gevent-spawn",
  title: "G1. Spawn and join tiny greenlets (body: sleep(0), return 1) (greenlets/s)",
  unit: "greenlets/s",
  notes: [
    `gevent 22.10 on CPython (bench/python/systems.py, tasks: the same body, \`gevent.joinall\`): ${geventFigure("tasks")}; target ≥ 3x.`,
    "100k greenlets per sample; ours are joined with `joinall` (as the gevent row) and, second row, one by one with `yield* g.join()`.",
  ],
  contenders: [
    {
      name: "asyncio-ts/gevent spawn + joinall",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          const gs: Gevent.Greenlet<number>[] = [];
          for (let i = 0; i < n; i++) gs.push(g.spawn(tinyJob));
          yield* g.joinall(gs);
          let s = 0;
          for (const x of gs) s += x.value as number;
          check(s, n, "greenlets");
        });
      },
    },
    {
      name: "asyncio-ts/gevent spawn + join each",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          const gs: Gevent.Greenlet<number>[] = [];
          for (let i = 0; i < n; i++) gs.push(g.spawn(tinyJob));
          let s = 0;
          for (const x of gs) {
            yield* x.join();
            s += x.value as number;
          }
          check(s, n, "greenlets");
        });
      },
    },
    {
      name: "our createTask(generator, yield* sleep(0))",
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          const ts: Lib.Task<number>[] = [];
          for (let i = 0; i < n; i++)
            ts.push(
              lib.createTask(function* () {
                yield* lib.sleep(0);
                return 1;
              }),
            );
          let s = 0;
          for (const t of ts) s += yield* t;
          check(s, n, "tasks");
        });
      },
    },
  ],
};

const pool10: Scenario = {
  id: "gevent-pool",
  title: "G2. 100k jobs through Pool(10) (jobs/s)",
  unit: "jobs/s",
  notes: [
    `gevent 22.10 on CPython (limit: \`pool.spawn(job)\` for each, \`pool.join()\`): ${geventFigure("limit")}; target ≥ 3x, and ≥ p-limit.`,
    "The job is the tiny greenlet body of G1 (one loop pass); p-limit's job awaits one loop pass too (our `sleep(0)`), so both wait the same.",
  ],
  contenders: [
    {
      name: "asyncio-ts/gevent Pool(10).spawn each + join",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          const pool = new g.Pool(10);
          let s = 0;
          for (let i = 0; i < n; i++) (yield* pool.spawn(tinyJob)).rawlink((x) => void (s += x.value as number));
          yield* pool.join();
          yield* g.sleep(0);
          check(s, n, "jobs");
        });
      },
    },
    {
      name: "asyncio-ts/gevent Pool(10).imapUnordered",
      ours: true,
      n: 100_000,
      async run(n) {
        await onLoop(function* () {
          const pool = new g.Pool(10);
          const it = pool.imapUnordered(
            tinyJob,
            Array.from({ length: n }, (_, i) => i),
          );
          let s = 0;
          for (;;) {
            const r = yield* it.next();
            if (r.done) break;
            s += r.value;
          }
          check(s, n, "jobs");
        });
      },
    },
    {
      name: "p-limit(10), job awaits sleep(0)",
      n: 100_000,
      async run(n) {
        await onLoop(async () => {
          const limit = pLimit(10);
          const job = async (): Promise<number> => {
            await lib.sleep(0);
            return 1;
          };
          const rs = await Promise.all(Array.from({ length: n }, () => limit(job)));
          check(rs.length, n, "jobs");
        });
      },
    },
  ],
};

const queue100: Scenario = {
  id: "gevent-queue",
  title: "G3. Producer/consumer through Queue(100), 1M items (items/s)",
  unit: "items/s",
  notes: [
    `gevent 22.10 on CPython (queue: \`gevent.queue.Queue(100)\`, one producer, one consumer): ${geventFigure("queue")}; target ≥ 3x.`,
  ],
  contenders: [
    {
      name: "asyncio-ts/gevent Queue(100), two greenlets",
      ours: true,
      n: 1_000_000,
      async run(n) {
        await onLoop(function* () {
          const q = new g.Queue<number>(100);
          let s = 0;
          const p = g.spawn(function* () {
            for (let i = 0; i < n; i++) yield* q.put(1);
          });
          const c = g.spawn(function* () {
            for (let i = 0; i < n; i++) s += yield* q.get();
          });
          yield* g.joinall([p, c] as Gevent.Greenlet<unknown>[]);
          check(s, n, "items");
        });
      },
    },
    {
      name: "our core Queue(100), two generator Tasks",
      n: 1_000_000,
      async run(n) {
        await onLoop(function* () {
          const q = new lib.Queue<number>(100);
          let s = 0;
          const p = lib.createTask(function* () {
            for (let i = 0; i < n; i++) yield* q.put(1);
          });
          const c = lib.createTask(function* () {
            for (let i = 0; i < n; i++) s += yield* q.get();
          });
          yield* p;
          yield* c;
          check(s, n, "items");
        });
      },
    },
  ],
};

/** The gevent scenarios (bench/run.ts and bench/child.ts list them). */
export const geventScenarios: Scenario[] = [spawnJoin, pool10, queue100];

/** Memory rows: a greenlet pending on an Event, per greenlet (bench/memory.ts). */
export const geventMemoryCases = [
  {
    group: "pending task",
    name: "asyncio-ts/gevent Greenlet suspended on an Event (target ≤ 1.2 KB; gevent's: 3.8 KB)",
    ours: true,
    hold: async (n: number, measure: () => Promise<void>): Promise<void> => {
      await onLoop(async () => {
        const ev = new g.Event();
        const gs: Gevent.Greenlet<boolean>[] = [];
        for (let i = 0; i < n; i++) gs.push(g.spawn(() => ev.wait()));
        await lib.sleep(0);
        await lib.sleep(0);
        await measure();
        ev.set();
        await g.joinall(gs);
      });
    },
  },
];

export type { Contender };

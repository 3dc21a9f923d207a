// Scaling (issue #19): the cost per item of each API at 10k, 100k and 1M
// items, each (API, size) in a fresh Node process, and the memory per item
// (peak RSS growth / n). Target: the per-item cost at 1M within 1.5x of its
// cost at 10k; nothing fails at 1M where asyncio does not.
//
//   npx tsx bench/scaling.ts [--sizes=10000,100000,1000000] [--only=id,id]   (the table, markdown)
//   npx tsx bench/scaling.ts --case=<id> --n=<n>                             (one measurement, JSON)
//
// `npm run bench -- --scaling` runs it and writes its section of
// docs/benchmarks.md. The core is the tsc build when bench/run.ts passes
// ASYNCIO_TS_BENCH_LIB (see bench/ours.ts); the Twisted adapter runs from source.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { adapterCaseIds } from "./scaling-adapters.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ADAPTERS_OUT = `${ROOT}/node_modules/.cache/asyncio-ts-bench-adapters`;

/** One API measured at n items. */
export interface ScalingCase {
  id: string;
  title: string;
  /** Does the work for n items (resolves when all is done). */
  run(n: number): Promise<void>;
}

function check(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

async function cases(id: string): Promise<ScalingCase[]> {
  if (adapterCaseIds.includes(id)) return (await import("./scaling-adapters.js")).adapterCases();
  const { lib, onLoop } = await import("./ours.js");
  const { createTask, gather, wait, asCompleted, TaskGroup, Semaphore, Lock, Queue, Event, Condition, sleep } = lib;
  const job = async (): Promise<number> => 1;
  const tasks = (n: number) => Array.from({ length: n }, () => createTask(job));
  return [
    {
      id: "createTask",
      title: "createTask(async fn), then await each",
      run: (n) =>
        onLoop(async () => {
          const ts = tasks(n);
          let s = 0;
          for (const t of ts) s += await t;
          check(s, n, "sum");
        }),
    },
    {
      id: "gather",
      title: "gather(list of n tasks)",
      run: (n) => onLoop(async () => check((await gather(tasks(n))).length, n, "results")),
    },
    {
      id: "wait",
      title: "wait(n tasks)",
      run: (n) => onLoop(async () => check((await wait(tasks(n))).done.size, n, "done")),
    },
    {
      id: "asCompleted",
      title: "for await (asCompleted(n tasks))",
      run: (n) =>
        onLoop(async () => {
          let k = 0;
          for await (const _ of asCompleted(tasks(n))) k++;
          check(k, n, "completed");
        }),
    },
    {
      id: "TaskGroup",
      title: "TaskGroup with n children",
      run: (n) =>
        onLoop(async () => {
          let k = 0;
          await new TaskGroup().run(async (tg) => {
            for (let i = 0; i < n; i++) tg.createTask(async () => void k++);
          });
          check(k, n, "children");
        }),
    },
    {
      id: "Semaphore.run",
      title: "Semaphore(10).run × n + gather",
      run: (n) =>
        onLoop(async () => {
          const sem = new Semaphore(10);
          check((await gather(Array.from({ length: n }, () => sem.run(job)))).length, n, "jobs");
        }),
    },
    {
      id: "Lock",
      title: "Lock with n waiting tasks",
      run: (n) =>
        onLoop(async () => {
          const lock = new Lock();
          let k = 0;
          await lock.acquire();
          const ts = Array.from({ length: n }, () => createTask(() => lock.run(async () => void k++)));
          await sleep(0); // all n are waiting
          lock.release();
          await gather(ts);
          check(k, n, "holders");
        }),
    },
    {
      id: "Queue",
      title: "Queue(100): n items, one producer, one consumer",
      run: (n) =>
        onLoop(async () => {
          const q = new Queue<number>(100);
          const consumer = createTask(async () => {
            let s = 0;
            for (let i = 0; i < n; i++) s += await q.get();
            return s;
          });
          for (let i = 0; i < n; i++) await q.put(1);
          check(await consumer, n, "sum");
        }),
    },
    {
      id: "Event",
      title: "Event with n waiting tasks, then set()",
      run: (n) =>
        onLoop(async () => {
          const ev = new Event();
          const ts = Array.from({ length: n }, () => createTask(() => ev.wait()));
          await sleep(0);
          ev.set();
          check((await gather(ts)).length, n, "woken");
        }),
    },
    {
      id: "Condition",
      title: "Condition.notifyAll() with n waiting tasks",
      run: (n) =>
        onLoop(async () => {
          const cond = new Condition();
          let ready = false;
          const ts = Array.from({ length: n }, () => createTask(() => cond.run(() => cond.waitFor(() => ready))));
          await sleep(0);
          await cond.run(() => {
            ready = true;
            cond.notifyAll();
          });
          check((await gather(ts)).length, n, "notified");
        }),
    },
    {
      id: "callLater",
      title: "callLater: n timers over 1 s, half cancelled (virtual clock)",
      async run(n) {
        const loop = new lib.VirtualTimeLoop();
        let fired = 0;
        await loop.runUntilComplete(async () => {
          const hs = Array.from({ length: n }, (_, i) => loop.callLater(((i * 7919) % 1000) / 1000, () => fired++));
          for (let i = 0; i < n; i += 2) hs[i]!.cancel();
          await sleep(2);
        });
        loop.close();
        check(fired, n / 2, "fired");
      },
    },
    {
      id: "Deferred callbacks",
      title: "one Deferred with n callbacks",
      async run(n) {
        const { Deferred } = await import("../adapters/twisted/index.js");
        const d = new Deferred<number>();
        for (let i = 0; i < n; i++) d.addCallback((x: number) => x + 1);
        d.callback(0);
        check(d.result, n, "result");
      },
    },
    {
      id: "Deferred chain",
      title: "an n-deep chain of Deferreds, fired from the bottom",
      async run(n) {
        const { Deferred } = await import("../adapters/twisted/index.js");
        const ds = Array.from({ length: n }, () => new Deferred<number>());
        for (let i = 0; i < n - 1; i++) {
          const next = ds[i + 1]!;
          ds[i]!.addCallback(() => next).addCallback((x: number) => x + 1);
        }
        for (let i = 0; i < n - 1; i++) ds[i]!.callback(0);
        ds[n - 1]!.callback(0);
        check(ds[0]!.result, n - 1, "result");
      },
    },
  ];
}

/** Measures one case at n items in this process: µs per item and bytes per item (peak RSS growth). */
async function measureOne(id: string, n: number): Promise<{ usPerItem: number; bytesPerItem: number }> {
  const c = (await cases(id)).find((x) => x.id === id);
  if (c === undefined) throw new Error(`unknown case ${id}`);
  // Warm the code paths on a small size first, so the JIT is not charged to the first items.
  await c.run(Math.min(1000, n));
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss;
  // CPU time, not wall time: on a shared machine the wall clock mostly measures the other processes.
  const cpu0 = process.cpuUsage();
  await c.run(n);
  const cpu = process.cpuUsage(cpu0);
  const dt = (cpu.user + cpu.system) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  return { usPerItem: (dt * 1000) / n, bytesPerItem: Math.max(0, peak - rss0) / n };
}

function fmtUs(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3);
}

/** Runs every case at every size, each in a fresh process; returns the markdown section. */
export function scalingTable(
  sizes: number[],
  only?: string[],
  log: (s: string) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): string {
  const ids = [
    "createTask",
    "gather",
    "wait",
    "asCompleted",
    "TaskGroup",
    "Semaphore.run",
    "Lock",
    "Queue",
    "Event",
    "Condition",
    "callLater",
    "Deferred callbacks",
    "Deferred chain",
    ...adapterCaseIds,
  ].filter((id) => !only || only.includes(id));
  let childEnv = env;
  // The gevent and rxjs rows: the adapters and their core from one tsc build when the core is measured compiled.
  if (env.ASYNCIO_TS_BENCH_LIB && ids.some((id) => adapterCaseIds.includes(id))) {
    log("compiling src/ and adapters/{gevent,rxjs} with tsc…");
    mkdirSync(ADAPTERS_OUT, { recursive: true });
    writeFileSync(`${ADAPTERS_OUT}/package.json`, '{ "type": "module" }\n'); // ESM below node_modules/
    const tsc = spawnSync(
      process.execPath,
      [`${ROOT}/node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.adapters.json"],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (tsc.status !== 0) throw new Error(`tsc -p bench/tsconfig.adapters.json failed:\n${tsc.stdout}${tsc.stderr}`);
    childEnv = {
      ...env,
      ASYNCIO_TS_BENCH_ADAPTERS: pathToFileURL(ADAPTERS_OUT).href,
    };
  }
  const rows: string[] = [];
  const k = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  rows.push(
    `| API | ${sizes.map((n) => `µs/item at ${k(n)}`).join(" | ")} | ${k(sizes[sizes.length - 1]!)} / ${k(sizes[0]!)} | ≤ 1.5x? | ${sizes.map((n) => `bytes/item at ${k(n)}`).join(" | ")} |`,
  );
  rows.push(`|---|${sizes.map(() => "---:").join("|")}|---:|:---:|${sizes.map(() => "---:").join("|")}|`);
  for (const id of ids) {
    const us: (number | undefined)[] = [];
    const mem: string[] = [];
    for (const n of sizes) {
      log(`scaling ${id} n=${n}…`);
      const r = spawnSync(
        process.execPath,
        ["--expose-gc", "--max-old-space-size=4096", "--import=tsx", "bench/scaling.ts", `--case=${id}`, `--n=${n}`],
        { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 300_000 },
      );
      const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
      if (r.status === 0 && line.startsWith("{")) {
        const m = JSON.parse(line) as { usPerItem: number; bytesPerItem: number };
        us.push(m.usPerItem);
        mem.push(Math.round(m.bytesPerItem).toLocaleString("en-US"));
      } else {
        const why = r.error ? "timed out" : ((r.stderr ?? "").match(/(RangeError|Error)[^\n]*/)?.[0] ?? "failed");
        us.push(undefined);
        mem.push(`– (${why.slice(0, 60)})`);
      }
    }
    const first = us[0];
    const last = us[us.length - 1];
    const ratio = first !== undefined && last !== undefined ? last / first : undefined;
    rows.push(
      `| ${id} | ${us.map((x) => (x === undefined ? "failed" : fmtUs(x))).join(" | ")} | ${ratio === undefined ? "–" : `${ratio.toFixed(2)}x`} | ${ratio === undefined ? "no" : ratio <= 1.5 ? "yes" : "no"} | ${mem.join(" | ")} |`,
    );
  }
  return [
    "## Scaling: cost per item from 10k to 1M (`npm run bench -- --scaling`, bench/scaling.ts)",
    "",
    "Each cell is one fresh `node --expose-gc` process: the case runs once on 1,000 items (warm-up), then once on n items; µs/item is the CPU time (user + system, all threads, so GC threads count) of that run divided by n, which the other processes of a shared machine disturb far less than the wall time; bytes/item is the growth of the peak RSS during it divided by n (an upper bound of what each item holds at the peak, GC slack included). Target (issue #19): the cost per item at 1M within 1.5x of its cost at 10k. On this shared, noisy machine one run moves by ±30%: a ratio under 1.5x is flat, a quadratic API shows as 10x and more.",
    `Library: ${env.ASYNCIO_TS_BENCH_LIB ? "the core compiled by tsc" : "src/ through tsx"}; the Twisted adapter from source; the gevent and rxjs adapters (rows \`gevent …\`, \`rx …\`, bench/scaling-adapters.ts) ${env.ASYNCIO_TS_BENCH_LIB ? "compiled by tsc with their own copy of the core (bench/tsconfig.adapters.json)" : "from source"}.`,
    "",
    ...rows,
    "",
    "The migration CLI on files of 10 KB to 5 MB has its own table (bench/codemod-file-size.ts), which `npm run bench -- --scaling` puts after this one, at the end of this section. `rx fromCoroutine` subscribes one observable n times: merging n observables with rxjs's `mergeAll` is quadratic in rxjs 7.8 itself (it removes each finished inner subscription from its parent with indexOf + splice). The 10k column carries the JIT's warm-up (1,000 items are not enough to finish it), which is why most ratios are below 1.",
    "",
  ].join("\n");
}

const argv = new Map(
  process.argv.slice(2).map((a) => {
    const [key, v] = a.replace(/^--/, "").split("=");
    return [key!, v ?? "true"] as const;
  }),
);
if (import.meta.url === `file://${process.argv[1]}`) {
  if (argv.has("case")) {
    const r = await measureOne(argv.get("case")!, Number(argv.get("n") ?? 10_000));
    process.stdout.write(JSON.stringify(r) + "\n");
  } else {
    const sizes = (argv.get("sizes") ?? "10000,100000,1000000").split(",").map(Number);
    process.stdout.write(
      scalingTable(sizes, argv.get("only")?.split(","), (s) => void process.stderr.write(s + "\n")) + "\n",
    );
  }
}

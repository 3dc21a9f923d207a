// A timer storm on the real clock (issue #18 item 6): n timers, delays spread uniformly over [0, 1) s (seeded),
// drained by our loop's callLater and by native setTimeout, each run in a fresh process, native and ours
// alternating (a loaded machine's drift hits both alike). Reports the drain time (first schedule to last
// callback) and how late the callbacks ran (p50, p99, max), and ours / native for the drain.
//
//   npx tsx bench/timer-storm.ts [--n=1000000] [--runs=3]      (npm run bench -- --timer-storm writes the section)
//   npx tsx bench/timer-storm.ts --child=native|ours --n=N     (one run: one JSON line)
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

interface StormResult {
  drainMs: number;
  lateP50: number;
  lateP99: number;
  lateMax: number;
}

/** One storm in this process: schedules n timers, resolves when the last one ran. */
async function storm(kind: "native" | "ours", n: number): Promise<StormResult> {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const delays = Float64Array.from({ length: n }, rnd);
  const late = new Float64Array(n);
  let fired = 0;
  let resolveDone!: (end: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const fire = (i: number, target: number): void => {
    late[i] = performance.now() - target;
    if (++fired === n) resolveDone(performance.now());
  };
  let t0 = 0;
  let end: number;
  if (kind === "native") {
    t0 = performance.now();
    for (let i = 0; i < n; i++) setTimeout(fire, delays[i]! * 1000, i, performance.now() + delays[i]! * 1000);
    end = await done;
  } else {
    const { lib } = await import("./ours.js");
    end = await lib.run(async () => {
      const loop = lib.getRunningLoop();
      t0 = performance.now();
      for (let i = 0; i < n; i++) loop.callLater(delays[i]!, fire, i, performance.now() + delays[i]! * 1000);
      return done;
    });
  }
  const sorted = Array.from(late).sort((a, b) => a - b);
  return {
    drainMs: end - t0,
    lateP50: sorted[n >> 1]!,
    lateP99: sorted[Math.floor(n * 0.99)]!,
    lateMax: sorted[n - 1]!,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The markdown section: median of `runs` alternating pairs of fresh processes. */
export function timerStormTable(n: number, runs: number, env: NodeJS.ProcessEnv, log: (s: string) => void): string {
  const script = fileURLToPath(import.meta.url);
  const results: Record<"native" | "ours", StormResult[]> = { native: [], ours: [] };
  for (let r = 0; r < runs; r++)
    for (const kind of r % 2 ? (["ours", "native"] as const) : (["native", "ours"] as const)) {
      const p = spawnSync(process.execPath, ["--import=tsx", script, `--child=${kind}`, `--n=${n}`], {
        env,
        encoding: "utf8",
        maxBuffer: 1 << 24,
      });
      if (p.status !== 0) throw new Error(`timer storm (${kind}) failed: ${p.stderr.slice(-2000)}`);
      results[kind].push(JSON.parse(p.stdout.trim().split("\n").pop()!) as StormResult);
      log(`timer storm ${kind} run ${r + 1}/${runs}: ${results[kind].at(-1)!.drainMs.toFixed(0)} ms`);
    }
  const row = (kind: "native" | "ours") => {
    const xs = results[kind];
    const m = (f: (x: StormResult) => number) => median(xs.map(f)).toFixed(0);
    return `| ${kind === "ours" ? "**ours**: loop.callLater" : "native setTimeout"} | ${n.toLocaleString("en")} | ${m((x) => x.drainMs)} | ${m((x) => x.lateP50)} | ${m((x) => x.lateP99)} | ${m((x) => x.lateMax)} |`;
  };
  const ratio = median(results.ours.map((x) => x.drainMs)) / median(results.native.map((x) => x.drainMs));
  return [
    "## Timer storm on the real clock (`npm run bench -- --timer-storm`, bench/timer-storm.ts)",
    "",
    "| timers | n | drain ms | late p50 ms | late p99 ms | late max ms |",
    "|---|---:|---:|---:|---:|---:|",
    row("native"),
    row("ours"),
    "",
    `Delays uniform over [0, 1) s (seeded), scheduled in one loop; drain = first schedule to last callback; late = when a callback ran minus its due time. Medians of ${runs} runs each, fresh processes, native and ours alternating. **ours / native drain: ${ratio.toFixed(2)}x** (target: 1x, issue #18 item 6; 2.1–3.4x before the typed-array timer heap, 5003af8). Library: ${env.ASYNCIO_TS_BENCH_LIB ? "src/ compiled by tsc" : "src/ through tsx (slower than what users run)"}. Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end.`,
  ].join("\n");
}

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(args.get("n") ?? 1_000_000);
  const child = args.get("child");
  if (child === "native" || child === "ours") {
    process.stdout.write(`${JSON.stringify(await storm(child, n))}\n`);
  } else {
    const runs = Number(args.get("runs") ?? 3);
    process.stdout.write(`${timerStormTable(n, runs, process.env, (s) => void process.stderr.write(`${s}\n`))}\n`);
  }
}

// `npm run bench`: runs every scenario in its own fresh Node process
// (contenders interleaved inside it), then the memory table, prints the
// markdown tables and writes them to docs/benchmarks.md with the machine and
// the versions. Options: --only=id,id  --samples=N  --warmup=N  --no-write
// --tsx (measure src/ through tsx instead of the tsc build)  --codemods (also
// run bench/codemod-speed.ts into its section)  --scaling (the scaling section:
// bench/scaling.ts, then bench/codemod-file-size.ts; see below)  --timer-storm
// (1M timers on the real clock against native setTimeout: bench/timer-storm.ts)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { table, type Result, type Scenario } from "./harness.js";
import { memoryTable, type MemRow } from "./memory.js";
import { scenarios } from "./scenarios.js";
import { writeSection } from "./doc.js";
import { targetsTable } from "./targets.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
const samples = Number(args.get("samples") ?? 5);
const warmup = Number(args.get("warmup") ?? 1);
const only = args.get("only")?.split(",");
const write = !args.has("no-write");
const log = (s: string): void => void process.stderr.write(s + "\n");

// Measure the library as users run it: compiled by tsc (see bench/ours.ts).
const LIB = `${ROOT}/node_modules/.cache/asyncio-ts-bench`;
if (!args.has("tsx")) {
  log("compiling src/ with tsc…");
  mkdirSync(LIB, { recursive: true });
  writeFileSync(`${LIB}/package.json`, '{ "type": "module" }\n');
  const tsc = spawnSync(
    process.execPath,
    [`${ROOT}/node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.lib.json"],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (tsc.status !== 0) {
    log(tsc.stdout + tsc.stderr);
    process.exit(1);
  }
}
const env = args.has("tsx")
  ? { ...process.env }
  : { ...process.env, ASYNCIO_TS_BENCH_LIB: pathToFileURL(`${LIB}/src`).href };

function child(script: string, argv: string[]): { stdout: string; ok: boolean; stderr: string } {
  const r = spawnSync(process.execPath, ["--expose-gc", "--import=tsx", script, ...argv], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", ok: r.status === 0 };
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}/node_modules/${pkg}/package.json`, "utf8")) as { version: string })
      .version;
  } catch {
    return "?";
  }
}

const t0 = Date.now();
const load0 = os.loadavg()[0]!;
const byId = new Map<string, Result[]>();
const parts: string[] = [];
// The Deferred chain scenario belongs to the Twisted adapter's owner
// (bench/twisted-chain.ts); it runs like the others when its file exists.
const all: Array<Pick<Scenario, "id" | "title">> = [...scenarios];
if (existsSync(`${ROOT}/bench/twisted-chain.ts`))
  all.push({ id: "twisted-chain", title: "A 10-callback Deferred chain vs a native promise chain" });
for (const id of ["gevent-spawn", "gevent-pool", "gevent-queue"]) all.push({ id, title: `${id} (bench/gevent.ts)` });
for (const sc of all) {
  if (only && !only.includes(sc.id)) continue;
  log(`scenario ${sc.id}…`);
  const r = child("bench/child.ts", [sc.id, String(samples), String(warmup)]);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  process.stderr.write(r.stderr);
  if (!r.ok || !line.startsWith("{")) {
    parts.push(`### ${sc.title}\n\nThe scenario's process failed:\n\n\`\`\`\n${r.stderr.slice(-2000)}\n\`\`\`\n`);
    continue;
  }
  const parsed = JSON.parse(line) as { results: Result[]; scenario: Scenario };
  byId.set(sc.id, parsed.results);
  parts.push(table(parsed.scenario, parsed.results));
}

let mem: MemRow[] | undefined;
if (!only || only.includes("memory")) {
  log("memory…");
  const r = child("bench/child.ts", ["memory"]);
  process.stderr.write(r.stderr);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.ok && line.startsWith("{")) {
    mem = (JSON.parse(line) as { rows: MemRow[] }).rows;
    parts.push(memoryTable(mem));
  } else parts.push(`### Memory\n\nThe memory process failed:\n\n\`\`\`\n${r.stderr.slice(-2000)}\n\`\`\`\n`);
}

const seconds = (Date.now() - t0) / 1000;
// CPU time of the children (Linux): the 5-minute budget is about work, not
// about how long other engineers' test suites keep the 2 cores busy.
let cpuSeconds = NaN;
try {
  const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  cpuSeconds = (Number(f[13]) + Number(f[14])) / 100 + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
} catch {
  // not Linux: wall time only
}
const cpus = os.cpus();
const machine = [
  `- Machine: ${cpus[0]?.model ?? "?"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, ${os.type()} ${os.release()}; load average ${load0.toFixed(2)} at the start. **Shared and noisy**: 2 cores shared with other engineers running test suites, so only differences above about 1.5x are real and absolute figures move from run to run; compare ratios within one run.`,
  `- Node ${process.version} (V8 ${process.versions.v8}); ${["bluebird", "effection", "p-limit", "p-queue", "async-mutex", "rxjs", "tsx"].map((p) => `${p} ${version(p)}`).join(", ")}.`,
  `- Library measured: ${args.has("tsx") ? "src/ run through tsx (esbuild keepNames: slower than what users run)" : "src/ compiled by tsc (what users run), imported from node_modules/.cache/asyncio-ts-bench"}.`,
  `- Method: each scenario in a fresh \`node --expose-gc\` process; contenders interleaved (order rotated each round), ${warmup} warm-up round discarded, then ${samples} samples each; a full GC and an emptied Node loop before every sample. Spread = min and max sample relative to the median. Ratios are ours / theirs (above 1: we are faster).`,
  `- Run on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${seconds.toFixed(0)} s wall, ${cpuSeconds.toFixed(0)} s of CPU (load average ${os.loadavg()[0]!.toFixed(1)} at the end).`,
].join("\n");

const targets = targetsTable(byId, mem);
const body = ["## Node.js: `npm run bench`", "", machine, "", targets, "", ...parts].join("\n");
process.stdout.write(body + "\n");
// Codemod speed belongs to the codemod corpus owner (bench/codemod-speed.ts):
// it reads the public corpus and takes minutes, so it runs only with --codemods.
if (args.has("codemods") && write) {
  if (existsSync(`${ROOT}/bench/codemod-speed.ts`)) {
    log("codemod speed (bench/codemod-speed.ts)…");
    const r = spawnSync(process.execPath, ["--import=tsx", "bench/codemod-speed.ts"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const out =
      r.status === 0
        ? r.stdout.trim()
        : `bench/codemod-speed.ts failed:\n\n\`\`\`\n${(r.stderr ?? "").slice(-2000)}\n\`\`\``;
    writeSection("codemods", `## Codemod speed (\`npm run bench -- --codemods\`, bench/codemod-speed.ts)\n\n${out}\n`);
  } else writeSection("codemods", "## Codemod speed\n\nbench/codemod-speed.ts does not exist yet.\n");
}
// Scaling (bench/scaling.ts): every API at 10k, 100k and 1M items, each in
// its own process, then the migration CLI on one file of 10 KB to 5 MB
// (bench/codemod-file-size.ts); minutes of CPU, so it runs only with --scaling
// (--scaling-sizes=10000,100000 to choose the sizes, --scaling-file-sizes=10,100
// for the file sizes in KB, --scaling-file-sizes= to leave the CLI out).
if (args.has("scaling")) {
  const { scalingTable } = await import("./scaling.js");
  const sizes = (args.get("scaling-sizes") ?? "10000,100000,1000000").split(",").map(Number);
  let section = scalingTable(sizes, undefined, log, env);
  // The migration CLI's row (bench/codemod-file-size.ts): one file per size in KB, after the API table.
  const fileSizes = (args.get("scaling-file-sizes") ?? "10,100,1000,5000").split(",").filter(Boolean).map(Number);
  if (fileSizes.length) {
    const { fileSizeTable } = await import("./codemod-file-size.js");
    section += `\n${await fileSizeTable(fileSizes, { log })}`;
  }
  process.stdout.write(section + "\n");
  if (write) writeSection("scaling", section);
}
// The timer storm on the real clock (bench/timer-storm.ts): seconds per run, so only with --timer-storm
// (--timer-storm-n=N, --timer-storm-runs=R).
if (args.has("timer-storm")) {
  const { timerStormTable } = await import("./timer-storm.js");
  const n = Number(args.get("timer-storm-n") ?? 1_000_000);
  const section = timerStormTable(n, Number(args.get("timer-storm-runs") ?? 3), env, log);
  process.stdout.write(section + "\n");
  if (write) writeSection("timer-storm", section);
}
// The hand-written parts are refreshed on every run.
if (write) {
  writeSection("intro", readFileSync(`${ROOT}/bench/intro.md`, "utf8"));
  if (existsSync(`${ROOT}/bench/findings.md`))
    writeSection("findings", readFileSync(`${ROOT}/bench/findings.md`, "utf8"));
}

if (write && !only) {
  mkdirSync(`${ROOT}/bench/results`, { recursive: true });
  writeFileSync(
    `${ROOT}/bench/results/node.json`,
    JSON.stringify({ results: Object.fromEntries(byId), memory: mem }, null, 1) + "\n",
  );
  writeSection("node", body);
  log(`written to docs/benchmarks.md (${seconds.toFixed(0)} s)`);
}

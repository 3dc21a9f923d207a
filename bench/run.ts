// `npm run bench`: runs every scenario in its own fresh Node process
// (contenders interleaved inside it), then the memory table, prints the
// markdown tables and writes them to docs/benchmarks.md with the machine and
// the versions. Options: --only=id,id  --samples=N  --warmup=N  --no-write
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { table, type Result } from "./harness.js";
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

function child(script: string, argv: string[]): { stdout: string; ok: boolean; stderr: string } {
  const r = spawnSync(process.execPath, ["--expose-gc", "--import=tsx", script, ...argv], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", ok: r.status === 0 };
}

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}/node_modules/${pkg}/package.json`, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

const t0 = Date.now();
const load0 = os.loadavg()[0]!;
const byId = new Map<string, Result[]>();
const parts: string[] = [];
for (const sc of scenarios) {
  if (only && !only.includes(sc.id)) continue;
  log(`scenario ${sc.id}…`);
  const r = child("bench/child.ts", [sc.id, String(samples), String(warmup)]);
  const line = r.stdout.trim().split("\n").pop() ?? "";
  process.stderr.write(r.stderr);
  if (!r.ok || !line.startsWith("{")) {
    parts.push(`### ${sc.title}\n\nThe scenario's process failed:\n\n\`\`\`\n${r.stderr.slice(-2000)}\n\`\`\`\n`);
    continue;
  }
  const results = (JSON.parse(line) as { results: Result[] }).results;
  byId.set(sc.id, results);
  parts.push(table(sc, results));
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

// The Deferred chain scenario belongs to the Twisted adapter's helper; it is
// included when its file exists.
let chain: string | undefined;
if (existsSync(`${ROOT}/bench/twisted-chain.ts`) && (!only || only.includes("twisted-chain"))) {
  log("twisted-chain…");
  const r = child("bench/twisted-chain.ts", []);
  process.stderr.write(r.stderr);
  chain = r.ok ? r.stdout.trim() : `bench/twisted-chain.ts failed:\n\n\`\`\`\n${r.stderr.slice(-2000)}\n\`\`\``;
}

const seconds = (Date.now() - t0) / 1000;
const cpus = os.cpus();
const machine = [
  `- Machine: ${cpus[0]?.model ?? "?"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, ${os.type()} ${os.release()}; load average ${load0.toFixed(2)} at the start. **Shared and noisy**: 2 cores shared with other engineers running test suites, so only differences above about 1.5x are real and absolute figures move from run to run; compare ratios within one run.`,
  `- Node ${process.version} (V8 ${process.versions.v8}); ${["bluebird", "effection", "p-limit", "p-queue", "async-mutex", "rxjs", "tsx"].map((p) => `${p} ${version(p)}`).join(", ")}.`,
  `- Method: each scenario in a fresh \`node --expose-gc\` process; contenders interleaved (order rotated each round), ${warmup} warm-up round discarded, then ${samples} samples each; a full GC and an emptied Node loop before every sample. Spread = min and max sample relative to the median. Ratios are ours / theirs (above 1: we are faster).`,
  `- Run on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${seconds.toFixed(0)} s in all.`,
].join("\n");

const targets = targetsTable(byId, mem);
const body = ["## Node.js: `npm run bench`", "", machine, "", targets, "", ...parts].join("\n");
process.stdout.write(body + "\n");
if (chain !== undefined) process.stdout.write(`\n${chain}\n`);
if (write && !only) {
  writeSection("node", body);
  if (chain !== undefined) writeSection("twisted-chain", `## Deferred chains (\`bench/twisted-chain.ts\`)\n\n${chain}\n`);
  log(`written to docs/benchmarks.md (${seconds.toFixed(0)} s)`);
}

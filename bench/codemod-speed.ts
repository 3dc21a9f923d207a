// Codemod speed: `asyncio-ts migrate --dry-run` over
//   - the library files of the whole public corpus (corpus/public.tsv, the same
//     files `npm run corpus` converts),
//   - a generated tree of 5,000 callback-style files (bench/codemod-tree.ts,
//     deterministic), and
//   - generated trees of about the same number of lines in small, medium and
//     large files (lines/s against file size: a cost that grows faster than the
//     file shows here),
// with --jobs 1 and --jobs 2 run alternately (1, 2, 1, 2, …: a loaded machine's
// load drifts, and an interleaved pair sees the same drift). Prints a markdown
// table: the CLI's own time (its summary line, start-up excluded), the process's
// CPU time (all threads, from bench/codemod-cpu-hook.mjs), files/s and lines/s
// by the CLI's time, files per CPU-second ("per core"), and the wall time.
//
//   npx tsx bench/codemod-speed.ts [--runs N] [--tree-runs N] [--tree-files N] [--built] [--work-dir D]
//   (--built: codemods/dist/cli.js, as published, after `npm run build`; --cli F: that built cli.js;
//   default: the TypeScript source through tsx)
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import fg from "fast-glob";
import {
  DEFAULT_WORK_DIR,
  extractTarball,
  fetchTarball,
  migrateCli,
  readConfigs,
  readCorpus,
  runArgv,
} from "../scripts/corpus-lib.js";
import { writeTree } from "./codemod-tree.js";

const HERE = dirname(fileURLToPath(import.meta.url));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Copies every corpus package's library files into `<workDir>/speed/<pkg>/…`; returns the relative paths and line count. */
export async function gatherLibraryFiles(workDir: string): Promise<{ root: string; files: string[]; lines: number }> {
  const root = join(workDir, "speed");
  rmSync(root, { recursive: true, force: true });
  const configs = readConfigs();
  const files: string[] = [];
  let lines = 0;
  for (const entry of readCorpus()) {
    const cfg = configs[entry.name];
    if (!cfg) throw new Error(`no entry for ${entry.name} in corpus/packages.json`);
    const pkg = join(workDir, "speed-src", entry.spec);
    await extractTarball(await fetchTarball(entry, workDir), pkg);
    for (const f of await fg(cfg.library, { cwd: pkg, ignore: ["node_modules/**"] })) {
      const rel = join(entry.name, f);
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      copyFileSync(join(pkg, f), join(root, rel));
      lines += readFileSync(join(pkg, f), "utf8")
        .split(/\r?\n/)
        .filter((l) => l.trim()).length;
      files.push(rel);
    }
  }
  rmSync(join(workDir, "speed-src"), { recursive: true, force: true });
  return { root, files: files.sort(), lines };
}

/** How the CLI is started: the TypeScript source (tsx) or the build, with the CPU-time hook loaded. */
function cliArgv(built: string | undefined): string[] {
  const hook = ["--import", pathToFileURL(join(HERE, "codemod-cpu-hook.mjs")).href];
  if (built !== undefined) {
    if (!existsSync(built)) throw new Error(`${built} is missing (npm run build)`);
    return [process.execPath, ...hook, resolve(built)];
  }
  const [node, ...rest] = migrateCli();
  return node === process.execPath ? [node, ...hook, ...rest] : [node!, ...rest];
}

interface Timing {
  wall: number;
  engine: number;
  /** NaN when the CLI was not started with the hook (ASYNCIO_TS_CLI set to something else). */
  cpu: number;
}

async function timeMigrate(cli: string[], cwd: string, args: string[]): Promise<Timing> {
  const r = await runArgv([...cli, "migrate", ...args, "--dry-run", "--no-diff", "--no-progress"], {
    cwd,
    timeoutSeconds: 3600,
  });
  if (r.code !== 0 && r.code !== 1) throw new Error(`migrate exited ${r.code}: ${r.stderr.slice(-1000)}`);
  const own = /\bin ([\d.]+)s\s*$/m.exec(r.stderr + "\n" + r.stdout);
  const cpu = /^codemod-cpu-seconds ([\d.]+)$/m.exec(r.stderr);
  return { wall: r.seconds, engine: own ? Number(own[1]) : r.seconds, cpu: cpu ? Number(cpu[1]) : Number.NaN };
}

/** One measured configuration. */
export interface SpeedRow {
  /** What was migrated. */
  tree: string;
  jobs: number;
  files: number;
  lines: number;
  /** Medians over the runs: the CLI's own time ("in 0.3s", start-up excluded), CPU time of all threads, wall time. */
  engineSeconds: number;
  cpuSeconds: number;
  seconds: number;
  runs: number;
}

/** Runs jobs 1 and 2 alternately, `runs` times each, over the tree; one row per jobs value. */
async function measurePair(
  cli: string[],
  tree: string,
  root: string,
  args: string[],
  size: { files: number; lines: number },
  runs: number,
  jobsList: readonly number[] = [1, 2],
): Promise<SpeedRow[]> {
  const times = new Map<number, Timing[]>(jobsList.map((j) => [j, []]));
  for (let i = 0; i < runs; i++)
    for (const jobs of jobsList) times.get(jobs)!.push(await timeMigrate(cli, root, [...args, "--jobs", String(jobs)]));
  return jobsList.map((jobs) => {
    const ts = times.get(jobs)!;
    return {
      tree,
      jobs,
      ...size,
      runs,
      engineSeconds: median(ts.map((t) => t.engine)),
      cpuSeconds: median(ts.map((t) => t.cpu)),
      seconds: median(ts.map((t) => t.wall)),
    };
  });
}

/** Measures and returns the rows and the start-up time. */
export async function measure(opts: {
  runs: number;
  treeRuns: number;
  treeFiles: number;
  workDir: string;
  /** A built cli.js to run (default: the TypeScript source through tsx). */
  built?: string;
}): Promise<{ rows: SpeedRow[]; startup: Timing }> {
  const cli = cliArgv(opts.built);
  const { root, files, lines } = await gatherLibraryFiles(opts.workDir);
  writeFileSync(join(root, "empty.js"), "");
  const startups: Timing[] = [];
  for (let i = 0; i < 3; i++) startups.push(await timeMigrate(cli, root, ["empty.js"]));
  const startup = { wall: median(startups.map((t) => t.wall)), cpu: median(startups.map((t) => t.cpu)), engine: 0 };
  const rows = await measurePair(cli, "corpus library files", root, files, { files: files.length, lines }, opts.runs);
  const big = join(opts.workDir, "generated");
  const tree = writeTree(big, opts.treeFiles, 8);
  rows.push(
    ...(await measurePair(
      cli,
      `generated tree (${opts.treeFiles} files)`,
      big,
      ["."],
      { files: opts.treeFiles, lines: tree.lines },
      opts.treeRuns,
    )),
  );
  // About 2,000 functions each: many small files, fewer medium ones, a few large ones.
  for (const [count, functions] of [
    [500, 4],
    [64, 32],
    [8, 256],
  ] as const) {
    const dir = join(opts.workDir, `generated-${functions}`);
    const t = writeTree(dir, count, functions);
    const label = `generated, ${functions} functions (~${Math.round(t.lines / count)} lines) a file`;
    rows.push(...(await measurePair(cli, label, dir, ["."], { files: count, lines: t.lines }, opts.runs, [1])));
  }
  rmSync(big, { recursive: true, force: true });
  return { rows, startup };
}

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : "–");

/** The markdown table. */
export function renderSpeed(rows: SpeedRow[], startup: Timing, built: string | undefined): string {
  return [
    "| codemod run (migrate --dry-run) | jobs | files | lines | CLI time s | CPU s | files/s | files per CPU-s | files per CPU-s after start-up | lines/s | wall s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.tree} | ${r.jobs} | ${r.files} | ${r.lines} | ${r.engineSeconds.toFixed(2)} | ${fmt(r.cpuSeconds, 2)} | ` +
        `${(r.files / r.engineSeconds).toFixed(1)} | ${fmt(r.files / r.cpuSeconds, 1)} | ` +
        `${fmt(r.files / (r.cpuSeconds - startup.cpu), 1)} | ` +
        `${(r.lines / r.engineSeconds).toFixed(0)} | ${r.seconds.toFixed(2)} |`,
    ),
    "",
    `Medians of ${[...new Set(rows.map((r) => r.runs))].join(" or ")} runs, --jobs 1 and 2 alternately. files/s and lines/s use ` +
      `the CLI's own time (its summary line: parsing, analysis, transforms, diffs, workers), not the process ` +
      `start-up (${startup.wall.toFixed(2)} s wall, ${fmt(startup.cpu, 2)} CPU s on one empty file); CPU s is the whole process (every thread, ` +
      `start-up included), so "files per CPU-s" is the speed per core, and the next column takes the empty file's CPU s off first. With the kernel's autogroups (on here: /proc/sys/kernel/sched_autogroup_enabled), a loaded machine shares CPU by session, not by thread: a second thread buys wall time only when a core is idle, so on a loaded machine compare --jobs 2's CPU s with --jobs 1's. The CLI ran ${built ? `from ${relative(join(HERE, ".."), resolve(built))} (npm run build)` : "from the TypeScript source through tsx"}. ` +
      `Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} when measured.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      "tree-runs": { type: "string", default: "1" },
      "tree-files": { type: "string", default: "5000" },
      built: { type: "boolean", default: false },
      cli: { type: "string" },
      "work-dir": { type: "string", default: DEFAULT_WORK_DIR },
    },
  });
  const runs = Number(values.runs);
  const treeRuns = Number(values["tree-runs"]);
  const treeFiles = Number(values["tree-files"]);
  if (!(runs >= 1) || !(treeRuns >= 1) || !(treeFiles >= 1))
    throw new Error("--runs, --tree-runs, --tree-files: at least 1");
  const built = values.cli ?? (values.built ? join(HERE, "..", "codemods", "dist", "cli.js") : undefined);
  const { rows, startup } = await measure({ runs, treeRuns, treeFiles, workDir: values["work-dir"]!, built });
  console.log(renderSpeed(rows, startup, built));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}

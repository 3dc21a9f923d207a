// Codemod speed: `asyncio-ts migrate --dry-run` over the library files of the
// whole public corpus (corpus/public.tsv, the same files `npm run corpus`
// converts), with --jobs 1 and --jobs 2. Prints a markdown table of files/s
// and lines/s (median of 3 runs, wall clock, CLI start-up included, and the
// start-up alone measured on one empty file so it can be told apart).
//
//   npx tsx bench/codemod-speed.ts [--runs N] [--work-dir D]
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
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

/** One measured configuration. */
export interface SpeedRow {
  jobs: number;
  /** The CLI's own time from its summary line ("in 0.3s"), without process start-up. */
  engineSeconds: number;
  files: number;
  lines: number;
  seconds: number;
  filesPerSecond: number;
  linesPerSecond: number;
}

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

async function timeMigrate(cwd: string, args: string[]): Promise<{ wall: number; engine: number }> {
  const r = await runArgv([...migrateCli(), "migrate", ...args, "--dry-run"], { cwd, timeoutSeconds: 600 });
  if (r.code !== 0 && r.code !== 1) throw new Error(`migrate exited ${r.code}: ${r.stderr.slice(-1000)}`);
  const own = /\bin ([\d.]+)s\s*$/m.exec(r.stderr + "\n" + r.stdout);
  return { wall: r.seconds, engine: own ? Number(own[1]) : r.seconds };
}

/** Measures and returns the rows and the start-up time. */
export async function measure(opts: { runs: number; workDir: string }): Promise<{ rows: SpeedRow[]; startup: number }> {
  const { root, files, lines } = await gatherLibraryFiles(opts.workDir);
  writeFileSync(join(root, "empty.js"), "");
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) startups.push((await timeMigrate(root, ["empty.js"])).wall);
  const startup = median(startups);
  const rows: SpeedRow[] = [];
  for (const jobs of [1, 2]) {
    const runs: { wall: number; engine: number }[] = [];
    for (let i = 0; i < opts.runs; i++) runs.push(await timeMigrate(root, [...files, "--jobs", String(jobs)]));
    const seconds = median(runs.map((r) => r.wall));
    const engineSeconds = median(runs.map((r) => r.engine));
    rows.push({
      jobs,
      files: files.length,
      lines,
      seconds,
      engineSeconds,
      filesPerSecond: files.length / engineSeconds,
      linesPerSecond: lines / engineSeconds,
    });
  }
  return { rows, startup };
}

/** The markdown table. */
export function renderSpeed(rows: SpeedRow[], startup: number): string {
  return [
    "| codemod run (corpus library files) | files | lines | CLI time s (median) | files/s | lines/s | wall s incl. start-up |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| migrate --dry-run --jobs ${r.jobs} | ${r.files} | ${r.lines} | ${r.engineSeconds.toFixed(2)} | ${r.filesPerSecond.toFixed(1)} | ${r.linesPerSecond.toFixed(0)} | ${r.seconds.toFixed(2)} |`,
    ),
    "",
    `files/s and lines/s use the CLI's own time (its summary line: parsing, analysis, transforms, diffs, workers), ` +
      `not the process start-up (${startup.toFixed(2)} s wall on one empty file). Node ${process.version}, ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} when measured.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "3" }, "work-dir": { type: "string", default: DEFAULT_WORK_DIR } },
  });
  const runs = Number(values.runs);
  if (!(runs >= 1)) throw new Error("--runs must be at least 1");
  const { rows, startup } = await measure({ runs, workDir: values["work-dir"]! });
  console.log(renderSpeed(rows, startup));
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}

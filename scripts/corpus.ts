// npm run corpus [-- --only a,b] [--keep] [--timeout S] [--work-dir D] [--doc FILE] [--update-locks] [--no-migrate]
//                  [--migrate-args=--assume-err-first]   (extra migrate options, after "=")
//
// For each package of corpus/public.tsv: fetch the exact tarball from the
// registry (sha512 checked against the tsv), install its dependencies from the
// stored lockfile, run its own tests twice (the baseline), convert its library
// files with `asyncio-ts migrate --write --report`, run its tests again, and
// compare the per-test PASS SETS. Prints a markdown table and, for a full run
// (or with --doc), writes it to docs/codemods-corpus.md. Exits 1 if any
// package loses a test it passed in both baseline runs, or cannot be run.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import fg from "fast-glob";
import { createTwoFilesPatch } from "diff";
import {
  DEFAULT_WORK_DIR,
  REPO,
  extractTarball,
  fetchTarball,
  installDeps,
  migrateCli,
  readConfigs,
  readCorpus,
  readReport,
  runArgv,
  runCommand,
  type CorpusEntry,
  type MigrateReport,
  type PackageConfig,
} from "./corpus-lib.js";
import { parseResults, passSet, type TestResult } from "./corpus-parsers.js";
import { addCounts, countCallbacks, type CallbackCounts } from "./corpus-metrics.js";

/** The outcome of one package, one row of the table. */
export interface PackageOutcome {
  spec: string;
  status: "ok" | "LOST TESTS" | "ERROR";
  error?: string;
  libraryFiles: number;
  sites: number;
  converted: number;
  refusedByReason: Record<string, number>;
  sitesByTransform: Record<string, { converted: number; refused: number }>;
  cbBefore?: CallbackCounts;
  cbAfter?: CallbackCounts;
  baselinePasses: number;
  flakyInBaseline: string[];
  afterPasses: number;
  lost: string[];
  gained: string[];
  flakyAfter: string[];
  identical: boolean;
  /** The migrate CLI's own time (its summary line), else the wall time. */
  migrateSeconds: number;
  /** Wall time of the migrate process, start-up included. */
  wallSeconds: number;
  filesPerSecond: number;
  /** True when the CLI reported "0.0s" (under its 0.1 s resolution). */
  filesPerSecondIsLowerBound: boolean;
  migrateExit: number | null;
  notes: string[];
}

interface Options {
  only?: string[];
  keep: boolean;
  timeout: number;
  workDir: string;
  doc?: string;
  updateLocks: boolean;
  migrate: boolean;
  /** Extra arguments for `migrate` (e.g. --assume-err-first), to measure what an option would unlock. */
  migrateArgs: string[];
  log: (s: string) => void;
}

const union = (...sets: Set<string>[]): Set<string> => new Set(sets.flatMap((s) => [...s]));
const minus = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

function testEnv(pkgHome: string): NodeJS.ProcessEnv {
  // A private HOME per package: nconf's test writes $HOME/.nconf and must find
  // it by searching upwards from the package, and no test may touch the real
  // HOME. Plain-text output for the parsers: tap picks its dot reporter when
  // it thinks colours are on, and old supports-color treats ANY FORCE_COLOR
  // (even "0", which .ci/run exports) as "force colours"; CI unset likewise.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: pkgHome, NO_COLOR: "1", TAP_COLORS: "0" };
  for (const k of ["CI", "FORCE_COLOR", "NODE_OPTIONS", "npm_config_prefix", "TAP"]) delete env[k];
  return env;
}

/**
 * Test names sometimes carry paths that differ on every run (fs-vacuum names
 * its assertions after mkdtemp folders): replace the package's own folder and
 * any /tmp/<one segment> by placeholders, so ids are stable across runs.
 */
export function normaliseOutput(text: string, pkgDir: string): string {
  return text
    .split(pkgDir)
    .join("<pkg>")
    .replace(/\/tmp\/[^/\s'"]+/g, "/tmp/<tmp>");
}

/** Runs the package's test command once and parses per-test results. */
async function runTests(
  entry: CorpusEntry,
  cfg: PackageConfig,
  pkgDir: string,
  home: string,
  label: string,
  opts: Options,
): Promise<TestResult[]> {
  const logDir = join(dirname(pkgDir), "logs");
  mkdirSync(logDir, { recursive: true });
  const env = testEnv(home);
  if (cfg.parser === "scripts") {
    const results: TestResult[] = [];
    for (const s of cfg.scripts ?? []) {
      const r = await runCommand(s.command, { cwd: pkgDir, env, timeoutSeconds: opts.timeout });
      writeFileSync(join(logDir, `${label}.${s.name}.out`), r.stdout + "\n--- stderr ---\n" + r.stderr);
      results.push({ id: s.name, ok: r.code === 0 && !r.timedOut && r.stdout.includes(s.expect) });
    }
    return results;
  }
  // The tsv spells the nconf environment as a placeholder; HOME is set above.
  const command = entry.testCommand.replace(/^HOME=<[^>]*>\s+/, "");
  const r = await runCommand(command, { cwd: pkgDir, env, timeoutSeconds: opts.timeout });
  writeFileSync(
    join(logDir, `${label}.out`),
    r.stdout +
      "\n--- stderr ---\n" +
      r.stderr +
      `\n--- exit ${r.code} ${r.signal ?? ""}${r.timedOut ? " TIMEOUT" : ""}\n`,
  );
  const results = parseResults(cfg.parser, normaliseOutput(r.stdout, pkgDir), cfg.scriptPattern);
  if (r.timedOut) results.push({ id: `[${label} run finished within ${opts.timeout} s]`, ok: false });
  return results;
}

function emptyOutcome(spec: string): PackageOutcome {
  return {
    spec,
    status: "ERROR",
    libraryFiles: 0,
    sites: 0,
    converted: 0,
    refusedByReason: {},
    sitesByTransform: {},
    baselinePasses: 0,
    flakyInBaseline: [],
    afterPasses: 0,
    lost: [],
    gained: [],
    flakyAfter: [],
    identical: false,
    migrateSeconds: 0,
    wallSeconds: 0,
    filesPerSecond: 0,
    filesPerSecondIsLowerBound: false,
    migrateExit: null,
    notes: [],
  };
}

function countFiles(dir: string, files: string[]): CallbackCounts {
  let c: CallbackCounts = { takesCallback: 0, errFirst: 0, lines: 0 };
  for (const f of files) {
    const p = join(dir, f);
    if (existsSync(p)) c = addCounts(c, countCallbacks(f, readFileSync(p, "utf8")));
  }
  return c;
}

function tallyReport(report: MigrateReport, out: PackageOutcome): void {
  for (const file of report.files) {
    for (const s of file.sites ?? []) {
      out.sites++;
      const t = (out.sitesByTransform[s.transform] ??= { converted: 0, refused: 0 });
      if (s.status === "converted") {
        out.converted++;
        t.converted++;
      } else {
        t.refused++;
        const reason = s.reason ?? "(no reason)";
        out.refusedByReason[reason] = (out.refusedByReason[reason] ?? 0) + 1;
      }
    }
    if (file.error) out.notes.push(`${file.file}: ${file.error}`);
  }
}

/** A package fetched, extracted and installed, ready to test. */
interface Prepared {
  base: string;
  pkgDir: string;
  install: string;
}

/** Fetches (integrity checked), extracts and installs one package. Several may run at once. */
async function preparePackage(entry: CorpusEntry, cfg: PackageConfig | undefined, opts: Options): Promise<Prepared> {
  if (!cfg) throw new Error(`no entry for ${entry.name} in corpus/packages.json`);
  const base = join(opts.workDir, entry.spec.replace("/", "__"));
  const pkgDir = join(base, "package");
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const tgz = await fetchTarball(entry, opts.workDir);
  opts.log(`[${entry.spec}] tarball ok (integrity ${entry.integrity.slice(0, 20)}…)`);
  await extractTarball(tgz, pkgDir);
  const how = await installDeps(entry, pkgDir, cfg, opts.updateLocks);
  opts.log(`[${entry.spec}] installed: ${how}`);
  return { base, pkgDir, install: how };
}

/** The whole pipeline for one package. Never throws: errors become an ERROR row. */
export async function runPackage(
  entry: CorpusEntry,
  cfg: PackageConfig | undefined,
  opts: Options,
  prepared?: Promise<Prepared>,
): Promise<PackageOutcome> {
  const out = emptyOutcome(entry.spec);
  const log = (s: string) => opts.log(`[${entry.spec}] ${s}`);
  let pkgDir: string | undefined;
  try {
    const p = await (prepared ?? preparePackage(entry, cfg, opts));
    const dir = p.pkgDir;
    pkgDir = dir;
    if (p.install.includes("second attempt")) out.notes.push(`install: ${p.install}`);
    const base = p.base;
    if (!cfg) throw new Error(`no entry for ${entry.name} in corpus/packages.json`);

    // Every test run starts from the package as installed: a failing test can
    // leave fixtures moved or half-written (mv's suite moves test/a-folder
    // around), which would fail the next run too. `overlay` holds the
    // converted library files for the after-runs.
    const snapshot = join(base, "snapshot");
    cpSync(dir, snapshot, { recursive: true, filter: (src) => !src.startsWith(join(dir, "node_modules")) });
    let overlay: string | undefined;
    const fresh = (): void => {
      cpSync(snapshot, dir, { recursive: true, force: true });
      if (overlay) cpSync(overlay, dir, { recursive: true, force: true });
    };
    const run = async (label: string) => {
      fresh();
      return passSet(await runTests(entry, cfg, dir, base, label, opts));
    };

    // Baseline, twice: a test counts only if it passed both times.
    const b1 = await run("baseline-1");
    const b2 = await run("baseline-2");
    const stable = new Set([...b1].filter((x) => b2.has(x)));
    out.flakyInBaseline = [...minus(b1, b2), ...minus(b2, b1)];
    out.baselinePasses = stable.size;
    log(`baseline: ${b1.size} / ${b2.size} passing (${stable.size} in both)`);
    if (stable.size === 0)
      throw new Error("the baseline passed no test: the runner printed nothing parseable (see logs)");
    const expected = /^\d+/.exec(entry.baselineNote)?.[0];
    if (expected && Number(expected) !== stable.size)
      out.notes.push(`the research notes counted ${entry.baselineNote} passing; this harness counts ${stable.size}`);

    const files = (await fg(cfg.library, { cwd: dir, ignore: ["node_modules/**"], onlyFiles: true })).sort();
    if (files.length === 0) throw new Error(`no library files match ${cfg.library.join(", ")}`);
    out.libraryFiles = files.length;
    const orig = join(base, "original");
    fresh();
    for (const f of files) {
      mkdirSync(dirname(join(orig, f)), { recursive: true });
      copyFileSync(join(dir, f), join(orig, f));
    }
    out.cbBefore = countFiles(dir, files);

    let after: Set<string>;
    if (opts.migrate) {
      const reportFile = join(base, "report.json");
      const argv = [...migrateCli(), "migrate", ...files, "--write", "--report", reportFile, ...opts.migrateArgs];
      const r = await runArgv(argv, { cwd: dir, timeoutSeconds: opts.timeout });
      writeFileSync(
        join(base, "logs", "migrate.out"),
        `$ ${argv.join(" ")}\n${r.stdout}\n--- stderr ---\n${r.stderr}\n--- exit ${r.code}\n`,
      );
      out.migrateExit = r.code;
      // The CLI's summary line ends "in 0.3s": its own time, without the
      // process start-up (tsx, ts-morph loading) that dominates on small packages.
      const own = /\bin ([\d.]+)s\s*$/m.exec(r.stderr + "\n" + r.stdout);
      out.migrateSeconds = own ? Number(own[1]) : r.seconds;
      out.wallSeconds = r.seconds;
      // The summary has 0.1 s resolution: "0.0s" means under 0.05 s, a lower bound on the rate.
      out.filesPerSecondIsLowerBound = out.migrateSeconds < 0.05;
      out.filesPerSecond = files.length / Math.max(out.migrateSeconds, 0.05);
      if (r.timedOut) throw new Error(`migrate timed out after ${opts.timeout} s`);
      // Exit 2 = a file did not parse (left untouched, reported): not fatal here; no report is.
      if (!existsSync(reportFile))
        throw new Error(`migrate exited ${r.code} without writing a report: ${r.stderr.trim().slice(-1500)}`);
      if (r.code === 2) out.notes.push("migrate exited 2 (a file did not parse or bad usage; see logs/migrate.out)");
      tallyReport(readReport(reportFile), out);
      const patch = files
        .map((f) => {
          const a = readFileSync(join(orig, f), "utf8");
          const b = existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "";
          return a === b ? "" : createTwoFilesPatch(`a/${f}`, `b/${f}`, a, b);
        })
        .join("");
      writeFileSync(join(base, "logs", "migrate.diff"), patch);
      log(
        `migrated ${files.length} file(s) in ${r.seconds.toFixed(2)} s: ${out.converted}/${out.sites} site(s) converted`,
      );
    } else {
      out.notes.push("--no-migrate: tests re-run on unconverted code");
    }
    out.cbAfter = countFiles(dir, files);
    overlay = join(base, "converted");
    for (const f of files) {
      if (!existsSync(join(dir, f))) continue;
      mkdirSync(dirname(join(overlay, f)), { recursive: true });
      copyFileSync(join(dir, f), join(overlay, f));
    }

    const a1 = await run("after-1");
    after = a1;
    let lost = minus(stable, a1);
    if (lost.length) {
      // One retry so that a baseline flake is not blamed on the codemod; a
      // test lost in one of the two runs only is still reported (flakyAfter).
      const a2 = await run("after-2");
      after = union(a1, a2);
      out.flakyAfter = minus(stable, a2)
        .filter((x) => !lost.includes(x))
        .concat(lost.filter((x) => a2.has(x)));
      lost = minus(stable, after);
    }
    out.afterPasses = [...a1].filter((x) => stable.has(x)).length;
    out.lost = lost;
    out.gained = minus(a1, union(b1, b2));
    // Identical: every stable test passed (both after-runs, when a retry ran)
    // and nothing passed that never passed in the baseline; tests that
    // passed in one baseline run only are left out of the comparison.
    out.identical = lost.length === 0 && out.flakyAfter.length === 0 && out.gained.length === 0;
    out.status = lost.length ? "LOST TESTS" : "ok";
    log(`after: ${a1.size} passing; lost ${lost.length}${lost.length ? ": " + lost.slice(0, 5).join("; ") : ""}`);
  } catch (e) {
    out.status = "ERROR";
    out.error = e instanceof Error ? e.message : String(e);
    log(`ERROR: ${out.error}`);
  }
  if (!opts.keep && pkgDir) {
    // Keep the logs and the diff (small, needed to study a failure); drop the installed tree.
    rmSync(pkgDir, { recursive: true, force: true });
  }
  return out;
}

const fmtReasons = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "–";

/** The markdown table of outcomes. */
export function renderTable(rows: PackageOutcome[]): string {
  const head =
    "| package | status | library files | sites found | converted | refused by reason | cb fns / err-first before → after | tests passing before → after | identical pass sets | files/s |";
  const sep = "|---|---|---|---|---|---|---|---|---|---|";
  const lines = rows.map((r) => {
    const pct = r.sites ? ` (${Math.round((100 * r.converted) / r.sites)}%)` : "";
    const cb =
      r.cbBefore && r.cbAfter
        ? `${r.cbBefore.takesCallback} / ${r.cbBefore.errFirst} → ${r.cbAfter.takesCallback} / ${r.cbAfter.errFirst}`
        : "–";
    const status =
      r.status === "ERROR"
        ? `ERROR: ${(r.error ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 120)}`
        : r.status;
    const ident =
      r.status === "ERROR"
        ? "–"
        : r.identical
          ? "yes"
          : r.lost.length
            ? `no: lost ${r.lost.length}`
            : r.flakyAfter.length
              ? "no (flaky after, nothing lost)"
              : `no (${r.gained.length} newly passing, nothing lost)`;
    return `| ${r.spec} | ${status} | ${r.libraryFiles} | ${r.sites} | ${r.converted}${pct} | ${fmtReasons(r.refusedByReason)} | ${cb} | ${r.baselinePasses} → ${r.afterPasses} | ${ident} | ${r.filesPerSecond ? (r.filesPerSecondIsLowerBound ? "> " : "") + r.filesPerSecond.toFixed(1) : "–"} |`;
  });
  const total = rows.reduce((a, r) => ({ sites: a.sites + r.sites, converted: a.converted + r.converted }), {
    sites: 0,
    converted: 0,
  });
  const ok = rows.filter((r) => r.status === "ok").length;
  const summary = `${ok}/${rows.length} packages kept every test they passed; ${total.converted}/${total.sites} sites converted${total.sites ? ` (${Math.round((100 * total.converted) / total.sites)}%)` : ""}.`;
  return [head, sep, ...lines, "", summary].join("\n");
}

const list = (xs: string[], max = 8): string =>
  xs
    .slice(0, max)
    .map((x) => `\`${x}\``)
    .join(", ") + (xs.length > max ? ` … and ${xs.length - max} more` : "");

function renderDetails(rows: PackageOutcome[]): string {
  const parts: string[] = [];
  for (const r of rows) {
    const bits: string[] = [];
    if (Object.keys(r.sitesByTransform).length)
      bits.push(
        "sites by transform: " +
          Object.entries(r.sitesByTransform)
            .map(([k, v]) => `${k} ${v.converted} converted / ${v.refused} refused`)
            .join("; "),
      );
    if (r.lost.length) bits.push(`lost ${r.lost.length}: ` + list(r.lost, 20));
    if (r.flakyInBaseline.length)
      bits.push(`passed in one baseline run only (${r.flakyInBaseline.length}, excluded): ` + list(r.flakyInBaseline));
    if (r.flakyAfter.length)
      bits.push(`failed in one of the two after-runs only (${r.flakyAfter.length}): ` + list(r.flakyAfter));
    if (r.gained.length) bits.push(`passing after but not in the baseline: ${r.gained.length}`);
    if (r.migrateExit !== null && r.migrateExit !== 0) bits.push(`migrate exit code ${r.migrateExit}`);
    if (r.wallSeconds)
      bits.push(
        `migrate took ${r.migrateSeconds.toFixed(2)} s (${r.wallSeconds.toFixed(1)} s wall, start-up included)`,
      );
    bits.push(...r.notes);
    if (bits.length) parts.push(`- **${r.spec}**: ${bits.join(". ")}`);
  }
  return parts.join("\n");
}

/** The full markdown document written to docs/codemods-corpus.md. */
/** Which codemods produced the table: the last commit touching codemods/, and whether the tree differs from it. */
export function codemodsVersion(): string {
  try {
    const git = (...a: string[]) => execFileSync("git", a, { cwd: REPO, encoding: "utf8" }).trim();
    const sha = git("log", "-1", "--format=%h", "--", "codemods");
    const dirty = git("status", "--porcelain", "--", "codemods") !== "";
    return `codemods at ${sha}${dirty ? " plus uncommitted changes" : ""}`;
  } catch {
    return "codemods version unknown (not a git checkout)";
  }
}

export function renderDoc(
  rows: PackageOutcome[],
  meta: { date: string; cli: string; seconds: number; migrateArgs?: string[] },
): string {
  return `# Codemods on real packages: the corpus

Generated by \`npm run corpus\` (scripts/corpus.ts) on ${meta.date}, ${codemodsVersion()}, Node ${process.version}, in ${meta.seconds.toFixed(0)} s. Do not edit by hand: re-run it.

Each package of [corpus/public.tsv](../corpus/public.tsv) is fetched from the npm registry at the exact version and
refused unless its tarball's sha512 matches the tsv. Its dependencies are installed from the lockfile stored in
\`corpus/locks/\` (\`npm ci --ignore-scripts\`; lint, coverage and reporter tools the test command does not run are
dropped, see \`corpus/packages.json\`). Its own test command (from the tsv) runs **twice** as the baseline; then
\`${meta.cli} migrate <library files> --write --report${meta.migrateArgs?.length ? " " + meta.migrateArgs.join(" ") : ""}\` converts its library files (never its tests, bins or
examples; the globs are in \`corpus/packages.json\`), and the tests run again.

Runs are compared by their **per-test pass sets**, parsed from the runner's output (TAP for tap/tape, mocha's
spec reporter, vows --spec; scripts that pass only if they exit 0 *and* print their success line), never by exit
codes. A test counts in the baseline only if it passed in both baseline runs. A test is **lost** if it passed in
both baseline runs and fails (or does not run) after the migration, in the after-run and in one retry. Each test
run has a hard timeout and a hang counts as a failure, and starts from the package as installed (plus, after the
migration, the converted files), so that a failing test cannot leave fixtures behind for the next run.

Columns:

- **sites found / converted / refused by reason**: from the migrate report (what the codemod counts as a site is
  defined in [codemods.md](codemods.md)); the percentage is converted / found.
- **cb fns / err-first before → after**: an independent count, by the harness, over the same library files, the
  same way before and after: *cb fns* are functions whose last parameter is named \`cb\`, \`callback\`, \`done\`,
  \`next\`, \`cont\` (or ends in \`Callback\`/\`Cb\`); *err-first* are functions whose first parameter is named
  \`err\`, \`er\` or \`error\`. Exported functions keep a callback-compatible surface, so some remain by design.
- **files/s**: library files divided by the migrate CLI's own time (from its summary line, without the process
  start-up, which dominates on one-file packages; the wall times are in the details). \`npx tsx bench/codemod-speed.ts\`
  measures the codemod's speed over all these files at once.

${renderTable(rows)}

## Details

${renderDetails(rows) || "Nothing to add."}
`;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      timeout: { type: "string", default: "300" },
      "work-dir": { type: "string", default: DEFAULT_WORK_DIR },
      doc: { type: "string" },
      "update-locks": { type: "boolean", default: false },
      "no-migrate": { type: "boolean", default: false },
      "migrate-args": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run corpus -- [--only a,b] [--keep] [--timeout S] [--work-dir D] [--doc FILE] [--update-locks] [--no-migrate] [--migrate-args=--assume-err-first]",
    );
    return 0;
  }
  const only = values.only
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const opts: Options = {
    only,
    keep: values.keep!,
    timeout: Number(values.timeout),
    workDir: values["work-dir"]!,
    // The committed table is the full corpus with the default options only.
    doc: values.doc ?? (only || values["migrate-args"] ? undefined : join(REPO, "docs/codemods-corpus.md")),
    updateLocks: values["update-locks"]!,
    migrate: !values["no-migrate"],
    migrateArgs: values["migrate-args"]!.split(" ").filter(Boolean),
    log: (s) => console.error(s),
  };
  if (!(opts.timeout > 0)) throw new Error("--timeout must be a positive number of seconds");
  let entries = readCorpus();
  if (only) {
    const unknown = only.filter((n) => !entries.some((e) => e.name === n || e.spec === n));
    if (unknown.length) {
      console.error(
        `unknown package(s): ${unknown.join(", ")}; the corpus has ${entries.map((e) => e.name).join(", ")}`,
      );
      return 2;
    }
    entries = entries.filter((e) => only.includes(e.name) || only.includes(e.spec));
  }
  const configs = readConfigs();
  const cli = opts.migrate ? migrateCli() : [];
  mkdirSync(opts.workDir, { recursive: true });
  // Two runs sharing a work dir would delete each other's package trees.
  const lock = join(opts.workDir, ".lock");
  try {
    mkdirSync(lock);
  } catch {
    const pid = Number(existsSync(join(lock, "pid")) ? readFileSync(join(lock, "pid"), "utf8") : NaN);
    let alive = false;
    try {
      alive = pid > 0 && process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive) {
      console.error(`the work dir ${opts.workDir} is in use by process ${pid}; pass another --work-dir`);
      return 2;
    }
  }
  writeFileSync(join(lock, "pid"), String(process.pid));
  process.on("exit", () => rmSync(lock, { recursive: true, force: true }));
  const t0 = performance.now();
  const rows: PackageOutcome[] = [];
  // Fetching and installing run 4 at a time; the tests run one package at a
  // time, since some suites use fixed paths (under /tmp) or are timing-sensitive.
  const prepared = new Map<CorpusEntry, Promise<Prepared>>();
  let next = 0;
  const startMore = (): void => {
    while (next < entries.length && prepared.size - rows.length < 4) {
      const e = entries[next++]!;
      const p = preparePackage(e, configs[e.name], opts);
      p.catch(() => {}); // reported by runPackage
      prepared.set(e, p);
    }
  };
  for (const e of entries) {
    startMore();
    rows.push(await runPackage(e, configs[e.name], opts, prepared.get(e)));
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(renderTable(rows));
  const details = renderDetails(rows);
  if (details) console.log("\n" + details);
  if (opts.doc) {
    const cliName = cli.some((a) => a.endsWith("asyncio-ts.js")) ? "asyncio-ts" : "asyncio-ts (codemods/cli.ts)";
    writeFileSync(
      opts.doc,
      renderDoc(rows, {
        date: new Date().toISOString().slice(0, 10),
        cli: cliName,
        seconds,
        migrateArgs: opts.migrateArgs,
      }),
    );
    console.error(`written ${opts.doc}`);
  }
  console.error(`work dir: ${opts.workDir}${opts.keep ? " (kept)" : " (installed trees removed; logs kept)"}`);
  return rows.every((r) => r.status === "ok") ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(2);
    },
  );
}

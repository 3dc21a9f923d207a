// npm run corpus [-- --only a,b] [--profiles none,idiomatic,err-first] [--keep] [--timeout S] [--work-dir D]
//                  [--doc FILE] [--update-locks] [--no-migrate] [--migrate-args=--jobs=2]   (extra migrate options)
//
// For each package of corpus/public.tsv: fetch the exact tarball from the
// registry (sha512 checked against the tsv), install its dependencies from the
// stored lockfile, run its own tests twice (the baseline); then for each
// profile (scripts/corpus-profiles.ts), from the package as installed, convert
// its library files with `asyncio-ts migrate --write --report` (with
// `--verify "<its test command>"` for the idiomatic and err-first profiles),
// run its tests again, and compare the per-test PASS SETS. Prints a markdown
// table (scripts/corpus-render.ts) and, for a full run (or with --doc), writes
// it to docs/codemods-corpus.md. Exits 1 if any package loses a test it passed
// in both baseline runs under any profile, or cannot be run.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
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
import { addCounts, countCallbacks, readability, type CallbackCounts } from "./corpus-metrics.js";
import { type Profile, profileArgs, selectProfiles } from "./corpus-profiles.js";
import { renderDetails, renderDoc, renderTable } from "./corpus-render.js";
import { TreeSnapshot } from "../codemods/tree-snapshot.js";

/** One profile's run on one package: one row of the table. */
export interface ProfileOutcome {
  profile: Profile["name"];
  /** The migrate arguments the profile used (after capability detection). */
  args: string[];
  status: "ok" | "LOST TESTS" | "ERROR";
  error?: string;
  sites: number;
  converted: number;
  refusedByReason: Record<string, number>;
  sitesByTransform: Record<string, { converted: number; refused: number }>;
  /** Converted sites per assumption they rely on (the report's per-site `assumptions`). */
  assumptions: Record<string, number>;
  /** Sites --verify reverted (BROKE_TESTS), and its test runs. */
  reverted: number;
  verifyRuns: number;
  cbAfter?: CallbackCounts;
  /** Readability of the converted files (scripts/corpus-metrics.ts). */
  linesAdded: number;
  helperLines: number;
  changedFiles: number;
  callbackHops: number;
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

/** The outcome of one package: its baseline and one {@link ProfileOutcome} per profile. */
export interface PackageOutcome {
  spec: string;
  status: "ok" | "LOST TESTS" | "ERROR";
  error?: string;
  libraryFiles: number;
  cbBefore?: CallbackCounts;
  baselinePasses: number;
  flakyInBaseline: string[];
  profiles: ProfileOutcome[];
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
  profiles: Profile[];
  /** Extra arguments for `migrate`, after the profile's. */
  migrateArgs: string[];
  /** `migrate --help` of the CLI at hand (which options exist). */
  cliHelp: string;
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
  // A private TMPDIR too: mkfiletree's test checks that nothing new is left in os.tmpdir(), which any other
  // process writing to /tmp at the same time breaks.
  const tmp = join(pkgHome, "tmp");
  mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: pkgHome, TMPDIR: tmp, NO_COLOR: "1", TAP_COLORS: "0" };
  for (const k of ["CI", "FORCE_COLOR", "NODE_OPTIONS", "npm_config_prefix", "TAP"]) delete env[k];
  return env;
}

/**
 * Test names sometimes carry paths that differ on every run (fs-vacuum names
 * its assertions after mkdtemp folders): replace the package's own folder, the
 * first segment below its private TMPDIR (testEnv) and any /tmp/<one segment>
 * by placeholders, so ids are stable across runs.
 */
export function normaliseOutput(text: string, pkgDir: string): string {
  return text
    .split(pkgDir)
    .join("<pkg>")
    .split(join(dirname(pkgDir), "tmp"))
    .join("<tmpdir>")
    .replace(/<tmpdir>\/[^/\s'"]+/g, "<tmpdir>/<tmp>")
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

function emptyProfile(profile: Profile["name"], args: string[]): ProfileOutcome {
  return {
    profile,
    args,
    status: "ERROR",
    sites: 0,
    converted: 0,
    refusedByReason: {},
    sitesByTransform: {},
    assumptions: {},
    reverted: 0,
    verifyRuns: 0,
    linesAdded: 0,
    helperLines: 0,
    changedFiles: 0,
    callbackHops: 0,
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

function tallyReport(report: MigrateReport, out: ProfileOutcome): void {
  for (const file of report.files) {
    for (const s of file.sites ?? []) {
      out.sites++;
      const t = (out.sitesByTransform[s.transform] ??= { converted: 0, refused: 0 });
      if (s.status === "converted") {
        out.converted++;
        t.converted++;
        for (const a of s.assumptions ?? []) out.assumptions[a] = (out.assumptions[a] ?? 0) + 1;
      } else {
        t.refused++;
        const reason = s.reason ?? "(no reason)";
        out.refusedByReason[reason] = (out.refusedByReason[reason] ?? 0) + 1;
      }
    }
    if (file.error) out.notes.push(`${file.file}: ${file.error}`);
  }
  out.reverted = report.verify?.reverted?.length ?? 0;
  out.verifyRuns = report.verify?.runs ?? 0;
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
  const out: PackageOutcome = {
    spec: entry.spec,
    status: "ERROR",
    libraryFiles: 0,
    baselinePasses: 0,
    flakyInBaseline: [],
    profiles: [],
    notes: [],
  };
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
    // around), which would fail the next run too; what a run created is
    // removed as well (the same snapshot `--verify` takes between its runs).
    // `overlay` holds the converted library files for the after-runs.
    const snapshot = TreeSnapshot.take(dir);
    if (typeof snapshot === "string") throw new Error(`the package's tree cannot be snapshotted: ${snapshot}`);
    const tree: Tree = { dir, base, snapshot, overlay: undefined };
    const run = async (label: string) => {
      fresh(tree);
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
    fresh(tree);
    for (const f of files) {
      mkdirSync(dirname(join(orig, f)), { recursive: true });
      copyFileSync(join(dir, f), join(orig, f));
    }
    out.cbBefore = countFiles(dir, files);
    const profiles = opts.migrate ? opts.profiles : [{ name: "none", verify: false } as Profile];
    for (const profile of profiles)
      out.profiles.push(await runProfile(entry, opts, profile, { tree, files, orig, stable, b1, b2, run, log }));
    out.status = out.profiles.every((r) => r.status === "ok")
      ? "ok"
      : out.profiles.some((r) => r.status === "LOST TESTS")
        ? "LOST TESTS"
        : "ERROR";
    if (out.status === "ERROR") out.error = out.profiles.find((r) => r.error)?.error;
  } catch (e) {
    out.status = "ERROR";
    out.error = e instanceof Error ? e.message : String(e);
    log(`ERROR: ${out.error}`);
  }
  if (!opts.keep && pkgDir) {
    // Keep the logs and the diffs (small, needed to study a failure); drop the installed tree.
    rmSync(pkgDir, { recursive: true, force: true });
  }
  return out;
}

/** The package folder, its pristine state, and the converted files the after-runs lay over it. */
interface Tree {
  dir: string;
  base: string;
  snapshot: TreeSnapshot;
  overlay: string | undefined;
}

function fresh(t: Tree): void {
  t.snapshot.restore();
  if (t.overlay) cpSync(t.overlay, t.dir, { recursive: true, force: true });
}

/** One profile: migrate (with --verify for the verify profiles) from the pristine tree, then the independent after-runs. */
async function runProfile(
  entry: CorpusEntry,
  opts: Options,
  profile: Profile,
  ctx: {
    tree: Tree;
    files: string[];
    orig: string;
    stable: Set<string>;
    b1: Set<string>;
    b2: Set<string>;
    run: (label: string) => Promise<Set<string>>;
    log: (s: string) => void;
  },
): Promise<ProfileOutcome> {
  const { tree, files, orig, stable } = ctx;
  const dir = tree.dir;
  const { args, note } = profileArgs(profile, opts.cliHelp);
  const out = emptyProfile(profile.name, args);
  if (note) out.notes.push(note);
  const tag = opts.migrate ? profile.name : "no-migrate";
  const log = (s: string) => ctx.log(`${tag}: ${s}`);
  try {
    tree.overlay = undefined;
    fresh(tree);
    if (opts.migrate) {
      const reportFile = join(tree.base, `report.${tag}.json`);
      // The tsv spells nconf's environment as a placeholder; HOME is set by testEnv.
      const command = entry.testCommand.replace(/^HOME=<[^>]*>\s+/, "");
      const verify = profile.verify ? ["--verify", command, "--verify-timeout", String(opts.timeout)] : [];
      const argv = [...migrateCli(), "migrate", ...files, "--write", "--report", reportFile, ...args]
        .concat(opts.migrateArgs)
        .concat(verify);
      // --verify runs the tests about 2 + k·(log2(sites) + 1) times.
      const timeout = profile.verify ? opts.timeout * 40 : opts.timeout;
      const r = await runArgv(argv, { cwd: dir, env: testEnv(tree.base), timeoutSeconds: timeout });
      writeFileSync(
        join(tree.base, "logs", `migrate.${tag}.out`),
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
      out.filesPerSecond = profile.verify ? 0 : files.length / Math.max(out.migrateSeconds, 0.05);
      if (r.timedOut) throw new Error(`migrate timed out after ${timeout} s`);
      // Exit 2 = a file did not parse (left untouched, reported), or --verify could not start: not fatal here; no report is.
      if (!existsSync(reportFile))
        throw new Error(`migrate exited ${r.code} without writing a report: ${r.stderr.trim().slice(-1500)}`);
      if (r.code === 2) out.notes.push("migrate exited 2 (a file did not parse or bad usage; see the migrate log)");
      tallyReport(readReport(reportFile), out);
      let patch = "";
      for (const f of files) {
        const a = readFileSync(join(orig, f), "utf8");
        const b = existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "";
        if (a === b) continue;
        patch += createTwoFilesPatch(`a/${f}`, `b/${f}`, a, b);
        const m = readability(f, b);
        out.changedFiles++;
        out.helperLines += m.helperLines;
        out.callbackHops += m.callbackHops;
      }
      writeFileSync(join(tree.base, "logs", `migrate.${tag}.diff`), patch);
      log(
        `migrated ${files.length} file(s) in ${r.seconds.toFixed(2)} s: ${out.converted}/${out.sites} site(s) converted` +
          (profile.verify ? `, ${out.reverted} reverted by --verify in ${out.verifyRuns} test runs` : ""),
      );
    } else {
      out.notes.push("--no-migrate: tests re-run on unconverted code");
    }
    out.cbAfter = countFiles(dir, files);
    out.linesAdded = out.cbAfter.lines - countFiles(orig, files).lines;
    const overlay = join(tree.base, `converted.${tag}`);
    rmSync(overlay, { recursive: true, force: true });
    for (const f of files) {
      if (!existsSync(join(dir, f))) continue;
      mkdirSync(dirname(join(overlay, f)), { recursive: true });
      copyFileSync(join(dir, f), join(overlay, f));
    }
    tree.overlay = overlay;

    const a1 = await ctx.run(`after-${tag}-1`);
    let after = a1;
    let lost = minus(stable, a1);
    if (lost.length) {
      // One retry so that a baseline flake is not blamed on the codemod; a
      // test lost in one of the two runs only is still reported (flakyAfter).
      const a2 = await ctx.run(`after-${tag}-2`);
      after = union(a1, a2);
      out.flakyAfter = minus(stable, a2)
        .filter((x) => !lost.includes(x))
        .concat(lost.filter((x) => a2.has(x)));
      lost = minus(stable, after);
    }
    out.afterPasses = [...a1].filter((x) => stable.has(x)).length;
    out.lost = lost;
    out.gained = minus(a1, union(ctx.b1, ctx.b2));
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
  } finally {
    tree.overlay = undefined;
  }
  return out;
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
      profiles: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run corpus -- [--only a,b] [--profiles none,idiomatic,err-first] [--keep] [--timeout S] [--work-dir D] [--doc FILE] [--update-locks] [--no-migrate] [--migrate-args=--jobs=2]",
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
    // The committed table is the full corpus, every profile, no extra options.
    doc:
      values.doc ??
      (only || values["migrate-args"] || values.profiles ? undefined : join(REPO, "docs/codemods-corpus.md")),
    updateLocks: values["update-locks"]!,
    migrate: !values["no-migrate"],
    profiles: selectProfiles(values.profiles),
    migrateArgs: values["migrate-args"]!.split(" ").filter(Boolean),
    cliHelp: "",
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
  if (opts.migrate) {
    const help = await runArgv([...cli, "migrate", "--help"], { cwd: REPO, timeoutSeconds: 120 });
    opts.cliHelp = help.stdout + help.stderr;
  }
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
        profiles: opts.profiles.map((p) => ({ ...p, ...profileArgs(p, opts.cliHelp) })),
      }),
    );
    // The repository's formatter aligns the tables (npm run lint checks docs/ too).
    const biome = join(REPO, "node_modules/.bin/biome");
    if (existsSync(biome)) await runArgv([biome, "format", "--write", opts.doc], { cwd: REPO, timeoutSeconds: 120 });
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

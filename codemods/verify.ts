/**
 * `migrate --write --verify "<test command>"`: the package's own tests are the
 * oracle. The command runs on the untouched tree (the baseline pass set), then
 * on the converted tree; when a test that passed now fails, the conversions
 * responsible are found by bisection (files first, then the sites of a file),
 * refused as `BROKE_TESTS`, and the tree is rewritten without them, until it
 * passes every test the baseline passed.
 *
 * Every tree written is exactly what the engine produces for a chosen set of
 * sites (a {@link SiteFilter}): the others are refused before their analysis,
 * so callers of a reverted function see it unconverted too.
 *
 * Invariant of each bisection: the lower bound's tree passes every baseline
 * test, the upper bound's does not; so it ends at one site that, added to the
 * sites before it, makes a test fail.
 * @module
 */
import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { type SiteFilter, siteKey } from "./core.js";
import type { FileResult } from "./engine.js";
import { type AutoParserName, detectParser, parseResults, passSet } from "./test-results.js";

/** The pseudo-test every run has: the command exited 0 (so a crash after the last test line still counts). */
export const EXIT_ZERO = "[the test command exits 0]";

/**
 * One run of the test command: the tests that passed (by name where the runner prints them) and how it ended.
 * @example
 * ```ts
 * const run: TestRun = { passed: new Set(["a"]), parser: "tap", exitCode: 0, timedOut: false, seconds: 1 };
 * console.log(run.passed.has("a")); // true
 * ```
 */
export interface TestRun {
  /** Test ids that passed, plus {@link EXIT_ZERO} when the command exited 0. */
  passed: Set<string>;
  /** The runner output format recognised (undefined: only the exit code counts). */
  parser?: AutoParserName;
  /** Exit code (null when killed). */
  exitCode: number | null;
  /** True when the run was killed at the timeout. */
  timedOut: boolean;
  /** Wall time. */
  seconds: number;
}

/** Thrown when the user interrupts `--verify` (SIGINT); the original files have been written back. */
export class VerifyInterrupted extends Error {}

/** Thrown when `--verify` cannot start (the untouched tree fails its own tests). */
export class VerifyBaselineError extends Error {}

/**
 * Runs a shell command in its own process group and parses its per-test results; the whole group is killed at the
 * timeout or when `signal` aborts.
 * @example
 * ```ts
 * const run = await runTestCommand(`node -e "console.log('ok 1 - adds')"`, { cwd: ".", timeoutSeconds: 60 });
 * console.log(run.exitCode, run.passed.size > 0); // 0 true
 * ```
 */
export function runTestCommand(
  command: string,
  opts: { cwd: string; timeoutSeconds: number; parser?: AutoParserName; signal?: AbortSignal },
): Promise<TestRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd: opts.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => out.push(b));
    let timedOut = false;
    const kill = (): void => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutSeconds * 1000);
    opts.signal?.addEventListener("abort", kill, { once: true });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", kill);
      // Paths that differ between runs (the package's own folder, mkdtemp folders) must not change test names.
      const text = Buffer.concat(out)
        .toString("utf8")
        .split(opts.cwd)
        .join("<cwd>")
        .split(os.tmpdir())
        .join("<tmpdir>")
        .replace(/<tmpdir>\/[^/\s'"]+/g, "<tmpdir>/<tmp>")
        .replace(/\/tmp\/[^/\s'"]+/g, "/tmp/<tmp>");
      const parser = opts.parser ?? detectParser(text);
      const passed = parser ? passSet(parseResults(parser, text)) : new Set<string>();
      if (code === 0 && !timedOut) passed.add(EXIT_ZERO);
      resolve({ passed, parser, exitCode: code, timedOut, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/**
 * A site `--verify` reverted, with the tests its conversion broke.
 * @example
 * ```ts
 * const r: RevertedSite = { file: "lib/a.js", line: 3, column: 1, transform: "callbacks", tests: ["a › reads"] };
 * ```
 */
export interface RevertedSite {
  /** File, relative to the working directory. */
  file: string;
  /** 1-based line of the input. */
  line: number;
  /** 1-based column of the input. */
  column: number;
  /** The transform of the site. */
  transform: string;
  /** The site's label (function name, API). */
  name?: string;
  /** Baseline tests that failed once this site was converted (with the sites before it). */
  tests: string[];
}

/**
 * What `--verify` did (the `verify` section of the report).
 * @example
 * ```ts
 * const v: VerifyOutcome = { command: "npm test", baselinePassed: 12, perTest: true, runs: 2, reverted: [], seconds: 3 };
 * ```
 */
export interface VerifyOutcome {
  /** The test command. */
  command: string;
  /** Tests passing on the untouched tree (the exit-code pseudo-test included). */
  baselinePassed: number;
  /** True when the runner's per-test names were read; false: only the exit code. */
  perTest: boolean;
  /** Runs of the test command, the baseline included. */
  runs: number;
  /** Sites reverted as BROKE_TESTS. */
  reverted: RevertedSite[];
  /** Wall time of all runs. */
  seconds: number;
}

/**
 * How {@link verifyMigration} reaches the engine and the files.
 * @example
 * ```ts
 * // A driver over an in-memory tree (the CLI's writes the files on disk).
 * const files: ProjectFile[] = [{ file: "/p/a.js", text: "function f(p) { return p.then((v) => v + 1); }\n" }];
 * const tree = new Map(files.map((f) => [f.file, f.text]));
 * const d: VerifyDriver = {
 *   migrate: async (f) => migrateProject(files, { siteFilter: f }),
 *   write: (results) => { for (const r of results) tree.set(r.file, r.output); },
 *   restore: () => { for (const f of files) tree.set(f.file, f.text); },
 *   relative: (file) => file,
 * };
 * d.write(await d.migrate({ "/p/a.js": { "1:24:promise-chains": "convert" } })); // convert that one site
 * console.log(tree.get("/p/a.js")); // "async function f(p) { const v = await p;\nreturn v + 1; }\n"
 * ```
 */
export interface VerifyDriver {
  /** Runs the migration with a site filter (results in input order). */
  migrate(filter: SiteFilter): Promise<FileResult[]>;
  /** Writes a migration's outputs (files whose text equals the current one are not touched). */
  write(results: readonly FileResult[]): void;
  /** Writes back the original texts. */
  restore(): void;
  /**
   * After each test run: puts back what the run changed in the tree (fixtures a failing test left moved), so that
   * every run starts from the same tree; returns the paths put back. Optional.
   */
  afterRun?(): string[];
  /** A file name as the report shows it. */
  relative(file: string): string;
}

/** One converted site of the full migration, the unit that bisection keeps or drops. */
interface Unit {
  file: string;
  key: string;
  line: number;
  column: number;
  transform: string;
  name?: string;
}

/**
 * The verification loop: `full` is the migration without a filter (already computed). Writes the final tree and
 * returns it with what was reverted.
 * @example
 * ```ts
 * import * as fs from "node:fs";
 * import * as os from "node:os";
 * import * as path from "node:path";
 * const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
 * const file = path.join(cwd, "a.js");
 * const original = "function inc(p) { return p.then((v) => v + 1); }\ninc(Promise.resolve(1)).then(console.log);\n";
 * fs.writeFileSync(file, original);
 * const files: ProjectFile[] = [{ file, text: original }];
 * const driver: VerifyDriver = {
 *   migrate: async (f) => migrateProject(files, { siteFilter: f }),
 *   write: (rs) => { for (const r of rs) fs.writeFileSync(r.file, r.output); },
 *   restore: () => fs.writeFileSync(file, original),
 *   relative: (f) => path.relative(cwd, f),
 * };
 * const full = migrateProject(files);
 * const log = () => {};
 * const { results, outcome } = await verifyMigration(full, driver, { command: "node a.js", cwd, timeoutSeconds: 600, log });
 * console.log(results.length, outcome.reverted.length); // 1 0: the converted tree still passes
 * fs.rmSync(cwd, { recursive: true });
 * ```
 */
export async function verifyMigration(
  full: readonly FileResult[],
  driver: VerifyDriver,
  opts: {
    command: string;
    cwd: string;
    timeoutSeconds: number;
    parser?: AutoParserName;
    log: (line: string) => void;
    signal?: AbortSignal;
  },
): Promise<{ results: FileResult[]; outcome: VerifyOutcome }> {
  const started = performance.now();
  let runs = 0;
  let baseline: TestRun | undefined;
  const checkInterrupt = (): void => {
    if (opts.signal?.aborted) {
      driver.restore();
      throw new VerifyInterrupted("interrupted: the original files were written back");
    }
  };
  const test = async (label: string): Promise<TestRun> => {
    checkInterrupt();
    runs++;
    const run = await runTestCommand(opts.command, { ...opts, parser: opts.parser ?? baseline?.parser });
    const putBack = driver.afterRun?.() ?? [];
    checkInterrupt();
    const lost = baseline ? [...baseline.passed].filter((t) => !run.passed.has(t)) : [];
    opts.log(
      `verify: run ${runs} (${label}): ${run.timedOut ? `timed out after ${opts.timeoutSeconds} s, ` : ""}` +
        (baseline
          ? lost.length
            ? `${lost.length} baseline test(s) fail: ${lost.slice(0, 3).join("; ")}${lost.length > 3 ? " …" : ""}`
            : "passes"
          : `${run.passed.size} passing${run.parser ? ` (${run.parser} output)` : " (no per-test output: the exit code decides)"}`) +
        ` (${run.seconds.toFixed(1)} s)` +
        (putBack.length
          ? `; put back ${putBack.length} path(s) the run changed: ${putBack.slice(0, 3).join(", ")}${putBack.length > 3 ? " …" : ""}`
          : ""),
    );
    return run;
  };

  baseline = await test("untouched tree");
  if (baseline.timedOut) throw new VerifyBaselineError(`the test command timed out on the untouched tree`);
  if (baseline.passed.size === 0)
    throw new VerifyBaselineError(
      `the test command fails on the untouched tree (exit ${baseline.exitCode}) and printed no passing test: nothing to verify against`,
    );
  const base = baseline;
  const lostIn = (run: TestRun): string[] => [...base.passed].filter((t) => !run.passed.has(t)).sort();

  // What each site of the full migration did: the filter that reproduces it, and the converted sites (units).
  const natural: SiteFilter = {};
  const units: Unit[] = [];
  for (const r of full) {
    const abs = path.resolve(r.file);
    const byKey: Record<string, "convert" | NonNullable<FileResult["sites"][number]["reason"]>> = {};
    for (const s of r.sites) {
      const key = siteKey(s);
      if (s.status === "converted") {
        if (byKey[key] !== "convert") units.push({ file: abs, key, ...s });
        byKey[key] = "convert";
      } else byKey[key] ??= s.reason ?? "NOT_VERIFIED";
    }
    natural[abs] = byKey;
  }
  /** The filter that converts `kept` and reverts `reverted` (refused BROKE_TESTS); other converted sites are skipped. */
  const filterFor = (kept: ReadonlySet<Unit>, reverted: ReadonlySet<Unit>): SiteFilter => {
    const f: SiteFilter = {};
    for (const [file, byKey] of Object.entries(natural)) f[file] = { ...byKey };
    for (const u of units)
      f[u.file]![u.key] = reverted.has(u) ? "BROKE_TESTS" : kept.has(u) ? "convert" : "NOT_VERIFIED";
    return f;
  };
  const treeRun = async (kept: ReadonlySet<Unit>, reverted: ReadonlySet<Unit>, label: string) => {
    checkInterrupt();
    const results = await driver.migrate(filterFor(kept, reverted));
    driver.write(results);
    const run = await test(label);
    return { results, lost: lostIn(run) };
  };

  driver.write(full);
  opts.log(`verify: ${units.length} site(s) converted in ${new Set(units.map((u) => u.file)).size} file(s)`);
  // Nothing converted: the tree is the baseline's, nothing to test. (A file may still differ: not by a site.)
  if (units.length === 0 && full.every((r) => !r.changed))
    return { results: [...full], outcome: outcome(base, runs, [], started, opts.command) };
  let current = { results: [...full], lost: lostIn(await test("all conversions")) };
  if (current.lost.length > 0) {
    // A flaky test must not send the bisection after a site: only tests lost twice in a row count.
    const again = lostIn(await test("all conversions, again"));
    current.lost = current.lost.filter((t) => again.includes(t));
  }
  const reverted = new Set<Unit>();
  const outcomeReverted: RevertedSite[] = [];
  while (current.lost.length > 0) {
    const candidates = units.filter((u) => !reverted.has(u));
    if (candidates.length === 0) {
      driver.restore();
      throw new VerifyBaselineError(
        `the tree with every conversion reverted fails ${current.lost.length} test(s) the untouched tree passed (flaky tests?): ${current.lost.slice(0, 5).join("; ")}; the original files were written back`,
      );
    }
    const culprit = await bisect(candidates, current.lost, reverted, treeRun, opts.log);
    reverted.add(culprit.unit);
    outcomeReverted.push({
      file: driver.relative(culprit.unit.file),
      line: culprit.unit.line,
      column: culprit.unit.column,
      transform: culprit.unit.transform,
      ...(culprit.unit.name ? { name: culprit.unit.name } : {}),
      tests: culprit.tests,
    });
    opts.log(
      `verify: BROKE_TESTS ${driver.relative(culprit.unit.file)}:${culprit.unit.line}:${culprit.unit.column}` +
        `${culprit.unit.name ? ` (${culprit.unit.name})` : ""}: ${culprit.tests.slice(0, 3).join("; ")}` +
        `${culprit.tests.length > 3 ? ` … ${culprit.tests.length} tests` : ""}; reverted`,
    );
    const kept = new Set(units.filter((u) => !reverted.has(u)));
    current = await treeRun(kept, reverted, `${kept.size} site(s) kept, ${reverted.size} reverted`);
  }
  return { results: current.results, outcome: outcome(base, runs, outcomeReverted, started, opts.command) };
}

function outcome(
  base: TestRun,
  runs: number,
  reverted: RevertedSite[],
  started: number,
  command: string,
): VerifyOutcome {
  return {
    command,
    baselinePassed: base.passed.size,
    perTest: base.parser !== undefined,
    runs,
    reverted,
    seconds: (performance.now() - started) / 1000,
  };
}

type TreeRun = (
  kept: ReadonlySet<Unit>,
  reverted: ReadonlySet<Unit>,
  label: string,
) => Promise<{ results: FileResult[]; lost: string[] }>;

/**
 * Finds one site that makes a baseline test fail: bisection over the files (the first j files' sites kept),
 * then over the sites of the j-th file. All `candidates` kept fails (known, losing `allLost`); none kept passes
 * (the baseline's tree). Runs: about log2(files) + log2(sites of the file).
 */
async function bisect(
  candidates: readonly Unit[],
  allLost: readonly string[],
  reverted: ReadonlySet<Unit>,
  treeRun: TreeRun,
  log: (line: string) => void,
): Promise<{ unit: Unit; tests: string[] }> {
  const files = [...new Set(candidates.map((u) => u.file))];
  const keepFiles = (n: number) => new Set(candidates.filter((u) => files.indexOf(u.file) < n));
  // Invariant: keeping the first `lo` files passes, the first `hi` files fails.
  let lo = 0;
  let hi = files.length;
  let failing = [...allLost];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const r = await treeRun(keepFiles(mid), reverted, `bisecting files: the first ${mid} of ${files.length} kept`);
    if (r.lost.length) {
      hi = mid;
      failing = r.lost;
    } else lo = mid;
  }
  const file = files[hi - 1]!;
  const before = keepFiles(hi - 1);
  const own = candidates.filter((u) => u.file === file);
  log(`verify: ${path.basename(file)} breaks a test; bisecting its ${own.length} site(s)`);
  let slo = 0;
  let shi = own.length;
  while (shi - slo > 1) {
    const mid = (slo + shi) >> 1;
    const kept = new Set([...before, ...own.slice(0, mid)]);
    const r = await treeRun(kept, reverted, `bisecting ${path.basename(file)}: its first ${mid} of ${own.length} kept`);
    if (r.lost.length) {
      shi = mid;
      failing = r.lost;
    } else slo = mid;
  }
  // `failing` is always the lost tests of the current upper bound's tree.
  return { unit: own[shi - 1]!, tests: failing };
}

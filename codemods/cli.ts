/**
 * `asyncio-ts migrate <paths or globs…>`: the command-line front end of the
 * codemods. Dry run (unified diffs) by default; `--write` replaces files
 * atomically; `--report` writes every site as JSON.
 *
 * Exit codes: 0 done; 1 refused sites with `--strict`; 2 bad usage or a file
 * that does not parse (reported, left untouched).
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import fg from "fast-glob";
import ignore from "ignore";
import { createTwoFilesPatch } from "diff";
import cliProgress from "cli-progress";
import { TRANSFORM_NAMES, type MigrateOptions, type TransformName } from "./core.js";
import { driveRounds, type FileResult, type ProjectFile } from "./engine.js";
import { MigratePool, workerCount } from "./pool.js";
import { buildReport } from "./report.js";
import { VerifyBaselineError, VerifyInterrupted, type VerifyOutcome, verifyMigration } from "./verify.js";
import { ASSUME_PROFILES, ASSUMPTIONS, type AssumeProfile, type AssumptionName } from "./assumptions.js";

const SOURCE_EXTS = ["js", "mjs", "cjs", "ts", "tsx", "mts", "cts"];

class UsageError extends Error {}

/** This package's version, from its package.json (next to cli.ts in a checkout, one level up from dist/). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "asyncio-ts-codemods" && pkg.version) return pkg.version;
  }
  return "unknown";
}

interface CliOptions {
  dryRun?: boolean;
  write?: boolean;
  report?: string;
  transform?: string;
  include?: string[];
  exclude?: string[];
  jobs: string;
  strict?: boolean;
  dualApi: "inline" | "import";
  assumeErrFirst?: boolean;
  assume?: AssumeProfile;
  progress: boolean;
  diff: boolean;
  verify?: string;
  verifyTimeout: string;
}

/** Finds the files to migrate, relative to cwd, respecting .gitignore and include/exclude. */
export async function collectFiles(
  args: readonly string[],
  cwd: string,
  include?: string[],
  exclude?: string[],
): Promise<string[]> {
  const ig = ignore();
  ig.add(["node_modules/", ".git/"]);
  // .gitignore files from the working directory and each directory argument up to the filesystem root.
  const seen = new Set<string>();
  const addGitignore = (dir: string): void => {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      const f = path.join(d, ".gitignore");
      if (!seen.has(f) && fs.existsSync(f)) {
        seen.add(f);
        const rel = path.relative(cwd, d);
        const lines = fs.readFileSync(f, "utf8").split(/\r?\n/);
        // Patterns of a .gitignore below cwd apply relative to its directory.
        if (rel && !rel.startsWith(".."))
          ig.add(lines.filter((l) => l.trim() && !l.startsWith("#")).map((l) => prefixPattern(rel, l)));
        else if (!rel) ig.add(lines);
      }
      if (fs.existsSync(path.join(d, ".git")) || path.dirname(d) === d) break;
    }
  };
  addGitignore(cwd);
  const out = new Set<string>();
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    let matches: string[];
    if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
      addGitignore(abs);
      matches = await fg(`**/*.{${SOURCE_EXTS.join(",")}}`, {
        cwd: abs,
        absolute: true,
        dot: false,
        ignore: ["**/node_modules/**"],
      });
    } else if (fs.existsSync(abs)) {
      matches = [abs];
    } else {
      matches = await fg(arg, { cwd, absolute: true, dot: false, ignore: ["**/node_modules/**"] });
    }
    for (const m of matches) {
      if (!SOURCE_EXTS.some((e) => m.endsWith("." + e)) || /\.d\.[mc]?ts$/.test(m)) continue;
      const rel = path.relative(cwd, m);
      if (!rel.startsWith("..") && ig.ignores(rel.split(path.sep).join("/"))) continue;
      out.add(m);
    }
  }
  let files = [...out].sort();
  const relOf = (f: string) => path.relative(cwd, f).split(path.sep).join("/");
  if (include?.length) {
    const inc = ignore().add(include);
    files = files.filter((f) => inc.ignores(relOf(f)));
  }
  if (exclude?.length) {
    const exc = ignore().add(exclude);
    files = files.filter((f) => !exc.ignores(relOf(f)));
  }
  return files;
}

function prefixPattern(dir: string, line: string): string {
  const d = dir.split(path.sep).join("/");
  const neg = line.startsWith("!");
  const body = neg ? line.slice(1) : line;
  const anchored = body.startsWith("/") || body.slice(0, -1).includes("/");
  const p = anchored ? `${d}/${body.replace(/^\//, "")}` : `${d}/**/${body}`;
  return (neg ? "!" : "") + p;
}

/** Writes text to file atomically: a temp file in the same directory, then rename. */
export function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.asyncio-ts-${process.pid}-${Date.now()}.tmp`);
  const mode = fs.statSync(file).mode;
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Migrates the files in rounds (codemods/engine.ts) with the main thread and up to jobs - 1 workers (codemods/pool.ts). */
async function runRounds(
  files: ProjectFile[],
  options: MigrateOptions,
  jobs: number,
  onProgress: (n: number) => void,
): Promise<FileResult[]> {
  const pool = new MigratePool(workerCount(jobs, files.length));
  try {
    return await driveRounds(files, (knowledge, todo) => pool.round(todo, options, knowledge, onProgress), options);
  } finally {
    await pool.close();
  }
}

/**
 * Runs the CLI with the given arguments (without `node` and the script).
 * @returns the exit code.
 */
export async function main(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; cwd: string } = {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  },
): Promise<number> {
  const program = new Command();
  program
    .name("asyncio-ts-codemods")
    .description("asyncio-ts-codemods: migrate callback code and promise chains to async/await")
    .version(packageVersion(), "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  let code = 0;
  program
    .command("migrate")
    .description("convert callbacks and promise chains to async/await (dry run: prints diffs)")
    .argument("<paths...>", "files, directories or globs")
    .option("--dry-run", "print unified diffs, write nothing (default)")
    .option("--write", "write the converted files (atomically)")
    .option("--report <file>", "write every site as JSON to this file")
    .option("--transform <names>", `comma-separated transforms (${TRANSFORM_NAMES.join(", ")}); default all`)
    .option("--include <globs...>", "only files matching these globs (gitignore syntax, relative to cwd)")
    .option("--exclude <globs...>", "skip files matching these globs")
    .option("--jobs <n>", "worker threads", "1")
    .option("--strict", "exit 1 when any site was refused")
    .addOption(
      new Option("--dual-api <mode>", "how converted functions keep a callback surface")
        .choices(["inline", "import"])
        .default("inline"),
    )
    .addOption(
      new Option(
        "--assume <profile>",
        "what conversions may assume: none (proven only), idiomatic (async/await's usual differences), err-first (also unknown (err, …) callees)",
      )
        .choices([...ASSUME_PROFILES])
        .default("idiomatic"),
    )
    .option(
      "--verify <command>",
      "with --write: run this test command before and after; revert conversions that break a test",
    )
    .option("--verify-timeout <seconds>", "kill a --verify test run after this many seconds (a failure)", "600")
    .option("--assume-err-first", "the same as --assume err-first")
    .option("--no-progress", "no progress bar")
    .option("--no-diff", "with --dry-run, print only the summary")
    .action(async (paths: string[], opts: CliOptions) => {
      code = await migrate(paths, opts, io);
    });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`asyncio-ts: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}

async function migrate(
  paths: string[],
  opts: CliOptions,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; cwd: string },
): Promise<number> {
  if (opts.write && opts.dryRun) throw new UsageError("--write and --dry-run exclude each other");
  if (opts.verify !== undefined && !opts.write)
    throw new UsageError("--verify needs --write (it runs the tests on the converted files)");
  const verifyTimeout = Number(opts.verifyTimeout);
  if (!(verifyTimeout > 0))
    throw new UsageError(`--verify-timeout must be a positive number of seconds, got ${opts.verifyTimeout}`);
  const jobs = Number(opts.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer, got ${opts.jobs}`);
  let transforms: TransformName[] | undefined;
  if (opts.transform) {
    transforms = opts.transform
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean) as TransformName[];
    const bad = transforms.filter((t) => !TRANSFORM_NAMES.includes(t));
    if (bad.length || transforms.length === 0)
      throw new UsageError(`unknown transform ${bad.join(", ")} (known: ${TRANSFORM_NAMES.join(", ")})`);
  }
  const files = await collectFiles(paths, io.cwd, opts.include, opts.exclude);
  if (files.length === 0) throw new UsageError(`no .js/.mjs/.cjs/.ts/.tsx files match ${paths.join(" ")}`);
  const options: MigrateOptions = {
    transforms,
    dualApi: opts.dualApi,
    assume: opts.assumeErrFirst ? "err-first" : (opts.assume ?? "idiomatic"),
  };
  const inputs: ProjectFile[] = files.map((f) => ({ file: f, text: fs.readFileSync(f, "utf8") }));

  const tty = opts.progress && (io.stderr as NodeJS.WriteStream).isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream: io.stderr as NodeJS.WriteStream, format: "migrate [{bar}] {value}/{total} files" },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  // Each round visits every file; the bar shows the current round's progress.
  bar?.start(files.length, 0);
  let done = 0;
  const onProgress = (n: number) => {
    done = (done + n) % (files.length + 1);
    bar?.update(Math.min(done, files.length));
  };
  const started = Date.now();
  const runAll = (o: MigrateOptions, progress: (n: number) => void) => runRounds(inputs, o, jobs, progress);
  let results = await runAll(options, onProgress);
  bar?.update(files.length);
  bar?.stop();

  const rel = (f: string) => path.relative(io.cwd, f).split(path.sep).join("/") || f;
  let unparsable = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const input = inputs[i];
    if (r.internalError) {
      unparsable++;
      io.stderr.write(
        `asyncio-ts: internal error on ${rel(r.file)} (please report); left untouched:\n  ${r.internalError.split("\n").slice(0, 4).join("\n  ")}\n`,
      );
      continue;
    }
    if (r.parseErrors) {
      unparsable++;
      io.stderr.write(
        `asyncio-ts: ${rel(r.file)} does not parse; left untouched:\n${r.parseErrors
          .slice(0, 5)
          .map((e) => "  " + e)
          .join("\n")}\n`,
      );
      continue;
    }
    if (!r.changed) continue;
    if (opts.verify !== undefined) continue; // verifyMigration writes each tree it tests
    if (opts.write) writeAtomic(r.file, r.output);
    else if (opts.diff)
      io.stdout.write(
        assumptionHeader(r) +
          createTwoFilesPatch(`a/${rel(r.file)}`, `b/${rel(r.file)}`, input.text, r.output, "", "", { context: 3 }),
      );
  }
  let verified: VerifyOutcome | undefined;
  if (opts.verify !== undefined) {
    const v = await verifyWrites(opts.verify, verifyTimeout, inputs, results, (o) => runAll(o, () => {}), {
      ...io,
      options,
      rel,
    });
    if (typeof v === "number") return v;
    results = v.results;
    verified = v.outcome;
  }
  const report = buildReport(results.map((r) => ({ ...r, file: rel(r.file) })));
  if (verified) report.verify = verified;
  if (opts.report) fs.writeFileSync(path.resolve(io.cwd, opts.report), JSON.stringify(report, null, 2) + "\n");
  const s = report.summary;
  const secs = (Date.now() - started) / 1000;
  const reasons = Object.entries(s.refusedByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  io.stderr.write(
    `asyncio-ts migrate: ${s.files} files, ${s.filesChanged} ${opts.write ? "changed" : "would change"}, ` +
      `${s.sites} sites: ${s.converted} converted, ${s.refused} refused${reasons ? ` (${reasons})` : ""}` +
      `${unparsable ? `, ${unparsable} did not parse` : ""}` +
      `${verified ? `; --verify: ${verified.reverted.length} reverted (BROKE_TESTS) after ${verified.runs} test runs` : ""}` +
      ` in ${secs.toFixed(1)}s\n`,
  );
  if (unparsable > 0) return 2;
  if (opts.strict && s.refused > 0) return 1;
  return 0;
}

/**
 * `--verify`: the test command decides (codemods/verify.ts). SIGINT stops the current test run and writes the
 * original files back (exit 130); a baseline that fails writes nothing (exit 2).
 * @returns the final results and what was reverted, or an exit code.
 */
async function verifyWrites(
  command: string,
  timeoutSeconds: number,
  inputs: readonly ProjectFile[],
  full: FileResult[],
  migrateWith: (o: MigrateOptions) => Promise<FileResult[]>,
  ctx: { stderr: NodeJS.WritableStream; cwd: string; options: MigrateOptions; rel: (f: string) => string },
): Promise<{ results: FileResult[]; outcome: VerifyOutcome } | number> {
  const original = new Map(inputs.map((f) => [f.file, f.text]));
  const onDisk = new Map(original);
  const put = (file: string, text: string): void => {
    if (onDisk.get(file) === text) return;
    writeAtomic(file, text);
    onDisk.set(file, text);
  };
  const controller = new AbortController();
  const onSigint = (): void => {
    ctx.stderr.write("asyncio-ts: interrupted: stopping the test run, writing the original files back\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await verifyMigration(
      full,
      {
        migrate: (siteFilter) => migrateWith({ ...ctx.options, siteFilter }),
        write: (rs) => {
          for (const r of rs) if (!r.parseErrors && !r.internalError) put(r.file, r.output);
        },
        restore: () => {
          for (const [file, text] of original) put(file, text);
        },
        relative: ctx.rel,
      },
      {
        command,
        cwd: ctx.cwd,
        timeoutSeconds,
        log: (line) => ctx.stderr.write(`asyncio-ts ${line}\n`),
        signal: controller.signal,
      },
    );
  } catch (e) {
    if (e instanceof VerifyInterrupted) {
      ctx.stderr.write(`asyncio-ts: ${e.message}\n`);
      return 130;
    }
    if (e instanceof VerifyBaselineError) {
      for (const [file, text] of original) put(file, text);
      ctx.stderr.write(`asyncio-ts: --verify: ${e.message}\n`);
      return 2;
    }
    for (const [file, text] of original) put(file, text);
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/**
 * The dry-run diff's header comment for a file: each assumption its conversions rely on, with the
 * lines of the sites (empty when every conversion is proven).
 */
function assumptionHeader(r: FileResult): string {
  const lines = new Map<AssumptionName, number[]>();
  for (const s of r.sites) for (const a of s.assumptions ?? []) lines.set(a, [...(lines.get(a) ?? []), s.line]);
  if (lines.size === 0) return "";
  const body = [...lines]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([a, ls]) => `# ${a} (line${ls.length > 1 ? "s" : ""} ${ls.join(", ")}): ${ASSUMPTIONS[a]}\n`)
    .join("");
  return `# assumptions (docs/codemods.md, "Assumption profiles"):\n${body}`;
}

const invokedDirectly =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  // `asyncio-ts migrate … | head` closes stdout early: not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (c) => {
      process.exitCode = c;
    },
    (e) => {
      process.stderr.write(`asyncio-ts: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

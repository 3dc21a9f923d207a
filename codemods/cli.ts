/**
 * `asyncio-ts migrate <paths or globs…>`: the command-line front end of the
 * codemods. Dry run (unified diffs) by default; `--write` replaces files
 * atomically; `--report` writes every site as JSON.
 *
 * Exit codes: 0 done; 1 refused sites with `--strict`; 2 bad usage (nothing done), or some file was not
 * processed or not written (does not parse, cannot be analysed or read, not UTF-8, a write failed: one
 * line per path on stderr, the other files processed; the report and the summary are written anyway).
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import fg from "fast-glob";
import { createTwoFilesPatch } from "diff";
import cliProgress from "cli-progress";
import { TRANSFORM_NAMES, type MigrateOptions, type TransformName } from "./core.js";
import type { FileResult, ProjectFile } from "./engine.js";
import { buildReport } from "./report.js";
import { VerifyBaselineError, VerifyInterrupted, type VerifyOutcome, verifyMigration } from "./verify.js";
import { ASSUME_PROFILES, ASSUMPTIONS, type AssumeProfile, type AssumptionName } from "./assumptions.js";
import { collectFiles } from "./files.js";
import { FILE_ERRORS } from "./file-errors.js";
import { refusalLines } from "./listing.js";
import { TreeSnapshot } from "./tree-snapshot.js";
import {
  jobsFor,
  type Machine,
  type RunProgress,
  runInProcess,
  runWithWorkers,
  thisMachine,
  WORKER_MEMORY,
} from "./runner.js";
import {
  errnoMessage,
  type FsOps,
  nodeFsOps,
  readSource,
  type SourceFile,
  type WriteHooks,
  writeChanged,
  writeOne,
} from "./write.js";
import type { FileError } from "./file-errors.js";

const W_OK = fs.constants.W_OK;
const accessSync = fs.accessSync;

/** Why `--report` could not be written there (checked before any work), or undefined. */
function reportPathProblem(fs: FsOps, file: string): string | undefined {
  try {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) return "is a directory";
    const dir = path.dirname(file);
    if (!fs.statSync(dir).isDirectory()) return `${path.dirname(file)} is not a directory`;
    accessSync(dir, W_OK);
    return undefined;
  } catch (e) {
    return errnoMessage(e);
  }
}

function realOrSelf(fs: FsOps, p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

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
  api: "dual" | "promise";
  assumeErrFirst?: boolean;
  assume?: AssumeProfile;
  progress: boolean;
  diff: boolean;
  quiet?: boolean;
  followSymlinks?: boolean;
  verify?: string;
  verifyTimeout: string;
}

/**
 * Runs the CLI with the given arguments (without `node` and the script).
 * @returns the exit code.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = {
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
    .option("--jobs <n>", "threads: the main one and n-1 workers", "1")
    .option("--strict", "exit 1 when any site was refused")
    .addOption(
      new Option("--dual-api <mode>", "how converted functions keep a callback surface")
        .choices(["inline", "import"])
        .default("inline"),
    )
    .addOption(
      new Option(
        "--api <mode>",
        "dual: exports keep their callback surface; promise: plain async exports, and callers in the tree that pass a callback use callbackify (a major version)",
      )
        .choices(["dual", "promise"])
        .default("dual"),
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
    .option("--quiet", "do not list the refused sites (nor notes); errors and the summary are still printed")
    .option("--follow-symlinks", "follow symbolic links out of the tree (each directory once)")
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

/** What `main` reads and writes: the streams, the working directory, and (for tests) file-system faults. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  /** File-system calls to use instead of node:fs's (fault injection). */
  fs?: Partial<FsOps>;
  /** Called at moments of a write (a test edits a file between its read and its write). */
  hooks?: WriteHooks;
  /** The machine `--jobs` is capped by (default: this one). */
  machine?: Machine;
}

async function migrate(paths: string[], opts: CliOptions, io: CliIo): Promise<number> {
  if (opts.write && opts.dryRun) throw new UsageError("--write and --dry-run exclude each other");
  if (opts.verify !== undefined && !opts.write)
    throw new UsageError("--verify needs --write (it runs the tests on the converted files)");
  const verifyTimeout = Number(opts.verifyTimeout);
  if (!(verifyTimeout > 0))
    throw new UsageError(`--verify-timeout must be a positive number of seconds, got ${opts.verifyTimeout}`);
  const requestedJobs = Number(opts.jobs);
  if (!Number.isInteger(requestedJobs) || requestedJobs < 1)
    throw new UsageError(`--jobs must be a positive integer, got ${opts.jobs}`);
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
  const fsOps: FsOps = { ...nodeFsOps, ...io.fs };
  const say = (line: string): void => {
    io.stderr.write(`asyncio-ts: ${line}\n`);
  };
  const note = (line: string): void => {
    if (!opts.quiet) say(line);
  };
  const reportPath = opts.report === undefined ? undefined : path.resolve(io.cwd, opts.report);
  if (reportPath !== undefined) {
    const problem = reportPathProblem(fsOps, reportPath);
    if (problem) throw new UsageError(`--report ${opts.report}: ${problem}`);
  }
  const machine = io.machine ?? thisMachine();
  const jobs = jobsFor(requestedJobs, machine);
  if (jobs < requestedJobs)
    note(
      `--jobs ${requestedJobs}: using ${jobs} thread${jobs > 1 ? "s" : ""} (the main thread and ${jobs - 1} worker${jobs === 2 ? "" : "s"}) ` +
        `(${machine.cores} cores, ${(machine.freeMemory / 2 ** 30).toFixed(1)} GiB free, ~${WORKER_MEMORY / 2 ** 20} MiB per worker)`,
    );

  // Paths are shown relative to the working directory (its real path: files are known by theirs).
  const cwd = realOrSelf(fsOps, io.cwd);
  const rel = (f: string) => path.relative(cwd, f).split(path.sep).join("/") || f;
  const found = await collectFiles(paths, cwd, {
    include: opts.include,
    exclude: opts.exclude,
    followSymlinks: opts.followSymlinks,
    fs: fsOps,
  });
  if (found.missing.length > 0) {
    for (const m of found.missing)
      say(`${m}: ${fg.isDynamicPattern(m) ? "matches no source file" : "no such file or directory"}`);
    return 2;
  }
  let failures = found.errors.length;
  for (const e of found.errors) say(e);
  for (const n of found.notes) note(n);
  for (const l of found.leftovers) {
    if (l.running)
      note(
        `${rel(l.temp)} is a temp file of process ${/-(\d+)-\d+(?:\.inplace)?\.tmp$/.exec(l.temp)?.[1]}, which is running ` +
          "(another run, or its pid reused since a run was killed): left alone; delete it if no run is writing",
      );
    else if (l.inPlace)
      say(
        `${rel(l.temp)}: left by an interrupted in-place write of ${rel(l.file)}, which may be incomplete; ` +
          "this file has its converted text (compare, then delete it)",
      );
    else if (opts.write) {
      try {
        fsOps.rmSync(l.temp, { force: true });
        note(`removed ${rel(l.temp)}, a temp file left by an interrupted run`);
      } catch (e) {
        say(`${rel(l.temp)}: a temp file left by an interrupted run could not be removed (${errnoMessage(e)})`);
      }
    } else note(`${rel(l.temp)} is a temp file left by an interrupted run (the next --write removes it)`);
  }
  if (found.files.length === 0 && failures === 0)
    throw new UsageError(`no .js/.mjs/.cjs/.ts/.tsx files match ${paths.join(" ")}`);

  const options: MigrateOptions = {
    transforms,
    dualApi: opts.dualApi,
    ...(opts.api === "promise" ? { api: "promise" as const } : {}),
    assume: opts.assumeErrFirst ? "err-first" : (opts.assume ?? "idiomatic"),
  };
  // Each file is read once, as bytes; those that cannot be read or are not UTF-8 are reported and skipped.
  const sources = new Map<string, SourceFile>();
  const skipped = new Map<string, FileError>();
  for (const f of found.files) {
    const s = readSource(fsOps, f);
    if ("code" in s) {
      skipped.set(f, s);
      failures++;
      say(`${rel(f)}: ${FILE_ERRORS[s.code]} (${s.message})`);
    } else sources.set(f, s);
  }
  const inputs: ProjectFile[] = [...sources.values()].map((s) => ({ file: s.file, text: s.text }));

  const tty = opts.progress && (io.stderr as NodeJS.WriteStream).isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream: io.stderr as NodeJS.WriteStream, format: "migrate round {round} [{bar}] {value}/{total} files" },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  // One bar (one line) per round, over the files that round migrates: round 1 every file, later rounds
  // only those whose cross-file knowledge changed.
  const progress: RunProgress | undefined = bar && {
    round: (round, files) => {
      bar.stop();
      bar.start(files, 0, { round });
    },
    done: (n) => bar.increment(n),
  };
  const started = Date.now();
  const runAll = (o: MigrateOptions, p?: RunProgress) =>
    jobs > 1 && inputs.length > 1
      ? runWithWorkers(inputs, o, Math.min(jobs, inputs.length), p)
      : runInProcess(inputs, o, p);
  let results = inputs.length > 0 ? await runAll(options, progress) : [];
  bar?.stop();

  for (const r of results) {
    if (r.parseErrors) {
      failures++;
      const relErrors = r.parseErrors.map((e) =>
        e.startsWith(r.file + ":") ? rel(r.file) + e.slice(r.file.length) : e,
      );
      r.parseErrors = relErrors;
      say(
        `${rel(r.file)} does not parse; left untouched:\n${relErrors
          .slice(0, 5)
          .map((e) => "  " + e)
          .join("\n")}`,
      );
      continue;
    }
    if (r.error) {
      failures++;
      say(`${rel(r.file)}: ${FILE_ERRORS[r.error.code]} (${r.error.message})`);
      if (r.internalError) io.stderr.write(`  ${r.internalError.split("\n").slice(1, 4).join("\n  ")}\n`);
      continue;
    }
    for (const line of refusalLines(rel(r.file), r.sites)) if (!opts.quiet) io.stderr.write(`${line}\n`);
    if (r.changed && !opts.write && opts.diff)
      io.stdout.write(
        assumptionHeader(r) +
          createTwoFilesPatch(`a/${rel(r.file)}`, `b/${rel(r.file)}`, sources.get(r.file)!.text, r.output, "", "", {
            context: 3,
          }),
      );
  }
  let written = 0;
  let verified: VerifyOutcome | undefined;
  if (opts.write && opts.verify === undefined) {
    const outcome = writeChanged(fsOps, sources, results, io.hooks);
    written = outcome.written;
    for (const r of results)
      if (r.error && (r.error.code === "WRITE_FAILED" || r.error.code === "CHANGED_SINCE_READ")) {
        failures++;
        say(`${rel(r.file)}: ${FILE_ERRORS[r.error.code]} (${r.error.message})`);
      }
    if (outcome.failed > 0)
      say(
        `${written === 0 ? "nothing written" : `${written} written`}: ` +
          `${outcome.failed} file${outcome.failed > 1 ? "s" : ""} could not be written`,
      );
  } else if (opts.verify !== undefined) {
    const v = await verifyWrites(opts.verify, verifyTimeout, sources, results, (o) => runAll(o), {
      ...io,
      fs: fsOps,
      options,
      rel,
    });
    if (typeof v === "number") return v;
    results = v.results;
    verified = v.outcome;
    written = results.filter((r) => r.changed).length;
  }
  // Every file in the report, in path order: those skipped before the migration too.
  const all: FileResult[] = [
    ...results,
    ...[...skipped].map(([file, error]) => ({ file, output: "", changed: false, sites: [], error })),
  ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const report = buildReport(all.map((r) => ({ ...r, file: rel(r.file) })));
  if (verified) report.verify = verified;
  if (reportPath !== undefined) {
    try {
      fsOps.writeFileSync(reportPath, JSON.stringify(report, null, 2) + "\n");
    } catch (e) {
      failures++;
      say(`--report ${opts.report}: ${errnoMessage(e)}`);
    }
  }
  const s = report.summary;
  const secs = (Date.now() - started) / 1000;
  const reasons = Object.entries(s.refusedByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const notProcessed = s.filesFailed + s.filesUnparsable;
  io.stderr.write(
    `asyncio-ts migrate: ${s.files} files, ${opts.write ? `${written} changed` : `${s.filesChanged} would change`}, ` +
      `${s.sites} sites: ${s.converted} converted, ${s.refused} refused${reasons ? ` (${reasons})` : ""}` +
      `${s.filesUnparsable ? `, ${s.filesUnparsable} did not parse` : ""}` +
      `${
        s.filesFailed
          ? `, ${s.filesFailed} failed (${Object.entries(s.filesFailedByCode)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ")})`
          : ""
      }` +
      `${verified ? `; --verify: ${verified.reverted.length} reverted (BROKE_TESTS) after ${verified.runs} test runs` : ""}` +
      ` in ${secs.toFixed(1)}s\n`,
  );
  if (failures > 0 || notProcessed > 0) return 2;
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
  sources: ReadonlyMap<string, SourceFile>,
  full: FileResult[],
  migrateWith: (o: MigrateOptions) => Promise<FileResult[]>,
  ctx: { stderr: NodeJS.WritableStream; cwd: string; fs: FsOps; options: MigrateOptions; rel: (f: string) => string },
): Promise<{ results: FileResult[]; outcome: VerifyOutcome } | number> {
  const original = new Map([...sources].map(([f, s]) => [f, s.text]));
  const onDisk = new Map(original);
  const log = (line: string): void => void ctx.stderr.write(`asyncio-ts ${line}\n`);
  // Every test run starts from the tree as it was (codemods/tree-snapshot.ts), with the migration's files as last written.
  const taken = TreeSnapshot.take(ctx.cwd);
  const snapshot = typeof taken === "string" ? undefined : taken;
  if (typeof taken === "string") log(`verify: what a test run changes in the tree is not put back: ${taken}`);
  const put = (file: string, text: string): void => {
    if (onDisk.get(file) === text) return;
    const err = writeOne(ctx.fs, sources.get(file)!, text);
    if (err) throw new WriteFailure(`${ctx.rel(file)}: ${FILE_ERRORS[err.code]} (${err.message})`);
    onDisk.set(file, text);
    snapshot?.update(file);
  };
  const restore = (): void => {
    snapshot?.restore();
    for (const [file, text] of original) put(file, text);
  };
  const controller = new AbortController();
  const onSigint = (): void => {
    ctx.stderr.write("asyncio-ts: interrupted: stopping the test run, writing the original files back\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    return await verifyMigration(
      full.filter((r) => !r.error && !r.parseErrors),
      {
        migrate: (siteFilter) => migrateWith({ ...ctx.options, siteFilter }),
        write: (rs) => {
          for (const r of rs) if (!r.parseErrors && !r.error) put(r.file, r.output);
        },
        restore,
        afterRun: () => snapshot?.restore() ?? [],
        relative: ctx.rel,
      },
      {
        command,
        cwd: ctx.cwd,
        timeoutSeconds,
        log,
        signal: controller.signal,
      },
    );
  } catch (e) {
    if (e instanceof VerifyInterrupted) {
      ctx.stderr.write(`asyncio-ts: ${e.message}\n`);
      return 130;
    }
    if (e instanceof VerifyBaselineError) {
      restore();
      ctx.stderr.write(`asyncio-ts: --verify: ${e.message}\n`);
      return 2;
    }
    if (e instanceof WriteFailure) {
      ctx.stderr.write(`asyncio-ts: --verify: ${e.message}; writing the original files back\n`);
      try {
        restore();
      } catch (again) {
        ctx.stderr.write(`asyncio-ts: --verify: ${again instanceof Error ? again.message : String(again)}\n`);
      }
      return 2;
    }
    restore();
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** A file `--verify` could not write. */
class WriteFailure extends Error {}

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

/**
 * `asyncio-ts migrate … | head` closes stdout early: not an error, so exit quietly (stdout only carries the
 * dry run's diffs). A closed stderr is ignored (the run goes on: a `--write` is never cut short by it).
 * @internal
 */
export function handleClosedPipes(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.stderr.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}

const invokedDirectly =
  process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  handleClosedPipes();
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

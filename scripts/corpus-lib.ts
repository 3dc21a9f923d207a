// Building blocks of the corpus harness: the package list, fetching a tarball
// with its integrity checked, installing from a stored lockfile, running a
// command with a hard timeout, and invoking the migrate CLI.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  copyFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParserName } from "./corpus-parsers.js";

/** The repository root (this file lives in scripts/). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** One line of corpus/public.tsv. */
export interface CorpusEntry {
  /** "name@version" */
  spec: string;
  name: string;
  version: string;
  /** "sha512-…" as npm reports it. */
  integrity: string;
  testCommand: string;
  /** The research notes' baseline, for the record ("9", "2 scripts", "81 (vows)"). */
  baselineNote: string;
}

/** How the harness treats one package (corpus/packages.json). */
export interface PackageConfig {
  library: string[];
  parser: ParserName | "scripts";
  scriptPattern?: string;
  scripts?: { name: string; command: string; expect: string }[];
  dropDevDependencies?: string[];
  home?: "ancestor";
}

/** Reads corpus/public.tsv. */
export function readCorpus(file = join(REPO, "corpus/public.tsv")): CorpusEntry[] {
  const lines = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim());
  return lines.slice(1).map((line) => {
    const [spec, integrity, testCommand, baselineNote] = line.split("\t");
    if (!spec || !integrity || !testCommand) throw new Error(`corpus/public.tsv: bad line: ${line}`);
    return { ...parseSpec(spec), integrity, testCommand, baselineNote: baselineNote ?? "" };
  });
}

/** "name@version" (a scope's `@` kept): its parts. */
export function parseSpec(spec: string): { spec: string; name: string; version: string } {
  const at = spec.lastIndexOf("@");
  return { spec, name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** Reads corpus/packages.json. */
export function readConfigs(file = join(REPO, "corpus/packages.json")): Record<string, PackageConfig> {
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const out: Record<string, PackageConfig> = {};
  for (const [k, v] of Object.entries(raw)) if (!k.startsWith("$")) out[k] = v as PackageConfig;
  return out;
}

/** The default work directory: outside the repository, so that neither the
 * repo's .gitignore (which ignores .corpus-work/) nor its node_modules can
 * leak into a package's install, its tests or the codemod's file walk. */
export const DEFAULT_WORK_DIR = join(tmpdir(), "asyncio-ts-corpus");

/** What a finished command left behind. */
export interface RunOutput {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
}

/**
 * Runs `command` under bash in its own process group and kills the whole
 * group after `timeoutSeconds`: a hanging test (a callback never called)
 * must not block the harness or CI.
 */
export function runCommand(
  command: string,
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutSeconds: number; input?: string },
): Promise<RunOutput> {
  return runArgv(["bash", "-c", command], opts);
}

/** Same as runCommand, with an argv instead of a shell command. */
export function runArgv(
  argv: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutSeconds: number },
): Promise<RunOutput> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, opts.timeoutSeconds * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}

/** "sha512-<base64>" of a file, in npm's integrity format. */
export function sha512Integrity(file: string): string {
  return "sha512-" + createHash("sha512").update(readFileSync(file)).digest("base64");
}

/**
 * The package's tarball from the registry (`npm pack`), cached in
 * `<workDir>/tarballs`, and refused unless its sha512 matches the tsv.
 */
export async function fetchTarball(entry: CorpusEntry, workDir: string): Promise<string> {
  const cache = join(workDir, "tarballs");
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `${entry.name.replace(/^@/, "").replace("/", "-")}-${entry.version}.tgz`);
  if (!existsSync(file)) {
    const r = await runArgv(["npm", "pack", entry.spec, "--pack-destination", cache, "--silent"], {
      cwd: cache,
      timeoutSeconds: 300,
    });
    if (r.code !== 0 || !existsSync(file))
      throw new Error(`npm pack ${entry.spec} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  const got = sha512Integrity(file);
  if (got !== entry.integrity) {
    rmSync(file, { force: true });
    throw new Error(`integrity mismatch for ${entry.spec}: expected ${entry.integrity}, got ${got}`);
  }
  return file;
}

/** Extracts a tarball into `dest` (whatever its top folder is called: old tarballs do not all use "package/"). */
export async function extractTarball(tarball: string, dest: string): Promise<void> {
  const tmp = `${dest}.extract`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await runArgv(["tar", "xzf", tarball, "-C", tmp], { cwd: tmp, timeoutSeconds: 120 });
  if (r.code !== 0) throw new Error(`tar failed on ${tarball}: ${r.stderr}`);
  const tops = readdirSync(tmp);
  if (tops.length !== 1) throw new Error(`${tarball}: expected one top folder, found ${tops.join(", ")}`);
  rmSync(dest, { recursive: true, force: true });
  renameSync(join(tmp, tops[0]!), dest);
  rmSync(tmp, { recursive: true, force: true });
}

/** Where the lockfile of a corpus package is stored (dependencies never drift between runs). */
export function lockPath(entry: CorpusEntry): string {
  return join(REPO, "corpus/locks", `${entry.name.replace("/", "__")}@${entry.version}.package-lock.json`);
}

/**
 * Installs dependencies and devDependencies without running install scripts.
 * With a stored lockfile, `npm ci` reproduces it exactly; without one (or with
 * `update`), `npm install` resolves the ranges and the new lockfile is stored.
 */
export async function installDeps(
  entry: CorpusEntry,
  pkgDir: string,
  cfg: PackageConfig,
  update: boolean,
): Promise<string> {
  const pj = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as Record<
    string,
    Record<string, string> | undefined
  >;
  for (const d of cfg.dropDevDependencies ?? []) delete pj.devDependencies?.[d];
  writeFileSync(join(pkgDir, "package.json"), JSON.stringify(pj, null, 2) + "\n");
  const lock = lockPath(entry);
  const flags = ["--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];
  const fromLock = existsSync(lock) && !update;
  // What the test command runs from node_modules (node_modules/.bin/tap,
  // node_modules/mocha/bin/_mocha) must exist after the install: npm has been
  // seen to exit 0 with a bin link missing when several installs share the
  // cache, so a missing one means one more install, then an error.
  const needed = [...entry.testCommand.matchAll(/node_modules\/[^\s;&|]+/g)].map((m) => m[0]);
  const missing = () => needed.filter((p) => !existsSync(join(pkgDir, p)));
  let r: RunOutput | undefined;
  let attempts = 0;
  while (attempts < 2) {
    attempts++;
    if (fromLock) {
      copyFileSync(lock, join(pkgDir, "package-lock.json"));
      r = await runArgv(["npm", "ci", ...flags], { cwd: pkgDir, timeoutSeconds: 600 });
    } else {
      rmSync(join(pkgDir, "package-lock.json"), { force: true });
      r = await runArgv(["npm", "install", ...flags], { cwd: pkgDir, timeoutSeconds: 600 });
    }
    writeFileSync(
      join(dirname(pkgDir), `install-${attempts}.log`),
      r.stdout + "\n--- stderr ---\n" + r.stderr + `\n--- exit ${r.code}\n`,
    );
    if (r.code === 0 && missing().length === 0) break;
  }
  if (r!.code !== 0)
    throw new Error(`installing ${entry.spec} failed (exit ${r!.code}): ${r!.stderr.trim().slice(-2000)}`);
  if (missing().length) throw new Error(`installing ${entry.spec} left ${missing().join(", ")} missing, twice`);
  if (!fromLock) {
    mkdirSync(dirname(lock), { recursive: true });
    copyFileSync(join(pkgDir, "package-lock.json"), lock);
  }
  const how = fromLock ? "npm ci (stored lockfile)" : `npm install (lockfile stored in ${lock})`;
  return attempts > 1 ? `${how}, second attempt (the first left a test binary missing)` : how;
}

/**
 * The argv prefix that runs the migrate CLI from this checkout:
 * $ASYNCIO_TS_CLI if set (split on spaces), else codemods/cli.ts through tsx
 * (always the current source; tsx by absolute URL, since the CLI runs with
 * the corpus package as its working directory), else bin/asyncio-ts.js.
 */
export function migrateCli(): string[] {
  const env = process.env.ASYNCIO_TS_CLI;
  if (env) return env.split(" ").filter(Boolean);
  const cli = join(REPO, "codemods/cli.ts");
  if (existsSync(cli)) return [process.execPath, "--import", import.meta.resolve("tsx"), cli];
  const bin = join(REPO, "bin/asyncio-ts.js");
  if (existsSync(bin)) return [process.execPath, bin];
  throw new Error(
    "the migrate CLI was not found (codemods/cli.ts or bin/asyncio-ts.js); set ASYNCIO_TS_CLI to override",
  );
}

/** One site of the migrate report (docs/codemods.md). */
export interface ReportSite {
  line: number;
  column?: number;
  transform: string;
  status: "converted" | "refused" | string;
  reason?: string;
  /** The assumptions a converted site relies on (`--assume` profiles). */
  assumptions?: string[];
}

/** The migrate report, read leniently: the harness must not crash on a field the CLI renamed. */
export interface MigrateReport {
  files: { file: string; changed?: boolean; sites?: ReportSite[]; error?: string }[];
  summary?: Record<string, unknown>;
  /** With --verify: its test runs and the sites it reverted. */
  verify?: { runs?: number; reverted?: unknown[] };
}

/** Reads the migrate report; throws with the file's start if it is not the expected shape. */
export function readReport(file: string): MigrateReport {
  const text = readFileSync(file, "utf8");
  const json = JSON.parse(text) as MigrateReport;
  if (!json || !Array.isArray(json.files)) throw new Error(`unexpected report shape in ${file}: ${text.slice(0, 200)}`);
  return json;
}

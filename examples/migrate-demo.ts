// The migration demo: `asyncio-ts migrate` on a small legacy callback
// library (examples/legacy), proven by that library's own tests.
//
//   npx tsx examples/migrate-demo.ts        (or `npm run demo`, which calls main())
//
// It copies examples/legacy to a temporary folder, runs its tests, prints the
// diff the codemod proposes (dry run), applies it (--write), runs the tests
// again and says what happened. examples/legacy itself is never modified
// (checked at the end).
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { REPO, migrateCli, readReport, runArgv, type MigrateReport } from "../scripts/corpus-lib.js";
import { parseTap, passSet } from "../scripts/corpus-parsers.js";

/** What the demo observed. */
export interface DemoResult {
  testsBefore: number;
  testsAfter: number;
  totalTests: number;
  samePassSet: boolean;
  sites: number;
  converted: number;
  refused: Record<string, number>;
  filesChanged: number;
}

const LEGACY = join(REPO, "examples/legacy");

// A fingerprint of every file under a folder, to prove the demo left it alone.
function fingerprint(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(relative(dir, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(dir);
  return h.digest("hex");
}

async function runTests(dir: string): Promise<{ passed: Set<string>; total: number; output: string }> {
  const r = await runArgv([process.execPath, "test/run.js"], { cwd: dir, timeoutSeconds: 60 });
  const results = parseTap(r.stdout);
  return { passed: passSet(results), total: results.length, output: r.stdout + r.stderr };
}

async function reasonText(): Promise<Record<string, string>> {
  try {
    const m = (await import("../codemods/reasons.js")) as { REASONS?: Record<string, string> };
    return m.REASONS ?? {};
  } catch {
    return {};
  }
}

/** Runs the demo; `log` receives every line it prints. */
export async function main(options: { log?: (line: string) => void; keep?: boolean } = {}): Promise<DemoResult> {
  const log = options.log ?? ((s: string) => console.log(s));
  const before0 = fingerprint(LEGACY);
  const work = mkdtempSync(join(tmpdir(), "asyncio-ts-demo-"));
  const dir = join(work, "legacy");
  cpSync(LEGACY, dir, { recursive: true });
  const cli = migrateCli();
  try {
    log("== asyncio-ts migrate: a legacy callback library, before and after");
    log(`Working on a copy of examples/legacy in ${dir}`);

    const before = await runTests(dir);
    log(`\n-- 1. The library's own tests, before: ${before.passed.size} of ${before.total} pass`);

    log("\n-- 2. What the codemod proposes (asyncio-ts migrate lib --dry-run):\n");
    const dry = await runArgv([...cli, "migrate", "lib", "--dry-run"], { cwd: dir, timeoutSeconds: 120 });
    log(dry.stdout.trimEnd() || "(no changes proposed)");
    if (dry.code !== 0 && dry.code !== 1) throw new Error(`migrate --dry-run exited ${dry.code}: ${dry.stderr}`);

    log("\n-- 3. Applying it (asyncio-ts migrate lib --write --report report.json)");
    const reportFile = join(work, "report.json");
    const wet = await runArgv([...cli, "migrate", "lib", "--write", "--report", reportFile], {
      cwd: dir,
      timeoutSeconds: 120,
    });
    if (wet.code !== 0 && wet.code !== 1) throw new Error(`migrate --write exited ${wet.code}: ${wet.stderr}`);
    const summaryLines = wet.stdout.trim() || wet.stderr.trim();
    if (summaryLines) log(summaryLines);
    const report: MigrateReport = readReport(reportFile);

    const after = await runTests(dir);
    log(`\n-- 4. The same tests, after: ${after.passed.size} of ${after.total} pass`);

    // In plain words.
    const sites = report.files.flatMap((f) => f.sites ?? []);
    const converted = sites.filter((s) => s.status === "converted").length;
    const refused: Record<string, number> = {};
    for (const s of sites)
      if (s.status !== "converted") refused[s.reason ?? "(no reason)"] = (refused[s.reason ?? "(no reason)"] ?? 0) + 1;
    const filesChanged = report.files.filter((f) => f.changed).length;
    const lost = [...before.passed].filter((t) => !after.passed.has(t));
    const gained = [...after.passed].filter((t) => !before.passed.has(t));
    const samePassSet = lost.length === 0 && gained.length === 0;
    const texts = await reasonText();

    log("\n-- What happened");
    log(
      `The codemod found ${sites.length} callback site${sites.length === 1 ? "" : "s"} in lib/ and converted ${converted}` +
        (filesChanged ? `, rewriting ${filesChanged} file${filesChanged === 1 ? "" : "s"}.` : "; no file changed."),
    );
    const assumptions: Record<string, number> = {};
    for (const s of sites as Array<{ assumptions?: string[] }>)
      for (const name of s.assumptions ?? []) assumptions[name] = (assumptions[name] ?? 0) + 1;
    for (const [name, n] of Object.entries(assumptions).sort())
      log(
        `${n} conversion${n === 1 ? "" : "s"} ${n === 1 ? "relies" : "rely"} on ${name} (the default profile's assumption; docs/codemods.md).`,
      );
    for (const [code, n] of Object.entries(refused))
      log(`It left ${n} site${n === 1 ? "" : "s"} unchanged as ${code}${texts[code] ? `: ${texts[code]}` : ""}.`);
    log(
      `The library's own tests (which call its callback API, as its existing users do) passed ${before.passed.size} of ${before.total} before ` +
        `and ${after.passed.size} of ${after.total} after` +
        (samePassSet
          ? ": exactly the same tests pass."
          : `: NOT the same tests (lost: ${lost.join("; ") || "none"}; newly passing: ${gained.join("; ") || "none"}).`),
    );
    if (!samePassSet) log(after.output);
    return {
      testsBefore: before.passed.size,
      testsAfter: after.passed.size,
      totalTests: before.total,
      samePassSet,
      sites: sites.length,
      converted,
      refused,
      filesChanged,
    };
  } finally {
    if (options.keep) log(`(kept ${work})`);
    else rmSync(work, { recursive: true, force: true });
    if (fingerprint(LEGACY) !== before0)
      throw new Error("examples/legacy was modified: the demo must only touch its temporary copy");
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main({ keep: process.argv.includes("--keep") }).then(
    (r) => {
      process.exitCode = r.samePassSet ? 0 : 1;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}

// The corpus harness's markdown: one table row per package and profile, a
// summary per profile, details per package, and docs/codemods-corpus.md.
import { execFileSync } from "node:child_process";
import { REPO } from "./corpus-lib.js";
import type { PackageOutcome, ProfileOutcome } from "./corpus.js";
import type { Profile } from "./corpus-profiles.js";

const fmtCounts = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "–";

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const pct = (a: number, b: number): string => (b ? ` (${Math.round((100 * a) / b)}%)` : "");
const ratio = (a: number, b: number): string => (b ? (a / b).toFixed(1) : "–");

function identical(r: ProfileOutcome): string {
  if (r.status === "ERROR") return "–";
  if (r.identical) return "yes";
  if (r.lost.length) return `no: lost ${r.lost.length}`;
  if (r.flakyAfter.length) return "no (flaky after, nothing lost)";
  return `no (${r.gained.length} newly passing, nothing lost)`;
}

/** One row per package and profile, then one summary line per profile. */
export function renderTable(rows: PackageOutcome[]): string {
  const head =
    "| package | profile | status | sites | converted | refused by reason | assumptions used | reverted by --verify | lines added / converted site | helper lines / changed file | callback hops left | tests passing before → after | identical pass sets |";
  const sep = "|---|---|---|---|---|---|---|---|---|---|---|---|---|";
  const lines: string[] = [];
  for (const p of rows) {
    if (p.status === "ERROR" && p.profiles.length === 0) {
      lines.push(`| ${p.spec} | – | ERROR: ${cell((p.error ?? "").slice(0, 120))} | | | | | | | | | | |`);
      continue;
    }
    for (const r of p.profiles) {
      const status = r.status === "ERROR" ? `ERROR: ${cell((r.error ?? "").slice(0, 120))}` : r.status;
      const verified = r.notes.some((n) => n.startsWith("this CLI has no --assume")) ? " *" : "";
      lines.push(
        `| ${p.spec} | ${r.profile}${verified} | ${status} | ${r.sites} | ${r.converted}${pct(r.converted, r.sites)} | ` +
          `${fmtCounts(r.refusedByReason)} | ${fmtCounts(r.assumptions)} | ${r.profile === "none" ? "–" : `${r.reverted} (${r.verifyRuns} runs)`} | ` +
          `${ratio(r.linesAdded - r.helperLines, r.converted)} | ${ratio(r.helperLines, r.changedFiles)} | ${r.callbackHops} | ` +
          `${p.baselinePasses} → ${r.afterPasses} | ${identical(r)} |`,
      );
    }
  }
  return [head, sep, ...lines, "", ...summaryLines(rows)].join("\n");
}

/** Per profile: packages that kept every test, sites converted, reverts. */
export function summaryLines(rows: PackageOutcome[]): string[] {
  const names = [...new Set(rows.flatMap((p) => p.profiles.map((r) => r.profile)))];
  return names.map((name) => {
    const rs = rows.flatMap((p) => p.profiles.filter((r) => r.profile === name));
    const sites = rs.reduce((a, r) => a + r.sites, 0);
    const converted = rs.reduce((a, r) => a + r.converted, 0);
    const reverted = rs.reduce((a, r) => a + r.reverted, 0);
    const ok = rs.filter((r) => r.status === "ok").length;
    return (
      `- **${name}**: ${ok}/${rows.length} packages kept every test they passed; ${converted}/${sites} sites converted${pct(converted, sites)}` +
      (name === "none" ? "." : `; ${reverted} reverted by --verify (BROKE_TESTS).`)
    );
  });
}

const list = (xs: string[], max = 8): string =>
  xs
    .slice(0, max)
    .map((x) => `\`${x}\``)
    .join(", ") + (xs.length > max ? ` … and ${xs.length - max} more` : "");

/** Per package: independent counts, speed, flaky tests, lost tests, notes. */
export function renderDetails(rows: PackageOutcome[]): string {
  const parts: string[] = [];
  for (const p of rows) {
    const bits: string[] = [];
    bits.push(`${p.libraryFiles} library file(s)`);
    if (p.flakyInBaseline.length)
      bits.push(`passed in one baseline run only (${p.flakyInBaseline.length}, excluded): ` + list(p.flakyInBaseline));
    for (const r of p.profiles) {
      const rb: string[] = [];
      if (p.cbBefore && r.cbAfter)
        rb.push(
          `cb fns / err-first ${p.cbBefore.takesCallback} / ${p.cbBefore.errFirst} → ${r.cbAfter.takesCallback} / ${r.cbAfter.errFirst}`,
        );
      if (Object.keys(r.sitesByTransform).length)
        rb.push(
          Object.entries(r.sitesByTransform)
            .map(([k, v]) => `${k} ${v.converted} converted / ${v.refused} refused`)
            .join("; "),
        );
      if (r.lost.length) rb.push(`lost ${r.lost.length}: ` + list(r.lost, 20));
      if (r.flakyAfter.length)
        rb.push(`failed in one of the two after-runs only (${r.flakyAfter.length}): ` + list(r.flakyAfter));
      if (r.gained.length) rb.push(`passing after but not in the baseline: ${r.gained.length}`);
      if (r.migrateExit !== null && r.migrateExit !== 0) rb.push(`migrate exit code ${r.migrateExit}`);
      if (r.wallSeconds)
        rb.push(
          `migrate took ${r.migrateSeconds.toFixed(2)} s (${r.wallSeconds.toFixed(1)} s wall, start-up${r.verifyRuns ? " and test runs" : ""} included)` +
            (r.filesPerSecond
              ? `, ${r.filesPerSecondIsLowerBound ? "> " : ""}${r.filesPerSecond.toFixed(1)} files/s`
              : ""),
        );
      rb.push(...r.notes);
      if (r.error) rb.push(`error: ${r.error}`);
      bits.push(`*${r.profile}*: ${rb.join(", ")}`);
    }
    bits.push(...p.notes);
    if (p.error && p.profiles.length === 0) bits.push(`error: ${p.error}`);
    parts.push(`- **${p.spec}**: ${bits.join(". ")}`);
  }
  return parts.join("\n");
}

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

/** The full markdown document written to docs/codemods-corpus.md. */
export function renderDoc(
  rows: PackageOutcome[],
  meta: {
    date: string;
    cli: string;
    seconds: number;
    migrateArgs?: string[];
    profiles: (Profile & { args: string[]; note?: string })[];
  },
): string {
  const extra = meta.migrateArgs?.length ? " " + meta.migrateArgs.join(" ") : "";
  const profileLines = meta.profiles
    .map(
      (p) =>
        `- **${p.name}**: \`${meta.cli} migrate <library files> --write --report r.json${p.args.length ? " " + p.args.join(" ") : ""}${extra}${p.verify ? ' --verify "<test command>"' : ""}\`` +
        (p.note ? ` (${p.note}${p.name === "none" ? "" : "; marked * in the table"})` : ""),
    )
    .join("\n");
  return `# Codemods on real packages: the corpus

Generated by \`npm run corpus\` (scripts/corpus.ts) on ${meta.date}, ${codemodsVersion()}, Node ${process.version}, in ${meta.seconds.toFixed(0)} s. Do not edit by hand: re-run it.

Each package of [corpus/public.tsv](../corpus/public.tsv) is fetched from the npm registry at the exact version and
refused unless its tarball's sha512 matches the tsv. Its dependencies are installed from the lockfile stored in
\`corpus/locks/\` (\`npm ci --ignore-scripts\`; lint, coverage and reporter tools the test command does not run are
dropped, see \`corpus/packages.json\`). Its own test command (from the tsv) runs **twice** as the baseline. Then,
for each profile, starting from the package as installed, its library files (never its tests, bins or examples;
the globs are in \`corpus/packages.json\`) are converted, and the tests run again:

${profileLines}

With \`--verify\` the CLI itself runs the test command before and after converting and reverts, by bisection, the
conversions that make a passing test fail (\`BROKE_TESTS\`, [codemods.md](codemods.md#verifying-with-the-packages-tests-));
the harness then checks the final tree independently, as for \`none\`.

Runs are compared by their **per-test pass sets**, parsed from the runner's output (TAP for tap/tape, mocha's
spec reporter, vows --spec; scripts that pass only if they exit 0 *and* print their success line), never by exit
codes. A test counts in the baseline only if it passed in both baseline runs. A test is **lost** if it passed in
both baseline runs and fails (or does not run) after the migration, in the after-run and in one retry. Each test
run has a hard timeout and a hang counts as a failure, and starts from the package as installed (plus, after the
migration, the converted files), so that a failing test cannot leave fixtures behind for the next run.

Columns:

- **sites / converted / refused by reason**: from the migrate report (what the codemod counts as a site is
  defined in [codemods.md](codemods.md)); the percentage is converted / sites. After \`--verify\`, its reverts are
  refusals (\`BROKE_TESTS\`).
- **assumptions used**: converted sites per assumption they rely on (the report's per-site \`assumptions\`).
- **reverted by --verify**: sites reverted as \`BROKE_TESTS\`, and how many times the test command ran.
- **lines added / converted site**: non-blank lines of the library files after minus before, without the helper
  lines, divided by the converted sites.
- **helper lines / changed file**: lines of the helpers the codemod adds (top-level \`__asyncio…\` functions with
  their comments, a \`dualApi\` import), per changed file.
- **callback hops left**: calls made inside a converted function to a function converted in the same file (by
  name) that still hand it a callback (a function argument, or a last argument named \`cb\`, \`done\`, …; the start
  helper's \`(done) => size(p, done)\` counts). Zero means converted functions \`await\` each other.
- The details below also give, per profile, an independent count over the same files before and after: _cb fns_
  (functions whose last parameter is named \`cb\`, \`callback\`, \`done\`, \`next\`, \`cont\` or ends in
  \`Callback\`/\`Cb\`) and _err-first_ (first parameter \`err\`, \`er\`, \`error\`), and the speed of \`none\` (library
  files divided by the CLI's own time, start-up excluded; \`npx tsx bench/codemod-speed.ts\` measures it properly).

${renderTable(rows)}

## Details

${renderDetails(rows) || "Nothing to add."}
`;
}

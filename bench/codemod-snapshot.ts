// The migration CLI's whole output on some trees, for comparing two versions
// byte for byte (a speed change must not change a single byte): for each tree
// and --jobs value, the --report JSON, the --dry-run diffs (stdout) and stderr without its "in 1.2s" ending.
//
//   npx tsx bench/codemod-snapshot.ts <out-dir> <tree>... [--jobs 1,2] [--cli "node codemods/dist/cli.js"]
//   diff -r before/ after/
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { migrateCli, runArgv } from "../scripts/corpus-lib.js";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { jobs: { type: "string", default: "1,2" }, cli: { type: "string" }, assume: { type: "string" } },
  });
  const [out, ...trees] = positionals;
  if (!out || trees.length === 0) throw new Error("usage: codemod-snapshot.ts <out-dir> <tree>...");
  const cli = values.cli ? values.cli.split(" ").filter(Boolean) : migrateCli();
  mkdirSync(out, { recursive: true });
  for (const tree of trees) {
    for (const jobs of values.jobs.split(",")) {
      const name = `${basename(resolve(tree))}.jobs${jobs}${values.assume ? `.${values.assume}` : ""}`;
      const report = resolve(out, `${name}.report.json`);
      const args = [...cli, "migrate", ".", "--dry-run", "--no-progress", "--jobs", jobs, "--report", report];
      if (values.assume) args.push("--assume", values.assume);
      const r = await runArgv(args, { cwd: resolve(tree), timeoutSeconds: 1800 });
      writeFileSync(join(out, `${name}.diff`), r.stdout);
      writeFileSync(join(out, `${name}.stderr`), `${r.stderr.replace(/ in [\d.]+s\n$/, "\n")}exit ${r.code}\n`);
      console.log(`${name}: exit ${r.code}, ${r.seconds.toFixed(1)} s`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});

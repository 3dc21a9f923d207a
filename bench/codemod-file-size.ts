// Issue 19's row for the migration CLI: one generated callback-style file (bench/codemod-tree.ts's mix of
// functions) of about 10 KB, 100 KB, 1 MB and 5 MB, each migrated in its own `asyncio-ts migrate --dry-run
// --no-diff` process. Prints the CLI's own time (its summary line, start-up excluded), the process's CPU time,
// µs per KB and per function, and each size's per-KB cost against the smallest's (target: within 1.5x; a
// cost that grows faster than the file shows at once). No timing assertion anywhere: this is a measurement.
//
//   npx tsx bench/codemod-file-size.ts [--sizes 10,100,1000,5000] [--work-dir D]
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { migrateCli, runArgv } from "../scripts/corpus-lib.js";
import { generatedFile } from "./codemod-tree.js";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "10,100,1000,5000" }, "work-dir": { type: "string" } },
});
const sizesKb = values.sizes!.split(",").map(Number);
const root = values["work-dir"] ?? join(tmpdir(), "asyncio-ts-codemod-file-size");

/** A file of about `kb` KB: the generator's functions, about 0.3 KB each. */
function fileOf(kb: number): { text: string; functions: number } {
  let functions = Math.max(1, Math.round(kb / 0.3));
  for (;;) {
    const text = generatedFile(0, 1, functions);
    const size = Buffer.byteLength(text) / 1024;
    if (Math.abs(size - kb) / kb < 0.05 || functions < 2) return { text, functions };
    functions = Math.max(1, Math.round((functions * kb) / size));
  }
}

const rows: string[] = [];
let base: number | undefined;
rmSync(root, { recursive: true, force: true });
for (const kb of sizesKb) {
  const dir = join(root, `${kb}kb`);
  mkdirSync(dir, { recursive: true });
  const { text, functions } = fileOf(kb);
  const file = join(dir, "big.js");
  writeFileSync(file, text);
  const bytes = statSync(file).size;
  const before = process.hrtime.bigint();
  const r = await runArgv([...migrateCli(), "migrate", file, "--no-diff", "--no-progress", "--quiet"], {
    cwd: dir,
    timeoutSeconds: 15 * 60,
  });
  const wall = Number(process.hrtime.bigint() - before) / 1e9;
  const m = /in (\d+(?:\.\d+)?)s/.exec(r.stdout + r.stderr);
  const cli = m ? Number(m[1]) : wall;
  const sites = /(\d+) sites: (\d+) converted/.exec(r.stdout + r.stderr);
  const perKb = (cli * 1e6) / (bytes / 1024);
  base ??= perKb;
  rows.push(
    `| ${(bytes / 1024).toFixed(0)} KB | ${functions} | ${sites ? `${sites[2]}/${sites[1]}` : "?"} | ${cli.toFixed(1)} s | ${wall.toFixed(1)} s | ${perKb.toFixed(0)} | ${((cli * 1e6) / functions).toFixed(0)} | ${(perKb / base).toFixed(2)}x | ${r.code === 0 ? "ok" : r.timedOut ? "timed out" : `exit ${r.code}`} |`,
  );
  console.error(rows[rows.length - 1]);
}
console.log(`The migration CLI on one file (bench/codemod-file-size.ts, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0].toFixed(1)}):

| file | functions | sites converted | CLI time | wall | µs / KB | µs / function | per KB vs the smallest | exit |
|---|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join("\n")}
`);

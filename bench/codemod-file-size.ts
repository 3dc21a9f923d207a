// Issue 19's row for the migration CLI: one generated callback-style file (bench/codemod-tree.ts's mix of
// functions) of about 10 KB, 100 KB, 1 MB and 5 MB, each migrated in its own `asyncio-ts migrate` process
// (dry run, the default; --no-diff). Gives the CLI's own time (its summary line, start-up excluded), the
// process's CPU time and peak RSS (bench/codemod-rss-hook.mjs, loaded with --import), µs and peak RSS per KB,
// and each size's per-KB time against the smallest's (target: within 1.5x; a cost that grows faster than the
// file shows at once). No timing assertion anywhere: this is a measurement.
//
// `npm run bench -- --scaling` runs it after the API table (bench/run.ts, --scaling-file-sizes=10,100,1000,5000)
// into the same section of docs/benchmarks.md; on its own it prints the same markdown:
//
//   npx tsx bench/codemod-file-size.ts [--sizes 10,100,1000,5000] [--work-dir D]
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadavg, tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { migrateCli, runArgv } from "../scripts/corpus-lib.js";
import { generatedFile } from "./codemod-tree.js";

const HOOK = new URL("./codemod-rss-hook.mjs", import.meta.url).href;

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

/**
 * The CLI's argv with the RSS hook loaded: after the node binary when the CLI is started by node itself (the
 * default, codemods/cli.ts through tsx), else through NODE_OPTIONS (ASYNCIO_TS_CLI set to a wrapper; every
 * node process under it then reports, and the largest peak is taken).
 */
function hooked(argv: string[]): { argv: string[]; env: NodeJS.ProcessEnv } {
  if (argv[0] === process.execPath || /^node(\.exe)?$/.test(basename(argv[0]!)))
    return { argv: [argv[0]!, "--import", HOOK, ...argv.slice(1)], env: process.env };
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${HOOK}`].filter(Boolean).join(" ");
  return { argv, env: { ...process.env, NODE_OPTIONS: nodeOptions } };
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;

/**
 * Migrates one generated file per size (KB) and returns the markdown subsection (heading, method, table and
 * the issue-19 verdict) that `npm run bench -- --scaling` puts after the API table.
 */
export async function fileSizeTable(
  sizesKb: number[],
  opts: { workDir?: string; log?: (s: string) => void; timeoutSeconds?: number } = {},
): Promise<string> {
  const root = opts.workDir ?? join(tmpdir(), "asyncio-ts-codemod-file-size");
  const log = opts.log ?? ((s: string) => void process.stderr.write(s + "\n"));
  const started = new Date();
  const load0 = loadavg()[0]!;
  const rows: string[] = [];
  let base: { perKb: number; kb: number; rssKb?: number } | undefined;
  let last: { perKb: number; kb: number } | undefined;
  let previous: { perKb: number; kb: number } | undefined;
  rmSync(root, { recursive: true, force: true });
  for (const kb of sizesKb) {
    const dir = join(root, `${kb}kb`);
    mkdirSync(dir, { recursive: true });
    const { text, functions } = fileOf(kb);
    const file = join(dir, "big.js");
    writeFileSync(file, text);
    const inKb = statSync(file).size / 1024;
    const cli = hooked([...migrateCli(), "migrate", file, "--no-diff", "--no-progress", "--quiet"]);
    log(`codemod-file-size: ${inKb.toFixed(0)} KB (${functions} functions)…`);
    const before = process.hrtime.bigint();
    const r = await runArgv(cli.argv, { cwd: dir, env: cli.env, timeoutSeconds: opts.timeoutSeconds ?? 15 * 60 });
    const wall = Number(process.hrtime.bigint() - before) / 1e9;
    const out = r.stdout + r.stderr;
    const m = /in (\d+(?:\.\d+)?)s\n/.exec(out);
    const secs = m ? Number(m[1]) : wall;
    const sites = /(\d+) sites: (\d+) converted/.exec(out);
    const rssAll = [...out.matchAll(/codemod-max-rss-kb (\d+)/g)].map((x) => Number(x[1]));
    const rssKb = rssAll.length ? Math.max(...rssAll) : undefined;
    const cpu = /codemod-cpu-seconds (\d+(?:\.\d+)?)/.exec(out);
    const perKb = (secs * 1e6) / inKb;
    base ??= { perKb, kb: inKb, rssKb };
    if (r.code === 0) {
      previous = last;
      last = { perKb, kb: inKb };
    }
    const growth =
      rssKb !== undefined && base.rssKb !== undefined && inKb > base.kb
        ? ((rssKb - base.rssKb) / (inKb - base.kb)).toFixed(1)
        : "–";
    rows.push(
      `| ${inKb.toFixed(0)} KB | ${functions} | ${sites ? `${sites[2]}/${sites[1]}` : "?"} | ${secs.toFixed(1)} s${m ? "" : " (wall)"} | ${cpu ? `${Number(cpu[1]).toFixed(1)} s` : "?"} | ${wall.toFixed(1)} s | ${perKb.toFixed(0)} | ${((secs * 1e6) / functions).toFixed(0)} | ${(perKb / base.perKb).toFixed(2)}x | ${rssKb === undefined ? "?" : mb(rssKb)} | ${rssKb === undefined ? "?" : (rssKb / inKb).toFixed(1)} | ${growth} | ${r.code === 0 ? "ok" : r.timedOut ? "timed out" : `exit ${r.code ?? r.signal}`} |`,
    );
    log(rows[rows.length - 1]!);
  }
  const ratio = base && last && last.kb > base.kb ? last.perKb / base.perKb : undefined;
  const verdict =
    ratio === undefined
      ? "Per KB at the largest size against the smallest: not measured (one size, or the largest failed)."
      : `Per KB at the largest size (${last!.kb.toFixed(0)} KB) against the smallest (${base!.kb.toFixed(0)} KB): **${ratio.toFixed(2)}x**, ${ratio <= 1.5 ? "within" : "**not** within"} the 1.5x of issue #19${previous && previous.kb > base!.kb ? ` (against the next size down, ${previous.kb.toFixed(0)} KB, whose fixed costs weigh less: ${(last!.perKb / previous.perKb).toFixed(2)}x)` : ""}.`;
  return [
    "### The migration CLI on one file of 10 KB to 5 MB (bench/codemod-file-size.ts)",
    "",
    "Issue 19's row for the migration CLI (issue 18 item 12: a 5 MB file must finish in seconds). One generated callback-style file (bench/codemod-tree.ts's mix of functions) per size, each migrated in its own `asyncio-ts migrate --no-diff` process (a dry run: nothing is written). CLI time is the CLI's own figure from its summary line (start-up excluded; to 0.1 s, so the smallest file's µs / KB is rough) and the µs columns divide it; CPU is the whole process's (user + system, start-up and tsx included); peak RSS is the process's `process.resourceUsage().maxRSS` at exit (bench/codemod-rss-hook.mjs, loaded with `--import`; the same figure as GNU time's `%M`), so it includes what Node, tsx and TypeScript hold before the file is read, most of the smallest file's peak and what dominates RSS / KB at small sizes; RSS growth / KB is (peak − the smallest file's peak) / (size − the smallest size), what each further KB of input costs at the peak. Before two fixes made on 2026-12-02 the 5 MB file took 76.8 s and the 1 MB file 79.9 s (the whole-module check walked the file once per converted function; the renaming of a colliding continuation parameter copied the file's names once per continuation), and nesting was checked pairwise.",
    "",
    `Measured ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, load average ${load0.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end (2 shared cores):`,
    "",
    "| file | functions | sites converted | CLI time | CPU | wall | µs / KB | µs / function | µs / KB vs the smallest | peak RSS | RSS KB / KB of input | RSS growth / KB | exit |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows,
    "",
    verdict,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { sizes: { type: "string", default: "10,100,1000,5000" }, "work-dir": { type: "string" } },
  });
  const sizesKb = values.sizes!.split(",").map(Number);
  process.stdout.write(await fileSizeTable(sizesKb, { workDir: values["work-dir"] }));
}

// `migrate`'s odds and ends (issue #18 item 13) and the refusal listing (issue #12 §5): leftover temp files of a
// killed run, fsync before rename, the --jobs cap, a typo'd path, `| head`, relative paths in parse errors,
// `file:line:col REASON  explanation (docs…)` on stderr, --quiet, and names of named function expressions.
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { jobsFor } from "../../codemods/runner.js";
import { REASONS } from "../../codemods/index.js";
import { REASON_SECTION } from "../../codemods/listing.js";
import { BIN, CONVERTIBLE, LIB, ROOT, project, read, report, run } from "./cli-harness.js";

/** The pid of a process that has exited (so a temp file named with it is a leftover). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

test("a temp file left by a killed run: noted by a dry run, removed by the next --write; an in-place one is kept and named", async (t) => {
  const pid = deadPid();
  const temp = `.a.js.asyncio-ts-${pid}-1700000000000.tmp`;
  const inPlace = `.b.js.asyncio-ts-${pid}-1700000000000.inplace.tmp`;
  const live = `.a.js.asyncio-ts-${process.pid}-1700000000000.tmp`; // this run's own pid: not touched
  // Another process that is running (a second run, or a pid reused since a run was killed): left alone, named.
  const running = `.b.js.asyncio-ts-${process.ppid}-1700000000000.tmp`;
  const dir = project({
    "lib/a.js": CONVERTIBLE,
    "lib/b.js": CONVERTIBLE,
    [`lib/${temp}`]: "x",
    [`lib/${inPlace}`]: "y",
  });
  fs.writeFileSync(path.join(dir, "lib", live), "z");
  fs.writeFileSync(path.join(dir, "lib", running), "r");
  const dry = await run(dir, ["lib", "--no-diff"]);
  t.is(dry.code, 0, dry.stderr);
  t.regex(
    dry.stderr,
    new RegExp(`^asyncio-ts: lib/${temp.replace(/\./g, "\\.")} is a temp file left by an interrupted run`, "m"),
  );
  t.true(fs.existsSync(path.join(dir, "lib", temp)), "a dry run writes nothing");
  const w = await run(dir, ["lib", "--write"]);
  t.is(w.code, 0, w.stderr);
  t.regex(
    w.stderr,
    /^asyncio-ts: removed lib\/\.a\.js\.asyncio-ts-\d+-1700000000000\.tmp, a temp file left by an interrupted run$/m,
  );
  t.regex(w.stderr, /left by an interrupted in-place write of lib\/b\.js, which may be incomplete/);
  t.false(fs.existsSync(path.join(dir, "lib", temp)));
  t.true(fs.existsSync(path.join(dir, "lib", inPlace)), "kept: it may be the only complete copy");
  t.true(fs.existsSync(path.join(dir, "lib", live)), "another run's temp file is left alone");
  t.true(fs.existsSync(path.join(dir, "lib", running)), "a running process's temp file is left alone");
  t.regex(
    w.stderr,
    new RegExp(
      `^asyncio-ts: lib/\\.b\\.js\\.asyncio-ts-${process.ppid}-1700000000000\\.tmp is a temp file of process ${process.ppid}, which is running .*: left alone`,
      "m",
    ),
  );
  t.notRegex(w.stderr, new RegExp(`asyncio-ts-${process.pid}-`), "this run's own pid is not named");
});

test("--write fsyncs the temp file before renaming it over the original", async (t) => {
  const dir = project({ "a.js": CONVERTIBLE });
  const events: string[] = [];
  const fds = new Map<number, string>();
  const r = await run(dir, ["a.js", "--write"], {
    fs: {
      openSync: ((p: fs.PathLike, ...rest: unknown[]) => {
        const fd = fs.openSync(p, ...(rest as [never]));
        fds.set(fd, path.basename(String(p)));
        return fd;
      }) as typeof fs.openSync,
      fsyncSync: (fd: number) => {
        events.push(`fsync ${fds.get(fd)}`);
        fs.fsyncSync(fd);
      },
      renameSync: (from: fs.PathLike, to: fs.PathLike) => {
        events.push(`rename ${path.basename(String(from))} ${path.basename(String(to))}`);
        fs.renameSync(from, to);
      },
    },
  });
  t.is(r.code, 0, r.stderr);
  const temp = events.find((e) => e.startsWith("rename "))?.split(" ")[1];
  t.regex(temp ?? "", /^\.a\.js\.asyncio-ts-\d+-\d+\.tmp$/);
  t.deepEqual(events.slice(0, 2), [`fsync ${temp}`, `rename ${temp} a.js`]);
  t.is(events[2], `fsync ${path.basename(dir)}`, "then the directory, so that the rename survives a crash");
});

test("--jobs is capped by the cores and the free memory", async (t) => {
  t.is(jobsFor(16, { cores: 2, freeMemory: 2 ** 40 }), 2);
  t.is(jobsFor(16, { cores: 64, freeMemory: 600 * 2 ** 20 }), 2);
  t.is(jobsFor(4, { cores: 8, freeMemory: 0 }), 1);
  t.is(jobsFor(3, { cores: 8, freeMemory: 2 ** 40 }), 3);
  const dir = project({ "a.js": CONVERTIBLE, "b.js": CONVERTIBLE });
  const r = await run(dir, [".", "--jobs", "16", "--no-diff"], { machine: { cores: 2, freeMemory: 2 ** 40 } });
  t.is(r.code, 0, r.stderr);
  t.regex(
    r.stderr,
    /^asyncio-ts: --jobs 16: using 2 threads \(the main thread and 1 worker\) \(2 cores, 1024\.0 GiB free/m,
  );
});

test("a typo'd path next to a real one is an error (exit 2), and nothing is done", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE });
  const r = await run(dir, ["lib", "lbi", "--write"]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: lbi: no such file or directory$/m);
  t.is(read(dir, "lib/a.js"), CONVERTIBLE);
  const g = await run(dir, ["lib", "lbi/**/*.js"]);
  t.is(g.code, 2);
  t.regex(g.stderr, /^asyncio-ts: lbi\/\*\*\/\*\.js: matches no source file$/m);
});

/** Runs the bin with its stdout (and, with both, its stderr) closed by the reader at once, as `| head` does. */
function closedPipes(dir: string, both: boolean, ...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, "migrate", "lib", "--assume", "none", ...args], { cwd: dir });
  child.stdout.destroy();
  let stderr = "";
  if (both) child.stderr.destroy();
  else child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

test("`| head` closing the pipe early: a quiet exit 0, no EPIPE stack (stdout, stderr, both)", async (t) => {
  let big = "var fs = require('fs');\n";
  const fn = CONVERTIBLE.slice(CONVERTIBLE.indexOf("function"), CONVERTIBLE.indexOf("module"));
  for (let i = 0; i < 300; i++) big += fn.replace("size", `size${i}`);
  const dir = project({ "lib/a.js": big });
  const out = await closedPipes(dir, false);
  t.is(out.code, 0, out.stderr);
  t.notRegex(out.stderr, /EPIPE|Error/);
  const both = await closedPipes(dir, true);
  t.is(both.code, 0);
  // Only stderr written (the summary, the listing): a closed stderr is no crash either.
  const stderrOnly = await closedPipes(dir, true, "--no-diff");
  t.is(stderrOnly.code, 0);
});

test("parse errors name the file relative to the working directory (stderr and report)", async (t) => {
  const dir = project({ "lib/broken.js": "function (x {\n" });
  const r = await run(dir, ["lib", "--report", "r.json"]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^ {2}lib\/broken\.js:1:10: /m);
  t.false(r.stderr.includes(dir), r.stderr);
  t.regex(report(dir).files[0].parseErrors[0], /^lib\/broken\.js:1:10: /);
});

test("refused sites are listed on stderr as file:line:col REASON  explanation (docs anchor); --quiet hides them", async (t) => {
  const dir = project({ "lib/a.js": LIB });
  for (const mode of [[], ["--write"]]) {
    const r = await run(dir, ["lib", "--no-diff", ...mode]);
    t.is(r.code, 0, r.stderr);
    t.true(r.stderr.includes(`lib/a.js:10:1 ZALGO  zalgo: ${REASONS.ZALGO} (docs/codemods.md#callbacks)\n`), r.stderr);
    fs.writeFileSync(path.join(dir, "lib/a.js"), LIB);
  }
  const q = await run(dir, ["lib", "--no-diff", "--quiet"]);
  t.notRegex(q.stderr, /ZALGO {2}/);
  t.regex(q.stderr, /^asyncio-ts migrate: 1 files, 1 would change, 2 sites: 1 converted, 1 refused \(ZALGO 1\)/m);
});

test("a named function expression is reported and listed by its name", async (t) => {
  const text = `var fs = require('fs');\nrun(function tick(p, cb) {\n  if (!p) return cb(new Error('no path'));\n  fs.stat(p, function (er, st) {\n    if (er) return cb(er);\n    cb(null, st.size);\n  });\n});\n`;
  const dir = project({ "a.js": text });
  const r = await run(dir, ["a.js", "--report", "r.json", "--no-diff"]);
  const site = report(dir).files[0].sites[0];
  t.like(site, { line: 2, column: 5, status: "refused", name: "tick" });
  t.true(r.stderr.includes(`a.js:2:5 ${site.reason}  tick: `), r.stderr);
});

test("every reason code's listing anchor is the docs subsection that explains it", (t) => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/codemods.md"), "utf8");
  const reasons = doc.slice(doc.indexOf("## Reason codes"), doc.indexOf("\n## ", doc.indexOf("## Reason codes") + 1));
  const sectionOf = new Map<string, string>();
  let section = "";
  for (const line of reasons.split("\n")) {
    const h = /^### (\S+)$/.exec(line);
    if (h) section = h[1];
    const c = /^- \*\*`([A-Z_]+)`\*\*/.exec(line);
    if (c) sectionOf.set(c[1], section);
  }
  const expected = Object.fromEntries(Object.keys(REASONS).map((c) => [c, sectionOf.get(c)]));
  t.deepEqual({ ...REASON_SECTION }, expected);
});

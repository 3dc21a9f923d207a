// `migrate --write --verify "<test command>"`: the site filter reproduces exactly the trees it names; on a
// small package whose tests pin one function's implementation, bisection finds exactly that conversion,
// reverts it (BROKE_TESTS, with the failing test's name) and keeps the others; a failing baseline writes
// nothing; SIGINT during a test run writes the original files back. The bisection tests run under `--assume none`: their expectations name the proof-only output shape; the
// mechanism does not depend on the profile.
import test from "ava";
import { sink } from "./cli-harness.js";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { main } from "../../codemods/cli.js";
import { migrateSource } from "../../codemods/index.js";
import { type SiteFilter, siteKey } from "../../codemods/core.js";
import { detectParser } from "../../codemods/test-results.js";
import { loadCases } from "./harness.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

const A = `var fs = require('fs');

function size(p, cb) {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}

function mode(p, cb) {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.mode);
  });
}

module.exports = { size, mode };
`;

const B = `var fs = require('fs');

function text(p, cb) {
  fs.readFile(p, 'utf8', function (er, s) {
    if (er) return cb(er);
    cb(null, s);
  });
}

module.exports = { text };
`;

// A TAP-printing test file. One test pins how mode() is written: only converting mode breaks it.
// With HANG set, a run on a converted b.js announces itself (the file "started") and waits to be killed.
const TEST = `var fs = require('fs');
var a = require('./lib/a.js');
var b = require('./lib/b.js');
if (process.env.HANG && /async/.test(fs.readFileSync(__dirname + '/lib/b.js', 'utf8'))) {
  fs.writeFileSync(__dirname + '/started', '');
  setTimeout(function () {}, 60000);
  return;
}
var n = 0;
function ok(c, name) { console.log((c ? 'ok ' : 'not ok ') + (++n) + ' - ' + name); }
console.log('TAP version 13');
a.size(__filename, function (er, s) {
  ok(!er && s > 0, 'size of a file');
  a.mode(__filename, function (er, m) {
    ok(!er && m > 0, 'mode of a file');
    ok(!/async/.test(a.mode.toString()), 'mode is written with callbacks');
    b.text(__filename, function (er, t) {
      ok(!er && t.indexOf('TAP') >= 0, 'text of a file');
      console.log('1..' + n);
    });
  });
});
`;

function pkg(test = TEST): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-verify-"));
  fs.mkdirSync(path.join(dir, "lib"));
  fs.writeFileSync(path.join(dir, "lib/a.js"), A);
  fs.writeFileSync(path.join(dir, "lib/b.js"), B);
  fs.writeFileSync(path.join(dir, "test.js"), test);
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(["migrate", ...args], { stdout: out.stream, stderr: err.stream, cwd: dir });
  return { code, stdout: out.text(), stderr: err.text() };
}

test("a site filter reproduces the full migration, and with every converted site skipped, the input", (t) => {
  let checked = 0;
  for (const c of loadCases()) {
    const full = migrateSource(c.input, c.inputFile, c.options);
    if (full.parseErrors || full.internalError) continue;
    const abs = path.resolve(c.inputFile);
    const natural: Record<string, string> = {};
    for (const s of full.sites) {
      const k = siteKey(s);
      if (s.status === "converted") natural[k] = "convert";
      else natural[k] ??= s.reason!;
    }
    const same = migrateSource(c.input, c.inputFile, { ...c.options, siteFilter: { [abs]: natural } as SiteFilter });
    t.is(same.output, full.output, c.name);
    const none = Object.fromEntries(Object.entries(natural).map(([k, v]) => [k, v === "convert" ? "NOT_VERIFIED" : v]));
    const skipped = migrateSource(c.input, c.inputFile, { ...c.options, siteFilter: { [abs]: none } as SiteFilter });
    t.is(skipped.output, c.input, `${c.name}: nothing converted`);
    t.false(
      skipped.sites.some((s) => s.status === "converted"),
      c.name,
    );
    checked++;
  }
  t.true(checked > 50);
});

test("--verify finds by bisection exactly the conversion that breaks a test, reverts it, keeps the others", async (t) => {
  const dir = pkg();
  const r = await run(dir, "lib", "--write", "--assume", "none", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  const a = fs.readFileSync(path.join(dir, "lib/a.js"), "utf8");
  const b = fs.readFileSync(path.join(dir, "lib/b.js"), "utf8");
  // mode is back as it was; size and text stay converted.
  t.true(a.includes(A.slice(A.indexOf("function mode"), A.indexOf("module.exports"))), a);
  t.regex(a, /function size\(p, cb\) \{\n {2}const started/);
  t.regex(b, /async/);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  const sites = report.files.flatMap(
    (f: { file: string; sites: { name?: string; status: string; reason?: string }[] }) =>
      f.sites.map((s) => ({ file: f.file, name: s.name, status: s.status, reason: s.reason })),
  );
  t.deepEqual(
    sites.filter((s: { status: string }) => s.status === "refused"),
    [{ file: "lib/a.js", name: "mode", status: "refused", reason: "BROKE_TESTS" }],
  );
  t.is(report.summary.converted, 2);
  t.is(report.verify.reverted.length, 1);
  t.like(report.verify.reverted[0], { file: "lib/a.js", line: 10, column: 1, transform: "callbacks", name: "mode" });
  t.deepEqual(report.verify.reverted[0].tests, ["mode is written with callbacks"]);
  t.true(report.verify.perTest);
  t.is(report.verify.baselinePassed, 5); // four tests and the exit code
  // baseline, all converted (fails, and again), files 1 of 2 kept (fails), a.js 1 of 2 sites kept (passes), final.
  t.is(report.verify.runs, 6);
  t.regex(r.stderr, /BROKE_TESTS lib\/a\.js:10:1 \(mode\): mode is written with callbacks; reverted/);
  t.regex(r.stderr, /--verify: 1 reverted \(BROKE_TESTS\) after 6 test runs/);
  // The final tree passes every test of the baseline.
  const again = await run(dir, "lib", "--write", "--assume", "none", "--verify", "node test.js");
  t.is(again.code, 0, again.stderr);
});

test("--verify finds two culprits in two files one after the other", async (t) => {
  const dir = pkg(
    TEST.replace(
      "ok(!er && t.indexOf('TAP') >= 0, 'text of a file');",
      "ok(!er && t.indexOf('TAP') >= 0, 'text of a file'); ok(!/async/.test(b.text.toString()), 'text is written with callbacks');",
    ),
  );
  const r = await run(dir, "lib", "--write", "--assume", "none", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  t.deepEqual(
    report.verify.reverted.map((x: { file: string; name: string; tests: string[] }) => [x.file, x.name, x.tests]),
    [
      ["lib/a.js", "mode", ["mode is written with callbacks"]],
      ["lib/b.js", "text", ["text is written with callbacks"]],
    ],
  );
  t.is(fs.readFileSync(path.join(dir, "lib/b.js"), "utf8"), B);
  t.is(report.summary.converted, 1);
  // baseline, all (twice), a.js kept (fails), size kept (passes), without mode (fails), a.js kept (passes), without both.
  t.is(report.verify.runs, 8);
});

// A suite that moves a fixture away and moves it back only when every test passed (as mv's does): after a
// failing run the next one would fail "the fixture is there" too, whatever it converts.
const MOVES_FIXTURE = TEST.replace(
  "console.log('TAP version 13');",
  `console.log('TAP version 13');
ok(fs.existsSync(__dirname + '/fixture/data'), 'the fixture is there');
fs.renameSync(__dirname + '/fixture', __dirname + '/fixture-moved');
fs.writeFileSync(__dirname + '/scratch', '');
process.on('exit', function () { if (!failed) { fs.renameSync(__dirname + '/fixture-moved', __dirname + '/fixture'); fs.unlinkSync(__dirname + '/scratch'); } });`,
).replace("function ok(c, name) {", "var failed = false;\nfunction ok(c, name) { if (!c) failed = true;");

test("--verify puts back what a failing test run left changed, so that each run starts from the same tree", async (t) => {
  const dir = pkg(MOVES_FIXTURE);
  fs.mkdirSync(path.join(dir, "fixture"));
  fs.writeFileSync(path.join(dir, "fixture/data"), "x");
  const r = await run(dir, "lib", "--write", "--assume", "none", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  // Only mode's conversion breaks a test; without the restore, "the fixture is there" fails in every run after
  // the first failing one and the bisection blames size too.
  t.deepEqual(
    report.verify.reverted.map((s: { name: string }) => s.name),
    ["mode"],
  );
  t.regex(
    r.stderr,
    /run 2 \(all conversions\): 1 baseline test\(s\) fail: .*; put back 5 path\(s\) the run changed: fixture, fixture-moved, fixture-moved\/data …/,
  );
  t.regex(r.stderr, /run 6 \(2 site\(s\) kept, 1 reverted\): passes \([\d.]+ s\)\n/);
  t.deepEqual(fs.readdirSync(dir).sort(), ["fixture", "lib", "r.json", "test.js"]);
  t.is(fs.readFileSync(path.join(dir, "fixture/data"), "utf8"), "x");
  t.regex(fs.readFileSync(path.join(dir, "lib/b.js"), "utf8"), /async/);
});

test("--verify with nothing broken runs the tests twice and keeps every conversion", async (t) => {
  const dir = pkg(TEST.replace("ok(!/async/.test(a.mode.toString()), 'mode is written with callbacks');", ""));
  const r = await run(dir, "lib", "--write", "--assume", "none", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  t.is(report.summary.converted, 3);
  t.is(report.verify.runs, 2);
  t.deepEqual(report.verify.reverted, []);
});

test("--verify with nothing converted runs the tests once (the tree is the baseline's)", async (t) => {
  const dir = pkg();
  fs.writeFileSync(path.join(dir, "lib/c.js"), "module.exports = 1;\n");
  const r = await run(dir, "lib/c.js", "--write", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  t.is(JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8")).verify.runs, 1);
});

test("--verify refuses to start when the untouched tree fails its tests, and writes nothing", async (t) => {
  const dir = pkg("process.exit(1);\n");
  const r = await run(dir, "lib", "--write", "--verify", "node test.js");
  t.is(r.code, 2);
  t.regex(r.stderr, /fails on the untouched tree/);
  t.is(fs.readFileSync(path.join(dir, "lib/a.js"), "utf8"), A);
  t.is(fs.readFileSync(path.join(dir, "lib/b.js"), "utf8"), B);
});

test("--verify needs --write; a test run past --verify-timeout is a failure", async (t) => {
  const dir = pkg();
  const r = await run(dir, "lib", "--verify", "node test.js");
  t.is(r.code, 2);
  t.regex(r.stderr, /--verify needs --write/);
  const hang = pkg("setTimeout(function () {}, 60000);\n");
  const h = await run(hang, "lib", "--write", "--verify", "node test.js", "--verify-timeout", "0.5");
  t.is(h.code, 2);
  t.regex(h.stderr, /timed out on the untouched tree/);
  t.is(fs.readFileSync(path.join(hang, "lib/a.js"), "utf8"), A);
});

test("SIGINT during a --verify test run writes the original files back (exit 130)", async (t) => {
  const dir = pkg();
  const child = spawn(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), path.join(ROOT, "codemods/cli.ts"), "migrate", "lib", "--write"].concat([
      "--verify",
      "node test.js",
    ]),
    { cwd: dir, env: { ...process.env, HANG: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // The after-conversion run announces itself; then the converted files are on disk.
  for (let i = 0; i < 300 && !fs.existsSync(path.join(dir, "started")); i++)
    await new Promise((r) => setTimeout(r, 50));
  t.true(fs.existsSync(path.join(dir, "started")), stderr);
  t.regex(fs.readFileSync(path.join(dir, "lib/b.js"), "utf8"), /async/);
  child.kill("SIGINT");
  t.is(await exited, 130, stderr);
  t.regex(stderr, /interrupted/);
  t.is(fs.readFileSync(path.join(dir, "lib/a.js"), "utf8"), A);
  t.is(fs.readFileSync(path.join(dir, "lib/b.js"), "utf8"), B);
});

test("detectParser recognises TAP, mocha spec and vows, and nothing else", (t) => {
  t.is(detectParser("TAP version 13\nok 1 - a\n1..1\n"), "tap");
  t.is(detectParser("  suite\n    ✓ works\n\n  1 passing (3ms)\n"), "mocha-spec");
  t.is(detectParser("♢ nconf\n  ✓ OK » 3 honored\n"), "vows-spec");
  t.is(detectParser("all good\n"), undefined);
});

// A dual-mode group (dual-mode.ts) converts as one: a test that pins one member's form makes --verify revert the
// whole group, and the file comes back as it was.
const DUAL = `var fs = require('fs')

module.exports = size

function size (p, cb) {
  return cb
       ? fs.stat(p, sizeOf(cb))
       : sizeOf()(null, fs.statSync(p))
}

function sizeOf (cb) { return function (er, st) {
  if (er) return cb(er)
  return cb ? cb(null, st.size) : st.size
}}
`;

test("--verify reverts a dual-mode group as one conversion", async (t) => {
  const dir = pkg(`var fs = require('fs');
var size = require('./lib/dual.js');
var n = 0;
function ok(c, name) { console.log((c ? 'ok ' : 'not ok ') + (++n) + ' - ' + name); }
console.log('TAP version 13');
ok(size(__filename) > 0, 'synchronous mode');
ok(!/callbackify/.test(fs.readFileSync(__dirname + '/lib/dual.js', 'utf8')), 'size is written with callbacks');
size(__filename, function (er, s) {
  ok(!er && s > 0, 'callback mode');
  console.log('1..' + n);
});
`);
  fs.rmSync(path.join(dir, "lib/a.js"));
  fs.rmSync(path.join(dir, "lib/b.js"));
  fs.writeFileSync(path.join(dir, "lib/dual.js"), DUAL);
  const r = await run(dir, "lib", "--write", "--verify", "node test.js", "--report", "r.json");
  t.is(r.code, 0, r.stderr);
  t.is(fs.readFileSync(path.join(dir, "lib/dual.js"), "utf8"), DUAL);
  const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
  t.is(report.summary.converted, 0);
  t.true(report.verify.reverted.length >= 1);
  t.true(report.verify.reverted.every((s: { tests: string[] }) => s.tests.includes("size is written with callbacks")));
});

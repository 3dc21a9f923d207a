// The `asyncio-ts migrate` CLI: exit codes, dry run, atomic --write, --report
// schema, unparsable files, --jobs, .gitignore and include/exclude, and the bin.
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "../../codemods/cli.js";
import { migrateProject } from "../../codemods/index.js";
import { LIB, ROOT, sink } from "./cli-harness.js";

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-cli-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const out = sink();
  const err = sink();
  // The proof-only profile unless the test names one.
  const profile = args.some((a) => a.startsWith("--assume")) ? [] : ["--assume", "none"];
  const code = await main(["migrate", ...args, ...profile], { stdout: out.stream, stderr: err.stream, cwd: dir });
  return { code, stdout: out.text(), stderr: err.text() };
}

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), "utf8");

test("--dry-run (the default) prints a unified diff and writes nothing", async (t) => {
  const dir = project({ "lib/a.js": LIB });
  const r = await run(dir, "lib");
  t.is(r.code, 0);
  t.regex(r.stdout, /^--- a\/lib\/a\.js/m);
  t.regex(r.stdout, /^\+\+\+ b\/lib\/a\.js/m);
  t.regex(r.stdout, /^\+ {2}return __asyncioDual\(cb, async \(\) => \{/m);
  t.is(read(dir, "lib/a.js"), LIB);
  t.regex(r.stderr, /1 files, 1 would change, 2 sites: 1 converted, 1 refused \(ZALGO 1\)/);
  const explicit = await run(dir, "lib", "--dry-run");
  t.is(explicit.stdout, r.stdout);
});

test("--write replaces files atomically (new inode, mode kept, no temp files left)", async (t) => {
  const dir = project({ "lib/a.js": LIB, "lib/same.js": "module.exports = 1;\n" });
  fs.chmodSync(path.join(dir, "lib/a.js"), 0o640);
  const before = fs.statSync(path.join(dir, "lib/a.js"));
  const sameBefore = fs.statSync(path.join(dir, "lib/same.js"));
  const r = await run(dir, "lib", "--write");
  t.is(r.code, 0);
  t.is(r.stdout, "");
  const after = fs.statSync(path.join(dir, "lib/a.js"));
  t.not(after.ino, before.ino, "written through a temp file and rename");
  t.is(after.mode & 0o777, 0o640);
  t.is(fs.statSync(path.join(dir, "lib/same.js")).ino, sameBefore.ino, "unchanged files are not rewritten");
  t.deepEqual(fs.readdirSync(path.join(dir, "lib")).sort(), ["a.js", "same.js"]);
  t.regex(
    read(dir, "lib/a.js"),
    /const started = __asyncioStart\(\(done\) => fs\.stat\(p, done\)\);\n {2}return __asyncioDual\(cb, async \(\) => \{\n {4}const st = await started;/,
  );
  // Idempotent through the CLI too.
  const again = await run(dir, "lib", "--write");
  t.is(again.code, 0);
  t.is(fs.statSync(path.join(dir, "lib/a.js")).ino, after.ino);
  t.regex(again.stderr, /0 changed/);
});

test("--write and --dry-run together is bad usage (exit 2)", async (t) => {
  const dir = project({ "a.js": LIB });
  t.is((await run(dir, ".", "--write", "--dry-run")).code, 2);
});

test("--report writes every site with the documented schema", async (t) => {
  const dir = project({ "lib/a.js": LIB, "lib/b.ts": "export const x = 1;\n" });
  const r = await run(dir, "lib", "--report", "out/report.json".replace("out/", ""));
  t.is(r.code, 0);
  const report = JSON.parse(read(dir, "report.json"));
  t.is(report.version, 1);
  t.deepEqual(
    report.files.map((f: { file: string; changed: boolean }) => [f.file, f.changed]),
    [
      ["lib/a.js", true],
      ["lib/b.ts", false],
    ],
  );
  t.deepEqual(report.files[0].sites, [
    { line: 3, column: 1, transform: "callbacks", status: "converted", name: "size", assumptions: [] },
    {
      line: 10,
      column: 1,
      transform: "callbacks",
      status: "refused",
      reason: "ZALGO",
      name: "zalgo",
      assumptions: [],
    },
  ]);
  t.deepEqual(report.summary, {
    files: 2,
    filesChanged: 1,
    filesUnparsable: 0,
    filesFailed: 0,
    filesFailedByCode: {},
    sites: 2,
    converted: 1,
    refused: 1,
    refusedByReason: { ZALGO: 1 },
    assumptions: {},
    byTransform: { callbacks: { sites: 2, converted: 1, refused: 0 + 1 } },
  });
});

test("--assume idiomatic (the default) converts a ZALGO function, reports its assumptions and says them in the diff", async (t) => {
  const dir = project({ "lib/a.js": LIB });
  const r = await run(dir, "lib", "--assume", "idiomatic", "--report", "report.json");
  t.is(r.code, 0);
  const sites = JSON.parse(read(dir, "report.json")).files[0].sites;
  t.deepEqual(
    sites.map((s: { name: string; status: string; assumptions: string[] }) => [s.name, s.status, s.assumptions]),
    [
      ["size", "converted", ["SYNC_THROW_BECOMES_REJECTION"]],
      ["zalgo", "converted", ["CALLBACK_NOW_ASYNC", "SYNC_THROW_BECOMES_REJECTION"]],
    ],
  );
  t.regex(r.stdout, /^# CALLBACK_NOW_ASYNC \(line 10\): a callback that was called synchronously/m);
  // The default is idiomatic; --assume-err-first is --assume err-first.
  const byDefault = spawnSync(process.execPath, [path.join(ROOT, "bin/asyncio-ts.js"), "migrate", "lib", "--no-diff"], {
    cwd: dir,
    encoding: "utf8",
  });
  t.regex(byDefault.stderr, /2 sites: 2 converted/);
  const none = await run(dir, "lib", "--assume-err-first", "--no-diff");
  t.regex(none.stderr, /2 sites: 2 converted/);
});

test("--strict exits 1 when a site was refused, 0 otherwise", async (t) => {
  const dir = project({ "a.js": LIB, "ok.js": LIB.replace(/function zalgo[\s\S]*?\n}\n/, "") });
  t.is((await run(dir, "a.js", "--strict")).code, 1);
  t.is((await run(dir, "ok.js", "--strict")).code, 0);
  t.is((await run(dir, "a.js")).code, 0);
});

test("a file that does not parse: reported, left untouched, exit 2; other files still migrated", async (t) => {
  const broken = "function (x {\n";
  const dir = project({ "a.js": LIB, "broken.js": broken });
  const r = await run(dir, ".", "--write", "--report", "r.json");
  t.is(r.code, 2);
  t.regex(r.stderr, /broken\.js does not parse; left untouched/);
  t.is(read(dir, "broken.js"), broken);
  t.not(read(dir, "a.js"), LIB);
  const report = JSON.parse(read(dir, "r.json"));
  t.is(report.summary.filesUnparsable, 1);
  t.true(report.files.find((f: { file: string }) => f.file === "broken.js").parseErrors.length > 0);
});

test("bad usage exits 2: unknown transform, unknown option, bad --jobs, nothing matched, no paths", async (t) => {
  const dir = project({ "a.js": LIB });
  t.is((await run(dir, ".", "--transform", "nope")).code, 2);
  t.is((await run(dir, ".", "--frobnicate")).code, 2);
  t.is((await run(dir, ".", "--jobs", "0")).code, 2);
  t.is((await run(dir, "missing/**/*.js")).code, 2);
  t.is((await run(dir)).code, 2);
});

test("--transform restricts the transforms run", async (t) => {
  const dir = project({ "a.js": LIB + "function w(ms) { return new Promise((r) => setTimeout(r, ms)); }\n" });
  const r = await run(dir, ".", "--transform", "node-apis", "--report", "r.json");
  t.is(r.code, 0);
  const report = JSON.parse(read(dir, "r.json"));
  t.deepEqual(Object.keys(report.summary.byTransform), ["node-apis"]);
});

test(".gitignore is respected; --include and --exclude filter", async (t) => {
  const dir = project({
    ".gitignore": "ignored/\n*.gen.js\n",
    "src/a.js": LIB,
    "src/x.gen.js": LIB,
    "ignored/b.js": LIB,
    "test/t.js": LIB,
    "node_modules/m/index.js": LIB,
  });
  const files = async (...args: string[]) => {
    await run(dir, ...args, "--report", "r.json");
    return JSON.parse(read(dir, "r.json")).files.map((f: { file: string }) => f.file);
  };
  t.deepEqual(await files("."), ["src/a.js", "test/t.js"]);
  t.deepEqual(await files(".", "--exclude", "test/**"), ["src/a.js"]);
  t.deepEqual(await files(".", "--include", "test/"), ["test/t.js"]);
  t.deepEqual(await files("src/*.js"), ["src/a.js"]);
});

test("--jobs 2 gives the same result as --jobs 1 (worker threads, also from the TypeScript source)", async (t) => {
  const files: Record<string, string> = {};
  // Enough files for --jobs 2 to start a worker next to the main thread (codemods/pool.ts, workerCount).
  for (let i = 0; i < 52; i++) files[`lib/f${i}.js`] = LIB;
  files["lib/use.js"] =
    `var a = require('./f0');\n\nfunction twice(p, cb) {\n  a.size(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n * 2);\n  });\n}\n\nmodule.exports = { twice };\n`;
  // Resolved by the type checker in the main thread; the workers receive what it found.
  files["lib/index.js"] = `module.exports = require('./f1');\n`;
  files["lib/use2.js"] =
    `const { size: measure } = require('.');\n\nfunction twice(p, cb) {\n  measure(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n * 2);\n  });\n}\n\nmodule.exports = { twice };\n`;
  const d1 = project(files);
  const d2 = project(files);
  const r1 = await run(d1, "lib", "--write", "--report", "r.json");
  const r2 = await run(d2, "lib", "--write", "--report", "r.json", "--jobs", "2");
  t.is(r1.code, 0);
  t.is(r2.code, 0);
  t.deepEqual(JSON.parse(read(d2, "r.json")), JSON.parse(read(d1, "r.json")));
  for (const f of Object.keys(files)) t.is(read(d2, f), read(d1, f), f);
  t.regex(
    read(d1, "lib/use.js"),
    /__asyncioStart\(\(done\) => a\.size\(p, done\)\)/,
    "the cross-file call site awaits the converted export",
  );
  t.regex(
    read(d1, "lib/use2.js"),
    /__asyncioStart\(\(done\) => measure\(p, done\)\)/,
    "through a barrel and a renamed destructuring",
  );
});

test("bin/asyncio-ts.js runs the CLI (exit codes pass through)", (t) => {
  const dir = project({ "a.js": LIB });
  const ok = spawnSync(
    process.execPath,
    [path.join(ROOT, "bin/asyncio-ts.js"), "migrate", "a.js", "--no-diff", "--assume", "none"],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stderr, /1 converted, 1 refused/);
  const strict = spawnSync(
    process.execPath,
    [path.join(ROOT, "bin/asyncio-ts.js"), "migrate", "a.js", "--strict", "--no-diff", "--assume", "none"],
    { cwd: dir, encoding: "utf8" },
  );
  t.is(strict.status, 1);
});

test("migrateProject: a converted export is awaited by callers in other files", (t) => {
  const results = migrateProject(
    [
      { file: "/p/lib/size.js", text: LIB },
      {
        file: "/p/lib/use.js",
        text: `const { size } = require('./size');\n\nfunction twice(p, cb) {\n  size(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n * 2);\n  });\n}\n\nmodule.exports = { twice };\n`,
      },
    ],
    { assume: "none" },
  );
  t.true(results[1].changed);
  t.regex(
    results[1].output,
    /const started = __asyncioStart\(\(done\) => size\(p, done\)\);\n {2}return __asyncioDual\(cb, async \(\) => \{\n {4}const n = await started;/,
  );
  t.deepEqual(
    results.map((r) => r.sites.map((s) => `${s.name}:${s.status}`)),
    [["size:converted", "zalgo:refused"], ["twice:converted"]],
  );
});

test("--version prints the asyncio-ts-codemods package's version (exit 0)", async (t) => {
  const out = sink();
  const code = await main(["--version"], { stdout: out.stream, stderr: sink().stream, cwd: ROOT });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "codemods/package.json"), "utf8")) as { version: string };
  t.is(code, 0);
  t.is(out.text().trim(), pkg.version);
});

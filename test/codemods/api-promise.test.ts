// `--api promise` (issue 12 §3, a major-version migration): converted exports are plain async functions with
// no callback surface, and the callers in the migrated tree that still pass a callback are updated to
// `callbackify(f)(…, cb)`. Checked on a two-file tree written to a temp dir and loaded for real.
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { migrateProject } from "../../codemods/index.js";

const LIB = `var fs = require('fs');

function readText(file, cb) {
  fs.readFile(file, 'utf8', function (err, text) {
    if (err) return cb(err);
    cb(null, text);
  });
}

function readJson(file, cb) {
  readText(file, function (err, text) {
    if (err) return cb(err);
    var data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return cb(e);
    }
    cb(null, data);
  });
}

// A caller in the same file that stays in callback form (an event handler).
function watchLength(emitter, file, done) {
  emitter.on('change', function () {
    readText(file, function (err, text) {
      if (err) return done(err);
      done(null, text.length);
    });
  });
}

module.exports = { readText, readJson, watchLength };
`;

const USE = `var lib = require('./lib');

// Not converted (a loop body calls back): still passes a callback.
function lengths(files, done) {
  files.forEach(function (f) {
    lib.readText(f, function (err, text) {
      if (err) return done(err);
      done(null, text.length);
    });
  });
}

// Converted: awaits the promise-only export directly.
function version(file, cb) {
  lib.readJson(file, function (err, data) {
    if (err) return cb(err);
    cb(null, data.version);
  });
}

module.exports = { lengths, version };
`;

function migrate(files: Record<string, string>, dir: string): Record<string, string> {
  const inputs = Object.entries(files).map(([name, text]) => ({ file: path.join(dir, name), text }));
  const out = migrateProject(inputs, { api: "promise" });
  return Object.fromEntries(out.map((r, i) => [Object.keys(files)[i], r.output]));
}

test("--api promise: plain async exports, callbackify for the callers that still pass a callback", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-api-promise-"));
  const out = migrate({ "lib.js": LIB, "use.js": USE }, dir);
  t.notRegex(out["lib.js"], /dualApi|__asyncioDual/, "no callback surface is kept");
  t.regex(out["lib.js"], /async function readText\(file\)/);
  t.regex(out["lib.js"], /async function readJson\(file\)/);
  t.regex(out["lib.js"], /callbackify\(readText\)\(file, function \(err, text\)/, "the same file's callback caller");
  t.regex(out["use.js"], /callbackify\(lib\.readText\)\(f, function/, "another file's callback caller");
  t.regex(out["use.js"], /await lib\.readJson\(file\)/, "a converted caller awaits directly");
  // A second run changes nothing.
  t.deepEqual(migrate(out, dir), out);

  for (const [name, text] of Object.entries(out)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, "p.json"), JSON.stringify({ version: "2.0.0" }));
  fs.writeFileSync(path.join(dir, "bad.json"), "{");
  const req = createRequire(path.join(dir, "x.js"));
  const lib = req("./lib.js");
  const use = req("./use.js");
  t.deepEqual(await lib.readJson(path.join(dir, "p.json")), { version: "2.0.0" });
  await t.throwsAsync(lib.readJson(path.join(dir, "bad.json")), { instanceOf: SyntaxError });
  t.is(await use.version(path.join(dir, "p.json")), "2.0.0");
  const got = await new Promise((resolve) =>
    use.lengths([path.join(dir, "p.json")], (err: unknown, n: number) => resolve([err, n])),
  );
  t.deepEqual(got, [null, 19]);
  const { EventEmitter } = await import("node:events");
  const emitter = new EventEmitter();
  const watched = new Promise((resolve) =>
    lib.watchLength(emitter, path.join(dir, "p.json"), (err: unknown, n: number) => resolve([err, n])),
  );
  emitter.emit("change");
  t.deepEqual(await watched, [null, 19]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--api dual (the default) keeps the callback surface", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-api-dual-"));
  const inputs = [{ file: path.join(dir, "lib.js"), text: LIB }];
  const [r] = migrateProject(inputs, {});
  t.regex(r.output, /readText: dualApi\(readText\)|__asyncioDual/);
  t.notRegex(r.output, /callbackify\(/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--api promise on ES modules: `export async function`, callbackify for an importer's callback caller", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-api-promise-esm-"));
  const a = `import fs from 'node:fs';

export function readText(file, cb) {
  fs.readFile(file, 'utf8', function (err, text) {
    if (err) return cb(err);
    cb(null, text);
  });
}

export function size(file, cb) {
  readText(file, function (err, text) {
    if (err) return cb(err);
    cb(null, text.length);
  });
}
`;
  const b = `import { readText } from './a.mjs';

export function lengths(list, done) {
  list.forEach(function (f) {
    readText(f, function (err, text) {
      if (err) return done(err);
      done(null, text.length);
    });
  });
}
`;
  const out = migrate({ "a.mjs": a, "b.mjs": b }, dir);
  t.regex(out["a.mjs"], /export async function readText\(file\)/);
  t.regex(out["a.mjs"], /export async function size\(file\) \{\n {2}const text = await readText\(file\);/);
  t.regex(out["b.mjs"], /import \{ callbackify \} from "node:util";/);
  t.regex(out["b.mjs"], /callbackify\(readText\)\(f, function/);
  t.deepEqual(migrate(out, dir), out, "a second run changes nothing");
  for (const [name, text] of Object.entries(out)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, "t.txt"), "hello");
  const modA = await import(pathToFileURL(path.join(dir, "a.mjs")).href);
  const modB = await import(pathToFileURL(path.join(dir, "b.mjs")).href);
  t.is(await modA.size(path.join(dir, "t.txt")), 5);
  const got = await new Promise((resolve) =>
    modB.lengths([path.join(dir, "t.txt")], (err: unknown, n: number) => resolve([err, n])),
  );
  t.deepEqual(got, [null, 5]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--api promise: an `export { f as g }` list exports the async function, and an importer's callback caller gets callbackify", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-api-promise-list-"));
  const a = `import fs from 'node:fs';

function readText(file, cb) {
  fs.readFile(file, 'utf8', function (err, text) {
    if (err) return cb(err);
    cb(null, text);
  });
}

export { readText, readText as read };
`;
  const b = `import { read } from './a.mjs';

export function lengths(list, done) {
  list.forEach(function (f) {
    read(f, function (err, text) {
      if (err) return done(err);
      done(null, text.length);
    });
  });
}
`;
  const out = migrate({ "a.mjs": a, "b.mjs": b }, dir);
  t.regex(out["a.mjs"], /^async function readText\(file\) \{$/m);
  t.regex(out["b.mjs"], /callbackify\(read\)\(f, function/);
  // Without --api promise the list keeps the dual form (its importers may pass a callback).
  const dual = migrateProject([{ file: path.join(dir, "a.mjs"), text: a }])[0]!.output;
  t.notRegex(dual, /^async function readText/m);
  t.deepEqual(migrate(out, dir), out, "a second run changes nothing");
  for (const [name, text] of Object.entries(out)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, "t.txt"), "hello");
  const modA = await import(pathToFileURL(path.join(dir, "a.mjs")).href);
  const modB = await import(pathToFileURL(path.join(dir, "b.mjs")).href);
  t.is(await modA.read(path.join(dir, "t.txt")), "hello");
  const got = await new Promise((resolve) =>
    modB.lengths([path.join(dir, "t.txt")], (err: unknown, n: number) => resolve([err, n])),
  );
  t.deepEqual(got, [null, 5]);
  fs.rmSync(dir, { recursive: true, force: true });
});

// Assumption profiles (codemods/assumptions.ts): what each accepts, the assumptions recorded per
// site, and the documented differences each assumption allows, checked by running input and output.
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { migrateProject, migrateSource, type MigrateOptions, type Site } from "../../codemods/index.js";

/** Loads CommonJS text as a module (in a temp dir). */
function load(text: string): Record<string, (...a: unknown[]) => unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-profiles-"));
  const file = path.join(dir, "m.cjs");
  fs.writeFileSync(file, text);
  try {
    return createRequire(file)(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const summary = (sites: Site[]) => sites.map((s) => [s.name, s.reason ?? s.status, s.assumptions ?? []]);

const ZALGO = `var fs = require('fs');
function size(p, cb) {
  if (!p) return cb(new Error('no path'));
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
function mixed(p, cb) {
  fs.stat(p, function (er) {
    if (er) return cb();
    cb(null);
  });
}
function double(x, cb) {
  cb(null, x * 2);
}
module.exports = { size, mixed, double };
`;

test("none refuses what idiomatic converts, and idiomatic records why", (t) => {
  const none = migrateSource(ZALGO, "a.js", { assume: "none" });
  t.deepEqual(summary(none.sites), [
    ["size", "ZALGO", []],
    ["mixed", "MIXED_SUCCESS_ARITY", []],
    ["double", "SYNC_CALLBACK", []],
  ]);
  t.is(none.output, ZALGO);
  for (const options of [{}, { assume: "idiomatic" }] as MigrateOptions[]) {
    const r = migrateSource(ZALGO, "a.js", options);
    t.deepEqual(summary(r.sites), [
      ["size", "converted", ["CALLBACK_NOW_ASYNC", "SYNC_THROW_BECOMES_REJECTION"]],
      ["mixed", "converted", ["CALLBACK_ARITY", "NULL_UNDEFINED_SUCCESS", "SYNC_THROW_BECOMES_REJECTION"]],
      ["double", "converted", ["CALLBACK_NOW_ASYNC", "SYNC_THROW_BECOMES_REJECTION"]],
    ]);
  }
});

test("idiomatic: the differences are the recorded ones (callback on a later tick, cb() as cb(null))", async (t) => {
  const out = load(migrateSource(ZALGO, "a.js", { assume: "idiomatic" }).output);
  const before = load(ZALGO);
  const trace = (m: typeof out, f: string, ...args: unknown[]) =>
    new Promise<{ sync: boolean; args: unknown[] }>((resolve) => {
      let returned = false;
      m[f](...args, (...a: unknown[]) =>
        resolve({ sync: !returned, args: a.map((x) => (x instanceof Error ? x.message : x)) }),
      );
      returned = true;
    });
  // CALLBACK_NOW_ASYNC: same arguments, later.
  t.deepEqual(await trace(before, "size", ""), { sync: true, args: ["no path"] });
  t.deepEqual(await trace(out, "size", ""), { sync: false, args: ["no path"] });
  t.deepEqual(await trace(before, "double", 2), { sync: true, args: [null, 4] });
  t.deepEqual(await trace(out, "double", 2), { sync: false, args: [null, 4] });
  // NULL_UNDEFINED_SUCCESS: cb() on the error path became cb(null, undefined): a success either way.
  t.deepEqual(await trace(before, "mixed", "/nonexistent/x"), { sync: false, args: [] });
  const after = await trace(out, "mixed", "/nonexistent/x");
  t.false(!!after.args[0]);
  // The promise form is new.
  t.is(await (out.double(3) as Promise<number>), 6);
});

test("idiomatic: a chain head's synchronous throw is caught by the chain's .catch (SYNC_THROW_BECOMES_REJECTION)", async (t) => {
  const dir = path.resolve(import.meta.dirname, "../fixtures/codemods/promise-chains/chain-head-may-throw-idiomatic");
  const input = fs.readFileSync(path.join(dir, "input.js"), "utf8");
  const r = migrateSource(input, "input.js", { assume: "idiomatic" });
  const at10 = (sites: Site[]) => sites.find((s) => s.line === 10)!;
  t.deepEqual(at10(r.sites).assumptions, ["SYNC_THROW_BECOMES_REJECTION"]);
  t.throws(() => load(input).load(1), { message: "not a string" });
  t.is(await (load(r.output).load(1) as Promise<string>), "fallback");
  t.deepEqual(at10(migrateSource(input, "input.js", { assume: "none" }).sites).reason, "CHAIN_HEAD_MAY_THROW");
});

test("err-first: evidence from another file of the run beats the assumption (CALLEE_REFUSED)", (t) => {
  const each = `var fs = require('fs');
function each(dir, cb) {
  fs.readdir(dir, function (er, names) {
    if (er) return cb(er);
    for (var i = 0; i < names.length; i++) cb(null, names[i]);
  });
}
function other(p, cb) {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
module.exports = { each, other };
`;
  const use = `var lib = require('./each');
function first(dir, cb) {
  lib.each(dir, function (err, name) {
    if (err) return cb(err);
    cb(null, name);
  });
}
function unknown(api, p, cb) {
  api.get(p, function (err, v) {
    if (err) return cb(err);
    cb(null, v);
  });
}
module.exports = { first, unknown };
`;
  const files = [
    { file: "/p/lib/each.js", text: each },
    { file: "/p/lib/use.js", text: use },
  ];
  const r = migrateProject(files, { assume: "err-first" });
  t.deepEqual(summary(r[0].sites), [
    ["each", "UNSUPPORTED_STATEMENT", []],
    ["other", "converted", ["SYNC_THROW_BECOMES_REJECTION"]],
  ]);
  t.deepEqual(summary(r[1].sites), [
    ["first", "CALLEE_REFUSED", []],
    ["unknown", "converted", ["ERR_FIRST_CALLEE", "SYNC_THROW_BECOMES_REJECTION"]],
  ]);
  // The default profile assumes nothing about unknown callees.
  t.deepEqual(
    summary(migrateProject(files)[1].sites).map((s) => s[1]),
    ["UNKNOWN_CALLEE", "UNKNOWN_CALLEE"],
  );
});

const INJECTED = (names: string) => `var fs = require('fs');
function defaults(o) {
  var methods = ${names};
  methods.forEach(function (m) { o[m] = o[m] || fs[m]; });
}
function remove(p, o, cb) {
  o.unlink(p, function (er) {
    if (er) return cb(er);
    cb(null);
  });
}
module.exports = { defaults, remove };
`;

test("INJECTED_LIKE_DEFAULT: an injected method the file defaults to fs's, only with that evidence", (t) => {
  const listed = INJECTED("['unlink']");
  t.deepEqual(summary(migrateSource(listed, "a.js").sites), [
    ["remove", "converted", ["CALLBACK_ARITY", "INJECTED_LIKE_DEFAULT", "SYNC_THROW_BECOMES_REJECTION"]],
  ]);
  // Proof only: an injected function is not fs's.
  t.deepEqual(summary(migrateSource(listed, "a.js", { assume: "none" }).sites), [["remove", "UNKNOWN_CALLEE", []]]);
  // The name is not among the defaulted ones, or the list may change before the loop: no evidence.
  for (const names of ["['rmdir']", "['unlink'].concat(extra)"])
    t.deepEqual(summary(migrateSource(INJECTED(names), "a.js").sites), [["remove", "UNKNOWN_CALLEE", []]], names);
  const pushed = INJECTED("['rmdir']").replace("methods.forEach", "methods.push('unlink'); methods.forEach");
  t.deepEqual(summary(migrateSource(pushed, "a.js").sites), [["remove", "UNKNOWN_CALLEE", []]]);
  // Converted, it still removes the file through fs's default and reports an injected method's error.
  const m = load(migrateSource(listed, "a.js").output);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-injected-"));
  const file = path.join(dir, "f");
  fs.writeFileSync(file, "x");
  const o: Record<string, unknown> = {};
  m.defaults!(o);
  return (m.remove!(file, o) as Promise<unknown>).then(async () => {
    t.false(fs.existsSync(file));
    fs.rmSync(dir, { recursive: true });
    const failing = { unlink: (_p: string, cb: (e: Error) => void) => setImmediate(cb, new Error("mock")) };
    await t.throwsAsync(m.remove!("x", failing) as Promise<unknown>, { message: "mock" });
  });
});

test("err-first: a counter join in a continuation whose parallel callee is a parameter (rimraf's rmkids)", (t) => {
  const dir = path.join(import.meta.dirname, "../fixtures/codemods/callbacks/counter-in-continuation");
  const input = fs.readFileSync(path.join(dir, "input.js"), "utf8");
  const r = migrateSource(input, "a.js", { assume: "err-first" });
  t.deepEqual(summary(r.sites)[0], [
    "removeKids",
    "converted",
    ["CALLBACK_ARITY", "ERR_FIRST_CALLEE", "SYNC_THROW_BECOMES_REJECTION"],
  ]);
  t.regex(r.output, /const started = files\.map\(\(f\) => promisify\(remove\)\(path\.join\(p, f\)\)\);/);
});

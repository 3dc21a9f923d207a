// The dual-mode split (codemods/transforms/callbacks/dual-mode.ts): which groups it takes, what each specialisation
// becomes, and when it leaves the group to the rest of the pass. Behaviour on the real touch 1.0 is the fixture
// callbacks/dual-mode-split (its scenario runs both modes of input and output).
import test from "ava";
import { migrateSource } from "../../codemods/index.js";

const stat = (extra = "") => `var fs = require("fs")

module.exports = size
size.sync = function (p) {
  return size(p)
}

function size (p, cb) {
  return cb
       ? fs.stat(p, sizeOf(p, cb))
       : sizeOf(p)(null, fs.statSync(p))
}

function sizeOf (p, cb) { return function (er, st) {
  if (er) {
    er.checked = p
    return cb(er)
  }
  return done(st.size, cb)
}}

function done (n, cb) {
  return cb ? cb(null, n) : n
}
${extra}`;

const convertedNames = (r: ReturnType<typeof migrateSource>) =>
  r.sites.filter((s) => s.status === "converted").map((s) => s.name);

test("a group splits into an async and a sync specialisation, the entry keeping its name as the dispatcher", (t) => {
  const r = migrateSource(stat(), "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(r), ["size", "sizeOf", "done"]);
  t.false(r.output.includes("promisify"), "fs.stat needs no promisify: fs.promises.stat");
  t.true(r.output.includes('const { callbackify } = require("node:util");'));
  t.true(r.output.includes("function size (p, cb) {\n  return cb ? callbackify(sizeAsync)(p, cb) : sizeSync(p)\n}"));
  t.true(r.output.includes("async function sizeAsync (p) {\n  let st\n  try {\n    st = await fs.promises.stat(p)"));
  t.true(r.output.includes("  } catch (er) {\n    er.checked = p\n    throw er\n  }\n  return done(st.size)\n}"));
  t.true(r.output.includes("function sizeSync (p) {\n  const st = fs.statSync(p)\n  return doneSync(st.size)\n}"));
  t.true(r.output.includes("async function done (n) {\n  return n\n}"));
  t.true(r.output.includes("function doneSync (n) {\n  return n\n}"));
  t.false(r.output.includes("function sizeOf"), "the factory is inlined in both specialisations");
  t.true(r.output.includes("return size(p)"), "touch.sync's wrapper calls the dispatcher, which runs the sync mode");
});

test("the continuation's direct callback, reached after an await only, assumes nothing more", (t) => {
  const r = migrateSource(stat(), "lib.js", { assume: "idiomatic" });
  const done = r.sites.find((s) => s.name === "done")!;
  t.deepEqual(done.assumptions, ["SYNC_THROW_BECOMES_REJECTION"]);
});

test("a direct callback an entry reaches on its own tick is CALLBACK_NOW_ASYNC and RETURN_VALUE_UNUSED", (t) => {
  const src = stat().replace(
    "function size (p, cb) {\n  return cb",
    "function size (p, cb) {\n  if (p === '') return done(0, cb)\n  return cb",
  );
  const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
  const done = r.sites.find((s) => s.name === "done")!;
  t.is(done.status, "converted");
  t.deepEqual(done.assumptions, ["CALLBACK_NOW_ASYNC", "RETURN_VALUE_UNUSED", "SYNC_THROW_BECOMES_REJECTION"]);
  t.true(r.output.includes("  if (p === '') return done(0)\n"));
  t.true(r.output.includes("  if (p === '') return doneSync(0)\n"));
});

test("--assume none leaves the group to the rest of the pass", (t) => {
  const r = migrateSource(stat(), "lib.js", { assume: "none" });
  t.deepEqual(convertedNames(r), []);
  t.false(r.output.includes("callbackify"));
});

test("a factory called outside the group's steps keeps the whole group as it was", (t) => {
  const r = migrateSource(stat("exports.k = sizeOf\n"), "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(r), []);
  t.false(r.output.includes("callbackify"));
});

test("a call of the group outside a return (its promise would float) refuses the group", (t) => {
  const src = stat().replace("  return done(st.size, cb)\n", "  done(st.size, cb)\n  return null\n");
  const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(r), []);
});

test("a function of the group assigned again is no member (its calls may reach another function)", (t) => {
  const r = migrateSource(stat("done = function (n, cb) { return cb ? cb(null, 0) : 0 }\n"), "lib.js", {
    assume: "idiomatic",
  });
  t.false(r.output.includes("async function done"));
  t.false(convertedNames(r).includes("done"));
});

test("a specialisation's name taken by another binding refuses the group", (t) => {
  const r = migrateSource(stat("var sizeSync = null\n"), "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(r), []);
});

test("a factory whose names the host declares, or whose free names it shadows, is not inlined", (t) => {
  for (const [from, to] of [
    // `let st` beside the host's `var st` would not even parse.
    ["function size (p, cb) {\n", "function size (p, cb) {\n  var st = 1\n"],
    // `label` would name the host's local, not the module's.
    ["    er.checked = p\n", "    er.checked = label\n"],
  ]) {
    const src = stat("var label = 'size'\n")
      .replace(from, to)
      .replace("function size (p, cb) {\n", "function size (p, cb) {\n  var label = p\n");
    const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
    t.deepEqual(convertedNames(r), []);
    t.false(
      r.sites.some((s) => s.reason === "OUTPUT_DID_NOT_PARSE"),
      "refused by the analysis, not by the engine's parse check",
    );
  }
});

test("a function parameter bound at every call to a function of the group is specialised with it", (t) => {
  const src = `var fs = require("fs")
module.exports = run
function run (p, cb) {
  return withStat(measure, p, cb)
}
function withStat (then, p, cb) {
  return cb ? fs.stat(p, statted(then, p, cb)) : statted(then, p)(null, fs.statSync(p))
}
function statted (then, p, cb) { return function (er, st) {
  if (er) return cb(er)
  return then(st, cb)
}}
function measure (st, cb) {
  return cb ? cb(null, st.size) : st.size
}
`;
  const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(r), ["run", "withStat", "statted", "measure"]);
  t.true(r.output.includes("return withStat(measure, p)\n"));
  t.true(r.output.includes("return withStatSync(measureSync, p)\n"));
  t.true(r.output.includes("  const st = await fs.promises.stat(p)\n  return then(st)\n"));
  // The same parameter bound to something else (an export's caller could pass anything) is not a group's.
  const open = migrateSource(
    src.replace("return withStat(measure, p, cb)", "return withStat(cb.other, p, cb)"),
    "lib.js",
    {
      assume: "idiomatic",
    },
  );
  t.deepEqual(convertedNames(open), []);
});

test("an outcome that did not call back in the callback mode refuses the group", (t) => {
  for (const [from, to] of [
    // A value returned beside a call of the group.
    ["  return done(st.size, cb)\n", "  return st.size ? done(st.size, cb) : 0\n"],
    // A return that names nothing of the group.
    ["  return done(st.size, cb)\n", "  if (!st.size) return\n  return done(st.size, cb)\n"],
    // A continuation that goes on after an error (the error branch is not first).
    ["  if (er) {\n", "  st = st || {}\n  if (er) {\n"],
  ]) {
    const r = migrateSource(stat().replace(from, to), "lib.js", { assume: "idiomatic" });
    t.deepEqual(convertedNames(r), [], to);
  }
});

test("two continuations inlined one after the other in a host must not declare the same name", (t) => {
  const chain = (second: string) => `var fs = require("fs")
module.exports = both
function both (p, cb) {
  return cb ? fs.stat(p, first(p, cb)) : first(p)(null, fs.statSync(p))
}
function first (p, cb) { return function (er, st) {
  if (er) return cb(er)
  return cb ? fs.lstat(p, next(st, cb)) : next(st)(null, fs.lstatSync(p))
}}
function next (st, cb) { return function (er, ${second}) {
  if (er) return cb(er)
  return cb ? cb(null, [st.size, ${second}.size]) : [st.size, ${second}.size]
}}
`;
  const ok = migrateSource(chain("ls"), "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(ok), ["both", "first", "next"]);
  t.true(ok.output.includes("  const st = await fs.promises.stat(p)\n  const ls = await fs.promises.lstat(p)\n"));
  t.true(ok.output.includes("  const st = fs.statSync(p)\n  const ls = fs.lstatSync(p)\n  return [st.size, ls.size]"));
  const clash = migrateSource(chain("st"), "lib.js", { assume: "idiomatic" });
  t.deepEqual(convertedNames(clash), []);
  t.false(clash.sites.some((s) => s.reason === "OUTPUT_DID_NOT_PARSE"));
});

test("`cb()` and `cb(null)` as the callback mode's result record what callbackify changes", (t) => {
  const r = migrateSource(stat().replace("cb ? cb(null, n) : n", "cb ? cb() : undefined"), "lib.js", {
    assume: "idiomatic",
  });
  const done = r.sites.find((s) => s.name === "done")!;
  t.deepEqual(done.assumptions, ["CALLBACK_ARITY", "NULL_UNDEFINED_SUCCESS", "SYNC_THROW_BECOMES_REJECTION"]);
});

// The callback checks and the options shuffle that go with the callback in the whole-module output
// (codemods/transforms/callbacks/callback-checks.ts): which statements are recognised, and when the checks
// may go (only the file calls the function) or stay (an export: callers elsewhere may rely on the throw).
import test from "ava";
import { migrateSource } from "../../codemods/index.js";

const fnWith = (prologue: string, name = "inner") => `var assert = require('assert');
var fs = require('fs');

function ${name}(p, cb) {
  ${prologue}
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}

function outer(p, cb) {
  ${name}(p, function (er, n) {
    if (er) return cb(er);
    cb(null, n + 1);
  });
}

module.exports = { outer };
`;

const CHECKS = [
  "assert(typeof cb === 'function');",
  "assert(typeof cb == 'function', 'callback');",
  "assert('function' === typeof cb);",
  "assert(cb, 'callback required');",
  "assert.ok(typeof cb === 'function');",
  "assert.equal(typeof cb, 'function', 'callback');",
  "assert.strictEqual(typeof cb, 'function');",
  "if (typeof cb !== 'function') throw new TypeError('callback');",
  "if (!cb) { throw new Error('No callback passed'); }",
];

for (const check of CHECKS) {
  test(`a check that goes when only the file calls the function: ${check}`, (t) => {
    const r = migrateSource(fnWith(check), "lib.js", { assume: "idiomatic" });
    t.regex(r.output, /async function inner\(p\) \{/, r.output);
    t.false(r.output.includes(check), r.output);
    t.regex(r.output, /await inner\(p\)/, r.output);
  });
}

const NOT_CHECKS = [
  // Gives a missing callback a default: the function behaves without one, so it keeps the dual form.
  "if (typeof cb !== 'function') cb = function () {};",
  // Reads something else of the callback.
  "assert(cb.length === 2);",
  // The message names the callback.
  "assert(typeof cb === 'function', cb);",
  // Not node's assert.
  "check(typeof cb === 'function');",
];

for (const stmt of NOT_CHECKS) {
  test(`not a callback check (the function keeps its callback form): ${stmt}`, (t) => {
    const src = fnWith(stmt).replace("var fs = require('fs');", "var fs = require('fs');\nvar check = function () {};");
    const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
    // The callback and the statement stay (in the dual form, or unconverted when the statement reads the callback).
    t.false(/async function inner\(p\)/.test(r.output), r.output);
    t.regex(r.output, /function inner\(p, cb\) \{/, r.output);
    t.true(r.output.includes(stmt), r.output);
  });
}

test("an exported function keeps its checks and its dual form (callers elsewhere may rely on the throw)", (t) => {
  const src = fnWith("assert(typeof cb === 'function');").replace(
    "module.exports = { outer };",
    "module.exports = { outer, inner };",
  );
  const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
  t.true(r.output.includes("assert(typeof cb === 'function');"), r.output);
  t.regex(r.output, /function inner\(p, cb\) \{/, r.output);
  t.regex(r.output, /await promisify\(inner\)\(p\)/, r.output);
});

test("a function used other than by calls keeps its checks", (t) => {
  const src = fnWith("assert(typeof cb === 'function');").replace(
    "module.exports = { outer };",
    "module.exports = { outer };\nvar table = { inner: inner };",
  );
  const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
  t.true(r.output.includes("assert(typeof cb === 'function');"), r.output);
});

test("under --assume none nothing goes: the checks stay, the shuffle gets no default", (t) => {
  const src = `var fs = require('fs');
function size(p, options, cb) {
  if (typeof options === 'function') { cb = options; options = {}; }
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
module.exports = size;
`;
  const none = migrateSource(src, "lib.js", { assume: "none" });
  t.regex(none.output, /function size\(p, options, cb\)/, none.output);
  const idiomatic = migrateSource(src, "lib.js", { assume: "idiomatic" });
  t.regex(idiomatic.output, /async function size\(p, options = \{\}\)/, idiomatic.output);
  t.false(idiomatic.output.includes("typeof options"), idiomatic.output);
  t.deepEqual(idiomatic.sites[0]?.assumptions?.includes("OPTIONS_DEFAULTED"), true);
});

const SHUFFLES_KEPT = [
  // The optional argument keeps the function itself: no value to default to.
  "if (typeof options === 'function') cb = options;",
  // A value computed at the call: not a literal a default parameter can evaluate the same way.
  "if (typeof options === 'function') { cb = options; options = defaults(); }",
  // Not the first statement.
  "log(p); if (typeof options === 'function') { cb = options; options = {}; }",
];

for (const shuffle of SHUFFLES_KEPT) {
  test(`not an options shuffle the default parameter replaces: ${shuffle}`, (t) => {
    const src = `var fs = require('fs');
function log() {}
function defaults() { return {}; }
function size(p, options, cb) {
  ${shuffle}
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
module.exports = size;
`;
    const r = migrateSource(src, "lib.js", { assume: "idiomatic" });
    t.false(/async function size/.test(r.output), r.output);
    t.false((r.sites[0]?.assumptions ?? []).includes("OPTIONS_DEFAULTED" as never), r.output);
  });
}

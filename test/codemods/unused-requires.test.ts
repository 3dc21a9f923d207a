// The require of async.js goes when the migration stopped using it (codemods/transforms/unused-requires.ts), also as
// one declarator of a `var a = require('a'), b = require('b')` list (du 0.1's comma-first list): the declarator goes
// with the comma that joins it to its neighbour, and a require the input never used stays.
import test from "ava";
import { migrateSource } from "../../codemods/index.js";

const body = `
function sizes (a, b, cb) {
  async.map([a, b], function (p, done) {
    fs.stat(p, function (er, st) {
      if (er) return done(er)
      done(null, st.size)
    })
  }, cb)
}

module.exports = { sizes }
`;

for (const [head, expected] of [
  ["var async = require('async'), fs = require('fs')", "var fs = require('fs')"],
  [
    "var fs = require('fs')\n  , async = require('async')\n  , path = require('path')",
    "var fs = require('fs')\n  , path = require('path')",
  ],
  ["var fs = require('fs'), async = require('async')", "var fs = require('fs')"],
  ["var async = require('async')\nvar fs = require('fs')", "var fs = require('fs')"],
]) {
  test(`the unused async.js require goes: ${JSON.stringify(head)}`, (t) => {
    const r = migrateSource(head + body, "lib.js", { assume: "idiomatic" });
    t.true(r.output.startsWith(`${expected}\n`), r.output.slice(0, 120));
    t.false(r.output.includes("require('async')"));
  });
}

test("a require of async.js the input never used stays", (t) => {
  const head = "var async = require('async'), fs = require('fs'), spare = require('async')";
  const r = migrateSource(head + body, "lib.js", { assume: "idiomatic" });
  t.true(r.output.startsWith("var fs = require('fs'), spare = require('async')\n"), r.output.slice(0, 120));
});

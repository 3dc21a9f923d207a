// bluebird's promisification (codemods/transforms/bluebird-calls.ts): which calls are sites, and when they stay.
// Behaviour against the real bluebird 3.7.2: fixtures node-apis/bluebird-promisify-all and -refused.
import test from "ava";
import { migrateSource } from "../../codemods/index.js";

const src = (extra = "") => `var Promise = require('bluebird')
var fs = Promise.promisifyAll(require('fs'))
function text (p) {
  return fs.readFileAsync(p, 'utf8')
}
${extra}module.exports = { text }
`;

const bluebirdSites = (r: ReturnType<typeof migrateSource>) => r.sites.filter((s) => s.transform === "node-apis");

test("every …Async call converted: promisifyAll and the bluebird require go", (t) => {
  const r = migrateSource(src(), "lib.js", { assume: "idiomatic" });
  t.deepEqual(
    bluebirdSites(r).map((s) => [s.status, s.assumptions]),
    [["converted", ["BLUEBIRD_PROMISIFY_IS_UTIL", "LIBRARY_PROMISE_BECOMES_NATIVE", "PATH_NOT_DESCRIPTOR"]]],
  );
  t.true(r.output.startsWith("var fs = require('fs')\nfunction text (p) {\n  return fs.promises.readFile(p, 'utf8')"));
});

test("--assume none refuses every bluebird call and changes nothing", (t) => {
  const r = migrateSource(src(), "lib.js", { assume: "none" });
  t.deepEqual(
    bluebirdSites(r).map((s) => [s.status, s.reason]),
    [["refused", "LIBRARY_NODE_CALL"]],
  );
  t.is(r.output, src());
});

test("a file that reads isOperational keeps bluebird's errors", (t) => {
  const extra = "function known (e) { return e.isOperational }\n";
  const r = migrateSource(src(extra), "lib.js", { assume: "idiomatic" });
  t.deepEqual(
    bluebirdSites(r).map((s) => [s.status, s.reason]),
    [["refused", "NON_NATIVE_PROMISE"]],
  );
  t.is(r.output, src(extra));
});

test("…Async on an object no promisifyAll of bluebird's made is no site", (t) => {
  for (const text of [
    src().replace("require('bluebird')", "require('q')"),
    src().replace("var fs = Promise.promisifyAll(require('fs'))", "var fs = require('fs')"),
    src().replace("Promise.promisifyAll(require('fs'))", "Promise.promisifyAll(require('fs'), { suffix: 'P' })"),
    // A parameter of that name is not the promisified object; nor is a binding assigned again.
    src().replace("function text (p) {", "function text (p, fs) {"),
    src().replace("module.exports", "fs = {}\nmodule.exports"),
  ]) {
    const r = migrateSource(text, "lib.js", { assume: "idiomatic" });
    t.deepEqual(bluebirdSites(r), [], text);
  }
});

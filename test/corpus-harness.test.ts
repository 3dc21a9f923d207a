// The corpus harness's parsers and metrics (scripts/corpus-*.ts), on excerpts
// of the real outputs of the corpus packages' test runners, and the legacy
// example of the migration demo.
import test from "ava";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseMochaSpec, parseScriptLines, parseTap, parseVowsSpec, passSet } from "../scripts/corpus-parsers.js";
import { countCallbacks, readability } from "../scripts/corpus-metrics.js";
import { PROFILES, profileArgs, selectProfiles } from "../scripts/corpus-profiles.js";
import { readCorpus, readConfigs } from "../scripts/corpus-lib.js";

// tap 1.4–5.x: nested "# Subtest:" blocks, summaries 4 spaces to the left.
const TAP_NESTED = `TAP version 13
    # Subtest: test/basic.js
        # Subtest: set both to now
        ok 1 - should be equal
        ok 2 - should be equal
        1..2
    ok 1 - set both to now # time=25.94ms

        # Subtest: closeAfter=false
        ok 1 - should be equal
        not ok 2 - should be equal
          ---
          ok 3 - this is inside YAML, not a test
          ...
        1..2
    not ok 2 - closeAfter=false # time=14.1ms

        # Subtest: cleanup
        1..0
    ok 3 - cleanup # time=1.886ms

    1..3
    # time=38.039ms
not ok 1 - test/basic.js # time=218.469ms

1..1
`;

test("parseTap: leaf assertions of nested subtests, duplicates numbered, YAML skipped", (t) => {
  const r = parseTap(TAP_NESTED);
  t.deepEqual(
    r.filter((x) => x.ok).map((x) => x.id),
    [
      "test/basic.js › set both to now › should be equal",
      "test/basic.js › set both to now › should be equal #2",
      "test/basic.js › closeAfter=false › should be equal",
      // An assertion-less subtest counts as a test: it still has to end.
      "test/basic.js › cleanup [subtest]",
    ],
  );
  t.deepEqual(
    r.filter((x) => !x.ok).map((x) => x.id),
    [
      "test/basic.js › closeAfter=false › should be equal #2",
      "test/basic.js › closeAfter=false [subtest]",
      "test/basic.js [subtest]",
    ],
  );
});

test("parseTap: tape's '# name' groups, SKIP and TODO ignored, counts tail ignored", (t) => {
  const out = `TAP version 13
# normal
ok 1 rm input
# copy stuff
ok 2 copyfiles
ok 3 readdir
not ok 4 flaky # TODO later
ok 5 skipped # SKIP no network

1..5
# tests 5
# pass  4
`;
  t.deepEqual([...passSet(parseTap(out))], ["normal › rm input", "copy stuff › copyfiles", "copy stuff › readdir"]);
});

test("parseMochaSpec: suites by indentation, timings stripped, failures by number", (t) => {
  const out = `

  mv
    ✓ should rename a file on the same device
    ✓ should move folders across devices (50ms)
    1) should work across devices
    nested
      ✓ inner


  2 passing (177ms)
  1 failing

  1) mv should work across devices:
     ✓ not a test
`;
  const r = parseMochaSpec(out);
  t.deepEqual(r, [
    { id: "mv › should rename a file on the same device", ok: true },
    { id: "mv › should move folders across devices", ok: true },
    { id: "mv › should work across devices", ok: false },
    { id: "mv › nested › inner", ok: true },
  ]);
});

test("parseVowsSpec: suite and context in the id, final tally ignored", (t) => {
  const out = ` 
  ♢ nconf/common 
  
  Using nconf.common module the loadFilesSync() method
    ✓ should merge the files correctly
  Using nconf.common module the loadFiles() method
    ✓ should merge the files correctly
    ✗ should fail
  
  ✓ OK » 2 honored (0.5s)
`;
  t.deepEqual(parseVowsSpec(out), [
    {
      id: "nconf/common › Using nconf.common module the loadFilesSync() method › should merge the files correctly",
      ok: true,
    },
    {
      id: "nconf/common › Using nconf.common module the loadFiles() method › should merge the files correctly",
      ok: true,
    },
    { id: "nconf/common › Using nconf.common module the loadFiles() method › should fail", ok: false },
  ]);
});

test("parseScriptLines: rimraf's run.sh lines", (t) => {
  const r = parseScriptLines("test-async.js ...pass\ntest-sync.js ...fail\n", /^(test-\S+\.js) \.\.\.(pass|fail)$/);
  t.deepEqual(r, [
    { id: "test-async.js", ok: true },
    { id: "test-sync.js", ok: false },
  ]);
});

test("passSet: an id that both passed and failed counts as failed", (t) => {
  t.deepEqual(
    [
      ...passSet([
        { id: "a", ok: true },
        { id: "b", ok: true },
        { id: "a", ok: false },
      ]),
    ],
    ["b"],
  );
});

test("countCallbacks: callback-taking functions and err-first callbacks, not type signatures", (t) => {
  const src = `
    function touch(f, opts, cb) { fs.open(f, 'w', function (er, fd) { if (er) return cb(er); cb(null, fd); }); }
    const g = (x, done) => done();
    function h(a, b) { return a + b; }
    promise.then(null, (error) => {});
  `;
  t.deepEqual(countCallbacks("a.js", src), { takesCallback: 2, errFirst: 2, lines: 4 });
  t.is(countCallbacks("a.ts", "declare function f(cb: () => void): void;").takesCallback, 0);
});

test("the corpus list and the per-package config agree", (t) => {
  const entries = readCorpus();
  const configs = readConfigs();
  t.true(entries.length >= 23, `${entries.length} packages`);
  t.is(new Set(entries.map((e) => e.name)).size, entries.length);
  for (const e of entries) {
    t.regex(e.integrity, /^sha512-[A-Za-z0-9+/]+=*$/, e.spec);
    t.truthy(configs[e.name], `corpus/packages.json has no entry for ${e.name}`);
  }
});

test("the legacy example of the migration demo passes its own tests", (t) => {
  const dir = fileURLToPath(new URL("../examples/legacy/", import.meta.url));
  const out = execFileSync(process.execPath, ["test/run.js"], { cwd: dir, encoding: "utf8" });
  const r = parseTap(out);
  t.true(r.length >= 10);
  t.deepEqual(
    r.filter((x) => !x.ok),
    [],
  );
});

test("the migration demo keeps the legacy tests passing and leaves examples/legacy untouched", async (t) => {
  const { main } = await import("../examples/migrate-demo.js");
  const lines: string[] = [];
  // main() itself throws if examples/legacy was modified.
  const r = await main({ log: (s) => lines.push(s) });
  t.true(r.totalTests >= 10);
  t.is(r.testsBefore, r.totalTests);
  t.true(r.samePassSet, lines.join("\n"));
  t.is(r.sites, r.converted + Object.values(r.refused).reduce((a, b) => a + b, 0));
  t.true(lines.some((l) => l.includes("exactly the same tests pass")));
});

test("countCallbacks: the codemod's helpers and adapters are not the package's code", (t) => {
  const src = `
    function save(file, text, callback) {
      const started = __asyncioStart((done) => fs.writeFile(file, text, done));
      return __asyncioDual(callback, async () => {
        fs.stat(file, function (err, st) {});
        return await started;
      }, 1);
    }
    function __asyncioDual(cb, run, arity = 2) { promise.then((value) => {}, (error) => {}); }
    function __asyncioStart(start) { settle = (error, value) => {}; }
  `;
  t.deepEqual({ ...countCallbacks("a.js", src), lines: 0 }, { takesCallback: 1, errFirst: 1, lines: 0 });
});

test("readability: helper lines, converted functions, callback hops between converted functions", (t) => {
  const src = `var fs = require('fs');
function size(p, cb) {
  const started = __asyncioStart((done) => fs.stat(p, done));
  return __asyncioDual(cb, async () => (await started).size);
}
function twice(p, cb) {
  const started = __asyncioStart((done) => size(p, done));
  return __asyncioDual(cb, async () => 2 * (await started));
}
async function direct(p) { return 3 * (await size(p)); }
function plain(p, cb) { size(p, cb); }
function viaPromisify(p, cb) {
  return __asyncioDual(cb, async () => (await promisify(size)(p)) + (await util.promisify(o.twice).call(o, p)));
}
async function notConverted(p) { return promisify(fs.stat)(p); }

// Added by asyncio-ts migrate: a helper.
function __asyncioDual(cb, run) {
  return run();
}
function __asyncioStart(start) { return start; }
`;
  t.deepEqual(readability("a.js", src), { helperLines: 5, convertedFunctions: 5, callbackHops: 3 });
});

test("profiles: --assume when the CLI has it, the closest option or its default before", (t) => {
  const [none, idiomatic, errFirst] = PROFILES;
  t.deepEqual(profileArgs(errFirst!, "  --assume <profile>  …"), { args: ["--assume", "err-first"] });
  t.deepEqual(profileArgs(none!, "  --assume-err-first"), { args: [] });
  t.deepEqual(profileArgs(errFirst!, "  --assume-err-first").args, ["--assume-err-first"]);
  t.deepEqual(profileArgs(idiomatic!, "  --assume-err-first").args, []);
  t.true(idiomatic!.verify && errFirst!.verify && !none!.verify);
  t.deepEqual(
    selectProfiles("err-first,none").map((p) => p.name),
    ["none", "err-first"],
  );
  t.throws(() => selectProfiles("bogus"), { message: /unknown profile/ });
});

test("parseMochaSpec: mocha 1.x erases its '◦ title' line and ends with 'N tests complete'", (t) => {
  const out =
    "\n  find-up\n    ◦ accept a function: \x1b[2K\x1b[0G    ✓ accept a function \n" +
    "    ◦ fails: \x1b[2K\x1b[0G\x1b[31m    1) fails\x1b[0m\n\n  ✔ 1 of 2 tests failed\n";
  t.deepEqual(parseMochaSpec(out), [
    { id: "find-up › accept a function", ok: true },
    { id: "find-up › fails", ok: false },
  ]);
});

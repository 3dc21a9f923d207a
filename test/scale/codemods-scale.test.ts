// The migration tool at sizes where quadratic behaviour would show (issue #19), without timing: the work is
// the number of calls into the codemods' own functions (codemods/**), counted by V8's precise coverage
// (exact and repeatable for the same input), per function of the input or per file of the project, at n and
// at 4n. A linear tool spends the same per item at both; a walk of the whole file per converted function, or a
// round that looks at every file when one changed, would cost 4x per item at 4n. The CLI's time and memory
// on files of 10 KB to 5 MB are measured in `npm run bench -- --scaling` (bench/codemod-file-size.ts).
import test from "ava";
import { Session } from "node:inspector/promises";
import { migrateProject, migrateSource, type FileResult, type ProjectFile } from "../../codemods/index.js";
import { generatedFile } from "../../bench/codemod-tree.js";

const session = new Session();
session.connect();
await session.post("Profiler.enable");

/** Calls into codemods/ functions while `run` runs, and its value. */
async function callsDuring<T>(run: () => T): Promise<{ calls: number; value: T }> {
  await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
  try {
    const value = run();
    const { result } = await session.post("Profiler.takePreciseCoverage");
    let calls = 0;
    for (const script of result)
      if (script.url.includes("/codemods/")) for (const f of script.functions) calls += f.ranges[0]!.count;
    return { calls, value };
  } finally {
    await session.post("Profiler.stopPreciseCoverage");
  }
}

const converted = (rs: readonly FileResult[]): number =>
  rs.filter((r) => r.sites.some((s) => s.status === "converted")).length;

/** Files f0 → f1 → … → f(n-1), each calling the next one's export with a callback: n rounds of the engine. */
function requireChain(n: number): ProjectFile[] {
  return Array.from({ length: n }, (_, i) => ({
    file: `/p/f${i}.js`,
    text:
      i === n - 1
        ? "var fs = require('fs');\nmodule.exports = function f(p, cb) {\n  fs.stat(p, function (err, st) {\n    if (err) return cb(err);\n    cb(null, st.size);\n  });\n};\n"
        : `const next = require('./f${i + 1}');\nmodule.exports = function f(p, cb) {\n  next(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n);\n  });\n};\n`,
  }));
}

test.serial("one file of 200 and of 800 functions: the same work per function", async (t) => {
  const per = async (functions: number) => {
    const { calls, value } = await callsDuring(() => migrateSource(generatedFile(0, 1, functions), "/p/big.js"));
    t.true(value.sites.filter((s) => s.status === "converted").length > functions / 2);
    return calls / functions;
  };
  const small = await per(200);
  const large = await per(800);
  t.true(large / small < 1.5, `${small.toFixed(0)} calls per function at 200, ${large.toFixed(0)} at 800`);
});

test.serial("a call chain across 150 and 600 files: 600 rounds, the same work per file", async (t) => {
  const per = async (n: number) => {
    const { calls, value } = await callsDuring(() => migrateProject(requireChain(n), { assume: "err-first" }));
    t.is(converted(value), n, "every file of the chain converts");
    return calls / n;
  };
  const small = await per(150);
  const large = await per(600);
  t.true(large / small < 1.5, `${small.toFixed(0)} calls per file at 150, ${large.toFixed(0)} at 600`);
});

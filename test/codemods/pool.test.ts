// The project rounds and the --jobs pool (codemods/rounds.ts, codemods/pool.ts): a round migrates only
// the files whose cross-file knowledge changed, workers give the same results as the main thread, and
// --jobs starts no more workers than the run can use. Byte-identical output of the CLI itself is
// checked by bench/codemod-snapshot.ts (before/after trees) and by cli.test.ts (--jobs 1 against 2).
import test from "ava";
import * as path from "node:path";
import { driveRounds, makeIndex, migrateProject, migrateRound, type ProjectFile } from "../../codemods/engine.js";
import { MigratePool, workerCount } from "../../codemods/pool.js";
import { generatedFile } from "../../bench/codemod-tree.js";

const dir = path.resolve("/virtual/pool-test");
const size = `var fs = require("fs");\nfunction size(p, cb) {\n  fs.stat(p, function (er, st) {\n    if (er) return cb(er);\n    cb(null, st.size);\n  });\n}\nmodule.exports = { size };\n`;
const user = `var a = require("./a");\nfunction twice(p, cb) {\n  a.size(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n * 2);\n  });\n}\nmodule.exports = { twice };\n`;
const alone = `function later(x, cb) {\n  setImmediate(function () { cb(null, x); });\n}\nmodule.exports = later;\n`;
const files: ProjectFile[] = [
  { file: path.join(dir, "a.js"), text: size },
  { file: path.join(dir, "b.js"), text: user },
  { file: path.join(dir, "c.js"), text: alone },
];

test("a round migrates only the files whose cross-file knowledge changed", async (t) => {
  const todos: string[][] = [];
  const results = await driveRounds(files, (knowledge, todo) => {
    todos.push(todo.map((f) => path.basename(f.file)));
    return migrateRound(todo, {}, makeIndex(knowledge));
  });
  t.deepEqual(todos[0], ["a.js", "b.js", "c.js"], "round 1 migrates every file");
  t.deepEqual(todos[1], ["b.js"], "round 2: only the file that calls a converted export of another file");
  t.true(todos.length <= 3);
  t.deepEqual(results, migrateProject(files), "the same results as migrateProject");
  t.regex(results[1]!.output, /await a\.size\(p\)/, "the cross-file call awaits the converted export");
});

test("the pool's workers give the main thread's results (worker threads from the TypeScript source)", async (t) => {
  // A generated tree with cross-file calls (each file calls its neighbour's export) and a barrel-free chain.
  const tree: ProjectFile[] = Array.from({ length: 12 }, (_, n) => ({
    file: path.join(dir, `d0/m${n}.js`),
    text: generatedFile(n, 12, 6),
  }));
  const pool = new MigratePool(1, { mainThread: false });
  let progressed = 0;
  try {
    const viaWorker = await driveRounds(tree, (knowledge, todo) =>
      pool.round(todo, {}, knowledge, (n) => {
        progressed += n;
      }),
    );
    t.deepEqual(viaWorker, migrateProject(tree));
    t.true(pool.migratedByWorkers >= tree.length, "every file of round 1 went through the worker");
    t.is(progressed, pool.migratedByWorkers);
    t.true(viaWorker.some((r) => /sibling\.load0\(/.test(r.output) && /await/.test(r.output)));
  } finally {
    await pool.close();
  }
});

test("--jobs n starts n - 1 workers (the main thread migrates too), none for a small run", (t) => {
  t.is(workerCount(1, 10_000), 0, "--jobs 1: the main thread alone");
  t.is(workerCount(2, 30), 0, "30 files do not repay a worker's start-up");
  t.is(workerCount(2, 47), 0);
  t.is(workerCount(2, 48), 1);
  t.is(workerCount(2, 200), 1);
  t.is(workerCount(4, 72), 2, "72 files: two workers and the main thread");
  t.is(workerCount(4, 10_000), 3);
});

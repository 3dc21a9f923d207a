// async.js collection calls in converted code → Promise.all (codemods/transforms/callbacks/async-collections.ts):
// the rewrite happens only with an array in evidence and an iterator the run converted; the helpers it no longer
// needs go; and, with the real async package (the fixtures' copy), random collections, delays and failures give
// the same results, errors and callback counts before and after.
import test from "ava";
import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { migrateSource } from "../../codemods/index.js";

const ASYNC = path.resolve(import.meta.dirname, "../fixtures/codemods/callbacks/known-package-async/modules/async");

const HEAD = "var fs = require('fs')\nvar async = require('async')\n";
const mapOver = (
  coll: string,
  iterBody = "fs.stat(f, function (err, st) {\n      if (err) return done(err)\n      done(null, st.size)\n    })",
) =>
  `${HEAD}function sizes(files, cb) {\n  var list = ${coll}\n  async.map(list, function (f, done) {\n    ${iterBody}\n  }, function (err, out) {\n    if (err) return cb(err)\n    cb(null, out)\n  })\n}\nmodule.exports = sizes\n`;

const migrate = (text: string) => migrateSource(text, "/p/a.js", { assume: "idiomatic" }).output;

test("an array in evidence: Promise.all, and the dual helper and promisify go when nothing else uses them", (t) => {
  const out = migrate(mapOver("Array.from(files)"));
  t.regex(
    out,
    /const out = await Promise\.all\(list\.map\(async function \(f\) \{\n\s+const st = await fs\.promises\.stat\(f\);\n\s+return st\.size;\n\s+\}\)\);/,
  );
  t.notRegex(out, /__asyncioDual|promisify/);
});

test("without an array in evidence: Array.from under COLLECTION_IS_ARRAY_LIKE, recorded on the iterator's site", (t) => {
  for (const [label, coll] of [
    ["a parameter", "files"],
    ["a string's slice", "files.slice()"],
    ["reassigned", "Array.from(files)\n  list = files"],
  ] as const) {
    const r = migrateSource(mapOver(coll), "/p/a.js", { assume: "idiomatic" });
    t.regex(r.output, /const out = await Promise\.all\(Array\.from\(list, async function \(f\) \{/, label);
    const iterator = r.sites.find((s) => s.name === "(anonymous)");
    t.deepEqual(iterator?.assumptions, ["COLLECTION_IS_ARRAY_LIKE", "SYNC_THROW_BECOMES_REJECTION"], label);
  }
  const proven = migrateSource(mapOver("Array.from(files)"), "/p/a.js", { assume: "idiomatic" });
  t.false(proven.sites.some((s) => s.assumptions?.includes("COLLECTION_IS_ARRAY_LIKE")));
  // --assume none: no assumption, no rewrite.
  t.notRegex(migrateSource(mapOver("files"), "/p/a.js", { assume: "none" }).output, /Promise\.all/);
});

test("no rewrite with an object or a string in evidence, or an iterator reading arguments", (t) => {
  for (const [label, text] of [
    ["an object", mapOver("{ a: 1 }")],
    ["a string", mapOver("'abc'")],
    [
      "arguments",
      mapOver(
        "Array.from(files)",
        "fs.stat(arguments[0], function (err, st) {\n      if (err) return done(err)\n      done(null, st.size)\n    })",
      ),
    ],
  ] as const) {
    const r = migrateSource(text, "/p/a.js", { assume: "idiomatic" });
    t.regex(r.output, /await promisify\(async\.map\)\.call\(async, list,/, label);
    t.regex(r.output, /function __asyncioDual/, label);
    t.false(
      r.sites.some((s) => s.assumptions?.includes("COLLECTION_IS_ARRAY_LIKE")),
      label,
    );
  }
});

test("async.each becomes Promise.all only where its value is not used", (t) => {
  const each = (use: string) =>
    `${HEAD}function touch(files, cb) {\n  async.each(Array.from(files), function (f, done) {\n    fs.writeFile(f, '', done)\n  }, function (err${use ? ", r" : ""}) {\n    if (err) return cb(err)\n    cb(null${use ? ", r" : ""})\n  })\n}\nmodule.exports = touch\n`;
  t.regex(migrate(each("")), /await Promise\.all\(Array\.from\(files\)\.map\(async function \(f\) \{/);
  t.notRegex(migrate(each("r")), /Promise\.all/);
});

test("an iterator's callback named otherwise (next) is one by async.js's contract, where the rewrite follows", (t) => {
  const touch = (coll: string) =>
    `${HEAD}function touch(files, cb) {\n  async.each(${coll}, function (f, next) { fs.writeFile(f, 'x', next) }, function (err) {\n    if (err) return cb(err)\n    cb(null, files.length)\n  })\n}\nmodule.exports = touch\n`;
  const out = migrate(touch("Array.from(files)"));
  t.regex(
    out,
    /await Promise\.all\(Array\.from\(files\)\.map\(async function \(f\) \{\n\s+return await fs\.promises\.writeFile\(f, 'x'\);/,
  );
  t.notRegex(out, /__asyncioDual|promisify/);
  // Over an object the iterator would only gain the dual wrapper: it is left as it was.
  t.regex(
    migrate(touch("{ a: 1 }")),
    /promisify\(async\.each\)\.call\(async, \{ a: 1 \}, function \(f, next\) \{ fs\.writeFile\(f, 'x', next\) \}\)/,
  );
});

test("eachSeries and mapSeries become loops over the iterator's inlined body", (t) => {
  const series = `${HEAD}function touchAll(files, cb) {
  async.eachSeries(Array.from(files), function (f, done) {
    if (!f) return done()
    fs.writeFile(f, 'x', function (err) {
      if (err) return done(err)
      done()
    })
  }, function (err) {
    if (err) return cb(err)
    cb(null, files.length)
  })
}
function sizes(files, cb) {
  async.mapSeries(files, function (f, done) {
    if (!f) return done(null, 0)
    fs.stat(f, function (err, st) {
      if (err) return done(err)
      done(null, st.size)
    })
  }, function (err, out) {
    if (err) return cb(err)
    cb(null, out)
  })
}
module.exports = { touchAll, sizes }
`;
  const r = migrateSource(series, "/p/a.js", { assume: "idiomatic" });
  t.regex(
    r.output,
    /for \(const f of Array\.from\(files\)\) \{\n {4}if \(!f\) continue;\n {4}await fs\.promises\.writeFile\(f, 'x'\);\n {2}\}/,
  );
  t.regex(
    r.output,
    /const out = \[\];\n {2}for \(const f of Array\.from\(files\)\) \{\n {4}if \(!f\) \{ out\.push\(0\); continue; \}\n {4}const st = await fs\.promises\.stat\(f\);\n {4}out\.push\(st\.size\);\n {2}\}\n {2}return out;/,
  );
  t.notRegex(r.output, /__asyncioDual|promisify/);
  // The proven one (Array.from(files)) records nothing; the parameter's iterator records the assumption.
  const iterators = r.sites.filter((s) => s.name === "(anonymous)").map((s) => s.assumptions ?? []);
  t.deepEqual(
    iterators.map((a) => a.includes("COLLECTION_IS_ARRAY_LIKE")),
    [false, true],
  );
});

test("a body a loop cannot hold keeps the promisified eachSeries: this, var, a return inside a loop", (t) => {
  const each = (body: string) =>
    `${HEAD}function run(files, cb) {\n  async.eachSeries(Array.from(files), function (f, done) {\n${body}\n  }, function (err) {\n    if (err) return cb(err)\n    cb(null)\n  })\n}\nmodule.exports = run\n`;
  for (const [label, body] of [
    ["this", "    fs.writeFile(this.dir + f, 'x', function (err) { done(err) })"],
    ["var", "    var p = f + '.txt'\n    fs.writeFile(p, 'x', function (err) { done(err) })"],
  ] as const) {
    const out = migrate(each(body));
    t.regex(out, /promisify\(async\.eachSeries\)/, label);
    t.notRegex(out, /for \(const f of/, label);
  }
});

test("an iterator declared inside the function (nconf's parseFile) is converted too, awaited through the map", (t) => {
  // The outer conversion calls parseFile without a callback; the next pass converts parseFile itself and must
  // not read that call as a use of a value (it used to refuse parseFile, RETURNS_VALUE, and the call crashed).
  const text = `var fs = require('fs')
var async = require('async')
exports.loadFiles = function (files, callback) {
  function parseFile (file, next) {
    fs.readFile(file, function (err, data) {
      return !err ? next(null, JSON.parse(data.toString())) : next(err);
    });
  }
  async.map(files, parseFile, function (err, objs) {
    return err ? callback(err) : callback(null, objs);
  });
};
`;
  const r = migrateSource(text, "/p/a.js", { assume: "idiomatic" });
  t.regex(r.output, /await Promise\.all\(Array\.from\(files, async \(file\) => parseFile\(file\)\)\)/);
  t.deepEqual(
    r.sites.map((s) => s.status),
    ["converted", "converted"],
  );
});

test("the inlined body keeps a multi-line template literal's white space", (t) => {
  const text = `${HEAD}function writeAll(files, cb) {
  async.eachSeries(Array.from(files), function (f, done) {
    fs.writeFile(f, \`a
      b\`, function (err) {
      if (err) return done(err)
      done()
    })
  }, function (err) {
    if (err) return cb(err)
    cb(null)
  })
}
module.exports = writeAll
`;
  const out = migrate(text);
  t.regex(out, /for \(const f of Array\.from\(files\)\) \{/);
  t.true(out.includes("`a\n      b`"), out);
});

test("async.parallel and async.series over an array of tasks: Promise.all of their bodies, or each awaited in turn", (t) => {
  const tasks = (fn: string, tail: string) => `${HEAD}function both(a, b, cb) {
  async.${fn}([
    function (next) {
      fs.readFile(a, 'utf8', function (err, text) {
        if (err) return next(err)
        next(null, text.trim())
      })
    },
    function (callback) {
      fs.stat(b, function (err, st) {
        if (err) return callback(err)
        callback(null, st.size)
      })
    },
  ], function (err${tail ? ", results" : ""}) {
    if (err) return cb(err)
    cb(null${tail})
  })
}
module.exports = both
`;
  const parallel = migrate(tasks("parallel", ", results[0] + results[1]"));
  t.regex(
    parallel,
    /const results = await Promise\.all\(\[\n {4}\(async \(\) => \{\n {6}const text = await fs\.promises\.readFile\(a, 'utf8'\);\n {6}return text\.trim\(\);\n {4}\}\)\(\),/,
  );
  t.notRegex(parallel, /__asyncioDual|promisify/);
  const series = migrate(tasks("series", ", results[0] + results[1]"));
  t.regex(series, /const results = \[\n {4}await \(async \(\) => \{/);
  // As a statement of its own: one awaited body per statement (a line starting with `[` would continue the one
  // above in code without semicolons).
  const statement = migrate(tasks("series", ""));
  t.regex(statement, /\n {2}await \(async \(\) => \{\n {4}const text = [\s\S]*\}\)\(\);\n {2}await \(async \(\) => \{/);
  t.notRegex(statement, /^\s*\[/m);
  // A task reading `this` keeps the promisified call.
  t.regex(
    migrate(tasks("parallel", "").replace("fs.readFile(a,", "fs.readFile(this.a,")),
    /promisify\(async\.parallel\)/,
  );
});

test("mapLimit / eachLimit: a small pool added once to the file; a limit that is not a whole number literal ≥ 1 stays", (t) => {
  const limited = (fn: string, limit: string, use: string) => `${HEAD}function run(files, cb) {
  async.${fn}(files, ${limit}, function (f, done) {
    fs.stat(f, function (err, st) {
      if (err) return done(err)
      done(null, st.size)
    })
  }, function (err${use ? ", out" : ""}) {
    if (err) return cb(err)
    cb(null${use ? ", out" : ""})
  })
}
function again(files, cb) {
  async.mapLimit(files, 2, function (f, done) {
    fs.stat(f, function (err, st) { if (err) return done(err); done(null, st.mode) })
  }, cb)
}
module.exports = { run, again }
`;
  const out = migrate(limited("mapLimit", "4", "out"));
  t.regex(out, /const out = await __asyncioMapLimit\(files, 4, async function \(f\) \{/);
  t.is(out.split("async function __asyncioMapLimit(").length - 1, 1, "one helper for two calls");
  t.notRegex(out, /__asyncioDual/);
  t.regex(migrate(limited("eachLimit", "4", "")), /\n {2}await __asyncioMapLimit\(files, 4, async function \(f\) \{/);
  for (const limit of ["0", "n", "1.5"])
    t.regex(migrate(limited("mapLimit", limit, "out")), /promisify\(async\.mapLimit\)/, limit);
});

// The property: a function mapping a random array through async.map with random delays and failures, before
// and after, called with the real async package. Same values in the same order, the same first error, one call.
const SUBJECT = `var async = require('async')
var delayed = require('./delayed')
function run(items, cb) {
  var list = Array.from(items)
  async.map(list, function (item, done) {
    delayed(item, function (err, v) {
      if (err) return done(err)
      done(null, v * 2)
    })
  }, function (err, out) {
    if (err) return cb(err)
    cb(null, out)
  })
}
module.exports = run
`;
/** The same through async.mapSeries, logging when each item starts. */
const SERIES_SUBJECT = `var async = require('async')
var delayed = require('./delayed')
function run(items, cb) {
  var log = []
  async.mapSeries(items, function (item, done) {
    log.push(item.v)
    delayed(item, function (err, v) {
      if (err) return done(err)
      done(null, v * 2)
    })
  }, function (err, out) {
    if (err) return cb(err)
    cb(null, { out: out, log: log })
  })
}
module.exports = run
`;
/** The same through async.mapLimit(items, 2, …): at most two at once, started in order. */
const LIMIT_SUBJECT = SERIES_SUBJECT.replace(
  "async.mapSeries(items, function",
  "async.mapLimit(items, 2, function",
).replace("delayed(item, function (err, v) {", "delayed(item, function (err, v) {\n      log.push('end ' + item.v)");
/** The first three items through async.parallel and async.series tasks (the array of tasks is literal). */
const TASKS_SUBJECT = (fn: string) => `var async = require('async')
var delayed = require('./delayed')
function run(items, cb) {
  var log = []
  async.${fn}([
    function (next) { log.push(0); delayed(items[0], function (err, v) { if (err) return next(err); next(null, v) }) },
    function (next) { log.push(1); delayed(items[1], function (err, v) { if (err) return next(err); next(null, v + 1) }) },
    function (next) { log.push(2); delayed(items[2], function (err, v) { if (err) return next(err); next(null, v + 2) }) },
  ], function (err, out) {
    if (err) return cb(err)
    cb(null, { out: out, log: log })
  })
}
module.exports = run
`;
/**
 * The first three items through async.waterfall: each task's value handed to the next (the middle one drops it).
 * The outer two tasks both declare `v`, so their bodies stay async arrows; the middle one is inlined.
 */
const WATERFALL_SUBJECT = `var async = require('async')
var delayed = require('./delayed')
function run(items, cb) {
  var log = []
  async.waterfall([
    function (next) { log.push(0); delayed(items[0], function (err, v) { if (err) return next(err); next(null, v) }) },
    function (first, next) {
      log.push(1, first)
      delayed(items[1], function (err, w) { if (err) return next(err); log.push(w); next(null) })
    },
    function (next) { log.push(2); delayed(items[2], function (err, v) { if (err) return next(err); next(null, v + 2) }) },
  ], function (err, out) {
    if (err) return cb(err)
    cb(null, { out: out, log: log })
  })
}
module.exports = run
`;
/**
 * Calls back after 1 + `item.delay` turns of the event loop, never synchronously (an err-first callee, as the
 * err-first profile assumes; setImmediate hops: an order fixed by the hops and the calls' order, where timers of a
 * few milliseconds would race on a loaded machine), with an error when `item.fail`.
 */
/**
 * Each of async.whilst / until / doWhilst / doUntil over the items, one at a time: the loop's test reads the
 * index and the sum so far (the doWhilst/doUntil forms run their body once before it), a failing item ends it.
 */
const LOOP_SUBJECT = (fn: string) => {
  const test =
    fn === "whilst" || fn === "doWhilst" ? "i < items.length && sum < 150" : "i >= items.length || sum >= 150";
  const body = `function (next) {
    var item = items[i++]
    if (!item) return next()
    log.push(item.v)
    delayed(item, function (err, v) {
      if (err) return next(err)
      sum += v
      next()
    })
  }`;
  const args = fn.startsWith("do")
    ? `${body}, function () { return ${test} }`
    : `function () { return ${test} }, ${body}`;
  return `var async = require('async')
var delayed = require('./delayed')
function run(items, cb) {
  var log = []
  var i = 0
  var sum = 0
  async.${fn}(${args}, function (err) {
    if (err) return cb(err)
    cb(null, { sum: sum, log: log })
  })
}
module.exports = run
`;
};
const LOOPS = ["whilst", "until", "doWhilst", "doUntil"];
const DELAYED = `module.exports = function (item, cb) {
  var hops = item.delay
  setImmediate(function hop() {
    if (hops-- > 0) return setImmediate(hop)
    item.fail ? cb(new Error('bad ' + item.v)) : cb(null, item.v)
  })
}
`;

test("property: async.map, mapSeries, mapLimit, parallel, series, waterfall, whilst, until, doWhilst and doUntil and their rewrites give the same outcome for random schedules and failures", async (t) => {
  // `delayed` is another module's: an err-first callee by assumption (the err-first profile).
  const converted = migrateSource(SUBJECT, "/p/a.js", { assume: "err-first" }).output;
  t.regex(converted, /Promise\.all/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-async-collections-"));
  fs.cpSync(ASYNC, path.join(dir, "node_modules/async"), { recursive: true, dereference: true });
  fs.writeFileSync(path.join(dir, "before.js"), SUBJECT);
  fs.writeFileSync(path.join(dir, "after.js"), converted);
  fs.writeFileSync(path.join(dir, "delayed.js"), DELAYED);
  const seriesConverted = migrateSource(SERIES_SUBJECT, "/p/a.js", { assume: "err-first" }).output;
  t.regex(seriesConverted, /for \(const item of Array\.from\(items\)\)/);
  fs.writeFileSync(path.join(dir, "series-before.js"), SERIES_SUBJECT);
  fs.writeFileSync(path.join(dir, "series-after.js"), seriesConverted);
  const limitConverted = migrateSource(LIMIT_SUBJECT, "/p/a.js", { assume: "err-first" }).output;
  t.regex(limitConverted, /await __asyncioMapLimit\(items, 2, async function \(item\)/);
  fs.writeFileSync(path.join(dir, "limit-before.js"), LIMIT_SUBJECT);
  fs.writeFileSync(path.join(dir, "limit-after.js"), limitConverted);
  for (const fn of ["parallel", "series"]) {
    const text = TASKS_SUBJECT(fn);
    const converted = migrateSource(text, "/p/a.js", { assume: "err-first" }).output;
    t.regex(converted, fn === "parallel" ? /Promise\.all\(\[/ : /\[\n\s+await \(async/, fn);
    fs.writeFileSync(path.join(dir, `tasks-${fn}-before.js`), text);
    fs.writeFileSync(path.join(dir, `tasks-${fn}-after.js`), converted);
  }
  const waterfallConverted = migrateSource(WATERFALL_SUBJECT, "/p/a.js", { assume: "err-first" }).output;
  t.regex(waterfallConverted, /const first = await \(async \(\) => \{/);
  t.regex(waterfallConverted, /\n {2}log\.push\(1, first\)\n {2}const w = await promisify\(delayed\)\(items\[1\]\);/);
  t.notRegex(waterfallConverted, /async\.waterfall|__asyncioDual/);
  fs.writeFileSync(path.join(dir, "waterfall-before.js"), WATERFALL_SUBJECT);
  fs.writeFileSync(path.join(dir, "waterfall-after.js"), waterfallConverted);
  for (const fn of LOOPS) {
    const text = LOOP_SUBJECT(fn);
    const converted = migrateSource(text, "/p/a.js", { assume: "err-first" }).output;
    t.regex(converted, fn.startsWith("do") ? /\n {2}do \{\n/ : /\n {2}while \(/, fn);
    t.notRegex(converted, /async\.|__asyncioDual/, fn);
    fs.writeFileSync(path.join(dir, `loop-${fn}-before.js`), text);
    fs.writeFileSync(path.join(dir, `loop-${fn}-after.js`), converted);
  }
  const require = createRequire(path.join(dir, "x.js"));
  const before = require("./before.js");
  const after = require("./after.js");
  const seriesBefore = require("./series-before.js");
  const seriesAfter = require("./series-after.js");
  const limitBefore = require("./limit-before.js");
  const limitAfter = require("./limit-after.js");
  const tasksBefore = ["parallel", "series"].map((fn) => require(`./tasks-${fn}-before.js`));
  const tasksAfter = ["parallel", "series"].map((fn) => require(`./tasks-${fn}-after.js`));
  const waterfallBefore = require("./waterfall-before.js");
  const waterfallAfter = require("./waterfall-after.js");
  const loopsBefore = LOOPS.map((fn) => require(`./loop-${fn}-before.js`));
  const loopsAfter = LOOPS.map((fn) => require(`./loop-${fn}-after.js`));
  const outcome = (fn: (items: unknown[], cb: (...a: unknown[]) => void) => void, items: unknown[]) =>
    new Promise<unknown>((resolve) => {
      let calls = 0;
      const got: unknown[] = [];
      fn(items, (err, value) => {
        calls++;
        got.push(err ? { error: (err as Error).message } : { value });
      });
      // Every item takes at most 4 turns (6 items one after the other with mapSeries: 30): 200 turns later every
      // call back, and any second one, has happened.
      let turns = 200;
      const turn = (): void => void (turns-- > 0 ? setImmediate(turn) : resolve({ calls, got }));
      turn();
    });
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ v: fc.integer({ min: 0, max: 99 }), delay: fc.integer({ min: 0, max: 4 }), fail: fc.boolean() }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        async (items) => {
          // Two failures that fire in the same timer tick are reported in timer order by both.
          t.deepEqual(await outcome(after, items), await outcome(before, items));
          // mapSeries: also the order in which the items start (one after the other's callback).
          t.deepEqual(await outcome(seriesAfter, items), await outcome(seriesBefore, items));
          // mapLimit: at most two at once, in order.
          t.deepEqual(await outcome(limitAfter, items), await outcome(limitBefore, items));
          // parallel and series of three literal tasks over the first three items.
          for (const i of [0, 1])
            if (items.length >= 3)
              t.deepEqual(await outcome(tasksAfter[i], items), await outcome(tasksBefore[i], items));
          // waterfall: the values handed on and the order the tasks start, stopping at the first error.
          if (items.length >= 3)
            t.deepEqual(await outcome(waterfallAfter, items), await outcome(waterfallBefore, items));
          // whilst, until, doWhilst, doUntil: which items run, in order, until the test or an error ends the loop.
          for (const i of LOOPS.keys())
            t.deepEqual(await outcome(loopsAfter[i], items), await outcome(loopsBefore[i], items), LOOPS[i]);
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Property: on random dual-mode programs (touch 1.0's shape: every step `cb ? fs.stat(p, k(x, cb)) :
// k(x)(null, fs.statSync(p))`), the split (codemods/transforms/callbacks/dual-mode.ts) converts every site and keeps
// both modes: called without a callback, input and output return the same value or throw the same error (its code and
// the decorations the error branches add); called with one, both call it back once, on a later tick, with the same
// arguments. The file system is a fake one (random files and sizes, its callbacks on a later tick), handed in as
// `require('fs')`. CODEMOD_PROPERTY_RUNS=n runs more programs, CODEMOD_PROPERTY_SEED=s another seed.
import test from "ava";
import fc from "fast-check";
import * as util from "node:util";
import { migrateSource } from "../../codemods/index.js";

const runs = Number(process.env.CODEMOD_PROPERTY_RUNS ?? 60);
const seed = Number(process.env.CODEMOD_PROPERTY_SEED ?? 20261204);

/** One step of the chain: a guard that skips ahead, the fs call, and what its continuation does. */
interface Step {
  /** `if (x > guard) return stepN(x, cb)` before the call (undefined: none). */
  guard: number | undefined;
  file: number;
  /** The error branch decorates the error before calling back (`er.step = i`). */
  decorate: boolean;
  /** Chooses between two next steps by parity (`return x % 2 ? a : b`), else one. */
  branch: boolean;
}

interface Program {
  steps: Step[];
  shuffle: boolean;
  /** Sizes of the fake files f0…f3; undefined: missing. */
  files: (number | undefined)[];
}

const programArb: fc.Arbitrary<Program> = fc.record({
  steps: fc.array(
    fc.record({
      guard: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      file: fc.integer({ min: 0, max: 3 }),
      decorate: fc.boolean(),
      branch: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  shuffle: fc.boolean(),
  files: fc.array(fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
});

function print(p: Program): string {
  const n = p.steps.length;
  const next = (i: number) => (i + 1 < n ? `step${i + 1}` : "finish");
  const lines = ['var fs = require("fs")', "", "module.exports = step0", ""];
  p.steps.forEach((s, i) => {
    const head = i === 0 && p.shuffle ? ["  if (typeof x === 'function') cb = x, x = 1"] : [];
    lines.push(`function step${i} (x, cb) {`, ...head);
    if (s.guard !== undefined) lines.push(`  if (x > ${s.guard}) return ${next(i)}(x, cb)`);
    lines.push(
      "  return cb",
      `       ? fs.stat("f${s.file}", k${i}(x, cb))`,
      `       : k${i}(x)(null, fs.statSync("f${s.file}"))`,
      "}",
      "",
      `function k${i} (x, cb) { return function (er, st${i}) {`,
      s.decorate ? `  if (er) {\n    er.step = ${i}\n    return cb(er)\n  }` : "  if (er) return cb(er)",
      // Only a later step may be the branch's other target, so the chain always ends.
      s.branch && i + 2 <= n
        ? `  return (x + st${i}.size) % 2 ? ${next(i)}(x + st${i}.size, cb) : ${next(i + 1)}(x * 2, cb)`
        : `  return ${next(i)}(x + st${i}.size, cb)`,
      "}}",
      "",
    );
  });
  lines.push("function finish (x, cb) {", "  return cb ? cb(null, x) : x", "}", "");
  return lines.join("\n");
}

/** A fake fs: stat / statSync over the program's files; callbacks and promises settle on a later tick. */
function fakeFs(files: (number | undefined)[]) {
  const lookup = (name: string) => {
    const size = files[Number(name.slice(1))];
    if (size === undefined) throw Object.assign(new Error(`ENOENT: ${name}`), { code: "ENOENT" });
    return { size };
  };
  const stat = (name: string, cb: (e: unknown, v?: unknown) => void) => {
    let out: [unknown, unknown?];
    try {
      out = [null, lookup(name)];
    } catch (e) {
      out = [e];
    }
    setImmediate(() => cb(...out));
  };
  return {
    stat,
    statSync: lookup,
    promises: { stat: util.promisify(stat) },
  };
}

function load(text: string, files: (number | undefined)[]) {
  const mod = { exports: {} as Record<string, unknown> };
  const req = (m: string) => (m === "fs" ? fakeFs(files) : m === "node:util" || m === "util" ? util : undefined);
  new Function("require", "module", "exports", text)(req, mod, mod.exports);
  return mod.exports as unknown as (...a: unknown[]) => unknown;
}

const describe = (e: unknown) =>
  e instanceof Error ? { error: (e as { code?: string }).code, step: (e as { step?: number }).step } : e;

async function behaviour(entry: (...a: unknown[]) => unknown, x: number, shuffle: boolean) {
  let sync: unknown;
  try {
    sync = { value: entry(x) };
  } catch (e) {
    sync = { threw: describe(e) };
  }
  const calls: unknown[] = [];
  let returned = false;
  let later = true;
  const done = new Promise<void>((resolve) => {
    const cb = (...args: unknown[]) => {
      if (!returned) later = false;
      calls.push(args.map(describe));
      resolve();
    };
    // With the shuffle, the callback may take x's place (x then defaults to 1).
    const ret = shuffle && x === 0 ? entry(cb) : entry(x, cb);
    returned = true;
    calls.push({ returned: ret === undefined ? "<undefined>" : ret });
  });
  await done;
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return { sync, calls, later };
}

test("dual-mode programs: both modes behave the same after the split", async (t) => {
  let checked = 0;
  const result = await fc.check(
    fc.asyncProperty(
      programArb,
      fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 3 }),
      async (p, xs) => {
        const text = print(p);
        const r = migrateSource(text, "dual.js", { assume: "idiomatic" });
        const refused = r.sites.filter((s) => s.status !== "converted");
        if (refused.length) throw new Error(`refused ${JSON.stringify(refused)}\n${text}`);
        if (!r.output.includes("callbackify(step0Async)")) throw new Error(`no dispatcher:\n${r.output}`);
        // Modulo what the sites recorded: a callback called on the caller's tick (a guard straight to `finish`) is
        // called on a later one, and the entry's value in the callback mode is no longer the callback's.
        const assumed = new Set(r.sites.flatMap((s) => s.assumptions ?? []));
        const modulo = (b: Awaited<ReturnType<typeof behaviour>>) => ({
          ...b,
          calls: assumed.has("RETURN_VALUE_UNUSED")
            ? b.calls.filter((c) => !(c as { returned?: unknown }).returned)
            : b.calls,
          later: assumed.has("CALLBACK_NOW_ASYNC") ? "either" : b.later,
        });
        for (const x of xs) {
          const before = modulo(await behaviour(load(text, p.files), x, p.shuffle));
          const raw = await behaviour(load(r.output, p.files), x, p.shuffle);
          // The split never calls back on the caller's tick.
          if (!raw.later) throw new Error(`called back synchronously:\n${r.output}`);
          const after = modulo(raw);
          if (JSON.stringify(before) !== JSON.stringify(after))
            throw new Error(`x=${x}\n${JSON.stringify(before)}\n${JSON.stringify(after)}\n${text}\n----\n${r.output}`);
        }
        checked++;
      },
    ),
    { numRuns: runs, seed },
  );
  if (result.failed) t.fail(`${JSON.stringify(result.counterexample)}\n${String(result.errorInstance)}`);
  t.is(checked, runs);
});

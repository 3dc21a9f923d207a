// Property: on random callback-style programs (property-programs.ts), the codemods never change
// behaviour. For every generated function, input and output called with the same arguments make the
// same fake-fs calls, log the same side effects, call back as often, with the same arguments and as
// (a)synchronously, return and throw the same, in the same order; and every function whose sites were all
// refused comes out byte-identical (a file with nothing converted: the whole file), and a second run
// over the output changes nothing.
// Each program runs under `--assume none` (exact equivalence) and under `--assume idiomatic` (equivalence
// modulo the assumptions its sites recorded: see `modulo`).
// CODEMOD_PROPERTY_RUNS=n runs more programs, CODEMOD_PROPERTY_SEED=s another seed.
import test from "ava";
import fc from "fast-check";
import { migrateProject, migrateSource, type FileResult, type MigrateOptions } from "../../codemods/index.js";
import {
  printProgram,
  programArb,
  runProgram,
  type CallRecord,
  type Printed,
  type Program,
} from "./property-programs.js";

const runs = Number(process.env.CODEMOD_PROPERTY_RUNS ?? 200); // each under two profiles
const seed = Number(process.env.CODEMOD_PROPERTY_SEED ?? 20261125);

function migrate(
  p: Program,
  printed: Printed,
  texts = printed.files.map((f) => f.text),
  assume: "none" | "idiomatic" = "none",
): FileResult[] {
  const options: MigrateOptions = {
    assume,
    // The lowering of fire-and-forget chains is off by default (they are kept); the property still checks it.
    lowerFloatingChains: true,
    ...(p.dualApiImport ? { dualApi: "import" as const } : {}),
    ...(p.assumeErrFirst ? { assumeErrFirst: true } : {}),
  };
  if (p.split === 0) return [migrateSource(texts[0], printed.files[0].name, options)];
  return migrateProject(
    printed.files.map((f, k) => ({ file: `/virtual/prop/${f.name}`, text: texts[k] })),
    options,
  );
}

/** Offset of a 1-based line/column in a text. */
function offsetOf(text: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) off = text.indexOf("\n", off) + 1;
  return off + column - 1;
}

function sources(printed: Printed, results: FileResult[]): string {
  return printed.files
    .map((f, k) => `==== ${f.name} (input)\n${f.text}\n==== ${f.name} (output)\n${results[k].output}`)
    .join("\n");
}

/** Sites seen, by transform and outcome (logged: shows what the generator reaches). */
const seen: Record<string, number> = {};

/**
 * Input and output records of a call with the differences the program's recorded assumptions allow
 * taken out (the idiomatic profile; every assumption recorded by any converted site of the program
 * applies to every function of it, since a callee's assumption shows through its callers):
 * - CALLBACK_NOW_ASYNC, SYNC_THROW_BECOMES_REJECTION: whether a callback ran synchronously is not
 *   compared, and the events of one call are compared as a multiset (a callback that ran first may
 *   now run later);
 * - SYNC_THROW_BECOMES_REJECTION: a call whose input threw synchronously has its outcome left out
 *   (the throw now goes where the callee's error went: to the callback, a rejection, or a continuation
 *   that ignored errors, after which the converted code goes on), and its side effects must include
 *   all of the original's (what ran before the throw), in any order;
 * - NULL_UNDEFINED_SUCCESS: `cb()` and `cb(null)` are the same success (trailing undefineds are never compared);
 * - VALUE_WITH_ERROR_DROPPED: a callback given an error is compared by its error alone;
 * - RETURN_VALUE_UNUSED (and SYNC_THROW_BECOMES_REJECTION): the returned value is not compared.
 * Everything else is: which fake-fs calls are made with what, the callbacks' arguments, how often they run.
 */
function modulo(before: CallRecord, after: CallRecord, assumed: ReadonlySet<string>): [unknown, unknown] {
  const later = assumed.has("CALLBACK_NOW_ASYNC") || assumed.has("SYNC_THROW_BECOMES_REJECTION");
  const throwsMove = assumed.has("SYNC_THROW_BECOMES_REJECTION");
  const nullIsUndefined = assumed.has("NULL_UNDEFINED_SUCCESS");
  // Calls (by input index, or the single call) that threw synchronously before.
  const threwBefore = new Set<unknown>(before.events.filter((e) => e[0] === "threw").map((e) => e[1]));
  if (before.threw !== undefined) threwBefore.add("single");
  const valueDropped = assumed.has("VALUE_WITH_ERROR_DROPPED");
  const args = (a: unknown): unknown => {
    if (valueDropped && Array.isArray(a) && a.length > 1 && a[0] !== null && a[0] !== undefined) return a.slice(0, 1);
    return nullIsUndefined && Array.isArray(a) && a.length === 1 && a[0] === null ? [] : a;
  };
  const norm = (rec: CallRecord): unknown => {
    const outcomeDropped = (k: unknown) => throwsMove && threwBefore.has(k);
    let events: unknown[] = [];
    for (const e of rec.events) {
      if (e[0] === "callback" && e.length === 3) {
        if (!outcomeDropped("single")) events.push(["callback", later ? "any" : e[1], args(e[2])]);
      } else if (e[0] === "callback" && e.length === 4) {
        if (!outcomeDropped(e[1])) events.push(["callback", e[1], later ? "any" : e[2], args(e[3])]);
      } else if (e[0] === "threw" && outcomeDropped(e[1])) {
        // left out
      } else if ((e[0] === "fulfilled" || e[0] === "rejected") && outcomeDropped("single")) {
        // left out
      } else events.push(e);
    }
    if (later) events = events.map((e) => JSON.stringify(e)).sort();
    const threw = outcomeDropped("single") ? undefined : rec.threw;
    const returned = assumed.has("RETURN_VALUE_UNUSED") || throwsMove ? undefined : rec.returned;
    return { fn: rec.fn, input: rec.input, threw, returned, events };
  };
  const [x, y] = [norm(before), norm(after)] as { events: string[] }[];
  if (throwsMove && threwBefore.size > 0) {
    // The original stopped at its throw: the output did all of that, and possibly more.
    const more = [...y.events];
    const included = x.events.every((e) => {
      const i = more.indexOf(e);
      if (i >= 0) more.splice(i, 1);
      return i >= 0;
    });
    if (included) y.events = x.events;
  }
  return [x, y];
}

async function check(p: Program): Promise<void> {
  await checkProfile(p, "none");
  await checkProfile(p, "idiomatic");
}

async function checkProfile(p: Program, assume: "none" | "idiomatic"): Promise<void> {
  const printed = printProgram(p);
  const results = migrate(p, printed, undefined, assume);
  for (const s of results.flatMap((r) => r.sites)) {
    const key = `${assume} ${s.transform} ${s.reason ?? s.status}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  // Converted functions whose first call is chosen by a branch (`const branch = c ? 0 : 1;`).
  const branched = results.reduce((n, r) => n + (r.output.match(/\bconst branch\d* = /g)?.length ?? 0), 0);
  if (branched)
    seen["callbacks converted, branched start"] = (seen["callbacks converted, branched start"] ?? 0) + branched;
  results.forEach((r, k) => {
    if (r.internalError || r.parseErrors)
      throw new Error(`migration failed: ${r.internalError ?? r.parseErrors}\n${sources(printed, results)}`);
    const input = printed.files[k].text;
    if (!r.sites.some((s) => s.status === "converted") && r.output !== input)
      throw new Error(`nothing converted but the file changed\n${sources(printed, results)}`);
    for (const f of printed.fns.filter((x) => x.file === k)) {
      const start = input.indexOf(f.text);
      const inside = r.sites.filter((s) => {
        const at = offsetOf(input, s.line, s.column);
        return at >= start && at < start + f.text.length;
      });
      if (inside.every((s) => s.status === "refused") && !r.output.includes(f.text)) {
        throw new Error(
          `${f.name}: every site refused (${inside.map((s) => s.reason).join(", ") || "none"}) but its text changed\n${sources(printed, results)}`,
        );
      }
    }
  });
  // A second run over the output changes nothing (a function refused once stays refused).
  const again = migrate(
    p,
    printed,
    results.map((r) => r.output),
    assume,
  );
  again.forEach((r, k) => {
    if (r.output !== results[k].output)
      throw new Error(`a second run changed ${printed.files[k].name}:\n${r.output}\n${sources(printed, results)}`);
  });
  const before = await runProgram(
    printed,
    printed.files.map((f) => f.text),
  );
  const after = await runProgram(
    printed,
    results.map((r) => r.output),
  );
  const assumed = new Set(results.flatMap((r) => r.sites.flatMap((s) => s.assumptions ?? [])));
  if (assume === "none" && assumed.has("ERR_FIRST_CALLEE")) assumed.delete("ERR_FIRST_CALLEE");
  if (assume === "none" && assumed.size > 0) throw new Error(`assumptions under none: ${[...assumed].join(", ")}`);
  for (const a of assumed) seen[`assumed ${a}`] = (seen[`assumed ${a}`] ?? 0) + 1;
  for (let i = 0; i < before.length; i++) {
    const [x, y] = assume === "none" ? [before[i], after[i]] : modulo(before[i], after[i], assumed);
    const a = JSON.stringify(x);
    const b = JSON.stringify(y);
    if (a !== b)
      throw new Error(
        `behaviour changed (--assume ${assume}) for ${before[i].fn}(${JSON.stringify(before[i].input)}):\n  input:  ${a}\n  output: ${b}\n${sources(printed, results)}`,
      );
  }
}

test("codemods keep the behaviour of random callback-style programs", async (t) => {
  t.timeout(Math.max(120_000, runs * 40)); // about 10 ms a program; more runs get more time
  const started = Date.now();
  const out = await fc.check(fc.asyncProperty(programArb, check), { numRuns: runs, seed, endOnFailure: false });
  if (out.failed) {
    const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
    t.fail(`${fc.defaultReportMessage(out)}\n${why}\n(seed ${seed}; CODEMOD_PROPERTY_SEED=${seed} reproduces)`);
  } else t.pass();
  t.log(
    `${runs} programs (seed ${seed}) in ${Date.now() - started} ms; sites: ${JSON.stringify(Object.fromEntries(Object.entries(seen).sort()))}`,
  );
});

// Property: on random callback-style programs (property-programs.ts), the codemods never change
// behaviour. For every generated function, input and output called with the same arguments make the
// same fake-fs calls, log the same side effects, call back as often, with the same arguments and as
// (a)synchronously, return and throw the same, in the same order; and every function whose sites were all
// refused comes out byte-identical (a file with nothing converted: the whole file), and a second run
// over the output changes nothing.
// CODEMOD_PROPERTY_RUNS=n runs more programs, CODEMOD_PROPERTY_SEED=s another seed.
import test from "ava";
import fc from "fast-check";
import { migrateProject, migrateSource, type FileResult, type MigrateOptions } from "../../codemods/index.js";
import { printProgram, programArb, runProgram, type Printed, type Program } from "./property-programs.js";

const runs = Number(process.env.CODEMOD_PROPERTY_RUNS ?? 300);
const seed = Number(process.env.CODEMOD_PROPERTY_SEED ?? 20261125);

function migrate(p: Program, printed: Printed, texts = printed.files.map((f) => f.text)): FileResult[] {
  const options: MigrateOptions = {
    assume: "none",
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

async function check(p: Program): Promise<void> {
  const printed = printProgram(p);
  const results = migrate(p, printed);
  for (const s of results.flatMap((r) => r.sites)) {
    const key = `${s.transform} ${s.reason ?? s.status}`;
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
  for (let i = 0; i < before.length; i++) {
    const a = JSON.stringify(before[i]);
    const b = JSON.stringify(after[i]);
    if (a !== b)
      throw new Error(
        `behaviour changed for ${before[i].fn}(${JSON.stringify(before[i].input)}):\n  input:  ${a}\n  output: ${b}\n${sources(printed, results)}`,
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

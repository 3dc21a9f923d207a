// Every codemod fixture (test/fixtures/codemods/<transform>/<case>/) is checked for:
// expected output (absent: byte-identical input, i.e. refused), expected report,
// idempotency, the output parses, a .ts output adds no type errors, and — with
// a scenario.mjs — input and output behave the same (results, rejections, how
// often and whether synchronously callbacks are called).
// UPDATE_FIXTURES=1 rewrites output/report files from the current engine (review the diff!).
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { Project, ts } from "ts-morph";
import { loadCases, migrateCase, runScenario } from "./harness.js";

const update = process.env.UPDATE_FIXTURES === "1";
const cases = loadCases();

// One ts-morph project for the whole file (creating projects is slow).
let project: Project | undefined;
function typeErrors(c: { dir: string; ext: string }, text: string): string[] {
  project ??= new Project({
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
      skipLibCheck: true,
      noEmit: true,
      lib: ["lib.es2023.d.ts"],
    },
    skipAddingFilesFromTsConfig: true,
  });
  const file = path.join(c.dir, `__check__${c.ext}`);
  const sf = project.createSourceFile(file, text, { overwrite: true });
  const out = sf
    .getPreEmitDiagnostics()
    .map(
      (d) =>
        `${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, "\n")}`,
    );
  project.removeSourceFile(sf);
  return out;
}

test("fixtures exist", (t) => {
  t.true(cases.length >= 20, `found ${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.name}: output and report`, (t) => {
    const r = migrateCase(c);
    t.deepEqual(r.parseErrors, undefined);
    const sites = r.sites.map(({ name: _n, detail: _d, ...s }) => s);
    if (update) {
      const outPath = path.join(c.dir, `output${c.ext}`);
      if (r.changed) fs.writeFileSync(outPath, r.output);
      else fs.rmSync(outPath, { force: true });
      fs.writeFileSync(path.join(c.dir, "report.json"), JSON.stringify(sites, null, 2) + "\n");
      t.pass();
      return;
    }
    if (c.expected === undefined) t.is(r.output, c.input, "no output file: the input must stay byte-identical");
    else t.is(r.output, c.expected);
    t.deepEqual(sites, c.report ?? [], "report.json");
  });

  test(`${c.name}: idempotent and parses`, (t) => {
    const out = migrateCase(c).output;
    const again = migrateCase(c, out);
    t.deepEqual(again.parseErrors, undefined, "the output parses");
    t.is(again.output, out, "a second run changes nothing");
    t.deepEqual(
      again.sites.filter((s) => s.status === "converted"),
      [],
      "a second run converts nothing",
    );
  });

  if (c.ext === ".ts" || c.ext === ".tsx") {
    test(`${c.name}: no new type errors`, (t) => {
      const before = typeErrors(c, c.input);
      const after = typeErrors(c, migrateCase(c).output);
      t.deepEqual(
        after.filter((e) => !before.some((b) => b.replace(/^\d+/, "") === e.replace(/^\d+/, ""))),
        [],
      );
    });
  }

  if (c.scenario) {
    test(`${c.name}: input and output behave the same`, async (t) => {
      const out = migrateCase(c).output;
      const before = await runScenario(c, c.input);
      const after = await runScenario(c, out);
      t.deepEqual(after, before);
      t.log(JSON.stringify(before));
    });
  }
}

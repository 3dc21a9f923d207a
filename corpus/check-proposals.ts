// Runs the fixture proposals of corpus/fixture-proposals/ (shapes found in the
// corpus packages) through the codemod and the codemod fixture harness's
// scenario runner: for each case, prints what the codemod did with each site
// and whether the converted module behaves like the input (same scenario
// trace). A case is "ok" when the traces match; a refusal is ok too, but is
// a coverage gap when the case is marked as convertible in findings.md.
//
//   npx tsx corpus/check-proposals.ts
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { migrateCase, runScenario, type Case } from "../test/codemods/harness.js";
import type { TransformName } from "../codemods/core.js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixture-proposals");

function loadProposals(): Case[] {
  const cases: Case[] = [];
  for (const transform of fs.readdirSync(ROOT).sort()) {
    for (const name of fs.readdirSync(path.join(ROOT, transform)).sort()) {
      const dir = path.join(ROOT, transform, name);
      const inputFile = fs.readdirSync(dir).find((f) => /^input\.(js|mjs|cjs|ts)$/.test(f));
      if (!inputFile) continue;
      cases.push({
        name: `${transform}/${name}`,
        dir,
        transform: transform as TransformName,
        inputFile,
        ext: path.extname(inputFile),
        input: fs.readFileSync(path.join(dir, inputFile), "utf8"),
        options: {
          ...(fs.existsSync(path.join(dir, "options.json")) ? JSON.parse(fs.readFileSync(path.join(dir, "options.json"), "utf8")) : {}),
          ...(transform === "pipeline" ? {} : { transforms: [transform as TransformName] }),
        },
        scenario: fs.existsSync(path.join(dir, "scenario.mjs")) ? path.join(dir, "scenario.mjs") : undefined,
      });
    }
  }
  return cases;
}

let bad = 0;
for (const c of loadProposals()) {
  const r = migrateCase(c);
  const sites = r.sites.map((s) => `${s.name ?? "?"}:${s.status}${s.reason ? `(${s.reason})` : ""}`).join(" ");
  let verdict = r.changed ? "converted" : "unchanged";
  if (r.changed && c.scenario) {
    const before = await runScenario(c, c.input);
    const after = await runScenario(c, r.output);
    if (!isDeepStrictEqual(before, after)) {
      bad++;
      verdict = "BEHAVIOUR CHANGED";
      console.log(`${c.name}: ${verdict} [${sites}]`);
      console.log("  input trace: " + JSON.stringify(before));
      console.log("  output trace:" + JSON.stringify(after));
      continue;
    }
    verdict += ", same behaviour";
  }
  console.log(`${c.name}: ${verdict} [${sites}]`);
}
process.exitCode = bad ? 1 : 0;

// Robustness on real code: the codemods over the JavaScript files the project's own dependencies ship
// (node_modules, pinned by package-lock.json; up to CODEMOD_ROBUSTNESS_FILES of them, a deterministic sample).
// Under every profile no file hits a codemod bug (INTERNAL_ERROR), and every changed CommonJS file that compiled
// still compiles (V8, never run). A crash of this class ("overlapping edits", fb36506) showed on chownr 1.1 in
// `npm run corpus:outside`, which needs the registry; its shape is the fixture callbacks/own-line-branches, and
// these files are the ones at hand offline.
import test from "ava";
import fg from "fast-glob";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import { type AssumeProfile, migrateSource } from "../../codemods/index.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SAMPLE = Number(process.env.CODEMOD_ROBUSTNESS_FILES ?? 3000);

function sample(): string[] {
  const all = fg
    .sync("node_modules/**/*.js", { cwd: ROOT, ignore: ["**/*.min.js", "**/dist/**"] })
    .filter((f) => fs.statSync(path.join(ROOT, f)).size < 100_000)
    .sort();
  const step = Math.max(1, Math.floor(all.length / SAMPLE));
  return all.filter((_, i) => i % step === 0).slice(0, SAMPLE);
}

const isEsm = (text: string) => /^\s*(import|export)\s/m.test(text);

/** V8 compiles the text as a CommonJS module body (never runs it). */
function compiles(text: string): boolean {
  try {
    new vm.Script(`(function (exports, require, module, __filename, __dirname) {${text.replace(/^#!.*/, "")}\n})`);
    return true;
  } catch {
    return false;
  }
}

for (const assume of ["none", "idiomatic", "err-first"] as AssumeProfile[]) {
  test(`real files under --assume ${assume}: no codemod bug, changed files still compile`, (t) => {
    const files = sample();
    let changed = 0;
    for (const f of files) {
      const text = fs.readFileSync(path.join(ROOT, f), "utf8");
      const r = migrateSource(text, f, { assume });
      t.is(r.internalError, undefined, `${f}: ${r.internalError}`);
      if (!r.changed || isEsm(r.output) || !compiles(text)) continue;
      changed++;
      t.true(compiles(r.output), `${f}: the output does not compile`);
    }
    t.true(files.length >= Math.min(SAMPLE, 500), `sampled ${files.length}`);
    t.log(`${files.length} files, ${changed} changed`);
  });
}

// After the transforms: the require of a library the migration stopped using goes. async.js's calls become
// loops, `Promise.all` or awaits of converted functions (async-whilst, async-tasks, async-collections), bluebird's
// promisified calls util.promisify's (bluebird-calls.ts), and a `var async = require('async')` left with no use is
// what a team would delete by hand.
import type { ts } from "ts-morph";
import type { Edit } from "../core.js";
import { requireRemoval, usesOfRequire } from "./deferreds.js";
import { moduleBindings } from "./node-table.js";

/** Libraries whose loading has no effect of its own, so that dropping an unused require changes nothing. */
const PURE_LIBRARIES = new Set(["async", "bluebird"]);

/**
 * Deletions of the top-level requires of {@link PURE_LIBRARIES} that the input used and the output no longer
 * does (a require the input never used is the author's business, and stays). @internal
 */
export function unusedLibraryRequires(input: ts.SourceFile, output: ts.SourceFile): Edit[] {
  const out: Edit[] = [];
  for (const [local, spec] of moduleBindings(output).requires) {
    if (!PURE_LIBRARIES.has(spec.module) || spec.member !== undefined) continue;
    if (usesOfRequire(output, local)?.length !== 0 || !usesOfRequire(input, local)?.length) continue;
    out.push(requireRemoval(output, local));
  }
  return out;
}

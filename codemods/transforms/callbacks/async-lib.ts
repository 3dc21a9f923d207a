// The async.js rewrites of converted code, once the functions of the file are converted: map/each calls become
// Promise.all (async-collections.ts), eachSeries/mapSeries calls loops (async-series.ts), parallel calls
// Promise.all of the tasks and waterfall calls the tasks awaited in turn (async-tasks.ts), mapLimit/eachLimit a small pool (async-limit.ts),
// whilst/until/doWhilst/doUntil loops (async-whilst.ts); the helpers the
// rewritten code no longer uses (the dual helper, the added promisify import) go.
import { ts } from "ts-morph";
import { countReferences, type Edit, indentUnit, type MigrateOptions } from "../../core.js";
import { moduleBindings } from "../node-table.js";
import { rewrite } from "./async-collections.js";
import { seriesRewrite } from "./async-series.js";
import { parallelRewrite, waterfallRewrite } from "./async-tasks.js";
import { whilstRewrite } from "./async-whilst.js";
import { limitRewrite, MAP_LIMIT_HELPER, mapLimitHelperText } from "./async-limit.js";
import { DUAL_HELPER } from "./helpers.js";

/**
 * The edits that rewrite the awaited async.js collection calls of converted code as `Promise.all` (and remove
 * the dual helper and the `promisify` import when they are no longer used). Empty when there is nothing to do.
 */
export function asyncCollectionEdits(sf: ts.SourceFile, options: MigrateOptions): Edit[] {
  if (!sf.text.includes(DUAL_HELPER) || !sf.text.includes("promisify")) return [];
  const b = moduleBindings(sf);
  const edits: Edit[] = [];
  let dualCallsRemoved = 0;
  const promisifyCallsRemoved = new Map<string, number>();
  const unit = indentUnit(sf.text);
  const visit = (n: ts.Node): void => {
    const r = ts.isCallExpression(n)
      ? (rewrite(sf, b, n, options) ??
        asLoop(seriesRewrite(sf, b, n, options, unit)) ??
        parallelRewrite(sf, b, n, unit) ??
        limitRewrite(sf, b, n, options) ??
        waterfallRewrite(sf, b, n, unit) ??
        whilstRewrite(sf, b, n, unit))
      : undefined;
    if (r) {
      if ("edits" in r) edits.push(...r.edits);
      else edits.push(r.edit);
      dualCallsRemoved += r.dualCalls;
      promisifyCallsRemoved.set(r.promisify, (promisifyCallsRemoved.get(r.promisify) ?? 0) + 1);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (edits.length === 0) return edits;
  // The pool helper, once, at the end of the file, when a rewrite calls it.
  const pool = edits.some((e) => e.text.startsWith(`${MAP_LIMIT_HELPER}(`)) ? mapLimitHelperText(sf) : undefined;
  if (pool) edits.push({ start: sf.end, end: sf.end, text: pool });
  const helper = sf.statements.find(
    (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === DUAL_HELPER,
  );
  if (helper && countReferences(sf, DUAL_HELPER) - 1 === dualCallsRemoved)
    edits.push({ start: helper.getFullStart(), end: helper.getEnd(), text: "" });
  for (const [name, removed] of promisifyCallsRemoved) {
    const decl = name ? addedPromisifyImport(sf, name) : undefined;
    if (decl && countReferences(sf, name) - 1 === removed)
      edits.push({ start: decl.getFullStart(), end: decl.getEnd(), text: "" });
  }
  return edits;
}

/** A loop rewrite removes one dual iterator, as a Promise.all one does. */
function asLoop(
  r: { edit: Edit; promisify: string } | undefined,
): { edit: Edit; dualCalls: number; promisify: string } | undefined {
  return r && { ...r, dualCalls: 1 };
}

/** The `const { promisify } = require("node:util");` the transform adds, as a statement of the file. */
function addedPromisifyImport(sf: ts.SourceFile, name: string): ts.Statement | undefined {
  return sf.statements.find((s) => {
    const text = s.getText(sf);
    return (
      text === `const { promisify } = require("node:util");` ||
      text === `const { promisify: ${name} } = require("node:util");` ||
      text === `import { promisify } from "node:util";`
    );
  });
}

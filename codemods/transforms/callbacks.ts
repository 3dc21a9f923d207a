/**
 * The `callbacks` transform: a function whose last parameter is a Node-style
 * callback becomes an async function behind a callback-compatible wrapper.
 *
 * Invariants (each is checked; a site that breaks one is refused):
 * - the callback parameter is only ever called, never stored or passed on;
 * - every path through the function ends in exactly one callback call, made
 *   from a continuation of a call known to call its continuation once,
 *   asynchronously (Node core APIs, functions converted by this run) — so the
 *   original was always asynchronous and the async version calls it as often;
 * - nothing runs after a callback call or after the call carrying the
 *   continuation, so flattening the continuation after an `await` keeps order.
 *
 * The transform lives in callbacks/ (candidates, predicates, the conversion of one function — context,
 * converter, walker, continuation, callback-calls, start, inner-helpers —, helpers, pass); this module is
 * its entry point, re-exporting what the rest of the tool uses.
 * @module
 */
import type { FileContext, PassResult } from "../core.js";
import { asyncCollectionEdits } from "./callbacks/async-lib.js";
import { dualModeSplit } from "./callbacks/dual-mode.js";
import { callbacksPass as convertFunctions } from "./callbacks/pass.js";
export { DUAL_HELPER, START_HELPER, dualApiShimText, dualHelperText, startHelperText } from "./callbacks/helpers.js";
export { type FnLike, functionExportNames, isCallbackFunction } from "./callbacks/candidates.js";
export { convertedExports } from "./callbacks/pass.js";
export type { ModuleBindings } from "./node-table.js";

/**
 * One pass of the transform: the functions it converts; once none is left, the async.js calls of the converted
 * code that become `Promise.all` or loops (callbacks/async-lib.ts).
 */
export function callbacksPass(ctx: FileContext): PassResult {
  const split = dualModeSplit(ctx);
  if (split) return split;
  const r = convertFunctions(ctx);
  if (r.edits.length > 0) return r;
  const edits = asyncCollectionEdits(ctx.sf, ctx.options);
  return edits.length > 0 ? { edits, sites: r.sites } : r;
}

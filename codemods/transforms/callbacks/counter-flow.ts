// A counter join inside a continuation (rimraf's rmkids: `options.readdir(p, function (er, files) { … var n =
// files.length; … files.forEach(function (f) { rimraf(…, function (er) { … if (--n === 0) options.rmdir(p, cb)
// }) }) })`): the continuation's statements go through the same counter analysis as a function body
// (counters.ts), and the join's `Promise.all` is written in place, inside the flattened continuation. The join
// and an empty-list guard may hand the callback on (`g(args, cb)`), rendered as the walker's tail passes.
import { ts } from "ts-morph";
import { indentAt, isTsFile } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { convertCounter } from "../counters.js";
import { tailPassText } from "./callback-calls.js";
import type { Conversion } from "./context.js";
import { START_HELPER } from "./helpers.js";
import { containsNode } from "./predicates.js";

/**
 * Converts a continuation's statements holding a counter join; undefined when they hold none (the walker goes
 * on), true when converted (every path ends in the join). Throws a Refusal for a counter it cannot prove. @internal
 */
export function counterInFlow(cx: Conversion, stmts: readonly ts.Statement[]): boolean | undefined {
  const block = stmts[0]?.parent;
  const fn = block?.parent;
  if (!block || !ts.isBlock(block) || !fn || !(ts.isFunctionExpression(fn) || ts.isArrowFunction(fn))) return undefined;
  const sf = cx.sf;
  const counter = convertCounter(
    {
      sf,
      fn,
      cbName: cx.cand.cbName,
      isTs: isTsFile(cx.ctx.fileName),
      unit: cx.unit,
      startHelper: START_HELPER,
      promiseForm: cx.idiomatic,
      awaitable: (c, v) => cx.counterPlan(c, v),
      flowStart: stmts[0]!.getStart(sf),
      tailText: (call) => tailPassText(cx, call, false),
      taken: cx.startVar ? [cx.startVar] : [],
    },
    stmts,
  );
  if (!counter) return undefined;
  // What runs before the parallel calls stays as it was: it must neither call back nor return.
  for (const st of stmts.slice(0, counter.firstIndex)) {
    if (counter.dropped.includes(st)) continue;
    if (cx.containsCb(st) || containsNode(st, ts.isReturnStatement, true))
      throw new Refusal("COUNTER_SHAPE", "the callback or a return before the parallel calls");
  }
  if (counter.arity !== undefined) cx.successArities.add(counter.arity);
  cx.asyncCalls++;
  const indent = indentAt(sf.text, stmts[counter.firstIndex]!.getStart(sf));
  const prologue = counter.prologue.trimEnd();
  const text = `${prologue ? `${prologue}\n${indent}` : ""}${counter.startDecl}\n${indent}${counter.rest}`;
  cx.edits.push({ start: stmts[0]!.getStart(sf), end: stmts[stmts.length - 1]!.end, text });
  return true;
}

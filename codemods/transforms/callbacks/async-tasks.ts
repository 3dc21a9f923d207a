// async.parallel / async.series over an array of task functions in converted code become the tasks' bodies.
// `await promisify(async.parallel).call(async, [function (cb) {…}, function (cb) {…}])`, each task converted
// into the dual form, becomes `await Promise.all([(async () => {…})(), (async () => {…})()])`; with series,
// `[await (async () => {…})(), await (async () => {…})()]`.
//
// Equivalent: async.parallel starts every task at once, in order, synchronously, and gives their values in the
// tasks' order or the first error (in time), the other tasks running on; Promise.all of the started bodies does
// the same (and handles the later rejections). async.series starts each task after the previous one's callback and
// stops at the first error: an array literal evaluates its elements in order, each awaited before the next
// starts. A task's prologue (what it did before its first asynchronous call) runs when its body starts, as before.
// A body reading `this` or `arguments` is refused (an arrow body would see the enclosing function's); an object of
// tasks (results by key) is not rewritten.
import { ts } from "ts-morph";
import { type Edit, usesThisOrArguments } from "../../core.js";
import type { ModuleBindings } from "../node-table.js";
import { dualFunction, indentOf, iteratorStatements, promisifiedAsyncFunction } from "./async-collections.js";

/** The rewrite of an awaited `promisify(async.parallel)…([tasks])` as `Promise.all` (series: awaited in turn), if it applies. */
export function parallelRewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  unit: string,
): { edit: Edit; dualCalls: number; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  const series = target?.method === "series";
  if (!target || !(series || target.method === "parallel") || target.args.length !== 1) return undefined;
  if (!ts.isAwaitExpression(call.parent)) return undefined;
  const tasks = target.args[0]!;
  if (!ts.isArrayLiteralExpression(tasks) || tasks.elements.length === 0) return undefined;
  const duals = tasks.elements.map((e) => dualFunction(e, 1));
  if (duals.some((d) => !d || readsThis(d.body) || d.prologue.some(readsThis))) return undefined;
  const indent = indentOf(sf, call.getStart(sf));
  const inner = indent + unit;
  const start = series ? `${inner}await (async () => {` : `${inner}(async () => {`;
  const started = duals.map((d) => `${start}\n${iteratorStatements(sf, d!, inner + unit, [])}\n${inner}})()`);
  const list = `[\n${started.join(",\n")},\n${indent}]`;
  // series: the awaited call becomes the array of awaited bodies (its `await` goes with it); as a statement of its
  // own, the bodies awaited one statement each (a statement starting with `[` would continue the line above in
  // code without semicolons).
  const statement = call.parent.parent;
  if (series && ts.isExpressionStatement(statement)) {
    const each = duals.map(
      (d) => `await (async () => {\n${iteratorStatements(sf, d!, indent + unit, [])}\n${indent}})();`,
    );
    return {
      edit: { start: statement.getStart(sf), end: statement.getEnd(), text: each.join(`\n${indent}`) },
      dualCalls: duals.length,
      promisify: target.promisify,
    };
  }
  const node = series ? call.parent : call;
  return {
    edit: { start: node.getStart(sf), end: node.getEnd(), text: series ? list : `Promise.all(${list})` },
    dualCalls: duals.length,
    promisify: target.promisify,
  };
}

/** Whether a task is a function expression in a tasks array of an awaited async.parallel/series call (its callback by position). */
export function isParallelTask(fn: ts.Node, b: ModuleBindings): boolean {
  const tasks = fn.parent;
  if (!tasks || !ts.isArrayLiteralExpression(tasks)) return false;
  const call = tasks.parent;
  if (!call || !ts.isCallExpression(call) || !ts.isAwaitExpression(call.parent)) return false;
  const target = promisifiedAsyncFunction(b, call);
  return (
    (target?.method === "parallel" || target?.method === "series") &&
    target.args.length === 1 &&
    target.args[0] === tasks &&
    (ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) &&
    fn.parameters.length === 1 &&
    !readsThis(fn.body)
  );
}

/** `this`, `arguments` or `new.target` of the function around (not of a nested non-arrow function). */
function readsThis(node: ts.Node): boolean {
  const u = usesThisOrArguments(node);
  return u.usesThis || u.usesArguments;
}

// async.js's conditional loops in converted code become loops. `await promisify(async.whilst).call(async, test,
// iter);` with a synchronous test `function () { return count < 5; }` and its iterator converted into the dual
// form becomes `while (count < 5) {…}` with the iterator's body inlined; until is `while (!(…))`, doWhilst and
// doUntil the `do {…} while (…);` forms.
//
// Equivalent, for async 0.x–2.x, where the test is synchronous and called before each run of the iterator (once
// before the first for whilst/until; after the first for doWhilst/doUntil), the iterator runs after the previous
// one's callback, and the first error ends the loop and is the call's. A test taking no parameter is that
// version's form: async 3 calls its test with a callback, which such a test never calls (the loop would never end).
// The test's expression moves into the loop's condition at the call's place (its free names mean the same); what
// it may not do there is refused (`this`, `arguments`, a statement besides its `return`). The body is the
// iterator's, as async-series.ts inlines an eachSeries iterator's (its own top-level `var`s become `let`s,
// fresh on each turn as they were on each call): a `return` ends the iteration (`continue`,
// which in a `do … while` goes to the test), its value, which only the test or the final callback would see, is
// dropped. Only a call whose value is unused (a statement of its own) is rewritten.
import { ts } from "ts-morph";
import { type Edit, readsThisOrArguments } from "../../core.js";
import type { ModuleBindings } from "../node-table.js";
import { dualFunction, indentOf, iteratorStatements, loopable, promisifiedAsyncFunction } from "./async-collections.js";
import { forEachReturn, isSideEffectFree } from "./async-series.js";
import { containsNode } from "./predicates.js";

/** The loop each function becomes: the test's place and whether it is negated. */
const LOOPS: Record<string, { testFirst: boolean; negate: boolean }> = {
  whilst: { testFirst: true, negate: false },
  until: { testFirst: true, negate: true },
  doWhilst: { testFirst: false, negate: false },
  doUntil: { testFirst: false, negate: true },
};

/** The condition of a synchronous test function of no parameter: `() => x < 5`, `function () { return x < 5; }`. */
function testCondition(test: ts.Expression): ts.Expression | undefined {
  if (!(ts.isFunctionExpression(test) || ts.isArrowFunction(test))) return undefined;
  if (test.parameters.length || test.asteriskToken || test.modifiers?.length) return undefined;
  if (ts.isFunctionExpression(test) && test.name) return undefined;
  if (readsThisOrArguments(test.body)) return undefined;
  if (!ts.isBlock(test.body)) return test.body;
  const [only, ...more] = test.body.statements;
  return only && !more.length && ts.isReturnStatement(only) && only.expression ? only.expression : undefined;
}

/** The loop kind, test and iterator of an awaited `promisify(async.whilst)…(test, iter)` statement. */
function whilstCall(
  b: ModuleBindings,
  call: ts.CallExpression,
): { loop: (typeof LOOPS)[string]; test: ts.Expression; iter: ts.Expression; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  const loop = target && Object.hasOwn(LOOPS, target.method) ? LOOPS[target.method] : undefined;
  if (!target || !loop || target.args.length !== 2) return undefined;
  if (!ts.isAwaitExpression(call.parent) || !ts.isExpressionStatement(call.parent.parent)) return undefined;
  const [a, c] = target.args as [ts.Expression, ts.Expression];
  const [test, iter] = loop.testFirst ? [a, c] : [c, a];
  return testCondition(test) ? { loop, test, iter, promisify: target.promisify } : undefined;
}

/**
 * Whether `fn` is the iterator of such a call that the rewrite can take (one parameter, its callback by the
 * package's contract whatever its name, a body a loop can hold), so that it is converted for it.
 */
export function isWhilstIterator(fn: ts.Node, b: ModuleBindings): boolean {
  const call = fn.parent;
  if (!call || !ts.isCallExpression(call)) return false;
  const w = whilstCall(b, call);
  if (!w || w.iter !== fn || !(ts.isFunctionExpression(fn) || ts.isArrowFunction(fn))) return false;
  const cb = fn.parameters[0]?.name;
  if (fn.parameters.length !== 1 || !cb || !ts.isIdentifier(cb) || !ts.isBlock(fn.body)) return false;
  return loopBodyVars(fn.body.statements) !== undefined;
}

/**
 * The iterator's own top-level `var` lists, which become the loop body's `let`s (fresh on each turn, as they were
 * on each call); undefined when the statements hold anything else a loop cannot (a nested block's `var` would
 * leave its block, a name declared twice would not be a valid `let`).
 */
function loopBodyVars(stmts: readonly ts.Statement[]): ts.VariableDeclarationList[] | undefined {
  const names = new Set<string>();
  const lists: ts.VariableDeclarationList[] = [];
  for (const st of stmts) {
    const list = ts.isVariableStatement(st) ? st.declarationList : undefined;
    if (!list || list.flags & ts.NodeFlags.BlockScoped) {
      if (!loopable(st)) return undefined;
      continue;
    }
    for (const decl of list.declarations) {
      if (!ts.isIdentifier(decl.name) || names.has(decl.name.text)) return undefined;
      names.add(decl.name.text);
      if (decl.initializer && !loopable(decl.initializer)) return undefined;
    }
    lists.push(list);
  }
  return lists;
}

/** The rewrite of the statement holding an awaited whilst/until/doWhilst/doUntil call as a loop, if it applies. */
export function whilstRewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  unit: string,
): { edit: Edit; dualCalls: number; promisify: string } | undefined {
  const w = whilstCall(b, call);
  if (!w) return undefined;
  const d = dualFunction(w.iter, 1);
  if (!d) return undefined;
  const stmts = d.body.statements;
  const last = stmts[stmts.length - 1];
  const inner: Edit[] = [];
  const lists = loopBodyVars([...d.prologue, ...stmts]);
  if (!lists) return undefined;
  for (const list of lists) {
    const start = list.getStart(sf);
    inner.push({ start, end: start + "var".length, text: "let" });
  }
  let ok = true;
  // Each `return` ends the iteration; one inside a loop or switch of the body would `continue` that one instead.
  forEachReturn(d.body, (n, inLoop) => {
    if (inLoop) ok = false;
    const value = n.expression && !isSideEffectFree(n.expression) ? `${n.expression.getText(sf)};` : "";
    if (n === last)
      inner.push(
        value
          ? { start: n.getStart(sf), end: n.getEnd(), text: value }
          : { start: n.getFullStart(), end: n.getEnd(), text: "" },
      );
    else inner.push({ start: n.getStart(sf), end: n.getEnd(), text: value ? `{ ${value} continue; }` : "continue;" });
  });
  if (!ok) return undefined;
  const statement = call.parent.parent;
  const indent = indentOf(sf, statement.getStart(sf));
  const body = iteratorStatements(sf, d, indent + unit, inner);
  const condition = testCondition(w.test)!;
  const text = condition.getText(sf);
  const cond = w.loop.negate ? (isSimple(condition) ? `!${text}` : `!(${text})`) : text;
  const loop = w.loop.testFirst
    ? `while (${cond}) {\n${body}\n${indent}}`
    : `do {\n${body}\n${indent}} while (${cond});`;
  return {
    edit: { start: statement.getStart(sf), end: statement.getEnd(), text: loop },
    dualCalls: 1,
    promisify: w.promisify,
  };
}

/** A name, a call or a member access: negated without parentheses. */
function isSimple(e: ts.Expression): boolean {
  return (
    (ts.isIdentifier(e) || ts.isCallExpression(e) || ts.isPropertyAccessExpression(e)) &&
    !containsNode(e, ts.isFunctionLike)
  );
}

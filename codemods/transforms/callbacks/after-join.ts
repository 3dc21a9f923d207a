// Counters of npm's `after` (mkfiletree's make and cleanUp): `var done = after(list.length, onComplete);
// list.forEach(function (x) { g(x, done) })`, with `function onComplete(err) { … }`. after calls onComplete
// once: with the first error (later outcomes go nowhere), or with (null, last value) when every call has
// succeeded, and at once, with no arguments, for an empty list. That is `await Promise.all(list.map((x) => g'(x)))`
// followed by onComplete's statements as the continuation of that await (continuation.ts picks its form),
// the empty list aside: after calls back synchronously there (CALLBACK_NOW_ASYNC).
import { ts } from "ts-morph";
import { countReferences, type Edit, skipParens, usesThisOrArguments } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { moduleBindings } from "../node-table.js";
import type { Conversion, VirtualCall } from "./context.js";
import { isSimpleRef, looksLikeErrorParam } from "./predicates.js";

/** An `after` join found in a statement list. @internal */
export interface AfterJoin {
  /** `done = after(list.length, onComplete)` and its statement. */
  decl: ts.VariableDeclaration;
  declStmt: ts.VariableStatement;
  /** `list.forEach(each)`. */
  loop: ts.ExpressionStatement;
  list: ts.Expression;
  /** The per-element function, and its declaration when it is a named function of the list. */
  each: ts.FunctionLikeDeclaration;
  eachDecl?: ts.FunctionDeclaration;
  /** `g(x, done)`: the call of each element. */
  call: ts.CallExpression;
  /** onComplete, and its declaration when it is a named function of the list. */
  onComplete: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration;
  onCompleteDecl?: ts.FunctionDeclaration;
}

const afterNames = new WeakMap<ts.SourceFile, ReadonlySet<string>>();

/** Local names bound to the `after` package (`const after = require('after')`, `import after from 'after'`). */
function afterBindings(sf: ts.SourceFile): ReadonlySet<string> {
  let names = afterNames.get(sf);
  if (!names) {
    const found = new Set<string>();
    for (const [local, spec] of moduleBindings(sf).requires)
      if (spec.module === "after" && spec.member === undefined) found.add(local);
    names = found;
    afterNames.set(sf, names);
  }
  return names;
}

const shape = (detail: string): Refusal => new Refusal("COUNTER_SHAPE", `after: ${detail}`);

function namedFunction(stmts: readonly ts.Statement[], name: string): ts.FunctionDeclaration | undefined {
  return stmts.find((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === name);
}

/** The function an argument names: inline, or a function declaration of the list. */
function functionArg(
  stmts: readonly ts.Statement[],
  e: ts.Expression,
): { fn: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration; decl?: ts.FunctionDeclaration } {
  const x = skipParens(e);
  if (ts.isFunctionExpression(x) || ts.isArrowFunction(x)) return { fn: x };
  const decl = ts.isIdentifier(x) ? namedFunction(stmts, x.text) : undefined;
  if (!decl?.body) throw shape(`${x.getText()} is not a function of this block`);
  return { fn: decl, decl };
}

/**
 * The `after` join of stmts, checked; undefined when they hold no `after(…)` call of the package. Throws a
 * Refusal for a join it cannot prove equivalent. `fn`: the function whose references are counted.
 * @internal
 */
export function findAfterJoin(sf: ts.SourceFile, fn: ts.Node, stmts: readonly ts.Statement[]): AfterJoin | undefined {
  const names = afterBindings(sf);
  if (names.size === 0) return undefined;
  let declStmt: ts.VariableStatement | undefined;
  let decl: ts.VariableDeclaration | undefined;
  for (const s of stmts) {
    if (!ts.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) {
      const init = d.initializer && skipParens(d.initializer);
      if (init && ts.isCallExpression(init) && ts.isIdentifier(init.expression) && names.has(init.expression.text)) {
        if (decl) throw shape("two joins in one block");
        [declStmt, decl] = [s, d];
      }
    }
  }
  if (!decl || !declStmt) return undefined;
  const init = skipParens(decl.initializer!) as ts.CallExpression;
  if (!ts.isIdentifier(decl.name)) throw shape("the join is destructured");
  const done = decl.name.text;
  if (init.arguments.length !== 2) throw shape("an error callback or no callback");
  const list = declStmt.declarationList.declarations;
  if (list[list.length - 1] !== decl) throw shape("declared before other variables");
  const { fn: onComplete, decl: onCompleteDecl } = functionArg(stmts, init.arguments[1]);
  // The loop: `list.forEach(each)`, the join's only other use.
  const loop = stmts.find(
    (s): s is ts.ExpressionStatement =>
      ts.isExpressionStatement(s) &&
      ts.isCallExpression(skipParens(s.expression)) &&
      ts.isPropertyAccessExpression((skipParens(s.expression) as ts.CallExpression).expression) &&
      ((skipParens(s.expression) as ts.CallExpression).expression as ts.PropertyAccessExpression).name.text ===
        "forEach",
  );
  if (!loop) throw shape("no forEach over the list");
  const forEach = skipParens(loop.expression) as ts.CallExpression;
  const listExpr = (forEach.expression as ts.PropertyAccessExpression).expression;
  if (forEach.arguments.length !== 1) throw shape("forEach with a thisArg");
  if (!isSimpleRef(listExpr)) throw shape("the list is not a plain reference");
  // The count is the list's length, read just before the loop: nothing between them may change the list.
  const count = skipParens(init.arguments[0]);
  if (
    !ts.isPropertyAccessExpression(count) ||
    count.name.text !== "length" ||
    count.expression.getText(sf) !== listExpr.getText(sf)
  )
    throw shape("the count is not the list's length");
  const [from, to] = [stmts.indexOf(declStmt), stmts.indexOf(loop)];
  if (to < from) throw shape("the loop runs before the join is made");
  const between = stmts.slice(from + 1, to);
  if (between.some((s) => !ts.isFunctionDeclaration(s))) throw shape("code runs between the join and the loop");
  const { fn: each, decl: eachDecl } = functionArg(stmts, forEach.arguments[0]);
  if (each.parameters.length > 2) throw shape("the element function reads the array");
  if (each.parameters.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
    throw shape("the element function's parameters");
  const call = singleCall(each);
  const last = call.arguments[call.arguments.length - 1];
  if (!last || !ts.isIdentifier(last) || last.text !== done) throw shape("the element call does not end with the join");
  if (call.arguments.slice(0, -1).some((a) => countReferences(a, done) > 0) || countReferences(call.expression, done))
    throw shape("the join is handed on otherwise");
  // Declared once, used once each: nothing else may call the join, onComplete or the element function.
  if (countReferences(fn, done) !== 2) throw new Refusal("CALLBACK_ESCAPES", `after: ${done} is used elsewhere`);
  if (onCompleteDecl && countReferences(fn, onCompleteDecl.name!.text) !== 2)
    throw shape(`${onCompleteDecl.name!.text} is used elsewhere`);
  if (eachDecl && countReferences(fn, eachDecl.name!.text) !== 2)
    throw shape(`${eachDecl.name!.text} is used elsewhere`);
  checkOnComplete(onComplete);
  return { decl, declStmt, loop, list: listExpr, each, eachDecl, call, onComplete, onCompleteDecl };
}

/** The element function's one statement: `g(x, done)`, `return g(x, done)`, or an arrow's expression. */
function singleCall(each: ts.FunctionLikeDeclaration): ts.CallExpression {
  const body = each.body!;
  let e: ts.Expression | undefined;
  if (!ts.isBlock(body)) e = body as ts.Expression;
  else if (body.statements.length === 1) {
    const s = body.statements[0];
    e = ts.isExpressionStatement(s) ? s.expression : ts.isReturnStatement(s) ? s.expression : undefined;
  }
  const c = e && skipParens(e);
  if (!c || !ts.isCallExpression(c)) throw shape("the element function is not one call");
  return c;
}

/** onComplete takes (err) or nothing: after's second argument is the value of whichever call ended last. */
function checkOnComplete(k: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration): void {
  if (k.modifiers?.length || k.asteriskToken) throw shape("onComplete is async or a generator");
  if (!k.body || !ts.isBlock(k.body)) throw shape("onComplete has an expression body");
  const u = usesThisOrArguments(k.body);
  if (u.usesThis || u.usesArguments) throw new Refusal("CONTINUATION_SHAPE", "after: this/arguments");
  const [err, ...more] = k.parameters;
  if (more.length) throw shape("onComplete takes the last call's value");
  if (err && ts.isIdentifier(err.name) && !looksLikeErrorParam(err.name, k.body!))
    throw new Refusal("CONTINUATION_NOT_ERR_FIRST", err.name.text);
}

/** The function declarations an `after` join of the body owns (not inner helpers: the join converts them). @internal */
export function afterJoinDeclarations(cx: Conversion, stmts: readonly ts.Statement[]): Set<ts.FunctionDeclaration> {
  const join = findAfterJoin(cx.sf, cx.cand.fn, stmts);
  const out = new Set<ts.FunctionDeclaration>();
  if (join?.onCompleteDecl) out.add(join.onCompleteDecl);
  if (join?.eachDecl) out.add(join.eachDecl);
  return out;
}

/** The statements a join rewrites or removes: its declaration's statement, the loop, the named functions. */
export function joinStatements(join: AfterJoin): Set<ts.Statement> {
  const out = new Set<ts.Statement>([join.declStmt, join.loop]);
  if (join.onCompleteDecl) out.add(join.onCompleteDecl);
  if (join.eachDecl) out.add(join.eachDecl);
  return out;
}

/** The awaited `Promise.all(list.map((x) => g'(x)))` of a join, recording what its calls rest on. @internal */
export function afterJoinAwait(cx: Conversion, join: AfterJoin): VirtualCall {
  // after(0, onComplete) calls onComplete before it returns: the converted join awaits first.
  cx.assume("CALLBACK_NOW_ASYNC", "ZALGO", "after calls back at once for an empty list");
  const plan = cx.counterPlan(join.call, 0);
  if (!plan) throw new Refusal("UNKNOWN_CALLEE", cx.text(join.call.expression));
  if (plan.valueOnly || plan.arrayValues) throw shape(`${plan.label} does not call back err-first with one value`);
  const params = join.each.parameters.map((p) => cx.text(p)).join(", ");
  return {
    plan: {
      expr: `Promise.all(${cx.text(join.list)}.map((${params}) => ${plan.expr}))`,
      maxValues: 0,
      label: `after(${cx.text(join.decl.initializer!)})`,
      // after(0, …) calls onComplete() with no error at all, after(n, …) with null.
      successError: "unknown",
    },
    reads: [join.list, join.call],
  };
}

/** Edits removing the join's declarator and its named functions (the loop is replaced by the walker). @internal */
export function afterJoinRemovals(sf: ts.SourceFile, join: AfterJoin, stmts: readonly ts.Statement[]): Edit[] {
  const edits: Edit[] = [];
  const decls = join.declStmt.declarationList.declarations;
  if (decls.length === 1) edits.push(removal(sf, join.declStmt, stmts));
  else edits.push({ start: decls[decls.length - 2].end, end: join.decl.end, text: "" });
  for (const d of [join.onCompleteDecl, join.eachDecl]) if (d) edits.push(removal(sf, d, stmts));
  return edits;
}

/**
 * A statement with the blank space up to the next one (which takes its place), or, last in the list, from the
 * previous one's end. Comments stay; the range never leaves the list's statements (the walker renders them).
 */
function removal(sf: ts.SourceFile, s: ts.Statement, stmts: readonly ts.Statement[]): Edit {
  const text = sf.text;
  const i = stmts.indexOf(s);
  const [prev, next] = [stmts[i - 1], stmts[i + 1]];
  let [start, end] = [s.getStart(sf), s.end];
  if (next) {
    const limit = next.getStart(sf);
    while (end < limit && /\s/.test(text[end]!)) end++;
  } else if (prev) {
    while (start > prev.end && /\s/.test(text[start - 1]!)) start--;
  }
  return { start, end, text: "" };
}

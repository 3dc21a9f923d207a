// async.js collection calls in converted code become `Promise.all`. The callbacks transform awaits
// `async.map(coll, iter, cb)` in its callback form, `await promisify(async.map).call(async, coll, iter)`, and
// converts the iterator on its own into the dual form `function (x, cb) { return __asyncioDual(cb, async () =>
// {…}); }`. When both are there, the pair is `await Promise.all(coll.map(async function (x) {…}))`, and the helpers
// nobody uses any more go.
//
// Equivalent, for an array: async.map/each call the iterator on each element in order, synchronously, as
// Array.prototype.map does; the results keep the elements' order; the first error (in time) fails the whole
// call and later ones are ignored, as with Promise.all, which also handles every later rejection. Where the
// collection is evidently an array (an array literal, Object.keys/values/entries, Array.from/of, `split`, an array
// method called on one of these, an fs readdir's result, or a variable declared once, never reassigned, holding
// one of these) that is proven and the call is `coll.map(…)`; elsewhere it rests on COLLECTION_IS_ARRAY_LIKE
// (idiomatic profile: async.js iterates a plain object by its values in 2.x–3.x, into an object of results in
// 1.x, which Array.from does not) and the call is `Array.from(coll, …)`, which iterates arrays (holes included, as
// async.js), array-likes and iterables as async.js does; an object literal is evidence against it. The iterator
// must not read `arguments` (map passes (element, index, array)).
import { ts } from "ts-morph";
import {
  applyEdits,
  countReferences,
  type Edit,
  indentUnit,
  isAsyncFunction,
  type MigrateOptions,
  paren,
  shiftIndent,
  readsThisOrArguments,
  usesThisOrArguments,
} from "../../core.js";
import { containsNode } from "./predicates.js";
import { isIdiomatic } from "../../assumptions.js";
import { collectionAccepted } from "./collection-evidence.js";
import type { ModuleBindings } from "../node-table.js";
import { DUAL_HELPER } from "./helpers.js";

/** async.js collection functions rewritten, and whether their result is the mapped values. */
const COLLECTION_FUNCTIONS: Record<string, "map" | "each"> = { map: "map", each: "each", forEach: "each" };

/** async.js bounded functions rewritten with a small pool (async-limit.ts), and whether their result is the mapped values. @internal */
export const LIMIT_FUNCTIONS: Record<string, "map" | "each"> = {
  mapLimit: "map",
  eachLimit: "each",
  forEachLimit: "each",
};

/** async.js sequential functions rewritten as loops (async-series.ts), and whether their result is the mapped values. @internal */
export const SERIES_FUNCTIONS: Record<string, "map" | "each"> = {
  mapSeries: "map",
  eachSeries: "each",
  forEachSeries: "each",
};

/**
 * Whether `fn` is the iterator of an async.js `map`/`each`/`forEach` (or `mapSeries`/`eachSeries`) that a
 * conversion awaits in its callback form (`promisify(async.map).call(async, list, function (x, next) {…})`) and
 * that the rewrite can take: its last parameter is then an err-first callback by the package's contract, whatever
 * its name (`next`), and once converted the pair becomes `Promise.all` (or a loop). (Over an object, or with a
 * body a loop cannot hold, the conversion would only wrap the iterator in the dual form.)
 */
export function isAsyncIterator(fn: ts.Node, b: ModuleBindings, options: MigrateOptions): boolean {
  return rewriteFollows(fn, b, options) !== undefined;
}

/**
 * Whether converting `fn`, the iterator of an async.js map/each (or series) call, leads to its rewrite only under
 * COLLECTION_IS_ARRAY_LIKE (its collection is not evidently an array): the assumption its site records.
 */
export function iteratorAssumesArrayLike(fn: ts.Node, b: ModuleBindings, options: MigrateOptions): boolean {
  return rewriteFollows(fn, b, options) === "assumed";
}

/** How the rewrite of `fn`'s call would rest on its collection, when `fn` is an iterator the rewrite can take. */
function rewriteFollows(fn: ts.Node, b: ModuleBindings, options: MigrateOptions): "proven" | "assumed" | undefined {
  const coll = iteratedCollection(fn, b);
  if (
    coll === undefined ||
    !(ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) ||
    usesThisOrArguments(fn.body).usesArguments
  )
    return undefined;
  // A loop of mapSeries/eachSeries also needs a body a loop can hold (async-series.ts).
  const method = promisifiedAsyncFunction(b, fn.parent as ts.CallExpression)?.method ?? "";
  if (SERIES_FUNCTIONS[method] !== undefined) {
    const cb = fn.parameters[fn.parameters.length - 1]?.name;
    if (!ts.isBlock(fn.body) || !loopable(fn.body) || !cb || !ts.isIdentifier(cb) || callsInsideLoop(fn, cb.text))
      return undefined;
  }
  return collectionAccepted(coll, options);
}

/**
 * The collection of the async.js map/each call whose iterator `fn` is, once a conversion awaits that call in its
 * callback form (`await promisify(async.map).call(async, coll, fn)`) where the rewrite can follow (for each: its
 * value unused). The raw call is left to the conversion of the function around it: if that is refused, the
 * iterator is not taken for a callback function by its position.
 */
function iteratedCollection(fn: ts.Node, b: ModuleBindings): ts.Expression | undefined {
  const call = fn.parent;
  if (!call || !ts.isCallExpression(call) || !ts.isAwaitExpression(call.parent)) return undefined;
  const promisified = promisifiedAsyncFunction(b, call);
  const limited = promisified && LIMIT_FUNCTIONS[promisified.method];
  if (limited) {
    const [coll, limit, iter] = promisified.args;
    if (promisified.args.length !== 3 || iter !== fn || !limit || !isPositiveCount(limit)) return undefined;
    return limited === "map" || ts.isExpressionStatement(call.parent.parent) ? coll : undefined;
  }
  if (promisified?.args.length !== 2 || promisified.args[1] !== fn) return undefined;
  const all = COLLECTION_FUNCTIONS[promisified.method];
  const series = SERIES_FUNCTIONS[promisified.method];
  const holder = call.parent.parent;
  if (all === "map") return promisified.args[0];
  // each's value unused; mapSeries's held in `const r = await …` (the loop fills r).
  if ((all ?? series) === "each") return ts.isExpressionStatement(holder) ? promisified.args[0] : undefined;
  if (series === "map")
    return ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? promisified.args[0] : undefined;
  return undefined;
}

/** A whole number literal ≥ 1 (the limit of a …Limit call: async.js calls back at once for 0). @internal */
export function isPositiveCount(e: ts.Expression): boolean {
  return ts.isNumericLiteral(e) && Number.isInteger(Number(e.text)) && Number(e.text) >= 1;
}

/** No `this`, `arguments`, `new.target`, `var` or function declaration that a loop body would change. @internal */
export function loopable(...nodes: readonly ts.Node[]): boolean {
  // `var` and function declarations belong to the nearest function of any kind (arrows too).
  const declares = (n: ts.Node): boolean =>
    (ts.isVariableDeclarationList(n) && !(n.flags & ts.NodeFlags.BlockScoped)) || ts.isFunctionDeclaration(n);
  return !nodes.some((n) => readsThisOrArguments(n) || containsNode(n, declares, true));
}

/** Whether the function calls `name` inside a loop or switch of its own body (a `return` there after conversion). */
function callsInsideLoop(fn: ts.FunctionLikeDeclaration, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node, inLoop: boolean): void => {
    if (found || (ts.isFunctionLike(n) && n !== fn)) return;
    if (inLoop && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === name) found = true;
    const loop = ts.isIterationStatement(n, false) || ts.isSwitchStatement(n);
    ts.forEachChild(n, (c) => visit(c, inLoop || loop));
  };
  if (fn.body) ts.forEachChild(fn.body, (c) => visit(c, false));
  return found;
}

/** The rewrite of `promisify(async.map).call(async, coll, iter)` (or `promisify(map)(coll, iter)`), if it applies. @internal */
export function rewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  options: MigrateOptions,
): { edit: Edit; dualCalls: number; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  if (!target) return undefined;
  const kind = COLLECTION_FUNCTIONS[target.method];
  const args = target.args;
  if (!kind || args.length !== 2) return undefined;
  const [coll, iter] = args as [ts.Expression, ts.Expression];
  if (!ts.isAwaitExpression(call.parent)) return undefined;
  // each's value is undefined, Promise.all's an array: only where the value is not used.
  if (kind === "each" && !ts.isExpressionStatement(call.parent.parent)) return undefined;
  const accepted = collectionAccepted(coll, options);
  if (!accepted) return undefined;
  const mapper = asyncMapper(sf, iter);
  if (!mapper) return undefined;
  const collText = paren(coll.getText(sf));
  const all =
    accepted === "proven" ? `${collText}.map(${mapper.text})` : `Array.from(${coll.getText(sf)}, ${mapper.text})`;
  return {
    edit: { start: call.getStart(sf), end: call.getEnd(), text: `Promise.all(${all})` },
    dualCalls: mapper.dualCalls,
    promisify: target.promisify,
  };
}

/**
 * `async.map(coll, f, cont)` (or `each`, `forEach`) whose iterator `f` is a function of the file that is being
 * converted and returns its promise when called without a callback (`directlyCallable`): the promise the
 * conversion awaits is `Promise.all(coll.map((x) => f(x)))` (`Array.from(coll, …)` under
 * COLLECTION_IS_ARRAY_LIKE, returned in `assumed`), instead of `promisify(async.map)(coll, f)`. For each, only
 * where the continuation takes no value (`values` 0). Undefined when that does not apply.
 */
export function collectionOverLocalFunction(
  call: ts.CallExpression,
  b: ModuleBindings,
  options: MigrateOptions,
  values: number,
  directlyCallable: (name: string) => { item: string } | undefined,
): { expr: string; assumed: boolean } | undefined {
  if (!isIdiomatic(options) || call.arguments.length !== 3) return undefined;
  const callee = call.expression;
  let method: string | undefined;
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const spec = b.requires.get(callee.expression.text);
    if (spec?.module === "async" && spec.member === undefined) method = callee.name.text;
  } else if (ts.isIdentifier(callee)) {
    const spec = b.requires.get(callee.text);
    if (spec?.module === "async") method = spec.member;
  }
  const kind = method === undefined ? undefined : COLLECTION_FUNCTIONS[method];
  if (!kind || (kind === "each" && values > 0)) return undefined;
  const [coll, iter] = call.arguments as unknown as [ts.Expression, ts.Expression];
  if (!ts.isIdentifier(iter)) return undefined;
  const local = directlyCallable(iter.text);
  if (!local) return undefined;
  const accepted = collectionAccepted(coll, options);
  if (!accepted) return undefined;
  const sf = call.getSourceFile();
  const item = local.item !== iter.text ? local.item : "item";
  // async: the call's promise is returned from an async function, which the evidence of a later pass reads as a
  // promise use (a plain arrow's value would be a call without callback whose value is used: RETURNS_VALUE).
  const mapper = `async (${item}) => ${iter.text}(${item})`;
  const collText = coll.getText(sf);
  const all = accepted === "proven" ? `${paren(collText)}.map(${mapper})` : `Array.from(${collText}, ${mapper})`;
  return { expr: `Promise.all(${all})`, assumed: accepted === "assumed" };
}

/** `promisify(A.m).call(A, …args)` or `promisify(m)(…args)` with A / m bound to the async package. @internal */
export function promisifiedAsyncFunction(
  b: ModuleBindings,
  call: ts.CallExpression,
): { method: string; args: readonly ts.Expression[]; promisify: string } | undefined {
  let inner: ts.Expression = call.expression;
  let args: readonly ts.Expression[] = call.arguments;
  let receiver: string | undefined;
  if (ts.isPropertyAccessExpression(inner) && inner.name.text === "call") {
    const [self, ...rest] = call.arguments;
    if (!self || !ts.isIdentifier(self)) return undefined;
    receiver = self.text;
    args = rest;
    inner = inner.expression;
  }
  if (!ts.isCallExpression(inner) || inner.arguments.length !== 1 || !isPromisify(b, inner.expression))
    return undefined;
  const fn = inner.arguments[0]!;
  const promisify = ts.isIdentifier(inner.expression) ? inner.expression.text : "";
  if (ts.isPropertyAccessExpression(fn) && ts.isIdentifier(fn.expression)) {
    const spec = b.requires.get(fn.expression.text);
    if (spec?.module !== "async" || spec.member !== undefined || receiver !== fn.expression.text) return undefined;
    return { method: fn.name.text, args, promisify };
  }
  if (ts.isIdentifier(fn) && receiver === undefined) {
    const spec = b.requires.get(fn.text);
    if (spec?.module !== "async" || spec.member === undefined) return undefined;
    return { method: spec.member, args, promisify };
  }
  return undefined;
}

function isPromisify(b: ModuleBindings, e: ts.Expression): boolean {
  const isUtil = (m: string) => m === "util" || m === "node:util";
  if (ts.isIdentifier(e)) {
    const spec = b.requires.get(e.text);
    return !!spec && isUtil(spec.module) && spec.member === "promisify";
  }
  return (
    ts.isPropertyAccessExpression(e) &&
    e.name.text === "promisify" &&
    ts.isIdentifier(e.expression) &&
    b.core.get(e.expression.text) === "util"
  );
}

/** A converted iterator: `function (item, cb) { return __asyncioDual(cb, async () => body[, arity]); }`. @internal */
export interface DualIterator {
  fn: ts.FunctionExpression | ts.ArrowFunction;
  /** The element's parameter (for a one-parameter task: its callback's, unused). */
  item: ts.ParameterDeclaration;
  /** Statements kept before the dual call (they run synchronously when the iterator is called). */
  prologue: readonly ts.Statement[];
  /** The `return __asyncioDual(…)` statement. */
  ret: ts.ReturnStatement;
  /** The async body. */
  body: ts.Block;
}

/** The iterator in its converted dual form, with a body that does not read its callback or `arguments`. @internal */
export function dualIterator(iter: ts.Expression): DualIterator | undefined {
  return dualFunction(iter, 2);
}

/**
 * A function expression of `params` parameters, the last its callback, in the converted dual form (a task of
 * async.parallel has one, an iterator two, a task of async.waterfall one or two). @internal
 */
export function dualFunction(iter: ts.Expression, params: number): DualIterator | undefined {
  if (!(ts.isFunctionExpression(iter) || ts.isArrowFunction(iter))) return undefined;
  if (iter.parameters.length !== params || iter.asteriskToken || iter.modifiers?.length) return undefined;
  const cb = iter.parameters[params - 1]!;
  const item = iter.parameters[0]!;
  if (!ts.isIdentifier(cb.name) || cb.initializer || cb.dotDotDotToken || item.dotDotDotToken) return undefined;
  if (!ts.isBlock(iter.body) || iter.body.statements.length === 0) return undefined;
  const stmts = iter.body.statements;
  const ret = stmts[stmts.length - 1]!;
  const prologue = stmts.slice(0, -1);
  const cbName = cb.name.text;
  // The prologue neither reads the callback nor returns (a loop body or a mapper holds it as it is).
  if (prologue.some((p) => countReferences(p, cbName) > 0 || containsNode(p, ts.isReturnStatement, true)))
    return undefined;
  if (!ts.isReturnStatement(ret) || !ret.expression || !ts.isCallExpression(ret.expression)) return undefined;
  const dual = ret.expression;
  if (!ts.isIdentifier(dual.expression) || dual.expression.text !== DUAL_HELPER) return undefined;
  const [cbArg, run] = dual.arguments;
  if (!cbArg || !ts.isIdentifier(cbArg) || cbArg.text !== cb.name.text) return undefined;
  if (!run || !ts.isArrowFunction(run) || !isAsyncFunction(run) || run.parameters.length > 0 || !ts.isBlock(run.body))
    return undefined;
  const readsArguments = (n: ts.Node): boolean => usesThisOrArguments(n).usesArguments;
  if (countReferences(run.body, cb.name.text) > 0 || readsArguments(run.body) || prologue.some(readsArguments))
    return undefined;
  return { fn: iter, item, prologue, ret, body: run.body };
}

/**
 * The iterator as an async function of the element: a converted function expression `function (x, cb) { return
 * __asyncioDual(cb, async () => {…}) }` becomes `async function (x) {…}` (its body one level less indented). @internal
 */
export function asyncMapper(sf: ts.SourceFile, iter: ts.Expression): { text: string; dualCalls: number } | undefined {
  const d = dualIterator(iter);
  if (!d) return undefined;
  const indent = indentOf(sf, iter.getStart(sf));
  const unit = indentUnit(sf.text);
  // A trailing bare `return;` (the original's final `cb()`) says nothing in an async function of its own.
  const last = d.body.statements[d.body.statements.length - 1];
  const drop =
    last && ts.isReturnStatement(last) && !last.expression
      ? [{ start: last.getStart(sf), end: last.getEnd(), text: "" }]
      : [];
  const statements = iteratorStatements(sf, d, indent + unit, drop);
  const bodyText = `{\n${statements}\n${indent}}`;
  const itemText = d.item.getText(sf);
  const text = ts.isArrowFunction(d.fn)
    ? `async (${itemText}) => ${bodyText}`
    : `async function${d.fn.name ? ` ${d.fn.name.text}` : /^function\s+\(/.test(iter.getText(sf)) ? " " : ""}(${itemText}) ${bodyText}`;
  return { text, dualCalls: 1 };
}

/**
 * The iterator's statements, its prologue's then its async body's, one per line group, every line re-indented to
 * `indent` (each part keeps its inner indentation), with `edits` (positions of the file) applied to them.
 * Blank lines at either end go. @internal
 */
export function iteratorStatements(sf: ts.SourceFile, d: DualIterator, indent: string, edits: readonly Edit[]): string {
  const parts: string[] = [];
  const part = (stmts: readonly ts.Statement[]): void => {
    if (stmts.length === 0) return;
    const first = stmts[0]!.getStart(sf);
    // From the end of the token before (the `{`, also when it shares the line: `function (next) { log(); …`), so
    // that comments before the first statement come with it.
    const from = stmts[0]!.getFullStart();
    const to = stmts[stmts.length - 1]!.getEnd();
    const base = indentOf(sf, first);
    const own = edits
      .filter((e) => e.start >= from && e.end <= to)
      .map((e) => ({ ...e, start: e.start - from, end: e.end - from }));
    // Every line re-indented, but those inside a template literal (their white space is the string's).
    const text = shiftIndent(`\n${applyEdits(sf.text.slice(from, to), own)}`, base, indent).slice(1);
    parts.push(text.replace(/^\n+|\s+$/g, ""));
  };
  part(d.prologue);
  part(d.body.statements);
  return parts.filter((p) => p !== "").join("\n");
}

/** The white space that starts the line of `pos`. @internal */
export function indentOf(sf: ts.SourceFile, pos: number): string {
  const lineStart = sf.text.lastIndexOf("\n", pos - 1) + 1;
  return /^[ \t]*/.exec(sf.text.slice(lineStart))![0];
}

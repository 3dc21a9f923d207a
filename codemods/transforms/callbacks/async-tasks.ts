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
import { boundNamesUsed, type Edit, readsThisOrArguments, referencesTo, skipParens } from "../../core.js";
import { FS_METHODS, fsArityOf, fsLikeArity, type ModuleBindings } from "../node-table.js";
import {
  type DualIterator,
  dualFunction,
  indentOf,
  iteratorStatements,
  promisifiedAsyncFunction,
} from "./async-collections.js";
import { containsNode, skipParensUp } from "./predicates.js";

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
  if (duals.some((d) => !d || readsThisOrArguments(d.body) || d.prologue.some(readsThisOrArguments))) return undefined;
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

/**
 * The rewrite of an awaited `promisify(async.waterfall)…([tasks])` as the tasks' bodies awaited in turn, each
 * value held in the next task's parameter: `const text = await (async () => {…})();` before the statement, whose
 * await becomes the last task's body. Undefined unless every value reaches its parameter as async.js hands it on.
 *
 * async.waterfall calls task i with the success values task i-1 called back with, then its callback (by position:
 * a task with fewer parameters takes a value for its callback), stops at the first error and gives the final
 * callback the last task's values. So task 0 takes only its callback; a task with a value parameter follows one
 * that called back exactly one value (`__asyncioDual`'s arity 2, exact: the pass does not merge a waterfall task's
 * arities); one without follows one that called back none (arity 0 or 1).
 */
export function waterfallRewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  unit: string,
): { edits: Edit[]; dualCalls: number; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  if (target?.method !== "waterfall" || target.args.length !== 1 || !ts.isAwaitExpression(call.parent))
    return undefined;
  const tasks = target.args[0]!;
  if (!ts.isArrayLiteralExpression(tasks) || tasks.elements.length === 0) return undefined;
  const statement = heldStatement(call.parent);
  const host = enclosingFunction(call);
  if (!statement || !host) return undefined;
  const duals = tasks.elements.map((e, i) => {
    const n = (ts.isFunctionExpression(e) || ts.isArrowFunction(e)) && i > 0 ? e.parameters.length : 1;
    return n === 1 || n === 2 ? dualFunction(e, n) : undefined;
  });
  if (duals.some((d) => !d || readsThisOrArguments(d.body) || d.prologue.some(readsThisOrArguments))) return undefined;
  // The value each task takes: the previous task's one value, held in a const of the parameter's name.
  const held: (string | undefined)[] = [];
  for (let i = 1; i < duals.length; i++) {
    const d = duals[i]!;
    const arity = dualArity(duals[i - 1]!);
    if (d.fn.parameters.length === 1) {
      if (arity !== 0 && arity !== 1) return undefined;
      held.push(undefined);
      continue;
    }
    const p = d.item;
    if (arity !== 2 || !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.type) return undefined;
    // The const is seen by all of the enclosing function: the name must be the parameter's only meaning there.
    if (boundNamesUsed(host, d.fn).has(p.name.text)) return undefined;
    held.push(p.name.text);
  }
  const indent = indentOf(sf, statement.getStart(sf));
  const shadowed = (d: DualIterator) => boundNamesUsed(host, d.fn);
  const iife = (d: DualIterator) =>
    `await (async () => {\n${iteratorStatements(sf, d, indent + unit, [])}\n${indent}})()`;
  // Each task but the last: its statements inline where it can be, else its body awaited as an async arrow.
  const before = duals
    .slice(0, -1)
    .map((d, i) => {
      const name = held[i];
      const inline = inlinedTask(sf, d!, indent, shadowed(d!), (value) =>
        name && value !== undefined ? `const ${name} = ${value};` : !name && value === undefined ? "" : undefined,
      );
      return `${inline ?? `${name ? `const ${name} = ` : ""}${iife(d!)};`}\n${indent}`;
    })
    .join("");
  // The last task: inline, its value where the await was (`const line = value;`, `return value;`), or its body.
  const last = duals[duals.length - 1]!;
  const awaited = call.parent;
  const [from, to] = [statement.getStart(sf), statement.getEnd()];
  const head = sf.text.slice(from, awaited.getStart(sf));
  const tail = sf.text.slice(awaited.getEnd(), to);
  const holdsValue = !ts.isExpressionStatement(statement);
  // As a statement of its own, a final `return await x;` or `return f(x);` is kept as `await x;`, `f(x);`.
  const inlineLast = inlinedTask(sf, last, indent, shadowed(last), (value, node) =>
    value === undefined
      ? holdsValue
        ? undefined
        : ""
      : holdsValue
        ? `${head}${value}${tail}`
        : node && (ts.isAwaitExpression(node) || ts.isCallExpression(node))
          ? `${value};`
          : undefined,
  );
  const lastText = inlineLast ?? `${head}${iife(last)}${tail}`;
  return {
    edits: [{ start: from, end: to, text: `${before}${lastText}`.replace(/\n[ \t]*$/, "") }],
    dualCalls: duals.length,
    promisify: target.promisify,
  };
}

/**
 * A task's statements to run in place (prologue and async body), its final `return value;` replaced by what
 * `end(value)` gives (`end(undefined)` when it falls off its end or returns nothing; `end` returning undefined
 * refuses). Undefined where moving them out of their function would change them: another return, or a name
 * declared there that the enclosing function uses elsewhere (`shadowed`: its names outside this task).
 */
function inlinedTask(
  sf: ts.SourceFile,
  d: DualIterator,
  indent: string,
  shadowed: ReadonlySet<string>,
  end: (value: string | undefined, node?: ts.Expression) => string | undefined,
): string | undefined {
  const statements = [...d.prologue, ...d.body.statements];
  const last = statements[statements.length - 1];
  const finalReturn = last && ts.isReturnStatement(last) ? last : undefined;
  const others = finalReturn ? statements.slice(0, -1) : statements;
  if (others.some((st) => containsNode(st, ts.isReturnStatement, true))) return undefined;
  if ([...declaredNames(statements)].some((n) => shadowed.has(n))) return undefined;
  const value = finalReturn?.expression;
  const replacement = end(value?.getText(sf), value && skipParens(value));
  if (replacement === undefined) return undefined;
  const edits: Edit[] = finalReturn
    ? [{ start: finalReturn.getStart(sf), end: finalReturn.getEnd(), text: replacement }]
    : [];
  const text = iteratorStatements(sf, d, indent, edits).replace(/^[ \t]*/, "");
  if (!finalReturn && replacement) return `${text}\n${indent}${replacement}`;
  return text;
}

/** Names declared by these statements or inside them (nested functions' own names excluded, their declarations' names kept). */
function declaredNames(statements: readonly ts.Statement[]): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(n) ||
        ts.isBindingElement(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isClassDeclaration(n)) &&
      n.name
    )
      for (const id of bindingIdentifiers(n.name)) names.add(id);
    if (ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  for (const st of statements) visit(st);
  return names;
}

function bindingIdentifiers(name: ts.Node): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  const out: string[] = [];
  ts.forEachChild(name, (c) => {
    out.push(...bindingIdentifiers(ts.isBindingElement(c) ? c.name : c));
  });
  return out;
}

/** The statement of a block that holds the await as a whole: `await x;`, `const r = await x;`, `return await x;`. */
function heldStatement(awaited: ts.AwaitExpression): ts.Statement | undefined {
  const up = skipParensUp(awaited);
  const p = up.parent;
  const st =
    ts.isExpressionStatement(p) || ts.isReturnStatement(p)
      ? p
      : ts.isVariableDeclaration(p) &&
          p.initializer === up &&
          ts.isVariableDeclarationList(p.parent) &&
          p.parent.declarations.length === 1
        ? p.parent.parent
        : undefined;
  return st && ts.isBlock(st.parent) ? (st as ts.Statement) : undefined;
}

/** The nearest function around a node. */
function enclosingFunction(n: ts.Node): ts.SignatureDeclaration | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return p;
  return undefined;
}

/** A dual function's success arity: `__asyncioDual`'s third argument, 2 when absent. */
function dualArity(d: DualIterator): number | undefined {
  const arity = (d.ret.expression as ts.CallExpression).arguments[2];
  if (!arity) return 2;
  return ts.isNumericLiteral(arity) ? Number(arity.text) : undefined;
}

/**
 * Whether a task is a function expression in a tasks array of an awaited async.parallel/series call (its
 * callback by position: its only parameter), or of async.waterfall (the first task's only parameter, the
 * others' last of one or two).
 */
export function isParallelTask(fn: ts.Node, b: ModuleBindings): boolean {
  const tasks = fn.parent;
  if (!tasks || !ts.isArrayLiteralExpression(tasks)) return false;
  const call = tasks.parent;
  if (!call || !ts.isCallExpression(call) || !ts.isAwaitExpression(call.parent)) return false;
  if (!ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) return false;
  const target = promisifiedAsyncFunction(b, call);
  if (target?.args.length !== 1 || target.args[0] !== tasks || readsThisOrArguments(fn.body)) return false;
  if (target.method === "parallel" || target.method === "series") return fn.parameters.length === 1;
  const first = tasks.elements[0] === fn;
  return target.method === "waterfall" && (fn.parameters.length === 1 || (!first && fn.parameters.length === 2));
}

/** How many values a task of an async.waterfall call (awaited or not) takes before its callback; 0 for any other function. @internal */
export function waterfallTaskValues(fn: ts.Node, b: ModuleBindings): number {
  const tasks = fn.parent;
  if (!tasks || !ts.isArrayLiteralExpression(tasks) || !ts.isCallExpression(tasks.parent)) return 0;
  if (!ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) return 0;
  const call = tasks.parent;
  const promisified = promisifiedAsyncFunction(b, call);
  const direct = call.arguments[0] === tasks && isWaterfallCall(call, b);
  const isTask = direct || (promisified?.method === "waterfall" && promisified.args[0] === tasks);
  return isTask ? Math.max(0, fn.parameters.length - 1) : 0;
}

/** Whether a function is a task of an awaited async.waterfall call other than the last (its success arity is seen by the next). */
export function isInnerWaterfallTask(fn: ts.Node, b: ModuleBindings): boolean {
  const tasks = fn.parent;
  if (!tasks || !ts.isArrayLiteralExpression(tasks) || !ts.isCallExpression(tasks.parent)) return false;
  const target = promisifiedAsyncFunction(b, tasks.parent);
  return target?.method === "waterfall" && tasks.elements[tasks.elements.length - 1] !== fn;
}

/**
 * The success arity the final callback of `async.waterfall([…, function (…, next) {…}], cb)` gets, by the last
 * task's own calls of its callback: each `next(null, v)`, `next(e)` / `next(null)` or `next()` (its length), or
 * `next` handed last to an fs method of known arity. One arity for every call, else (or for anything else done
 * with `next`: stored, a value beside a possible error) undefined. async.js hands the final callback exactly
 * what the last task called back, so this is the arity of a function handing its callback to the call. @internal
 */
export function waterfallTailArity(call: ts.CallExpression, b: ModuleBindings): number | undefined {
  const tasks = call.arguments[0];
  if (!isWaterfallCall(call, b) || call.arguments.length !== 2 || !tasks || !ts.isArrayLiteralExpression(tasks))
    return undefined;
  const last = tasks.elements[tasks.elements.length - 1];
  if (!last || (!ts.isFunctionExpression(last) && !ts.isArrowFunction(last))) return undefined;
  const cb = last.parameters[last.parameters.length - 1];
  if (!cb || !ts.isIdentifier(cb.name) || cb.dotDotDotToken) return undefined;
  const arities = new Set<number>();
  for (const id of referencesTo(last.body, cb.name.text)) {
    const p = id.parent;
    if (!ts.isCallExpression(p)) return undefined;
    if (p.expression === id) {
      const [first] = p.arguments;
      if (p.arguments.length > 2 || p.arguments.some(ts.isSpreadElement)) return undefined;
      if (p.arguments.length === 2 && first?.kind !== ts.SyntaxKind.NullKeyword) return undefined;
      arities.add(p.arguments.length);
    } else if (p.arguments[p.arguments.length - 1] === id) {
      const f = p.expression;
      const arity =
        ts.isPropertyAccessExpression(f) && ts.isIdentifier(f.expression)
          ? b.core.get(f.expression.text) === "fs" && FS_METHODS.has(f.name.text)
            ? fsArityOf(f.name.text)
            : fsLikeArity(b, f.expression.text, f.name.text)
          : ts.isIdentifier(f)
            ? fsLikeArity(b, f.text)
            : undefined;
      if (arity === undefined) return undefined;
      arities.add(arity);
    } else return undefined;
  }
  // `next(e)` alone is an error or a success of arity 1; with `next(null, v)` beside it the arity varies.
  return arities.size === 1 ? [...arities][0] : undefined;
}

/** `async.waterfall(…)` (async bound whole) or `waterfall(…)` (`const { waterfall } = require('async')`), called directly. */
function isWaterfallCall(call: ts.CallExpression, b: ModuleBindings): boolean {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) {
    const spec = ts.isIdentifier(callee.expression) ? b.requires.get(callee.expression.text) : undefined;
    return callee.name.text === "waterfall" && spec?.module === "async" && spec.member === undefined;
  }
  const spec = ts.isIdentifier(callee) ? b.requires.get(callee.text) : undefined;
  return spec?.module === "async" && spec.member === "waterfall";
}

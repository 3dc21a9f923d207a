// Deferred wrappers: `var d = Q.defer(); g(…, function (err, v) { if (err) d.reject(err); else d.resolve(v); });
// return d.promise;` (Q, when) becomes `return new Promise((resolve, reject) => { g(…, …resolve/reject…); });`,
// the exact native form of the same wrapper: the node-apis pass's next round then converts that `new Promise`
// like any other wrapper (promise-wrapper.ts), so there is one wrapper machinery, not two.
// jQuery Deferreds are refused: they are not Promises/A+ (see JQUERY_DEFERRED).
import { ts } from "ts-morph";
import {
  declaredNames,
  type Edit,
  identifierNames,
  indentAt,
  isAsyncFunction,
  shiftIndent,
  skipParens,
  referencesTo,
} from "../core.js";
import type { AssumptionName } from "../assumptions.js";
import { Refusal } from "../reasons.js";
import type { ModuleBindings } from "./node-table.js";

export type Fn = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

/** A converted deferred wrapper: the edits, a label for the report and what the conversion relied on. */
export interface DeferredConversion {
  edits: Edit[];
  label: string;
  assumptions: AssumptionName[];
}

/** The library a `X.defer()` / `X.Deferred()` call comes from, when X is bound to it (evidence, not a name guess). */
export function deferredLibrary(e: ts.Expression, b: ModuleBindings): "q" | "when" | "jquery" | undefined {
  const call = skipParens(e);
  if (!ts.isCallExpression(call) || call.arguments.length > 0) return undefined;
  const callee = call.expression;
  if (ts.isIdentifier(callee)) {
    // `const { defer } = require('q')`
    const spec = b.requires.get(callee.text);
    if (spec?.member === "defer" && (spec.module === "q" || spec.module === "when")) return spec.module;
    return undefined;
  }
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
  const spec = b.requires.get(callee.expression.text);
  const module = spec && spec.member === undefined ? spec.module : undefined;
  if (callee.name.text === "defer" && (module === "q" || module === "when")) return module;
  // `$` / `jQuery` are usually globals in browser code: a Deferred of theirs is jQuery's, bound or not.
  const jquery =
    module === "jquery" || (!spec && (callee.expression.text === "$" || callee.expression.text === "jQuery"));
  if (callee.name.text === "Deferred" && jquery) return "jquery";
  return undefined;
}

/** Methods Q and when promises have beyond then/catch/finally: a caller using one needs the library's promise. @internal */
export const LIBRARY_ONLY_METHODS = new Set([
  "done",
  "fail",
  "fin",
  "spread",
  "progress",
  "nodeify",
  "thenResolve",
  "thenReject",
  "timeout",
  "delay",
  "tap",
  "otherwise",
  "ensure",
  "fold",
  "inspect",
  "isPending",
  "isFulfilled",
  "isRejected",
  "get",
  "invoke",
  "yield",
  "with",
  "else",
  "always",
]);

/** `d.resolve(x)` / `d.reject(e)` with `d` the given identifier node: the call, else undefined. */
function settleCallOf(id: ts.Identifier): ts.CallExpression | undefined {
  const pa = id.parent;
  if (!ts.isPropertyAccessExpression(pa) || pa.expression !== id) return undefined;
  if (pa.name.text !== "resolve" && pa.name.text !== "reject") return undefined;
  const call = pa.parent;
  if (!ts.isCallExpression(call) || call.expression !== pa || call.arguments.length > 1) return undefined;
  return call;
}

function isLoop(n: ts.Node): boolean {
  return (
    ts.isForStatement(n) ||
    ts.isForInStatement(n) ||
    ts.isForOfStatement(n) ||
    ts.isWhileStatement(n) ||
    ts.isDoStatement(n)
  );
}

function endsPath(s: ts.Statement): boolean {
  return ts.isReturnStatement(s) || ts.isThrowStatement(s);
}

/**
 * True when a path may settle the deferred again after `call` settled it: a settle inside a loop, or a later
 * statement of an enclosing block (within the same function) that settles, with no return/throw between
 * (`if (err) d.reject(err); d.resolve(v);`, the missing `return`).
 */
function maySettleAgain(call: ts.CallExpression, settles: ReadonlySet<ts.CallExpression>, stop: ts.Node): boolean {
  const containsSettle = (n: ts.Node): boolean => {
    for (const s of settles) if (s !== call && n.pos <= s.pos && s.end <= n.end) return true;
    return false;
  };
  let node: ts.Node = call;
  while (!ts.isStatement(node)) node = node.parent;
  if (ts.isReturnStatement(node)) return false;
  for (let p: ts.Node = node; p !== stop; p = p.parent) if (isLoop(p)) return true;
  while (node !== stop && !ts.isFunctionLike(node)) {
    const parent: ts.Node = node.parent;
    if (ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseClause(parent) || ts.isDefaultClause(parent)) {
      const list = parent.statements;
      for (const s of list.slice(list.indexOf(node as ts.Statement) + 1)) {
        if (containsSettle(s)) return true;
        if (endsPath(s)) return false;
      }
    }
    node = parent;
  }
  return false;
}

/** The function whose body block directly holds `stmt`, if any. */
function functionOfBody(stmt: ts.Statement): Fn | undefined {
  const block = stmt.parent;
  if (!ts.isBlock(block)) return undefined;
  const fn = block.parent;
  if (
    ts.isFunctionDeclaration(fn) ||
    ts.isFunctionExpression(fn) ||
    ts.isArrowFunction(fn) ||
    ts.isMethodDeclaration(fn)
  )
    return fn;
  return undefined;
}

/** The name callers in this file call the function by (`function f`, `var f = function`, `o.f = function`, `f() {}`). */
export function calledName(fn: Fn): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name) return fn.name.text;
  if (ts.isMethodDeclaration(fn) && ts.isIdentifier(fn.name)) return fn.name.text;
  const p = fn.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left)) return p.left.name.text;
  return undefined;
}

/**
 * A call of `name` in the file whose result is used with a method only the library's promise has
 * (`load(p).fail(…)`, or through a variable: `var x = load(p); x.done(…)`): the method, else undefined.
 */
export function libraryMethodUsedOnResult(sf: ts.SourceFile, name: string): string | undefined {
  let found: string | undefined;
  const resultNames = new Set<string>();
  const isCallOfName = (e: ts.Node): boolean => {
    const x = skipParens(e as ts.Expression);
    if (!ts.isCallExpression(x)) return false;
    const c = x.expression;
    return (ts.isIdentifier(c) && c.text === name) || (ts.isPropertyAccessExpression(c) && c.name.text === name);
  };
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && isCallOfName(n.initializer))
      resultNames.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const check = (n: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(n) && LIBRARY_ONLY_METHODS.has(n.name.text)) {
      const recv = skipParens(n.expression);
      let base: ts.Expression = recv;
      // `load(p).then(f).fail(g)`: the chain on the result is still the library's promise.
      while (
        ts.isCallExpression(base) &&
        ts.isPropertyAccessExpression(base.expression) &&
        ["then", "catch", "finally"].includes(base.expression.name.text)
      )
        base = skipParens(base.expression.expression);
      if (isCallOfName(base) || (ts.isIdentifier(base) && resultNames.has(base.text))) found = n.name.text;
    }
    ts.forEachChild(n, check);
  };
  check(sf);
  return found;
}

/**
 * The conversion of `stmt` when it declares a deferred (`var d = Q.defer()`), a Refusal, or undefined
 * when it is not a deferred at all. `idiomatic`: the profile accepts the differences documented for
 * LIBRARY_PROMISE_BECOMES_NATIVE and SYNC_THROW_BECOMES_REJECTION.
 */
export function convertDeferred(
  sf: ts.SourceFile,
  stmt: ts.VariableStatement,
  b: ModuleBindings,
  idiomatic: boolean,
  unit: string,
  promiseRebound: boolean,
): DeferredConversion | Refusal | undefined {
  const decls = stmt.declarationList.declarations;
  if (decls.length !== 1 || !decls[0].initializer) return undefined;
  const decl = decls[0];
  const lib = deferredLibrary(decl.initializer!, b);
  if (!lib) return undefined;
  if (lib === "jquery")
    return new Refusal("JQUERY_DEFERRED", "handlers may run synchronously; resolve(thenable) does not adopt it");
  if (!ts.isIdentifier(decl.name)) return new Refusal("DEFERRED_ESCAPES", "the deferred is destructured");
  const d = decl.name.text;
  const fn = functionOfBody(stmt);
  if (!fn) return new Refusal("DEFERRED_SHAPE", "the deferred is not declared in a function's body");
  const body = fn.body as ts.Block;
  const stmts = body.statements;
  const at = stmts.indexOf(stmt);
  const last = stmts[stmts.length - 1];
  // `return d.promise;`, the function's last statement, the one place the promise leaves.
  const ret =
    ts.isReturnStatement(last) && last.expression
      ? skipParens(last.expression)
      : (undefined as ts.Expression | undefined);
  const returnsPromise =
    !!ret &&
    ts.isPropertyAccessExpression(ret) &&
    ret.name.text === "promise" &&
    ts.isIdentifier(ret.expression) &&
    ret.expression.text === d;
  if (!returnsPromise) return new Refusal("DEFERRED_SHAPE", `the function does not end with \`return ${d}.promise\``);
  if ((fn as ts.FunctionDeclaration).asteriskToken) return new Refusal("DEFERRED_SHAPE", "a generator");
  const moved = stmts.slice(at + 1, -1);
  if (moved.length === 0) return new Refusal("DEFERRED_SHAPE", "nothing settles the deferred");
  // Every other use of `d`: a settle call inside the moved statements; anything else lets it escape.
  const settles = new Set<ts.CallExpression>();
  for (const id of referencesTo(body, d)) {
    if (id === decl.name || (ret as ts.PropertyAccessExpression).expression === id) continue;
    const inMoved = moved.some((s) => s.pos <= id.pos && id.end <= s.end);
    const call = inMoved ? settleCallOf(id) : undefined;
    if (!call) {
      const pa = id.parent;
      const what = ts.isPropertyAccessExpression(pa) && pa.expression === id ? `${d}.${pa.name.text}` : d;
      return new Refusal("DEFERRED_ESCAPES", what);
    }
    settles.add(call);
  }
  if (settles.size === 0) return new Refusal("DEFERRED_SHAPE", "nothing settles the deferred");
  for (const c of settles)
    if (maySettleAgain(c, settles, body)) return new Refusal("DEFERRED_SETTLED_TWICE", c.getText(sf));
  // The moved statements run inside an arrow executor: a return there would leave the executor, not the function.
  const escapesBody = (n: ts.Node): string | undefined => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return undefined;
    if (ts.isReturnStatement(n)) return "a return before the deferred's promise is returned";
    if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) return "await/yield in the wrapped statements";
    return ts.forEachChild(n, escapesBody);
  };
  for (const s of moved) {
    const why = escapesBody(s);
    if (why) return new Refusal("DEFERRED_SHAPE", why);
  }
  // Names: `resolve`/`reject` must be free in the moved code, and `Promise` the native one.
  if (promiseRebound) return new Refusal("NAME_COLLISION", "Promise is bound in this file (a library's Promise)");
  for (const name of ["resolve", "reject"])
    if (moved.some((s) => referencesTo(s, name).length)) return new Refusal("NAME_COLLISION", name);
  // `var`s and function declarations of the moved code no longer hoist to the function: nothing before may use them.
  const before = stmts.slice(0, at);
  const declared = declaredNames(moved);
  for (const s of before)
    for (const n of identifierNames(s)) if (declared.has(n)) return new Refusal("NAME_COLLISION", n);
  if (fn.type) return new Refusal("DEFERRED_SHAPE", "a declared return type names the library's promise");
  // Callers in this file that use the library promise's own methods would break.
  const name = calledName(fn);
  const method = name ? libraryMethodUsedOnResult(sf, name) : undefined;
  if (method) return new Refusal("NON_NATIVE_PROMISE", `${name}(…).${method}`);
  if (!idiomatic && !isAsyncFunction(fn))
    return new Refusal("NON_NATIVE_PROMISE", `the function returned a ${lib === "q" ? "Q" : "when"} promise`);

  // The edit: the moved statements, with `d.resolve`/`d.reject` as the executor's parameters, one level deeper.
  const inner: Edit[] = [...settles].map((c) => {
    const pa = c.expression as ts.PropertyAccessExpression;
    return { start: pa.getStart(sf), end: pa.end, text: pa.name.text };
  });
  const from = moved[0].getStart(sf);
  const to = moved[moved.length - 1].end;
  let text = "";
  let pos = from;
  for (const e of inner.sort((x, y) => x.start - y.start)) {
    text += sf.text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  text += sf.text.slice(pos, to);
  const indent = indentAt(sf.text, stmt.getStart(sf));
  const typeArg = ts.isCallExpression(skipParens(decl.initializer!))
    ? (skipParens(decl.initializer!) as ts.CallExpression).typeArguments
    : undefined;
  const generic = typeArg?.length === 1 ? `<${typeArg[0].getText(sf)}>` : "";
  const shifted = shiftIndent(text, indent, indent + unit);
  const replacement = `return new Promise${generic}((resolve, reject) => {\n${indent}${unit}${shifted}\n${indent}});`;
  const assumptions: AssumptionName[] = ["LIBRARY_PROMISE_BECOMES_NATIVE", "SYNC_THROW_BECOMES_REJECTION"];
  return {
    edits: [{ start: stmt.getStart(sf), end: last.end, text: replacement }],
    label: `${lib === "q" ? "Q" : "when"}.defer`,
    // An async function already returned a native promise and rejected on a synchronous throw.
    assumptions: isAsyncFunction(fn) ? [] : assumptions,
  };
}

/**
 * Removals of the top-level `var Q = require('q')` / `import Q from 'q'` (q, when) whose every use lies in
 * the text the deferred conversions replaced: a binding nobody reads is not code a team would keep.
 */
export function unusedLibraryImports(sf: ts.SourceFile, b: ModuleBindings, replaced: readonly Edit[]): Edit[] {
  const out: Edit[] = [];
  for (const [local, spec] of b.requires) {
    if (spec.module !== "q" && spec.module !== "when") continue;
    const uses = usesOfRequire(sf, local);
    if (!uses || uses.some((id) => !replaced.some((e) => e.start <= id.getStart(sf) && id.end <= e.end))) continue;
    out.push(requireRemoval(sf, local));
  }
  return out;
}

/**
 * The uses of a top-level require binding outside its own declaration; undefined when no statement binds it alone
 * or as one declarator of a `var a = require('a'), b = require('b')` list. @internal
 */
export function usesOfRequire(sf: ts.SourceFile, local: string): ts.Identifier[] | undefined {
  const binding = bindingOfLocal(sf, local);
  if (!binding) return undefined;
  return referencesTo(sf, local).filter((id) => !(binding.pos <= id.pos && id.end <= binding.end));
}

/**
 * The deletion of `local`'s binding (see {@link usesOfRequire}): the statement with its line break, or, in a list
 * of declarators, the declarator with the comma that separates it from its neighbour. @internal
 */
export function requireRemoval(sf: ts.SourceFile, local: string): Edit {
  const binding = bindingOfLocal(sf, local)!;
  if (ts.isVariableDeclaration(binding)) {
    const list = (binding.parent as ts.VariableDeclarationList).declarations;
    const i = list.indexOf(binding);
    // `, async = require('async')` after the first; `fs = require('fs'), ` when it is the first.
    return i > 0
      ? { start: list[i - 1]!.end, end: binding.end, text: "" }
      : { start: binding.getStart(sf), end: list[1]!.getStart(sf), text: "" };
  }
  let end = binding.end;
  if (sf.text[end] === "\r") end++;
  if (sf.text[end] === "\n") end++;
  return { start: binding.getStart(sf), end, text: "" };
}

/** The statement binding only `local`, or its declarator in a top-level list of requires. */
function bindingOfLocal(sf: ts.SourceFile, local: string): ts.Statement | ts.VariableDeclaration | undefined {
  const alone = sf.statements.find((s) => bindsLocal(s, local));
  if (alone) return alone;
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s) || s.declarationList.declarations.length < 2) continue;
    const d = s.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === local);
    if (d?.initializer && ts.isCallExpression(skipParens(d.initializer))) return d;
  }
  return undefined;
}

/** `var Q = require('q');` (one declarator) or `import Q from 'q'` / `import * as Q from 'q'` binding only `local`. */
function bindsLocal(s: ts.Statement, local: string): boolean {
  if (ts.isVariableStatement(s)) {
    const ds = s.declarationList.declarations;
    return ds.length === 1 && ts.isIdentifier(ds[0].name) && ds[0].name.text === local;
  }
  if (ts.isImportDeclaration(s) && s.importClause) {
    const ic = s.importClause;
    const names = [
      ic.name?.text,
      ic.namedBindings && ts.isNamespaceImport(ic.namedBindings) ? ic.namedBindings.name.text : undefined,
    ].filter(Boolean);
    const named = ic.namedBindings && ts.isNamedImports(ic.namedBindings) ? ic.namedBindings.elements.length : 0;
    return names.length === 1 && names[0] === local && named === 0;
  }
  return false;
}

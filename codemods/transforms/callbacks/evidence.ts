// Evidence against a conversion's assumptions found in the file itself: a mode without a callback whose
// value is used, a callee that returns a value.
import { ts } from "ts-morph";
import { isAsyncFunction, skipParens } from "../../core.js";
import { type Candidate, declarationCounts } from "./candidates.js";
import { skipParensUp } from "./predicates.js";

/** Per candidate with a local name declared once: a call of it in the file, without a callback, whose value is used. */
export function callsWithoutCallbackUsed(
  sf: ts.SourceFile,
  cands: readonly Candidate[],
): Map<Candidate, ts.CallExpression> {
  const byName = new Map<string, Candidate>();
  const counts = declarationCounts(sf);
  for (const c of cands) if (c.localName && counts.get(c.localName) === 1) byName.set(c.localName, c);
  const out = new Map<Candidate, ts.CallExpression>();
  if (byName.size === 0) return out;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      const c = byName.get(n.expression.text);
      const up = skipParensUp(n).parent;
      // Used as a value, not as a promise: an awaited call or a `.then` receiver expects the promise it gets.
      const asPromise =
        ts.isAwaitExpression(up) ||
        (ts.isPropertyAccessExpression(up) && ["then", "catch", "finally"].includes(up.name.text)) ||
        (ts.isReturnStatement(up) && enclosingIsAsync(up)) ||
        // `async (x) => f(x)`: returned from an async function, as `return f(x)` there.
        (ts.isArrowFunction(up) && up.body === skipParensUp(n) && isAsyncFunction(up));
      const used = !ts.isExpressionStatement(up) && !ts.isVoidExpression(up) && !asPromise;
      if (
        c &&
        !out.has(c) &&
        used &&
        n.arguments.length < c.fn.parameters.length &&
        !n.arguments.some(ts.isSpreadElement)
      )
        out.set(c, n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function enclosingIsAsync(n: ts.Node): boolean {
  let p: ts.Node | undefined = n.parent;
  while (p && !ts.isFunctionLike(p)) p = p.parent;
  return !!p && isAsyncFunction(p);
}

/**
 * The top-level function `name` returns a value on some path: a `return` (outside nested functions) of
 * something other than its callback's call or an asynchronous call handed a continuation or callback —
 * `return new FindUp(…)`, `return emitter`, `return sync(x)`.
 */
export function returnsAValue(sf: ts.SourceFile, name: string): boolean {
  const fn = topLevelFunction(sf, name);
  return !!fn && functionReturnsAValue(fn);
}

/**
 * The same for a method of the caller's own class: `this.m(…)` inside `C.prototype.x = function …`, where the file
 * assigns `C.prototype.m = function …` once and that function returns a value on some path (nconf's `_execute`,
 * which without a callback returns the stores' answer).
 */
export function methodReturnsAValue(sf: ts.SourceFile, callee: ts.PropertyAccessExpression): boolean {
  if (callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
  let fn: ts.Node | undefined = callee.parent;
  while (fn && !(ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn))) fn = fn.parent;
  const cls = fn && prototypeOwner(fn.parent, fn);
  if (!cls) return false;
  const found = prototypeMethods(sf).get(`${cls}.${callee.name.text}`);
  return found?.length === 1 && functionReturnsAValue(found[0]!);
}

/** `C` when `n` is `C.prototype.x = fn`. */
function prototypeOwner(n: ts.Node | undefined, fn: ts.Node): string | undefined {
  if (!n || !ts.isBinaryExpression(n) || n.right !== fn || n.operatorToken.kind !== ts.SyntaxKind.EqualsToken)
    return undefined;
  const l = n.left;
  if (!ts.isPropertyAccessExpression(l) || !ts.isPropertyAccessExpression(l.expression)) return undefined;
  const proto = l.expression;
  return proto.name.text === "prototype" && ts.isIdentifier(proto.expression) ? proto.expression.text : undefined;
}

const prototypeMethodsOf = new WeakMap<ts.SourceFile, Map<string, ts.FunctionExpression[]>>();
/** The file's top-level `C.prototype.m = function …` by `C.m` (indexed once per parsed file). */
function prototypeMethods(sf: ts.SourceFile): Map<string, ts.FunctionExpression[]> {
  let index = prototypeMethodsOf.get(sf);
  if (index) return index;
  const found = new Map<string, ts.FunctionExpression[]>();
  for (const st of sf.statements) {
    if (!ts.isExpressionStatement(st) || !ts.isBinaryExpression(st.expression)) continue;
    const { left, right } = st.expression;
    const cls = ts.isFunctionExpression(right) ? prototypeOwner(st.expression, right) : undefined;
    if (cls && ts.isPropertyAccessExpression(left)) {
      const key = `${cls}.${left.name.text}`;
      found.set(key, [...(found.get(key) ?? []), right as ts.FunctionExpression]);
    }
  }
  index = found;
  prototypeMethodsOf.set(sf, index);
  return index;
}

function functionReturnsAValue(fn: ts.FunctionLikeDeclaration): boolean {
  if (!fn.body || !ts.isBlock(fn.body)) return false;
  const cb = fn.parameters[fn.parameters.length - 1];
  const cbName = cb && ts.isIdentifier(cb.name) ? cb.name.text : undefined;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || (ts.isFunctionLike(n) && n !== fn)) return;
    if (ts.isReturnStatement(n) && n.expression) {
      const e = skipParens(n.expression);
      const last = ts.isCallExpression(e) ? e.arguments[e.arguments.length - 1] : undefined;
      const callbackCall = ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === cbName;
      const handsOn = !!last && (ts.isFunctionLike(last) || (ts.isIdentifier(last) && last.text === cbName));
      const nothing = ts.isVoidExpression(e) || (ts.isIdentifier(e) && e.text === "undefined");
      if (!callbackCall && !handsOn && !nothing) found = true;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(fn.body, visit);
  return found;
}

const topLevelFunctions = new WeakMap<ts.SourceFile, Map<string, ts.FunctionDeclaration>>();
/** The file's first top-level function declaration of this name (indexed once per parsed file). */
function topLevelFunction(sf: ts.SourceFile, name: string): ts.FunctionDeclaration | undefined {
  let index = topLevelFunctions.get(sf);
  if (!index) {
    index = new Map();
    for (const st of sf.statements)
      if (ts.isFunctionDeclaration(st) && st.name && !index.has(st.name.text)) index.set(st.name.text, st);
    topLevelFunctions.set(sf, index);
  }
  return index.get(name);
}

// What a converted function no longer needs once its callback is gone: the checks that one was passed
// (`assert(typeof cb === 'function')`, `if (!cb) throw …`) and the shuffle that let the callback take an
// optional argument's place (`if (typeof options === 'function') { cb = options; options = {} }`), which
// becomes a default parameter (`options = {}`): the export shim's dualApi finds the callback past f.length,
// which stops there.
import { ts } from "ts-morph";
import { countReferences, isTsFile, referencesTo, skipParens } from "../../core.js";
import { exportNamesOf, type FnLike } from "./candidates.js";
import { moduleBindings } from "../node-table.js";

const isNamed = (e: ts.Expression, name: string): boolean => {
  const x = skipParens(e);
  return ts.isIdentifier(x) && x.text === name;
};

/** `typeof x === 'function'` (positive: `===`/`==`; negative: `!==`/`!=`), either side. */
function isTypeofFunction(e: ts.Expression, name: string, positive: boolean): boolean {
  const x = skipParens(e);
  if (!ts.isBinaryExpression(x)) return false;
  const k = x.operatorToken.kind;
  const ops = positive
    ? [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken]
    : [ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
  if (!ops.includes(k)) return false;
  const typeofOf = (s: ts.Expression) =>
    ts.isTypeOfExpression(skipParens(s)) && isNamed((skipParens(s) as ts.TypeOfExpression).expression, name);
  const isFunctionText = (s: ts.Expression) =>
    ts.isStringLiteral(skipParens(s)) && (skipParens(s) as ts.StringLiteral).text === "function";
  return (typeofOf(x.left) && isFunctionText(x.right)) || (typeofOf(x.right) && isFunctionText(x.left));
}

const refersTo = (n: ts.Node, name: string): boolean => countReferences(n, name) > 0;

const assertNames = new WeakMap<ts.SourceFile, Set<string>>();

/** Local names of node's assert module (`const assert = require('assert')`, `import assert from 'node:assert'`). */
function assertBindings(sf: ts.SourceFile): Set<string> {
  let out = assertNames.get(sf);
  if (!out) {
    out = new Set<string>();
    for (const [local, spec] of moduleBindings(sf).requires)
      if ((spec.module === "assert" || spec.module === "node:assert") && spec.member === undefined) out.add(local);
    assertNames.set(sf, out);
  }
  return out;
}

/**
 * A statement that only checks that the callback was passed: `assert(typeof cb === 'function'[, msg])`,
 * `assert(cb)`, `assert.ok(…)`, `assert.equal/strictEqual(typeof cb, 'function'[, msg])` of node's assert, or
 * `if (typeof cb !== 'function') throw …` / `if (!cb) throw …` with no else.
 */
export function isCallbackCheck(sf: ts.SourceFile, st: ts.Statement, cb: string): boolean {
  if (ts.isExpressionStatement(st) && ts.isCallExpression(st.expression)) {
    const call = st.expression;
    const callee = call.expression;
    const asserts = assertBindings(sf);
    const [first, ...rest] = call.arguments;
    if (!first || rest.some((a) => refersTo(a, cb))) return false;
    if (ts.isIdentifier(callee) && asserts.has(callee.text))
      return isNamed(first, cb) || isTypeofFunction(first, cb, true);
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return false;
    if (!asserts.has(callee.expression.text)) return false;
    const m = callee.name.text;
    if (m === "ok") return isNamed(first, cb) || isTypeofFunction(first, cb, true);
    if (m === "equal" || m === "strictEqual") {
      const [, second, ...more] = call.arguments;
      return (
        !!second &&
        ts.isTypeOfExpression(skipParens(first)) &&
        isNamed((skipParens(first) as ts.TypeOfExpression).expression, cb) &&
        ts.isStringLiteral(skipParens(second)) &&
        (skipParens(second) as ts.StringLiteral).text === "function" &&
        !more.some((a) => refersTo(a, cb))
      );
    }
    return false;
  }
  if (!ts.isIfStatement(st) || st.elseStatement) return false;
  const test = skipParens(st.expression);
  const negated =
    (ts.isPrefixUnaryExpression(test) &&
      test.operator === ts.SyntaxKind.ExclamationToken &&
      isNamed(test.operand, cb)) ||
    isTypeofFunction(test, cb, false);
  if (!negated) return false;
  const then = st.thenStatement;
  const thrown = ts.isBlock(then) && then.statements.length === 1 ? then.statements[0] : then;
  return ts.isThrowStatement(thrown) && !refersTo(thrown, cb);
}

/** An optional argument the callback may take the place of, and the value the function then gives it. */
export interface OptionsShuffle {
  statement: ts.IfStatement;
  /** The parameter before the callback. */
  param: ts.ParameterDeclaration;
  /** `{}` in `options = {}`: the default parameter's text. */
  defaultText: string;
}

/** A literal the default parameter can evaluate anew on each call as the shuffle did: `{}`, `{ up: 0 }`, `null`, `[]`. */
function isLiteralValue(e: ts.Expression): boolean {
  const x = skipParens(e);
  if (ts.isObjectLiteralExpression(x))
    return x.properties.every(
      (p) => ts.isPropertyAssignment(p) && !ts.isComputedPropertyName(p.name) && isLiteralValue(p.initializer),
    );
  if (ts.isArrayLiteralExpression(x)) return x.elements.every((el) => !ts.isSpreadElement(el) && isLiteralValue(el));
  return (
    x.kind === ts.SyntaxKind.NullKeyword ||
    x.kind === ts.SyntaxKind.TrueKeyword ||
    x.kind === ts.SyntaxKind.FalseKeyword ||
    ts.isNumericLiteral(x) ||
    ts.isStringLiteral(x) ||
    ts.isNoSubstitutionTemplateLiteral(x) ||
    (ts.isIdentifier(x) && x.text === "undefined")
  );
}

/**
 * The function's first statement `if (typeof opt === 'function') { cb = opt; opt = V }` (or `cb = opt, opt = V`),
 * opt the parameter just before the callback and V a literal: the callback called without the optional argument.
 */
export function optionsShuffle(fn: ts.FunctionLikeDeclaration, cb: string): OptionsShuffle | undefined {
  const body = fn.body;
  const ps = fn.parameters;
  // JavaScript only: a TypeScript union `Options | Callback` would not take the default's type.
  if (!body || !ts.isBlock(body) || ps.length < 2 || isTsFile(fn.getSourceFile().fileName)) return undefined;
  const param = ps[ps.length - 2];
  if (!ts.isIdentifier(param.name) || param.initializer || param.dotDotDotToken || param.questionToken || param.type)
    return undefined;
  const opt = param.name.text;
  const st = body.statements[0];
  if (!st || !ts.isIfStatement(st) || st.elseStatement || !isTypeofFunction(st.expression, opt, true)) return undefined;
  const exprs: ts.Expression[] = [];
  const collect = (e: ts.Expression): void => {
    const x = skipParens(e);
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.CommaToken) {
      collect(x.left);
      collect(x.right);
    } else exprs.push(x);
  };
  const then = st.thenStatement;
  for (const s of ts.isBlock(then) ? then.statements : [then]) {
    if (!ts.isExpressionStatement(s)) return undefined;
    collect(s.expression);
  }
  const assign = (e: ts.Expression | undefined, left: string): ts.BinaryExpression | undefined =>
    e && ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken && isNamed(e.left, left)
      ? e
      : undefined;
  const toCallback = assign(exprs[0], cb);
  const toDefault = assign(exprs[1], opt);
  if (exprs.length !== 2 || !toCallback || !isNamed(toCallback.right, opt) || !toDefault) return undefined;
  if (!isLiteralValue(toDefault.right)) return undefined;
  return { statement: st, param, defaultText: toDefault.right.getText(fn.getSourceFile()) };
}

/**
 * Whether only the file calls the function: declared by name, exported under no name, and every other
 * identifier of that name the callee of a call. Its callers are then the file's own, each converted (and
 * awaiting it) or passing a callback, so a check that one was passed can go. An exported function keeps its
 * checks: its callers elsewhere may rely on the throw (fs-vacuum's tests call it without a callback).
 */
function onlyCalledInFile(sf: ts.SourceFile, fn: ts.FunctionLikeDeclaration, name: string | undefined): boolean {
  if (!name || exportNamesOf(sf, fn as FnLike, name).length) return false;
  const declared = ts.isFunctionDeclaration(fn)
    ? fn.name
    : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)
      ? fn.parent.name
      : undefined;
  if (!declared || declared.text !== name) return false;
  return referencesTo(sf, name).every(
    (n) => n === declared || (ts.isCallExpression(n.parent) && n.parent.expression === n),
  );
}

/**
 * The statements of the function's body the callback's removal makes obsolete: its shuffle, and its checks
 * when only the file calls it (onlyCalledInFile).
 */
export function callbackOnlyStatements(
  sf: ts.SourceFile,
  fn: ts.FunctionLikeDeclaration,
  cb: string,
  name: string | undefined,
): readonly ts.Statement[] {
  // Asked for each candidate in every round of a pass: once per function node (a pass re-parses the file).
  let found = obsoleteOf.get(fn);
  if (!found) obsoleteOf.set(fn, (found = findCallbackOnlyStatements(sf, fn, cb, name)));
  return found;
}

const obsoleteOf = new WeakMap<ts.Node, readonly ts.Statement[]>();

function findCallbackOnlyStatements(
  sf: ts.SourceFile,
  fn: ts.FunctionLikeDeclaration,
  cb: string,
  name: string | undefined,
): ts.Statement[] {
  const body = fn.body;
  if (!body || !ts.isBlock(body)) return [];
  const shuffle = optionsShuffle(fn, cb);
  const checksGo = body.statements.some((st) => isCallbackCheck(sf, st, cb)) && onlyCalledInFile(sf, fn, name);
  return body.statements.filter((st) => st === shuffle?.statement || (checksGo && isCallbackCheck(sf, st, cb)));
}

/** The prologue's text without these statements' lines (found by their text: a counter's prologue is rebuilt). */
export function prologueWithout(sf: ts.SourceFile, prologue: string, stmts: readonly ts.Statement[]): string {
  let out = prologue;
  for (const st of stmts) {
    let start = out.indexOf(st.getText(sf));
    if (start < 0) continue;
    let end = start + st.getText(sf).length;
    while (start > 0 && (out[start - 1] === " " || out[start - 1] === "\t")) start--;
    if (out[end] === "\n") end++;
    else if (out.startsWith("\r\n", end)) end += 2;
    // A blank line on each side: one goes too.
    if (out.slice(0, start).endsWith("\n\n") && /^[ \t]*\r?\n/.test(out.slice(end)))
      end += /^[ \t]*\r?\n/.exec(out.slice(end))![0].length;
    out = out.slice(0, start) + out.slice(end);
  }
  return out;
}

/**
 * A dual wrapper of an earlier pass (`return __asyncioDual(cb, async () => …)` after its prologue) that a
 * converted caller may call without the callback: the prologue names the callback only in an options
 * shuffle whose optional argument has its default (`options = {}`), so a call without either still works.
 */
export function isDirectWrapper(fn: ts.FunctionLikeDeclaration, cb: string): boolean {
  const body = fn.body;
  const ps = fn.parameters;
  if (!body || !ts.isBlock(body) || !ps.length) return false;
  const prologue = body.statements.slice(0, -1);
  return prologue.every((st, i) => {
    if (!refersTo(st, cb)) return true;
    const opt = ps.length > 1 ? ps[ps.length - 2] : undefined;
    return (
      i === 0 &&
      !!opt?.initializer &&
      ts.isIdentifier(opt.name) &&
      ts.isIfStatement(st) &&
      !st.elseStatement &&
      isTypeofFunction(st.expression, opt.name.text, true)
    );
  });
}

// Small questions about the AST the callbacks transform asks: is an expression surely truthy or a
// non-error, does a name look like an error parameter, is it redeclared, assigned or read, is a
// statement an error propagation, does a condition need parentheses.
import { ts } from "ts-morph";
import { assignmentsTo, mutationTarget, skipParens } from "../../core.js";

export function isCallTo(e: ts.Node | undefined, name: string): e is ts.CallExpression {
  return !!e && ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === name;
}

export function isSurelyTruthy(e: ts.Expression): boolean {
  const x = skipParens(e);
  return (
    ts.isNewExpression(x) ||
    ts.isObjectLiteralExpression(x) ||
    ts.isArrayLiteralExpression(x) ||
    (ts.isStringLiteral(x) && x.text !== "")
  );
}

/**
 * A first callback argument that is surely a value, not an error: `true`/`false`, a number, `!x`,
 * a comparison, `typeof x`, arithmetic (`done(false)`, `cb(!err)`). A string may be an old-style
 * error (`cb("failed")`), so it does not count.
 */
export function isSurelyNonError(e: ts.Expression): boolean {
  const x = skipParens(e);
  if (x.kind === ts.SyntaxKind.TrueKeyword || x.kind === ts.SyntaxKind.FalseKeyword) return true;
  if (ts.isNumericLiteral(x) || ts.isTypeOfExpression(x)) return true;
  if (ts.isPrefixUnaryExpression(x))
    return x.operator === ts.SyntaxKind.ExclamationToken || ts.isNumericLiteral(skipParens(x.operand));
  if (ts.isBinaryExpression(x)) {
    const k = x.operatorToken.kind;
    return (
      (k >= ts.SyntaxKind.LessThanToken && k <= ts.SyntaxKind.ExclamationEqualsEqualsToken) ||
      k === ts.SyntaxKind.MinusToken ||
      k === ts.SyntaxKind.AsteriskToken ||
      k === ts.SyntaxKind.SlashToken ||
      k === ts.SyntaxKind.InstanceOfKeyword ||
      k === ts.SyntaxKind.InKeyword
    );
  }
  return false;
}

/** Names an error parameter usually has (`err`, `er`, `error`, `e`, `ex`, `err2`, `readErr`, `_error`…). */
export const ERROR_PARAM = /^_*(e|er|err|error|ex|exc|exception|failure|reason)\d*$/i;
/** …or a compound name ending in one (`readErr`, `statError`, `open_err`). */
const ERROR_PARAM_SUFFIX = /(Err|Error|_err|_error|_er)\d*$/;

/**
 * True when a continuation's first parameter may be an error: its name says so and the body does
 * not use it as a boolean or number (`=== true`, `typeof x === "boolean"`, arithmetic).
 */
export function looksLikeErrorParam(p: ts.Identifier, body: ts.Node): boolean {
  if (!ERROR_PARAM.test(p.text) && !ERROR_PARAM_SUFFIX.test(p.text)) return false;
  return !containsNode(body, (n) => {
    if (!ts.isBinaryExpression(n)) return false;
    const isP = (e: ts.Expression) =>
      ts.isIdentifier(skipParens(e)) && (skipParens(e) as ts.Identifier).text === p.text;
    const k = n.operatorToken.kind;
    const cmp =
      k === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      k === ts.SyntaxKind.EqualsEqualsToken ||
      k === ts.SyntaxKind.ExclamationEqualsToken;
    const value = (e: ts.Expression) => {
      const v = skipParens(e);
      return v.kind === ts.SyntaxKind.TrueKeyword || v.kind === ts.SyntaxKind.FalseKeyword || ts.isNumericLiteral(v);
    };
    return cmp && ((isP(n.left) && value(n.right)) || (isP(n.right) && value(n.left)));
  });
}

export function isSimpleRef(e: ts.Expression): boolean {
  const x = skipParens(e);
  return ts.isIdentifier(x) || (ts.isPropertyAccessExpression(x) && isSimpleRef(x.expression));
}

/**
 * Whether computing e may change state: an assignment, `++`/`--`, `delete`, `new`, `await`, `yield`, or a
 * call other than a method of a plain name (`sizes.reduce(…)`, `list.join(',')`). Function bodies inside e
 * are not run by computing it, so they do not count.
 */
export function hasSideEffectSyntax(e: ts.Expression): boolean {
  return containsNode(
    e,
    (n) =>
      mutationTarget(n) !== undefined ||
      ts.isDeleteExpression(n) ||
      ts.isNewExpression(n) ||
      ts.isAwaitExpression(n) ||
      ts.isYieldExpression(n) ||
      (ts.isCallExpression(n) &&
        !(ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(skipParens(n.expression.expression)))),
    true,
  );
}

/**
 * isexe's `cb(er, er ? false : checkStat(stat))`: a value that tests the error first. Returns what it is when the
 * error is falsy (`checkStat(stat)`), provided the part computed when the error is set has no side effect, so that
 * dropping the value on an error (VALUE_WITH_ERROR_DROPPED) drops only that part. Forms: `err ? V : W`,
 * `!err ? W : V`, `!err && W`. @internal
 */
export function successBranch(error: string, value: ts.Expression): ts.Expression | undefined {
  const v = skipParens(value);
  const isError = (e: ts.Expression) => {
    const x = skipParens(e);
    return ts.isIdentifier(x) && x.text === error;
  };
  const isNotError = (e: ts.Expression) => {
    const x = skipParens(e);
    return ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken && isError(x.operand);
  };
  if (ts.isConditionalExpression(v)) {
    if (isError(v.condition) && !hasSideEffectSyntax(v.whenTrue)) return v.whenFalse;
    if (isNotError(v.condition) && !hasSideEffectSyntax(v.whenFalse)) return v.whenTrue;
  }
  if (ts.isBinaryExpression(v) && v.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken && isNotError(v.left))
    return v.right;
  return undefined;
}

export function isBareReturn(s: ts.Statement | undefined): boolean {
  return !!s && ts.isReturnStatement(s) && s.expression === undefined;
}

export function containsNode(root: ts.Node, pred: (n: ts.Node) => boolean, stopAtFunctions = false): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (pred(n)) {
      found = true;
      return;
    }
    if (stopAtFunctions && ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  visit(root);
  return found;
}

/** A condition that must be parenthesised as the test of `c ? 0 : 1`. */
export function needsParensInConditional(e: ts.Expression): boolean {
  return (
    ts.isConditionalExpression(e) ||
    ts.isArrowFunction(e) ||
    ts.isYieldExpression(e) ||
    (ts.isBinaryExpression(e) &&
      (e.operatorToken.kind === ts.SyntaxKind.CommaToken ||
        (e.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
          e.operatorToken.kind <= ts.SyntaxKind.LastAssignment)))
  );
}

export function skipParensUp(n: ts.Node): ts.Node {
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  return n;
}

export function leftmostConjunct(e: ts.Expression): ts.Expression | undefined {
  let x = skipParens(e);
  while (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
    x = skipParens(x.left);
  return x;
}

/**
 * True when some reference to the error `name` (outside nested functions whose parameters shadow it)
 * reads its value beyond a truthiness test: not `if (err)`, `!err`, `err ? … : …`, `err && …` in a test,
 * nor inside the true branch of such a test, nor an assignment to it.
 */
export function readsErrorValue(nodes: readonly ts.Node[], name: string): boolean {
  const leftmostIs = (e: ts.Expression): boolean => {
    let x = skipParens(e);
    while (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)
      x = skipParens(x.left);
    return ts.isIdentifier(x) && x.text === name;
  };
  const inTest = (n: ts.Node): boolean => {
    let c = n;
    while (ts.isParenthesizedExpression(c.parent)) c = c.parent;
    const p = c.parent;
    if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === c) return true;
    if (ts.isConditionalExpression(p) && p.condition === c) return true;
    if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
    if (
      ts.isBinaryExpression(p) &&
      (p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ||
        p.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    )
      return inTest(p);
    if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.left === c) return true;
    return false;
  };
  const guarded = (n: ts.Node): boolean => {
    for (let c: ts.Node = n; c.parent; c = c.parent) {
      const p = c.parent;
      if (ts.isIfStatement(p) && p.thenStatement === c && leftmostIs(p.expression)) return true;
      if (ts.isConditionalExpression(p) && p.whenTrue === c && leftmostIs(p.condition)) return true;
      if (
        ts.isBinaryExpression(p) &&
        p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken &&
        p.right === c &&
        leftmostIs(p.left)
      )
        return true;
    }
    return false;
  };
  let reads = false;
  const visit = (n: ts.Node): void => {
    if (reads) return;
    if (ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) return;
    if (
      (ts.isIdentifier(n) && n.text === name && !ts.isPropertyAccessExpression(n.parent)) ||
      (ts.isIdentifier(n) && n.text === name && ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n)
    ) {
      if (!inTest(n) && !guarded(n)) reads = true;
    }
    ts.forEachChild(n, visit);
  };
  nodes.forEach(visit);
  return reads;
}

export function isAssigned(root: ts.Node, name: string): boolean {
  return assignmentsTo(root, name) > 0;
}

/** `if (err) return cb(err);` / `if (err) { return cb(err); }` / `if (err) { cb(err); return; }` with no else. */
export function isPropagation(s: ts.Statement, errName: string, cbName: string): boolean {
  if (!ts.isIfStatement(s) || s.elseStatement) return false;
  const c = skipParens(s.expression);
  if (!ts.isIdentifier(c) || c.text !== errName) return false;
  let body: readonly ts.Statement[] = ts.isBlock(s.thenStatement) ? s.thenStatement.statements : [s.thenStatement];
  if (body.length === 2 && isBareReturn(body[1]) && ts.isExpressionStatement(body[0])) body = [body[0]];
  if (body.length !== 1) return false;
  const b = body[0];
  const e = ts.isReturnStatement(b)
    ? b.expression
    : ts.isExpressionStatement(b) && ts.isBlock(s.thenStatement)
      ? b.expression
      : undefined;
  if (ts.isExpressionStatement(b) && !ts.isBlock(s.thenStatement)) return false;
  return (
    !!e &&
    isCallTo(e, cbName) &&
    e.arguments.length === 1 &&
    ts.isIdentifier(e.arguments[0]) &&
    e.arguments[0].text === errName
  );
}

/** `if (err) return …;` (or `{ …; return … }`) with no else: the guard after which `err` is falsy. */
export function errGuardReturn(s: ts.Statement | undefined, errName: string): ts.IfStatement | undefined {
  if (!s || !ts.isIfStatement(s) || s.elseStatement) return undefined;
  const cond = skipParens(s.expression);
  if (!ts.isIdentifier(cond) || cond.text !== errName) return undefined;
  const t = s.thenStatement;
  const last = ts.isBlock(t) ? t.statements[t.statements.length - 1] : t;
  return last && (ts.isReturnStatement(last) || ts.isThrowStatement(last)) ? s : undefined;
}

/** The comments in the trivia starting at pos (up to the next token), as source text. */
export function commentsAt(text: string, pos: number): string[] {
  const ranges = [...(ts.getLeadingCommentRanges(text, pos) ?? [])];
  return ranges.map((r) => text.slice(r.pos, r.end));
}

/** `e` of an enclosing `catch (e)` (in the same function), not reassigned in that catch block. */
export function isCaughtValue(id: ts.Identifier): boolean {
  for (let p: ts.Node | undefined = id.parent; p && !ts.isFunctionLike(p); p = p.parent) {
    if (!ts.isCatchClause(p)) continue;
    const v = p.variableDeclaration;
    if (!v || !ts.isIdentifier(v.name) || v.name.text !== id.text) continue;
    return !isAssigned(p.block, id.text);
  }
  return false;
}

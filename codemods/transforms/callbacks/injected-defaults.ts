// Injected fs methods: `options.unlink(p, cb)` where the file itself defaults the property to fs's
// method, `options.unlink = options.unlink || fs.unlink`, or rimraf's loop over the names,
// `methods.forEach(function (m) { options[m] = options[m] || fs[m] })`. Under the named assumption
// INJECTED_LIKE_DEFAULT such a call is awaited as the fs method is: the replacement a caller injects
// (graceful-fs, a test's mock) keeps the contract of the default it replaces.
import { ts } from "ts-morph";
import { assignmentsTo, bindingOf, countReferences, skipParens } from "../../core.js";
import { fsLikeArity, type ModuleBindings } from "../node-table.js";

/** Object name → property → the success arity of the fs method the file defaults it to. */
export type InjectedDefaults = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** A member read `A.m`, `A["m"]` or `A[v]`: its object's name and its key (a name, or a variable). */
interface Member {
  obj: string;
  name?: string;
  variable?: string;
}

function memberOf(e: ts.Expression): Member | undefined {
  const x = skipParens(e);
  if (ts.isPropertyAccessExpression(x) && ts.isIdentifier(x.expression) && ts.isIdentifier(x.name))
    return { obj: x.expression.text, name: x.name.text };
  if (!ts.isElementAccessExpression(x) || !ts.isIdentifier(x.expression)) return undefined;
  const key = x.argumentExpression;
  if (ts.isStringLiteralLike(key)) return { obj: x.expression.text, name: key.text };
  if (ts.isIdentifier(key)) return { obj: x.expression.text, variable: key.text };
  return undefined;
}

const sameKey = (a: Member, b: Member): boolean => a.name === b.name && a.variable === b.variable;

/** `A.k = A.k || F.k` (or `??`): the defaulted member and the fallback's object name. */
function defaulting(s: ts.Statement): { target: Member; from: string } | undefined {
  if (!ts.isExpressionStatement(s)) return undefined;
  const e = skipParens(s.expression);
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const right = skipParens(e.right);
  if (
    !ts.isBinaryExpression(right) ||
    (right.operatorToken.kind !== ts.SyntaxKind.BarBarToken &&
      right.operatorToken.kind !== ts.SyntaxKind.QuestionQuestionToken)
  )
    return undefined;
  const [target, current, fallback] = [memberOf(e.left), memberOf(right.left), memberOf(right.right)];
  if (!target || !current || !fallback) return undefined;
  if (current.obj !== target.obj || !sameKey(current, target) || !sameKey(fallback, target)) return undefined;
  return fallback.obj === target.obj ? undefined : { target, from: fallback.obj };
}

/** The string literals of `[…]`, or of a variable bound once to one and only iterated here. */
function literalNames(e: ts.Expression): string[] | undefined {
  let x = skipParens(e);
  if (ts.isIdentifier(x)) {
    const b = bindingOf(x);
    const init = b?.decl.initializer;
    // Declared and iterated, nothing else: no push, splice or reassignment can change the names.
    if (!b || !init || assignmentsTo(b.scope, x.text) !== 0 || countReferences(b.scope, x.text) !== 2) return undefined;
    x = skipParens(init);
  }
  if (!ts.isArrayLiteralExpression(x)) return undefined;
  const names = x.elements.map((el) => (ts.isStringLiteralLike(el) ? el.text : undefined));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

/**
 * The names `A[v] = A[v] || F[v]` defaults, inside `names.forEach(function (v) { … })`: the literal
 * names, when `v` is the loop's parameter and not yet reassigned (rimraf goes on with `m = m + 'Sync'`).
 */
function loopNames(s: ts.Statement, variable: string): string[] | undefined {
  const body = s.parent;
  const fn = body.parent;
  if (!ts.isBlock(body) || !(ts.isFunctionExpression(fn) || ts.isArrowFunction(fn))) return undefined;
  const param = fn.parameters[0];
  if (!param || !ts.isIdentifier(param.name) || param.name.text !== variable) return undefined;
  const before = body.statements.slice(0, body.statements.indexOf(s));
  if (before.some((b) => assignmentsTo(b, variable) !== 0)) return undefined;
  const call = fn.parent;
  if (
    !ts.isCallExpression(call) ||
    call.arguments[0] !== fn ||
    !ts.isPropertyAccessExpression(call.expression) ||
    call.expression.name.text !== "forEach"
  )
    return undefined;
  return literalNames(call.expression.expression);
}

/** Every property of the file defaulted to an fs method of known arity, by object name. @internal */
export function injectedDefaults(sf: ts.SourceFile, bindings: ModuleBindings): InjectedDefaults {
  const found = new Map<string, Map<string, number>>();
  const add = (obj: string, name: string, from: string): void => {
    const arity = fsLikeArity(bindings, from, name);
    if (arity === undefined) return;
    if (!found.has(obj)) found.set(obj, new Map());
    found.get(obj)!.set(name, arity);
  };
  const visit = (n: ts.Node): void => {
    const d = ts.isExpressionStatement(n) ? defaulting(n) : undefined;
    if (d?.target.name !== undefined) add(d.target.obj, d.target.name, d.from);
    else if (d?.target.variable !== undefined)
      for (const name of loopNames(n as ts.Statement, d.target.variable) ?? []) add(d.target.obj, name, d.from);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

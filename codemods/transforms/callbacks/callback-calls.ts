// What replaces a call that ends a path of the callback's flow: a call of the callback itself
// (`cb(err, v)` → `throw` / `return`), the callback handed on (`g(args, cb)` → `return await g'(args)`),
// or a tail call of an inner helper that calls it.
import { ts } from "ts-morph";
import { freshName, isNullish, paren, skipParens } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { START_HELPER } from "./helpers.js";
import { boundNamesUsed } from "../../core.js";
import type { Conversion } from "./context.js";
import {
  containsNode,
  hasSideEffectSyntax,
  isCaughtValue,
  isSimpleRef,
  isSurelyNonError,
  isSurelyTruthy,
  successBranch,
} from "./predicates.js";

/**
 * What replaces a callback call: its statements, one per line; `scoped` when they declare a name and need a block of
 * their own. @internal
 */
export interface Replacement {
  stmts: string[];
  scoped?: boolean;
}

/**
 * A replacement's text where a statement stood, at that statement's indentation: one line per statement, in braces
 * when it is the body of an `if` or a loop without them (`needBraces`) or declares a name. @internal
 */
export function renderReplacement(
  r: Replacement,
  indent: string,
  unit: string,
  needBraces: boolean,
  inLine = false,
): string {
  if (r.stmts.length === 1 && !r.scoped) return r.stmts[0]!;
  // Where the statement shares its line with code before it (`catch (e) { return cb(e) }`), it stays on that line.
  if (inLine) return needBraces || r.scoped ? `{ ${r.stmts.join(" ")} }` : r.stmts.join(" ");
  if (!needBraces && !r.scoped) return r.stmts.join(`\n${indent}`);
  return `{\n${indent}${unit}${r.stmts.join(`\n${indent}${unit}`)}\n${indent}}`;
}

/** The statement(s) replacing a callback call. `known` holds error names known to be null here. @internal */
export function cbCallText(
  cx: Conversion,
  call: ts.CallExpression,
  known: ReadonlySet<string>,
  truthy: ReadonlySet<string>,
): Replacement {
  const args = call.arguments;
  if (args.some(ts.isSpreadElement)) throw new Refusal("CALLBACK_IN_EXPRESSION", "spread");
  if (args.length === 0) {
    cx.successArities.add(0);
    return { stmts: ["return;"] };
  }
  const a0 = args[0];
  if (isSurelyNonError(a0)) throw new Refusal("NOT_ERR_FIRST", cx.text(a0));
  const nullish = isNullish(a0) || (ts.isIdentifier(a0) && known.has(a0.text));
  if (nullish) {
    cx.successArities.add(Math.min(args.length, 2));
    if (args.length === 1) return { stmts: ["return;"] };
    // `cb(er, er ? false : check(st))` where `er` is known null: the success branch.
    const value = ts.isIdentifier(a0) ? (successBranch(a0.text, args[1]!) ?? args[1]!) : args[1]!;
    if (args.length === 2) return { stmts: [`return ${cx.text(value)};`] };
    throw new Refusal("MULTIPLE_RESULTS");
  }
  // `catch (e) { return cb(e) }`: thrown values are errors in practice (`if (e) throw e; return;` otherwise).
  if (cx.idiomatic && ts.isIdentifier(a0) && isCaughtValue(a0)) {
    if (args.length > 1) throw new Refusal("MULTIPLE_RESULTS", "error with values");
    cx.assumptions.add("CAUGHT_VALUE_IS_ERROR");
    return { stmts: [`throw ${a0.text};`] };
  }
  if (isSurelyTruthy(a0) || (ts.isIdentifier(a0) && truthy.has(a0.text))) {
    if (args.length > 1) throw new Refusal("MULTIPLE_RESULTS", "error with values");
    return { stmts: [`throw ${cx.text(a0)};`] };
  }
  // `cb(er.code === 'ENOENT' ? null : er)` with `er` known truthy: the test alone says which path it is.
  const picked = args.length === 1 ? errorPickedByTest(cx, a0, truthy) : undefined;
  if (picked) {
    cx.successArities.add(1);
    return { stmts: [`if (${picked.test}) throw ${picked.error};`, "return;"] };
  }
  if (args.length > 2) throw new Refusal("MULTIPLE_RESULTS");
  // `cb(err, v)` with an error that may be set: the converted function reports the error alone, so `v`
  // must be what the original passed with an error too: the innermost continuation's own result,
  // undefined on its error path (a trailing undefined after an error is the documented difference).
  // `cb(er, er ? false : check(st))`: past `if (er) throw er`, the value is its success branch.
  const onSuccess = args.length === 2 && ts.isIdentifier(a0) ? successBranch(a0.text, args[1]) : undefined;
  if (args.length === 2 && !valueGoesWithError(cx, a0, args[1])) {
    // Idiomatic: err-first callers read no value when the error is set (du's `callback(err, sizes && …)`).
    if (!cx.idiomatic || (hasSideEffectSyntax(args[1]) && !onSuccess))
      throw new Refusal("MULTIPLE_RESULTS", "a value passed with an error");
    cx.assumptions.add("VALUE_WITH_ERROR_DROPPED");
  }
  const valueText = args.length === 2 ? ` ${cx.text(onSuccess ?? args[1])}` : "";
  if (!isSimpleRef(a0)) {
    // Evaluated once, as the original did.
    if (containsNode(a0, (n) => ts.isFunctionLike(n) || ts.isYieldExpression(n)))
      throw new Refusal("CALLBACK_IN_EXPRESSION");
    const tmp = freshName("error", boundNamesUsed(cx.cand.fn));
    cx.successArities.add(args.length);
    return {
      stmts: [`const ${tmp} = ${cx.text(a0)};`, `if (${tmp}) throw ${tmp};`, `return${valueText};`],
      scoped: true,
    };
  }
  const e = cx.text(a0);
  cx.successArities.add(args.length);
  return { stmts: [`if (${e}) throw ${e};`, `return${valueText};`] };
}

/**
 * `c ? null : er` / `c ? er : null`, `er` a name known truthy here (the guard's error, a caught value under the
 * default profile): the error is thrown exactly when the test says so — `c` negated for the first form
 * (`a === b` → `a !== b`).
 */
function errorPickedByTest(
  cx: Conversion,
  e: ts.Expression,
  truthy: ReadonlySet<string>,
): { test: string; error: string } | undefined {
  const x = skipParens(e);
  if (!ts.isConditionalExpression(x)) return undefined;
  const [t, f] = [skipParens(x.whenTrue), skipParens(x.whenFalse)];
  // A caught value is an error under the default profile's CAUGHT_VALUE_IS_ERROR, recorded when it is relied on.
  const known = (n: ts.Expression): n is ts.Identifier => {
    if (!ts.isIdentifier(n)) return false;
    if (truthy.has(n.text)) return true;
    if (!cx.idiomatic || !isCaughtValue(n)) return false;
    cx.assumptions.add("CAUGHT_VALUE_IS_ERROR");
    return true;
  };
  if (hasSideEffectSyntax(x.condition) || containsNode(x.condition, ts.isFunctionLike)) return undefined;
  if (isNullish(t) && known(f)) return { test: negated(cx, x.condition), error: f.text };
  if (isNullish(f) && known(t)) return { test: cx.text(x.condition), error: t.text };
  return undefined;
}

function negated(cx: Conversion, c: ts.Expression): string {
  const x = skipParens(c);
  const flips: Partial<Record<ts.SyntaxKind, string>> = {
    [ts.SyntaxKind.EqualsEqualsEqualsToken]: "!==",
    [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "===",
    [ts.SyntaxKind.EqualsEqualsToken]: "!=",
    [ts.SyntaxKind.ExclamationEqualsToken]: "==",
  };
  if (ts.isBinaryExpression(x) && flips[x.operatorToken.kind])
    return `${cx.text(x.left)} ${flips[x.operatorToken.kind]} ${cx.text(x.right)}`;
  return `!${paren(cx.text(c))}`;
}

/** True when `cb(error, value)` passes the innermost continuation's own error (only) and its unchanged result. */
function valueGoesWithError(cx: Conversion, error: ts.Expression, value: ts.Expression): boolean {
  const top = cx.continuations[cx.continuations.length - 1];
  if (!top?.value || !ts.isIdentifier(value) || value.text !== top.value) return false;
  let onlyTopError = true;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n)) return visit(n.expression);
    if (ts.isIdentifier(n) && n.text !== top.err && n.text !== "undefined") onlyTopError = false;
    ts.forEachChild(n, visit);
  };
  visit(error);
  return onlyTopError;
}

/** `return await g'(args);` for `g(args, cb)`; records the callee's success arity. @internal */
export function tailPassText(cx: Conversion, call: ts.CallExpression, returnsItsValue: boolean): string {
  const plan = cx.awaitable(call, 1);
  // `return fsExists(p, cb)`: the callback would get `true`/`false` as its error.
  if (plan?.valueOnly) throw new Refusal("NOT_ERR_FIRST", `${plan.label} calls back with a value, not an error`);
  if (!plan || plan.arity === undefined || plan.arrayValues)
    throw new Refusal(
      "CALLBACK_ESCAPES",
      `handed to ${cx.text(call.expression)}, a function not known to call it back once with a known arity`,
    );
  // `return g(x, cb)` hands g's result to our caller; for an unknown g that result may matter
  // (a sync twin without callback, a stream, a request object).
  if (returnsItsValue && plan.assumed && plan.calleeReturnsValue)
    throw new Refusal("RETURNS_VALUE", `${plan.label} returns a value on some path`);
  if (returnsItsValue && plan.assumed) cx.assume("RETURN_VALUE_UNUSED", "RETURNS_VALUE", plan.label);
  if (plan.assumed) cx.assumptions.add("ERR_FIRST_CALLEE");
  if (plan.mayCallBackSync) cx.assume("CALLBACK_NOW_ASYNC", "ZALGO", `${plan.label} may call back synchronously`);
  if (plan.assumes) cx.assumptions.add(plan.assumes);
  if (typeof plan.arity === "number") cx.successArities.add(plan.arity);
  else cx.arityDeps.add(plan.arity);
  let awaited = plan.expr;
  if (cx.pendingStart) {
    const args = call.arguments.slice(0, -1).map((a) => cx.text(a));
    awaited = cx.takeStart(`${START_HELPER}((done) => ${cx.text(call.expression)}(${[...args, "done"].join(", ")}))`);
  }
  cx.asyncCalls++;
  return `return await ${awaited};`;
}

/** `return await helper(args);` for a tail call of an inner helper (made async) inside a continuation. @internal */
export function helperTailCallText(cx: Conversion, call: ts.CallExpression, inCont: boolean): string {
  const name = (call.expression as ts.Identifier).text;
  // On the function's own flow the helper would make the first asynchronous call, inside the async body.
  if (!inCont)
    cx.assume("SYNC_THROW_BECOMES_REJECTION", "ASYNC_START_NESTED", `first asynchronous call inside helper ${name}`);
  cx.helperTailCalls.set(name, (cx.helperTailCalls.get(name) ?? 0) + 1);
  cx.asyncCalls++;
  return `return await ${cx.text(call)};`;
}

// A retried continuation: a named continuation that re-arms the same call from a timer, rimraf's
//
//   rimraf_(p, options, function CB (er) {
//     if (er && er.code === "EBUSY" && busyTries < 3) {
//       busyTries ++
//       return setTimeout(function () { rimraf_(p, options, CB) }, busyTries * 100)
//     }
//     cb(er)
//   })
//
// is a retry loop: the awaited call inside `for (;;) { … }`, each re-arming statement becoming
// `await new Promise((resolve) => setTimeout(resolve, delay)); continue;`. The call is made again after
// the same delay, with its arguments evaluated then, as the timer did; only the microtask that resumes the
// loop lies between the timer and the call. Anything else naming the continuation stays CONTINUATION_SHAPE.
import { ts } from "ts-morph";
import { bindsName, freshName, indentAt, isPropertyName, skipParens } from "../../core.js";
import { Refusal } from "../../reasons.js";
import type { Conversion } from "./context.js";
import { fileNames } from "./candidates.js";

const named = (detail: string): Refusal => new Refusal("CONTINUATION_SHAPE", `named: ${detail}`);

/** The one call a timer's function makes: `function () { g(…) }` or `() => g(…)`, no parameters. */
function timerCall(fn: ts.Expression): ts.CallExpression | undefined {
  const f = skipParens(fn);
  if (!(ts.isFunctionExpression(f) || ts.isArrowFunction(f)) || f.parameters.length || f.name) return undefined;
  if (f.modifiers?.length || (f as ts.FunctionExpression).asteriskToken) return undefined;
  const body = f.body;
  const only = ts.isBlock(body)
    ? body.statements.length === 1 && ts.isExpressionStatement(body.statements[0]!)
      ? body.statements[0].expression
      : undefined
    : body;
  const call = only && skipParens(only);
  return call && ts.isCallExpression(call) ? call : undefined;
}

/** Only blocks and `if` branches between a statement and the continuation's body: `continue` means our loop. */
function onTheFlow(s: ts.Statement, body: ts.Block): boolean {
  for (let p: ts.Node = s.parent; p !== body; p = p.parent) if (!ts.isBlock(p) && !ts.isIfStatement(p)) return false;
  return true;
}

/**
 * The re-arming statements of a named continuation, each with its delay's text ("" for none), recorded in
 * cx.retries for the walker; throws CONTINUATION_SHAPE when the name is used any other way. @internal
 */
export function markRetries(cx: Conversion, call: ts.CallExpression, cont: ts.FunctionExpression): void {
  const name = cont.name!.text;
  if (!ts.isBlock(cont.body)) throw named("expression body");
  if (cx.pendingStart) throw named("a retried call that starts synchronously");
  if (bindsName(cx.sf, "setTimeout")) throw named("setTimeout is not the global timer");
  const body = cont.body;
  const sameArgs = (again: ts.CallExpression): boolean =>
    cx.text(again.expression) === cx.text(call.expression) &&
    again.arguments.length === call.arguments.length &&
    again.arguments.slice(0, -1).every((a, i) => cx.text(a) === cx.text(call.arguments[i]!));
  let refs = 0;
  const found = new Map<ts.Statement, string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name && !isPropertyName(n)) refs++;
    if (ts.isReturnStatement(n) && n.expression) {
      const timer = skipParens(n.expression);
      if (ts.isCallExpression(timer) && ts.isIdentifier(timer.expression) && timer.expression.text === "setTimeout") {
        const [fn, delay, ...more] = timer.arguments;
        const again = fn && timerCall(fn);
        const last = again?.arguments[again.arguments.length - 1];
        if (again && !more.length && last && ts.isIdentifier(last) && last.text === name && sameArgs(again)) {
          if (!onTheFlow(n, body)) throw named("re-armed inside a loop, switch, try or nested function");
          if (delay && cx.containsCb(delay)) throw named("the callback in the delay");
          found.set(n, delay ? cx.text(delay) : "");
          cx.retriedCalls.set(again, call);
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  if (found.size === 0 || refs !== found.size)
    throw named("the continuation's name is used other than to retry the call");
  for (const [s, delay] of found) cx.retries.set(s, delay);
}

/** `await new Promise((resolve) => setTimeout(resolve, delay)); continue;`, a retry statement's text. @internal */
export function retryText(cx: Conversion, s: ts.Statement, delay: string): string {
  const resolve = freshName("resolve", fileNames(cx.sf));
  const wait = `await new Promise((${resolve}) => setTimeout(${resolve}${delay ? `, ${delay}` : ""}));`;
  return ts.isBlock(s.parent)
    ? `${wait}\n${indentAt(cx.sf.text, s.getStart(cx.sf))}continue;`
    : `{ ${wait} continue; }`;
}

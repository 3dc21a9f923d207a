// Inner helpers: function declarations of the body that call the callback (mv's `mkdirs`, `doRename`),
// found and checked so that `return await helper(…)` is the original tail call, then made async.
import { ts } from "ts-morph";
import { isTsFile, usesThisOrArguments } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { promisedType } from "./candidates.js";
import type { Conversion } from "./context.js";
import { containsNode, skipParensUp } from "./predicates.js";
import { convertList } from "./walker.js";

/**
 * Finds the inner helpers and checks what makes `return await helper()` the same as the
 * original tail call: each is a plain function declaration of the body, declared once, used only
 * as `helper(…);` / `return helper(…);`, and does not call itself (or another helper that
 * calls it back) outside a continuation. @internal
 */
export function findHelpers(
  cx: Conversion,
  body: ts.Block,
  decls: Map<string, number>,
  notHelpers: ReadonlySet<ts.Statement> = new Set(),
): void {
  const fnDecls = body.statements.filter(
    (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && !!s.name && !!s.body && !notHelpers.has(s),
  );
  for (let grown = true; grown; ) {
    grown = false;
    for (const d of fnDecls) {
      if (cx.helpers.has(d.name!.text)) continue;
      if (containsNode(d.body!, (n) => cx.isCbRef(n) || (ts.isIdentifier(n) && cx.helpers.has(n.text)))) {
        cx.helpers.set(d.name!.text, d);
        grown = true;
      }
    }
  }
  for (const [name, h] of cx.helpers) {
    if (decls.get(name) !== 1) throw new Refusal("HELPER_NOT_TAIL_CALLED", `helper ${name} redeclared`);
    if (h.modifiers?.length || h.asteriskToken)
      throw new Refusal("CALLBACK_IN_NESTED_FUNCTION", `helper ${name} is async, a generator or has modifiers`);
    if (h.parameters.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
      throw new Refusal("CALLBACK_IN_NESTED_FUNCTION", `helper ${name}: parameters`);
    const u = usesThisOrArguments(h.body!);
    if (u.usesThis || u.usesArguments)
      throw new Refusal("CALLBACK_IN_NESTED_FUNCTION", `helper ${name} uses this/arguments`);
  }
  // Every use is a call in statement position (stored, passed on or used in an expression: refused).
  const uses = (n: ts.Node): void => {
    if (cx.isHelperRef(n)) {
      const call = n.parent;
      const host = ts.isCallExpression(call) && call.expression === n ? skipParensUp(call).parent : undefined;
      if (!host || !(ts.isExpressionStatement(host) || ts.isReturnStatement(host)))
        throw new Refusal("HELPER_NOT_TAIL_CALLED", `${n.text}: ${cx.text(n.parent)}`);
    }
    ts.forEachChild(n, uses);
  };
  uses(body);
  // A helper calling a helper outside any nested function runs it synchronously; a cycle of such
  // calls is synchronous recursion. Calls from continuations (fs-vacuum's `next` walking up after
  // each rmdir) are awaited one after the other, as the original chained them.
  const syncCallees = new Map<string, Set<string>>();
  for (const [name, h] of cx.helpers) {
    const out = new Set<string>();
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if (cx.isHelperRef(n)) out.add(n.text);
      ts.forEachChild(n, visit);
    };
    h.body!.statements.forEach(visit);
    syncCallees.set(name, out);
  }
  for (const name of cx.helpers.keys()) {
    const seen = new Set<string>();
    const stack = [...syncCallees.get(name)!];
    while (stack.length) {
      const g = stack.pop()!;
      if (g === name) throw new Refusal("HELPER_RECURSIVE", `${name} calls itself outside a continuation`);
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...syncCallees.get(g)!);
    }
  }
}

/**
 * The helpers that may run synchronously from the function's own call: called outside any nested function by the
 * function's flow (`next(0)` as its first call), or by such a helper. Their callback calls outside continuations
 * are synchronous on that path (an empty list's `return cb(null, total)`). @internal
 */
export function synchronouslyRunHelpers(cx: Conversion, flow: readonly ts.Statement[]): Set<string> {
  const out = new Set<string>();
  const callsOutsideFunctions = (n: ts.Node, found: string[]): string[] => {
    if (ts.isFunctionLike(n)) return found;
    if (cx.isHelperRef(n) && ts.isCallExpression(n.parent) && n.parent.expression === n) found.push(n.text);
    ts.forEachChild(n, (c) => void callsOutsideFunctions(c, found));
    return found;
  };
  const stack = flow.flatMap((st) => callsOutsideFunctions(st, []));
  while (stack.length) {
    const name = stack.pop()!;
    if (out.has(name)) continue;
    out.add(name);
    for (const st of cx.helpers.get(name)?.body?.statements ?? []) stack.push(...callsOutsideFunctions(st, []));
  }
  return out;
}

/**
 * Makes a helper an async function whose callback calls become returns and throws. `runsSynchronously`: the
 * function's own call may run it before anything asynchronous (see {@link synchronouslyRunHelpers}). @internal
 */
export function convertHelper(cx: Conversion, h: ts.FunctionDeclaration, runsSynchronously: boolean): void {
  // A helper run only from continuations calls back asynchronously (see helperTailCallText).
  // What a helper's continuations bring into scope lives in the helper's own scope.
  const scope = cx.usedInFn;
  cx.usedInFn = h;
  convertList(cx, h.body!.statements, !runsSynchronously, true, new Set(), new Set());
  cx.usedInFn = scope;
  cx.edits.push({ start: h.getStart(cx.sf), end: h.getStart(cx.sf), text: "async " });
  if (isTsFile(cx.ctx.fileName)) {
    // The helper's promise carries the function's result (also types recursive helpers).
    const t = `Promise<${promisedType(cx.cand.fn, cx.sf)}>`;
    if (h.type) cx.edits.push({ start: h.type.getStart(cx.sf), end: h.type.end, text: t });
    else {
      const close = cx.sf.text.lastIndexOf(")", h.body!.getStart(cx.sf));
      cx.edits.push({ start: close + 1, end: close + 1, text: `: ${t}` });
    }
  }
}

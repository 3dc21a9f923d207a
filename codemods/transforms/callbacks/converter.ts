// FunctionConverter: the analysis and rewrite of one callback-taking function into an async function
// behind a callback-compatible wrapper (refusing, by a Refusal, any site that breaks an invariant).
// The entry, convertBody: the prologue kept synchronous, then the first call (a counter's parallel
// calls, a branched start, or one call started at once) and the rest, converted by the walker.
import { ts } from "ts-morph";
import { applyEdits, freshName, isNullish, isTsFile, skipParens, usesThisOrArguments } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { convertCounter } from "../counters.js";
import { START_HELPER } from "./helpers.js";
import { declarationCounts, fileNames, redeclaresOutsideInnerParameters } from "./candidates.js";
import { Conversion } from "./context.js";
import { convertHelper, findHelpers, synchronouslyRunHelpers } from "./inner-helpers.js";
import { afterJoinDeclarations } from "./after-join.js";
import { branchedStart, convertBranchedStart } from "./start.js";
import { convertList } from "./walker.js";
import { containsNode, isBareReturn, skipParensUp } from "./predicates.js";

/** Analysis + rewrite of one candidate (its state: Conversion). Throws Refusal. */
export class FunctionConverter extends Conversion {
  /**
   * Entry: returns the synchronous prologue (kept outside the async body, so
   * its checks and throws stay synchronous), and the converted rest.
   */
  convertBody(): { prologue: string; rest: string } {
    const fn = this.cand.fn;
    if (
      fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ||
      (fn as ts.FunctionDeclaration).asteriskToken
    )
      throw new Refusal("ALREADY_ASYNC");
    const body = fn.body as ts.Block;
    if (redeclaresOutsideInnerParameters(body, this.cand.cbName))
      throw new Refusal("CALLBACK_ESCAPES", "callback name redeclared");
    // Parallel calls joined by a counter (`if (--left === 0) cb(null, out)`): Promise.all.
    const counter = convertCounter(
      {
        sf: this.sf,
        fn,
        cbName: this.cand.cbName,
        isTs: isTsFile(this.ctx.fileName),
        unit: this.unit,
        startHelper: START_HELPER,
        promiseForm: this.idiomatic,
        awaitable: (c, v) => this.counterPlan(c, v),
      },
      body.statements,
    );
    if (counter) {
      for (const st of body.statements.slice(0, counter.firstIndex)) {
        if (counter.dropped.includes(st)) continue; // the deferred empty-list guard, checked and rewritten there
        checkPrologueRefs(this, st);
        if (containsNode(st, ts.isReturnStatement, true))
          throw new Refusal("MAYBE_NEVER_CALLED", "return in the prologue");
      }
      if (counter.arity !== undefined) this.successArities.add(counter.arity);
      this.asyncCalls++;
      // The calls start in their promise form: a bad argument rejects instead of throwing.
      if (this.idiomatic) this.assumptions.add("SYNC_THROW_BECOMES_REJECTION");
      this.startDecl = counter.startDecl;
      return { prologue: counter.prologue, rest: withoutTrailingReturn(counter.rest) };
    }
    // An `after` join's onComplete calls the callback but is the join's continuation, not an inner helper.
    findHelpers(
      this,
      body,
      declarationCounts(body as unknown as ts.SourceFile),
      afterJoinDeclarations(this, body.statements),
    );
    // The function's own flow; the helpers' declarations are hoisted and converted on their own.
    const stmts = body.statements.filter(
      (st) => !(ts.isFunctionDeclaration(st) && st.name && this.helpers.get(st.name.text) === st),
    );
    // The prologue: statements before the first one that calls the callback or a helper (or hands it to a continuation).
    let k = stmts.findIndex(
      (st) =>
        containsNode(
          st,
          (n) => (this.isCbRef(n) || this.isHelperRef(n)) && ts.isCallExpression(n.parent) && n.parent.expression === n,
        ) ||
        this.isContinuationStatement(st) ||
        this.isTailPass(st) ||
        (ts.isIfStatement(st) && containsNode(st, (n) => ts.isStatement(n) && this.isTailPass(n), true)),
    );
    if (k < 0) k = stmts.length;
    for (const st of stmts.slice(0, k)) {
      checkPrologueRefs(this, st);
      // `if (!cb) return syncResult()`: a mode without a callback (nconf, recursive-readdir), which is not
      // evidence that calls with a callback never get called back.
      if (ts.isIfStatement(st) && testsNoCallback(this, st.expression) && containsNode(st, ts.isReturnStatement, true))
        throw new Refusal("OPTIONAL_CALLBACK", `a mode without a callback: ${this.text(st.expression)}`);
      if (containsNode(st, ts.isReturnStatement, true))
        throw new Refusal("MAYBE_NEVER_CALLED", "return in the prologue");
    }
    // After the prologue the callback may only be called, or handed on as the last argument (checked in convertList).
    const visit = (n: ts.Node): void => {
      if (this.isCbRef(n)) {
        const p = n.parent;
        const called = ts.isCallExpression(p) && p.expression === n;
        const host = ts.isCallExpression(p) ? skipParensUp(p).parent : undefined;
        const handedOn =
          ts.isCallExpression(p) &&
          p.arguments[p.arguments.length - 1] === n &&
          !!host &&
          (ts.isStatement(host) ||
            (ts.isConditionalExpression(host) && ts.isReturnStatement(skipParensUp(host).parent)));
        // `cb && cb(x)`, `if (cb) cb(x)`: an optional callback (callers may pass none), not an escape.
        const tested =
          (ts.isBinaryExpression(p) &&
            p.left === n &&
            p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) ||
          (ts.isIfStatement(p) && p.expression === n);
        if (!called && !handedOn && tested) throw new Refusal("OPTIONAL_CALLBACK", this.text(p));
        if (!called && !handedOn) throw new Refusal("CALLBACK_ESCAPES", this.text(p));
      }
      ts.forEachChild(n, visit);
    };
    stmts.slice(k).forEach(visit);
    for (const h of this.helpers.values()) visit(h);
    if (k === stmts.length) {
      // `cb = arguments[arguments.length - 1]` (read-package-json's variadic signatures): the callback is
      // found at run time, which is not evidence that it is never called.
      if (usesThisOrArguments(this.cand.fn.body ?? this.cand.fn).usesArguments)
        throw new Refusal("CALLBACK_FROM_ARGUMENTS");
      throw new Refusal("MAYBE_NEVER_CALLED", "never calls back");
    }

    const first = stmts[k];
    // The idiomatic profile starts nothing outside the async body: an async function runs
    // synchronously up to its first await, so the first call is still made at once.
    const startsAsync =
      !this.idiomatic &&
      (this.isContinuationStatement(first) || this.isTailPass(first)) &&
      (k === stmts.length - 1 || (k === stmts.length - 2 && isBareReturn(stmts[k + 1])));
    // `if (c) { A(…, function (er) {…}) } else { B(…) }` at the end of the flow: the condition picks, synchronously, which first call starts.
    const branched =
      !this.idiomatic &&
      !startsAsync &&
      (k === stmts.length - 1 || (k === stmts.length - 2 && isBareReturn(stmts[k + 1])))
        ? branchedStart(this, first, new Set())
        : undefined;
    if (startsAsync || branched) this.startVar = freshName("started", fileNames(this.sf));
    const mark = this.edits.length;
    const branchStartedHelpers = new Map<string, number>();
    if (branched) convertBranchedStart(this, first as ts.IfStatement, branched, branchStartedHelpers);
    else {
      if (startsAsync) this.pendingStart = true;
      convertList(this, stmts.slice(k), false, true, new Set(), new Set());
      if (startsAsync) this.startDecl = `const ${this.startVar} = ${this.startedExprs[0]};`;
    }
    const refsTo = (name: string, skip: ReadonlySet<ts.Node>): number => {
      let refs = 0;
      const visit = (n: ts.Node): void => {
        if (skip.has(n)) return;
        if (this.isHelperRef(n) && n.text === name) refs++;
        ts.forEachChild(n, visit);
      };
      visit(body);
      return refs;
    };
    // A helper only ever started from a branch lives on inline in the async body: its declaration goes.
    const inlined = new Set<ts.Node>(
      [...branchStartedHelpers]
        .filter(([name, count]) => refsTo(name, new Set()) === count)
        .map(([name]) => this.helpers.get(name)!),
    );
    const runSynchronously = synchronouslyRunHelpers(this, stmts);
    for (const h of this.helpers.values()) {
      if (inlined.has(h)) this.edits.push({ start: h.getFullStart(), end: h.end, text: "" });
      else convertHelper(this, h, runSynchronously.has(h.name!.text));
    }
    for (const [name, h] of this.helpers) {
      if (inlined.has(h)) continue;
      // The calls inside inlined helpers were converted with them.
      if (refsTo(name, inlined) !== (this.helperTailCalls.get(name) ?? 0) + (branchStartedHelpers.get(name) ?? 0))
        throw new Refusal("HELPER_NOT_TAIL_CALLED", `${name} is called outside the callback's flow`);
    }
    if (this.syncCalls > 0) this.assume("CALLBACK_NOW_ASYNC", this.asyncCalls > 0 ? "ZALGO" : "SYNC_CALLBACK");
    // The first asynchronous call must run synchronously, as before, so that its
    // argument errors still throw from the call. (An async body runs synchronously up to its
    // first await, so without the start helper it still starts at once; only its throws reject.)
    if (!startsAsync && !branched) this.assume("SYNC_THROW_BECOMES_REJECTION", "ASYNC_START_NESTED");
    // A helper declared before the first asynchronous call (`function next () {…}` at the top) is converted
    // where it stands, in the prologue's text; the edits of the rest start at the first call.
    const split = first.getStart(this.sf);
    const prologueStart = body.getStart(this.sf) + 1;
    const made = this.edits.splice(mark);
    const inPrologue = made.filter((e) => e.start < split);
    if (inPrologue.some((e) => e.end > split))
      throw new Refusal("CALLBACK_IN_NESTED_FUNCTION", "an edit spans the prologue and the first call");
    this.edits.push(...made.filter((e) => e.start >= split));
    const rest = this.render(split, body.end - 1, mark);
    const prologue = applyEdits(
      this.sf.text.slice(prologueStart, split),
      inPrologue.map((e) => ({ ...e, start: e.start - prologueStart, end: e.end - prologueStart })),
    );
    return { prologue, rest: withoutTrailingReturn(rest) };
  }
}

/**
 * The async body's text without its last statement when that is a bare `return;` (the original's final
 * `cb(null)`): an async function that falls off its end resolves with undefined alike. The text is parsed on
 * its own; anything it cannot tell (a parse error, a comment after the return, a lone statement) keeps it.
 */
function withoutTrailingReturn(rest: string): string {
  // Most bodies end otherwise: parsed only when the text ends like a bare return.
  if (!/\breturn\s*;?\s*$/.test(rest)) return rest;
  const prefix = "async function f() {";
  const sf = ts.createSourceFile("body.tsx", `${prefix}${rest}\n}`, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  if ((sf as unknown as { parseDiagnostics: readonly unknown[] }).parseDiagnostics.length) return rest;
  const fn = sf.statements[0];
  if (sf.statements.length !== 1 || !fn || !ts.isFunctionDeclaration(fn) || !fn.body) return rest;
  const statements = fn.body.statements;
  const last = statements[statements.length - 1];
  if (statements.length < 2 || !last || !ts.isReturnStatement(last) || last.expression) return rest;
  const end = last.end - prefix.length;
  if (rest.slice(end).trim() !== "") return rest;
  let from = last.getStart(sf) - prefix.length;
  while (from > 0 && (rest[from - 1] === " " || rest[from - 1] === "\t")) from--;
  if (from > 0 && rest[from - 1] === "\n") from--;
  if (from > 0 && rest[from - 1] === "\r") from--;
  return rest.slice(0, from) + rest.slice(end);
}

/** `!cb`, `cb == null`, `cb === undefined`, `typeof cb !== 'function'`: a test for a missing callback. */
function testsNoCallback(cx: Conversion, e: ts.Expression): boolean {
  const x = skipParens(e);
  if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken)
    return cx.isCbRef(skipParens(x.operand));
  if (!ts.isBinaryExpression(x)) return false;
  const k = x.operatorToken.kind;
  const negative = k === ts.SyntaxKind.ExclamationEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken;
  const positive = k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsToken;
  if (!negative && !positive) return false;
  const [l, r] = [skipParens(x.left), skipParens(x.right)];
  if (positive && ((cx.isCbRef(l) && isNullish(r)) || (cx.isCbRef(r) && isNullish(l)))) return true;
  const isTypeofCb = (n: ts.Expression) => ts.isTypeOfExpression(n) && cx.isCbRef(skipParens(n.expression));
  const isFunctionString = (n: ts.Expression) => ts.isStringLiteralLike(n) && n.text === "function";
  return negative && ((isTypeofCb(l) && isFunctionString(r)) || (isTypeofCb(r) && isFunctionString(l)));
}

/** In the prologue the callback may be tested, asserted or normalised (`cb = options`), not called or handed on. */
function checkPrologueRefs(cx: Conversion, st: ts.Statement): void {
  const isAssert = (e: ts.Expression): boolean => {
    const x = skipParens(e);
    return (
      (ts.isIdentifier(x) && x.text === "assert") ||
      (ts.isPropertyAccessExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === "assert")
    );
  };
  const ok = (n: ts.Node): boolean => {
    let child = n;
    let p = n.parent;
    while (ts.isParenthesizedExpression(p)) {
      child = p;
      p = p.parent;
    }
    if (ts.isTypeOfExpression(p)) return true;
    if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
    if (ts.isBinaryExpression(p)) {
      const k = p.operatorToken.kind;
      if (
        [
          ts.SyntaxKind.EqualsEqualsEqualsToken,
          ts.SyntaxKind.ExclamationEqualsEqualsToken,
          ts.SyntaxKind.EqualsEqualsToken,
          ts.SyntaxKind.ExclamationEqualsToken,
        ].includes(k)
      )
        return true;
      if (k === ts.SyntaxKind.EqualsToken && p.left === child) return true;
      if ([ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(k)) {
        const q = p.parent;
        return (
          ts.isBinaryExpression(q) &&
          q.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          cx.isCbRef(skipParens(q.left))
        );
      }
    }
    if (ts.isIfStatement(p) && p.expression === child) return true;
    if (ts.isConditionalExpression(p) && p.condition === child) return true;
    if (ts.isCallExpression(p) && p.expression === child) throw new Refusal("SYNC_CALLBACK");
    if (ts.isCallExpression(p) && isAssert(p.expression)) return true;
    return false;
  };
  const visit = (n: ts.Node): void => {
    if (cx.isCbRef(n) && !ok(n)) throw new Refusal("CALLBACK_ESCAPES", cx.text(n.parent));
    ts.forEachChild(n, visit);
  };
  visit(st);
}

// Conversion: the one context record the conversion of a function passes to its small flat functions
// (callback-calls, continuation, walker, inner-helpers, start, converter), as TypeScript's
// convertToAsyncFunction passes its Transformer: what was found, what was decided, the edits made.
import { ts } from "ts-morph";
import { applyEdits, bindsName, type Edit, type FileContext, isPropertyName, skipParens } from "../../core.js";
import { Refusal, type ReasonCode } from "../../reasons.js";
import { type AssumptionName, isIdiomatic } from "../../assumptions.js";
import type { Candidate } from "./candidates.js";
import { containsNode } from "./predicates.js";

/** How a continuation's call is awaited. */
export interface AwaitPlan {
  /** Expression text to await (the call without its continuation). */
  expr: string;
  /** Max success values the awaited promise can carry in the continuation's shape. */
  maxValues: number;
  /** The awaited value is an array of the success values (unknown callees with several). */
  arrayValues?: boolean;
  label: string;
  /** How many arguments the callee passes its callback on success: a number, or a same-file function's name. */
  arity?: number | string;
  /** A same-file converted function called directly (`f(args)`, its promise): the call node. */
  localCall?: ts.CallExpression;
  /** Only assumed err-first (--assume-err-first): its return value and callback-less behaviour are unknown. */
  assumed?: boolean;
  /**
   * The error the callee passes on success, when it may not be null: "unknown" (it may call back `cb()`,
   * error undefined: rimraf, another file's function), or a same-file function's name (undefined iff
   * that function calls back `cb()`).
   */
  successError?: string;
  /** A known callee that calls back synchronously in an edge case (async.js on an empty collection). */
  mayCallBackSync?: boolean;
  /** The callee's callback gets values only, no error (`fs.exists(p, (exists) => …)`). */
  valueOnly?: boolean;
  /** An assumed callee of this file that returns a value on some path (`return new FindUp(…)`). */
  calleeReturnsValue?: boolean;
  /** The awaited expression rests on this assumption (`Promise.all(Array.from(coll, …))`: COLLECTION_IS_ARRAY_LIKE). */
  assumes?: AssumptionName;
}

/** An awaited expression that is not one call of the source (an `after` join's Promise.all): its plan and what it reads. */
export interface VirtualCall {
  plan: AwaitPlan;
  /** The nodes the awaited expression evaluates (for name hygiene). */
  reads: readonly ts.Node[];
}

/** The state of one candidate's conversion, and the questions about its nodes every step asks. @internal */
export class Conversion {
  readonly edits: Edit[] = [];
  syncCalls = 0;
  asyncCalls = 0;
  /** Argument counts the original passes to the callback on success (0: `cb()`, 1: `cb(null)`, 2: `cb(null, v)`). */
  readonly successArities = new Set<number>();
  /** The continuations being converted, innermost last: their error name and their (unassigned) first value. */
  readonly continuations: { err: string; value?: string }[] = [];
  /** Same-file converted functions this one hands its callback to (their success arity becomes ours). */
  readonly arityDeps = new Set<string>();
  /** Same-file converted functions whose success error this one reads as null (they must not call back `cb()`). */
  readonly nullErrorDeps = new Set<string>();
  /** The scope whose names a flattened continuation must not collide with (the function, or the helper being converted). */
  usedInFn: ts.Node;
  /** What this conversion relied on beyond what is proven (see codemods/assumptions.ts). */
  readonly assumptions = new Set<AssumptionName>();
  /** The idiomatic profile (or err-first): accept the differences async/await code has by nature. */
  readonly idiomatic: boolean;
  /** Calls of same-file converted functions this conversion awaits directly (`await f(args)`). */
  readonly localCalls = new Set<ts.CallExpression>();
  readonly awaitable: (call: ts.CallExpression, values: number) => AwaitPlan | undefined;
  /**
   * Inner helper function declarations (statements of the function's own body, like mv's `mkdirs`
   * and `doRename`) that call the callback, directly or through another helper, by name.
   */
  readonly helpers = new Map<string, ts.FunctionDeclaration>();
  /** How many calls of each helper were converted into `return await helper(…)`. */
  readonly helperTailCalls = new Map<string, number>();
  /** Name of the promise started synchronously for the first asynchronous call (set by convertBody). */
  startVar?: string;
  /** `const started = __asyncioStart(…)` once the first call is converted. */
  startDecl?: string;
  /** The first call is pending: the next continuation or tail pass converted starts synchronously (see takeStart). */
  pendingStart = false;
  /** Statements re-arming a retried continuation (`return setTimeout(() => g(…, CB), t)`), with their delay (see retry.ts). */
  readonly retries = new Map<ts.Statement, string>();
  /** The calls those statements re-arm, each with the call it repeats (awaited directly when that one is). */
  readonly retriedCalls = new Map<ts.CallExpression, ts.CallExpression>();
  /** The first call of the branch being converted by convertBranchedStart. */
  branchLeaf?: ts.Statement;
  /** `__asyncioStart(…)` expressions of the first calls, in source order (one per branch of a branched start). */
  readonly startedExprs: string[] = [];

  constructor(
    readonly ctx: FileContext,
    readonly cand: Candidate,
    awaitable: (call: ts.CallExpression, values: number) => AwaitPlan | undefined,
    readonly unit: string,
  ) {
    this.awaitable = (call, values) => {
      const plan = awaitable(call, values);
      if (plan?.localCall) this.localCalls.add(plan.localCall);
      return plan;
    };
    this.usedInFn = cand.fn;
    this.idiomatic = isIdiomatic(ctx.options);
  }

  get sf(): ts.SourceFile {
    return this.ctx.sf;
  }

  /** Under the idiomatic profile: record the assumption and go on; else refuse. */
  assume(a: AssumptionName, otherwise: ReasonCode, detail?: string): void {
    if (!this.idiomatic) throw new Refusal(otherwise, detail);
    this.assumptions.add(a);
  }

  text(n: ts.Node): string {
    return n.getText(this.sf);
  }

  /** The plan of a counter's parallel call (counters.ts), recording what its awaitability rests on. */
  counterPlan(call: ts.CallExpression, values: number): AwaitPlan | undefined {
    const plan = this.awaitable(call, values);
    if (plan?.assumed) this.assumptions.add("ERR_FIRST_CALLEE");
    if (plan?.assumes) this.assumptions.add(plan.assumes);
    if (plan?.mayCallBackSync) this.assume("CALLBACK_NOW_ASYNC", "ZALGO", `${plan.label} may call back synchronously`);
    return plan;
  }

  /**
   * Text of [start, end) with the edits made inside it applied; those edits are consumed. An edit that also takes
   * the line break before `start` (a block opened on an `if`'s line: walker.ts replacementEdit) gives its text for
   * the statement alone (`atStatement`): the range rendered starts at the statement.
   */
  render(start: number, end: number, fromIndex: number): string {
    const inner = this.edits.splice(fromIndex).map((e) => {
      const own = e.start < start && e.atStatement ? e.atStatement : e;
      return { start: own.start - start, end: e.end - start, text: own.text };
    });
    return applyEdits(this.sf.text.slice(start, end), inner);
  }

  /** Records the synchronous start of the pending first call; the async body awaits the started promise instead. */
  takeStart(startExpr: string): string {
    this.pendingStart = false;
    this.startedExprs.push(startExpr);
    return this.startVar!;
  }

  /** Whether s holds a statement re-arming a retried continuation (a path of the flow, like a callback call). */
  containsRetry(s: ts.Node): boolean {
    for (const r of this.retries.keys()) if (r.pos >= s.pos && r.end <= s.end) return true;
    return false;
  }

  isCbRef(n: ts.Node): boolean {
    return ts.isIdentifier(n) && n.text === this.cand.cbName && !this.shadowedByInnerParameter(n);
  }

  /**
   * Whether n sits in a nested function that has a parameter of the callback's name (du's
   * `async.map(list, function (f, callback) { … })`): there the name is that parameter, not the callback.
   */
  private shadowedByInnerParameter(n: ts.Node): boolean {
    for (let p = n.parent; p && p !== this.cand.fn; p = p.parent)
      if (ts.isFunctionLike(p) && p.parameters.some((q) => bindsName(q, this.cand.cbName))) return true;
    return false;
  }

  /** The callback, or a reference to an inner helper that calls it (both carry the callback's flow). */
  containsCb(n: ts.Node): boolean {
    return containsNode(n, (x) => this.isCbRef(x) || this.isHelperRef(x));
  }

  isHelperRef(n: ts.Node): n is ts.Identifier {
    if (!ts.isIdentifier(n) || !this.helpers.has(n.text)) return false;
    const p = n.parent;
    if (ts.isFunctionDeclaration(p) && p.name === n) return false;
    return !isPropertyName(n);
  }

  /** `helper(args)` whose arguments do not carry the callback. */
  isHelperTailCall(e: ts.Expression): e is ts.CallExpression {
    const x = skipParens(e);
    return ts.isCallExpression(x) && this.isHelperRef(x.expression) && !x.arguments.some((a) => this.containsCb(a));
  }

  /** `g(args, cb)` or `return g(args, cb)`: the callback handed on as the last argument. */
  isTailPass(st: ts.Statement): boolean {
    const e = ts.isExpressionStatement(st) ? st.expression : ts.isReturnStatement(st) ? st.expression : undefined;
    if (!e || !ts.isCallExpression(skipParens(e))) return false;
    const call = skipParens(e) as ts.CallExpression;
    const last = call.arguments[call.arguments.length - 1];
    return !!last && this.isCbRef(last);
  }

  /** `g(args, function (err, v) { … cb … })`: a call whose last argument is a continuation carrying the callback. */
  isContinuationStatement(st: ts.Statement): boolean {
    const e = ts.isExpressionStatement(st) ? st.expression : ts.isReturnStatement(st) ? st.expression : undefined;
    if (!e || !ts.isCallExpression(skipParens(e))) return false;
    const call = skipParens(e) as ts.CallExpression;
    const last = call.arguments[call.arguments.length - 1];
    return !!last && (ts.isFunctionExpression(last) || ts.isArrowFunction(last)) && this.containsCb(last);
  }
}

/**
 * Counters of parallel callbacks, for the `callbacks` transform: a function
 * that starts several err-first calls at once and joins them with a counter
 * (`if (--left === 0) cb(null, out)`) becomes `await Promise.all(…)`.
 *
 * Two shapes are recognised, and only in their exact form (anything else is
 * refused with a reason):
 * - a loop over an array, `arr.forEach(function (x, i) { g(…, function (er, v) { … }) })`
 *   or `for (let i = 0; i < arr.length; i++) g(…, function (er, v) { … })`, with a counter
 *   initialised to `arr.length`;
 * - a fixed number of calls sharing one named continuation, `a(x, next); b(y, next);
 *   function next(er) { … }`, with a counter initialised to the number of calls.
 *
 * The continuation must be the guarded join, in this order:
 * `if (failed) return; if (er) { failed = true; return cb(er); } [out[i] = expr; | total += expr;] if (--left === 0) cb(null, out | total);`.
 * An empty-list guard before a loop must defer its callback (`process.nextTick`, `setImmediate`).
 * That is exactly what `Promise.all` does: the first error is reported once and
 * later outcomes are ignored; otherwise the results, by index, once all calls
 * succeeded. Without the `failed` guard the original calls back once per error,
 * which a promise cannot.
 * @module
 */
import { ts } from "ts-morph";
import {
  applyEdits,
  bindsName,
  countReferences,
  freshName,
  identifierNames,
  indentAt,
  isNullish,
  skipParens,
  usesThisOrArguments,
  type Edit,
} from "../core.js";
import { Refusal } from "../reasons.js";

/** What the callbacks transform knows about a call carrying a continuation. */
export interface CounterCallPlan {
  /** Max success values its continuation may take. */
  maxValues: number;
  /** Its values come as an array (assumed callees with several values). */
  arrayValues?: boolean;
  /** The promise-form call (`fs.promises.stat(f)`), used with {@link CounterHost.promiseForm}. */
  expr?: string;
  /** The promise form rests on an assumption (the counter's conversion does not record it: not used then). */
  assumes?: string;
}

/** The converter's view the counter analysis needs. */
export interface CounterHost {
  sf: ts.SourceFile;
  fn: ts.FunctionLikeDeclaration;
  cbName: string;
  isTs: boolean;
  unit: string;
  /** Name of the helper that runs a callback-form call now and returns its outcome as a promise. */
  startHelper: string;
  /** Start the calls in their promise form (the idiomatic profile: their synchronous throws reject). */
  promiseForm?: boolean;
  /** Undefined when the callee is not known to call its continuation once, asynchronously, err-first. */
  awaitable(call: ts.CallExpression, values: number): CounterCallPlan | undefined;
  /** Where the flow's statements start (a continuation's, past its propagation); else the body's first statement. */
  flowStart?: number;
  /**
   * `return await g'(args);` for the callback handed on, `g(args, cb)`, at the join or in an empty-list guard
   * (recording its success arity); absent, such a join is refused.
   */
  tailText?(call: ts.CallExpression): string;
  /** Names the conversion around the counter has introduced (a started first call's variable): not to be reused. */
  taken?: readonly string[];
}

/** A converted counter: the kept prologue, the synchronous start, the async rest and the success arity. */
export interface CounterConversion {
  /** Index of the first statement replaced (the statements before it are the prologue). */
  firstIndex: number;
  prologue: string;
  startDecl: string;
  rest: string;
  /** The success arity; undefined when the join hands the callback on (tailText recorded the callee's). */
  arity: 0 | 1 | 2 | undefined;
  /** Prologue statements the conversion removed (a deferred empty-list guard). */
  dropped: readonly ts.Statement[];
}

/** The guarded join a continuation must be. */
interface Join {
  flag: string;
  counter: string;
  /** References to the counter in the join (1 for `--left === 0`, 2 for `left -= 1; if (left === 0)`). */
  counterRefs: number;
  /** The final branch also sets the flag (`called = true; cb()`): harmless, counted. */
  finalSetsFlag: boolean;
  store?: { out: string; index: string; expr: ts.Expression };
  /** `total += expr` in completion order, `cb(null, total)` at the end. */
  accumulate?: { name: string; expr: ts.Expression };
  /** The join hands the callback on, `g(args, cb)` (rimraf's `options.rmdir(p, cb)`), instead of calling it. */
  tail?: ts.CallExpression;
  arity: 0 | 1 | 2 | undefined;
}

const shape = (detail: string): Refusal => new Refusal("COUNTER_SHAPE", detail);

function isIdent(e: ts.Node | undefined, name?: string): e is ts.Identifier {
  if (!e) return false;
  const x = ts.isParenthesizedExpression(e) ? skipParens(e) : e;
  return ts.isIdentifier(x) && (name === undefined || x.text === name);
}

/** No calls, assignments, updates, `delete`, `await`/`yield` or functions: evaluating it twice or not at all is unobservable (getters aside). */
function isPure(e: ts.Node): boolean {
  let pure = true;
  const visit = (x: ts.Node): void => {
    if (!pure) return;
    if (
      ts.isCallExpression(x) ||
      ts.isNewExpression(x) ||
      ts.isTaggedTemplateExpression(x) ||
      ts.isDeleteExpression(x) ||
      ts.isAwaitExpression(x) ||
      ts.isYieldExpression(x) ||
      ts.isFunctionLike(x) ||
      ts.isClassLike(x) ||
      ((ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
        (x.operator === ts.SyntaxKind.PlusPlusToken || x.operator === ts.SyntaxKind.MinusMinusToken)) ||
      (ts.isBinaryExpression(x) &&
        x.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        x.operatorToken.kind <= ts.SyntaxKind.LastAssignment)
    ) {
      pure = false;
      return;
    }
    ts.forEachChild(x, visit);
  };
  visit(e);
  return pure;
}

/** `--x`, `x--`, `x -= 1`: the name decremented by one. */
function decremented(e: ts.Expression): string | undefined {
  const x = skipParens(e);
  if (
    (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
    x.operator === ts.SyntaxKind.MinusMinusToken &&
    isIdent(x.operand)
  )
    return (skipParens(x.operand) as ts.Identifier).text;
  if (
    ts.isBinaryExpression(x) &&
    x.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken &&
    isIdent(x.left) &&
    ts.isNumericLiteral(x.right) &&
    x.right.text === "1"
  )
    return (skipParens(x.left) as ts.Identifier).text;
  return undefined;
}

function hasDecrement(root: ts.Node): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (ts.isExpression(x) && decremented(x)) found = true;
    else ts.forEachChild(x, visit);
  };
  visit(root);
  return found;
}

/** `x === 0`, `x == 0`, `0 === x`, `0 == x`, `!x`: the tested operand. */
function zeroTested(e: ts.Expression): ts.Expression | undefined {
  const x = skipParens(e);
  if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) return skipParens(x.operand);
  if (
    ts.isBinaryExpression(x) &&
    (x.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      x.operatorToken.kind === ts.SyntaxKind.EqualsEqualsToken)
  ) {
    const zero = (y: ts.Expression): boolean =>
      ts.isNumericLiteral(skipParens(y)) && (skipParens(y) as ts.NumericLiteral).text === "0";
    if (zero(x.right)) return skipParens(x.left);
    if (zero(x.left)) return skipParens(x.right);
  }
  return undefined;
}

function branchStatements(s: ts.Statement): readonly ts.Statement[] {
  return ts.isBlock(s) ? s.statements : [s];
}

/** `x = true;` → x. */
function flagSet(s: ts.Statement | undefined): string | undefined {
  if (!s || !ts.isExpressionStatement(s)) return undefined;
  const e = skipParens(s.expression);
  if (
    ts.isBinaryExpression(e) &&
    e.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    isIdent(e.left) &&
    e.right.kind === ts.SyntaxKind.TrueKeyword
  )
    return (skipParens(e.left) as ts.Identifier).text;
  return undefined;
}

/** `return cb(…)`, `cb(…); return;` or `cb(…)`: the call, and whether the branch returns after it. */
function callbackStep(
  stmts: readonly ts.Statement[],
  cbName: string,
): { call: ts.CallExpression; returns: boolean } | undefined {
  const isCb = (e: ts.Expression | undefined): e is ts.CallExpression =>
    !!e && ts.isCallExpression(skipParens(e)) && isIdent((skipParens(e) as ts.CallExpression).expression, cbName);
  const [a, b] = stmts;
  if (stmts.length === 1 && ts.isReturnStatement(a) && isCb(a.expression))
    return { call: skipParens(a.expression) as ts.CallExpression, returns: true };
  if (stmts.length === 1 && ts.isExpressionStatement(a) && isCb(a.expression))
    return { call: skipParens(a.expression) as ts.CallExpression, returns: false };
  if (
    stmts.length === 2 &&
    ts.isExpressionStatement(a) &&
    isCb(a.expression) &&
    ts.isReturnStatement(b) &&
    !b.expression
  )
    return { call: skipParens(a.expression) as ts.CallExpression, returns: true };
  return undefined;
}

/**
 * Matches the guarded join (see the module comment). Throws COUNTER_MAY_CALL_TWICE when the
 * first error is not guarded, COUNTER_SHAPE for anything else it does not recognise.
 */
function matchJoin(body: ts.Block, errName: string, cbName: string): Join {
  const s = body.statements;
  let p = 0;
  let guard: string | undefined;
  const g = s[0];
  if (g && ts.isIfStatement(g) && !g.elseStatement && isIdent(g.expression)) {
    const t = branchStatements(g.thenStatement);
    if (t.length === 1 && ts.isReturnStatement(t[0]) && !t[0].expression) {
      guard = (skipParens(g.expression) as ts.Identifier).text;
      p++;
    }
  }
  const e = s[p];
  if (!e || !ts.isIfStatement(e) || e.elseStatement || !isIdent(e.expression, errName))
    throw shape("no `if (err)` branch where expected");
  const eb = branchStatements(e.thenStatement);
  let setFlag = flagSet(eb[0]);
  const errStep = callbackStep(eb.slice(setFlag ? 1 : 0), cbName);
  const errArg = errStep?.call.arguments.length === 1 ? errStep.call.arguments[0] : undefined;
  // `return cb(errState = er)`: the flag set to the error itself, truthy in this branch (isaacs' style).
  const inline = !setFlag && errArg ? flagSetTo(errArg, errName) : undefined;
  if (inline) setFlag = inline;
  else if (!isIdent(errArg, errName)) throw shape("the error branch is not `failed = true; return cb(err)`");
  if (!errStep) throw shape("the error branch is not `failed = true; return cb(err)`");
  if (!errStep.returns) throw new Refusal("COUNTER_MAY_CALL_TWICE", "the error path goes on to the counter");
  if (guard === undefined || setFlag === undefined || guard !== setFlag)
    throw new Refusal("COUNTER_MAY_CALL_TWICE", "no first-error guard (`if (failed) return` … `failed = true`)");
  p++;
  let store: Join["store"];
  const st = s[p];
  if (st && ts.isExpressionStatement(st)) {
    const a = skipParens(st.expression);
    if (
      ts.isBinaryExpression(a) &&
      a.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isElementAccessExpression(a.left) &&
      isIdent(a.left.expression) &&
      isIdent(a.left.argumentExpression)
    ) {
      store = {
        out: (skipParens(a.left.expression) as ts.Identifier).text,
        index: (skipParens(a.left.argumentExpression) as ts.Identifier).text,
        expr: a.right,
      };
      p++;
    }
  }
  let accumulate: Join["accumulate"];
  if (!store && st && ts.isExpressionStatement(st)) {
    const a = skipParens(st.expression);
    if (ts.isBinaryExpression(a) && a.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken && isIdent(a.left)) {
      accumulate = { name: (skipParens(a.left) as ts.Identifier).text, expr: a.right };
      p++;
    }
  }
  const pushed =
    s[p] && ts.isExpressionStatement(s[p]) ? skipParens((s[p] as ts.ExpressionStatement).expression) : undefined;
  if (
    pushed &&
    ts.isCallExpression(pushed) &&
    ts.isPropertyAccessExpression(pushed.expression) &&
    pushed.expression.name.text === "push"
  )
    throw shape("results in completion order (push), not by index");
  let counter: string | undefined;
  let counterRefs = 1;
  const d = s[p];
  if (d && ts.isExpressionStatement(d) && decremented(d.expression)) {
    counter = decremented(d.expression);
    counterRefs = 2;
    p++;
  }
  const f = s[p];
  if (!f || !ts.isIfStatement(f) || f.elseStatement) throw shape("no `if (--left === 0)` join where expected");
  if (p !== s.length - 1) throw shape("code after the join");
  const tested = zeroTested(f.expression);
  if (!tested) throw shape("the join does not test the counter for 0");
  if (counter !== undefined) {
    if (!isIdent(tested, counter)) throw shape("the join tests something else than the counter");
  } else {
    if (
      !ts.isPrefixUnaryExpression(tested) ||
      tested.operator !== ts.SyntaxKind.MinusMinusToken ||
      !isIdent(tested.operand)
    )
      throw shape("the join does not decrement the counter");
    counter = (skipParens(tested.operand) as ts.Identifier).text;
  }
  const fb = branchStatements(f.thenStatement);
  const finalFlag = flagSet(fb[0]);
  if (finalFlag !== undefined && finalFlag !== guard) throw shape("the join sets another flag");
  const okStep = callbackStep(fb.slice(finalFlag ? 1 : 0), cbName);
  const tail = okStep ? undefined : tailStep(fb.slice(finalFlag ? 1 : 0), cbName);
  if (!okStep && !tail) throw shape("the join does more than call back");
  const args = okStep?.call.arguments ?? [];
  let arity: 0 | 1 | 2 | undefined;
  if (tail) arity = undefined;
  else if (args.length === 0) arity = 0;
  else if (args.length === 1 && isNullish(args[0])) arity = 1;
  else if (args.length === 2 && isNullish(args[0]) && store && isIdent(args[1], store.out)) arity = 2;
  else if (args.length === 2 && isNullish(args[0]) && accumulate && isIdent(args[1], accumulate.name)) arity = 2;
  else throw shape("the join calls back with something else than the results array or the accumulated value");
  if ((store || accumulate) && arity !== 2) throw shape("results are stored but not passed on");
  if (tail && countReferences(tail, errName) > 0) throw shape("the error is read outside the error branch");
  if (countReferences(body, errName) !== 2) throw shape("the error is read outside the error branch");
  if (counter === guard || (store && (store.out === counter || store.out === guard)))
    throw shape("one name plays two parts");
  if (accumulate && (accumulate.name === counter || accumulate.name === guard || accumulate.name === errName))
    throw shape("one name plays two parts");
  return { flag: guard, counter, counterRefs, finalSetsFlag: finalFlag !== undefined, store, accumulate, tail, arity };
}

/** `failed = err` (the error branch's call argument): the flag's name. */
function flagSetTo(e: ts.Expression, errName: string): string | undefined {
  const x = skipParens(e);
  return ts.isBinaryExpression(x) &&
    x.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    isIdent(x.left) &&
    isIdent(x.right, errName)
    ? (skipParens(x.left) as ts.Identifier).text
    : undefined;
}

/** `g(args, cb)` / `return g(args, cb)` alone: the callback handed on as the last argument, and only there. */
function tailStep(stmts: readonly ts.Statement[], cbName: string): ts.CallExpression | undefined {
  const [a, ...more] = stmts;
  const e = a && (ts.isExpressionStatement(a) ? a.expression : ts.isReturnStatement(a) ? a.expression : undefined);
  const call = e && skipParens(e);
  if (more.length || !call || !ts.isCallExpression(call)) return undefined;
  const last = call.arguments[call.arguments.length - 1];
  return isIdent(last, cbName) && countReferences(call, cbName) === 1 ? call : undefined;
}

/** The one variable declaration of name among the prologue statements, with its statement. */
function findDecl(
  prologue: readonly ts.Statement[],
  name: string,
): { decl: ts.VariableDeclaration; stmt: ts.VariableStatement; index: number } | undefined {
  for (let i = 0; i < prologue.length; i++) {
    const s = prologue[i];
    if (!ts.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations)
      if (ts.isIdentifier(d.name) && d.name.text === name) return { decl: d, stmt: s, index: i };
  }
  return undefined;
}

function declKeyword(list: ts.VariableDeclarationList): string {
  if (list.flags & ts.NodeFlags.Const) return "const";
  if (list.flags & ts.NodeFlags.Let) return "let";
  return "var";
}

/** A continuation (function/arrow literal with a block body, plain parameters, no this/arguments). */
function checkContinuation(
  cont: ts.Node,
): asserts cont is ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration {
  if (!(ts.isFunctionExpression(cont) || ts.isArrowFunction(cont) || ts.isFunctionDeclaration(cont)))
    throw shape("the continuation is not a function literal");
  if (!cont.body || !ts.isBlock(cont.body)) throw new Refusal("CONTINUATION_SHAPE", "expression body");
  if (cont.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) || cont.asteriskToken)
    throw new Refusal("CONTINUATION_SHAPE", "async/generator");
  if (ts.isFunctionExpression(cont) && cont.name) throw new Refusal("CONTINUATION_SHAPE", "named");
  if (!ts.isArrowFunction(cont)) {
    const u = usesThisOrArguments(cont.body);
    if (u.usesThis || u.usesArguments) throw new Refusal("CONTINUATION_SHAPE", "this/arguments");
  }
  if (cont.parameters.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
    throw new Refusal("CONTINUATION_SHAPE", "params");
}

/** Whether a top-level statement looks like a counter loop (so refusals name the counter). */
function counterLoopCandidate(s: ts.Statement): boolean {
  if (ts.isForStatement(s)) return hasDecrement(s.statement);
  if (!ts.isExpressionStatement(s)) return false;
  const e = skipParens(s.expression);
  return (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    e.expression.name.text === "forEach" &&
    e.arguments.some((a) => hasDecrement(a))
  );
}

/**
 * Recognises and converts a counter join in a function body. Returns undefined when the body
 * has no counter (the ordinary analysis goes on); throws a Refusal when it has one it cannot
 * prove equivalent to `Promise.all`.
 */
export function convertCounter(host: CounterHost, stmts: readonly ts.Statement[]): CounterConversion | undefined {
  const containsCb = (n: ts.Node): boolean => countReferences(n, host.cbName) > 0;
  const named = namedJoinCandidate(host, stmts);
  if (named) return convertNamedJoin(host, stmts, named.nextIndex, named.firstCall);
  const k = stmts.findIndex((s) => counterLoopCandidate(s) && containsCb(s));
  if (k < 0) return undefined;
  let emptyGuard: EmptyGuard | undefined;
  // An earlier statement calling back (`if (!files.length) return cb(null, [])`) does so synchronously.
  for (const s of stmts.slice(0, k)) {
    const guard = deferredEmptyGuard(s, host) ?? tailEmptyGuard(s, host);
    if (guard) {
      if (emptyGuard) throw shape("two empty-list guards");
      emptyGuard = guard;
      continue;
    }
    let direct = false;
    const visit = (x: ts.Node): void => {
      if (ts.isFunctionLike(x)) return;
      if (ts.isCallExpression(x) && isIdent(x.expression, host.cbName)) direct = true;
      ts.forEachChild(x, visit);
    };
    visit(s);
    // In a continuation (flowStart) a call there is not synchronous, but the join would call back again.
    if (direct && host.flowStart !== undefined)
      throw new Refusal("CALLBACK_NOT_LAST", "calls back before the parallel calls");
    if (direct) throw new Refusal("ZALGO", "calls back synchronously before the parallel calls (an empty-list guard?)");
    if (containsCb(s)) return undefined;
  }
  const after = stmts.slice(k + 1);
  if (after.length > 1 || (after.length === 1 && !(ts.isReturnStatement(after[0]) && !after[0].expression)))
    throw new Refusal("CALLBACK_NOT_LAST", "code after the parallel calls");
  return convertLoop(host, stmts, k, emptyGuard);
}

/** `if (left === 0) return process.nextTick(function () { cb(null, 0); });`: an empty list calls back on a later tick. */
interface EmptyGuard {
  stmt: ts.IfStatement;
  /** `if (n === 0) return g(args, cb)`: the callback handed on at once (rimraf's `options.rmdir(p, cb)`). */
  tail?: ts.CallExpression;
  /** What is tested for 0 (the counter, or the array's length). */
  tested: ts.Expression;
  /** The arguments the callback gets. */
  args: readonly ts.Expression[];
  /** How it defers: a `setImmediate` callback runs after the I/O and immediates already due, not just after the current job. */
  timer?: "process.nextTick" | "setImmediate";
}

/** Recognises a deferred empty-list guard: `process.nextTick`/`setImmediate` of `cb(…)` (or of `cb` with its arguments). */
function deferredEmptyGuard(s: ts.Statement, host: CounterHost): EmptyGuard | undefined {
  if (!ts.isIfStatement(s) || s.elseStatement) return undefined;
  const tested = zeroTested(s.expression);
  if (!tested) return undefined;
  const body = branchStatements(s.thenStatement);
  let e: ts.Expression | undefined;
  let returned = false;
  if (body.length === 1 && ts.isReturnStatement(body[0]) && body[0].expression)
    (e = body[0].expression), (returned = true);
  else if (
    body.length === 2 &&
    ts.isExpressionStatement(body[0]) &&
    ts.isReturnStatement(body[1]) &&
    !body[1].expression
  )
    e = body[0].expression;
  const call = e && skipParens(e);
  if (!call || !ts.isCallExpression(call)) return undefined;
  const callee = call.expression.getText(host.sf);
  if (callee !== "process.nextTick" && callee !== "setImmediate") return undefined;
  // `return setImmediate(…)` hands the caller an Immediate (process.nextTick returns undefined).
  if (returned && callee === "setImmediate")
    throw new Refusal("RETURNS_VALUE", "the empty-list guard returns setImmediate's Immediate");
  // A local `process`/`setImmediate` would not be Node's.
  const root = callee === "setImmediate" ? "setImmediate" : "process";
  if (bindsName(host.sf, root)) return undefined;
  const [first, ...rest] = call.arguments;
  const timer = callee;
  if (isIdent(first, host.cbName)) return { stmt: s, tested, args: rest, timer };
  if (
    first &&
    (ts.isFunctionExpression(first) || ts.isArrowFunction(first)) &&
    first.parameters.length === 0 &&
    rest.length === 0
  ) {
    const inner = ts.isBlock(first.body)
      ? callbackStep(first.body.statements, host.cbName)?.call
      : skipParens(first.body);
    if (inner && ts.isCallExpression(inner) && isIdent(inner.expression, host.cbName))
      return { stmt: s, tested, args: inner.arguments, timer };
  }
  return undefined;
}

/** `if (n === 0) return g(args, cb);`: an empty list hands the callback on (only where the host renders tails). */
function tailEmptyGuard(s: ts.Statement, host: CounterHost): EmptyGuard | undefined {
  if (!host.tailText || !ts.isIfStatement(s) || s.elseStatement) return undefined;
  const tested = zeroTested(s.expression);
  const body = branchStatements(s.thenStatement);
  const tail = tested && body.length === 1 && ts.isReturnStatement(body[0]) ? tailStep(body, host.cbName) : undefined;
  return tail && tested ? { stmt: s, tested, args: [], tail } : undefined;
}

interface LoopShape {
  /** The array's text (`files`), a plain reference. */
  arr: string;
  /** How the start is written: the forEach's parameters, or the for statement's head. */
  kind: "forEach" | "for";
  params: string;
  forHead?: string;
  elemName?: string;
  indexName?: string;
  indexIsVar: boolean;
  call: ts.CallExpression;
}

function loopShape(host: CounterHost, s: ts.Statement): LoopShape {
  const text = (n: ts.Node): string => n.getText(host.sf);
  const single = (body: readonly ts.Statement[]): ts.CallExpression => {
    const b = body.length === 1 ? body[0] : undefined;
    const e = b && (ts.isExpressionStatement(b) ? b.expression : ts.isReturnStatement(b) ? b.expression : undefined);
    if (!e || !ts.isCallExpression(skipParens(e))) throw shape("the loop body is not a single call");
    return skipParens(e) as ts.CallExpression;
  };
  const simpleRef = (e: ts.Expression): boolean => {
    const x = skipParens(e);
    return ts.isIdentifier(x) || (ts.isPropertyAccessExpression(x) && simpleRef(x.expression));
  };
  if (ts.isForStatement(s)) {
    const init = s.initializer;
    if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) throw shape("for loop head");
    const d = init.declarations[0];
    if (!ts.isIdentifier(d.name) || !d.initializer || !ts.isNumericLiteral(d.initializer) || d.initializer.text !== "0")
      throw shape("for loop head");
    const i = d.name.text;
    const c = s.condition && skipParens(s.condition);
    if (!c || !ts.isBinaryExpression(c) || c.operatorToken.kind !== ts.SyntaxKind.LessThanToken || !isIdent(c.left, i))
      throw shape("for loop condition");
    const len = skipParens(c.right);
    if (!ts.isPropertyAccessExpression(len) || len.name.text !== "length" || !simpleRef(len.expression))
      throw shape("for loop condition");
    const inc = s.incrementor && skipParens(s.incrementor);
    const incOk =
      !!inc &&
      (((ts.isPrefixUnaryExpression(inc) || ts.isPostfixUnaryExpression(inc)) &&
        inc.operator === ts.SyntaxKind.PlusPlusToken &&
        isIdent(inc.operand, i)) ||
        (ts.isBinaryExpression(inc) &&
          inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken &&
          isIdent(inc.left, i) &&
          ts.isNumericLiteral(inc.right) &&
          inc.right.text === "1"));
    if (!incOk) throw shape("for loop step");
    const call = single(branchStatements(s.statement));
    const indexIsVar = !(init.flags & ts.NodeFlags.BlockScoped);
    return {
      arr: text(len.expression),
      kind: "for",
      params: "",
      forHead: `${text(init)}; ${text(s.condition!)}; ${text(s.incrementor!)}`,
      indexName: i,
      indexIsVar,
      call,
    };
  }
  const e = skipParens((s as ts.ExpressionStatement).expression) as ts.CallExpression;
  const recv = (e.expression as ts.PropertyAccessExpression).expression;
  if (!simpleRef(recv)) throw shape("the array is not a plain reference");
  if (e.arguments.length !== 1) throw shape("forEach with a thisArg");
  const iter = e.arguments[0];
  checkContinuation(iter);
  if (ts.isFunctionDeclaration(iter)) throw shape("forEach callback");
  if (iter.parameters.length > 2) throw shape("forEach callback reads the array");
  const call = single((iter.body as ts.Block).statements);
  const names = iter.parameters.map((p) => (p.name as ts.Identifier).text);
  return {
    arr: text(recv),
    kind: "forEach",
    params: iter.parameters.map((p) => text(p)).join(", "),
    elemName: names[0],
    indexName: names[1],
    indexIsVar: false,
    call,
  };
}

/** The counter, flag and results declarations: checked, and the prologue without them. */
function prologueWithout(
  host: CounterHost,
  stmts: readonly ts.Statement[],
  k: number,
  join: Join,
  counterInit: (init: ts.Expression) => void,
  namesUsedElsewhere: { name: string; expected: number }[],
  dropped: readonly ts.Statement[] = [],
): string {
  const prologue = stmts.slice(0, k);
  const body = host.fn.body as ts.Block;
  const params = new Set(host.fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  const wanted = [join.counter, join.flag, ...(join.store ? [join.store.out] : [])];
  const found = wanted.map((name) => {
    const f = findDecl(prologue, name);
    if (!f || params.has(name)) throw shape(`\`${name}\` is not declared before the parallel calls`);
    return f;
  });
  const [counter, flag, out] = found;
  if (declKeyword(counter.stmt.declarationList) === "const" || declKeyword(flag.stmt.declarationList) === "const")
    throw shape("const counter");
  if (!counter.decl.initializer) throw shape("the counter has no initial value");
  counterInit(counter.decl.initializer);
  // `var failed = false`, or `var errState` / `= null` (isaacs' style: the first error is the flag).
  const flagInit = flag.decl.initializer;
  if (
    flagInit &&
    flagInit.kind !== ts.SyntaxKind.FalseKeyword &&
    flagInit.kind !== ts.SyntaxKind.NullKeyword &&
    !isIdent(flagInit, "undefined")
  )
    throw shape("the flag does not start false");
  if (
    out &&
    !(
      out.decl.initializer &&
      ts.isArrayLiteralExpression(skipParens(out.decl.initializer)) &&
      (skipParens(out.decl.initializer) as ts.ArrayLiteralExpression).elements.length === 0
    )
  )
    throw shape("the results do not start as []");
  // From the counter's declaration to the loop nothing may run that could change the array or the count.
  for (const s of prologue.slice(counter.index)) {
    if (dropped.includes(s)) continue;
    if (
      !ts.isVariableStatement(s) ||
      !s.declarationList.declarations.every((d) => !d.initializer || isPure(d.initializer))
    )
      throw shape("code runs between the counter and the parallel calls");
  }
  // Declared once, and used nowhere but in the join: they must not escape or be changed elsewhere.
  const expected = new Map<string, number>([
    [join.counter, 1 + join.counterRefs],
    [join.flag, 3 + (join.finalSetsFlag ? 1 : 0)],
  ]);
  if (join.store) expected.set(join.store.out, 3);
  for (const { name, expected: n } of namesUsedElsewhere) expected.set(name, (expected.get(name) ?? 0) + n);
  for (const [name, n] of expected) {
    if (countReferences(body, name) !== n) throw shape(`\`${name}\` is used outside the join`);
  }
  // Drop the declarators.
  const drop = new Set(found.map((f) => f.decl));
  const edits: Edit[] = [];
  const start = host.flowStart ?? body.getStart(host.sf) + 1;
  const end = stmts[k].getStart(host.sf);
  const removeStatement = (stmt: ts.Statement): void => {
    let e = stmt.end;
    while (e < end && /[ \t]/.test(host.sf.text[e])) e++;
    if (host.sf.text[e] === "\r") e++;
    if (host.sf.text[e] === "\n") e++;
    while (e < end && /[ \t]/.test(host.sf.text[e])) e++;
    edits.push({ start: stmt.getStart(host.sf) - start, end: e - start, text: "" });
  };
  for (const stmt of dropped) removeStatement(stmt);
  for (const stmt of new Set(found.map((f) => f.stmt))) {
    const keep = stmt.declarationList.declarations.filter((d) => !drop.has(d));
    if (keep.length > 0) {
      edits.push({
        start: stmt.getStart(host.sf) - start,
        end: stmt.end - start,
        text: `${declKeyword(stmt.declarationList)} ${keep.map((d) => d.getText(host.sf)).join(", ")};`,
      });
    } else removeStatement(stmt);
  }
  return applyEdits(host.sf.text.slice(start, end), edits);
}

function planFor(host: CounterHost, call: ts.CallExpression, cont: ts.FunctionLikeDeclaration): void {
  if (
    countReferences(call.expression, host.cbName) > 0 ||
    call.arguments.slice(0, -1).some((a) => countReferences(a, host.cbName) > 0)
  )
    throw new Refusal("CALLBACK_ESCAPES", "handed to a parallel call");
  const values = cont.parameters.length - 1;
  if (values < 0) throw shape("the continuation ignores the error");
  const plan = host.awaitable(call, values);
  if (!plan) throw new Refusal("UNKNOWN_CALLEE", call.expression.getText(host.sf));
  if (values > 1 || values > plan.maxValues || (plan.arrayValues && values > 0))
    throw new Refusal("MULTIPLE_RESULTS", call.expression.getText(host.sf));
  if (call.arguments.slice(0, -1).some((a) => identifierNames(a).has("done")))
    throw new Refusal("NAME_COLLISION", "done");
}

function startText(host: CounterHost, call: ts.CallExpression): string {
  const plan = host.promiseForm ? host.awaitable(call, 1) : undefined;
  if (plan?.expr && !plan.arrayValues && !plan.assumes) return plan.expr;
  const args = call.arguments.slice(0, -1).map((a) => a.getText(host.sf));
  return `${host.startHelper}((done) => ${call.expression.getText(host.sf)}(${[...args, "done"].join(", ")}))`;
}

const EMPTY_NOTE = "// The original never called back for an empty list (its counter never reached 0): kept as is.";

function convertLoop(
  host: CounterHost,
  stmts: readonly ts.Statement[],
  k: number,
  emptyGuard?: EmptyGuard,
): CounterConversion {
  const loop = loopShape(host, stmts[k]);
  const cont = loop.call.arguments[loop.call.arguments.length - 1];
  checkContinuation(cont);
  if (ts.isFunctionDeclaration(cont)) throw shape("continuation");
  planFor(host, loop.call, cont);
  const errName = (cont.parameters[0].name as ts.Identifier).text;
  const valueName = cont.parameters[1] ? (cont.parameters[1].name as ts.Identifier).text : undefined;
  const join = matchJoin(cont.body as ts.Block, errName, host.cbName);
  if (join.store) {
    if (join.store.index !== loop.indexName) throw shape("results are not stored by the loop index");
    if (countReferences(join.store.expr, host.cbName) > 0)
      throw new Refusal("CALLBACK_ESCAPES", "stored in the results");
    if (!isPure(join.store.expr))
      throw shape("the stored result is computed by a call (it would also run after a failure)");
    if (loop.elemName && countReferences(join.store.expr, loop.elemName) > 0)
      throw shape("the stored result reads the element");
  }
  // `for (var i …)`: the continuation would read the final index, not its own.
  if (loop.indexIsVar && loop.indexName && countReferences(cont, loop.indexName) > 0)
    throw shape("a `var` loop index read in the continuation");
  const elsewhere: { name: string; expected: number }[] = [];
  const acc = join.accumulate;
  if (acc) {
    const d = findDecl(stmts.slice(0, k), acc.name);
    if (!d || declKeyword(d.stmt.declarationList) === "const" || !d.decl.initializer || !isPure(d.decl.initializer))
      throw shape(`\`${acc.name}\` is not declared with a plain initial value before the parallel calls`);
    if (countReferences(acc.expr, host.cbName) > 0) throw new Refusal("CALLBACK_ESCAPES", "accumulated");
    // Late completions after a failure still accumulate in the converted form: harmless only if pure.
    if (!isPure(acc.expr))
      throw shape("the accumulated value is computed by a call (it would also run after a failure)");
    if (loop.elemName && countReferences(acc.expr, loop.elemName) > 0)
      throw shape("the accumulated value reads the element");
    if (countReferences(acc.expr, acc.name) > 0) throw shape("the accumulated value reads the accumulator");
    elsewhere.push({ name: acc.name, expected: 3 });
  }
  let emptyReturn: string | undefined;
  if (emptyGuard) {
    const t = skipParens(emptyGuard.tested);
    const testsCounter = isIdent(t, join.counter);
    const testsLength =
      ts.isPropertyAccessExpression(t) && t.name.text === "length" && t.expression.getText(host.sf) === loop.arr;
    if (!testsCounter && !testsLength) throw shape("the empty-list guard tests something else");
    const counterDecl = findDecl(stmts.slice(0, k), join.counter);
    if (testsCounter && (!counterDecl || stmts.indexOf(emptyGuard.stmt) < counterDecl.index))
      throw shape("the empty-list guard reads the counter before it is set");
    if (testsCounter) elsewhere.push({ name: join.counter, expected: 1 });
  }
  if (emptyGuard?.tail) emptyReturn = host.tailText!(emptyGuard.tail);
  else if (emptyGuard) {
    const args = emptyGuard.args;
    const guardArity =
      args.length === 0
        ? 0
        : args.length === 1 && isNullish(args[0])
          ? 1
          : args.length === 2 && isNullish(args[0])
            ? 2
            : undefined;
    if (guardArity === undefined) throw shape("the empty-list guard calls back with an error or several values");
    if (guardArity !== join.arity)
      throw new Refusal("MIXED_SUCCESS_ARITY", "the empty-list guard and the join call back differently");
    if (guardArity === 2) {
      const value = args[1];
      if (
        !isPure(value) ||
        [join.counter, join.flag, ...(join.store ? [join.store.out] : [])].some((n) => countReferences(value, n) > 0)
      )
        throw shape("the empty-list guard's value");
      if (acc && countReferences(value, acc.name) > 0)
        elsewhere.push({ name: acc.name, expected: countReferences(value, acc.name) });
      emptyReturn = `return ${value.getText(host.sf)};`;
    } else emptyReturn = "return;";
    // The dual surface calls back on the next tick; a setImmediate guard called back one event-loop turn
    // later (after the immediates and I/O already due): wait for that turn first.
    if (emptyGuard.timer === "setImmediate")
      emptyReturn = `{ await new Promise((resolve) => setImmediate(resolve)); ${emptyReturn} }`;
  }
  const prologue = prologueWithout(
    host,
    stmts,
    k,
    join,
    (init) => {
      const x = skipParens(init);
      if (!(ts.isPropertyAccessExpression(x) && x.name.text === "length" && x.expression.getText(host.sf) === loop.arr))
        throw shape("the counter does not start at the array's length");
    },
    elsewhere,
    emptyGuard ? [emptyGuard.stmt] : [],
  );

  const taken = host.taken ?? [];
  const used = taken.length ? new Set([...identifierNames(host.sf), ...taken]) : identifierNames(host.sf);
  const started = freshName("started", used);
  const inner = indentAt(host.sf.text, stmts[k].getStart(host.sf));
  const u = host.unit;
  const start = startText(host, loop.call);
  const startDecl =
    loop.kind === "forEach"
      ? `const ${started} = ${loop.arr}.map((${loop.params}) => ${start});`
      : `const ${started}${host.isTs ? ": Promise<any>[]" : ""} = [];\n${inner}for (${loop.forHead}) ${started}.push(${start});`;
  const lines = emptyReturn
    ? [`if (${started}.length === 0) ${emptyReturn}`]
    : [EMPTY_NOTE, `if (${started}.length === 0) await new Promise(() => {});`];
  const store = join.store;
  if (acc) {
    const pending = freshName("pending", new Set([...used, started]));
    const idx = loop.indexName && countReferences(acc.expr, loop.indexName) > 0 ? `, ${loop.indexName}` : "";
    lines.push(
      `await Promise.all(${started}.map(async (${pending}${idx}) => {`,
      `${u}${valueName ? `const ${valueName} = ` : ""}await ${pending};`,
      `${u}${acc.name} += ${acc.expr.getText(host.sf)};`,
      `}));`,
      `return ${acc.name};`,
    );
  } else if (join.tail) {
    if (!host.tailText) throw shape("the join hands the callback on");
    lines.push(`await Promise.all(${started});`, host.tailText(join.tail));
  } else if (!store) lines.push(`await Promise.all(${started});`);
  else if (valueName && isIdent(store.expr, valueName)) lines.push(`return await Promise.all(${started});`);
  else {
    const pending = freshName("pending", new Set([...used, started]));
    const idx = loop.indexName && countReferences(store.expr, loop.indexName) > 0 ? `, ${loop.indexName}` : "";
    lines.push(
      `return await Promise.all(${started}.map(async (${pending}${idx}) => {`,
      `${u}${valueName ? `const ${valueName} = ` : ""}await ${pending};`,
      `${u}return ${store.expr.getText(host.sf)};`,
      `}));`,
    );
  }
  return {
    firstIndex: k,
    prologue,
    startDecl,
    rest: lines.join(`\n${inner}`),
    arity: join.arity,
    dropped: emptyGuard ? [emptyGuard.stmt] : [],
  };
}

/** `function next(er) {…}` declared in the body, calling back and decrementing, handed to top-level calls. */
function namedJoinCandidate(
  host: CounterHost,
  stmts: readonly ts.Statement[],
): { nextIndex: number; firstCall: number } | undefined {
  const nextIndex = stmts.findIndex(
    (s) =>
      ts.isFunctionDeclaration(s) && !!s.name && !!s.body && countReferences(s, host.cbName) > 0 && hasDecrement(s),
  );
  if (nextIndex < 0) return undefined;
  const name = (stmts[nextIndex] as ts.FunctionDeclaration).name!.text;
  const firstCall = stmts.findIndex(
    (s) =>
      ts.isExpressionStatement(s) &&
      ts.isCallExpression(skipParens(s.expression)) &&
      isIdent(lastArg(skipParens(s.expression) as ts.CallExpression), name),
  );
  return firstCall < 0 ? undefined : { nextIndex, firstCall };
}

function lastArg(c: ts.CallExpression): ts.Expression | undefined {
  return c.arguments[c.arguments.length - 1];
}

function convertNamedJoin(
  host: CounterHost,
  stmts: readonly ts.Statement[],
  nextIndex: number,
  firstCall: number,
): CounterConversion {
  const next = stmts[nextIndex] as ts.FunctionDeclaration;
  const name = next.name!.text;
  if (nextIndex !== stmts.length - 1) throw shape("the shared continuation is not the last statement");
  if (nextIndex < firstCall) throw shape("the shared continuation is declared before the calls");
  const calls = stmts.slice(firstCall, nextIndex).map((s) => {
    const e = ts.isExpressionStatement(s) ? skipParens(s.expression) : undefined;
    if (!e || !ts.isCallExpression(e) || !isIdent(lastArg(e), name))
      throw shape("the calls sharing the continuation are not one after the other");
    return e;
  });
  for (const s of stmts.slice(0, firstCall))
    if (countReferences(s, name) > 0) throw shape(`\`${name}\` is used before the calls`);
  checkContinuation(next);
  for (const c of calls) planFor(host, c, next);
  const errName = (next.parameters[0].name as ts.Identifier).text;
  const join = matchJoin(next.body as ts.Block, errName, host.cbName);
  if (join.store) throw shape("results stored by a shared continuation (no index)");
  if (next.parameters[1] && countReferences(next.body!, (next.parameters[1].name as ts.Identifier).text) > 0)
    throw shape("the shared continuation reads a value");
  const prologue = prologueWithout(
    host,
    stmts,
    firstCall,
    join,
    (init) => {
      const x = skipParens(init);
      if (!ts.isNumericLiteral(x)) throw shape("the counter does not start at a number");
      const n = Number(x.text);
      // Reaching 0 before the last call completes: a later error calls back a second time.
      if (n < calls.length) throw new Refusal("COUNTER_MAY_CALL_TWICE", `counter ${n} over ${calls.length} calls`);
      if (n > calls.length) throw new Refusal("MAYBE_NEVER_CALLED", `counter ${n} over ${calls.length} calls`);
    },
    [{ name, expected: calls.length + 1 }],
  );
  const taken = host.taken ?? [];
  const started = freshName(
    "started",
    taken.length ? new Set([...identifierNames(host.sf), ...taken]) : identifierNames(host.sf),
  );
  const inner = indentAt(host.sf.text, stmts[firstCall].getStart(host.sf));
  if (join.tail && !host.tailText) throw shape("the join hands the callback on");
  const startDecl = `const ${started} = [\n${calls.map((c) => `${inner}${host.unit}${startText(host, c)},`).join("\n")}\n${inner}];`;
  return {
    firstIndex: firstCall,
    prologue,
    startDecl,
    rest: `await Promise.all(${started});${join.tail ? `\n${inner}${host.tailText!(join.tail)}` : ""}`,
    arity: join.arity,
    dropped: [],
  };
}

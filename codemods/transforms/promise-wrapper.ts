// `return new Promise((resolve, reject) => api(args, (err, v) => { if (err) return reject(err); …; resolve(x) }))`
// as the whole body of a function: the function becomes async and awaits the API's promise form
// (node-apis' table), its continuation's statements following the await. Analysis first, one plan.
import { ts } from "ts-morph";
import {
  assignmentsTo,
  declaredNames,
  type Edit,
  indentAt,
  isNonArrowFunction,
  shiftIndent,
  skipParens,
  usesThisOrArguments,
  referencesTo,
} from "../core.js";
import { Refusal } from "../reasons.js";
import { type AssumptionName, sortedAssumptions } from "../assumptions.js";

type Fn = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

/** The promise form of the wrapped call (node-apis' table), given its callee and argument text. */
export type PromiseFormOf = (
  call: ts.CallExpression,
) => { expr: string; maxValues: number; label: string; assumes?: AssumptionName } | undefined;

/** A converted wrapper: the edits and what the conversion relied on. */
export interface WrapperConversion {
  edits: Edit[];
  label: string;
  assumptions: AssumptionName[];
}

/** The function whose whole body is `return <n>` (or an arrow whose expression body is `<n>`). */
function wrappingFunction(n: ts.NewExpression): Fn | undefined {
  let p: ts.Node = n.parent;
  while (ts.isParenthesizedExpression(p)) p = p.parent;
  if (ts.isArrowFunction(p) && skipParens(p.body as ts.Expression) === n) return p;
  if (!ts.isReturnStatement(p) || !ts.isBlock(p.parent) || p.parent.statements.length !== 1) return undefined;
  const fn = p.parent.parent;
  if (
    ts.isFunctionDeclaration(fn) ||
    ts.isFunctionExpression(fn) ||
    ts.isArrowFunction(fn) ||
    ts.isMethodDeclaration(fn)
  )
    return fn;
  return undefined;
}

function isCallOf(e: ts.Node | undefined, name: string): e is ts.CallExpression {
  const x = e && skipParens(e as ts.Expression);
  return !!x && ts.isCallExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === name;
}

function statementCall(s: ts.Statement | undefined): ts.Expression | undefined {
  if (!s) return undefined;
  if (ts.isExpressionStatement(s)) return skipParens(s.expression);
  if (ts.isReturnStatement(s) && s.expression) return skipParens(s.expression);
  return undefined;
}

/** `if (err) return reject(err);`, `if (err) { reject(err); return; }`, `if (err) { return reject(err); }`. */
function isRejectGuard(s: ts.Statement | undefined, err: string, reject: string): boolean {
  if (!s || !ts.isIfStatement(s) || s.elseStatement) return false;
  const c = skipParens(s.expression);
  if (!ts.isIdentifier(c) || c.text !== err) return false;
  const t = s.thenStatement;
  const stmts = ts.isBlock(t) ? t.statements : [t];
  const rejects = (x: ts.Expression | undefined) =>
    isCallOf(x, reject) &&
    x.arguments.length === 1 &&
    ts.isIdentifier(x.arguments[0]) &&
    (x.arguments[0] as ts.Identifier).text === err;
  if (stmts.length === 1) return ts.isReturnStatement(stmts[0]) && rejects(statementCall(stmts[0]));
  return (
    stmts.length === 2 &&
    ts.isExpressionStatement(stmts[0]) &&
    rejects(statementCall(stmts[0])) &&
    ts.isReturnStatement(stmts[1]) &&
    !stmts[1].expression
  );
}

/** Can this expression throw? Only names and literals are surely safe. */
function cannotThrow(e: ts.Expression | undefined): boolean {
  if (!e) return true;
  const x = skipParens(e);
  return ts.isIdentifier(x) || ts.isLiteralExpression(x) || x.kind === ts.SyntaxKind.NullKeyword;
}

/**
 * The conversion of a wrapper `new Promise`, a Refusal, or undefined when `n` is not this shape at all
 * (node-apis then analyses it as a plain wrapper). `idiomatic`: a throw in the continuation, which
 * escaped as an uncaught exception and left the promise pending, may become the rejection.
 */
export function convertPromiseWrapper(
  sf: ts.SourceFile,
  n: ts.NewExpression,
  exec: ts.ArrowFunction | ts.FunctionExpression,
  promiseForm: PromiseFormOf,
  idiomatic: boolean,
  unit: string,
): WrapperConversion | Refusal | undefined {
  const fn = wrappingFunction(n);
  if (!fn || !ts.isBlock(exec.body) || exec.body.statements.length !== 1) return undefined;
  const call = statementCall(exec.body.statements[0]);
  if (!call || !ts.isCallExpression(call)) return undefined;
  const cont = call.arguments[call.arguments.length - 1];
  if (!cont || (!ts.isArrowFunction(cont) && !ts.isFunctionExpression(cont)) || !ts.isBlock(cont.body))
    return undefined;
  const ps = exec.parameters;
  const cps = cont.parameters;
  if (ps.length !== 2 || cps.length < 1 || cps.length > 2) return undefined;
  if ([...ps, ...cps].some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken)) return undefined;
  const [resolve, reject] = ps.map((p) => (p.name as ts.Identifier).text);
  const [err, value] = cps.map((p) => (p.name as ts.Identifier).text);
  const body = cont.body.statements;
  if (!isRejectGuard(body[0], err, reject) || body.length < 2) return undefined;
  // From here on it is the shape: anything that does not hold is a refusal.
  if (
    ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ||
    (fn as ts.FunctionDeclaration).asteriskToken
  )
    return new Refusal("EXECUTOR_SHAPE", "the function is async or a generator");
  for (const f of [exec, cont])
    if (isNonArrowFunction(f) && f.body) {
      const u = usesThisOrArguments(f.body);
      if (u.usesThis || u.usesArguments)
        return new Refusal("EXECUTOR_SHAPE", "this/arguments in a function expression");
    }
  const plan = promiseForm(call);
  if (!plan) return undefined;
  if (cps.length - 1 > plan.maxValues) return new Refusal("NO_PROMISE_API", plan.label);
  const rest = body.slice(1);
  const last = rest[rest.length - 1];
  const before = rest.slice(0, -1);
  // The last statement settles: `resolve(x)`, or `try { …; resolve(x) } catch (e) { reject(e) }`.
  let settle: { tryStmts: readonly ts.Statement[]; value: ts.Expression | undefined; guarded: boolean } | undefined;
  const resolveCall = statementCall(last);
  if (isCallOf(resolveCall, resolve) && resolveCall.arguments.length <= 1)
    settle = { tryStmts: [], value: resolveCall.arguments[0], guarded: false };
  else if (ts.isTryStatement(last) && last.catchClause && !last.finallyBlock) {
    const c = last.catchClause;
    const t = last.tryBlock.statements;
    const r = statementCall(t[t.length - 1]);
    const caught =
      c.variableDeclaration && ts.isIdentifier(c.variableDeclaration.name)
        ? c.variableDeclaration.name.text
        : undefined;
    const rejectsCaught =
      c.block.statements.length === 1 &&
      isCallOf(statementCall(c.block.statements[0]), reject) &&
      (statementCall(c.block.statements[0]) as ts.CallExpression).arguments.length === 1 &&
      (() => {
        const a = (statementCall(c.block.statements[0]) as ts.CallExpression).arguments[0];
        return ts.isIdentifier(a) && a.text === caught;
      })();
    if (caught && rejectsCaught && isCallOf(r, resolve) && r.arguments.length <= 1)
      settle = { tryStmts: t.slice(0, -1), value: r.arguments[0], guarded: true };
  }
  if (!settle) return new Refusal("EXECUTOR_SHAPE", "the continuation does not end by settling the promise");
  // resolve/reject only where the plan reads them; err only in the guard; no early return leaves it pending.
  const settleNodes = new Set<ts.Node>();
  const markCall = (s: ts.Statement) => {
    const c = statementCall(s);
    if (c && ts.isCallExpression(c)) settleNodes.add(c.expression);
  };
  markCall(last);
  if (ts.isTryStatement(last)) {
    markCall(last.tryBlock.statements[last.tryBlock.statements.length - 1]);
    markCall(last.catchClause!.block.statements[0]);
  }
  for (const name of [resolve, reject])
    if (referencesTo(cont.body, name).some((id) => !settleNodes.has(id) && !isInGuard(id, body[0])))
      return new Refusal("EXECUTOR_SHAPE", `${name} used elsewhere`);
  for (const name of [resolve, reject])
    if (call.arguments.slice(0, -1).some((a) => referencesTo(a, name).length)) return new Refusal("EXECUTOR_SHAPE");
  if (rest.some((s) => referencesTo(s, err).length))
    return new Refusal("EXECUTOR_SHAPE", `${err} read after the guard`);
  const returns = (s: ts.Node): boolean =>
    ts.isReturnStatement(s) || (!ts.isFunctionLike(s) && ts.forEachChild(s, returns) === true);
  if ([...before, ...settle.tryStmts].some(returns))
    return new Refusal("EXECUTOR_SHAPE", "a path returns without settling");
  // Names the flattened statements declare must not meet the function's parameters.
  const params = new Set(fn.parameters.flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : [])));
  const declared = declaredNames([...before, ...settle.tryStmts]);
  if (value) declared.add(value);
  for (const d of declared) if (params.has(d) || d === "arguments") return new Refusal("NAME_COLLISION", d);
  // A throw after the await escaped from the callback as an uncaught exception (the promise stayed pending).
  const mayThrow = before.length > 0 || (!settle.guarded && !cannotThrow(settle.value));
  if (mayThrow && !idiomatic) return new Refusal("EXECUTOR_SHAPE", "the continuation may throw (uncaught before)");

  const text = (node: ts.Node) => node.getText(sf);
  const bodyStart = ts.isBlock(fn.body!) ? fn.body.getStart(sf) : fn.body!.getStart(sf);
  const fnIndent = indentAt(sf.text, fn.getStart(sf));
  const inner = fnIndent + unit;
  const reindent = (s: ts.Statement) => shiftIndent(text(s), indentAt(sf.text, s.getStart(sf)), inner);
  const assigned = value !== undefined && [...before, ...settle.tryStmts].some((s) => assignmentsTo(s, value) > 0);
  const head = value ? `${assigned ? "let" : "const"} ${value} = await ${plan.expr};` : `await ${plan.expr};`;
  const lines = [
    head,
    ...[...before, ...settle.tryStmts].map(reindent),
    `return${settle.value ? ` ${text(settle.value)}` : ""};`,
  ];
  const newBody = `{\n${lines.map((l) => `${inner}${l.trimStart()}`).join("\n")}\n${fnIndent}}`;
  const edits: Edit[] = [
    {
      start: ts.isArrowFunction(fn) ? fn.getStart(sf) : asyncPos(fn, sf),
      end: ts.isArrowFunction(fn) ? fn.getStart(sf) : asyncPos(fn, sf),
      text: "async ",
    },
    // An arrow's expression body on the next line: the block starts right after `=>`.
    ts.isArrowFunction(fn) && !ts.isBlock(fn.body)
      ? { start: fn.equalsGreaterThanToken.end, end: fn.body.end, text: ` ${newBody}` }
      : { start: bodyStart, end: fn.body!.end, text: newBody },
  ];
  const assumptions: AssumptionName[] = mayThrow ? ["SYNC_THROW_BECOMES_REJECTION"] : [];
  if (plan.assumes) assumptions.push(plan.assumes);
  return { edits, label: plan.label, assumptions: sortedAssumptions(assumptions) };
}

function isInGuard(id: ts.Node, guard: ts.Statement): boolean {
  return guard.pos <= id.pos && id.end <= guard.end;
}

/** Where `async ` goes: before `function`, or before a method's name (after `static`). */
function asyncPos(fn: Fn, sf: ts.SourceFile): number {
  if (ts.isMethodDeclaration(fn)) return fn.name.getStart(sf);
  const mods = ts.getModifiers(fn);
  if (ts.isFunctionDeclaration(fn) && mods?.length) return mods[mods.length - 1].end + 1;
  return fn.getStart(sf);
}

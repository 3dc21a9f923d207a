// A continuation (`g(args, function (err, v) { … })`) flattened into the async body: the analysis that
// picks its form (propagate, forward, guarded, general, ignored) and the names it brings into scope,
// then, once the walker has converted its statements, the text that awaits the call.
import { ts } from "ts-morph";
import {
  bindsName,
  declaredNames,
  freshName,
  indentAt,
  isTsFile,
  shiftIndent,
  skipParens,
  usesThisOrArguments,
} from "../../core.js";
import { Refusal } from "../../reasons.js";
import { START_HELPER } from "./helpers.js";
import { usesEval } from "./rename.js";
import { markRetries } from "./retry.js";
import { boundNamesUsed } from "../../core.js";
import { fileNames } from "./candidates.js";
import type { AwaitPlan, Conversion, VirtualCall } from "./context.js";
import {
  commentsAt,
  containsNode,
  errGuardReturn,
  hasSideEffectSyntax,
  successBranch,
  isAssigned,
  isCallTo,
  isPropagation,
  looksLikeErrorParam,
  readsErrorValue,
} from "./predicates.js";

/**
 * How the awaited call's outcome is bound: `propagate` (`if (err) return cb(err)` first, dropped),
 * `forward` (the error only goes to the callback at once), `guarded` (a first `if (err) return …;`
 * becomes the catch block), `ignored` (the error is never read: an empty catch), `general` (the error
 * is a variable, null unless the call rejects).
 */
type Form = "propagate" | "forward" | "general" | "ignored" | "guarded";

/** What the analysis of a continuation decided, for the walker and for continuationText. @internal */
export interface ContinuationPlan {
  /** A function declaration only as an `after` join's onComplete (after-join.ts). */
  cont: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration;
  plan: AwaitPlan;
  form: Form;
  /** The error parameter's name ("\0" when there is none). */
  errName: string;
  /** The value parameters' names. */
  values: string[];
  /** The continuation's statements, and those to convert (past a dropped propagation). */
  stmts: readonly ts.Statement[];
  rest: readonly ts.Statement[];
  /** Parameters renamed because their name is taken in the enclosing scope. */
  renames: Map<string, string>;
  /** Error names known to be null in the continuation's statements. */
  known: Set<string>;
  /** A named continuation re-armed from a timer (retry.ts): its text is a loop. */
  retried: boolean;
}

/** The first `if (err) return …;` of a guarded continuation, converted, as the catch block's body. @internal */
export interface GuardedCatch {
  body: string;
  indent: string;
  /** The catch binds the error (its body reads it). */
  binds: boolean;
}

/** A statement of the function's own flow (not inside a continuation). */
function isTopLevel(cx: Conversion, s: ts.Statement): boolean {
  let p: ts.Node | undefined = s.parent;
  while (p && p !== cx.cand.fn) {
    if (ts.isFunctionLike(p)) return false;
    p = p.parent;
  }
  return true;
}

/** References to the error name in nodes (not inside nested functions whose parameter reuses it). @internal */
export function errRefs(errName: string, nodes: readonly ts.Node[], outsideCbFirstArg?: string): number {
  let count = 0;
  const visit = (n: ts.Node): void => {
    // A nested function whose parameter reuses the error's name shadows it.
    if (ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === errName)) return;
    // `cb(err, err ? false : check(st))`: the value's test reads the error as the call does (see successBranch).
    if (outsideCbFirstArg !== undefined && ts.isCallExpression(n) && isCallTo(n, outsideCbFirstArg)) {
      const [a0, a1, ...more] = n.arguments;
      const onSuccess = a0 && a1 && !more.length && ts.isIdentifier(a0) ? successBranch(a0.text, a1) : undefined;
      if (onSuccess && (a0 as ts.Identifier).text === errName) {
        visit(n.expression);
        visit(onSuccess);
        return;
      }
    }
    if (ts.isIdentifier(n) && n.text === errName) {
      const p = n.parent;
      const cbFirstArg =
        outsideCbFirstArg !== undefined &&
        ts.isCallExpression(p) &&
        isCallTo(p, outsideCbFirstArg) &&
        p.arguments[0] === n;
      if (!cbFirstArg) count++;
    }
    ts.forEachChild(n, visit);
  };
  nodes.forEach(visit);
  return count;
}

/**
 * The analysis of a continuation: its shape, the awaited call's plan (started synchronously when the
 * first call is pending), its form, the success error it reads and the names it brings into scope.
 * `outerKnown`: error names of enclosing continuations known to be null here. Their propagate/forward
 * forms declare no variable, so a nested `cb(err)` naming one must be rewritten as a success
 * (a reference to one elsewhere makes that continuation's form general, which declares it). @internal
 */
export function planContinuation(
  cx: Conversion,
  s: ts.Statement,
  source: ts.CallExpression | VirtualCall,
  cont: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration,
  outerKnown: ReadonlySet<string>,
): ContinuationPlan {
  const call = ts.isCallExpression(source as ts.Node) ? (source as ts.CallExpression) : undefined;
  // Shape of the continuation (an `after` join checked its onComplete: after-join.ts).
  if (call && ts.isFunctionExpression(cont)) {
    const u = usesThisOrArguments(cont.body);
    if (u.usesThis || u.usesArguments) throw new Refusal("CONTINUATION_SHAPE", "this/arguments");
    // A named continuation is refused unless its name only re-arms the call from a timer: a retry loop.
    if (cont.name) markRetries(cx, call, cont);
  }
  if (cont.modifiers?.length || (cont as ts.FunctionExpression).asteriskToken)
    throw new Refusal("CONTINUATION_SHAPE", "async/generator");
  const params = cont.parameters;
  if (params.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
    throw new Refusal("CONTINUATION_SHAPE", "params");
  // No parameters: the continuation ignores the outcome (`fs.unlink(p, function () { cb(); })`).
  let errName = params.length ? (params[0].name as ts.Identifier).text : "\0";
  let values = params.slice(1).map((p) => (p.name as ts.Identifier).text);
  const plan0 = call ? cx.awaitable(call, values.length) : (source as VirtualCall).plan;
  if (!plan0) throw new Refusal("UNKNOWN_CALLEE", call && cx.text(call.expression));
  if (plan0.valueOnly) {
    // No error parameter: every parameter is a value, and the awaited promise never rejects.
    errName = "\0";
    values = params.map((p) => (p.name as ts.Identifier).text);
  }
  if (plan0.mayCallBackSync) cx.assume("CALLBACK_NOW_ASYNC", "ZALGO", `${plan0.label} may call back synchronously`);
  if (plan0.assumes) cx.assumptions.add(plan0.assumes);
  if (plan0.assumed && ts.isReturnStatement(s) && isTopLevel(cx, s)) {
    if (plan0.calleeReturnsValue) throw new Refusal("RETURNS_VALUE", `${plan0.label} returns a value on some path`);
    cx.assume("RETURN_VALUE_UNUSED", "RETURNS_VALUE", plan0.label);
  }
  if (plan0.assumed) {
    // Evidence beats the assumption: a first parameter that does not name an error
    // (`function (writable) {…}`) says the callee is not err-first.
    if (params.length && !looksLikeErrorParam(params[0].name as ts.Identifier, cont.body!))
      throw new Refusal("CONTINUATION_NOT_ERR_FIRST", (params[0].name as ts.Identifier).text);
    cx.assumptions.add("ERR_FIRST_CALLEE");
  }
  let plan = plan0;
  if (cx.pendingStart) {
    if (!call) throw new Refusal("COUNTER_SHAPE", "a join started synchronously");
    // The first call keeps its callback form and starts synchronously.
    const args = call.arguments.slice(0, -1).map((a) => cx.text(a));
    const doneArg = plan0.arrayValues ? "(error, ...values) => done(error, values)" : "done";
    plan = {
      ...plan0,
      expr: cx.takeStart(`${START_HELPER}((done) => ${cx.text(call.expression)}(${[...args, doneArg].join(", ")}))`),
    };
  }
  if (values.length > plan.maxValues) throw new Refusal("MULTIPLE_RESULTS", plan.label);
  if (!cont.body || !ts.isBlock(cont.body)) throw new Refusal("CONTINUATION_SHAPE", "expression body");
  const stmts = cont.body.statements;

  // Which form: propagate (`if (err) return cb(err)` first), forward (err only passed to cb), or general.
  const cbName = cx.cand.cbName;
  let rest: readonly ts.Statement[] = stmts;
  let form: Form;
  const first = stmts[0];
  // `cb(err)` / `cb(err, value)` (the continuation's own result) as the first statement.
  // `cb(err)` / `cb(err, value)` as the first statement: undefined if not; else whether the value is one the
  // idiomatic profile drops on an error (`cb(err, sizes && sum(sizes))`: VALUE_WITH_ERROR_DROPPED), not the
  // continuation's own result.
  const forwardsAtOnce = (st: ts.Statement | undefined): { dropsValue: boolean } | undefined => {
    const e =
      st && (ts.isExpressionStatement(st) ? st.expression : ts.isReturnStatement(st) ? st.expression : undefined);
    const c = e && skipParens(e);
    if (!c || !ts.isCallExpression(c) || !isCallTo(c, cbName)) return undefined;
    const [a0, a1, ...more] = c.arguments;
    if (more.length || !a0 || !ts.isIdentifier(a0) || a0.text !== errName) return undefined;
    if (a1 === undefined || (ts.isIdentifier(a1) && a1.text === values[0])) return { dropsValue: false };
    // isexe's `cb(er, er ? false : checkStat(stat))`: what runs only on success may have side effects.
    const sideEffectsOnError = successBranch(errName, a1) === undefined && hasSideEffectSyntax(a1);
    const droppable = cx.idiomatic && !sideEffectsOnError && !containsNode(a1, (n) => cx.isCbRef(n));
    return droppable ? { dropsValue: true } : undefined;
  };
  let forwarded: { dropsValue: boolean } | undefined;
  if (plan.valueOnly) {
    form = "forward";
  } else if (first && isPropagation(first, errName, cbName) && errRefs(errName, stmts.slice(1), cbName) === 0) {
    form = "propagate";
    rest = stmts.slice(1);
    cx.asyncCalls++;
  } else if (errRefs(errName, stmts) === 0) {
    // The original deliberately ignores the error: so does an empty catch.
    form = "ignored";
  } else if (errRefs(errName, stmts, cbName) === 0 && (forwarded = forwardsAtOnce(first))) {
    // Only when the error goes to the callback at once, with nothing else: a path that ignores it
    // (`if (c) return cb(err, v); cb(null, 'fallback');`) or runs code first keeps the general form.
    form = "forward";
    if (forwarded.dropsValue) cx.assumptions.add("VALUE_WITH_ERROR_DROPPED");
  } else if (stmts.length > 1 && errGuardReturn(first, errName) && errRefs(errName, stmts.slice(1), cbName) === 0) {
    // The error is read only by a first `if (err) return …;`: that guard becomes the catch block.
    form = "guarded";
  } else {
    form = "general";
  }
  if (plan.arrayValues === undefined && values.length > 1) throw new Refusal("MULTIPLE_RESULTS");
  // On success the converted form's error is null (or gone); the original's is what the callee passed,
  // undefined for a callee that calls back `cb()`. That matters only where the error's value is read
  // beyond a truthiness test (`cb(err)` on a success path, `log(err)`).
  if (plan.successError !== undefined && form !== "ignored" && readsErrorValue(rest, errName)) {
    if (plan.successError === "unknown")
      cx.assume(
        "NULL_UNDEFINED_SUCCESS",
        "MIXED_SUCCESS_ARITY",
        `${plan.label} may call back cb() (error undefined) on success, and the error is handed on or read`,
      );
    else cx.nullErrorDeps.add(plan.successError);
  }

  // Name hygiene: names we bring into the enclosing scope must not be used elsewhere in the function.
  const outside = boundNamesUsed(cx.usedInFn, cont);
  const introduced = new Set<string>(values);
  if (form === "general") introduced.add(errName);
  const hoisted = declaredNames(rest);
  const argNames = new Set<string>();
  for (const a of call ? call.arguments.slice(0, -1) : (source as VirtualCall).reads)
    for (const n of boundNamesUsed(a)) argNames.add(n);
  // A branch's first call is flattened into a block of its own (convertBranchedStart): what it
  // declares with let/const cannot meet the function's other names.
  const ownBlock = s === cx.branchLeaf;
  // A colliding parameter is renamed in the continuation's statements (`head` → `head1`), when nothing
  // inside them declares it again (then every reference there means the parameter).
  const renames = new Map<string, string>();
  // Names a fresh one must avoid, without copying the file's names (a copy per continuation was quadratic).
  const chosen = new Set<string>();
  const fileWide = fileNames(cx.sf);
  const taken = {
    has: (x: string) => fileWide.has(x) || outside.has(x) || argNames.has(x) || chosen.has(x),
    add: (x: string) => chosen.add(x),
  };
  for (const n of introduced) {
    if (!((outside.has(n) && !ownBlock) || argNames.has(n))) continue;
    if (n === "arguments" || n === "eval" || bindsName(cont.body, n) || usesEval(cont.body))
      throw new Refusal("NAME_COLLISION", n);
    const fresh = freshName(n, taken);
    taken.add(fresh);
    renames.set(n, fresh);
  }
  for (const n of hoisted) if (outside.has(n) || argNames.has(n)) throw new Refusal("NAME_COLLISION", n);

  // The enclosing continuations' known-null errors stay known unless a parameter here shadows them.
  const known = new Set(
    [...outerKnown].filter((n) => !params.some((p) => ts.isIdentifier(p.name) && p.name.text === n)),
  );
  if (form === "propagate" || form === "forward") known.add(errName);
  if (rest.length === 0) throw new Refusal("MAYBE_NEVER_CALLED", "empty continuation");
  const retried = !!call && ts.isFunctionExpression(cont) && !!cont.name;
  return { cont, plan, form, errName, values, stmts, rest, renames, known, retried };
}

/**
 * The text replacing statement s, the call with its continuation: the awaited call in the plan's
 * form, then restText (the converted statements from rest, the walker's work), with the
 * continuation's leading and trailing comments. @internal
 */
export function continuationText(
  cx: Conversion,
  s: ts.Statement,
  p: ContinuationPlan,
  rest: readonly ts.Statement[],
  restText: string,
  guarded: GuardedCatch | undefined,
  /** An `if`'s body on a line of its own may open its block on the `if`'s line (the caller's edit starts there). */
  openOnIfLine = true,
): string {
  const { plan, form, errName, values } = p;
  const sf = cx.sf;
  const u = cx.unit;
  const renamed = (n: string): string => p.renames.get(n) ?? n;
  const sIndent = indentAt(sf.text, s.getStart(sf));
  const restIndent = indentAt(sf.text, rest[0].getStart(sf));
  const decl = values.some((v) => isAssigned(p.cont.body!, v)) ? "let" : "const";
  const newValues = values.map(renamed);
  const target = values.length === 0 ? "" : plan.arrayValues ? `[${newValues.join(", ")}]` : newValues[0];
  const assign = target ? `${target} = await ${plan.expr};` : `await ${plan.expr};`;
  const lets = values.length ? `let ${newValues.join(", ")};\n${sIndent}` : "";
  const tail = `${sIndent}${shiftIndent(restText, restIndent, sIndent)}`;
  let out: string;
  if (form === "propagate" || form === "forward") {
    const head = target ? `${decl} ${target} = await ${plan.expr};` : `await ${plan.expr};`;
    out = `${head}\n${tail}`;
  } else if (form === "guarded" && guarded) {
    // TypeScript: as in the general form, the error keeps the loose type its callback parameter had.
    const errType = isTsFile(cx.ctx.fileName) ? ": any" : "";
    const catchHead = guarded.binds ? `catch (${errName}${errType})` : "catch";
    out =
      `${lets}try {\n${sIndent}${u}${assign}\n${sIndent}} ${catchHead} {\n${sIndent}${u}${shiftIndent(guarded.body, guarded.indent, sIndent + u)}\n${sIndent}}\n` +
      tail;
  } else if (form === "ignored") {
    out =
      `${lets}try {\n${sIndent}${u}${assign}\n${sIndent}} catch {\n${sIndent}${u}// the original ignored this error\n${sIndent}}\n` +
      tail;
  } else {
    const caught = freshName("error", fileNames(sf));
    // TypeScript: the caught value is `unknown`; the error keeps the loose type the callback API's
    // error parameter had in practice (its `.code` is read).
    const err = renamed(errName);
    const errDecl = isTsFile(cx.ctx.fileName) ? `${err}: any = null` : `${err} = null`;
    out =
      `let ${[errDecl, ...newValues].join(", ")};\n${sIndent}try {\n${sIndent}${u}${assign}\n${sIndent}} catch (${caught}) {\n${sIndent}${u}${err} = ${caught};\n${sIndent}}\n` +
      tail;
  }
  // Comments before the continuation's first statements and after its last one are kept, around the
  // flattened code (the statements' own text starts at their first token).
  const before = [
    ...new Set([
      ...commentsAt(sf.text, p.stmts[0].getFullStart()),
      ...(rest[0] !== p.stmts[0] ? commentsAt(sf.text, rest[0].getFullStart()) : []),
    ]),
  ];
  const after = commentsAt(sf.text, rest[rest.length - 1].end);
  if (before.length) out = `${before.join(`\n${sIndent}`)}\n${sIndent}${out}`;
  if (after.length) out = `${out}\n${sIndent}${after.join(`\n${sIndent}`)}`;
  // A retried continuation: every path of the converted statements returns, throws or retries (continue).
  if (p.retried) return `for (;;) {\n${sIndent}${u}${shiftIndent(out, sIndent, sIndent + u)}\n${sIndent}}`;
  // A single-statement position (`else fs.stat(…)`) needs a block for the several statements; on a line of its
  // own under an `if` / `else`, the block opens on that line (the edit then starts where the statement's trivia
  // does: bodyOnOwnLine).
  const single = !ts.isBlock(s.parent) && !ts.isSourceFile(s.parent) && !ts.isCaseOrDefaultClause(s.parent);
  if (single && openOnIfLine && bodyOnOwnLine(sf, s)) return ` {\n${sIndent}${out}\n${indentAt(sf.text, s.pos)}}`;
  if (single) out = `{\n${sIndent}${u}${shiftIndent(out, "", u)}\n${sIndent}}`;
  return out;
}

/** `s` is an `if`'s or `else`'s body written on a line of its own (`else` / `  fs.stat(…)`). @internal */
export function bodyOnOwnLine(sf: ts.SourceFile, s: ts.Statement): boolean {
  return ts.isIfStatement(s.parent) && /^[ \t]*\r?\n\s*$/.test(sf.text.slice(s.pos, s.getStart(sf)));
}

// The statement walker: converts a statement list on the callback's control flow (the function's own,
// a continuation's, a helper's), each statement by what it is: a callback call, a branch, a try whose
// catch calls back, a tail pass, a continuation (analysed and emitted by continuation.ts).
import { ts } from "ts-morph";
import { bindsName, type Edit, indentAt, shiftIndent, skipParens } from "../../core.js";
import { Refusal, type ReasonCode } from "../../reasons.js";
import { renameReferences } from "./rename.js";
import type { Conversion, VirtualCall } from "./context.js";
import { type Replacement, cbCallText, renderReplacement, helperTailCallText, tailPassText } from "./callback-calls.js";
import { retryText } from "./retry.js";
import { counterInFlow } from "./counter-flow.js";
import { type AfterJoin, afterJoinAwait, afterJoinRemovals, findAfterJoin, joinStatements } from "./after-join.js";
import { bodyOnOwnLine, continuationText, errRefs, type GuardedCatch, planContinuation } from "./continuation.js";
import { containsNode, errGuardReturn, isAssigned, isBareReturn, isCallTo, leftmostConjunct } from "./predicates.js";

/**
 * Converts a statement list in the callback's control flow. Returns whether
 * it terminates (every path ends in a callback call, a throw or an await of
 * a terminating continuation). @internal
 */
export function convertList(
  cx: Conversion,
  stmts: readonly ts.Statement[],
  inCont: boolean,
  mustTerminate: boolean,
  known: Set<string>,
  truthy: Set<string>,
  flowEnd = true,
): boolean {
  // A continuation's statements joined by a counter: `Promise.all` in place.
  if (inCont) {
    const joined = counterInFlow(cx, stmts);
    if (joined !== undefined) return joined;
  }
  // `var done = after(list.length, onComplete); list.forEach(…)`: Promise.all, then onComplete's statements.
  const join = findAfterJoin(cx.sf, cx.cand.fn, stmts);
  if (join) {
    // Code after the block would run while the calls are pending: the join must end the flow.
    if (!flowEnd) throw new Refusal("CALLBACK_NOT_LAST", "code after the after join's block");
    return convertAfterJoin(cx, stmts, join, known);
  }
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    // An expression statement may end a path only where nothing runs after it: at the end of the
    // flow (function/continuation), or followed by a bare `return`.
    const isLast = i === stmts.length - 1 && flowEnd;
    const bareReturnNext = i === stmts.length - 2 && isBareReturn(stmts[i + 1]);
    const lastHere = i === stmts.length - 1;
    // `return setTimeout(() => g(…, CB), t)` in a retried continuation: the loop's next turn.
    const retry = cx.retries.get(s);
    if (retry !== undefined) {
      cx.edits.push({ start: s.getStart(cx.sf), end: s.end, text: retryText(cx, s, retry) });
      return true;
    }
    if (!cx.containsCb(s) && !cx.containsRetry(s)) {
      if (containsNode(s, ts.isReturnStatement, true))
        throw new Refusal("MAYBE_NEVER_CALLED", "return without calling the callback");
      if (ts.isThrowStatement(s)) {
        if (!inCont) cx.assume("SYNC_THROW_BECOMES_REJECTION", "SYNC_THROW");
        return true;
      }
      if (!inCont && containsNode(s, ts.isThrowStatement, true))
        cx.assume("SYNC_THROW_BECOMES_REJECTION", "SYNC_THROW");
      continue;
    }
    const expr = ts.isExpressionStatement(s) ? s.expression : ts.isReturnStatement(s) ? s.expression : undefined;
    // (a) a callback call statement
    if (expr && isCallTo(expr, cx.cand.cbName)) {
      if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext) throw new Refusal("CALLBACK_NOT_LAST");
      if (inCont) cx.asyncCalls++;
      else cx.syncCalls++;
      const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
      cx.edits.push(replacementEdit(cx, s, end, cbCallText(cx, expr, known, truthy)));
      return true;
    }
    // (b) if statement
    if (ts.isIfStatement(s)) {
      if (cx.containsCb(s.expression)) throw new Refusal("CALLBACK_IN_EXPRESSION");
      const lead = leftmostConjunct(s.expression);
      const thenTruthy = new Set(truthy);
      if (lead && ts.isIdentifier(lead)) thenTruthy.add(lead.text);
      const t = convertBranch(cx, s.thenStatement, inCont, lastHere && mustTerminate, known, thenTruthy, isLast);
      const e = s.elseStatement
        ? convertBranch(cx, s.elseStatement, inCont, lastHere && mustTerminate, known, truthy, isLast)
        : false;
      if (t && e) return true;
      if (lastHere && mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "a branch falls through to the end");
      continue;
    }
    // try { no callback here } catch (e) { … ends by calling it … }: the catch is a branch.
    if (
      ts.isTryStatement(s) &&
      s.catchClause &&
      !cx.containsCb(s.tryBlock) &&
      !(s.finallyBlock && cx.containsCb(s.finallyBlock))
    ) {
      if (containsNode(s.tryBlock, ts.isReturnStatement, true))
        throw new Refusal("MAYBE_NEVER_CALLED", "return in try");
      if (s.finallyBlock) throw new Refusal("UNSUPPORTED_STATEMENT", "finally");
      // A catch that ends some paths and falls through on others (`catch (e) { d = fallback(d); if (!d)
      // return cb(e) }`) is a branch like an `if` without else: what follows the try runs after it in both.
      const before = cx.edits.length;
      const c = convertList(cx, s.catchClause.block.statements, inCont, false, known, truthy, false);
      if (!c && lastHere && mustTerminate)
        throw new Refusal("MAYBE_NEVER_CALLED", "a catch block falls through to the end");
      if (c && lastHere && mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "try block falls through to the end");
      dropRethrowingTry(cx, s, before);
      continue;
    }
    if (ts.isBlock(s)) {
      const t = convertList(cx, s.statements, inCont, lastHere && mustTerminate, known, truthy, isLast);
      if (t) return true;
      if (lastHere && mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "a block falls through to the end");
      continue;
    }
    // (c0) a tail call of an inner helper that calls the callback: `helper(args)`, `return helper(args)`
    if (expr && cx.isHelperTailCall(expr)) {
      const call = skipParens(expr) as ts.CallExpression;
      if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
        throw new Refusal(
          "HELPER_NOT_TAIL_CALLED",
          `code after the call of ${(call.expression as ts.Identifier).text}`,
        );
      const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
      cx.edits.push({ start: s.getStart(cx.sf), end, text: helperTailCallText(cx, call, inCont) });
      return true;
    }
    // (c) the callback handed on as the last argument of a known err-first call: `g(args, cb)`
    if (expr && isTailPassCall(cx, expr)) {
      if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
        throw new Refusal("CALLBACK_NOT_LAST", "code after handing the callback on");
      const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
      cx.edits.push({
        start: s.getStart(cx.sf),
        end,
        text: tailPassText(cx, skipParens(expr) as ts.CallExpression, ts.isReturnStatement(s) && !inCont),
      });
      return true;
    }
    // (c') `return cond ? g(args, cb) : cb(err)`: each branch is a tail pass or a callback call.
    if (expr && ts.isReturnStatement(s) && ts.isConditionalExpression(skipParens(expr))) {
      const c = skipParens(expr) as ts.ConditionalExpression;
      const branch = (b: ts.Expression): Replacement | undefined => {
        const x = skipParens(b);
        if (isTailPassCall(cx, x)) return { stmts: [tailPassText(cx, x as ts.CallExpression, !inCont)] };
        if (cx.isHelperTailCall(x)) return { stmts: [helperTailCallText(cx, x, inCont)] };
        if (isCallTo(x, cx.cand.cbName)) {
          if (inCont) cx.asyncCalls++;
          else cx.syncCalls++;
          return cbCallText(cx, x, known, truthy);
        }
        return undefined;
      };
      if (!cx.containsCb(c.condition)) {
        const t = branch(c.whenTrue);
        const f = t === undefined ? undefined : branch(c.whenFalse);
        if (t !== undefined && f !== undefined) {
          const indent = indentAt(cx.sf.text, s.getStart(cx.sf));
          // `return c ? g(x, cb) : h(y, cb)` stays a conditional when both sides are one value.
          const value = (r: Replacement) =>
            r.stmts.length === 1 && !r.scoped ? /^return (.+);$/s.exec(r.stmts[0]!)?.[1] : undefined;
          const [tv, fv] = [value(t), value(f)];
          const repl: Replacement =
            tv !== undefined && fv !== undefined
              ? { stmts: [`return ${cx.text(c.condition)} ? ${tv} : ${fv};`] }
              : {
                  stmts: [
                    `if (${cx.text(c.condition)}) ${renderReplacement(t, indent, cx.unit, true)}`,
                    ...(f.scoped ? [renderReplacement(f, indent, cx.unit, true)] : f.stmts),
                  ],
                };
          cx.edits.push(replacementEdit(cx, s, s.end, repl));
          return true;
        }
      }
    }
    // (d) a call carrying a continuation
    if (expr && ts.isCallExpression(skipParens(expr))) {
      const call = skipParens(expr) as ts.CallExpression;
      const last = call.arguments[call.arguments.length - 1];
      if (
        last &&
        (ts.isFunctionExpression(last) || ts.isArrowFunction(last)) &&
        cx.containsCb(last) &&
        !call.arguments.slice(0, -1).some((a) => cx.containsCb(a)) &&
        !cx.containsCb(call.expression)
      ) {
        if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
          throw new Refusal("CALLBACK_NOT_LAST", "code after the asynchronous call");
        const end = bareReturnNext ? stmts[i + 1].end : s.end;
        return convertContinuation(cx, s, call, last, end, known);
      }
    }
    throw new Refusal(whyUnsupported(cx, s));
  }
  if (mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "falls off the end");
  return false;
}

function convertBranch(
  cx: Conversion,
  s: ts.Statement,
  inCont: boolean,
  mustTerminate: boolean,
  known: Set<string>,
  truthy: Set<string>,
  flowEnd: boolean,
): boolean {
  if (ts.isBlock(s)) return convertList(cx, s.statements, inCont, mustTerminate, known, truthy, flowEnd);
  return convertList(cx, [s], inCont, mustTerminate, known, truthy, flowEnd);
}

function whyUnsupported(cx: Conversion, s: ts.Statement): ReasonCode {
  let reason: ReasonCode = "CALLBACK_IN_EXPRESSION";
  const visit = (n: ts.Node, inFn: boolean, inLoop: boolean): void => {
    if (cx.isCbRef(n)) {
      if (inFn) reason = "CALLBACK_IN_NESTED_FUNCTION";
      else if (inLoop && reason === "CALLBACK_IN_EXPRESSION") reason = "UNSUPPORTED_STATEMENT";
      return;
    }
    const fn = ts.isFunctionLike(n);
    const loop =
      ts.isIterationStatement(n, false) || ts.isSwitchStatement(n) || ts.isTryStatement(n) || ts.isLabeledStatement(n);
    ts.forEachChild(n, (c) => visit(c, inFn || fn, inLoop || loop));
  };
  visit(s, false, false);
  return reason;
}

/**
 * `try { data = JSON.parse(text); } catch (e) { return cb(e); }` once converted is `try { … } catch (e) {
 * throw e; }`, which an async function does by itself: the try goes, its statements stay (not when they
 * declare block-scoped names, which would then meet the function's). `from`: the catch's first edit.
 */
function dropRethrowingTry(cx: Conversion, s: ts.TryStatement, from: number): void {
  const clause = s.catchClause!;
  const v = clause.variableDeclaration;
  if (!v || !ts.isIdentifier(v.name) || clause.block.statements.length !== 1) return;
  const blockScoped = s.tryBlock.statements.some(
    (st) =>
      (ts.isVariableStatement(st) && st.declarationList.flags & ts.NodeFlags.BlockScoped) ||
      ts.isClassDeclaration(st) ||
      ts.isFunctionDeclaration(st),
  );
  if (blockScoped || s.tryBlock.statements.length === 0) return;
  const only = clause.block.statements[0];
  const mine = cx.edits.slice(from);
  const rethrows =
    mine.length === 1 &&
    mine[0].start === only.getStart(cx.sf) &&
    mine[0].end >= only.end &&
    mine[0].text.trim() === `throw ${v.name.text};`;
  if (!rethrows) return;
  cx.edits.splice(from);
  const first = s.tryBlock.statements[0];
  const last = s.tryBlock.statements[s.tryBlock.statements.length - 1];
  const inner = cx.sf.text.slice(first.getStart(cx.sf), last.end);
  const indent = indentAt(cx.sf.text, s.getStart(cx.sf));
  cx.edits.push({
    start: s.getStart(cx.sf),
    end: s.end,
    text: shiftIndent(inner, indentAt(cx.sf.text, first.getStart(cx.sf)), indent),
  });
}

/** `g(args, cb)`: the callback handed on as the last argument, and only there. */
function isTailPassCall(cx: Conversion, e: ts.Expression): boolean {
  const x = skipParens(e);
  if (!ts.isCallExpression(x)) return false;
  const last = x.arguments[x.arguments.length - 1];
  return (
    !!last &&
    cx.isCbRef(last) &&
    !x.arguments.slice(0, -1).some((a) => cx.containsCb(a)) &&
    !cx.containsCb(x.expression)
  );
}

/**
 * An `after` join ending the flow (after-join.ts): the statements before it stay as they are (they must
 * neither call back nor return), the loop becomes the awaited Promise.all with onComplete's statements as its
 * continuation, the join's declarator and named functions go.
 */
function convertAfterJoin(
  cx: Conversion,
  stmts: readonly ts.Statement[],
  join: AfterJoin,
  known: ReadonlySet<string>,
): boolean {
  const own = joinStatements(join);
  const loopAt = stmts.indexOf(join.loop);
  stmts.forEach((st, i) => {
    if (own.has(st)) return;
    if (i > loopAt) throw new Refusal("CALLBACK_NOT_LAST", "code after the join's loop");
    if (cx.containsCb(st) || containsNode(st, ts.isReturnStatement, true))
      throw new Refusal("COUNTER_SHAPE", "after: the callback or a return before the join");
  });
  const terminates = convertContinuation(
    cx,
    join.loop,
    afterJoinAwait(cx, join),
    join.onComplete,
    join.loop.end,
    known,
  );
  cx.edits.push(...afterJoinRemovals(cx.sf, join, stmts));
  return terminates;
}

/**
 * Converts statement s, a call whose last argument is the continuation cont: its plan, its statements
 * converted here (a guarded form's first `if (err) return …;` apart, as the catch block), its text.
 */
function convertContinuation(
  cx: Conversion,
  s: ts.Statement,
  call: ts.CallExpression | VirtualCall,
  cont: ts.FunctionExpression | ts.ArrowFunction | ts.FunctionDeclaration,
  end: number,
  outerKnown: ReadonlySet<string>,
): boolean {
  const p = planContinuation(cx, s, call, cont, outerKnown);
  const { form, errName, values, renames, known } = p;
  let rest = p.rest;
  const startIdx = cx.edits.length;
  let terminates: boolean;
  let guarded: GuardedCatch | undefined;
  const value =
    values[0] !== undefined && !isAssigned(cont.body!, values[0]) && !bindsName(cont.body!, values[0])
      ? values[0]
      : undefined;
  cx.continuations.push({ err: errName, value });
  try {
    // `if (err) return …;` first: past it the error is falsy, as known as after a propagation.
    const guard = form === "general" || form === "guarded" ? errGuardReturn(rest[0], errName) : undefined;
    if (guard && rest.length > 1) {
      convertList(cx, [guard], true, false, known, new Set(), false);
      if (form === "guarded") {
        const then = guard.thenStatement;
        const inner = ts.isBlock(then) ? then.statements : [then];
        // A callback call's replacement, braced to be the if's body (`{ if (c) throw er; return; }`), goes into the
        // catch as its statements, one per line.
        const replaced = ts.isBlock(then)
          ? undefined
          : cx.edits.slice(startIdx).find((e) => e.statements && e.end === then.end)?.statements;
        const text = cx.render(then.getStart(cx.sf), then.end, startIdx);
        const ind = indentAt(cx.sf.text, then.getStart(cx.sf));
        const body = ts.isBlock(then) ? text.slice(1, -1).trim() : replaced ? replaced.join(`\n${ind}`) : text;
        guarded = {
          // The catch binds the error under its own name: only the values keep their new names.
          body: renameReferences(body, new Map([...renames].filter(([from]) => from !== errName)), cx.ctx.fileName),
          indent: indentAt(cx.sf.text, inner[0].getStart(cx.sf)),
          binds: errRefs(errName, [then]) > 0,
        };
        rest = rest.slice(1);
      }
      terminates = convertList(
        cx,
        form === "guarded" ? rest : rest.slice(1),
        true,
        true,
        new Set([...known, errName]),
        new Set(),
      );
    } else terminates = convertList(cx, rest, true, true, known, new Set());
  } finally {
    cx.continuations.pop();
  }
  const restText = renameReferences(
    cx.render(rest[0].getStart(cx.sf), rest[rest.length - 1].end, startIdx),
    renames,
    cx.ctx.fileName,
  );
  const text = continuationText(cx, s, p, rest, restText, guarded);
  // The block opened on the `if`'s line (continuationText) replaces the line break before the statement too.
  if (text.startsWith(" {\n") && bodyOnOwnLine(cx.sf, s)) {
    const atStatement = continuationText(cx, s, p, rest, restText, guarded, false);
    cx.edits.push({ start: s.pos, end, text, atStatement: { start: s.getStart(cx.sf), text: atStatement } });
  } else cx.edits.push({ start: s.getStart(cx.sf), end, text });
  return terminates;
}

/**
 * The edit writing a replacement where statement `s` stood, up to `end`. As the body of an `if` or `else` on a line
 * of its own (`if (strict)` / `  cb(err, st)`), several statements go in braces opened on the `if`'s line and
 * closed at its indentation, as one would write them; elsewhere they go where the statement started.
 */
function replacementEdit(cx: Conversion, s: ts.Statement, end: number, r: Replacement): Edit {
  const start = s.getStart(cx.sf);
  const indent = indentAt(cx.sf.text, start);
  const braces = !ts.isBlock(s.parent) && !ts.isSourceFile(s.parent);
  // In a block written on one line (`catch (e) { return cb(e) }`) the statements stay on that line.
  const p = s.parent;
  const inLine =
    ts.isBlock(p) &&
    !cx.sf.text.slice(p.getStart(cx.sf), start).includes("\n") &&
    !cx.sf.text.slice(s.end, p.end).includes("\n");
  const text = renderReplacement(r, indent, cx.unit, braces, inLine);
  if (braces && bodyOnOwnLine(cx.sf, s) && (r.stmts.length > 1 || r.scoped)) {
    const outer = indentAt(cx.sf.text, s.pos);
    const own = ` {\n${indent}${r.stmts.join(`\n${indent}`)}\n${outer}}`;
    return { start: s.pos, end, text: own, atStatement: { start, text }, statements: r.stmts };
  }
  return { start, end, text, statements: r.stmts };
}

// The branched start: `if (c) { A(…, k) } else { B(…, cb) }` as the first call, where the condition
// picks, synchronously, which first call starts; the async body goes on down the branch taken.
import { ts } from "ts-morph";
import { freshName, indentAt, shiftIndent, skipParens } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { fileNames } from "./candidates.js";
import type { Conversion } from "./context.js";
import { isBareReturn, needsParensInConditional } from "./predicates.js";
import { convertList } from "./walker.js";

/** The first call(s) of a branched start (see branchedStart). @internal */
export type BranchedStart =
  | { kind: "leaf"; stmts: readonly ts.Statement[]; inHelper: boolean }
  | { kind: "helper"; name: string; inner: BranchedStart }
  | { kind: "if"; cond: ts.Expression; then: BranchedStart; else: BranchedStart };

/**
 * The branched first call: `if (c) { A(…, k) } else { B(…, cb) }` where every branch (an `else if`
 * chain, nested ifs, or a call of a parameterless inner helper whose body is itself such a start)
 * is nothing but one first call (a continuation, a tail pass), optionally followed by `return;`.
 * Nothing runs before the calls but the conditions, which the conversion evaluates once, in the
 * same order, before starting the chosen call synchronously. Undefined when the shape differs. @internal
 */
export function branchedStart(
  cx: Conversion,
  s: ts.Statement,
  inHelpers: ReadonlySet<string>,
): BranchedStart | undefined {
  if (!ts.isIfStatement(s) || !s.elseStatement || cx.containsCb(s.expression)) return undefined;
  const arm = (st: ts.Statement): BranchedStart | undefined => {
    let list: readonly ts.Statement[] = ts.isBlock(st) ? st.statements : [st];
    if (list.length === 2 && isBareReturn(list[1])) list = list.slice(0, 1);
    else if (list.length !== 1) return undefined;
    const only = list[0];
    if (ts.isBlock(only)) return arm(only);
    if (ts.isIfStatement(only)) return branchedStart(cx, only, inHelpers);
    const leafStmts = ts.isBlock(st) ? st.statements : [st];
    if (cx.isContinuationStatement(only) || cx.isTailPass(only))
      return { kind: "leaf", stmts: leafStmts, inHelper: inHelpers.size > 0 };
    // `helper();` of a parameterless helper: its own first call is started in its place.
    if (ts.isExpressionStatement(only) && cx.isHelperTailCall(only.expression)) {
      const call = skipParens(only.expression) as ts.CallExpression;
      const name = (call.expression as ts.Identifier).text;
      const h = cx.helpers.get(name)!;
      if (call.arguments.length || h.parameters.length || inHelpers.has(name) || leafStmts.length !== 1)
        return undefined;
      const inner = new Set(inHelpers).add(name);
      const body = h.body!.statements;
      const inside = body.length === 1 && ts.isIfStatement(body[0]) ? branchedStart(cx, body[0], inner) : undefined;
      if (inside) return { kind: "helper", name, inner: inside };
      const bodyList = body.length === 2 && isBareReturn(body[1]) ? body.slice(0, 1) : body;
      if (bodyList.length === 1 && (cx.isContinuationStatement(bodyList[0]) || cx.isTailPass(bodyList[0])))
        return { kind: "helper", name, inner: { kind: "leaf", stmts: body, inHelper: true } };
    }
    return undefined;
  };
  const then = arm(s.thenStatement);
  const otherwise = then && arm(s.elseStatement);
  return then && otherwise ? { kind: "if", cond: s.expression, then, else: otherwise } : undefined;
}

/**
 * Converts a branched start: the prologue gets `const branch = c ? 0 : 1;` and the started call
 * of each branch; the async body continues on the branch taken, without evaluating `c` again. @internal
 */
export function convertBranchedStart(
  cx: Conversion,
  first: ts.IfStatement,
  tree: BranchedStart,
  startedHelpers: Map<string, number>,
): void {
  const branchVar = freshName("branch", new Set([...fileNames(cx.sf), cx.startVar!]));
  const tailCalls = new Map(cx.helperTailCalls);
  const leafTexts: { text: string; indent: string }[] = [];
  const convertLeaves = (t: BranchedStart): void => {
    if (t.kind === "if") {
      convertLeaves(t.then);
      convertLeaves(t.else);
    } else if (t.kind === "helper") {
      startedHelpers.set(t.name, (startedHelpers.get(t.name) ?? 0) + 1);
      convertLeaves(t.inner);
    } else {
      const mark = cx.edits.length;
      cx.pendingStart = true;
      cx.branchLeaf = t.stmts[0];
      const count = cx.startedExprs.length;
      // Inside a helper the leaf's value is not the function's return value (helpers are called as statements).
      convertList(cx, t.stmts, t.inHelper, true, new Set(), new Set());
      cx.branchLeaf = undefined;
      if (cx.pendingStart || cx.startedExprs.length !== count + 1)
        throw new Refusal("ASYNC_START_NESTED", "a branch without a first asynchronous call");
      const start = t.stmts[0].getStart(cx.sf);
      leafTexts.push({
        text: cx.render(start, t.stmts[t.stmts.length - 1].end, mark),
        indent: indentAt(cx.sf.text, start),
      });
    }
  };
  convertLeaves(tree);
  // The helpers' tail calls made inline here are accounted for by the caller (see convertBody).
  cx.helperTailCalls.clear();
  for (const [k, v] of tailCalls) cx.helperTailCalls.set(k, v);
  const u = cx.unit;
  let leafIndex = 0;
  const leavesOf = (t: BranchedStart): number =>
    t.kind === "leaf" ? 1 : t.kind === "helper" ? leavesOf(t.inner) : leavesOf(t.then) + leavesOf(t.else);
  const asyncText = (t: BranchedStart, ind: string): string => {
    if (t.kind === "helper") return asyncText(t.inner, ind);
    if (t.kind === "leaf") {
      const leaf = leafTexts[leafIndex++];
      return ind + shiftIndent(leaf.text, leaf.indent, ind);
    }
    const lo = leafIndex;
    const thenCount = leavesOf(t.then);
    const test = thenCount === 1 ? `${branchVar} === ${lo}` : `${branchVar} < ${lo + thenCount}`;
    const thenText = asyncText(t.then, ind + u);
    const elseTree = t.else.kind === "helper" ? t.else.inner : t.else;
    const elseText =
      elseTree.kind === "if"
        ? ` else ${asyncText(elseTree, ind).trimStart()}`
        : ` else {\n${asyncText(elseTree, ind + u)}\n${ind}}`;
    return `${ind}if (${test}) {\n${thenText}\n${ind}}${elseText}`;
  };
  const sIndent = indentAt(cx.sf.text, first.getStart(cx.sf));
  const body = asyncText(tree, sIndent).slice(sIndent.length);
  cx.edits.push({ start: first.getStart(cx.sf), end: first.end, text: body });
  let n = 0;
  const choice = (t: BranchedStart, nested: boolean): string => {
    if (t.kind === "helper") return choice(t.inner, nested);
    if (t.kind === "leaf") return `${n++}`;
    const c = cx.text(t.cond);
    const text = `${needsParensInConditional(t.cond) ? `(${c})` : c} ? ${choice(t.then, true)} : ${choice(t.else, false)}`;
    return nested ? `(${text})` : text;
  };
  const pick = cx.startedExprs
    .map((e, i) => (i === cx.startedExprs.length - 1 ? e : `${branchVar} === ${i} ? ${e} : `))
    .join("");
  cx.startDecl = `const ${branchVar} = ${choice(tree, false)};\n${sIndent}const ${cx.startVar} = ${pick};`;
}

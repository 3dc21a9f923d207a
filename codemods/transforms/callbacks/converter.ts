// FunctionConverter: the analysis and rewrite of one callback-taking function into an async function
// behind a callback-compatible wrapper (refusing, by a Refusal, any site that breaks an invariant).
import { ts } from "ts-morph";
import {
  bindsName,
  declaredNames,
  indentAt,
  freshName,
  isNullish,
  isTsFile,
  shiftIndent,
  skipParens,
  usesThisOrArguments,
} from "../../core.js";
import { Refusal, type ReasonCode } from "../../reasons.js";
import { convertCounter } from "../counters.js";
import { Conversion } from "./context.js";
import { START_HELPER } from "./helpers.js";
import { renameReferences, usesEval } from "./rename.js";
import { commentsAt, errGuardReturn, hasSideEffectSyntax, isCaughtValue } from "./predicates.js";
import {
  declarationCounts,
  redeclaresOutsideInnerParameters,
  boundNamesUsed,
  fileNames,
  promisedType,
} from "./candidates.js";
import {
  isCallTo,
  isSurelyTruthy,
  isSurelyNonError,
  looksLikeErrorParam,
  isSimpleRef,
  isBareReturn,
  containsNode,
  needsParensInConditional,
  skipParensUp,
  leftmostConjunct,
  readsErrorValue,
  isAssigned,
  isPropagation,
} from "./predicates.js";

/** Analysis + rewrite of one candidate (its state: Conversion). Throws Refusal. */
export class FunctionConverter extends Conversion {
  /** `return await helper(args);` for a tail call of an inner helper (made async) inside a continuation. */
  private helperTailCallText(call: ts.CallExpression, inCont: boolean): string {
    const name = (call.expression as ts.Identifier).text;
    // On the function's own flow the helper would make the first asynchronous call, inside the async body.
    if (!inCont)
      this.assume(
        "SYNC_THROW_BECOMES_REJECTION",
        "ASYNC_START_NESTED",
        `first asynchronous call inside helper ${name}`,
      );
    this.helperTailCalls.set(name, (this.helperTailCalls.get(name) ?? 0) + 1);
    this.asyncCalls++;
    return `return await ${this.text(call)};`;
  }

  /**
   * Finds the inner helpers and checks what makes `return await helper()` the same as the
   * original tail call: each is a plain function declaration of the body, declared once, used only
   * as `helper(…);` / `return helper(…);`, and does not call itself (or another helper that
   * calls it back) outside a continuation.
   */
  private findHelpers(body: ts.Block, decls: Map<string, number>): void {
    const fnDecls = body.statements.filter(
      (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && !!s.name && !!s.body,
    );
    for (let grown = true; grown; ) {
      grown = false;
      for (const d of fnDecls) {
        if (this.helpers.has(d.name!.text)) continue;
        if (containsNode(d.body!, (n) => this.isCbRef(n) || (ts.isIdentifier(n) && this.helpers.has(n.text)))) {
          this.helpers.set(d.name!.text, d);
          grown = true;
        }
      }
    }
    for (const [name, h] of this.helpers) {
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
      if (this.isHelperRef(n)) {
        const call = n.parent;
        const host = ts.isCallExpression(call) && call.expression === n ? skipParensUp(call).parent : undefined;
        if (!host || !(ts.isExpressionStatement(host) || ts.isReturnStatement(host)))
          throw new Refusal("HELPER_NOT_TAIL_CALLED", `${n.text}: ${this.text(n.parent)}`);
      }
      ts.forEachChild(n, uses);
    };
    uses(body);
    // A helper calling a helper outside any nested function runs it synchronously; a cycle of such
    // calls is synchronous recursion. Calls from continuations (fs-vacuum's `next` walking up after
    // each rmdir) are awaited one after the other, as the original chained them.
    const syncCallees = new Map<string, Set<string>>();
    for (const [name, h] of this.helpers) {
      const out = new Set<string>();
      const visit = (n: ts.Node): void => {
        if (ts.isFunctionLike(n)) return;
        if (this.isHelperRef(n)) out.add(n.text);
        ts.forEachChild(n, visit);
      };
      h.body!.statements.forEach(visit);
      syncCallees.set(name, out);
    }
    for (const name of this.helpers.keys()) {
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

  /** Makes a helper an async function whose callback calls become returns and throws. */
  private convertHelper(h: ts.FunctionDeclaration): void {
    // Helpers only run from continuations (see helperTailCallText), so their callback calls are asynchronous.
    // What a helper's continuations bring into scope lives in the helper's own scope.
    const scope = this.usedInFn;
    this.usedInFn = h;
    this.convertList(h.body!.statements, true, true, new Set(), new Set());
    this.usedInFn = scope;
    this.edits.push({ start: h.getStart(this.sf), end: h.getStart(this.sf), text: "async " });
    if (isTsFile(this.ctx.fileName)) {
      // The helper's promise carries the function's result (also types recursive helpers).
      const t = `Promise<${promisedType(this.cand.fn, this.sf)}>`;
      if (h.type) this.edits.push({ start: h.type.getStart(this.sf), end: h.type.end, text: t });
      else {
        const close = this.sf.text.lastIndexOf(")", h.body!.getStart(this.sf));
        this.edits.push({ start: close + 1, end: close + 1, text: `: ${t}` });
      }
    }
  }

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
        awaitable: (c, v) => this.awaitable(c, v),
      },
      body.statements,
    );
    if (counter) {
      for (const st of body.statements.slice(0, counter.firstIndex)) {
        if (counter.dropped.includes(st)) continue; // the deferred empty-list guard, checked and rewritten there
        this.checkPrologueRefs(st);
        if (containsNode(st, ts.isReturnStatement, true))
          throw new Refusal("MAYBE_NEVER_CALLED", "return in the prologue");
      }
      this.successArities.add(counter.arity);
      this.asyncCalls++;
      // The calls start in their promise form: a bad argument rejects instead of throwing.
      if (this.idiomatic) this.assumptions.add("SYNC_THROW_BECOMES_REJECTION");
      this.startDecl = counter.startDecl;
      return { prologue: counter.prologue, rest: counter.rest };
    }
    this.findHelpers(body, declarationCounts(body as unknown as ts.SourceFile));
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
    if (k < stmts.length) {
      for (const [name, h] of this.helpers) {
        if (h.pos < stmts[k].pos)
          throw new Refusal(
            "CALLBACK_IN_NESTED_FUNCTION",
            `helper ${name} declared before the first asynchronous call`,
          );
      }
    }
    for (const st of stmts.slice(0, k)) {
      this.checkPrologueRefs(st);
      // `if (!cb) return syncResult()`: a mode without a callback (nconf, recursive-readdir), which is not
      // evidence that calls with a callback never get called back.
      if (ts.isIfStatement(st) && this.testsNoCallback(st.expression) && containsNode(st, ts.isReturnStatement, true))
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
        ? this.branchedStart(first, new Set())
        : undefined;
    if (startsAsync || branched) this.startVar = freshName("started", fileNames(this.sf));
    const mark = this.edits.length;
    const branchStartedHelpers = new Map<string, number>();
    if (branched) this.convertBranchedStart(first as ts.IfStatement, branched, branchStartedHelpers);
    else {
      if (startsAsync) this.pendingStart = true;
      this.convertList(stmts.slice(k), false, true, new Set(), new Set());
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
    for (const h of this.helpers.values()) {
      if (inlined.has(h)) this.edits.push({ start: h.getFullStart(), end: h.end, text: "" });
      else this.convertHelper(h);
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
    const rest = this.render(first.getStart(this.sf), body.end - 1, mark);
    const prologue = this.sf.text.slice(body.getStart(this.sf) + 1, first.getStart(this.sf));
    return { prologue, rest };
  }

  /**
   * The branched first call: `if (c) { A(…, k) } else { B(…, cb) }` where every branch (an `else if`
   * chain, nested ifs, or a call of a parameterless inner helper whose body is itself such a start)
   * is nothing but one first call (a continuation, a tail pass), optionally followed by `return;`.
   * Nothing runs before the calls but the conditions, which the conversion evaluates once, in the
   * same order, before starting the chosen call synchronously. Undefined when the shape differs.
   */
  private branchedStart(s: ts.Statement, inHelpers: ReadonlySet<string>): BranchedStart | undefined {
    if (!ts.isIfStatement(s) || !s.elseStatement || this.containsCb(s.expression)) return undefined;
    const arm = (st: ts.Statement): BranchedStart | undefined => {
      let list: readonly ts.Statement[] = ts.isBlock(st) ? st.statements : [st];
      if (list.length === 2 && isBareReturn(list[1])) list = list.slice(0, 1);
      else if (list.length !== 1) return undefined;
      const only = list[0];
      if (ts.isBlock(only)) return arm(only);
      if (ts.isIfStatement(only)) return this.branchedStart(only, inHelpers);
      const leafStmts = ts.isBlock(st) ? st.statements : [st];
      if (this.isContinuationStatement(only) || this.isTailPass(only))
        return { kind: "leaf", stmts: leafStmts, inHelper: inHelpers.size > 0 };
      // `helper();` of a parameterless helper: its own first call is started in its place.
      if (ts.isExpressionStatement(only) && this.isHelperTailCall(only.expression)) {
        const call = skipParens(only.expression) as ts.CallExpression;
        const name = (call.expression as ts.Identifier).text;
        const h = this.helpers.get(name)!;
        if (call.arguments.length || h.parameters.length || inHelpers.has(name) || leafStmts.length !== 1)
          return undefined;
        const inner = new Set(inHelpers).add(name);
        const body = h.body!.statements;
        const inside = body.length === 1 && ts.isIfStatement(body[0]) ? this.branchedStart(body[0], inner) : undefined;
        if (inside) return { kind: "helper", name, inner: inside };
        const bodyList = body.length === 2 && isBareReturn(body[1]) ? body.slice(0, 1) : body;
        if (bodyList.length === 1 && (this.isContinuationStatement(bodyList[0]) || this.isTailPass(bodyList[0])))
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
   * of each branch; the async body continues on the branch taken, without evaluating `c` again.
   */
  private convertBranchedStart(first: ts.IfStatement, tree: BranchedStart, startedHelpers: Map<string, number>): void {
    const branchVar = freshName("branch", new Set([...fileNames(this.sf), this.startVar!]));
    const tailCalls = new Map(this.helperTailCalls);
    const leafTexts: { text: string; indent: string }[] = [];
    const convertLeaves = (t: BranchedStart): void => {
      if (t.kind === "if") {
        convertLeaves(t.then);
        convertLeaves(t.else);
      } else if (t.kind === "helper") {
        startedHelpers.set(t.name, (startedHelpers.get(t.name) ?? 0) + 1);
        convertLeaves(t.inner);
      } else {
        const mark = this.edits.length;
        this.pendingStart = true;
        this.branchLeaf = t.stmts[0];
        const count = this.startedExprs.length;
        // Inside a helper the leaf's value is not the function's return value (helpers are called as statements).
        this.convertList(t.stmts, t.inHelper, true, new Set(), new Set());
        this.branchLeaf = undefined;
        if (this.pendingStart || this.startedExprs.length !== count + 1)
          throw new Refusal("ASYNC_START_NESTED", "a branch without a first asynchronous call");
        const start = t.stmts[0].getStart(this.sf);
        leafTexts.push({
          text: this.render(start, t.stmts[t.stmts.length - 1].end, mark),
          indent: indentAt(this.sf.text, start),
        });
      }
    };
    convertLeaves(tree);
    // The helpers' tail calls made inline here are accounted for by the caller (see convertBody).
    this.helperTailCalls.clear();
    for (const [k, v] of tailCalls) this.helperTailCalls.set(k, v);
    const u = this.unit;
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
    const sIndent = indentAt(this.sf.text, first.getStart(this.sf));
    const body = asyncText(tree, sIndent).slice(sIndent.length);
    this.edits.push({ start: first.getStart(this.sf), end: first.end, text: body });
    let n = 0;
    const choice = (t: BranchedStart, nested: boolean): string => {
      if (t.kind === "helper") return choice(t.inner, nested);
      if (t.kind === "leaf") return `${n++}`;
      const c = this.text(t.cond);
      const text = `${needsParensInConditional(t.cond) ? `(${c})` : c} ? ${choice(t.then, true)} : ${choice(t.else, false)}`;
      return nested ? `(${text})` : text;
    };
    const pick = this.startedExprs
      .map((e, i) => (i === this.startedExprs.length - 1 ? e : `${branchVar} === ${i} ? ${e} : `))
      .join("");
    this.startDecl = `const ${branchVar} = ${choice(tree, false)};\n${sIndent}const ${this.startVar} = ${pick};`;
  }

  /** `!cb`, `cb == null`, `cb === undefined`, `typeof cb !== 'function'`: a test for a missing callback. */
  private testsNoCallback(e: ts.Expression): boolean {
    const x = skipParens(e);
    if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken)
      return this.isCbRef(skipParens(x.operand));
    if (!ts.isBinaryExpression(x)) return false;
    const k = x.operatorToken.kind;
    const negative = k === ts.SyntaxKind.ExclamationEqualsEqualsToken || k === ts.SyntaxKind.ExclamationEqualsToken;
    const positive = k === ts.SyntaxKind.EqualsEqualsEqualsToken || k === ts.SyntaxKind.EqualsEqualsToken;
    if (!negative && !positive) return false;
    const [l, r] = [skipParens(x.left), skipParens(x.right)];
    if (positive && ((this.isCbRef(l) && isNullish(r)) || (this.isCbRef(r) && isNullish(l)))) return true;
    const isTypeofCb = (n: ts.Expression) => ts.isTypeOfExpression(n) && this.isCbRef(skipParens(n.expression));
    const isFunctionString = (n: ts.Expression) => ts.isStringLiteralLike(n) && n.text === "function";
    return negative && ((isTypeofCb(l) && isFunctionString(r)) || (isTypeofCb(r) && isFunctionString(l)));
  }

  /**
   * `try { data = JSON.parse(text); } catch (e) { return cb(e); }` once converted is `try { … } catch (e) {
   * throw e; }`, which an async function does by itself: the try goes, its statements stay (not when they
   * declare block-scoped names, which would then meet the function's). `from`: the catch's first edit.
   */
  private dropRethrowingTry(s: ts.TryStatement, from: number): void {
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
    const mine = this.edits.slice(from);
    const rethrows =
      mine.length === 1 &&
      mine[0].start === only.getStart(this.sf) &&
      mine[0].end >= only.end &&
      mine[0].text.trim() === `throw ${v.name.text};`;
    if (!rethrows) return;
    this.edits.splice(from);
    const first = s.tryBlock.statements[0];
    const last = s.tryBlock.statements[s.tryBlock.statements.length - 1];
    const inner = this.sf.text.slice(first.getStart(this.sf), last.end);
    const indent = indentAt(this.sf.text, s.getStart(this.sf));
    this.edits.push({
      start: s.getStart(this.sf),
      end: s.end,
      text: shiftIndent(inner, indentAt(this.sf.text, first.getStart(this.sf)), indent),
    });
  }

  /** A statement of the function's own flow (not inside a continuation). */
  private isTopLevel(s: ts.Statement): boolean {
    let p: ts.Node | undefined = s.parent;
    while (p && p !== this.cand.fn) {
      if (ts.isFunctionLike(p)) return false;
      p = p.parent;
    }
    return true;
  }

  private isTailPassCall(e: ts.Expression): boolean {
    const x = skipParens(e);
    if (!ts.isCallExpression(x)) return false;
    const last = x.arguments[x.arguments.length - 1];
    return (
      !!last &&
      this.isCbRef(last) &&
      !x.arguments.slice(0, -1).some((a) => this.containsCb(a)) &&
      !this.containsCb(x.expression)
    );
  }

  /** `return await g'(args);` for `g(args, cb)`; records the callee's success arity. */
  private tailPassText(call: ts.CallExpression, returnsItsValue: boolean): string {
    const plan = this.awaitable(call, 1);
    // `return fsExists(p, cb)`: the callback would get `true`/`false` as its error.
    if (plan?.valueOnly) throw new Refusal("NOT_ERR_FIRST", `${plan.label} calls back with a value, not an error`);
    if (!plan || plan.arity === undefined || plan.arrayValues)
      throw new Refusal(
        "CALLBACK_ESCAPES",
        `handed to ${this.text(call.expression)}, a function not known to call it back once with a known arity`,
      );
    // `return g(x, cb)` hands g's result to our caller; for an unknown g that result may matter
    // (a sync twin without callback, a stream, a request object).
    if (returnsItsValue && plan.assumed && plan.calleeReturnsValue)
      throw new Refusal("RETURNS_VALUE", `${plan.label} returns a value on some path`);
    if (returnsItsValue && plan.assumed) this.assume("RETURN_VALUE_UNUSED", "RETURNS_VALUE", plan.label);
    if (plan.assumed) this.assumptions.add("ERR_FIRST_CALLEE");
    if (plan.mayCallBackSync) this.assume("CALLBACK_NOW_ASYNC", "ZALGO", `${plan.label} may call back synchronously`);
    if (typeof plan.arity === "number") this.successArities.add(plan.arity);
    else this.arityDeps.add(plan.arity);
    let awaited = plan.expr;
    if (this.pendingStart) {
      const args = call.arguments.slice(0, -1).map((a) => this.text(a));
      awaited = this.takeStart(
        `${START_HELPER}((done) => ${this.text(call.expression)}(${[...args, "done"].join(", ")}))`,
      );
    }
    this.asyncCalls++;
    return `return await ${awaited};`;
  }

  /** In the prologue the callback may be tested, asserted or normalised (`cb = options`), not called or handed on. */
  private checkPrologueRefs(st: ts.Statement): void {
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
            this.isCbRef(skipParens(q.left))
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
      if (this.isCbRef(n) && !ok(n)) throw new Refusal("CALLBACK_ESCAPES", this.text(n.parent));
      ts.forEachChild(n, visit);
    };
    visit(st);
  }

  /**
   * Converts a statement list in the callback's control flow. Returns whether
   * it terminates (every path ends in a callback call, a throw or an await of
   * a terminating continuation).
   */
  private convertList(
    stmts: readonly ts.Statement[],
    inCont: boolean,
    mustTerminate: boolean,
    known: Set<string>,
    truthy: Set<string>,
    flowEnd = true,
  ): boolean {
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      // An expression statement may end a path only where nothing runs after it: at the end of the
      // flow (function/continuation), or followed by a bare `return`.
      const isLast = i === stmts.length - 1 && flowEnd;
      const bareReturnNext = i === stmts.length - 2 && isBareReturn(stmts[i + 1]);
      const lastHere = i === stmts.length - 1;
      if (!this.containsCb(s)) {
        if (containsNode(s, ts.isReturnStatement, true))
          throw new Refusal("MAYBE_NEVER_CALLED", "return without calling the callback");
        if (ts.isThrowStatement(s)) {
          if (!inCont) this.assume("SYNC_THROW_BECOMES_REJECTION", "SYNC_THROW");
          return true;
        }
        if (!inCont && containsNode(s, ts.isThrowStatement, true))
          this.assume("SYNC_THROW_BECOMES_REJECTION", "SYNC_THROW");
        continue;
      }
      const expr = ts.isExpressionStatement(s) ? s.expression : ts.isReturnStatement(s) ? s.expression : undefined;
      // (a) a callback call statement
      if (expr && isCallTo(expr, this.cand.cbName)) {
        if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext) throw new Refusal("CALLBACK_NOT_LAST");
        if (inCont) this.asyncCalls++;
        else this.syncCalls++;
        const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
        const repl = this.cbCallText(expr, known, truthy);
        const braces =
          !ts.isBlock(s.parent) &&
          !ts.isSourceFile(s.parent) &&
          !repl.startsWith("{") &&
          repl.includes(";") &&
          repl.indexOf(";") !== repl.length - 1;
        this.edits.push({ start: s.getStart(this.sf), end, text: braces ? `{ ${repl} }` : repl });
        return true;
      }
      // (b) if statement
      if (ts.isIfStatement(s)) {
        if (this.containsCb(s.expression)) throw new Refusal("CALLBACK_IN_EXPRESSION");
        const lead = leftmostConjunct(s.expression);
        const thenTruthy = new Set(truthy);
        if (lead && ts.isIdentifier(lead)) thenTruthy.add(lead.text);
        const t = this.convertBranch(s.thenStatement, inCont, lastHere && mustTerminate, known, thenTruthy, isLast);
        const e = s.elseStatement
          ? this.convertBranch(s.elseStatement, inCont, lastHere && mustTerminate, known, truthy, isLast)
          : false;
        if (t && e) return true;
        if (lastHere && mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "a branch falls through to the end");
        continue;
      }
      // try { no callback here } catch (e) { … ends by calling it … }: the catch is a branch.
      if (
        ts.isTryStatement(s) &&
        s.catchClause &&
        !this.containsCb(s.tryBlock) &&
        !(s.finallyBlock && this.containsCb(s.finallyBlock))
      ) {
        if (containsNode(s.tryBlock, ts.isReturnStatement, true))
          throw new Refusal("MAYBE_NEVER_CALLED", "return in try");
        if (s.finallyBlock) throw new Refusal("UNSUPPORTED_STATEMENT", "finally");
        // A catch that ends some paths and falls through on others (`catch (e) { d = fallback(d); if (!d)
        // return cb(e) }`) is a branch like an `if` without else: what follows the try runs after it in both.
        const before = this.edits.length;
        const c = this.convertList(s.catchClause.block.statements, inCont, false, known, truthy, false);
        if (!c && lastHere && mustTerminate)
          throw new Refusal("MAYBE_NEVER_CALLED", "a catch block falls through to the end");
        if (c && lastHere && mustTerminate)
          throw new Refusal("MAYBE_NEVER_CALLED", "try block falls through to the end");
        this.dropRethrowingTry(s, before);
        continue;
      }
      if (ts.isBlock(s)) {
        const t = this.convertList(s.statements, inCont, lastHere && mustTerminate, known, truthy, isLast);
        if (t) return true;
        if (lastHere && mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "a block falls through to the end");
        continue;
      }
      // (c0) a tail call of an inner helper that calls the callback: `helper(args)`, `return helper(args)`
      if (expr && this.isHelperTailCall(expr)) {
        const call = skipParens(expr) as ts.CallExpression;
        if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
          throw new Refusal(
            "HELPER_NOT_TAIL_CALLED",
            `code after the call of ${(call.expression as ts.Identifier).text}`,
          );
        const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
        this.edits.push({ start: s.getStart(this.sf), end, text: this.helperTailCallText(call, inCont) });
        return true;
      }
      // (c) the callback handed on as the last argument of a known err-first call: `g(args, cb)`
      if (expr && this.isTailPassCall(expr)) {
        if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
          throw new Refusal("CALLBACK_NOT_LAST", "code after handing the callback on");
        const end = ts.isExpressionStatement(s) && bareReturnNext ? stmts[i + 1].end : s.end;
        this.edits.push({
          start: s.getStart(this.sf),
          end,
          text: this.tailPassText(skipParens(expr) as ts.CallExpression, ts.isReturnStatement(s) && !inCont),
        });
        return true;
      }
      // (c') `return cond ? g(args, cb) : cb(err)`: each branch is a tail pass or a callback call.
      if (expr && ts.isReturnStatement(s) && ts.isConditionalExpression(skipParens(expr))) {
        const c = skipParens(expr) as ts.ConditionalExpression;
        const branch = (b: ts.Expression): string | undefined => {
          const x = skipParens(b);
          if (this.isTailPassCall(x)) return this.tailPassText(x as ts.CallExpression, !inCont);
          if (this.isHelperTailCall(x)) return this.helperTailCallText(x, inCont);
          if (isCallTo(x, this.cand.cbName)) {
            if (inCont) this.asyncCalls++;
            else this.syncCalls++;
            return this.cbCallText(x, known, truthy);
          }
          return undefined;
        };
        if (!this.containsCb(c.condition)) {
          const t = branch(c.whenTrue);
          const f = t === undefined ? undefined : branch(c.whenFalse);
          if (t !== undefined && f !== undefined) {
            const braces = !ts.isBlock(s.parent) && !ts.isSourceFile(s.parent);
            const text = `if (${this.text(c.condition)}) { ${t} } ${f}`;
            this.edits.push({ start: s.getStart(this.sf), end: s.end, text: braces ? `{ ${text} }` : text });
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
          this.containsCb(last) &&
          !call.arguments.slice(0, -1).some((a) => this.containsCb(a)) &&
          !this.containsCb(call.expression)
        ) {
          if (ts.isExpressionStatement(s) && !isLast && !bareReturnNext)
            throw new Refusal("CALLBACK_NOT_LAST", "code after the asynchronous call");
          const end = bareReturnNext ? stmts[i + 1].end : s.end;
          const r = this.convertContinuation(s, call, last, end, known);
          return r;
        }
      }
      throw new Refusal(this.whyUnsupported(s));
    }
    if (mustTerminate) throw new Refusal("MAYBE_NEVER_CALLED", "falls off the end");
    return false;
  }

  private convertBranch(
    s: ts.Statement,
    inCont: boolean,
    mustTerminate: boolean,
    known: Set<string>,
    truthy: Set<string>,
    flowEnd: boolean,
  ): boolean {
    if (ts.isBlock(s)) return this.convertList(s.statements, inCont, mustTerminate, known, truthy, flowEnd);
    return this.convertList([s], inCont, mustTerminate, known, truthy, flowEnd);
  }

  private whyUnsupported(s: ts.Statement): ReasonCode {
    let reason: ReasonCode = "CALLBACK_IN_EXPRESSION";
    const visit = (n: ts.Node, inFn: boolean, inLoop: boolean): void => {
      if (this.isCbRef(n)) {
        if (inFn) reason = "CALLBACK_IN_NESTED_FUNCTION";
        else if (inLoop && reason === "CALLBACK_IN_EXPRESSION") reason = "UNSUPPORTED_STATEMENT";
        return;
      }
      const fn = ts.isFunctionLike(n);
      const loop =
        ts.isIterationStatement(n, false) ||
        ts.isSwitchStatement(n) ||
        ts.isTryStatement(n) ||
        ts.isLabeledStatement(n);
      ts.forEachChild(n, (c) => visit(c, inFn || fn, inLoop || loop));
    };
    visit(s, false, false);
    return reason;
  }

  /** The statement(s) replacing a callback call. `known` holds error names known to be null here. */
  private cbCallText(call: ts.CallExpression, known: Set<string>, truthy: Set<string>): string {
    const args = call.arguments;
    if (args.some(ts.isSpreadElement)) throw new Refusal("CALLBACK_IN_EXPRESSION", "spread");
    if (args.length === 0) {
      this.successArities.add(0);
      return "return;";
    }
    const a0 = args[0];
    if (isSurelyNonError(a0)) throw new Refusal("NOT_ERR_FIRST", this.text(a0));
    const nullish = isNullish(a0) || (ts.isIdentifier(a0) && known.has(a0.text));
    if (nullish) {
      this.successArities.add(Math.min(args.length, 2));
      if (args.length === 1) return "return;";
      if (args.length === 2) return `return ${this.text(args[1])};`;
      throw new Refusal("MULTIPLE_RESULTS");
    }
    // `catch (e) { return cb(e) }`: thrown values are errors in practice (`if (e) throw e; return;` otherwise).
    if (this.idiomatic && ts.isIdentifier(a0) && isCaughtValue(a0)) {
      if (args.length > 1) throw new Refusal("MULTIPLE_RESULTS", "error with values");
      this.assumptions.add("CAUGHT_VALUE_IS_ERROR");
      return `throw ${a0.text};`;
    }
    if (isSurelyTruthy(a0) || (ts.isIdentifier(a0) && truthy.has(a0.text))) {
      if (args.length > 1) throw new Refusal("MULTIPLE_RESULTS", "error with values");
      return `throw ${this.text(a0)};`;
    }
    if (args.length > 2) throw new Refusal("MULTIPLE_RESULTS");
    // `cb(err, v)` with an error that may be set: the converted function reports the error alone, so `v`
    // must be what the original passed with an error too: the innermost continuation's own result,
    // undefined on its error path (a trailing undefined after an error is the documented difference).
    if (args.length === 2 && !this.valueGoesWithError(a0, args[1])) {
      // Idiomatic: err-first callers read no value when the error is set (du's `callback(err, sizes && …)`).
      if (!this.idiomatic || hasSideEffectSyntax(args[1]))
        throw new Refusal("MULTIPLE_RESULTS", "a value passed with an error");
      this.assumptions.add("VALUE_WITH_ERROR_DROPPED");
    }
    if (!isSimpleRef(a0)) {
      // Evaluated once, as the original did.
      if (containsNode(a0, (n) => ts.isFunctionLike(n) || ts.isYieldExpression(n)))
        throw new Refusal("CALLBACK_IN_EXPRESSION");
      const tmp = freshName("error", boundNamesUsed(this.cand.fn));
      this.successArities.add(args.length);
      return `{ const ${tmp} = ${this.text(a0)}; if (${tmp}) throw ${tmp}; return${args.length === 2 ? " " + this.text(args[1]) : ""}; }`;
    }
    const e = this.text(a0);
    this.successArities.add(args.length);
    return `if (${e}) throw ${e}; return${args.length === 2 ? " " + this.text(args[1]) : ""};`;
  }

  /** True when `cb(error, value)` passes the innermost continuation's own error (only) and its unchanged result. */
  private valueGoesWithError(error: ts.Expression, value: ts.Expression): boolean {
    const top = this.continuations[this.continuations.length - 1];
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

  /**
   * `outerKnown`: error names of enclosing continuations known to be null here. Their propagate/forward
   * forms declare no variable, so a nested `cb(err)` naming one must be rewritten as a success
   * (a reference to one elsewhere makes that continuation's form general, which declares it).
   */
  private convertContinuation(
    s: ts.Statement,
    call: ts.CallExpression,
    cont: ts.FunctionExpression | ts.ArrowFunction,
    end: number,
    outerKnown: ReadonlySet<string>,
  ): boolean {
    // Shape of the continuation.
    if (ts.isFunctionExpression(cont)) {
      const u = usesThisOrArguments(cont.body);
      if (u.usesThis || u.usesArguments || cont.name) throw new Refusal("CONTINUATION_SHAPE", "this/arguments/named");
    }
    if (cont.modifiers?.length || (cont as ts.FunctionExpression).asteriskToken)
      throw new Refusal("CONTINUATION_SHAPE", "async/generator");
    const params = cont.parameters;
    if (params.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
      throw new Refusal("CONTINUATION_SHAPE", "params");
    // No parameters: the continuation ignores the outcome (`fs.unlink(p, function () { cb(); })`).
    let errName = params.length ? (params[0].name as ts.Identifier).text : "\0";
    let values = params.slice(1).map((p) => (p.name as ts.Identifier).text);
    const plan0 = this.awaitable(call, values.length);
    if (!plan0) throw new Refusal("UNKNOWN_CALLEE", this.text(call.expression));
    if (plan0.valueOnly) {
      // No error parameter: every parameter is a value, and the awaited promise never rejects.
      errName = "\0";
      values = params.map((p) => (p.name as ts.Identifier).text);
    }
    if (plan0.mayCallBackSync) this.assume("CALLBACK_NOW_ASYNC", "ZALGO", `${plan0.label} may call back synchronously`);
    if (plan0.assumed && ts.isReturnStatement(s) && this.isTopLevel(s)) {
      if (plan0.calleeReturnsValue) throw new Refusal("RETURNS_VALUE", `${plan0.label} returns a value on some path`);
      this.assume("RETURN_VALUE_UNUSED", "RETURNS_VALUE", plan0.label);
    }
    if (plan0.assumed) {
      // Evidence beats the assumption: a first parameter that does not name an error
      // (`function (writable) {…}`) says the callee is not err-first.
      if (params.length && !looksLikeErrorParam(params[0].name as ts.Identifier, cont.body))
        throw new Refusal("CONTINUATION_NOT_ERR_FIRST", (params[0].name as ts.Identifier).text);
      this.assumptions.add("ERR_FIRST_CALLEE");
    }
    let plan = plan0;
    if (this.pendingStart) {
      // The first call keeps its callback form and starts synchronously.
      const args = call.arguments.slice(0, -1).map((a) => this.text(a));
      const doneArg = plan0.arrayValues ? "(error, ...values) => done(error, values)" : "done";
      plan = {
        ...plan0,
        expr: this.takeStart(
          `${START_HELPER}((done) => ${this.text(call.expression)}(${[...args, doneArg].join(", ")}))`,
        ),
      };
    }
    if (values.length > plan.maxValues) throw new Refusal("MULTIPLE_RESULTS", plan.label);
    if (!ts.isBlock(cont.body)) throw new Refusal("CONTINUATION_SHAPE", "expression body");
    const stmts = cont.body.statements;

    // Which form: propagate (`if (err) return cb(err)` first), forward (err only passed to cb), or general.
    let rest: readonly ts.Statement[] = stmts;
    let form: "propagate" | "forward" | "general" | "ignored" | "guarded";
    const first = stmts[0];
    // A nested function whose parameter reuses the error's name shadows it.
    const shadows = (n: ts.Node): boolean =>
      ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === errName);
    // `cb(err)` / `cb(err, value)` (the continuation's own result) as the first statement.
    const forwardsAtOnce = (st: ts.Statement | undefined): boolean => {
      const e =
        st && (ts.isExpressionStatement(st) ? st.expression : ts.isReturnStatement(st) ? st.expression : undefined);
      const c = e && skipParens(e);
      if (!c || !ts.isCallExpression(c) || !isCallTo(c, this.cand.cbName)) return false;
      const [a0, a1, ...more] = c.arguments;
      if (more.length || !a0 || !ts.isIdentifier(a0) || a0.text !== errName) return false;
      if (a1 === undefined || (ts.isIdentifier(a1) && a1.text === values[0])) return true;
      // Idiomatic: `cb(err, sizes && sum(sizes))` reads as the success value alone (VALUE_WITH_ERROR_DROPPED).
      return this.idiomatic && !hasSideEffectSyntax(a1) && !containsNode(a1, (n) => this.isCbRef(n));
    };
    const errRefsOutsideCbFirstArg = (nodes: readonly ts.Node[]): number => {
      let count = 0;
      const visit = (n: ts.Node): void => {
        if (shadows(n)) return;
        if (ts.isIdentifier(n) && n.text === errName) {
          const p = n.parent;
          const okUse = ts.isCallExpression(p) && isCallTo(p, this.cand.cbName) && p.arguments[0] === n;
          if (!okUse) count++;
        }
        ts.forEachChild(n, visit);
      };
      nodes.forEach(visit);
      return count;
    };
    const totalErrRefs = (nodes: readonly ts.Node[]): number => {
      let c = 0;
      const visit = (n: ts.Node): void => {
        if (shadows(n)) return;
        if (ts.isIdentifier(n) && n.text === errName) c++;
        ts.forEachChild(n, visit);
      };
      nodes.forEach(visit);
      return c;
    };
    if (plan.valueOnly) {
      form = "forward";
    } else if (
      first &&
      isPropagation(first, errName, this.cand.cbName) &&
      errRefsOutsideCbFirstArg(stmts.slice(1)) === 0
    ) {
      form = "propagate";
      rest = stmts.slice(1);
      this.asyncCalls++;
    } else if (totalErrRefs(stmts) === 0) {
      // The original deliberately ignores the error: so does an empty catch.
      form = "ignored";
    } else if (errRefsOutsideCbFirstArg(stmts) === 0 && forwardsAtOnce(first)) {
      // Only when the error goes to the callback at once, with nothing else: a path that ignores it
      // (`if (c) return cb(err, v); cb(null, 'fallback');`) or runs code first keeps the general form.
      form = "forward";
      const a1 = ((skipParens((first as ts.ExpressionStatement).expression) as ts.CallExpression).arguments ?? [])[1];
      if (a1 && !(ts.isIdentifier(a1) && a1.text === values[0])) this.assumptions.add("VALUE_WITH_ERROR_DROPPED");
    } else if (stmts.length > 1 && errGuardReturn(first, errName) && errRefsOutsideCbFirstArg(stmts.slice(1)) === 0) {
      // The error is read only by a first `if (err) return …;`: that guard becomes the catch block.
      form = "guarded";
    } else {
      form = "general";
    }
    if (plan.arrayValues === undefined && values.length > 1) throw new Refusal("MULTIPLE_RESULTS");
    // On success the converted form's error is null (or gone); the original's is what the callee passed,
    // undefined for a callee that calls back `cb()`. That matters only where the error's value is read
    // beyond a truthiness test (`cb(err)` on a success path, `log(err)`).
    if (
      plan.successError !== undefined &&
      form !== "ignored" &&
      readsErrorValue(form === "propagate" ? rest : stmts, errName)
    ) {
      if (plan.successError === "unknown")
        this.assume(
          "NULL_UNDEFINED_SUCCESS",
          "MIXED_SUCCESS_ARITY",
          `${plan.label} may call back cb() (error undefined) on success, and the error is handed on or read`,
        );
      else this.nullErrorDeps.add(plan.successError);
    }

    // Name hygiene: names we bring into the enclosing scope must not be used elsewhere in the function.
    const outside = boundNamesUsed(this.usedInFn, cont);
    const introduced = new Set<string>(values);
    if (form === "general") introduced.add(errName);
    const hoisted = declaredNames(rest);
    const argNames = new Set<string>();
    for (const a of call.arguments.slice(0, -1)) for (const n of boundNamesUsed(a)) argNames.add(n);
    // A branch's first call is flattened into a block of its own (convertBranchedStart): what it
    // declares with let/const cannot meet the function's other names.
    const ownBlock = s === this.branchLeaf;
    // A colliding parameter is renamed in the continuation's statements (`head` → `head1`), when nothing
    // inside them declares it again (then every reference there means the parameter).
    const renames = new Map<string, string>();
    // Names a fresh one must avoid, without copying the file's names (a copy per continuation was quadratic).
    const chosen = new Set<string>();
    const fileWide = fileNames(this.sf);
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
    const renamed = (n: string): string => renames.get(n) ?? n;

    // The enclosing continuations' known-null errors stay known unless a parameter here shadows them.
    const known = new Set(
      [...outerKnown].filter((n) => !params.some((p) => ts.isIdentifier(p.name) && p.name.text === n)),
    );
    if (form === "propagate" || form === "forward") known.add(errName);
    const startIdx = this.edits.length;
    let terminates: boolean;
    let guarded: { body: string; indent: string; binds: boolean } | undefined;
    if (rest.length === 0) {
      throw new Refusal("MAYBE_NEVER_CALLED", "empty continuation");
    } else {
      const value =
        values[0] !== undefined && !isAssigned(cont.body, values[0]) && !bindsName(cont.body, values[0])
          ? values[0]
          : undefined;
      this.continuations.push({ err: errName, value });
      try {
        // `if (err) return …;` first: past it the error is falsy, as known as after a propagation.
        const guard = form === "general" || form === "guarded" ? errGuardReturn(rest[0], errName) : undefined;
        if (guard && rest.length > 1) {
          this.convertList([guard], true, false, known, new Set(), false);
          if (form === "guarded") {
            const then = guard.thenStatement;
            const inner = ts.isBlock(then) ? then.statements : [then];
            const text = this.render(then.getStart(this.sf), then.end, startIdx);
            const body = ts.isBlock(then) ? text.slice(1, -1).trim() : text;
            const innerIndent = indentAt(this.sf.text, inner[0].getStart(this.sf));
            guarded = {
              // The catch binds the error under its own name: only the values keep their new names.
              body: renameReferences(
                body,
                new Map([...renames].filter(([from]) => from !== errName)),
                this.ctx.fileName,
              ),
              indent: innerIndent,
              binds: totalErrRefs([then]) > 0,
            };
            rest = rest.slice(1);
          }
          terminates = this.convertList(
            form === "guarded" ? rest : rest.slice(1),
            true,
            true,
            new Set([...known, errName]),
            new Set(),
          );
        } else terminates = this.convertList(rest, true, true, known, new Set());
      } finally {
        this.continuations.pop();
      }
    }
    const restText = renameReferences(
      this.render(rest[0].getStart(this.sf), rest[rest.length - 1].end, startIdx),
      renames,
      this.ctx.fileName,
    );
    const sIndent = indentAt(this.sf.text, s.getStart(this.sf));
    const restIndent = indentAt(this.sf.text, rest[0].getStart(this.sf));
    const decl = values.some((v) => isAssigned(cont.body, v)) ? "let" : "const";
    const newValues = values.map(renamed);
    const target = values.length === 0 ? "" : plan.arrayValues ? `[${newValues.join(", ")}]` : newValues[0];
    let out: string;
    if (form === "propagate" || form === "forward") {
      const head = target ? `${decl} ${target} = await ${plan.expr};` : `await ${plan.expr};`;
      out = `${head}\n${sIndent}${shiftIndent(restText, restIndent, sIndent)}`;
    } else if (form === "guarded" && guarded) {
      const u = this.unit;
      const lets = values.length ? `let ${newValues.join(", ")};\n${sIndent}` : "";
      const assign = target ? `${target} = await ${plan.expr};` : `await ${plan.expr};`;
      // TypeScript: as in the general form, the error keeps the loose type its callback parameter had.
      const errType = isTsFile(this.ctx.fileName) ? ": any" : "";
      const catchHead = guarded.binds ? `catch (${errName}${errType})` : "catch";
      out =
        `${lets}try {\n${sIndent}${u}${assign}\n${sIndent}} ${catchHead} {\n${sIndent}${u}${shiftIndent(guarded.body, guarded.indent, sIndent + u)}\n${sIndent}}\n` +
        `${sIndent}${shiftIndent(restText, restIndent, sIndent)}`;
    } else if (form === "ignored") {
      const u = this.unit;
      const lets = values.length ? `let ${newValues.join(", ")};\n${sIndent}` : "";
      const assign = target ? `${target} = await ${plan.expr};` : `await ${plan.expr};`;
      out =
        `${lets}try {\n${sIndent}${u}${assign}\n${sIndent}} catch {\n${sIndent}${u}// the original ignored this error\n${sIndent}}\n` +
        `${sIndent}${shiftIndent(restText, restIndent, sIndent)}`;
    } else {
      const caught = freshName("error", fileNames(this.sf));
      // TypeScript: the caught value is `unknown`; the error keeps the loose type the callback API's
      // error parameter had in practice (its `.code` is read).
      const err = renamed(errName);
      const errDecl = isTsFile(this.ctx.fileName) ? `${err}: any = null` : `${err} = null`;
      const lets = [errDecl, ...newValues].join(", ");
      const assign = target ? `${target} = await ${plan.expr};` : `await ${plan.expr};`;
      const u = this.unit;
      out =
        `let ${lets};\n${sIndent}try {\n${sIndent}${u}${assign}\n${sIndent}} catch (${caught}) {\n${sIndent}${u}${err} = ${caught};\n${sIndent}}\n` +
        `${sIndent}${shiftIndent(restText, restIndent, sIndent)}`;
    }
    // Comments before the continuation's first statements and after its last one are kept, around the
    // flattened code (the statements' own text starts at their first token).
    const before = [
      ...new Set([
        ...commentsAt(this.sf.text, stmts[0].getFullStart()),
        ...(rest[0] !== stmts[0] ? commentsAt(this.sf.text, rest[0].getFullStart()) : []),
      ]),
    ];
    const after = commentsAt(this.sf.text, rest[rest.length - 1].end);
    if (before.length) out = `${before.join(`\n${sIndent}`)}\n${sIndent}${out}`;
    if (after.length) out = `${out}\n${sIndent}${after.join(`\n${sIndent}`)}`;
    // A single-statement position (`else fs.stat(…)`) needs a block for the several statements.
    const single = !ts.isBlock(s.parent) && !ts.isSourceFile(s.parent) && !ts.isCaseOrDefaultClause(s.parent);
    if (single) out = `{\n${sIndent}${this.unit}${shiftIndent(out, "", this.unit)}\n${sIndent}}`;
    this.edits.push({ start: s.getStart(this.sf), end, text: out });
    return terminates;
  }
}

/** The first call(s) of a branched start (see FunctionConverter.branchedStart). */
type BranchedStart =
  | { kind: "leaf"; stmts: readonly ts.Statement[]; inHelper: boolean }
  | { kind: "helper"; name: string; inner: BranchedStart }
  | { kind: "if"; cond: ts.Expression; then: BranchedStart; else: BranchedStart };

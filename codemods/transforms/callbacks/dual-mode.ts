// Dual-mode functions (touch 1.0): a missing callback runs the same steps synchronously,
//
//   function openThenF (f, options, cb) {
//     return cb ? fs.open(f, options.oflags, openThenFcb(options, cb))
//               : openThenFcb(options)(null, fs.openSync(f, options.oflags))
//   }
//   function openThenFcb (options, cb) { return function (er, fd) { if (er) return cb(er); return ftouch(fd, options, cb) } }
//
// The file's group of such functions and of the continuation factories they call is split into two
// specialisations of each function: `async function openThenF (f, options)` for the callback mode (each factory
// inlined after the `await` of its call's promise form) and `function openThenFSync (f, options)` for the other
// (the factory inlined after the synchronous call, its error branch dropped: it ran with `null`). A function the
// rest of the file (or its exports) reaches keeps its name as the dispatcher between the two:
// `return cb ? callbackify(touchAsync)(f, options, cb) : touchSync(f, options)`.
//
// All or nothing: one shape the split does not know and the group is left to the rest of the pass, as it was.
import { ts } from "ts-morph";
import {
  applyEdits,
  type Edit,
  type FileContext,
  type PassResult,
  assignmentsTo,
  boundNamesUsed,
  indentAt,
  indentUnit,
  ownDeclarations,
  readsThisOrArguments,
  referencesTo,
  shiftIndent,
  skipParens,
} from "../../core.js";
import { type AssumptionName, isIdiomatic, sortedAssumptions } from "../../assumptions.js";
import { type ModuleBindings, Imports, moduleBindings, nodeAwaitable } from "../node-table.js";
import { optionsShuffle } from "./callback-checks.js";

/** A continuation factory: `function k (p…, cb) { return function (er, v) { if (er) { …; return cb(er) } … } }`. */
interface Factory {
  fn: ts.FunctionDeclaration;
  name: string;
  params: string[];
  cb: string;
  err: string;
  value: string | undefined;
  /** The error branch's statements before its `return cb(er)`. */
  onError: ts.Statement[];
  /** The continuation's statements after the error branch. */
  rest: ts.Statement[];
}

/** A function of the group: its callback parameter, and the names of its two specialisations. */
interface Dual {
  fn: ts.FunctionDeclaration;
  name: string;
  cb: string;
  params: string[];
  /** `if (typeof options === 'function') cb = options, options = null`, first statement: it stays in the dispatcher. */
  shuffle: ts.Statement | undefined;
  /** Parameters only ever called with the callback, bound at every call to a function of the group (`then`). */
  fnParams: Set<number>;
  entry: boolean;
  asyncName: string;
  syncName: string;
  /** Calls the callback before any await on some path (`cb ? cb(null, res) : res`). */
  callsBack: boolean;
  /** Functions of the group it calls before any await, hence on the tick of its own call. */
  syncCalls: Set<string>;
}

type Mode = "async" | "sync";

class NotDual extends Error {}

function fail(why: string): never {
  throw new NotDual(why);
}

/** The group's analysis and its rewrite, for one file. */
interface Group {
  sf: ts.SourceFile;
  b: ModuleBindings;
  imports: Imports;
  duals: Map<string, Dual>;
  factories: Map<string, Factory>;
  /** The functions of the group some call passes as a function parameter's value. */
  passed: Set<string>;
  /** What the function being rewritten relies on (besides what every site does), gathered while rewriting it. */
  assumed: Set<AssumptionName>;
}

const isFn = (n: ts.Node, name: string): boolean => ts.isIdentifier(n) && n.text === name;

/** `function k (…, cb) { return function (er[, v]) {…} }`, else undefined. */
function factoryOf(fn: ts.FunctionDeclaration): Factory | undefined {
  const params = simpleParams(fn);
  const body = fn.body?.statements;
  if (!params || params.length === 0 || !body || body.length !== 1) return undefined;
  const ret = body[0];
  if (!ts.isReturnStatement(ret) || !ret.expression) return undefined;
  const cont = skipParens(ret.expression);
  if (!ts.isFunctionExpression(cont) || cont.name || cont.asteriskToken || cont.modifiers?.length) return undefined;
  const cps = simpleParams(cont);
  if (!cps || cps.length < 1 || cps.length > 2 || readsThisOrArguments(cont.body)) return undefined;
  const cb = params[params.length - 1]!;
  const [err, value] = cps as [string, string | undefined];
  const stmts = [...cont.body.statements];
  // The error branch comes first: a continuation that goes on after an error has no promise form.
  const first = stmts.shift();
  if (!first || !ts.isIfStatement(first) || first.elseStatement || !isFn(skipParens(first.expression), err))
    return undefined;
  const onError = ts.isBlock(first.thenStatement) ? [...first.thenStatement.statements] : [first.thenStatement];
  const last = onError.pop();
  if (!last || !isReturnOfCall(last, cb, [err]) || onError.some(containsReturn)) return undefined;
  // The error is read only by the error branch (the synchronous mode calls with null).
  if (stmts.some((s) => referencesTo(s, err).length > 0)) return undefined;
  return { fn, name: fn.name!.text, params, cb, err, value, onError, rest: stmts };
}

/** A `return` in the statement, nested functions aside. */
function containsReturn(s: ts.Node): boolean {
  if (ts.isReturnStatement(s)) return true;
  if (ts.isFunctionLike(s)) return false;
  return ts.forEachChild(s, containsReturn) ?? false;
}

/** `return cb(a…)` with exactly the argument names given. */
function isReturnOfCall(s: ts.Statement, cb: string, args: string[]): boolean {
  if (!ts.isReturnStatement(s) || !s.expression) return false;
  const call = skipParens(s.expression);
  return (
    ts.isCallExpression(call) &&
    isFn(call.expression, cb) &&
    call.arguments.length === args.length &&
    call.arguments.every((a, i) => isFn(a, args[i]!))
  );
}

function simpleParams(fn: ts.SignatureDeclaration): string[] | undefined {
  const names: string[] = [];
  for (const p of fn.parameters) {
    if (!ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.questionToken) return undefined;
    names.push(p.name.text);
  }
  return names;
}

/** `cb ? A : B` with the callback itself as the test (or `!cb ? B : A`): the two branches, callback mode first. */
function callbackTest(e: ts.Expression, cb: string): { whenCb: ts.Expression; whenNot: ts.Expression } | undefined {
  const x = skipParens(e);
  if (!ts.isConditionalExpression(x)) return undefined;
  const t = skipParens(x.condition);
  if (isFn(t, cb)) return { whenCb: x.whenTrue, whenNot: x.whenFalse };
  if (ts.isPrefixUnaryExpression(t) && t.operator === ts.SyntaxKind.ExclamationToken && isFn(skipParens(t.operand), cb))
    return { whenCb: x.whenFalse, whenNot: x.whenTrue };
  return undefined;
}

/**
 * The text of `node` with some of its descendants replaced (ranges given in the file's positions), re-indented from
 * `from` to `to`.
 */
function spliced(sf: ts.SourceFile, start: number, end: number, edits: Edit[], from: string, to: string): string {
  const inner = edits.map((e) => ({ start: e.start - start, end: e.end - start, text: e.text }));
  return shiftIndent(applyEdits(sf.text.slice(start, end), inner), from, to);
}

/** Where a statement starts with the comments above it (`// still not set.` before touch's first return). */
function startWithComments(sf: ts.SourceFile, s: ts.Statement): number {
  const comments = ts.getLeadingCommentRanges(sf.text, s.getFullStart());
  return comments?.length ? comments[0]!.pos : s.getStart(sf);
}

/** The rewrite of one function's statements (or a factory's continuation) in one mode. */
class Specialiser {
  constructor(
    private readonly g: Group,
    private readonly mode: Mode,
    private readonly cb: string,
    /** The function whose body this is: the place inlined factories' names must not clash with. */
    private readonly host: ts.FunctionDeclaration,
    private readonly fnParams: ReadonlySet<string>,
    /** The statements run after an await: a factory's continuation. */
    private readonly inContinuation = false,
    /** Names the host's inlined continuations declare already (their values, their `var`s). */
    private readonly declared = new Set<string>(),
  ) {}

  /** The async mode's call of `callee` before any await (for which callbacks were called synchronously). */
  private sameTick(callee: string | undefined): void {
    if (this.mode !== "async" || this.inContinuation) return;
    const host = this.g.duals.get(this.host.name!.text);
    if (!host) return;
    if (callee === undefined) host.callsBack = true;
    else host.syncCalls.add(callee);
  }

  /** Statements `stmts` (contiguous) as text, at indentation `to`. */
  statements(stmts: readonly ts.Statement[], to: string): string {
    if (stmts.length === 0) fail("nothing returned");
    const sf = this.g.sf;
    const start = startWithComments(sf, stmts[0]!);
    const end = stmts[stmts.length - 1]!.end;
    const edits: Edit[] = [];
    for (const s of stmts) this.statement(s, edits, to);
    // Every path ends in the group's return: one that ended otherwise never called back in the callback mode.
    const last = stmts[stmts.length - 1]!;
    if (!ts.isReturnStatement(last) || !last.expression || !this.mentionsGroup(last)) fail("falls off the end");
    return spliced(sf, start, end, edits, indentAt(sf.text, start), to);
  }

  private statement(s: ts.Statement, edits: Edit[], indent: string): void {
    if (!this.mentionsGroup(s)) {
      if (containsReturn(s)) fail("returns without calling back");
      return;
    }
    if (ts.isReturnStatement(s) && s.expression) {
      const split = callbackTest(s.expression, this.cb);
      const step = split && this.asyncStep(split.whenCb, split.whenNot);
      if (step) {
        edits.push({ start: s.getStart(this.g.sf), end: s.end, text: this.inline(step, indent) });
        return;
      }
      this.expression(s.expression, edits);
      return;
    }
    // `if (T) return E`; a call of the group anywhere but in a return would float in the async mode.
    if (ts.isIfStatement(s) && !s.elseStatement && !this.mentionsGroup(s.expression)) {
      const then = s.thenStatement;
      if (ts.isReturnStatement(then) && then.expression) {
        this.expression(then.expression, edits);
        return;
      }
    }
    fail(`statement: ${s.getText(this.g.sf).slice(0, 40)}`);
  }

  /**
   * Replaces, inside a returned `e`, what each mode makes of the callback and the group's calls. In the callback
   * mode each outcome must call back (a call of the group, or of the callback), as every path did.
   */
  private expression(e: ts.Expression, edits: Edit[]): void {
    const sf = this.g.sf;
    const split = callbackTest(e, this.cb);
    if (split) {
      const keep = this.mode === "async" ? split.whenCb : split.whenNot;
      const x = skipParens(keep);
      // `cb ? cb(null, res) : res`: the callback mode's value is the result.
      if (this.mode === "async" && ts.isCallExpression(x) && isFn(x.expression, this.cb)) {
        const [err, value, ...more] = x.arguments;
        if (more.length || (err && !(err.kind === ts.SyntaxKind.NullKeyword)) || (value && this.mentionsGroup(value)))
          fail("callback call");
        // callbackify calls back `(null, value)`: `cb()` had no error argument, `cb(null)` one argument.
        if (!err) this.g.assumed.add("NULL_UNDEFINED_SUCCESS");
        if (!value) this.g.assumed.add("CALLBACK_ARITY");
        edits.push({ start: e.getStart(sf), end: e.end, text: value ? value.getText(sf) : "undefined" });
        this.sameTick(undefined);
        return;
      }
      const inner: Edit[] = [];
      this.expression(keep, inner);
      const text = spliced(sf, keep.getStart(sf), keep.end, inner, "", "");
      edits.push({ start: e.getStart(sf), end: e.end, text });
      return;
    }
    const x = skipParens(e);
    if (ts.isConditionalExpression(x) && !this.mentionsGroup(x.condition)) {
      this.expression(x.whenTrue, edits);
      this.expression(x.whenFalse, edits);
      return;
    }
    if (ts.isCallExpression(x) && ts.isIdentifier(x.expression)) {
      const callee = x.expression.text;
      const last = x.arguments[x.arguments.length - 1];
      const dual = this.g.duals.get(callee);
      if ((dual || this.fnParams.has(callee)) && last && isFn(last, this.cb)) {
        const args = x.arguments.slice(0, -1);
        const texts = args.map((a, i) => this.argument(a, dual ? dual.fnParams.has(i) : false));
        const name = dual ? (this.mode === "async" ? dual.asyncName : dual.syncName) : callee;
        edits.push({ start: x.getStart(sf), end: x.end, text: `${name}(${texts.join(", ")})` });
        // A function parameter may be any function of the group passed to some function.
        for (const target of dual ? [callee] : this.g.passed) this.sameTick(target);
        return;
      }
    }
    // A value returned without calling back (`T ? G(x, cb) : 5`): the callback mode never called back there.
    if (this.mode === "async" || this.mentionsGroup(x)) fail(`expression: ${x.getText(sf).slice(0, 40)}`);
  }

  /** An argument of a call in the group: a function of the group where the callee calls it (`touch_`), else plain. */
  private argument(a: ts.Expression, isFnParam: boolean): string {
    const sf = this.g.sf;
    if (isFnParam) {
      const d = ts.isIdentifier(a) ? this.g.duals.get(a.text) : undefined;
      if (d) return this.mode === "async" ? d.asyncName : d.syncName;
      if (ts.isIdentifier(a) && this.fnParams.has(a.text)) return a.text;
      fail("function argument");
    }
    if (this.mentionsGroup(a)) fail(`argument: ${a.getText(sf).slice(0, 40)}`);
    return a.getText(sf);
  }

  /**
   * `cb ? fs.x(a…, k(p…, cb)) : k(p…)(null, fs.xSync(a…))`: the call, its factory and the promise form, when the
   * two branches are that.
   */
  private asyncStep(
    whenCb: ts.Expression,
    whenNot: ts.Expression,
  ): { factory: Factory; call: ts.CallExpression; syncCall: ts.CallExpression; awaitable: string } | undefined {
    const sf = this.g.sf;
    const call = skipParens(whenCb);
    const outer = skipParens(whenNot);
    if (!ts.isCallExpression(call) || !ts.isCallExpression(outer) || !ts.isCallExpression(outer.expression))
      return undefined;
    const made = call.arguments[call.arguments.length - 1];
    if (!made || !ts.isCallExpression(made) || !ts.isIdentifier(made.expression)) return undefined;
    const factory = this.g.factories.get(made.expression.text);
    const syncMade = outer.expression;
    if (!factory || !isFn(syncMade.expression, factory.name)) return undefined;
    const wanted = factory.params;
    const identity = (args: readonly ts.Expression[], names: readonly string[]) =>
      args.length === names.length && args.every((a, i) => isFn(a, names[i]!));
    if (!identity(made.arguments, wanted) || !identity(syncMade.arguments, wanted.slice(0, -1))) return undefined;
    if (factory.cb !== this.cb) return undefined;
    const [nul, syncCall] = outer.arguments;
    if (outer.arguments.length !== 2 || nul?.kind !== ts.SyntaxKind.NullKeyword || !syncCall) return undefined;
    const callee = call.expression;
    const sc = skipParens(syncCall);
    if (
      !ts.isCallExpression(sc) ||
      !ts.isPropertyAccessExpression(callee) ||
      !ts.isIdentifier(callee.expression) ||
      !ts.isPropertyAccessExpression(sc.expression) ||
      sc.expression.expression.getText(sf) !== callee.expression.text ||
      sc.expression.name.text !== `${callee.name.text}Sync`
    )
      return undefined;
    const args = call.arguments.slice(0, -1);
    if (args.length !== sc.arguments.length || args.some((a, i) => a.getText(sf) !== sc.arguments[i]!.getText(sf)))
      return undefined;
    if (args.some((a) => this.mentionsGroup(a))) return undefined;
    const argsText = args.map((a) => a.getText(sf)).join(", ");
    const plan = nodeAwaitable(this.g.b, callee.expression.text, callee.name.text, argsText, this.g.imports, {
      arg: args[0],
      idiomatic: true,
    });
    if (!plan || plan.maxValues < 1) fail(`no promise form: ${callee.getText(sf)}`);
    if (plan.assumes) this.g.assumed.add(plan.assumes);
    return { factory, call, syncCall: sc, awaitable: plan.expr };
  }

  /** The statements that replace `return <step>`: the call in this mode, then the factory's continuation. */
  private inline(step: NonNullable<ReturnType<Specialiser["asyncStep"]>>, indent: string): string {
    const { factory: k } = step;
    const sf = this.g.sf;
    this.checkNames(k);
    const unit = indentUnit(sf.text);
    const rest = this.continuation().statements(k.rest, indent);
    const lines: string[] = [];
    if (this.mode === "sync") {
      const call = step.syncCall.getText(sf);
      lines.push(k.value ? `const ${k.value} = ${call}` : call);
    } else if (k.onError.length === 0) {
      lines.push(k.value ? `const ${k.value} = await ${step.awaitable}` : `await ${step.awaitable}`);
    } else {
      const onError = this.onError(k.onError, indent + unit);
      if (k.value) lines.push(`let ${k.value}`);
      lines.push("try {");
      lines.push(`${unit}${k.value ? `${k.value} = ` : ""}await ${step.awaitable}`);
      lines.push(`} catch (${k.err}) {`);
      if (onError) lines.push(`${unit}${onError}`);
      lines.push(`${unit}throw ${k.err}`);
      lines.push("}");
    }
    const head = lines.map((l, i) => (i === 0 ? l : indent + l)).join("\n");
    return rest ? `${head}\n${indent}${rest}` : head;
  }

  private continuation(): Specialiser {
    return new Specialiser(this.g, this.mode, this.cb, this.host, this.fnParams, true, this.declared);
  }

  /** The error branch's statements: they need not end in a return (`throw er` follows them). */
  private onError(stmts: ts.Statement[], indent: string): string {
    if (stmts.length === 0) return "";
    for (const s of stmts) if (this.mentionsGroup(s)) fail("error branch names the group");
    const sf = this.g.sf;
    const start = startWithComments(sf, stmts[0]!);
    return spliced(sf, start, stmts[stmts.length - 1]!.end, [], indentAt(sf.text, start), indent);
  }

  /**
   * The factory's own names (its continuation's parameters and variables) must be new in the host, after the
   * continuations inlined there already; its free names must not be shadowed there.
   */
  private checkNames(k: Factory): void {
    const host = ownDeclarations(this.host);
    const cont = skipParens((k.fn.body!.statements[0] as ts.ReturnStatement).expression!) as ts.FunctionExpression;
    const own = [...ownDeclarations(cont).keys()].filter((n) => n !== k.err);
    for (const name of own) if (host.has(name) || this.declared.has(name)) fail(`name clash: ${name}`);
    const params = new Set([...k.params, ...own, k.err]);
    for (const name of boundNamesUsed(cont))
      if ((host.has(name) || this.declared.has(name)) && !params.has(name)) fail(`shadowed: ${name}`);
    for (const name of own) this.declared.add(name);
  }

  private mentionsGroup(n: ts.Node): boolean {
    for (const name of boundNamesUsed(n))
      if (name === this.cb || this.g.duals.has(name) || this.g.factories.has(name) || this.fnParams.has(name))
        return true;
    return false;
  }
}

/**
 * The split, when the file has a dual-mode group the rewrite covers completely; undefined otherwise (nothing is
 * changed, and the rest of the pass sees the functions as they are).
 */
export function dualModeSplit(ctx: FileContext): PassResult | undefined {
  const { sf } = ctx;
  // A factory returns its continuation, and a step tests the callback: both show in the text.
  if (!isIdiomatic(ctx.options) || !/\breturn\s+function\b/.test(sf.text) || !/\?/.test(sf.text)) return undefined;
  const tops = sf.statements.filter(
    (s): s is ts.FunctionDeclaration =>
      ts.isFunctionDeclaration(s) && !!s.name && !!s.body && !s.modifiers?.length && !s.asteriskToken,
  );
  const declared = ownDeclarations(sf);
  // Declared once and never assigned (`touch = wrap(touch)` would make the group's calls reach another function).
  const once = (name: string) => (declared.get(name)?.length ?? 0) === 1 && assignmentsTo(sf, name) === 0;
  const factories = new Map<string, Factory>();
  const candidates: ts.FunctionDeclaration[] = [];
  for (const fn of tops) {
    const name = fn.name!.text;
    if (!once(name) || readsThisOrArguments(fn.body!)) continue;
    const k = factoryOf(fn);
    if (k) factories.set(name, k);
    else if (simpleParams(fn)?.length) candidates.push(fn);
  }
  if (factories.size === 0) return undefined;
  // Bindings only: `touch.touchSync = …` names a property, which a function `touchSync` does not clash with.
  const used = boundNamesUsed(sf);
  const duals = new Map<string, Dual>();
  for (const fn of candidates) {
    const params = simpleParams(fn)!;
    const cb = params[params.length - 1]!;
    if (referencesTo(fn.body!, cb).length === 0) continue;
    const name = fn.name!.text;
    duals.set(name, {
      fn,
      name,
      cb,
      params: params.slice(0, -1),
      shuffle: optionsShuffle(fn, cb)?.statement,
      fnParams: new Set(),
      entry: false,
      asyncName: name,
      syncName: `${name}Sync`,
      callsBack: false,
      syncCalls: new Set(),
    });
  }
  const b = moduleBindings(sf);
  const g: Group = { sf, b, imports: new Imports(sf, b), duals, factories, passed: new Set(), assumed: new Set() };
  // Shrink to a fixed point: a function whose rewrite fails leaves the group, and so do its callers.
  for (;;) {
    markEntriesAndParams(g);
    const bad = [...duals.values()].find((d) => !rewrites(g, d));
    if (!bad) break;
    duals.delete(bad.name);
    if (duals.size === 0) return undefined;
  }
  // Only the factories the group calls are inlined; every call of each must be in the group's steps.
  const inlined = [...factories.values()].filter((k) => referencesTo(sf, k.name).length > 1);
  for (const k of inlined) if (!factoryCallsCovered(g, k)) return undefined;
  if (![...duals.values()].some((d) => hasCallbackTest(d))) return undefined;
  for (const d of duals.values()) {
    if (d.entry) d.asyncName = `${d.name}Async`;
    for (const n of [d.asyncName, d.syncName]) if (n !== d.name && used.has(n)) return undefined;
  }
  // --verify: the group converts as one, so a vetoed member leaves all of it to the rest of the pass.
  for (const fn of [...[...duals.values()].map((d) => d.fn), ...inlined.map((k) => k.fn)])
    if (ctx.veto?.(fn.getStart(sf), "callbacks")) return undefined;
  return emit(g, inlined);
}

/** Whether the function tests its callback's presence (`cb ? … : …`). */
function hasCallbackTest(d: Dual): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isConditionalExpression(n) && callbackTest(n, d.cb)) found = true;
    ts.forEachChild(n, visit);
  };
  visit(d.fn.body!);
  return found;
}

/**
 * Entries: functions of the group referred to other than by the group's own calls (an export, a call elsewhere).
 * Function parameters: parameters only called with the callback, bound to a function of the group at every call.
 */
function markEntriesAndParams(g: Group): void {
  g.passed.clear();
  const inGroup = (n: ts.Node): ts.FunctionDeclaration | undefined => {
    for (let p: ts.Node | undefined = n.parent; p; p = p.parent)
      if (ts.isFunctionDeclaration(p) && p.parent === g.sf && p.name)
        return g.duals.get(p.name.text)?.fn ?? g.factories.get(p.name.text)?.fn;
    return undefined;
  };
  for (const d of g.duals.values()) {
    d.entry = false;
    d.fnParams = new Set();
    for (const ref of referencesTo(g.sf, d.name)) {
      if (ref === d.fn.name) continue;
      const call = ref.parent;
      const direct = ts.isCallExpression(call) && call.expression === ref;
      if (!inGroup(ref)) d.entry = true;
      else if (!direct && !isFnArgument(g, ref)) d.entry = true;
    }
  }
  for (const d of g.duals.values()) {
    if (d.entry) continue;
    d.params.forEach((p, i) => {
      const refs = referencesTo(d.fn.body!, p);
      // Called, or handed on to a factory (whose parameters are its caller's, by name).
      const called = refs.every(
        (r) =>
          ts.isCallExpression(r.parent) &&
          (r.parent.expression === r ||
            (ts.isIdentifier(r.parent.expression) && g.factories.has(r.parent.expression.text))),
      );
      if (refs.length === 0 || !called) return;
      // Every use of the function is a call (one passing it on as a value would bind the parameter unseen).
      const calls = referencesTo(g.sf, d.name).filter((r) => r !== d.fn.name);
      const bound = calls.every((r) => {
        const call = r.parent;
        const a = ts.isCallExpression(call) && call.expression === r ? call.arguments[i] : undefined;
        return !!a && ts.isIdentifier(a) && g.duals.has(a.text);
      });
      if (!bound) return;
      d.fnParams.add(i);
      for (const r of calls) g.passed.add(((r.parent as ts.CallExpression).arguments[i] as ts.Identifier).text);
    });
  }
}

/** `optionsRef(touch_, …)`: a function of the group passed to another where it is only called. */
function isFnArgument(g: Group, ref: ts.Identifier): boolean {
  const call = ref.parent;
  if (!ts.isCallExpression(call) || call.expression === ref || !ts.isIdentifier(call.expression)) return false;
  const callee = g.duals.get(call.expression.text);
  const k = g.factories.get(call.expression.text);
  // A factory's arguments are its caller's parameters: the caller's own binding decides.
  if (k) return true;
  return !!callee && !callee.entry;
}

/** Whether both specialisations of the function rewrite (each throws NotDual on a shape it does not know). */
function rewrites(g: Group, d: Dual): boolean {
  try {
    specialise(g, d, "async", "");
    specialise(g, d, "sync", "");
    return true;
  } catch (e) {
    if (e instanceof NotDual) return false;
    throw e;
  }
}

function specialise(g: Group, d: Dual, mode: Mode, indent: string): string {
  const stmts = [...d.fn.body!.statements];
  if (d.shuffle) stmts.shift();
  const fnParamNames = new Set([...d.fnParams].map((i) => d.params[i]!));
  return new Specialiser(g, mode, d.cb, d.fn, fnParamNames).statements(stmts, indent);
}

/** Every call of the factory is one of the group's steps (both forms, in functions of the group). */
function factoryCallsCovered(g: Group, k: Factory): boolean {
  for (const ref of referencesTo(g.sf, k.name)) {
    if (ref === k.fn.name) continue;
    let owner: ts.Node | undefined = ref.parent;
    while (owner && !(ts.isFunctionDeclaration(owner) && owner.parent === g.sf)) owner = owner.parent;
    const name = owner && (owner as ts.FunctionDeclaration).name?.text;
    if (!name || (!g.duals.has(name) && !g.factories.has(name))) return false;
    if (!ts.isCallExpression(ref.parent) || ref.parent.expression !== ref) return false;
  }
  return true;
}

function emit(g: Group, inlined: Factory[]): PassResult {
  const { sf } = g;
  const unit = indentUnit(sf.text);
  const edits: Edit[] = [];
  const sites: PassResult["sites"] = [];
  const callbackify = g.imports.binding("node:util", "callbackify");
  const bodies = new Map<Dual, { async: string; sync: string; assumed: Set<AssumptionName> }>();
  for (const d of g.duals.values()) {
    d.callsBack = false;
    d.syncCalls.clear();
  }
  for (const d of g.duals.values()) {
    g.assumed.clear();
    const asyncBody = specialise(g, d, "async", unit);
    const assumed = new Set<AssumptionName>(g.assumed);
    bodies.set(d, { async: asyncBody, sync: specialise(g, d, "sync", unit), assumed });
  }
  const sameTick = reachedOnTheCallersTick(g);
  for (const d of g.duals.values()) {
    const { async: asyncBody, sync: syncBody, assumed: siteAssumed } = bodies.get(d)!;
    // `cb ? cb(null, res) : res` reached before any await: the callback was called synchronously, and the
    // entry returned its value; now a later tick calls it, and the entry returns undefined.
    if (d.callsBack && sameTick.has(d.name)) {
      siteAssumed.add("CALLBACK_NOW_ASYNC");
      siteAssumed.add("RETURN_VALUE_UNUSED");
    }
    const header = (name: string, isAsync: boolean) =>
      `${isAsync ? "async " : ""}function ${name}${sf.text.slice(d.fn.name!.end, d.fn.parameters.pos).replace(/\($/, "")}(${d.params.join(", ")}) {`;
    const parts: string[] = [];
    if (d.entry) {
      const own = sf.text.slice(d.fn.getStart(sf), d.fn.body!.getStart(sf) + 1);
      const shuffle = d.shuffle ? `${unit}${d.shuffle.getText(sf)}\n` : "";
      const args = d.params.join(", ");
      parts.push(
        `${own}\n${shuffle}${unit}return ${d.cb} ? ${callbackify}(${d.asyncName})(${args}, ${d.cb}) : ${d.syncName}(${args})\n}`,
      );
    }
    parts.push(`${header(d.asyncName, true)}\n${unit}${asyncBody}\n}`);
    parts.push(`${header(d.syncName, false)}\n${unit}${syncBody}\n}`);
    edits.push({ start: d.fn.getStart(sf), end: d.fn.end, text: parts.join("\n\n") });
    siteAssumed.add("SYNC_THROW_BECOMES_REJECTION");
    // The dispatcher's shuffle is skipped by the group's own calls of an entry.
    if (d.shuffle && (!d.entry || calledByGroup(g, d))) siteAssumed.add("OPTIONS_DEFAULTED");
    sites.push({
      pos: d.fn.getStart(sf),
      transform: "callbacks",
      status: "converted",
      name: d.name,
      assumptions: sortedAssumptions(siteAssumed),
    });
  }
  for (const k of inlined) {
    edits.push({ start: k.fn.getFullStart(), end: k.fn.end, text: "" });
    sites.push({
      pos: k.fn.getStart(sf),
      transform: "callbacks",
      status: "converted",
      name: k.name,
      assumptions: ["SYNC_THROW_BECOMES_REJECTION"],
    });
  }
  const emitted = edits.map((e) => e.text).join("\n");
  edits.push(...g.imports.edits((local) => new RegExp(`\\b${local}\\b`).test(emitted)));
  return { edits, sites };
}

/** The functions of the group an entry's call reaches before any await. */
function reachedOnTheCallersTick(g: Group): Set<string> {
  const reached = new Set<string>();
  const todo = [...g.duals.values()].filter((d) => d.entry).map((d) => d.name);
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (reached.has(name)) continue;
    reached.add(name);
    todo.push(...(g.duals.get(name)?.syncCalls ?? []));
  }
  return reached;
}

function calledByGroup(g: Group, d: Dual): boolean {
  return referencesTo(g.sf, d.name).some((r) => {
    if (r === d.fn.name || !ts.isCallExpression(r.parent)) return false;
    for (let p: ts.Node | undefined = r.parent; p; p = p.parent)
      if (ts.isFunctionDeclaration(p) && p.parent === g.sf && p.name)
        return g.duals.has(p.name.text) || g.factories.has(p.name.text);
    return false;
  });
}

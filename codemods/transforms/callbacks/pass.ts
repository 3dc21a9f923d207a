// The callbacks pass over one file: finds the candidates, analyses them with FunctionConverter in rounds
// until the set that converts is stable (a refused function is no longer awaitable by its callers), emits
// the outermost conversions (emit.ts) and adds the helpers; and convertedExports, what other files may await.
import { ts } from "ts-morph";
import * as path from "node:path";
import {
  bindingOf,
  bindsName,
  calleeKey,
  type FileContext,
  type PassResult,
  indentUnit,
  isTsFile,
} from "../../core.js";
import { Refusal, type ReasonCode } from "../../reasons.js";
import { type AssumptionName, assumesErrFirst, isIdiomatic } from "../../assumptions.js";
import {
  Imports,
  aliasedFsArity,
  fsExistsAwaitable,
  fsLikeArity,
  computedFsCallee,
  knownPackageCallee,
  moduleBindings,
  nodeAwaitable,
  type ModuleBindings,
} from "../node-table.js";
import { DUAL_HELPER, START_HELPER, dualHelperText, startHelperText, dualApiShimText } from "./helpers.js";
import { collectionOverLocalFunction, isAsyncIterator, iteratorAssumesArrayLike } from "./async-collections.js";
import { isInnerWaterfallTask, isParallelTask, waterfallTailArity, waterfallTaskValues } from "./async-tasks.js";
import { isWhilstIterator } from "./async-whilst.js";
import {
  CALLBACK_NAMES,
  type FnLike,
  type Candidate,
  isCandidate,
  lastParamName,
  isConvertedWrapper,
  isDualModeDispatcher,
  localNameOf,
  insideAddedHelper,
  calledLikeCallback,
  earlyCallbackParam,
  declarationCounts,
  promisedType,
} from "./candidates.js";
import { skipParensUp } from "./predicates.js";
import type { AwaitPlan } from "./context.js";
import { FunctionConverter } from "./converter.js";
import { emitConversion, type EmitContext } from "./emit.js";
import {
  convertedExports,
  exportedExpression,
  firstStatementInsertPos,
  onlyCallsCallback,
  plainAsyncRefs,
} from "./module-form.js";
import { isDirectWrapper } from "./callback-checks.js";
import { callsWithoutCallbackUsed, methodReturnsAValue, returnsAValue } from "./evidence.js";
import { injectedDefaults } from "./injected-defaults.js";
import { parameterModuleCallee } from "./parameter-modules.js";

export { convertedExports };

/**
 * Refusals that are evidence a function is not a well-behaved err-first API (it may call back more
 * than once, never, from an event handler, or with a value first): under `--assume err-first`, a
 * call of such a function is not assumed err-first (CALLEE_REFUSED). A callback passed on
 * (CALLBACK_ESCAPES: `setImmediate(cb, null, v)`) says nothing either way, so it is no evidence.
 */
const EVIDENCE_REASONS = new Set<ReasonCode>([
  "UNSUPPORTED_STATEMENT",
  "MAYBE_NEVER_CALLED",
  "CALLBACK_NOT_LAST",
  "COUNTER_MAY_CALL_TWICE",
  "CALLBACK_IN_NESTED_FUNCTION",
  "NOT_ERR_FIRST",
]);

/** The property name a function is stored under (`X.prototype.m = function…`, `{ m: function… }`, a method). */
function memberNameOf(fn: FnLike): string | undefined {
  if (ts.isMethodDeclaration(fn)) return ts.isIdentifier(fn.name) ? fn.name.text : undefined;
  const p = fn.parent;
  if (ts.isPropertyAssignment(p) && p.initializer === fn && ts.isIdentifier(p.name)) return p.name.text;
  if (
    ts.isBinaryExpression(p) &&
    p.right === fn &&
    p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isPropertyAccessExpression(p.left) &&
    ts.isIdentifier(p.left.name)
  )
    return p.left.name.text;
  return localNameOf(fn);
}

/** Runs one pass of the callbacks transform over a file. */
export function callbacksPass(ctx: FileContext): PassResult {
  const { sf } = ctx;
  const result: PassResult = { edits: [], sites: [] };
  const ts_ = isTsFile(ctx.fileName);
  const unit = indentUnit(sf.text);
  const bindings = moduleBindings(sf);
  const decls = declarationCounts(sf);
  const imports = new Imports(sf, bindings);
  const injected = injectedDefaults(sf, bindings);

  const cands: Candidate[] = [];
  /** Functions whose callback is not their last parameter: sites, refused (CALLBACK_NOT_LAST_PARAMETER). */
  const notLast: { fn: FnLike; param: string }[] = [];
  const visit = (n: ts.Node): void => {
    if (isCandidate(n)) {
      const cbName = lastParamName(n);
      const early = insideAddedHelper(n) ? undefined : earlyCallbackParam(n);
      if (early) notLast.push({ fn: n, param: early });
      if (
        cbName &&
        (CALLBACK_NAMES.has(cbName) ||
          calledLikeCallback(n, cbName) ||
          isAsyncIterator(n, bindings, ctx.options) ||
          isParallelTask(n, bindings) ||
          isWhilstIterator(n, bindings)) &&
        !isConvertedWrapper(n) &&
        !isDualModeDispatcher(n)
      ) {
        const localName = localNameOf(n);
        cands.push({
          fn: n,
          cbName,
          localName,
          label: localName ?? (ts.isMethodDeclaration(n) ? n.name.getText(sf) : "(anonymous)"),
        });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);

  // Already-converted wrappers in this file are awaitable too.
  const wrappers = new Set<string>();
  /** Those a converted caller awaits without a callback (callback-checks.ts: isDirectWrapper). */
  const directWrappers = new Set<string>();
  /** Their success arity: the dual helper's third argument (2 when absent). */
  const wrapperArity = new Map<string, number>();
  const visitW = (n: ts.Node): void => {
    if (isCandidate(n) && isConvertedWrapper(n)) {
      const name = localNameOf(n);
      if (name) {
        wrappers.add(name);
        const cb = n.parameters[n.parameters.length - 1]?.name;
        if (cb && ts.isIdentifier(cb) && (decls.get(name) ?? 0) === 1 && isDirectWrapper(n, cb.text))
          directWrappers.add(name);
        const body = (n.body as ts.Block).statements;
        const ret = body[body.length - 1] as ts.ReturnStatement;
        const arg = (ret.expression as ts.CallExpression).arguments[2];
        wrapperArity.set(name, arg && ts.isNumericLiteral(arg) ? Number(arg.text) : 2);
      }
    }
    ts.forEachChild(n, visitW);
  };
  visitW(sf);

  // Converted functions of other files of the project: which function a call refers to was
  // resolved by the type checker (codemods/resolve.ts); whether it is converted, by the last round.
  const crossFile = ctx.project?.callees.get(path.resolve(ctx.fileName));
  const awaitsCrossFile = (callee: ts.Expression, prefix = ""): boolean => {
    const key = calleeKey(callee);
    const target = key === undefined ? undefined : crossFile?.get(key);
    return !!target && target.exports.some((e) => ctx.project!.asyncExports.get(target.file)?.has(prefix + e));
  };

  let alive = new Set(cands);
  const refusals = new Map<Candidate, Refusal>();
  // --verify: a site it reverted (or has not tested) is refused before the analysis, so its callers see it unconverted.
  for (const c of cands) {
    const vetoed = ctx.veto?.(c.fn.getStart(sf), "callbacks");
    if (vetoed) {
      refusals.set(c, new Refusal(vetoed));
      alive.delete(c);
    }
  }
  // Evidence of a mode without a callback: the file itself calls the function with fewer arguments than its
  // parameters and uses the value (touch's `touch.sync = function (f, o) { return touch(f, o) }`). Converted,
  // that call would get a promise; under every profile that refuses it (the RETURN_VALUE_UNUSED assumption
  // cannot hold against it).
  const usedWithoutCallback = callsWithoutCallbackUsed(sf, cands);
  for (const c of cands) {
    const call = usedWithoutCallback.get(c);
    if (!call || !alive.has(c)) continue;
    const text = call.getText(sf).replace(/\s+/g, " ").slice(0, 60);
    refusals.set(c, new Refusal("RETURNS_VALUE", `called without a callback, its value used: ${text}`));
    alive.delete(c);
  }
  const converted = new Map<Candidate, { prologue: string; rest: string; startDecl?: string }>();
  const ownArities = new Map<Candidate, { own: Set<number>; deps: Set<string>; nullErrorDeps: Set<string> }>();
  const arities = new Map<Candidate, number>();
  /** Same-file calls each conversion awaits directly. */
  const localCallsOf = new Map<Candidate, Set<ts.CallExpression>>();
  /** What each conversion relied on (codemods/assumptions.ts). */
  const assumed = new Map<Candidate, Set<AssumptionName>>();
  const idiomatic = isIdiomatic(ctx.options);
  /**
   * Evidence against the err-first assumption: functions of this file the run analysed and refused
   * because they may call back more than once or never (or not err-first), by the names calls use.
   */
  const evidenceAgainst = (callee: ts.Expression): string | undefined => {
    const name = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.name)
        ? callee.name.text
        : undefined;
    if (name === undefined) return undefined;
    for (const [c, r] of refusals) {
      if (!EVIDENCE_REASONS.has(r.reason)) continue;
      if (ts.isIdentifier(callee) ? c.localName === name : memberNameOf(c.fn) === name) return `${name}: ${r.reason}`;
    }
    // A function of another migrated file that the checker resolved this call to and the run did not convert.
    const key = calleeKey(callee);
    const target = key === undefined ? undefined : crossFile?.get(key);
    if (target && !target.exports.some((e) => ctx.project!.asyncExports.get(target.file)?.has(e)))
      return `${key}: a function of ${path.basename(target.file)} this run did not convert`;
    return undefined;
  };
  /** Success arities of each converted function: its own callback calls plus those of the functions it hands the callback to. */
  const successArities = (set: ReadonlySet<Candidate>): Map<Candidate, Set<number>> => {
    const byName = new Map<string, Candidate>();
    for (const c of set) if (c.localName) byName.set(c.localName, c);
    const arityOf = (c: Candidate, seen: Set<Candidate>): Set<number> => {
      const info = ownArities.get(c);
      const out = new Set<number>(info?.own ?? []);
      if (seen.has(c)) return out;
      seen.add(c);
      for (const d of info?.deps ?? []) {
        const dc = byName.get(d);
        if (dc) for (const a of arityOf(dc, seen)) out.add(a);
        else out.add(wrapperArity.get(d) ?? 2);
      }
      return out;
    };
    return new Map([...set].map((c) => [c, arityOf(c, new Set())]));
  };
  /**
   * The promise of `callee(args, cb)` called in its callback form. The default profile writes
   * `promisify(f)(args)` (or `promisify(o.m).call(o, args)`), which settles exactly as the start helper
   * does (reject on a truthy error, else resolve with the first value); only a synchronous throw of the
   * call becomes the rejection one microtask later, inside the async function either way. Node core
   * functions keep the start helper: some have a custom promisified form (`child_process.exec`).
   */
  const callbackForm = (callee: ts.Expression, args: string): string => {
    const calleeText = callee.getText(sf);
    const sep = args ? ", " : "";
    const start = `${START_HELPER}((done) => ${calleeText}(${args}${sep}done))`;
    if (!idiomatic) return start;
    const root = (e: ts.Expression): ts.Expression => (ts.isPropertyAccessExpression(e) ? root(e.expression) : e);
    const plainChain = (e: ts.Expression): boolean =>
      ts.isIdentifier(e) ||
      e.kind === ts.SyntaxKind.ThisKeyword ||
      (ts.isPropertyAccessExpression(e) && !ts.isPrivateIdentifier(e.name) && plainChain(e.expression));
    if (!plainChain(callee)) return start;
    const r = root(callee);
    if (ts.isIdentifier(r) && bindings.core.has(r.text)) return start;
    const promisify = imports.binding("node:util", "promisify");
    if (ts.isPropertyAccessExpression(callee))
      return `${promisify}(${calleeText}).call(${callee.expression.getText(sf)}${sep}${args})`;
    return `${promisify}(${calleeText})(${args})`;
  };
  /**
   * Whether `id` means the file's binding of its name (what the module-binding tables describe): the name
   * declared once in the file, or this use reaching its one top-level declaration whatever a nested function
   * declares (nconf: `exists(file, function (exists) {…})`).
   */
  const isFileBinding = (id: ts.Identifier): boolean => {
    if ((decls.get(id.text) ?? 0) <= 1) return true;
    const found = bindingOf(id);
    return found !== undefined && ts.isSourceFile(found.scope);
  };
  for (let round = 0; round < 20; round++) {
    const localAsync = new Set<string>(wrappers);
    for (const c of alive) if (c.localName && decls.get(c.localName) === 1) localAsync.add(c.localName);
    const directlyCallable = new Set<string>();
    for (const c of alive)
      if (c.localName && decls.get(c.localName) === 1 && onlyCallsCallback(c)) directlyCallable.add(c.localName);
    for (const name of directWrappers) directlyCallable.add(name);
    const awaitable = (call: ts.CallExpression, values: number): AwaitPlan | undefined => {
      const args = call.arguments
        .slice(0, -1)
        .map((a) => a.getText(sf))
        .join(", ");
      const callee = call.expression;
      // Called in its callback form, exactly as the original did: a prologue that checks the
      // callback (`assert(typeof cb === 'function')`) keeps passing.
      if (ts.isIdentifier(callee) && localAsync.has(callee.text) && (decls.get(callee.text) ?? 0) <= 1) {
        // Idiomatic: awaited directly. Called without a callback, a converted function returns its
        // promise (an async function, or the dual surface) — unless it inspects its callback.
        if (idiomatic && directlyCallable.has(callee.text))
          return {
            expr: `${callee.text}(${args})`,
            maxValues: 1,
            label: callee.text,
            arity: callee.text,
            successError: callee.text,
            localCall: call,
          };
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: callee.text,
          arity: callee.text,
          successError: callee.text,
        };
      }
      if (awaitsCrossFile(callee)) {
        // A `dualApi(f)` export of the whole-module output returns its promise without a callback.
        if (idiomatic && awaitsCrossFile(callee, "direct:"))
          return {
            expr: `${callee.getText(sf)}(${args})`,
            maxValues: 1,
            label: callee.getText(sf),
            successError: "unknown",
          };
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: callee.getText(sf),
          successError: "unknown",
        };
      }
      // fs.exists: a callback of one value, no error (the continuation's parameters are all values).
      const exists =
        !ts.isIdentifier(callee) || isFileBinding(callee)
          ? fsExistsAwaitable(bindings, callee, args, imports)
          : undefined;
      if (exists) return { ...exists, maxValues: 1, valueOnly: true, mayCallBackSync: true };
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        const node = nodeAwaitable(bindings, callee.expression.text, callee.name.text, args, imports, {
          arg: call.arguments.length > 1 ? call.arguments[0] : undefined,
          idiomatic,
        });
        if (node) return node;
        // `fs.open(p, 'r', cb)`: a Node core API, known, with no promise twin giving the same results.
        const core = bindings.core.get(callee.expression.text);
        if (
          core &&
          !assumesErrFirst(ctx.options) &&
          isFileBinding(callee.expression) &&
          fsLikeArity(bindings, callee.expression.text, callee.name.text) === undefined
        )
          throw new Refusal("NO_PROMISE_API", `${core}.${callee.name.text}`);
      }
      // fs-style functions reached another way (graceful-fs, `require('fs').lstat`): called in
      // their callback form through the start helper, which keeps their exact behaviour.
      const calleeText = callee.getText(sf);
      const sep = args ? ", " : "";
      // `f(…)` (bound once in the function) or `obj.m(…)`, looked up in a module-binding table.
      const lookUpIn = <T>(
        e: ts.Expression,
        find: (b: ModuleBindings, objOrName: string, method?: string) => T | undefined,
      ): T | undefined =>
        ts.isIdentifier(e)
          ? isFileBinding(e)
            ? find(bindings, e.text)
            : undefined
          : ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)
            ? find(bindings, e.expression.text, e.name.text)
            : undefined;
      const lookUp = <T>(find: (b: ModuleBindings, objOrName: string, method?: string) => T | undefined) =>
        lookUpIn(callee, find);
      // `fs[chown](…)`, the key only ever names fs methods of one arity: fs.promises's, or graceful-fs's own.
      const computed = computedFsCallee(bindings, callee);
      if (computed)
        return {
          expr: computed.core
            ? `${computed.obj}.promises[${computed.key}](${args})`
            : `${imports.binding("node:util", "promisify")}(${calleeText}).call(${computed.obj}${sep}${args})`,
          maxValues: 1,
          label: calleeText,
          arity: computed.arity,
        };
      const fsArity = lookUp(fsLikeArity) ?? aliasedFsArity(callee, (e) => lookUpIn(e, fsLikeArity));
      if (fsArity !== undefined) {
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: calleeText,
          arity: fsArity,
        };
      }
      // `options.unlink(p, cb)` where the file defaults `options.unlink` to `fs.unlink`: awaited as fs's.
      const injectedArity =
        idiomatic && ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
          ? injected.get(callee.expression.text)?.get(callee.name.text)
          : undefined;
      if (injectedArity !== undefined)
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: calleeText,
          arity: injectedArity,
          successError: "unknown",
          assumes: "INJECTED_LIKE_DEFAULT",
        };
      // `mod.mkdir(…)` with `mod` a parameter every call in the file binds to a module (`make(fs, …)`, `make(temp, …)`).
      const bound = ts.isPropertyAccessExpression(callee) ? parameterModuleCallee(sf, bindings, callee) : undefined;
      if (bound)
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: `${calleeText} (${bound.modules.join(" or ")})`,
          arity: bound.arity,
          successError: (bound.arity === 1 || bound.arity === 2) && !bound.successErrorUnknown ? undefined : "unknown",
          ...(bound.mayCallBackSync ? { mayCallBackSync: true } : {}),
        };
      // Well-known err-first packages (mkdirp, rimraf): called in callback form through the
      // start helper, like graceful-fs.
      const pkg = lookUp(knownPackageCallee);
      if (pkg) {
        const successError = (pkg.arity === 1 || pkg.arity === 2) && !pkg.successErrorUnknown ? undefined : "unknown";
        // async.map(coll, f, cont) with f a function converted here: Promise.all over coll, f awaited directly.
        const all = collectionOverLocalFunction(call, bindings, ctx.options, values, (name) => {
          const c = [...alive].find((x) => x.localName === name);
          const item = c?.fn.parameters.length === 2 ? c.fn.parameters[0]!.name : undefined;
          return directlyCallable.has(name) && localAsync.has(name) && item && ts.isIdentifier(item)
            ? { item: item.text }
            : undefined;
        });
        if (all)
          return {
            expr: all.expr,
            maxValues: 1,
            label: calleeText,
            arity: pkg.arity,
            successError,
            ...(pkg.mayCallBackSync ? { mayCallBackSync: true } : {}),
            ...(all.assumed ? { assumes: "COLLECTION_IS_ARRAY_LIKE" as const } : {}),
          };
        // async.waterfall(tasks, cb): the last task's calls of its callback tell the arity cb gets.
        const arity = pkg.arity ?? waterfallTailArity(call, bindings);
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: calleeText,
          arity,
          successError,
          ...(pkg.mayCallBackSync ? { mayCallBackSync: true } : {}),
        };
      }
      if (assumesErrFirst(ctx.options)) {
        const against = evidenceAgainst(callee);
        if (against) throw new Refusal("CALLEE_REFUSED", against);
        // A same-file callee that returns a value (`return new FindUp(…)`): returning its result is not unused.
        const returnsValue =
          (ts.isIdentifier(callee) && (decls.get(callee.text) ?? 0) === 1 && returnsAValue(sf, callee.text)) ||
          (ts.isPropertyAccessExpression(callee) && methodReturnsAValue(sf, callee));
        // Assumed: calls its continuation once, asynchronously, with (err) or (null, value).
        if (values > 1) {
          return {
            expr: `${START_HELPER}((done) => ${calleeText}(${args}${sep}(error, ...values) => done(error, values)))`,
            maxValues: 99,
            arrayValues: true,
            label: calleeText,
            assumed: true,
            ...(returnsValue ? { calleeReturnsValue: true } : {}),
          };
        }
        return {
          expr: callbackForm(callee, args),
          maxValues: 1,
          label: calleeText,
          arity: 2,
          assumed: true,
          ...(returnsValue ? { calleeReturnsValue: true } : {}),
        };
      }
      return undefined;
    };
    let changed = false;
    converted.clear();
    for (const c of [...alive]) {
      try {
        if (ts_ && !ts.isFunctionDeclaration(c.fn)) throw new Refusal("TS_FORM");
        if (ts_) promisedType(c.fn, sf);
        // async.js hands a waterfall task its callback as the argument after the values, wherever its parameters put it.
        if (waterfallTaskValues(c.fn, bindings) > 1)
          throw new Refusal("MULTIPLE_RESULTS", "an async.waterfall task taking several values");
        const conv = new FunctionConverter(ctx, c, awaitable, unit);
        converted.set(c, { ...conv.convertBody(), startDecl: conv.startDecl });
        ownArities.set(c, { own: conv.successArities, deps: conv.arityDeps, nullErrorDeps: conv.nullErrorDeps });
        assumed.set(c, new Set(conv.assumptions));
        if (iteratorAssumesArrayLike(c.fn, bindings, ctx.options)) assumed.get(c)!.add("COLLECTION_IS_ARRAY_LIKE");
        // A retried call is made again by the loop's next turn: awaited directly as the first one is.
        for (const [again, first] of conv.retriedCalls) if (conv.localCalls.has(first)) conv.localCalls.add(again);
        localCallsOf.set(c, conv.localCalls);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        refusals.set(c, e);
        alive.delete(c);
        changed = true;
      }
    }
    if (!changed) {
      // A promise resolves with one value, so the dual surface calls back with one arity. Paths with
      // `cb()` next to `cb(null…)` would change the error argument from undefined to null; `cb(null)`
      // next to `cb(null, v)` becomes `cb(null, undefined)`, which differs only in `arguments.length`.
      const all = successArities(new Set(converted.keys()));
      const byName = new Map<string, Candidate>();
      for (const c of converted.keys()) if (c.localName) byName.set(c.localName, c);
      for (const [c, set] of all) {
        // async.waterfall hands a task's success values to the next task as they were called back: no arity merges.
        if (set.size > 1 && isInnerWaterfallTask(c.fn, bindings)) {
          refusals.set(
            c,
            new Refusal(
              "MIXED_SUCCESS_ARITY",
              `an async.waterfall task calls back ${[...set].sort().join(" and ")} arguments`,
            ),
          );
          alive.delete(c);
          changed = true;
          continue;
        }
        if (set.size > 1 && idiomatic) {
          // One arity for all paths: `cb(null, v)` (undefined where a path passed less).
          if (set.has(0)) assumed.get(c)?.add("NULL_UNDEFINED_SUCCESS");
          assumed.get(c)?.add("CALLBACK_ARITY");
        } else if (set.size > 1 && set.has(0)) {
          refusals.set(c, new Refusal("MIXED_SUCCESS_ARITY", [...set].sort().join(" and ")));
          alive.delete(c);
          changed = true;
          continue;
        }
        // A continuation read the error of a same-file callee as null on success: that callee must not call back `cb()`.
        const undefinedOnSuccess = [...(ownArities.get(c)?.nullErrorDeps ?? [])].find((d) => {
          const dc = byName.get(d);
          return dc !== undefined ? all.get(dc)?.has(0) : wrapperArity.get(d) === 0;
        });
        if (undefinedOnSuccess && idiomatic) assumed.get(c)?.add("NULL_UNDEFINED_SUCCESS");
        else if (undefinedOnSuccess) {
          refusals.set(
            c,
            new Refusal(
              "MIXED_SUCCESS_ARITY",
              `${undefinedOnSuccess} calls back cb() (error undefined) on success, and the error is handed on or read`,
            ),
          );
          alive.delete(c);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  alive = new Set(converted.keys());
  for (const [c, set] of successArities(alive)) arities.set(c, set.size === 1 ? [...set][0] : 2);

  // Emit outermost conversions only; nested ones are handled by the next pass.
  // Nesting by one sweep over the candidates in source order (a pairwise check was quadratic).
  const nestedAlive = nestedWithin([...alive]);
  const outermost = [...alive].filter((c) => !nestedAlive.has(c));
  // Whole-module output (idiomatic): a converted function whose every use is a direct await by a
  // conversion emitted now, or a CommonJS export, becomes a plain async function; its exports get
  // the callback surface through one `dualApi(f)` shim each.
  const emittedCalls = new Set<ts.CallExpression>();
  for (const c of outermost) for (const k of localCallsOf.get(c) ?? []) emittedCalls.add(k);
  const moduleMode = new Map<Candidate, ts.Identifier[]>();
  /** Exported function expressions of the whole-module output (wrapped in place: `X = dualApi(async function …)`). */
  const wrappedExports = new Set<Candidate>();
  // --api promise: no callback surface; callers that still pass a callback call `callbackify(f)`.
  const promiseApi = ctx.options.api === "promise";
  const emittedRanges = outermost.map((c) => [c.fn.pos, c.fn.end] as const);
  const insideEmitted = (n: ts.Node) => emittedRanges.some(([a, b]) => a <= n.pos && n.end <= b);
  const callbackCalls = new Map<Candidate, ts.CallExpression[]>();
  if (idiomatic)
    for (const c of outermost) {
      const calls: ts.CallExpression[] = [];
      const refs = plainAsyncRefs(sf, c, decls, emittedCalls, promiseApi ? { calls, insideEmitted } : undefined);
      // TypeScript: a function of the file's own (or an ES export under --api promise) becomes a typed
      // `async function f(…): Promise<T>`; a CommonJS export keeps its overloaded dual form.
      if (refs && ts_ && refs.length) continue;
      if (refs) moduleMode.set(c, refs);
      // `module.exports = function (…, cb) {…}`: `module.exports = dualApi(async function (…) {…})`.
      // Not under --api promise: other files would not know the export is promise-only.
      const assign = refs || ts_ || promiseApi ? undefined : exportedExpression(sf, c);
      if (assign) {
        moduleMode.set(c, []);
        wrappedExports.add(c);
      }
      if (refs && calls.length) callbackCalls.set(c, calls);
    }
  const emitted: Candidate[] = [];
  // Whether a node lies inside one of the outermost conversions: a binary search over their sorted ranges.
  const outerRanges = outermost.map((o) => [o.fn.pos, o.fn.end] as const).sort((a, b) => a[0] - b[0]);
  const insideOutermost = (pos: number, end: number): boolean => {
    let lo = 0;
    let hi = outerRanges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (outerRanges[mid][0] <= pos) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && end <= outerRanges[found][1];
  };
  // A candidate inside a converted one (not itself): inside an outermost one that is not itself.
  const insideAlive = (c: Candidate): boolean =>
    alive.has(c) ? nestedAlive.has(c) : insideOutermost(c.fn.pos, c.fn.end);
  for (const { fn, param } of notLast) {
    if (insideOutermost(fn.pos, fn.end)) continue;
    const name = localNameOf(fn) ?? (ts.isMethodDeclaration(fn) ? fn.name.getText(sf) : "(anonymous)");
    result.sites.push({
      pos: fn.getStart(sf),
      transform: "callbacks",
      status: "refused",
      reason: "CALLBACK_NOT_LAST_PARAMETER",
      name,
      detail: `callback ${param}, last parameter ${lastParamName(fn) ?? "(a pattern)"}`,
    });
  }
  const emit: EmitContext = {
    sf,
    result,
    idiomatic,
    ts: ts_,
    promiseApi,
    unit,
    imports,
    decls,
    moduleMode,
    wrappedExports,
    assumed,
    arities,
    callbackCalls,
  };
  for (const c of cands) {
    const refusal = refusals.get(c);
    const nestedInConverted = insideAlive(c);
    if (nestedInConverted) continue;
    const pos = c.fn.getStart(sf);
    if (refusal) {
      result.sites.push({
        pos,
        transform: "callbacks",
        status: "refused",
        reason: refusal.reason,
        name: c.label,
        detail: refusal.detail,
      });
      continue;
    }
    emitConversion(emit, c, converted.get(c)!);
    emitted.push(c);
  }
  // --api promise, across files: a call of another file's promise-only export that passes a callback.
  if (promiseApi && crossFile) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && !insideEmitted(n)) {
        const key = calleeKey(n.expression);
        const target = key === undefined ? undefined : crossFile.get(key);
        const last = n.arguments[n.arguments.length - 1];
        // A function, or a name that is one by convention (`done`, `cb`, `onRead…Callback`); never an
        // awaited call (a converted caller awaits the promise-only export directly).
        const passesCallback =
          !!last &&
          !ts.isAwaitExpression(skipParensUp(n).parent) &&
          (ts.isFunctionLike(last) ||
            (ts.isIdentifier(last) && (CALLBACK_NAMES.has(last.text) || /(Callback|Cb|^next|^done)$/.test(last.text))));
        if (
          target &&
          passesCallback &&
          target.exports.some((e) => ctx.project!.asyncExports.get(target.file)?.has(`promise:${e}`))
        )
          result.edits.push({
            start: n.expression.getStart(sf),
            end: n.expression.end,
            text: `${imports.binding("node:util", "callbackify")}(${n.expression.getText(sf)})`,
          });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  if (emitted.length > 0 || result.edits.length > 0) {
    const text = result.edits.map((e) => e.text).join("\n");
    result.edits.push(...imports.edits((local) => new RegExp(`(^|[^\\w$.])${local}\\b`).test(text)));
  }
  const useImport = ctx.options.dualApi === "import";
  const dualEmitted = emitted.some((c) => !moduleMode.has(c));
  const shimUsed = !promiseApi && (wrappedExports.size > 0 || [...moduleMode.values()].some((refs) => refs.length > 0));
  const emittedText = result.edits.map((e) => e.text).join("");
  let tail = "";
  if (dualEmitted && !sf.text.includes(`function ${DUAL_HELPER}`)) tail += dualHelperText(ts_, useImport);
  if (emittedText.includes(`${START_HELPER}(`) && !sf.text.includes(`function ${START_HELPER}`))
    tail += startHelperText(ts_);
  if (shimUsed && !useImport && !bindsName(sf, "dualApi")) tail += dualApiShimText();
  if (tail) {
    if (!sf.text.endsWith("\n")) tail = "\n" + tail;
    result.edits.push({ start: sf.text.length, end: sf.text.length, text: tail });
  }
  if (((dualEmitted && !sf.text.includes(`function ${DUAL_HELPER}`)) || shimUsed) && useImport) {
    // Only a binding counts: a comment or string naming dualApi does not import it.
    if (!bindsName(sf, "dualApi")) {
      const isEsm =
        sf.statements.some((s) => ts.isImportDeclaration(s) || ts.isExportDeclaration(s) || ts.isExportAssignment(s)) ||
        ts_;
      const line = isEsm
        ? `import { dualApi } from "asyncio-ts/promise";\n`
        : `const { dualApi } = require("asyncio-ts/promise");\n`;
      const at = firstStatementInsertPos(sf);
      result.edits.push({ start: at, end: at, text: line });
    }
  }
  return result;
}

/** The candidates of the list that lie inside another one of it (one sweep in source order). */
function nestedWithin(list: readonly Candidate[]): Set<Candidate> {
  const sorted = [...list].sort((a, b) => a.fn.pos - b.fn.pos || b.fn.end - a.fn.end);
  const open: Candidate[] = [];
  const nested = new Set<Candidate>();
  for (const c of sorted) {
    while (open.length && open[open.length - 1].fn.end < c.fn.end) open.pop();
    if (open.length && open[open.length - 1].fn.pos <= c.fn.pos) nested.add(c);
    open.push(c);
  }
  return nested;
}

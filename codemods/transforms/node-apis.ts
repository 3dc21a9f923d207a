/**
 * The `node-apis` transform: a `new Promise` whose executor only wraps one
 * Node core callback call (fs, dns, zlib, crypto, stream.pipeline…) becomes
 * that API's promise form; a `setTimeout` wrapper becomes
 * `timers/promises`. (Node callback calls inside functions the `callbacks`
 * transform converts are rewritten there, with the same table.)
 *
 * Invariant: the executor settles exactly as the callback decides
 * (`err ? reject(err) : resolve(value)`), so the promise API, which rejects
 * with the same error and resolves with the same single value, is
 * equivalent.
 * @module
 */
import { ts } from "ts-morph";
import { bindsName, type Edit, type FileContext, indentUnit, type PassResult, skipParens } from "../core.js";
import { type AssumptionName, isIdiomatic } from "../assumptions.js";
import { convertPromiseWrapper } from "./promise-wrapper.js";
import { convertDeferred, type DeferredConversion, unusedLibraryImports } from "./deferreds.js";
import { Refusal } from "../reasons.js";
import { Imports, fsCompatibleAwaitable, isFsCompatibleMethod, moduleBindings, nodeAwaitable } from "./node-table.js";
import { convertQNodeCall, type QNodeCallConversion } from "./q-node-calls.js";
import {
  type BluebirdConversion,
  convertBluebirdCall,
  promisifiedObjects,
  promisifyAllRemovals,
} from "./bluebird-calls.js";

function bodyStatements(fn: ts.ArrowFunction | ts.FunctionExpression): readonly ts.Statement[] | ts.Expression {
  return ts.isBlock(fn.body) ? fn.body.statements : fn.body;
}

/** The single expression an executor/continuation body evaluates, if it is only that. */
function soleExpression(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  const b = bodyStatements(fn);
  if (!Array.isArray(b)) return skipParens(b as ts.Expression);
  const stmts = b as readonly ts.Statement[];
  if (stmts.length === 1) {
    const s = stmts[0];
    if (ts.isExpressionStatement(s)) return skipParens(s.expression);
    if (ts.isReturnStatement(s) && s.expression) return skipParens(s.expression);
  }
  return undefined;
}

function isCall(e: ts.Node | undefined, name: string, argc?: number): e is ts.CallExpression {
  return (
    !!e &&
    ts.isCallExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === name &&
    (argc === undefined || e.arguments.length === argc)
  );
}

function isIdent(e: ts.Node | undefined, name: string): boolean {
  return !!e && ts.isIdentifier(e) && e.text === name;
}

/**
 * Does the continuation `(err, v) => …` settle as `err ? reject(err) : resolve(v)`?
 * Returns the number of values it resolves with (0 or 1), or undefined.
 */
function settlesErrFirst(cont: ts.Node, resolve: string, reject: string): number | undefined {
  if (!ts.isArrowFunction(cont) && !ts.isFunctionExpression(cont)) return undefined;
  const ps = cont.parameters;
  if (ps.length < 1 || ps.length > 2 || ps.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken))
    return undefined;
  const err = (ps[0].name as ts.Identifier).text;
  const val = ps[1] ? (ps[1].name as ts.Identifier).text : undefined;
  const isReject = (e: ts.Node | undefined) =>
    !!e &&
    isCall(skipParens(e as ts.Expression), reject, 1) &&
    isIdent((skipParens(e as ts.Expression) as ts.CallExpression).arguments[0], err);
  const isResolve = (e: ts.Node | undefined) => {
    if (!e) return false;
    const x = skipParens(e as ts.Expression);
    if (!isCall(x, resolve)) return false;
    if (x.arguments.length === 0) return val === undefined;
    return x.arguments.length === 1 && val !== undefined && isIdent(x.arguments[0], val);
  };
  const stmtExpr = (s: ts.Statement | undefined): ts.Expression | undefined =>
    s && ts.isExpressionStatement(s) ? s.expression : s && ts.isReturnStatement(s) ? s.expression : undefined;
  const single = (s: ts.Statement): ts.Expression | undefined => {
    if (ts.isBlock(s)) {
      if (s.statements.length === 1) return stmtExpr(s.statements[0]);
      if (s.statements.length === 2 && ts.isReturnStatement(s.statements[1]) && !s.statements[1].expression)
        return stmtExpr(s.statements[0]);
      return undefined;
    }
    return stmtExpr(s);
  };
  const e = soleExpression(cont);
  if (
    e &&
    ts.isConditionalExpression(e) &&
    isIdent(skipParens(e.condition), err) &&
    isReject(e.whenTrue) &&
    isResolve(e.whenFalse)
  )
    return val ? 1 : 0;
  if (!ts.isBlock(cont.body)) return undefined;
  const st = cont.body.statements;
  const ifs = st[0];
  if (!ifs || !ts.isIfStatement(ifs) || !isIdent(skipParens(ifs.expression), err)) return undefined;
  if (!isReject(single(ifs.thenStatement))) return undefined;
  if (ifs.elseStatement) {
    if (st.length !== 1 || !isResolve(single(ifs.elseStatement))) return undefined;
    return val ? 1 : 0;
  }
  // `if (err) return reject(err); resolve(v);` — the then-branch must return.
  const then = ifs.thenStatement;
  const returns = ts.isReturnStatement(then) || (ts.isBlock(then) && then.statements.some(ts.isReturnStatement));
  if (!returns || st.length !== 2 || !isResolve(stmtExpr(st[1]))) return undefined;
  return val ? 1 : 0;
}

function timersExpr(imports: Imports, ms: string, value: string | undefined): string {
  return `${imports.member("node:timers/promises", "setTimeout", "sleep")}(${ms}${value ? `, ${value}` : ""})`;
}

/** Runs one pass of the node-apis transform. */
export function nodeApisPass(ctx: FileContext): PassResult {
  const { sf } = ctx;
  const result: PassResult = { edits: [], sites: [] };
  const b = moduleBindings(sf);
  let imports = new Imports(sf, b);
  const unit = indentUnit(sf.text);
  // The wrapped call's promise form, from the same table as plain wrappers.
  const promiseForm = (call: ts.CallExpression) => {
    const callee = call.expression;
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
    const args = call.arguments
      .slice(0, -1)
      .map((a) => a.getText(sf))
      .join(", ");
    return nodeAwaitable(b, callee.expression.text, callee.name.text, args, imports, {
      arg: call.arguments.length > 1 ? call.arguments[0] : undefined,
      idiomatic: isIdiomatic(ctx.options),
    });
  };
  const promiseRebound = bindsName(sf, "Promise");
  const promisified = promisifiedObjects(sf, b);
  const bluebirdConverted = new Set<ts.CallExpression>();
  /** The text ranges deferred conversions replace (a library binding used only there is dropped). */
  const replaced: Edit[] = [];
  /**
   * Records a deferred's or a Q node call's site: a refusal (its analysis's, or --verify's veto), or the conversion,
   * whose edits go in and whose text a library binding used only there may go with. True when converted.
   */
  const recordLibrarySite = (
    pos: number,
    analysed: Refusal | DeferredConversion | QNodeCallConversion | BluebirdConversion,
    refusedName: string,
  ): boolean => {
    const vetoed = ctx.veto?.(pos, "node-apis");
    const site = vetoed ? new Refusal(vetoed) : analysed;
    if (site instanceof Refusal) {
      result.sites.push({
        pos,
        transform: "node-apis",
        status: "refused",
        reason: site.reason,
        name: refusedName,
        ...(site.detail ? { detail: site.detail } : {}),
      });
      return false;
    }
    result.sites.push({
      pos,
      transform: "node-apis",
      status: "converted",
      name: site.label,
      ...(site.assumptions.length ? { assumptions: site.assumptions } : {}),
    });
    const edits = "edits" in site ? site.edits : [site.edit];
    result.edits.push(...edits);
    replaced.push(...edits);
    return true;
  };
  const visit = (n: ts.Node): void => {
    if (ts.isVariableStatement(n)) {
      // `var d = Q.defer(); …; return d.promise;` becomes the `new Promise` wrapper the next pass converts.
      const deferred = convertDeferred(sf, n, b, isIdiomatic(ctx.options), unit, promiseRebound);
      if (deferred && recordLibrarySite(n.getStart(sf), deferred, "defer")) return;
    }
    if (ts.isCallExpression(n)) {
      // `Q.nfcall(f, …)`, `Q.ninvoke(o, 'm', …)`, `Q.denodeify(f)`…: util.promisify's forms (a vetoed site's
      // analysis asks for its imports elsewhere, so that they are dropped).
      const kept = imports;
      if (ctx.veto?.(n.getStart(sf), "node-apis")) imports = new Imports(sf, b);
      const q = convertQNodeCall(sf, n, b, imports, isIdiomatic(ctx.options));
      imports = kept;
      if (q && recordLibrarySite(n.getStart(sf), q, "Q node call")) return;
      // `fs.readFileAsync(…)` after bluebird's promisifyAll, `Promise.promisify(f)`: util.promisify's forms.
      if (ctx.veto?.(n.getStart(sf), "node-apis")) imports = new Imports(sf, b);
      const bb = convertBluebirdCall(sf, n, b, promisified, imports, isIdiomatic(ctx.options));
      imports = kept;
      if (bb && recordLibrarySite(n.getStart(sf), bb, "bluebird call")) {
        bluebirdConverted.add(n);
        return;
      }
    }
    if (
      ts.isNewExpression(n) &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === "Promise" &&
      n.arguments?.length === 1
    ) {
      const exec = skipParens(n.arguments[0]);
      if (ts.isArrowFunction(exec) || ts.isFunctionExpression(exec)) {
        // --verify: a reverted or untested site is refused, and the imports its analysis asked for are dropped.
        const vetoed = ctx.veto?.(n.getStart(sf), "node-apis");
        const kept = imports;
        if (vetoed) imports = new Imports(sf, b);
        const wrapper = convertPromiseWrapper(sf, n, exec, promiseForm, isIdiomatic(ctx.options), unit);
        // A plain wrapper's conversion wins over the other's refusal (`return new Promise(…)` in an async function).
        const plain = wrapper && !(wrapper instanceof Refusal) ? undefined : analyse(n, exec);
        const analysed = plain && !(plain instanceof Refusal) ? plain : (wrapper ?? plain);
        imports = kept;
        const site = vetoed && analysed ? new Refusal(vetoed) : analysed;
        if (site) {
          const pos = n.getStart(sf);
          if (site instanceof Refusal)
            result.sites.push({
              pos,
              transform: "node-apis",
              status: "refused",
              reason: site.reason,
              name: "new Promise",
              ...(site.detail ? { detail: site.detail } : {}),
            });
          else if ("edits" in site) {
            const assumptions = site.assumptions;
            result.sites.push({
              pos,
              transform: "node-apis",
              status: "converted",
              name: site.label,
              ...(assumptions.length ? { assumptions } : {}),
            });
            result.edits.push(...site.edits);
          } else {
            result.sites.push({
              pos,
              transform: "node-apis",
              status: "converted",
              name: site.label,
              ...(site.assumptions ? { assumptions: site.assumptions } : {}),
            });
            result.edits.push({ start: pos, end: n.end, text: site.expr });
          }
          return;
        }
      }
    }
    ts.forEachChild(n, visit);
  };

  /** undefined: not a site (not a wrapper around a callback API at all). */
  const analyse = (
    n: ts.NewExpression,
    exec: ts.ArrowFunction | ts.FunctionExpression,
  ): { expr: string; label: string; assumptions?: AssumptionName[] } | Refusal | undefined => {
    const ps = exec.parameters;
    if (ps.length < 1 || ps.length > 2 || ps.some((p) => !ts.isIdentifier(p.name))) return undefined;
    const resolve = (ps[0].name as ts.Identifier).text;
    const reject = ps[1] ? (ps[1].name as ts.Identifier).text : "\0";
    const e = soleExpression(exec);
    if (!e || !ts.isCallExpression(e)) {
      // A wrapper around something, but more than one call: only report it when it mentions a core API.
      return undefined;
    }
    const callee = e.expression;
    // setTimeout(resolve, ms[, value]) / setTimeout(() => resolve(v), ms)
    if (ts.isIdentifier(callee) && callee.text === "setTimeout" && !b.requires.has("setTimeout")) {
      const [fnArg, ms, ...extra] = e.arguments;
      if (!fnArg || !ms) return new Refusal("EXECUTOR_SHAPE", "setTimeout without delay");
      if (isIdent(fnArg, resolve)) {
        if (extra.length > 1) return new Refusal("EXECUTOR_SHAPE");
        return { expr: timersExpr(imports, ms.getText(sf), extra[0]?.getText(sf)), label: "setTimeout" };
      }
      if (
        (ts.isArrowFunction(fnArg) || ts.isFunctionExpression(fnArg)) &&
        fnArg.parameters.length === 0 &&
        extra.length === 0
      ) {
        const inner = soleExpression(fnArg);
        if (inner && isCall(inner, resolve) && inner.arguments.length <= 1) {
          const v = inner.arguments[0];
          if (v && !isConstantish(v)) return new Refusal("EXECUTOR_SHAPE", "value computed when the timer fires");
          return { expr: timersExpr(imports, ms.getText(sf), v?.getText(sf)), label: "setTimeout" };
        }
      }
      return new Refusal("EXECUTOR_SHAPE");
    }
    // emitter.once(name, resolve)
    if (
      ts.isPropertyAccessExpression(callee) &&
      callee.name.text === "once" &&
      e.arguments.length === 2 &&
      isIdent(e.arguments[1], resolve)
    ) {
      return new Refusal("ONCE_WITHOUT_ERROR_HANDLER");
    }
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
    const mod = b.core.get(callee.expression.text);
    const cont = e.arguments[e.arguments.length - 1];
    if (!cont || (!ts.isArrowFunction(cont) && !ts.isFunctionExpression(cont))) return undefined;
    const compatible = !mod && isFsCompatibleMethod(b, callee.expression.text, callee.name.text);
    if (!mod && !compatible) return new Refusal("NOT_NODE_MODULE", callee.getText(sf));
    const values = settlesErrFirst(cont, resolve, reject);
    if (values === undefined) return new Refusal("EXECUTOR_SHAPE");
    const args = e.arguments.slice(0, -1);
    if (args.some((a) => containsIdent(a, resolve) || containsIdent(a, reject))) return new Refusal("EXECUTOR_SHAPE");
    if (mod === "child_process" && (callee.name.text === "exec" || callee.name.text === "execFile")) {
      return execPlan(
        n,
        callee.expression.text,
        callee.name.text,
        args.map((a) => a.getText(sf)).join(", "),
        values,
        imports,
      );
    }
    const argsText = args.map((a) => a.getText(sf)).join(", ");
    const plan = compatible
      ? fsCompatibleAwaitable(b, callee.expression.text, callee.name.text, argsText, imports)
      : nodeAwaitable(b, callee.expression.text, callee.name.text, argsText, imports, {
          arg: args[0],
          idiomatic: isIdiomatic(ctx.options),
        });
    if (!plan) return new Refusal("NO_PROMISE_API", `${mod}.${callee.name.text}`);
    if (values > plan.maxValues) return new Refusal("NO_PROMISE_API");
    // The executor resolved with no value: keep that (the promise API may resolve with one).
    const expr = values === 0 && plan.maxValues > 0 ? `${plan.expr}.then(() => undefined)` : plan.expr;
    return { expr, label: plan.label, ...(plan.assumes ? { assumptions: [plan.assumes] } : {}) };
  };
  visit(sf);
  result.edits.push(...promisifyAllRemovals(sf, promisified, bluebirdConverted));
  const removals = replaced.length ? unusedLibraryImports(sf, b, replaced) : [];
  // An import added after the library's require, which goes: in its place instead.
  for (const e of imports.edits()) {
    const r = removals.find((x) => x.start < e.start && e.start <= x.end);
    result.edits.push(r ? { start: r.start, end: r.start, text: `${e.text.replace(/^\n/, "")}\n` } : e);
  }
  result.edits.push(...removals);
  return result;
}

/**
 * `child_process.exec`/`execFile`: their promisified forms resolve with `{ stdout, stderr }` (we pick
 * `stdout`, the continuation's second parameter) and reject with the callback's error, to which they add
 * `stdout`/`stderr` properties. Unlike the executor, they throw synchronously on bad arguments
 * (Node calls the original outside a promise), so the wrapper is converted only where a synchronous throw
 * is turned into the same rejection at the same point: directly awaited, or returned from an async function.
 */
function execPlan(
  n: ts.NewExpression,
  obj: string,
  method: string,
  args: string,
  values: number,
  imports: Imports,
): { expr: string; label: string } | Refusal {
  if (!rejectsLikeAwaitPoint(n)) return new Refusal("THROWS_SYNCHRONOUSLY", `child_process.${method}`);
  const call = `${imports.member("node:util", "promisify")}(${obj}.${method})(${args})`;
  return {
    expr: values ? `${call}.then((r) => r.stdout)` : `${call}.then(() => undefined)`,
    label: `child_process.${method}`,
  };
}

/** `await <n>` anywhere, or `return <n>` / an arrow's expression body in an async function. */
function rejectsLikeAwaitPoint(n: ts.Node): boolean {
  let p = n.parent;
  while (p && ts.isParenthesizedExpression(p)) p = p.parent;
  if (p && ts.isAwaitExpression(p)) return true;
  let fn: ts.Node | undefined;
  if (p && ts.isReturnStatement(p)) {
    fn = p.parent;
    while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  } else if (p && ts.isArrowFunction(p) && p.body !== undefined) {
    fn = p;
  }
  return !!fn && (ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async) !== 0;
}

function isConstantish(e: ts.Expression): boolean {
  const x = skipParens(e);
  return (
    ts.isLiteralExpression(x) ||
    x.kind === ts.SyntaxKind.TrueKeyword ||
    x.kind === ts.SyntaxKind.FalseKeyword ||
    x.kind === ts.SyntaxKind.NullKeyword
  );
}

function containsIdent(n: ts.Node, name: string): boolean {
  let found = false;
  const v = (x: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(x) && x.text === name) found = true;
    ts.forEachChild(x, v);
  };
  v(n);
  return found;
}

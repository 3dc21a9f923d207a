// bluebird's promisification: `fs.readFileAsync(…)` on an object bluebird's `promisifyAll` promisified
// (`var fs = Promise.promisifyAll(require('fs'))`, or `Promise.promisifyAll(x)` on a binding), and `Promise.promisify(f)`,
// become util.promisify's forms (fs's promise API for a known fs method). Checked against bluebird 3.7: both call the
// method at once with its receiver, a synchronous throw rejects in both, and both resolve with the first value; what
// differs is the rejection (bluebird's is an OperationalError copy of the callback's error, with `cause` and
// `isOperational`; a string error is wrapped) and util.promisify's use of a method's own `util.promisify.custom` form
// (BLUEBIRD_PROMISIFY_IS_UTIL), and the promise, bluebird's (LIBRARY_PROMISE_BECOMES_NATIVE unless awaited on the
// spot). Once every `…Async` call on an object is converted, its `promisifyAll` goes too.
import { ts } from "ts-morph";
import type { AssumptionName } from "../assumptions.js";
import { assignmentsTo, declaredInFunctionAround, type Edit, referencesTo, skipParens } from "../core.js";
import { Refusal } from "../reasons.js";
import { skipParensUp } from "./callbacks/predicates.js";
import { libraryMethodOnValue } from "./q-node-calls.js";
import { type Imports, type ModuleBindings, nodeAwaitable, requireArg } from "./node-table.js";

/** A converted bluebird call: its edit, a label for the report and what it relied on. @internal */
export interface BluebirdConversion {
  edit: Edit;
  label: string;
  assumptions: AssumptionName[];
}

/** An object bluebird's promisifyAll promisified: where, and the core module it is when it is one. */
interface Promisified {
  /** The `P.promisifyAll(…)` call. */
  call: ts.CallExpression;
  /** `var fs = P.promisifyAll(require('fs'))`: the call is the initializer (it is unwrapped), else a statement. */
  initializer: boolean;
  core: string | undefined;
}

/** Names bound to `require('bluebird')` (whole module). */
function bluebirdNames(b: ModuleBindings): Set<string> {
  const names = new Set<string>();
  for (const [local, spec] of b.requires) if (spec.module === "bluebird" && spec.member === undefined) names.add(local);
  return names;
}

/** `P.<method>(…)` with P bound to bluebird. */
function isBluebirdCall(e: ts.CallExpression, names: ReadonlySet<string>, method: string): boolean {
  return (
    ts.isPropertyAccessExpression(e.expression) &&
    ts.isIdentifier(e.expression.expression) &&
    names.has(e.expression.expression.text) &&
    e.expression.name.text === method
  );
}

/**
 * The file's top-level objects bluebird promisified, by name: `var fs = P.promisifyAll(require('fs'))` and
 * `P.promisifyAll(fs)` (one argument: options such as `multiArgs` or a suffix change what the methods do). @internal
 */
export function promisifiedObjects(sf: ts.SourceFile, b: ModuleBindings): Map<string, Promisified> {
  const names = bluebirdNames(b);
  const out = new Map<string, Promisified>();
  if (names.size === 0) return out;
  const coreOf = (e: ts.Expression): string | undefined => {
    const x = skipParens(e);
    if (ts.isIdentifier(x)) return b.core.get(x.text);
    const spec = requireArg(x);
    const bare = spec?.replace(/^node:/, "");
    return bare && ["fs", "dns", "zlib", "crypto", "child_process"].includes(bare) ? bare : undefined;
  };
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s))
      for (const d of s.declarationList.declarations) {
        const init = d.initializer && skipParens(d.initializer);
        if (
          ts.isIdentifier(d.name) &&
          init &&
          ts.isCallExpression(init) &&
          isBluebirdCall(init, names, "promisifyAll") &&
          init.arguments.length === 1
        )
          out.set(d.name.text, { call: init, initializer: true, core: coreOf(init.arguments[0]!) });
      }
    if (ts.isExpressionStatement(s)) {
      const e = skipParens(s.expression);
      if (
        ts.isCallExpression(e) &&
        isBluebirdCall(e, names, "promisifyAll") &&
        e.arguments.length === 1 &&
        ts.isIdentifier(e.arguments[0]!)
      )
        out.set(e.arguments[0].text, { call: e, initializer: false, core: coreOf(e.arguments[0]) });
    }
  }
  return out;
}

/** A native promise has these; bluebird's has more (`.spread`, `.tap`, `.map`, `.error`…). */
const isBluebirdOnly = (m: string) => !["then", "catch", "finally"].includes(m);

/** Evidence the file relies on bluebird's OperationalError: it names it, or reads `isOperational`. */
function readsOperationalErrors(sf: ts.SourceFile): boolean {
  return /\bOperationalError\b|\bisOperational\b/.test(sf.text);
}

const ASYNC_METHOD = /^([A-Za-z_$][\w$]*)Async$/;

/**
 * The conversion of a bluebird call (`obj.mAsync(…)` on a promisified object, `P.promisify(f)`), a Refusal, or
 * undefined when `call` is not one. @internal
 */
export function convertBluebirdCall(
  sf: ts.SourceFile,
  call: ts.CallExpression,
  b: ModuleBindings,
  promisified: ReadonlyMap<string, Promisified>,
  imports: Imports,
  idiomatic: boolean,
): BluebirdConversion | Refusal | undefined {
  const callee = call.expression;
  const text = (e: ts.Node) => e.getText(sf);
  const names = bluebirdNames(b);
  const promisify = isBluebirdCall(call, names, "promisify");
  let target: Promisified | undefined;
  let obj = "";
  let method = "";
  if (!promisify) {
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
    target = promisified.get(callee.expression.text);
    const m = ASYNC_METHOD.exec(callee.name.text);
    // The file's binding itself: not a parameter or local of that name, and never assigned again.
    if (
      !target ||
      !m ||
      declaredInFunctionAround(callee.expression, callee.expression.text) ||
      assignmentsTo(sf, callee.expression.text) > 0
    )
      return undefined;
    obj = callee.expression.text;
    method = m[1]!;
  }
  const label = promisify ? "Promise.promisify" : `${obj}.${method}Async`;
  if (promisify && call.arguments.length !== 1)
    return new Refusal("LIBRARY_NODE_CALL", `${label} with options (context, multiArgs)`);
  if (call.arguments.some(ts.isSpreadElement))
    return new Refusal("LIBRARY_NODE_CALL", `${label} with spread arguments`);
  const other = libraryMethodOnValue(sf, call, promisify, isBluebirdOnly);
  if (other) return new Refusal("NON_NATIVE_PROMISE", `${label}(…) then .${other}`);
  if (readsOperationalErrors(sf))
    return new Refusal("NON_NATIVE_PROMISE", "the file reads bluebird's OperationalError (isOperational)");
  if (!idiomatic) return new Refusal("LIBRARY_NODE_CALL", `${label}: bluebird rejects with an OperationalError copy`);
  const assumptions = new Set<AssumptionName>(["BLUEBIRD_PROMISIFY_IS_UTIL"]);
  if (promisify || !ts.isAwaitExpression(skipParensUp(call).parent)) assumptions.add("LIBRARY_PROMISE_BECOMES_NATIVE");
  // Asked for only where it is written (the Imports add what is asked for).
  const util = () => imports.binding("node:util", "promisify");
  if (promisify) {
    const f = call.arguments[0]!;
    return { edit: edit(sf, call, `${util()}(${text(f)})`), label, assumptions: [...assumptions].sort() };
  }
  const args = call.arguments.map(text).join(", ");
  if (target!.core) {
    // A core method: its promise API as node-apis writes it; one util.promisify customises (fs.exists, fs.read,
    // exec…) resolves otherwise than bluebird's form, which ignores the custom one.
    const core = new Map(b.core).set(obj, target!.core);
    const found = nodeAwaitable({ ...b, core }, obj, method, args, imports, { arg: call.arguments[0], idiomatic });
    const plan = found?.maxValues === 1 ? found : undefined;
    if (!plan)
      return new Refusal(
        "NO_PROMISE_API",
        `${target!.core}.${method} (several callback values, or its own promisified form)`,
      );
    if (plan.assumes) assumptions.add(plan.assumes);
    return { edit: edit(sf, call, plan.expr), label, assumptions: [...assumptions].sort() };
  }
  return {
    edit: edit(sf, call, `${util()}(${obj}.${method}).call(${obj}${args ? `, ${args}` : ""})`),
    label,
    assumptions: [...assumptions].sort(),
  };
}

function edit(sf: ts.SourceFile, call: ts.CallExpression, text: string): Edit {
  return { start: call.getStart(sf), end: call.getEnd(), text };
}

/**
 * Once a pass converts every `obj.mAsync(…)` of a promisified object, its promisifyAll goes: the initializer
 * becomes its argument (`var fs = require('fs')`), the statement is deleted. @internal
 */
export function promisifyAllRemovals(
  sf: ts.SourceFile,
  promisified: ReadonlyMap<string, Promisified>,
  converted: ReadonlySet<ts.CallExpression>,
): Edit[] {
  const out: Edit[] = [];
  for (const [name, p] of promisified) {
    const uses = referencesTo(sf, name).filter((id) => {
      const pa = id.parent;
      return ts.isPropertyAccessExpression(pa) && pa.expression === id && ASYNC_METHOD.test(pa.name.text);
    });
    if (uses.length === 0) continue;
    const all = uses.every((id) => {
      const call = id.parent.parent;
      return ts.isCallExpression(call) && call.expression === id.parent && converted.has(call);
    });
    if (!all) continue;
    if (p.initializer) out.push(edit(sf, p.call, p.call.arguments[0]!.getText(sf)));
    else {
      const st = p.call.parent;
      let end = st.end;
      if (sf.text[end] === "\r") end++;
      if (sf.text[end] === "\n") end++;
      out.push({ start: st.getStart(sf), end, text: "" });
    }
  }
  return out;
}

// Q's node-callback helpers: `Q.nfcall(f, …args)`, `Q.nfapply(f, args)`, `Q.ninvoke(obj, 'm', …args)`,
// `Q.npost(obj, 'm', args)` and `Q.denodeify(f)` / `Q.nfbind(f)` become util.promisify's forms (fs's promise API
// for a known fs method). Checked against Q 1.5.1: Q calls f on a later tick, where promisify calls it at once
// (CALL_STARTS_AT_ONCE); Q resolves with an array when f calls back several values, promisify with the first
// (CALLBACK_SINGLE_VALUE, unless f is known to call back one); Q returns a Q promise (LIBRARY_PROMISE_BECOMES_NATIVE,
// unless it is awaited on the spot). A synchronous throw of f rejects in both.
import { ts } from "ts-morph";
import type { AssumptionName } from "../assumptions.js";
import { type Edit, referencesTo, skipParens } from "../core.js";
import { Refusal } from "../reasons.js";
import { skipParensUp } from "./callbacks/predicates.js";
import { calledName, type Fn, LIBRARY_ONLY_METHODS, libraryMethodUsedOnResult } from "./deferreds.js";
import {
  DNS_METHODS,
  FS_METHODS,
  fsLikeArity,
  type Imports,
  knownPackageCallee,
  type ModuleBindings,
  nodeAwaitable,
  PROMISIFY_METHODS,
} from "./node-table.js";

/** A converted Q node call: its edit, a label for the report and what it relied on. @internal */
export interface QNodeCallConversion {
  edit: Edit;
  label: string;
  assumptions: AssumptionName[];
}

const METHODS = new Set(["nfcall", "nfapply", "ninvoke", "npost", "denodeify", "nfbind"]);

/** The Q method `call` makes (`Q.nfcall(…)`, or `nfcall(…)` bound by `const { nfcall } = require('q')`), if any. */
function qMethod(call: ts.CallExpression, b: ModuleBindings): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) {
    const spec = b.requires.get(callee.text);
    return spec?.module === "q" && spec.member && METHODS.has(spec.member) ? spec.member : undefined;
  }
  if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
  const spec = b.requires.get(callee.expression.text);
  return spec?.module === "q" && spec.member === undefined && METHODS.has(callee.name.text)
    ? callee.name.text
    : undefined;
}

/** `a`, `this`, `a.b.c`: evaluated twice (`promisify(o.m).call(o, …)`) it means the same and does nothing more. */
function plainChain(e: ts.Expression): boolean {
  return (
    ts.isIdentifier(e) ||
    e.kind === ts.SyntaxKind.ThisKeyword ||
    (ts.isPropertyAccessExpression(e) && !ts.isPrivateIdentifier(e.name) && plainChain(e.expression))
  );
}

/**
 * A library-only method (`.fail`, `.done`, `.spread`…; `isForeign` says which) used on the promise `value` makes: on
 * it or on its then/catch/finally chain, through the variable it initialises, or by a same-file caller of the
 * function that returns it. For a denodeified function: on the results of the name it is stored under. @internal
 */
export function libraryMethodOnValue(
  sf: ts.SourceFile,
  value: ts.Expression,
  isFunction: boolean,
  isForeign: (method: string) => boolean = (m) => LIBRARY_ONLY_METHODS.has(m),
): string | undefined {
  let top: ts.Node = value;
  for (;;) {
    const p: ts.Node = top.parent;
    if (ts.isParenthesizedExpression(p)) top = p;
    else if (!isFunction && ts.isPropertyAccessExpression(p) && p.expression === top) {
      if (isForeign(p.name.text)) return p.name.text;
      if (!["then", "catch", "finally"].includes(p.name.text) || !ts.isCallExpression(p.parent)) return undefined;
      top = p.parent;
    } else break;
  }
  const p = top.parent;
  if (ts.isVariableDeclaration(p) && p.initializer === top && ts.isIdentifier(p.name)) {
    if (isFunction) return libraryMethodUsedOnResult(sf, p.name.text);
    for (const id of referencesTo(sf, p.name.text)) {
      const pa = id.parent;
      if (ts.isPropertyAccessExpression(pa) && pa.expression === id && isForeign(pa.name.text)) return pa.name.text;
    }
    return undefined;
  }
  if (isFunction && ts.isBinaryExpression(p) && ts.isPropertyAccessExpression(p.left))
    return libraryMethodUsedOnResult(sf, p.left.name.text);
  const fn = ts.isReturnStatement(p)
    ? (ts.findAncestor(p, (n) => ts.isFunctionLike(n)) as Fn | undefined)
    : ts.isArrowFunction(p) && p.body === top
      ? p
      : undefined;
  const name =
    fn &&
    (ts.isFunctionDeclaration(fn) ||
      ts.isFunctionExpression(fn) ||
      ts.isArrowFunction(fn) ||
      ts.isMethodDeclaration(fn))
      ? calledName(fn)
      : undefined;
  return name ? libraryMethodUsedOnResult(sf, name) : undefined;
}

/** Whether `f` is known to call back one value at most: a known fs/dns/zlib… method, an fs-like or known package function. */
function singleValued(b: ModuleBindings, f: ts.Expression): boolean {
  if (ts.isPropertyAccessExpression(f) && ts.isIdentifier(f.expression)) {
    const mod = b.core.get(f.expression.text);
    const m = f.name.text;
    if (mod) return standardPromisify(mod, m);
    const arity = fsLikeArity(b, f.expression.text, m) ?? knownPackageCallee(b, f.expression.text, m)?.arity;
    return arity !== undefined && arity <= 2;
  }
  if (ts.isIdentifier(f)) {
    const arity = fsLikeArity(b, f.text) ?? knownPackageCallee(b, f.text)?.arity;
    return arity !== undefined && arity <= 2;
  }
  return false;
}

/** A core function whose util.promisify form is the standard one (no custom form: not fs.exists, exec, dns.lookup…). */
function standardPromisify(mod: string, m: string): boolean {
  return (
    (mod === "fs" && FS_METHODS.has(m)) ||
    (mod === "dns" && DNS_METHODS.has(m)) ||
    (PROMISIFY_METHODS[mod]?.has(m) === true && m !== "generateKeyPair")
  );
}

/**
 * The conversion of a Q node call, a Refusal, or undefined when `call` is not one. `idiomatic`: the profile
 * accepts the assumptions above (under `--assume none` every such call is refused: Q's timing never holds).
 * @internal
 */
export function convertQNodeCall(
  sf: ts.SourceFile,
  call: ts.CallExpression,
  b: ModuleBindings,
  imports: Imports,
  idiomatic: boolean,
): QNodeCallConversion | Refusal | undefined {
  const method = qMethod(call, b);
  if (!method) return undefined;
  const label = `Q.${method}`;
  const args = call.arguments;
  if (args.some(ts.isSpreadElement)) return new Refusal("LIBRARY_NODE_CALL", `${label} with spread arguments`);
  const text = (e: ts.Expression) => e.getText(sf);
  const isBind = method === "denodeify" || method === "nfbind";
  const invokes = method === "ninvoke" || method === "npost";
  const want = { nfcall: [1, 99], nfapply: [2, 2], ninvoke: [2, 99], npost: [3, 3], denodeify: [1, 1], nfbind: [1, 1] }[
    method
  ]!;
  if (args.length < want[0]! || args.length > want[1]!)
    return new Refusal("LIBRARY_NODE_CALL", `${label} with ${args.length} arguments (bound arguments, or none)`);
  // The function called: `f`, or `obj.m` for ninvoke/npost (a string literal name).
  let f: ts.Expression;
  let receiver: string | undefined;
  if (invokes) {
    const [obj, name] = [skipParens(args[0]!), args[1]!];
    if (!ts.isStringLiteralLike(name) || !/^[A-Za-z_$][\w$]*$/.test(name.text) || !plainChain(obj))
      return new Refusal("LIBRARY_NODE_CALL", `${label}(${text(args[0]!)}, ${text(name)}, …)`);
    receiver = text(obj);
    f = ts.factory.createPropertyAccessExpression(obj, name.text);
  } else f = skipParens(args[0]!);
  // nfapply/npost take an array: a literal one's elements are the arguments, anything else is spread.
  const listed = args.slice(invokes ? 2 : 1);
  const list = method === "nfapply" || method === "npost" ? skipParens(listed[0]!) : undefined;
  const literal =
    list !== undefined &&
    ts.isArrayLiteralExpression(list) &&
    !list.elements.some((e) => ts.isSpreadElement(e) || ts.isOmittedExpression(e));
  const rest: readonly ts.Expression[] = literal ? (list as ts.ArrayLiteralExpression).elements : listed;
  const spread = list !== undefined && !literal;
  const argsText = spread ? `...${text(list)}` : rest.map(text).join(", ");
  const libMethod = libraryMethodOnValue(sf, call, isBind);
  if (libMethod) return new Refusal("NON_NATIVE_PROMISE", `${label}(…) then .${libMethod}`);
  if (!idiomatic) return new Refusal("LIBRARY_NODE_CALL", `${label}: Q calls the function on a later tick`);
  const fText = invokes ? `${receiver}.${(args[1] as ts.StringLiteral).text}` : text(f);
  const core =
    ts.isPropertyAccessExpression(f) && ts.isIdentifier(f.expression) ? b.core.get(f.expression.text) : undefined;
  const m = ts.isPropertyAccessExpression(f) ? f.name.text : undefined;
  if (core && m && !standardPromisify(core, m))
    return new Refusal("NO_PROMISE_API", `${core}.${m} (several callback values, or its own promisified form)`);
  const assumptions = new Set<AssumptionName>(["CALL_STARTS_AT_ONCE"]);
  if (!singleValued(b, f)) assumptions.add("CALLBACK_SINGLE_VALUE");
  // Awaited on the spot, the Q promise reached nothing else.
  if (isBind || !ts.isAwaitExpression(skipParensUp(call).parent)) assumptions.add("LIBRARY_PROMISE_BECOMES_NATIVE");
  let expr: string;
  // A core method called with its arguments written out: its promise API (fs.promises.readFile), as node-apis does.
  const plan =
    !isBind && !spread && core && m
      ? nodeAwaitable(b, ((f as ts.PropertyAccessExpression).expression as ts.Identifier).text, m, argsText, imports, {
          arg: rest[0],
          idiomatic,
        })
      : undefined;
  if (plan && plan.maxValues === 1) {
    expr = plan.expr;
    if (plan.assumes) assumptions.add(plan.assumes);
  } else if (isBind) expr = `${imports.binding("node:util", "promisify")}(${fText})`;
  else if (invokes)
    expr = `${imports.binding("node:util", "promisify")}(${fText}).call(${receiver}${argsText ? `, ${argsText}` : ""})`;
  else expr = `${imports.binding("node:util", "promisify")}(${fText})(${argsText})`;
  return {
    edit: { start: call.getStart(sf), end: call.getEnd(), text: expr },
    label,
    assumptions: [...assumptions].sort(),
  };
}

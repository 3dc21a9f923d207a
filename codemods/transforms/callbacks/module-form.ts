// The whole-module output's decisions: which converted functions become plain async functions (every use a
// direct await, an export, or — with --api promise — a callback caller), and which exports a file ends up with.
import { ts } from "ts-morph";
import { isPropertyName, skipParens, usesThisOrArguments } from "../../core.js";
import {
  type Candidate,
  isCandidate,
  isConvertedWrapper,
  localNameOf,
  exportNamesOf,
  exportTarget,
} from "./candidates.js";
import { callbackOnlyStatements } from "./callback-checks.js";
import { isCallTo } from "./predicates.js";

/**
 * True when the callback is only ever called or handed on as a call's last argument (never tested or stored),
 * and `arguments` is unused; the shuffle letting it take an optional argument's place aside, and the checks
 * that it was passed when only the file calls the function (callback-checks.ts: they go with it).
 */
export function onlyCallsCallback(c: Candidate): boolean {
  const body = c.fn.body as ts.Block;
  if (usesThisOrArguments(body).usesArguments) return false;
  const obsolete = new Set<ts.Node>(callbackOnlyStatements(c.fn.getSourceFile(), c.fn, c.cbName, c.localName));
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok || obsolete.has(n)) return;
    // A nested function's own parameter of that name (du's `function (f, callback) {…}`) is another binding.
    if (ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === c.cbName)) return;
    if (ts.isIdentifier(n) && n.text === c.cbName) {
      const p = n.parent;
      const called = ts.isCallExpression(p) && p.expression === n;
      const passed = ts.isCallExpression(p) && p.arguments[p.arguments.length - 1] === n;
      if (!called && !passed) ok = false;
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return ok;
}

/**
 * For the whole-module output: the export references of a converted top-level function declaration
 * whose every other use is a call awaited directly by a conversion of this pass; undefined when some
 * use is anything else (a callback caller, a value passed on, an ES export), which keeps the dual form.
 */
export function plainAsyncRefs(
  sf: ts.SourceFile,
  c: Candidate,
  decls: Map<string, number>,
  awaited: ReadonlySet<ts.CallExpression>,
  /** --api promise: calls that pass a callback, outside the code being converted, are collected here. */
  promiseApi?: { calls: ts.CallExpression[]; insideEmitted: (n: ts.Node) => boolean },
): ts.Identifier[] | undefined {
  const fn = c.fn;
  const name = c.localName;
  if (!ts.isFunctionDeclaration(fn) || fn.parent !== sf || !name || decls.get(name) !== 1) return undefined;
  // `export function f` (an ES module export) becomes `export async function f` only with --api promise: the
  // dual form is what keeps its callback surface otherwise.
  const esmExport = !!promiseApi && isPlainEsmExport(fn);
  if ((fn.modifiers?.length && !esmExport) || fn.asteriskToken || !onlyCallsCallback(c)) return undefined;
  if (fn.parameters.some((p) => p.dotDotDotToken)) return undefined;
  const refs: ts.Identifier[] = [];
  // `f.sync = fSync` at the top level: a property of the export (see below).
  const props: ts.Identifier[] = [];
  let ok = true;
  const topLevelExport = (b: ts.Node): boolean =>
    ts.isBinaryExpression(b) &&
    b.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    exportTarget(b.left) !== undefined &&
    ts.isExpressionStatement(b.parent) &&
    b.parent.parent === sf;
  // Each identifier named like the function, from one walk of the file (a walk per function was
  // quadratic in the file's size).
  for (const n of identifiersNamed(sf, name)) {
    if (!ok) break;
    if (n !== fn.name) {
      const p = n.parent;
      if (isPropertyName(n)) continue;
      if (ts.isCallExpression(p) && p.expression === n && awaited.has(p)) continue;
      // `export { f }` under --api promise: the export is the async function itself.
      if (promiseApi && ts.isExportSpecifier(p) && !p.isTypeOnly && !p.parent.parent.isTypeOnly) continue;
      if (
        promiseApi &&
        ts.isCallExpression(p) &&
        p.expression === n &&
        p.arguments.length >= fn.parameters.length &&
        !p.arguments.some(ts.isSpreadElement) &&
        !promiseApi.insideEmitted(p)
      ) {
        promiseApi.calls.push(p);
        continue;
      }
      const inExportObject = (o: ts.Node): boolean =>
        ts.isObjectLiteralExpression(o) &&
        topLevelExport(o.parent) &&
        exportTarget((o.parent as ts.BinaryExpression).left) === "module.exports";
      const exported =
        (ts.isShorthandPropertyAssignment(p) && inExportObject(p.parent)) ||
        (ts.isPropertyAssignment(p) && p.initializer === n && inExportObject(p.parent)) ||
        (ts.isBinaryExpression(p) && p.right === n && topLevelExport(p));
      if (exported) refs.push(n);
      else if (isTopLevelPropertyAssignment(sf, n)) props.push(n);
      else ok = false;
    }
  }
  if (!ok) return undefined;
  if (!props.length) return refs;
  // `module.exports = f; f.sync = fSync`: the property goes on the export (`module.exports.sync = fSync`),
  // which is the dualApi shim; only after that one `X = f` export, when nothing else reads f's properties.
  const only = refs.length === 1 ? refs[0].parent : undefined;
  if (!only || !ts.isBinaryExpression(only) || only.right !== refs[0] || !topLevelExport(only)) return undefined;
  if (props.some((n) => n.pos < only.end)) return undefined;
  return [...refs, ...props];
}

/** `f.name = value;` as a statement of the file: n is `f`, the name not one of a function's own. */
function isTopLevelPropertyAssignment(sf: ts.SourceFile, n: ts.Identifier): boolean {
  const access = n.parent;
  if (!ts.isPropertyAccessExpression(access) || access.expression !== n) return false;
  if (["prototype", "length", "name", "call", "apply", "bind"].includes(access.name.text)) return false;
  const assign = access.parent;
  return (
    ts.isBinaryExpression(assign) &&
    assign.left === access &&
    assign.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isExpressionStatement(assign.parent) &&
    assign.parent.parent === sf
  );
}

/** Whether an export reference of plainAsyncRefs is `f` in `f.name = value` (it becomes the export's target). */
export function isExportPropertyRef(n: ts.Identifier): boolean {
  return ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n;
}

/**
 * For the whole-module output: the top-level assignment `X.m = function (…, cb) {…}` (an export,
 * `module.exports = …`, `exports.f = …`, or a method, `Store.prototype.load = …`) of a converted function
 * expression that only calls its callback and never names itself, which becomes
 * `X.m = dualApi(async function (…) {…})` (dualApi keeps `this`); undefined otherwise (it keeps the dual form).
 */
export function exportedExpression(sf: ts.SourceFile, c: Candidate): ts.BinaryExpression | undefined {
  const fn = c.fn;
  if (!ts.isFunctionExpression(fn) || fn.asteriskToken || fn.modifiers?.length) return undefined;
  const assign = fn.parent;
  if (
    !ts.isBinaryExpression(assign) ||
    assign.right !== fn ||
    assign.operatorToken.kind !== ts.SyntaxKind.EqualsToken ||
    !ts.isPropertyAccessExpression(assign.left) ||
    !ts.isExpressionStatement(assign.parent) ||
    assign.parent.parent !== sf
  )
    return undefined;
  if (fn.parameters.some((p) => p.dotDotDotToken) || !onlyCallsCallback(c)) return undefined;
  // A recursive call by the expression's own name would reach the async function with a callback.
  const own = fn.name?.text;
  if (own && identifiersNamed(sf, own).some((n) => n !== fn.name && n.pos >= fn.pos && n.end <= fn.end))
    return undefined;
  return assign;
}

const identifierIndex = new WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>();
/** The file's identifiers with this text, in source order (indexed once per parsed file). */
function identifiersNamed(sf: ts.SourceFile, name: string): readonly ts.Identifier[] {
  let index = identifierIndex.get(sf);
  if (!index) {
    const byName = new Map<string, ts.Identifier[]>();
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        const list = byName.get(n.text);
        if (list) list.push(n);
        else byName.set(n.text, [n]);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    identifierIndex.set(sf, byName);
    index = byName;
  }
  return index.get(name) ?? [];
}

/** After a shebang and leading "use strict" directives. */
export function firstStatementInsertPos(sf: ts.SourceFile): number {
  let pos = 0;
  if (sf.text.startsWith("#!")) pos = sf.text.indexOf("\n") + 1;
  for (const s of sf.statements) {
    if (ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression))
      pos = s.end + (sf.text[s.end] === "\n" ? 1 : 0);
    else break;
  }
  return pos;
}

/** Export names of the functions a pass converts (for other files' call sites). */
export function convertedExports(sf: ts.SourceFile): Set<string> {
  const out = new Set<string>();
  const asyncDecls = new Set(
    sf.statements.flatMap((st) =>
      ts.isFunctionDeclaration(st) && st.name && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)
        ? [st.name.text]
        : [],
    ),
  );
  const isAsyncDeclName = (e: ts.Expression): boolean =>
    ts.isIdentifier(skipParens(e)) && asyncDecls.has((skipParens(e) as ts.Identifier).text);
  // Whole-module output: `module.exports = { f: dualApi(f) }`, `exports.f = dualApi(f)`. Such an
  // export returns its promise when called without a callback: `direct:f` says it may be awaited directly.
  const isShim = (e: ts.Expression | undefined): boolean =>
    !!e &&
    ts.isCallExpression(skipParens(e)) &&
    isCallTo(skipParens(e), "dualApi") &&
    (skipParens(e) as ts.CallExpression).arguments.length === 1 &&
    isShimmed((skipParens(e) as ts.CallExpression).arguments[0]);
  // `dualApi(f)`, or `dualApi(async function (…) {…})` (an exported function expression).
  const isShimmed = (a: ts.Expression): boolean =>
    ts.isIdentifier(a) ||
    (ts.isFunctionExpression(a) && !!a.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword));
  for (const st of sf.statements) {
    // `export async function f` (--api promise's ES module output, or written so): awaited directly.
    if (
      ts.isFunctionDeclaration(st) &&
      st.name &&
      st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
      st.modifiers.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) &&
      !st.asteriskToken
    ) {
      const name = st.modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ? "default" : st.name.text;
      out.add(name).add(`direct:${name}`).add(`promise:${name}`);
    }
    // `export { f, f as g }` of an async function (--api promise): awaited directly too.
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && !st.isTypeOnly && st.exportClause)
      if (ts.isNamedExports(st.exportClause))
        for (const e of st.exportClause.elements)
          if (!e.isTypeOnly && asyncDecls.has((e.propertyName ?? e.name).text))
            out.add(e.name.text).add(`direct:${e.name.text}`).add(`promise:${e.name.text}`);
    if (!ts.isExpressionStatement(st) || !ts.isBinaryExpression(st.expression)) continue;
    const b = st.expression;
    if (b.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
    const target = exportTarget(b.left);
    if (!target) continue;
    const right = skipParens(b.right);
    if (isShim(right)) out.add(target).add(`direct:${target}`);
    // --api promise: the async function itself is exported (promise-only, awaited directly).
    if (isAsyncDeclName(right)) out.add(target).add(`direct:${target}`).add(`promise:${target}`);
    if (target === "module.exports" && ts.isObjectLiteralExpression(right))
      for (const p of right.properties) {
        const value = ts.isShorthandPropertyAssignment(p)
          ? p.name
          : ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
            ? p.initializer
            : undefined;
        if (value && isAsyncDeclName(value)) {
          const name = (p.name as ts.Identifier).text;
          out.add(name).add(`direct:${name}`).add(`promise:${name}`);
        }
      }
    if (target === "module.exports" && ts.isObjectLiteralExpression(right))
      for (const p of right.properties)
        if (
          ts.isPropertyAssignment(p) &&
          (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) &&
          isShim(p.initializer)
        )
          out.add(p.name.text).add(`direct:${p.name.text}`);
  }
  const visit = (n: ts.Node): void => {
    if (isCandidate(n) && isConvertedWrapper(n)) for (const e of exportNamesOf(sf, n, localNameOf(n))) out.add(e);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** `export function f` or `export default function f`: only export modifiers. */
function isPlainEsmExport(fn: ts.FunctionDeclaration): boolean {
  const mods = fn.modifiers ?? [];
  return (
    mods.length > 0 &&
    mods.every((m) => m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword)
  );
}

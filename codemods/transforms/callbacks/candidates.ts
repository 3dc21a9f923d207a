// Which functions the callbacks transform considers: a candidate's shape (a last parameter named like a
// callback), the names and export names it goes by in its file, and the file's declared and used names.
import { ts } from "ts-morph";
import { bindsName, boundNamesUsed, isNullish, skipParens } from "../../core.js";
import { Refusal } from "../../reasons.js";
import { DUAL_HELPER, START_HELPER } from "./helpers.js";
import { isCallTo, ERROR_PARAM, containsNode } from "./predicates.js";

/** Names that mark a last parameter as a callback. */
export const CALLBACK_NAMES = new Set(["cb", "callback", "done", "cb_", "callback_", "cback"]);

/** A function-like node the transform can convert. @internal */
export type FnLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

export interface Candidate {
  fn: FnLike;
  cbName: string;
  /** The name callers use for it in this file (undefined: only reachable another way). */
  localName?: string;
  label: string;
}

export function isCandidate(n: ts.Node): n is FnLike {
  return (
    (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) &&
    n.body !== undefined &&
    ts.isBlock(n.body) &&
    n.parameters.length > 0
  );
}

export function lastParamName(fn: FnLike): string | undefined {
  const p = fn.parameters[fn.parameters.length - 1];
  return ts.isIdentifier(p.name) ? p.name.text : undefined;
}

/** The already-converted wrapper shape: `{ …prologue; return __asyncioDual(cb, async () => …) }`. */
export function isConvertedWrapper(fn: FnLike): boolean {
  const body = fn.body as ts.Block;
  // The wrapper ends with `return __asyncioDual(cb, async () => …)` (after the kept prologue).
  const s = body.statements[body.statements.length - 1];
  if (!s) return false;
  return (
    ts.isReturnStatement(s) &&
    s.expression !== undefined &&
    ts.isCallExpression(s.expression) &&
    ts.isIdentifier(s.expression.expression) &&
    (s.expression.expression.text === DUAL_HELPER || s.expression.expression.text === "dualApi")
  );
}

/**
 * The dispatcher a dual-mode split leaves (dual-mode.ts): `{ [shuffle;] return cb ? callbackify(fAsync)(…, cb) :
 * fSync(…) }`. It is no site of its own: its two modes are the specialisations.
 */
export function isDualModeDispatcher(fn: FnLike): boolean {
  const body = fn.body;
  if (!body || !ts.isBlock(body)) return false;
  const s = body.statements[body.statements.length - 1];
  if (!s || !ts.isReturnStatement(s) || !s.expression || !ts.isConditionalExpression(s.expression)) return false;
  const cb = fn.parameters[fn.parameters.length - 1]?.name;
  const mode = s.expression.whenTrue;
  if (
    !cb ||
    !ts.isIdentifier(cb) ||
    !ts.isIdentifier(s.expression.condition) ||
    s.expression.condition.text !== cb.text
  )
    return false;
  if (!ts.isCallExpression(mode) || !ts.isCallExpression(mode.expression)) return false;
  const wrap = mode.expression.expression;
  const name = ts.isPropertyAccessExpression(wrap) ? wrap.name.text : ts.isIdentifier(wrap) ? wrap.text : "";
  const last = mode.arguments[mode.arguments.length - 1];
  return /^callbackify\d*$/.test(name) && !!last && ts.isIdentifier(last) && last.text === cb.text;
}

/** Name by which a function node is called in its file, if it has a single obvious one. */
export function localNameOf(fn: FnLike): string | undefined {
  if (ts.isFunctionDeclaration(fn)) return fn.name?.text;
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) && p.initializer === fn) return p.name.text;
  return undefined;
}

/** Export names under which a module exposes a binding or node. */
export function exportNamesOf(sf: ts.SourceFile, fn: FnLike, localName: string | undefined): string[] {
  const names: string[] = [];
  const p = fn.parent;
  // module.exports = function…, exports.x = function…
  if (p && ts.isBinaryExpression(p) && p.right === fn && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const t = exportTarget(p.left);
    if (t) names.push(t);
  }
  if (ts.isFunctionDeclaration(fn) && fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
    names.push(
      fn.modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) ? "default" : (localName ?? "default"),
    );
  }
  if (localName) {
    for (const st of sf.statements) {
      if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression)) {
        const b = st.expression;
        if (
          b.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          ts.isIdentifier(skipParens(b.right)) &&
          (skipParens(b.right) as ts.Identifier).text === localName
        ) {
          const t = exportTarget(b.left);
          if (t) names.push(t);
        }
        // module.exports = { name, alias: name }
        const right = skipParens(b.right);
        if (
          b.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          exportTarget(b.left) === "module.exports" &&
          ts.isObjectLiteralExpression(right)
        ) {
          for (const p of right.properties) {
            if (ts.isShorthandPropertyAssignment(p) && p.name.text === localName) names.push(localName);
            if (
              ts.isPropertyAssignment(p) &&
              ts.isIdentifier(skipParens(p.initializer)) &&
              (skipParens(p.initializer) as ts.Identifier).text === localName &&
              (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
            )
              names.push(p.name.text);
          }
        }
      }
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause) && !st.moduleSpecifier) {
        for (const el of st.exportClause.elements) {
          if ((el.propertyName ?? el.name).getText(sf) === localName) names.push(el.name.getText(sf));
        }
      }
      if (ts.isVariableStatement(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        for (const d of st.declarationList.declarations)
          if (ts.isIdentifier(d.name) && d.name.text === localName) names.push(localName);
      }
    }
  }
  return names;
}

export function exportTarget(left: ts.Expression): string | undefined {
  const l = skipParens(left);
  if (ts.isPropertyAccessExpression(l)) {
    const obj = l.expression;
    if (ts.isIdentifier(obj) && obj.text === "module" && l.name.text === "exports") return "module.exports";
    if (ts.isIdentifier(obj) && obj.text === "exports") return l.name.text;
    if (
      ts.isPropertyAccessExpression(obj) &&
      ts.isIdentifier(obj.expression) &&
      obj.expression.text === "module" &&
      obj.name.text === "exports"
    )
      return l.name.text;
  }
  return undefined;
}

/**
 * A function the callbacks transform looks at (last parameter named like a callback), for the
 * cross-file resolver. @internal
 */
export function isCallbackFunction(n: ts.Node): n is FnLike {
  if (!isCandidate(n)) return false;
  const cbName = lastParamName(n);
  return cbName !== undefined && (CALLBACK_NAMES.has(cbName) || calledLikeCallback(n, cbName));
}

/**
 * A last parameter with another name (`next`, `fn`, `reply`) is a callback when the function calls it
 * the err-first way: `p(null, …)`, `p(undefined…)`, `p(new Error(…))`, or `p(err)` with `err` the first
 * parameter of an enclosing continuation.
 */
/** Inside one of the helpers this tool adds to a file (`__asyncioDual`, `__asyncioStart`, `dualApi`). */
export function insideAddedHelper(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent)
    if (ts.isFunctionDeclaration(p) && [DUAL_HELPER, START_HELPER, "dualApi"].includes(p.name?.text ?? "")) return true;
  return false;
}

export function calledLikeCallback(fn: FnLike, name: string): boolean {
  // A `new Promise` executor's `reject(err)` is not a callback site; nor is the code this tool adds.
  const p0 = fn.parent;
  if (ts.isNewExpression(p0) && ts.isIdentifier(p0.expression) && p0.expression.text === "Promise") return false;
  if (insideAddedHelper(fn)) return false;
  return containsNode(fn.body!, (n) => {
    if (!isCallTo(n, name) || n.arguments.length === 0) return false;
    const a0 = skipParens(n.arguments[0]);
    if (isNullish(a0) && n.arguments.length <= 2) return true;
    if (ts.isNewExpression(a0) && ts.isIdentifier(a0.expression) && /Error$/.test(a0.expression.text)) return true;
    if (!ts.isIdentifier(a0)) return false;
    for (let p: ts.Node = n.parent; p && p !== fn; p = p.parent)
      if ((ts.isFunctionExpression(p) || ts.isArrowFunction(p)) && p.parameters.length > 0) {
        const first = p.parameters[0].name;
        return ts.isIdentifier(first) && first.text === a0.text && ERROR_PARAM.test(a0.text);
      }
    return false;
  });
}

/**
 * A parameter before the last that is the function's callback (§4: a site even there, never invisible):
 * named like one and called, called the err-first way itself, or through an alias such as mkdirp's
 * `var cb = f || function () {}` that is. Not when the last parameter is a callback itself (named or called
 * like one). @internal
 */
export function earlyCallbackParam(fn: FnLike): string | undefined {
  const last = lastParamName(fn);
  // A last parameter that is a callback makes the function a site of its own.
  if (last && (CALLBACK_NAMES.has(last) || calledLikeCallback(fn, last))) return undefined;
  const early = fn.parameters.slice(0, -1).flatMap((p) => (ts.isIdentifier(p.name) ? [p.name.text] : []));
  for (const name of early) {
    if (CALLBACK_NAMES.has(name) && containsNode(fn.body!, (x) => isCallTo(x, name))) return name;
    if (calledLikeCallback(fn, name)) return name;
  }
  // `var cb = f || function () {}` / `var cb = f`: the alias is called like a callback.
  let found: string | undefined;
  containsNode(fn.body!, (n) => {
    if (!ts.isVariableDeclaration(n) || !ts.isIdentifier(n.name) || !n.initializer) return false;
    let init = skipParens(n.initializer);
    if (ts.isBinaryExpression(init) && init.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      init = skipParens(init.left);
    if (!ts.isIdentifier(init) || !early.includes(init.text)) return false;
    if (!CALLBACK_NAMES.has(n.name.text) && !calledLikeCallback(fn, n.name.text)) return false;
    if (!containsNode(fn.body!, (x) => isCallTo(x, (n.name as ts.Identifier).text))) return false;
    found = init.text;
    return true;
  });
  return found;
}

/** Export names under which its file exposes a function, as {@link convertedExports} names them. @internal */
export function functionExportNames(sf: ts.SourceFile, fn: FnLike): string[] {
  return exportNamesOf(sf, fn, localNameOf(fn));
}

const declarationCountsCache = new WeakMap<ts.Node, Map<string, number>>();

/** Counts declarations of each name in the file (to know whether a plain name call is unambiguous). */
export function declarationCounts(sf: ts.SourceFile): Map<string, number> {
  // The same tree is counted by every candidate of a pass (and the converter counts each body per round).
  const known = declarationCountsCache.get(sf);
  if (known) return known;
  const counts = new Map<string, number>();
  declarationCountsCache.set(sf, counts);
  const add = (n: ts.BindingName | ts.Identifier | undefined): void => {
    if (!n) return;
    // Binding patterns are counted through their BindingElement nodes.
    if (ts.isIdentifier(n)) counts.set(n.text, (counts.get(n.text) ?? 0) + 1);
  };
  const visit = (n: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(n) ||
      ts.isFunctionExpression(n) ||
      ts.isClassDeclaration(n) ||
      ts.isClassExpression(n)
    )
      add(n.name);
    if (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) add(n.name);
    if (ts.isImportClause(n)) add(n.name);
    if (ts.isImportSpecifier(n) || ts.isNamespaceImport(n)) add(n.name);
    if (ts.isCatchClause(n) && n.variableDeclaration) add(n.variableDeclaration.name);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return counts;
}

/**
 * Whether body declares name other than as a parameter of a nested function: a nested
 * function's parameter only shadows the callback inside that function, which the converter
 * tells apart; any other declaration (a `var`, an inner function, a catch binding) replaces it.
 */
export function redeclaresOutsideInnerParameters(body: ts.Node, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isParameter(n)) {
      // Its default value may still declare something (a function with its own parameters).
      if (n.initializer) visit(n.initializer);
      return;
    }
    const declared =
      ((ts.isFunctionDeclaration(n) ||
        ts.isFunctionExpression(n) ||
        ts.isClassDeclaration(n) ||
        ts.isClassExpression(n)) &&
        n.name?.text === name) ||
      ((ts.isVariableDeclaration(n) || ts.isBindingElement(n)) && ts.isIdentifier(n.name) && n.name.text === name) ||
      (ts.isCatchClause(n) && !!n.variableDeclaration && bindsName(n.variableDeclaration, name));
    if (declared) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/**
 * The names bound anywhere in a file, computed once per parsed file (the analysis never changes
 * the tree: it records text edits). Walking the file again for every converted function made a
 * pass quadratic in the file's size.
 */
const fileNamesCache = new WeakMap<ts.SourceFile, ReadonlySet<string>>();
export function fileNames(sf: ts.SourceFile): ReadonlySet<string> {
  let names = fileNamesCache.get(sf);
  if (!names) fileNamesCache.set(sf, (names = boundNamesUsed(sf)));
  return names;
}

/** Result type a TypeScript callback type promises: `(err, value: T) => void` gives T. */
export function promisedType(fn: FnLike, sf: ts.SourceFile): string {
  const p = fn.parameters[fn.parameters.length - 1];
  const t = p.type;
  if (!t || !ts.isFunctionTypeNode(t)) throw new Refusal("TS_FORM", "callback parameter has no function type");
  if (t.parameters.length > 2) throw new Refusal("MULTIPLE_RESULTS");
  if (t.parameters.length < 2) return "void";
  const v = t.parameters[1];
  if (!v.type) return "any";
  return v.type.getText(sf);
}

// async.js's sequential collection calls in converted code become loops. `await promisify(async.eachSeries)
// .call(async, coll, iter);` with its iterator converted into the dual form becomes `for (const x of coll) {…}`
// with the iterator's body inlined, and `const r = await promisify(async.mapSeries).call(async, coll, iter);`
// becomes `const r = []; for (const x of coll) {… r.push(value); }`.
//
// Equivalent: eachSeries/mapSeries call the iterator on one element after the other's callback, in order, and stop
// at the first error, which the call reports; a loop awaiting each body does that, and its first throw leaves the
// loop. Each `return value` ends an iteration (mapSeries pushes the value; falling off the end pushes undefined).
// The body moves from the iterator into the loop at the same place, so its free names mean the same; what a
// function body may do and a loop body may not is refused (the call stays promisified): `this`, `arguments`, `var`
// or function declarations (they would belong to the enclosing function), a `return` inside a loop or switch of
// the body (a `continue` there would go to that loop), a variable collection the body mentions (async.js iterates
// the collection as it was; a loop over the array itself would see what the body added). The collection is
// evidently an array, or COLLECTION_IS_ARRAY_LIKE is assumed (recorded on the iterator's site) and the loop goes
// over `Array.from(coll)`.
import { ts } from "ts-morph";
import { assignmentsTo, type Edit, identifierNames, type MigrateOptions } from "../../core.js";
import type { ModuleBindings } from "../node-table.js";
import {
  SERIES_FUNCTIONS,
  loopable,
  dualIterator,
  indentOf,
  iteratorStatements,
  promisifiedAsyncFunction,
} from "./async-collections.js";
import { collectionAccepted } from "./collection-evidence.js";

/**
 * The rewrite of the statement holding an awaited `promisify(async.eachSeries)…` / `…mapSeries…` call as a loop,
 * if it applies: the edit replaces the whole statement.
 */
export function seriesRewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  options: MigrateOptions,
  unit: string,
): { edit: Edit; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  const kind = target && SERIES_FUNCTIONS[target.method];
  if (!kind || target.args.length !== 2 || !ts.isAwaitExpression(call.parent)) return undefined;
  const [coll, iter] = target.args as [ts.Expression, ts.Expression];
  const statement = call.parent.parent;
  let results: string | undefined;
  let head = "";
  if (kind === "each") {
    if (!ts.isExpressionStatement(statement)) return undefined;
  } else {
    // `const r = await …;` / `let r = await …;`, one declaration with a plain name.
    const decl = statement;
    const list = decl.parent;
    const stmt = list?.parent;
    if (!ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || decl.type) return undefined;
    if (
      !ts.isVariableDeclarationList(list) ||
      list.declarations.length !== 1 ||
      !(list.flags & ts.NodeFlags.BlockScoped)
    )
      return undefined;
    if (!stmt || !ts.isVariableStatement(stmt)) return undefined;
    results = decl.name.text;
    head = `${list.flags & ts.NodeFlags.Const ? "const" : "let"} ${results} = [];\n`;
  }
  const host = kind === "each" ? statement : statement.parent.parent;
  const accepted = collectionAccepted(coll, options);
  const d = dualIterator(iter);
  if (!accepted || !d) return undefined;
  const body = d.body;
  const stmts = body.statements;
  if (!loopable(...d.prologue, body)) return undefined;
  // A collection held in a variable must not be changed by the body (async.js iterates it as it was; a loop
  // over the array itself would see what the body pushed). Array.from copies it; a call's result is new.
  const held = accepted === "proven" ? heldIn(coll) : undefined;
  const names = new Set([body, ...d.prologue].flatMap((n) => [...identifierNames(n)]));
  if (held !== undefined && names.has(held)) return undefined;
  if (results !== undefined && names.has(results)) return undefined;
  // Returns: each gives the iteration's value (mapSeries pushes it, eachSeries drops it) and ends it: the last
  // statement's is the loop body's end, another one `{ push; continue; }`. Inside a loop of the body a
  // `continue` would go to that loop: refused.
  const last = stmts[stmts.length - 1];
  const inner: Edit[] = [];
  const give = (value: ts.Expression | undefined): string =>
    results !== undefined
      ? `${results}.push(${value ? value.getText(sf) : "undefined"});`
      : value && !isSideEffectFree(value)
        ? `${value.getText(sf)};`
        : "";
  let ok = true;
  forEachReturn(body, (r, inNestedLoop) => {
    if (inNestedLoop) ok = false;
    else if (r === last) {
      const end = give(r.expression);
      inner.push(
        end
          ? { start: r.getStart(sf), end: r.getEnd(), text: end }
          : { start: r.getFullStart(), end: r.getEnd(), text: "" },
      );
    } else {
      const value = give(r.expression);
      inner.push({ start: r.getStart(sf), end: r.getEnd(), text: value ? `{ ${value} continue; }` : "continue;" });
    }
  });
  if (!ok) return undefined;
  // Falling off the end: the iteration's value is undefined.
  const tail = results !== undefined && !(last && ts.isReturnStatement(last)) ? give(undefined) : "";
  // The loop body: the iterator's statements, re-indented one level under the statement's own indentation.
  const indent = indentOf(sf, host.getStart(sf));
  const statements = iteratorStatements(sf, d, indent + unit, inner);
  const loopBody = tail ? `${statements}\n${indent}${unit}${tail}` : statements;
  const item = d.item.getText(sf);
  const binding = [body, ...d.prologue].some((n) => assignedUnder(n, d.item)) ? "let" : "const";
  const over = accepted === "proven" ? coll.getText(sf) : `Array.from(${coll.getText(sf)})`;
  const text = `${head}${head ? indent : ""}for (${binding} ${item} of ${over}) {\n${loopBody}\n${indent}}`;
  return { edit: { start: host.getStart(sf), end: host.getEnd(), text }, promisify: target.promisify };
}

/** Every `return` of the body (not of nested functions), and whether it sits inside a loop or switch of the body. @internal */
export function forEachReturn(body: ts.Block, f: (r: ts.ReturnStatement, inNestedLoop: boolean) => void): void {
  const visit = (n: ts.Node, inLoop: boolean): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) f(n, inLoop);
    const loop = ts.isIterationStatement(n, false) || ts.isSwitchStatement(n);
    ts.forEachChild(n, (c) => visit(c, inLoop || loop));
  };
  ts.forEachChild(body, (c) => visit(c, false));
}

/** Whether a name the parameter binds is assigned in the body. */
function assignedUnder(body: ts.Node, param: ts.ParameterDeclaration): boolean {
  return [...identifierNames(param.name)].some((name) => assignmentsTo(body, name) > 0);
}

/** The variable a collection expression reads its array from (`list`, `this.list` → undefined: not followed). */
function heldIn(coll: ts.Expression): string | undefined {
  let e = coll;
  while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isParenthesizedExpression(e))
    e = e.expression;
  return ts.isIdentifier(e) && !ts.isCallExpression(coll) ? e.text : undefined;
}

/** A value whose evaluation does nothing (a name, a literal): dropped as a statement. @internal */
export function isSideEffectFree(e: ts.Expression): boolean {
  return (
    ts.isIdentifier(e) ||
    ts.isLiteralExpression(e) ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.NullKeyword
  );
}

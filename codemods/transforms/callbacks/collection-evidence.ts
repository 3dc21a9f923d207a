// What says the collection handed to async.map/each is an array (so that the rewrite as `coll.map(…)` is
// proven), or that it is not array-like (an object or string literal: evidence against COLLECTION_IS_ARRAY_LIKE).
import { ts } from "ts-morph";
import { isIdiomatic } from "../../assumptions.js";
import { assignmentsTo, bindingOf, type MigrateOptions, skipParens } from "../../core.js";

/** `proven` for an evident array, `assumed` under COLLECTION_IS_ARRAY_LIKE, undefined when not rewritten. @internal */
export function collectionAccepted(coll: ts.Expression, options: MigrateOptions): "proven" | "assumed" | undefined {
  if (isEvidentlyArray(coll)) return "proven";
  if (!isIdiomatic(options) || isEvidentlyObject(coll)) return undefined;
  return "assumed";
}

/**
 * An object literal (or `Object.create`/`Object.assign`: async.js iterates its values), a string literal (async.js
 * iterates its UTF-16 units, Array.from its code points), or a variable declared once holding one.
 */
function isEvidentlyObject(e: ts.Expression): boolean {
  e = skipParens(e);
  if (ts.isObjectLiteralExpression(e) || ts.isStringLiteralLike(e) || ts.isTemplateExpression(e)) return true;
  if (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    ts.isIdentifier(e.expression.expression) &&
    e.expression.expression.text === "Object" &&
    ["create", "assign"].includes(e.expression.name.text)
  )
    return true;
  if (ts.isIdentifier(e)) {
    const init = constInitializer(e);
    return init !== undefined && isEvidentlyObject(init);
  }
  return false;
}

/** Methods whose result is an array when called on an array. */
const ARRAY_METHODS = new Set(["map", "filter", "slice", "concat", "flat", "flatMap", "sort", "reverse"]);

/** An expression whose value is an array (or, for `split`, an array of a string's parts). */
export function isEvidentlyArray(e: ts.Expression): boolean {
  e = skipParens(e);
  if (ts.isArrayLiteralExpression(e)) return !e.elements.some(ts.isOmittedExpression); // map skips holes
  if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const obj = e.expression.expression;
    const name = e.expression.name.text;
    if (ts.isIdentifier(obj) && obj.text === "Object" && ["keys", "values", "entries"].includes(name)) return true;
    if (ts.isIdentifier(obj) && obj.text === "Array" && ["from", "of"].includes(name)) return true;
    if (name === "split" || (ARRAY_METHODS.has(name) && isEvidentlyArray(obj))) return true;
  }
  if (ts.isAwaitExpression(e)) return isReaddir(e.expression);
  if (ts.isIdentifier(e)) {
    const init = constInitializer(e);
    return init !== undefined && isEvidentlyArray(init);
  }
  return false;
}

/** `fs.promises.readdir(…)` or `promisify(fs.readdir)(…)` (without `withFileTypes` it is an array of names). */
function isReaddir(e: ts.Expression): boolean {
  if (!ts.isCallExpression(e)) return false;
  const callee = e.expression;
  const named = (x: ts.Expression): boolean =>
    (ts.isPropertyAccessExpression(x) && x.name.text === "readdir") || (ts.isIdentifier(x) && x.text === "readdir");
  if (named(callee)) return true;
  return ts.isCallExpression(callee) && callee.arguments.length === 1 && named(callee.arguments[0]!);
}

/** The initializer of the `const` (or never reassigned `let`/`var`, declared once) an identifier names. @internal */
export function constInitializer(id: ts.Identifier): ts.Expression | undefined {
  const binding = bindingOf(id);
  if (!binding || !ts.isIdentifier(binding.decl.name) || assignmentsTo(binding.scope, id.text) > 0) return undefined;
  return binding.decl.initializer;
}

// Modules handed in as a parameter: `function make (mod, dir, cb) { mod.mkdir(dir, function (err, d) {…}) }`
// (mkfiletree), where every call of `make` in the file passes a module binding there (`make(fs, …)`,
// `make(temp, …)`). Such a `mod.m(…)` calls one of those modules' `m`, each a known err-first function, so it is
// awaited as they are: evidence, not an assumption. `make` must be declared once, never reassigned, and used only
// by direct calls (no export or other escape, where a caller elsewhere could pass anything), and the parameter
// never reassigned.
import { ts } from "ts-morph";
import { assignmentsTo, declaredInFunctionAround, ownDeclarations, parameterOf, referencesTo } from "../../core.js";
import { FS_METHODS, fsArityOf, knownPackageCallee, type ModuleBindings } from "../node-table.js";

/** What the modules' `m` share: their success arity (undefined when it varies), and how sure the rest is. */
export interface ParameterModuleCallee {
  arity: number | undefined;
  /** Some module's function may call back `cb()` (error undefined) on success. */
  successErrorUnknown: boolean;
  /** Some module's function calls back synchronously in an edge case. */
  mayCallBackSync: boolean;
  /** The modules, for the report (`fs|temp`). */
  modules: string[];
}

/** The name the file calls a function by: `function f`, or `var f = function …` (declared once). */
function nameOf(fn: ts.SignatureDeclaration): ts.Identifier | undefined {
  if (ts.isFunctionDeclaration(fn)) return fn.name;
  const p = fn.parent;
  if ((ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name))
    return p.name;
  return undefined;
}

/** Whether `id` names the file's top-level binding (no function around it declares the same name). */
const isTopLevel = (id: ts.Identifier): boolean => !declaredInFunctionAround(id, id.text);

/** The success arity of module `mod`'s `m` when it is a known err-first function; `null` when it is not one. */
function moduleFunction(
  b: ModuleBindings,
  mod: string,
  m: string,
): { arity: number | undefined; successErrorUnknown: boolean; mayCallBackSync: boolean } | null {
  const spec = b.requires.get(mod);
  if (!spec || spec.member !== undefined) return null;
  if (spec.module.replace(/^node:/, "") === "fs" || spec.module === "graceful-fs")
    return FS_METHODS.has(m) ? { arity: fsArityOf(m), successErrorUnknown: false, mayCallBackSync: false } : null;
  const pkg = knownPackageCallee(b, mod, m);
  return pkg ?? null;
}

/** Memo of {@link modulesPassedAt}, per function and parameter index (one walk of the file each). */
const passedMemo = new WeakMap<ts.SignatureDeclaration, Map<number, ReadonlySet<string> | undefined>>();

/** The module bindings every call of `fn` in the file passes as its parameter `index`, when that is all it is used for. */
function modulesPassedAt(
  sf: ts.SourceFile,
  fn: ts.SignatureDeclaration,
  index: number,
): ReadonlySet<string> | undefined {
  let byIndex = passedMemo.get(fn);
  if (!byIndex) passedMemo.set(fn, (byIndex = new Map()));
  if (byIndex.has(index)) return byIndex.get(index);
  const found = computeModulesPassedAt(sf, fn, index);
  byIndex.set(index, found);
  return found;
}

function computeModulesPassedAt(
  sf: ts.SourceFile,
  fn: ts.SignatureDeclaration,
  index: number,
): Set<string> | undefined {
  const p = fn.parameters[index]!;
  if (!ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken) return undefined;
  if (assignmentsTo(fn, p.name.text) > 0) return undefined;
  const name = nameOf(fn);
  if (!name || !isTopLevel(name) || assignmentsTo(sf, name.text) > 0) return undefined;
  if ((ownDeclarations(sf).get(name.text)?.length ?? 0) !== 1) return undefined;
  const found = new Set<string>();
  for (const id of referencesTo(sf, name.text)) {
    if (id === name) continue;
    const call = id.parent;
    if (!ts.isCallExpression(call) || call.expression !== id || !isTopLevel(id)) return undefined;
    const args = call.arguments;
    if (args.slice(0, index + 1).some(ts.isSpreadElement)) return undefined;
    const arg = args[index];
    if (!arg || !ts.isIdentifier(arg) || !isTopLevel(arg)) return undefined;
    found.add(arg.text);
  }
  return found.size ? found : undefined;
}

/**
 * `p.m(…)` with `p` a parameter bound, at every call of its function in the file, to a module whose `m` is a
 * known err-first function: what those functions share. Undefined otherwise. @internal
 */
export function parameterModuleCallee(
  sf: ts.SourceFile,
  b: ModuleBindings,
  callee: ts.PropertyAccessExpression,
): ParameterModuleCallee | undefined {
  if (!ts.isIdentifier(callee.expression)) return undefined;
  const param = parameterOf(callee.expression);
  if (!param) return undefined;
  const { fn, index } = param;
  const found = modulesPassedAt(sf, fn, index);
  if (!found) return undefined;
  const m = callee.name.text;
  const fns = [...found].map((mod) => moduleFunction(b, mod, m));
  if (fns.some((f) => f === null)) return undefined;
  const known = fns as NonNullable<(typeof fns)[number]>[];
  const arities = new Set(known.map((f) => f.arity));
  return {
    arity: arities.size === 1 ? [...arities][0] : undefined,
    successErrorUnknown: known.some((f) => f.successErrorUnknown),
    mayCallBackSync: known.some((f) => f.mayCallBackSync),
    modules: [...found].sort(),
  };
}

// The emission of one converted function (the callbacks pass decided it converts): its new text and its
// site. Two forms: the whole-module one (a plain `async function`, an export wrapped as `dualApi(f)`, or with
// `--api promise` the async function itself) and the dual form (`return __asyncioDual(cb, async () => …)`),
// kept where callers in unconverted code may still hand it a callback.
import { ts } from "ts-morph";
import { indentAt, type PassResult, shiftIndent } from "../../core.js";
import { type AssumptionName, sortedAssumptions } from "../../assumptions.js";
import type { Imports } from "../node-table.js";
import type { Candidate } from "./candidates.js";
import { promisedType } from "./candidates.js";
import { callbackOnlyStatements, optionsShuffle, prologueWithout } from "./callback-checks.js";
import { DUAL_HELPER } from "./helpers.js";
import { isExportPropertyRef, onlyCallsCallback } from "./module-form.js";

/** What the pass decided for the file, as the emission reads it. @internal */
export interface EmitContext {
  sf: ts.SourceFile;
  result: PassResult;
  idiomatic: boolean;
  /** A TypeScript file. */
  ts: boolean;
  /** `--api promise`. */
  promiseApi: boolean;
  unit: string;
  imports: Imports;
  decls: ReadonlyMap<string, number>;
  /** The whole-module form's functions, with the references that export them. */
  moduleMode: ReadonlyMap<Candidate, ts.Identifier[]>;
  /** Exported function expressions, wrapped as `dualApi(async function …)`. */
  wrappedExports: ReadonlySet<Candidate>;
  assumed: ReadonlyMap<Candidate, ReadonlySet<AssumptionName>>;
  arities: ReadonlyMap<Candidate, number>;
  /** --api promise: the calls in the file that still pass the function a callback. */
  callbackCalls: ReadonlyMap<Candidate, ts.CallExpression[]>;
}

/** What both forms read of the function being emitted. */
interface Emitted {
  fn: Candidate["fn"];
  body: ts.Block;
  pos: number;
  inner: string;
  closeIndent: string;
  restText: string;
  shuffle: ReturnType<typeof optionsShuffle>;
  /** The prologue without the callback checks that go (and the shuffle, when `removeShuffle`). */
  withoutChecks: (prologue: string, removeShuffle: boolean) => string;
}

/** Pushes the edits and the converted site of `c`, from its analysed parts. @internal */
export function emitConversion(
  ex: EmitContext,
  c: Candidate,
  parts: { prologue: string; rest: string; startDecl?: string },
): void {
  const { sf, idiomatic, decls, moduleMode } = ex;
  const pos = c.fn.getStart(sf);
  const fn = c.fn;
  const body = fn.body as ts.Block;
  const closeIndent = indentAt(sf.text, body.end - 1);
  const inner = indentAt(sf.text, body.statements[0].getStart(sf));
  const restText = parts.rest.replace(/\s*$/, "");
  const exportRefs = moduleMode.get(c);
  // Called without its callback (a plain async function, or awaited directly in the file): its optional argument
  // gets the value the callback's shuffle gave it, and the checks that one was passed go when only the file
  // calls it (callback-checks.ts).
  const direct = !!exportRefs || (idiomatic && !!c.localName && decls.get(c.localName) === 1 && onlyCallsCallback(c));
  const shuffle = direct ? optionsShuffle(fn, c.cbName) : undefined;
  const checks = direct
    ? callbackOnlyStatements(sf, fn, c.cbName, c.localName).filter((st) => st !== shuffle?.statement)
    : [];
  const withoutChecks = (prologue: string, removeShuffle: boolean): string =>
    prologueWithout(sf, prologue, removeShuffle && shuffle ? [shuffle.statement, ...checks] : checks);
  const e: Emitted = { fn, body, pos, inner, closeIndent, restText, shuffle, withoutChecks };
  if (exportRefs) emitModuleForm(ex, c, parts, e, exportRefs);
  else emitDualForm(ex, c, parts, e);
}

/** The whole-module form: `async function f`, `dualApi(async function …)`, the exports shimmed. */
function emitModuleForm(
  ex: EmitContext,
  c: Candidate,
  parts: { prologue: string; rest: string; startDecl?: string },
  { fn, body, pos, inner, closeIndent, restText, shuffle, withoutChecks }: Emitted,
  exportRefs: ts.Identifier[],
): void {
  const { sf, result, ts: ts_, promiseApi, imports, wrappedExports, assumed, arities, callbackCalls } = ex;
  const used = new Set(assumed.get(c) ?? []);
  const wrapped = wrappedExports.has(c);
  const exported = exportRefs.length > 0 || wrapped;
  if (shuffle) used.add("OPTIONS_DEFAULTED");
  // The prologue's checks now run inside the async function: their throws reject.
  if (parts.prologue.trim() !== "" || parts.startDecl) used.add("SYNC_THROW_BECOMES_REJECTION");
  // dualApi calls back `cb(null, value)`, where the original may have called `cb()` or `cb(null)`.
  const arity = arities.get(c) ?? 2;
  if (exported && arity === 0) used.add("NULL_UNDEFINED_SUCCESS");
  if (exported && arity < 2) used.add("CALLBACK_ARITY");
  const startLine = parts.startDecl ? `${parts.startDecl}\n${inner}` : "";
  const prologue = withoutChecks(parts.prologue, true);
  const newBody = `{${prologue || `\n${inner}`}${startLine}${restText}\n${closeIndent}}`;
  const ps = fn.parameters;
  const cbParam = ps[ps.length - 1];
  // Before `function` (after `export` / `export default`).
  const at = fn.modifiers?.length ? fn.modifiers[fn.modifiers.length - 1].end + 1 : fn.getStart(sf);
  result.edits.push({ start: at, end: at, text: wrapped ? "dualApi(async " : "async " });
  result.edits.push({
    start: ps.length > 1 ? ps[ps.length - 2].end : cbParam.getStart(sf),
    end: cbParam.end,
    text: shuffle ? ` = ${shuffle.defaultText}` : "",
  });
  if (ts_) {
    // `): void` (or no annotation) becomes `): Promise<T>`, T from the callback's value type.
    const promised = `Promise<${promisedType(fn, sf)}>`;
    if (fn.type) result.edits.push({ start: fn.type.getStart(sf), end: fn.type.end, text: promised });
    else {
      const close = sf.text.indexOf(")", cbParam.end);
      result.edits.push({ start: close + 1, end: close + 1, text: `: ${promised}` });
    }
  }
  result.edits.push({ start: body.getStart(sf), end: body.end, text: wrapped ? `${newBody})` : newBody });
  if (promiseApi) {
    // The exports are the async function itself; a caller passing a callback goes through callbackify.
    const calls = callbackCalls.get(c) ?? [];
    if (calls.length && arity === 0) used.add("NULL_UNDEFINED_SUCCESS");
    if (calls.length && arity < 2) used.add("CALLBACK_ARITY");
    if (!calls.length) {
      used.delete("NULL_UNDEFINED_SUCCESS");
      used.delete("CALLBACK_ARITY");
    }
    const callbackify = calls.length ? imports.binding("node:util", "callbackify") : "";
    for (const call of calls)
      result.edits.push({
        start: call.expression.getStart(sf),
        end: call.expression.end,
        text: `${callbackify}(${call.expression.getText(sf)})`,
      });
  }
  // `dualApi(f)` takes a trailing function past f.length, which stops at the optional argument's default.
  const shim = `dualApi(${c.localName})`;
  const exportAt = exportRefs.find((r) => !isExportPropertyRef(r))?.parent;
  for (const ref of promiseApi ? [] : exportRefs) {
    // `f.sync = fSync` after `module.exports = f`: `module.exports.sync = fSync`.
    if (isExportPropertyRef(ref) && exportAt && ts.isBinaryExpression(exportAt))
      result.edits.push({ start: ref.getStart(sf), end: ref.end, text: exportAt.left.getText(sf) });
    else if (ts.isShorthandPropertyAssignment(ref.parent))
      result.edits.push({ start: ref.getStart(sf), end: ref.end, text: `${ref.text}: ${shim}` });
    else result.edits.push({ start: ref.getStart(sf), end: ref.end, text: shim });
  }
  const list = sortedAssumptions(used);
  result.sites.push({
    pos,
    transform: "callbacks",
    status: "converted",
    name: c.label,
    ...(list.length ? { assumptions: list } : {}),
  });
}

/** The dual form, `return __asyncioDual(cb, async () => …)`: callers may still hand the function a callback. */
function emitDualForm(
  ex: EmitContext,
  c: Candidate,
  parts: { prologue: string; rest: string; startDecl?: string },
  { fn, body, pos, inner, closeIndent, restText, shuffle, withoutChecks }: Emitted,
): void {
  const { sf, result, ts: ts_, unit, assumed, arities } = ex;
  const shifted = `\n${inner}${unit}` + shiftIndent(restText, "", unit);
  const startLine = parts.startDecl ? `${parts.startDecl}\n${inner}` : "";
  const retType = ts_ ? `: Promise<${promisedType(fn, sf)}>` : "";
  const arity = arities.get(c) ?? 2;
  const arityArg = arity === 2 ? "" : `, ${arity}`;
  const prologue = withoutChecks(parts.prologue, false);
  if (shuffle)
    result.edits.push({ start: shuffle.param.end, end: shuffle.param.end, text: ` = ${shuffle.defaultText}` });
  const newBody = `{${prologue || `\n${inner}`}${startLine}return ${DUAL_HELPER}(${c.cbName}, async ()${retType} => {${shifted}\n${inner}}${arityArg});\n${closeIndent}}`;
  if (ts_ && ts.isFunctionDeclaration(fn)) {
    const t = promisedType(fn, sf);
    const cbParam = fn.parameters[fn.parameters.length - 1];
    const head = sf.text.slice(fn.getStart(sf), fn.parameters.pos - 1); // `export function name<T>`
    const others = fn.parameters.slice(0, -1).map((p) => p.getText(sf));
    const cbType = cbParam.type!.getText(sf);
    const ind = indentAt(sf.text, fn.getStart(sf));
    const cbDecl = `${c.cbName}: ${cbType}`;
    const overloads =
      `${head}(${others.join(", ")}): Promise<${t}>;\n${ind}` +
      `${head}(${[...others, cbDecl].join(", ")}): void;\n${ind}` +
      `${head}(${[...others, `${c.cbName}?: ${cbType}`].join(", ")}): Promise<${t}> | void `;
    result.edits.push({ start: fn.getStart(sf), end: body.getStart(sf), text: overloads });
  }
  result.edits.push({ start: body.getStart(sf), end: body.end, text: newBody });
  const usedSet = new Set(assumed.get(c) ?? []);
  if (shuffle) usedSet.add("OPTIONS_DEFAULTED");
  const used = sortedAssumptions(usedSet);
  result.sites.push({
    pos,
    transform: "callbacks",
    status: "converted",
    name: c.label,
    ...(used.length ? { assumptions: used } : {}),
  });
}

/**
 * Shared plumbing for the transforms: parsing, text edits, small AST
 * helpers. Transforms edit text ranges (never reprint a whole file), so
 * comments and formatting outside a converted site are kept byte for byte.
 * @module
 */
import { ts } from "ts-morph";
import type { ReasonCode } from "./reasons.js";
import type { AssumeProfile, AssumptionName } from "./assumptions.js";

/**
 * The name of a transform.
 * @example
 * ```ts
 * const t: TransformName = "callbacks";
 * ```
 */
export type TransformName = "promise-chains" | "callbacks" | "node-apis";

/**
 * All transforms, in the order the engine runs them.
 * @example
 * ```ts
 * console.log(TRANSFORM_NAMES.join(","));
 * ```
 */
export const TRANSFORM_NAMES: readonly TransformName[] = ["node-apis", "callbacks", "promise-chains"];

/**
 * One callback site found by a transform, with its outcome. `line` and
 * `column` are 1-based and refer to the input text.
 * @example
 * ```ts
 * const s: Site = { line: 3, column: 1, transform: "callbacks", status: "refused", reason: "ZALGO" };
 * ```
 */
export interface Site {
  /** 1-based line in the input. */
  line: number;
  /** 1-based column in the input. */
  column: number;
  /** Which transform owns the site. */
  transform: TransformName;
  /** Whether it was converted or left unchanged. */
  status: "converted" | "refused";
  /** The reason code when refused. */
  reason?: ReasonCode;
  /** A short label (function name, API) to help reading reports. */
  name?: string;
  /** For a refusal: what exactly the check saw (a callee's text, a parameter), when it says it. */
  detail?: string;
  /**
   * What a conversion relied on beyond what the tool proves ({@link ASSUMPTIONS}); absent when nothing
   * (always absent under `assume: "none"`, and on refusals). {@link buildReport} writes `[]` for those.
   */
  assumptions?: AssumptionName[];
}

/**
 * Options for {@link migrateSource} and {@link migrateProject}.
 * @example
 * ```ts
 * const o: MigrateOptions = { transforms: ["callbacks"], dualApi: "inline" };
 * ```
 */
export interface MigrateOptions {
  /** Transforms to run (default: all). */
  transforms?: readonly TransformName[];
  /**
   * How converted functions keep their callback-compatible surface:
   * `"inline"` (default) inserts a small local helper once per file, so the
   * file needs no new dependency; `"import"` imports `dualApi` from
   * `asyncio-ts/promise`.
   */
  dualApi?: "inline" | "import";
  /**
   * `"dual"` (default): converted exports keep their callback surface (`dualApi`). `"promise"`: for a
   * major-version migration, they are plain async functions, and callers in the migrated files that still
   * pass a callback call `callbackify(f)(…, cb)` instead.
   */
  api?: "dual" | "promise";
  /**
   * Lower fire-and-forget chains (`p.then(f).catch(g);`) to an async arrow called on the spot. Off by
   * default: the chain is what a team keeps, and it is reported as `FLOATING_CHAIN`.
   */
  lowerFloatingChains?: boolean;
  /**
   * The assumption profile (default `"idiomatic"`): `"none"` converts only what is proven
   * equivalent; `"idiomatic"` also accepts the differences async/await code has by nature
   * (sync throws become rejections, callbacks called on a later tick, return values unused,
   * `cb()` = `cb(null)`, callback arity); `"err-first"` also treats unknown callees with an
   * `(err, …)` continuation as err-first, except where the run has evidence against it.
   */
  assume?: AssumeProfile;
  /**
   * Treat any function called with a trailing `function (err, …)` continuation
   * as a well-behaved err-first API (calls it once, asynchronously), on top of
   * `assume` (alone, without `assume`: the `"err-first"` profile). Such calls are
   * otherwise refused with `UNKNOWN_CALLEE`.
   */
  assumeErrFirst?: boolean;
  /**
   * Set by `--verify` (codemods/verify.ts) to produce exactly the tree a chosen set of sites gives:
   * absolute file → site key ({@link siteKey}) → `"convert"` (analysed as usual) or the reason code the
   * site is refused with, without analysis. A site whose key is not listed is refused `NOT_VERIFIED`.
   */
  siteFilter?: SiteFilter;
}

/**
 * What `--verify` lets each site do: absolute file → {@link siteKey} → `"convert"` or a reason code.
 * @example
 * ```ts
 * const f: SiteFilter = { "/p/lib/a.js": { "3:1:callbacks": "convert", "9:1:callbacks": "BROKE_TESTS" } };
 * ```
 */
export type SiteFilter = Record<string, Record<string, "convert" | ReasonCode>>;

/**
 * The key of a site in a {@link SiteFilter}: `"line:column:transform"` of the input.
 * @example
 * ```ts
 * siteKey({ line: 3, column: 1, transform: "callbacks" }); // "3:1:callbacks"
 * ```
 */
export function siteKey(s: Pick<Site, "line" | "column" | "transform">): string {
  return `${s.line}:${s.column}:${s.transform}`;
}

/** A replacement of input range [start, end) by text. @internal */
export interface Edit {
  start: number;
  end: number;
  text: string;
  /**
   * For an edit that starts before its statement (a block opened on the `if`'s line), the text replacing the
   * statement alone, from its first token: what a rendering of the statement's own range uses.
   */
  atStatement?: { start: number; text: string };
  /** For the replacement of a callback call: its statements, one per line, for a caller that places them itself. */
  statements?: string[];
}

/** Applies non-overlapping edits (any order) to text. @internal */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error("overlapping edits");
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** The edits of a pass sorted once, with their ranges in the edited text (for binary search). */
interface EditIndex {
  sorted: Edit[];
  newStarts: number[];
  newEnds: number[];
  /** The length change of the text up to and including each edit. */
  deltas: number[];
}
const editIndexes = new WeakMap<readonly Edit[], EditIndex>();
function editIndex(edits: readonly Edit[]): EditIndex {
  let ix = editIndexes.get(edits);
  if (ix) return ix;
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  ix = { sorted, newStarts: [], newEnds: [], deltas: [] };
  let delta = 0;
  for (const e of sorted) {
    ix.newStarts.push(e.start + delta);
    ix.newEnds.push(e.start + delta + e.text.length);
    delta += e.text.length - (e.end - e.start);
    ix.deltas.push(delta);
  }
  editIndexes.set(edits, ix);
  return ix;
}
/** Index of the last edit whose new start is at most (or, strict, below) pos; -1 if none. */
function lastStartingBefore(ix: EditIndex, pos: number, strict: boolean): number {
  let lo = 0;
  let hi = ix.newStarts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? ix.newStarts[mid] < pos : ix.newStarts[mid] <= pos) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Maps a position in the edited text back to the text before the edits (a position inside a
 * replacement maps to the replaced range's start). Each edit list is indexed once, so mapping every
 * site of a file costs O(sites · log edits), not O(sites · edits). @internal
 */
export function mapBack(pos: number, edits: readonly Edit[]): number {
  const ix = editIndex(edits);
  const i = lastStartingBefore(ix, pos, false);
  if (i < 0) return pos;
  if (pos < ix.newEnds[i]) return ix.sorted[i].start;
  return pos - ix.deltas[i];
}

/**
 * Where the code at `pos`, inside an edit's replacement text, came from in the text before the edits, when the edit
 * copied it (a continuation moved into an async body, a task kept in a promisified call): the snippet starting at
 * `pos` (white space runs counted as one), its longest prefix the replaced range holds (up to 160 characters, at
 * least 12), when the range holds it exactly once.
 * Undefined when pos is not inside a replacement, or no such snippet is found once. @internal
 */
export function locateCopied(pos: number, edits: readonly Edit[], before: string, after: string): number | undefined {
  const ix = editIndex(edits);
  const i = lastStartingBefore(ix, pos, true);
  if (i < 0 || pos >= ix.newEnds[i]) return undefined;
  const e = ix.sorted[i];
  const range = squeeze(before.slice(e.start, e.end));
  const snippet = squeeze(after.slice(pos, ix.newEnds[i])).text.slice(0, 160);
  // The longest prefix of the snippet the range holds (a prefix of a held one is held too).
  const MIN = 12;
  if (snippet.length < MIN || !range.text.includes(snippet.slice(0, MIN))) return undefined;
  let lo = MIN;
  let hi = snippet.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (range.text.includes(snippet.slice(0, mid))) lo = mid;
    else hi = mid - 1;
  }
  const probe = snippet.slice(0, lo);
  const at = range.text.indexOf(probe);
  if (probe.trim().length < MIN || range.text.indexOf(probe, at + 1) >= 0) return undefined;
  return e.start + range.offsets[at]!;
}

/** The text with each run of white space as one space, and each character's offset in the original. */
function squeeze(text: string): { text: string; offsets: number[] } {
  let out = "";
  const offsets: number[] = [];
  for (let k = 0; k < text.length; k++) {
    const white = /\s/.test(text[k]!);
    if (white && out.endsWith(" ")) continue;
    out += white ? " " : text[k];
    offsets.push(k);
  }
  return { text: out, offsets };
}

/** True when a position of the edited text lies strictly inside the replacement text of an edit (after its start). @internal */
export function insideEdit(pos: number, edits: readonly Edit[]): boolean {
  const ix = editIndex(edits);
  const i = lastStartingBefore(ix, pos, true);
  return i >= 0 && pos < ix.newEnds[i];
}

/** Script kind from a file name. @internal */
export function scriptKindOf(fileName: string): ts.ScriptKind {
  if (fileName.endsWith(".tsx")) return ts.ScriptKind.TSX;
  if (/\.(ts|mts|cts)$/.test(fileName)) return ts.ScriptKind.TS;
  if (fileName.endsWith(".jsx")) return ts.ScriptKind.JSX;
  return ts.ScriptKind.JS;
}

/** True for a TypeScript file name. @internal */
export function isTsFile(fileName: string): boolean {
  return /\.(ts|tsx|mts|cts)$/.test(fileName);
}

/** Parses text; returns the source file and its syntax errors. @internal */
export function parse(fileName: string, text: string): { sf: ts.SourceFile; errors: string[] } {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKindOf(fileName));
  const diags = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  const errors = diags.map((d) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${fileName}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  return { sf, errors };
}

/** What a transform produces for one file in one pass. @internal */
export interface PassResult {
  edits: Edit[];
  /** Sites with positions in the pass's input text. */
  sites: Array<Omit<Site, "line" | "column"> & { pos: number }>;
}

/** Context given to a transform pass. @internal */
export interface FileContext {
  fileName: string;
  text: string;
  sf: ts.SourceFile;
  options: MigrateOptions;
  /** Cross-file knowledge: converted exports of the other files and what this file's calls refer to. */
  project?: ProjectIndex;
  /**
   * With {@link MigrateOptions.siteFilter}: the reason a site at this position of the pass's text must be
   * refused with, without analysis; undefined to analyse it as usual. Transforms ask it before converting.
   */
  veto?: (pos: number, transform: TransformName) => ReasonCode | undefined;
}

/**
 * A function declared in another migrated file, as the type checker resolved a
 * call to it (built by {@link migrateProject}).
 * @example
 * ```ts
 * const c: CrossFileCallee = { file: "/p/lib/size.js", exports: ["size"] };
 * ```
 */
export interface CrossFileCallee {
  /** Absolute path of the file that declares the function. */
  file: string;
  /** Names under which that file exports it (`"module.exports"` for the whole export), as the converted exports are named. */
  exports: string[];
}

/**
 * Cross-file knowledge for {@link migrateSource}: which exports of the other
 * files are converted functions, and which function of another file each call
 * of a file refers to (built by {@link migrateProject}).
 * @example
 * ```ts
 * const index: ProjectIndex = { asyncExports: new Map(), callees: new Map() };
 * ```
 */
export interface ProjectIndex {
  /** Absolute file → export names (`"module.exports"` for the whole export) that are converted functions. */
  asyncExports: Map<string, Set<string>>;
  /**
   * Absolute file → callee text (`f`, `a.f`, `a.b.f`, without spaces) → the function of another
   * file that every call with that callee text in the file refers to. A callee text missing here is not
   * a cross-file call (or not the same function everywhere in the file).
   */
  callees: Map<string, Map<string, CrossFileCallee>>;
}

/**
 * The key of a callee in {@link ProjectIndex.callees}: an identifier or a chain of property
 * accesses on one (`a.b.f`), written without spaces; undefined for other callees. @internal
 */
export function calleeKey(e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e) && !e.questionDotToken && ts.isIdentifier(e.name)) {
    const left = calleeKey(e.expression);
    return left === undefined ? undefined : `${left}.${e.name.text}`;
  }
  return undefined;
}

/** Leading whitespace of the line containing pos. @internal */
export function indentAt(text: string, pos: number): string {
  const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
  const m = /^[ \t]*/.exec(text.slice(lineStart));
  return m ? m[0] : "";
}

/** Detects the file's indentation unit (two spaces by default). @internal */
export function indentUnit(text: string): string {
  const m = /\n(\t+| {2,})\S/.exec(text);
  if (!m) return "  ";
  return m[1].startsWith("\t") ? "\t" : m[1].length >= 4 && !/\n {2}\S/.test(text) ? "    " : "  ";
}

/** Every identifier name occurring under node. @internal */
export function identifierNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return names;
}

/** Whether a function has the `async` modifier. @internal */
export function isAsyncFunction(fn: ts.Node): boolean {
  return ts.canHaveModifiers(fn) && !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** References to a binding name under `root`: identifiers that are not property names, types left out. @internal */
export function countReferences(root: ts.Node, name: string): number {
  let n = 0;
  const visit = (x: ts.Node): void => {
    if (ts.isTypeNode(x)) return;
    if (ts.isIdentifier(x) && x.text === name && !isPropertyName(x)) n++;
    ts.forEachChild(x, visit);
  };
  visit(root);
  return n;
}

/** The identifiers naming `name` under `root` (nested functions and types included), property names left out. @internal */
export function referencesTo(root: ts.Node, name: string): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name && !isPropertyName(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(root);
  return out;
}

/** True if node is a function-like boundary for `this`/`arguments` (not an arrow). @internal */
export function isNonArrowFunction(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n) ||
    ts.isClassStaticBlockDeclaration(n)
  );
}

/** `this`, `arguments` or `new.target` of the function around node (not of a nested non-arrow function). @internal */
export function readsThisOrArguments(node: ts.Node): boolean {
  const u = usesThisOrArguments(node);
  return u.usesThis || u.usesArguments;
}

const thisOrArgumentsCache = new WeakMap<ts.Node, { usesThis: boolean; usesArguments: boolean }>();

/**
 * True if `this` or `arguments` is used in node's own function scope (arrows see through); `new.target`, the
 * function's own too, counts as `this`. @internal
 */
export function usesThisOrArguments(body: ts.Node): { usesThis: boolean; usesArguments: boolean } {
  // Asked for the same bodies by many checks, in every round of a pass (trees are never edited in place).
  let found = thisOrArgumentsCache.get(body);
  if (!found) {
    found = scanThisOrArguments(body);
    thisOrArgumentsCache.set(body, found);
  }
  return found;
}

function scanThisOrArguments(body: ts.Node): { usesThis: boolean; usesArguments: boolean } {
  let usesThis = false;
  let usesArguments = false;
  const visit = (n: ts.Node): void => {
    if (isNonArrowFunction(n) || ts.isClassLike(n)) return;
    if (n.kind === ts.SyntaxKind.ThisKeyword || (ts.isMetaProperty(n) && n.keywordToken === ts.SyntaxKind.NewKeyword))
      usesThis = true;
    if (ts.isIdentifier(n) && n.text === "arguments") usesArguments = true;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return { usesThis, usesArguments };
}

/** Removes one level of parentheses. @internal */
export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

/** Ranges of template literals inside a chunk of code (parsed on its own). @internal */
function templateRanges(text: string): Array<[number, number]> {
  const sf = ts.createSourceFile("chunk.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Array<[number, number]> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push([n.getStart(sf), n.end]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * Re-indents every line after the first: strips `remove` when the line starts
 * with it, then prepends `add`. Lines that begin inside a template literal
 * are left alone (their whitespace is part of a string). @internal
 */
export function shiftIndent(text: string, remove: string, add: string): string {
  if (!remove && !add) return text;
  const templates = text.includes("`") ? templateRanges(text) : [];
  let out = "";
  let i = 0;
  for (;;) {
    const nl = text.indexOf("\n", i);
    if (nl < 0) {
      out += text.slice(i);
      return out;
    }
    out += text.slice(i, nl + 1);
    let j = nl + 1;
    const inTemplate = templates.some(([a, b]) => j > a && j < b);
    const lineEnd = text.indexOf("\n", j);
    const line = text.slice(j, lineEnd < 0 ? text.length : lineEnd);
    if (!inTemplate && line.trim() !== "") {
      if (remove && line.startsWith(remove)) j += remove.length;
      else if (remove) j += /^[ \t]*/.exec(line)![0].length > remove.length ? 0 : /^[ \t]*/.exec(line)![0].length;
      out += add;
    }
    i = j;
  }
}

/** Wraps expression text in parentheses unless it is already a primary/call/member expression. @internal */
export function paren(text: string): string {
  const sf = ts.createSourceFile("e.ts", `(${text});`, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const st = sf.statements[0];
  if (!st || !ts.isExpressionStatement(st)) return `(${text})`;
  const e = (st.expression as ts.ParenthesizedExpression).expression;
  const simple =
    ts.isIdentifier(e) ||
    ts.isCallExpression(e) ||
    ts.isPropertyAccessExpression(e) ||
    ts.isElementAccessExpression(e) ||
    ts.isLiteralExpression(e) ||
    ts.isParenthesizedExpression(e) ||
    ts.isNewExpression(e) ||
    ts.isTemplateExpression(e) ||
    ts.isArrayLiteralExpression(e) ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.ThisKeyword;
  return simple ? text : `(${text})`;
}

/** True when the expression text always evaluates to a primitive (so awaiting it only costs a tick). @internal */
export function isSurelyPrimitive(text: string): boolean {
  const sf = ts.createSourceFile("e.ts", `(${text});`, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const st = sf.statements[0];
  if (!st || !ts.isExpressionStatement(st)) return false;
  const prim = (e: ts.Expression): boolean => {
    e = skipParens(e);
    if (ts.isLiteralExpression(e) || ts.isTemplateExpression(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
    if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword].includes(e.kind))
      return true;
    if (ts.isIdentifier(e)) return e.text === "undefined";
    if (ts.isPrefixUnaryExpression(e) || ts.isTypeOfExpression(e) || ts.isVoidExpression(e)) return true;
    if (ts.isBinaryExpression(e)) {
      const k = e.operatorToken.kind;
      const passThrough = [
        ts.SyntaxKind.BarBarToken,
        ts.SyntaxKind.AmpersandAmpersandToken,
        ts.SyntaxKind.QuestionQuestionToken,
        ts.SyntaxKind.CommaToken,
      ];
      if (passThrough.includes(k)) return prim(e.left) && prim(e.right);
      return k < ts.SyntaxKind.FirstAssignment || k > ts.SyntaxKind.LastAssignment;
    }
    if (ts.isConditionalExpression(e)) return prim(e.whenTrue) && prim(e.whenFalse);
    return false;
  };
  return prim(st.expression);
}

/** Names a block would hoist/declare when its statements are moved into the enclosing scope. @internal */
export function declaredNames(stmts: readonly ts.Statement[]): Set<string> {
  const names = new Set<string>();
  const addBinding = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) addBinding(el.name);
  };
  for (const s of stmts) {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) addBinding(d.name);
    if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.add(s.name.text);
  }
  // `var` anywhere (not in nested functions) hoists to the function.
  const visit = (n: ts.Node): void => {
    if (isNonArrowFunction(n) || ts.isArrowFunction(n)) return;
    if (ts.isVariableDeclarationList(n) && !(n.flags & ts.NodeFlags.BlockScoped))
      for (const d of n.declarations) addBinding(d.name);
    ts.forEachChild(n, visit);
  };
  for (const s of stmts) visit(s);
  return names;
}

/** The target a node writes to: the left of `=`/`+=`/…, the operand of `++`/`--`; undefined otherwise. @internal */
export function mutationTarget(node: ts.Node): ts.Expression | undefined {
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  )
    return node.left;
  if (
    (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
    (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
  )
    return node.operand;
  return undefined;
}

/** How many times `name` is assigned in `root` (`=`, compound assignment, `++`/`--`). @internal */
export function assignmentsTo(root: ts.Node, name: string): number {
  return mutationsOf(root, name).length;
}

/** The nodes under `root` that change a name (`x = …`, `x += …`, `x++`, …), in source order. @internal */
export function mutationsOf(root: ts.Node, name: string): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    const target = mutationTarget(node);
    if (target) {
      const x = skipParens(target);
      if (ts.isIdentifier(x) && x.text === name) out.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(root);
  return out;
}

/** An identifier that names a property, a member or a label, not a binding (`o.x`, `{ x: 1 }`, `x: for …`). @internal */
export function isPropertyName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (
    (ts.isPropertyAccessExpression(p) && p.name === id) ||
    (ts.isPropertyAssignment(p) && p.name === id) ||
    (ts.isMethodDeclaration(p) && p.name === id) ||
    (ts.isPropertyDeclaration(p) && p.name === id) ||
    ((ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === id) ||
    (ts.isLabeledStatement(p) && p.label === id) ||
    ((ts.isBreakStatement(p) || ts.isContinueStatement(p)) && p.label === id) ||
    (ts.isJsxAttribute(p) && p.name === id) ||
    (ts.isQualifiedName(p) && p.right === id)
  );
}

/** True when `root` declares `name` (a variable, destructured binding, import, function, class or parameter). @internal. */
export function bindsName(root: ts.Node, name: string): boolean {
  return namesBoundUnder(root).has(name);
}

/** The names bindsName finds under a node, collected once per node (trees are never edited in place). */
const namesBoundCache = new WeakMap<ts.Node, Set<string>>();
function namesBoundUnder(root: ts.Node): Set<string> {
  let names = namesBoundCache.get(root);
  if (names) return names;
  const found = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(n) ||
        ts.isBindingElement(n) ||
        ts.isClassDeclaration(n) ||
        ts.isImportSpecifier(n) ||
        ts.isImportClause(n) ||
        ts.isNamespaceImport(n) ||
        ts.isImportEqualsDeclaration(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isParameter(n)) &&
      n.name &&
      ts.isIdentifier(n.name)
    )
      found.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(root);
  names = found;
  namesBoundCache.set(root, names);
  return names;
}

/** `null`, `undefined` or `void 0`. @internal */
export function isNullish(e: ts.Expression): boolean {
  const x = skipParens(e);
  return (
    x.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(x) && x.text === "undefined") ||
    (ts.isVoidExpression(x) && ts.isNumericLiteral(x.expression))
  );
}

/** `base`, or `base1`, `base2`… the first not in `used`. @internal */
export function freshName(base: string, used: Pick<ReadonlySet<string>, "has">): string {
  let name = base;
  for (let i = 1; used.has(name); i++) name = `${base}${i}`;
  return name;
}

/**
 * The variable declaration an identifier refers to, when it is the only declaration of that name in the
 * nearest enclosing function (or file) that declares the name, and a `let`/`const` one encloses the use. @internal
 */
export function bindingOf(id: ts.Identifier): { scope: ts.Node; decl: ts.VariableDeclaration } | undefined {
  for (let p: ts.Node | undefined = id.parent; p; p = p.parent) {
    if (!ts.isFunctionLike(p) && !ts.isSourceFile(p)) continue;
    const own = ownDeclarations(p).get(id.text);
    if (!own) continue;
    const decl = own[0];
    if (own.length !== 1 || !ts.isVariableDeclaration(decl)) return undefined;
    const list = decl.parent;
    const blockScoped = ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.BlockScoped) !== 0;
    if (blockScoped) {
      const block = list.parent.parent;
      if (!(id.pos >= block.pos && id.end <= block.end)) return undefined;
    }
    return { scope: p, decl };
  }
  return undefined;
}

/**
 * The function whose parameter `id` names (the nearest scope declaring the name, when that is one parameter of a
 * function), and the parameter's index; undefined for any other binding. @internal
 */
export function parameterOf(id: ts.Identifier): { fn: ts.SignatureDeclaration; index: number } | undefined {
  for (let p: ts.Node | undefined = id.parent; p; p = p.parent) {
    if (!ts.isFunctionLike(p) && !ts.isSourceFile(p)) continue;
    const own = ownDeclarations(p).get(id.text);
    if (!own) continue;
    if (own.length !== 1 || !ts.isParameter(own[0]!) || !ts.isFunctionLike(p)) return undefined;
    const index = p.parameters.indexOf(own[0] as ts.ParameterDeclaration);
    return index >= 0 ? { fn: p, index } : undefined;
  }
  return undefined;
}

/** Declarations by name in a function's (or file's) own scope, nested functions excluded; memoised. @internal */
const ownDeclarationsCache = new WeakMap<ts.Node, Map<string, ts.Node[]>>();
export function ownDeclarations(scope: ts.Node): Map<string, ts.Node[]> {
  let found = ownDeclarationsCache.get(scope);
  if (found) return found;
  const map = new Map<string, ts.Node[]>();
  const add = (name: ts.Node | undefined, n: ts.Node): void => {
    if (name && ts.isIdentifier(name)) map.set(name.text, [...(map.get(name.text) ?? []), n]);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) add(n.name, n);
    if (ts.isFunctionLike(n)) return;
    if (ts.isVariableDeclaration(n) || ts.isBindingElement(n)) add(n.name, n);
    if (ts.isCatchClause(n) && n.variableDeclaration) add(n.variableDeclaration.name, n);
    if (ts.isImportClause(n) || ts.isImportSpecifier(n) || ts.isNamespaceImport(n)) add(n.name, n);
    ts.forEachChild(n, visit);
  };
  if (ts.isFunctionLike(scope)) {
    for (const param of scope.parameters) add(param.name, param);
    if (ts.isFunctionExpression(scope) && scope.name) add(scope.name, scope);
    const body = (scope as ts.FunctionLikeDeclaration).body;
    if (body) visit(body);
  } else ts.forEachChild(scope, visit);
  found = map;
  ownDeclarationsCache.set(scope, found);
  return found;
}

/**
 * Whether a function around `n` declares `name` (a parameter, a local): then `name` at `n` is not the file's own
 * binding (or global) of that name. @internal
 */
export function declaredInFunctionAround(n: ts.Node, name: string): boolean {
  for (let p: ts.Node | undefined = n.parent; p && !ts.isSourceFile(p); p = p.parent)
    if (ts.isFunctionLike(p) && ownDeclarations(p).has(name)) return true;
  return false;
}

/** Identifiers in node that name bindings (not property names after a dot or in literals). @internal */
export function boundNamesUsed(node: ts.Node, exclude?: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (n === exclude || ts.isTypeNode(n)) return;
    if (ts.isIdentifier(n) && !isPropertyName(n)) names.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return names;
}

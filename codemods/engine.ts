/**
 * The engine: runs the transforms over one file (each to a fixed point,
 * re-parsing between passes) and over a project (repeating until the set of
 * converted exports stops changing, so call sites in other files can await
 * them).
 * @module
 */
import * as path from "node:path";
import * as vm from "node:vm";
import { ts } from "ts-morph";
import {
  type Edit,
  type FileContext,
  type MigrateOptions,
  type PassResult,
  type ProjectIndex,
  type CrossFileCallee,
  type Site,
  TRANSFORM_NAMES,
  type TransformName,
  insideEdit,
  locateCopied,
  mapBack,
  parse,
  siteKey,
} from "./core.js";
import type { ReasonCode } from "./reasons.js";
import { callbacksPass, convertedExports } from "./transforms/callbacks.js";
import { resolveCrossFileCallees, type CrossFileCallees } from "./resolve.js";
import { promiseChainsPass } from "./transforms/promise-chains.js";
import { nodeApisPass } from "./transforms/node-apis.js";
import { unusedLibraryRequires } from "./transforms/unused-requires.js";
import { assumesErrFirst } from "./assumptions.js";
import { type FileError, isStackOverflow } from "./file-errors.js";
import { knowledgeFor, knownExports, RoundMemo } from "./rounds.js";

/**
 * The result of migrating one file's text.
 * @example
 * ```ts
 * const r: FileResult = migrateSource("x.then(f)", "a.js");
 * if (r.changed) console.log(r.output);
 * ```
 */
export interface FileResult {
  /** File name as given. */
  file: string;
  /** The migrated text (the input itself when nothing changed or on a parse error). */
  output: string;
  /** True when output differs from the input. */
  changed: boolean;
  /** Every site found, in input order. */
  sites: Site[];
  /** Syntax errors of the input; when present, nothing was changed. */
  parseErrors?: string[];
  /** A codemod bug hit on this file (the file is left unchanged and the run fails with exit 2). */
  internalError?: string;
  /**
   * Why the whole file was skipped (left unchanged, no sites): a file nested too deeply to analyse
   * (`TOO_DEEPLY_NESTED`), a codemod bug (`INTERNAL_ERROR`, with {@link FileResult.internalError}), or,
   * set by the CLI, a file-system or encoding problem.
   */
  error?: FileError;
}

const PASSES: Record<TransformName, (ctx: FileContext) => PassResult> = {
  "node-apis": nodeApisPass,
  callbacks: callbacksPass,
  "promise-chains": promiseChainsPass,
};

/** Maximum passes per transform (nested sites are converted one level per pass). */
const MAX_PASSES = 6;

/**
 * Migrates one file's text. Pure: no file system access.
 * @param text - the source text.
 * @param fileName - used for the language (.js/.mjs/.cjs/.ts/.tsx) and in reports.
 * @param options - which transforms and how.
 * @param project - cross-file knowledge (set by {@link migrateProject}).
 * @example
 * ```ts
 * const { output, sites } = migrateSource(
 *   "function f() { return p.then((v) => v + 1); }", "a.js");
 * ```
 */
export function migrateSource(
  text: string,
  fileName: string,
  options: MigrateOptions = {},
  project?: ProjectIndex,
): FileResult {
  return migrateGuarded(text, fileName, options, project, false);
}

/** {@link migrateSource}; with `inRound`, also records the output's converted exports in {@link knownExports}. */
function migrateGuarded(
  text: string,
  fileName: string,
  options: MigrateOptions,
  project: ProjectIndex | undefined,
  inRound: boolean,
): FileResult {
  try {
    return migrateSourceUnguarded(text, fileName, options, project, inRound);
  } catch (e) {
    // A codemod bug must never cost the user their file or the rest of the run.
    return unanalysable(fileName, text, e);
  }
}

/** The result for a file whose analysis threw: unchanged, with why. */
function unanalysable(fileName: string, text: string, e: unknown): FileResult {
  const r: FileResult = { file: fileName, output: text, changed: false, sites: [] };
  const firstLine = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (isStackOverflow(e)) r.error = { code: "TOO_DEEPLY_NESTED", message: firstLine };
  else {
    r.internalError = e instanceof Error ? (e.stack ?? e.message) : String(e);
    r.error = { code: "INTERNAL_ERROR", message: firstLine };
  }
  return r;
}

function migrateSourceUnguarded(
  text: string,
  fileName: string,
  options: MigrateOptions,
  project: ProjectIndex | undefined,
  inRound: boolean,
): FileResult {
  const first = parse(fileName, text);
  if (first.errors.length > 0)
    return { file: fileName, output: text, changed: false, sites: [], parseErrors: first.errors };
  const wanted = new Set(options.transforms ?? TRANSFORM_NAMES);
  const crlf = usesCrlf(text);
  // Sites keyed by input position + transform: a later pass's finding wins. A site found inside the
  // text an earlier pass rewrote (a chain nested in a converted chain) is reported where the rewrite
  // copied it from (locateCopied), else at the rewrite's start; either way under a key of its own
  // ("nested:…"), so that it never replaces a converted site (a refusal must mean "left as it was").
  const sites = new Map<string, Site & { pos: number }>();
  const history: Edit[][] = [];
  // The text before each pass of `history` (the text after it is the next one, or `current`).
  const texts: string[] = [];
  let current = text;
  let sf = first.sf;
  const toInput = (pos: number): { pos: number; inside: boolean } => {
    let p = pos;
    let inside = false;
    for (let i = history.length - 1; i >= 0; i--) {
      if (isInsideEdit(p, history[i])) {
        inside = true;
        // Code the rewrite copied is reported where it was written; other new code at the rewrite's start.
        const copied = locateCopied(p, history[i], texts[i], i + 1 < texts.length ? texts[i + 1] : current);
        if (copied !== undefined) {
          p = copied;
          continue;
        }
      }
      p = mapBack(p, history[i]);
    }
    return { pos: p, inside };
  };
  // --verify's site filter: a site is keyed by its input position, as it is reported.
  const filter = options.siteFilter ? (options.siteFilter[path.resolve(fileName)] ?? {}) : undefined;
  const veto = filter
    ? (pos: number, transform: TransformName): ReasonCode | undefined => {
        const { line, character } = first.sf.getLineAndCharacterOfPosition(toInput(pos).pos);
        const decision = filter[siteKey({ line: line + 1, column: character + 1, transform })];
        return decision === "convert" ? undefined : (decision ?? "NOT_VERIFIED");
      }
    : undefined;
  for (const name of TRANSFORM_NAMES) {
    if (!wanted.has(name)) continue;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const ctx: FileContext = { fileName, text: current, sf, options, project, veto };
      const r = PASSES[name](ctx);
      // This pass finds the nested sites of this transform again (or has converted them): drop the previous pass's refusals.
      for (const [k, s] of sites) if (k.startsWith(`nested:${name}:`) && s.status === "refused") sites.delete(k);
      const nestedCount = new Map<string, number>();
      const record = (s: PassResult["sites"][number], status?: Site["status"], reason?: Site["reason"]): void => {
        const { pos: inPos, inside } = toInput(s.pos);
        const { line, character } = first.sf.getLineAndCharacterOfPosition(inPos);
        const site: Site & { pos: number } = {
          line: line + 1,
          column: character + 1,
          transform: s.transform,
          status: status ?? s.status,
          pos: inPos,
        };
        const rs = reason ?? s.reason;
        if (rs) site.reason = rs;
        const name = s.name && s.name !== "(anonymous)" ? s.name : (functionNameAt(first.sf, inPos) ?? s.name);
        if (name) site.name = name;
        if (site.status === "refused" && !reason && s.detail) site.detail = s.detail;
        if (site.status === "converted" && s.assumptions?.length) site.assumptions = s.assumptions;
        let key = `${inPos}:${s.transform}`;
        if (inside) {
          const base = `nested:${s.transform}:${inPos}`;
          const n = nestedCount.get(base) ?? 0;
          nestedCount.set(base, n + 1);
          key = `${base}:${pass}:${n}`;
        }
        sites.set(key, site);
      };
      if (r.edits.length === 0) {
        for (const s of r.sites) record(s);
        break;
      }
      // Edits are written with "\n": in a file whose lines end in CRLF they get CRLF too (positions follow).
      if (crlf) r.edits = r.edits.map((e) => ({ ...e, text: e.text.replace(/\r?\n/g, "\r\n") }));
      const next = applyAll(current, r.edits);
      const reparsed = parse(fileName, next);
      if (reparsed.errors.length > 0 || !engineAccepts(fileName, next, reparsed.sf)) {
        // Never produce unparseable code: drop the pass, report its conversions.
        for (const s of r.sites) record(s, "refused", s.status === "converted" ? "OUTPUT_DID_NOT_PARSE" : undefined);
        break;
      }
      for (const s of r.sites) record(s);
      history.push(r.edits);
      texts.push(current);
      current = next;
      sf = reparsed.sf;
    }
  }
  // A library require the conversions left unused goes (it is no site of its own).
  const unused = current === text ? [] : unusedLibraryRequires(first.sf, sf);
  if (unused.length) {
    const next = applyAll(current, unused);
    const reparsed = parse(fileName, next);
    if (reparsed.errors.length === 0) {
      current = next;
      sf = reparsed.sf;
    }
  }
  const list = [...sites.values()].sort((a, b) => a.pos - b.pos || a.transform.localeCompare(b.transform));
  const result: FileResult = {
    file: fileName,
    output: current,
    changed: current !== text,
    sites: list.map(({ pos: _pos, ...s }) => s),
  };
  // --- rounds: the next round's exports, from the tree of the output parsed already (see exportsOf) ---
  if (inRound && SAME_TREE_AS_EXPORTS_OF.test(fileName)) {
    try {
      knownExports.set(result, [...convertedExports(sf)].sort());
    } catch {
      // Left to exportsOf, which fails the same way and says so (exportsForNextRound).
    }
  }
  return result;
}

/** True when most line breaks of the text are CRLF. */
function usesCrlf(text: string): boolean {
  const all = text.split("\n").length - 1;
  if (all === 0) return false;
  const crlf = text.split("\r\n").length - 1;
  return crlf * 2 >= all;
}

/**
 * The name of a named function expression starting at pos (`function tick(cb) {…}` passed as an argument
 * is reported as `tick`, not "(anonymous)"). Walks down without recursion (files may nest deeply).
 */
function functionNameAt(sf: ts.SourceFile, pos: number): string | undefined {
  let node: ts.Node = sf;
  for (;;) {
    if (ts.isFunctionExpression(node) && node.name && node.getStart(sf) === pos) return node.name.text;
    const child: ts.Node | undefined = node.forEachChild((c) => (c.getStart(sf) <= pos && pos < c.end ? c : undefined));
    if (!child) return undefined;
    node = child;
  }
}

/**
 * File names for which `parse` (scriptKindOf) and {@link exportsOf} (TypeScript's choice by extension)
 * build the same tree, so the engine's last tree of the output gives exportsOf's answer.
 */
const SAME_TREE_AS_EXPORTS_OF = /\.[cm]?[jt]sx?$/;

/**
 * A second opinion for CommonJS JavaScript: V8's own parser (TypeScript's
 * parser accepts some code that is only a checker error, such as
 * `else let x = 1`). Compiled, never run.
 */
function engineAccepts(fileName: string, text: string, sf: ts.SourceFile): boolean {
  if (!/\.(c?js)$/.test(fileName)) return true;
  const esm = sf.statements.some(
    (s) =>
      ts.isImportDeclaration(s) ||
      ts.isExportDeclaration(s) ||
      ts.isExportAssignment(s) ||
      (ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)),
  );
  if (esm) return true;
  try {
    new vm.Script(`(function (exports, require, module, __filename, __dirname) {${text.replace(/^#!.*/, "")}\n})`, {
      filename: fileName,
    });
    return true;
  } catch {
    return false;
  }
}

/** True when a position of the edited text lies strictly inside the replacement text of an edit (after its start). */
const isInsideEdit = insideEdit;

function applyAll(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error(`codemod bug: overlapping edits at ${e.start}`);
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

/**
 * One input file for {@link migrateProject}.
 * @example
 * ```ts
 * const f: ProjectFile = { file: "/abs/lib/a.js", text: "…" };
 * ```
 */
export interface ProjectFile {
  /** Absolute (or project-relative) path. */
  file: string;
  /** Its text. */
  text: string;
}

/**
 * What one round knows about the other files, as plain data (sent to workers):
 * the converted exports of the previous round, and what each file's calls
 * refer to (computed once by {@link resolveCrossFileCallees}). @internal
 */
export interface RoundKnowledge {
  /** Absolute file → converted export names. */
  asyncExports: Record<string, string[]>;
  /** Absolute file → callee text → function of another file. */
  callees: CrossFileCallees;
}

/** The {@link ProjectIndex} of a round. @internal */
export function makeIndex(k: RoundKnowledge): ProjectIndex {
  const asyncExports = new Map<string, Set<string>>();
  for (const [f, names] of Object.entries(k.asyncExports)) asyncExports.set(f, new Set(names));
  const callees = new Map<string, Map<string, CrossFileCallee>>();
  for (const [f, byKey] of Object.entries(k.callees)) callees.set(f, new Map(Object.entries(byKey)));
  return { asyncExports, callees };
}

/** Export names of the converted functions in a migrated output text. @internal */
export function exportsOf(file: string, output: string): string[] {
  const sf = ts.createSourceFile(file, output, ts.ScriptTarget.Latest, true);
  return [...convertedExports(sf)].sort();
}

/** Runs one round over some files with the given index. @internal */
export function migrateRound(
  files: readonly ProjectFile[],
  options: MigrateOptions,
  index: ProjectIndex,
): FileResult[] {
  return files.map((f) => migrateGuarded(f.text, f.file, options, index, true));
}

// --- rounds (codemods/rounds.ts decides which files a round must redo) ---

/**
 * Round driver of the CLI (sequential and worker pool), the asynchronous twin of {@link migrateProject}:
 * `round(knowledge, todo)` migrates the files `todo` (those whose result may differ from their last
 * round's, see {@link RoundMemo}) with that knowledge and returns their results in that order, until the
 * converted exports are stable. The cross-file calls are resolved once (main thread), as soon as some
 * export is converted.
 * @internal
 */
export async function driveRounds(
  files: readonly ProjectFile[],
  round: (knowledge: RoundKnowledge, todo: readonly ProjectFile[]) => Promise<FileResult[]> | FileResult[],
  options: MigrateOptions = {},
): Promise<FileResult[]> {
  const plan = roundPlan(files, options);
  let step = plan.next();
  while (!step.done) step = plan.next(await round(step.value.knowledge, step.value.todo));
  return step.value;
}

/**
 * The rounds of a project migration, shared by {@link driveRounds} and {@link migrateProject}: yields
 * what each round may know and which files it must migrate, and receives their results. Rounds stop
 * once the converted exports are stable (see {@link maxRounds}); the checker resolves cross-file
 * calls once, as soon as some export is converted (round 1 awaits nothing across files).
 */
function* roundPlan(
  files: readonly ProjectFile[],
  options: MigrateOptions,
): Generator<{ knowledge: RoundKnowledge; todo: ProjectFile[] }, FileResult[], FileResult[]> {
  // Under the err-first assumption a call into another file must be known from round 1: a
  // function there that the run refuses is evidence against assuming it (see CALLEE_REFUSED).
  let callees: CrossFileCallees | undefined = assumesErrFirst(options) ? resolveSafely(files) : undefined;
  let exportsMap: Record<string, string[]> = {};
  const memo = new RoundMemo(files);
  const digest = new ExportsDigest();
  const seen = new Set<string>();
  for (let i = 0; i < maxRounds(files); i++) {
    const hadCallees = callees !== undefined;
    const knowledge = { asyncExports: exportsMap, callees: callees ?? NO_CALLEES };
    const stale = memo.stale(knowledge);
    if (stale.length > 0) memo.record(stale, knowledge, yield { knowledge, todo: stale.map((j) => files[j]!) });
    const { next, changed } = exportsForNextRound(files, memo, exportsMap, stale, digest);
    // Files that could not be analysed stay out of the checker's program (it would overflow the same way).
    if (callees === undefined && (Object.keys(next).length > 0 || assumesErrFirst(options))) {
      const results = memo.all();
      callees = resolveSafely(files.filter((_, j) => !results[j].error && !results[j].parseErrors)) ?? {};
    }
    exportsMap = next;
    // A round that ran without the callees the profile needs is repeated with them.
    if (!changed && (hadCallees || !assumesErrFirst(options))) break;
    // A state seen before (not the last one) would repeat a cycle of rounds: stop at it.
    const state = digest.value();
    if (changed && seen.has(state)) break;
    seen.add(state);
  }
  return memo.all();
}

/** The callees before they are resolved (one object, so that a round can tell they did not change). */
const NO_CALLEES: CrossFileCallees = {};

/** {@link resolveCrossFileCallees}, or undefined when some file is nested too deeply for the checker. */
function resolveSafely(files: readonly ProjectFile[]): CrossFileCallees | undefined {
  try {
    return resolveCrossFileCallees(files);
  } catch (e) {
    if (isStackOverflow(e)) return undefined;
    throw e;
  }
}

/**
 * Rounds stop once the converted exports are stable, after this many at most. Each round can make a function one
 * file further up a call chain awaitable (a chain of n files needs n rounds), and a later round migrates only the
 * files whose knowledge changed, so the bound is the number of files (+ 2: the round that finds the exports
 * stable, and the one repeated once the checker's callees are known).
 */
function maxRounds(files: readonly ProjectFile[]): number {
  return files.length + 2;
}

/**
 * The converted exports of each file that was analysed, by absolute path: what the next round may await. Only
 * the files this round migrated (`migrated`) can have other exports than in `prev`; an unchanged list keeps its
 * array (RoundMemo.stale compares them by identity). A file whose output cannot be walked (nested too deeply) is
 * turned into a skipped file, in the memo.
 */
function exportsForNextRound(
  files: readonly ProjectFile[],
  memo: RoundMemo,
  prev: Readonly<Record<string, string[]>>,
  migrated: readonly number[],
  digest: ExportsDigest,
): { next: Record<string, string[]>; changed: boolean } {
  const next = { ...prev };
  let changed = false;
  for (const i of migrated) {
    const r = memo.result(i);
    const abs = path.resolve(r.file);
    let e: string[] = [];
    if (!r.parseErrors && !r.error) {
      try {
        e = memo.exportsOf(i, exportsOf);
      } catch (err) {
        memo.replace(i, unanalysable(r.file, files[i].text, err));
      }
    }
    const before = prev[abs] ?? [];
    if (e.join("\0") === before.join("\0")) continue;
    changed = true;
    digest.replace(abs, before, e);
    if (e.length) next[abs] = e;
    else delete next[abs];
  }
  return { next, changed };
}

/**
 * An order-independent digest of an exports map, kept up to date entry by entry: two 32-bit sums of one FNV-1a
 * hash per file and its export names. Rounds compare states by it (a cycle of rounds), without serialising the
 * whole map in every round.
 */
class ExportsDigest {
  private a = 0;
  private b = 0;

  /** File `abs` had the exports `before` (none: empty) and now has `after`. */
  replace(abs: string, before: readonly string[], after: readonly string[]): void {
    if (before.length) this.add(abs, before, -1);
    if (after.length) this.add(abs, after, 1);
  }

  value(): string {
    return `${this.a}:${this.b}`;
  }

  private add(abs: string, names: readonly string[], sign: number): void {
    const text = `${abs}\0${names.join("\0")}`;
    this.a = (this.a + sign * fnv1a(text, 0x811c9dc5)) >>> 0;
    this.b = (this.b + sign * fnv1a(text, 0x01000193)) >>> 0;
  }
}

function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// --- end of rounds ---

/**
 * Migrates several files together, so that a converted function's call sites
 * in other files can await it. Which function a call of another file refers
 * to is resolved once by TypeScript's type checker over all the files (as
 * soon as a round has converted some export); rounds repeat until the set of
 * converted exports is stable (one round per file of the longest call chain across files, plus one).
 * Pure: no file system access.
 * @param files - the files and their texts.
 * @param options - which transforms and how.
 * @returns one result per input file, in input order.
 * @example
 * ```ts
 * const a = "exports.f = function (cb) { cb(null, 1); };";
 * const b = "require('./a').f(function (err, x) { console.log(x); });";
 * const results = migrateProject([{ file: "/p/a.js", text: a }, { file: "/p/b.js", text: b }]);
 * ```
 */
export function migrateProject(files: readonly ProjectFile[], options: MigrateOptions = {}): FileResult[] {
  const plan = roundPlan(files, options);
  let step = plan.next();
  while (!step.done)
    step = plan.next(
      migrateRound(step.value.todo, options, makeIndex(knowledgeFor(step.value.todo, step.value.knowledge))),
    );
  return step.value;
}

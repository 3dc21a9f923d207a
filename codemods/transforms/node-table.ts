/**
 * Node core callback APIs and their promise equivalents, plus how a file
 * binds module names (require/import).
 * @module
 */
import { ts } from "ts-morph";
import type { AssumptionName } from "../assumptions.js";
import { assignmentsTo, bindingOf, boundNamesUsed, type Edit, mutationsOf, parameterOf, skipParens } from "../core.js";

/** One local binding of a module (or of a member of it). @internal */
export interface RequireSpec {
  module: string;
  member?: string;
  esmDefault?: boolean;
}

/** Module bindings found at a file's top level. @internal */
export interface ModuleBindings {
  /** local name → core module name ("fs", "dns", …) for whole-module bindings. */
  core: Map<string, string>;
  /** local name → any module binding. */
  requires: Map<string, RequireSpec>;
  /** The file uses ES module syntax. */
  esm: boolean;
}

const CORE = new Set(["fs", "dns", "zlib", "crypto", "child_process", "stream", "events", "timers", "util"]);

function coreName(spec: string): string | undefined {
  const s = spec.startsWith("node:") ? spec.slice(5) : spec;
  return CORE.has(s) ? s : undefined;
}

/** The module `require("m")` names, if `e` is that call. @internal */
export function requireArg(e: ts.Expression | undefined): string | undefined {
  if (
    e &&
    ts.isCallExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === "require" &&
    e.arguments.length === 1 &&
    ts.isStringLiteralLike(e.arguments[0])
  ) {
    return e.arguments[0].text;
  }
  return undefined;
}

const bindingsOf = new WeakMap<ts.SourceFile, ModuleBindings>();

/**
 * Collects top-level `var x = require("m")`, `var x = require("m").y`, `const {y} = require("m")` and imports,
 * once per parsed file (every pass re-parses; callers only read the result). @internal
 */
export function moduleBindings(sf: ts.SourceFile): ModuleBindings {
  let b = bindingsOf.get(sf);
  if (!b) {
    b = collectModuleBindings(sf);
    bindingsOf.set(sf, b);
  }
  return b;
}

function collectModuleBindings(sf: ts.SourceFile): ModuleBindings {
  const b: ModuleBindings = { core: new Map(), requires: new Map(), esm: false };
  const add = (local: string, spec: RequireSpec): void => {
    b.requires.set(local, spec);
    const c = coreName(spec.module);
    if (c && spec.member === undefined) b.core.set(local, c);
    if (c && spec.member === "promises") b.core.set(local, `${c}/promises`);
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st) || ts.isExportAssignment(st)) b.esm = true;
    if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
      b.esm = true;
    if (
      ts.isImportDeclaration(st) &&
      ts.isStringLiteral(st.moduleSpecifier) &&
      st.importClause &&
      !st.importClause.isTypeOnly
    ) {
      const m = st.moduleSpecifier.text;
      const ic = st.importClause;
      if (ic.name) add(ic.name.text, { module: m, esmDefault: true });
      if (ic.namedBindings && ts.isNamespaceImport(ic.namedBindings)) add(ic.namedBindings.name.text, { module: m });
      if (ic.namedBindings && ts.isNamedImports(ic.namedBindings)) {
        for (const el of ic.namedBindings.elements)
          add(el.name.text, { module: m, member: (el.propertyName ?? el.name).text });
      }
    }
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        let init = d.initializer;
        let member: string | undefined;
        if (init && ts.isPropertyAccessExpression(init)) {
          member = init.name.text;
          init = init.expression;
        }
        const m = requireArg(init);
        if (!m) continue;
        if (ts.isIdentifier(d.name)) add(d.name.text, { module: m, member });
        else if (ts.isObjectBindingPattern(d.name) && member === undefined) {
          for (const el of d.name.elements) {
            if (ts.isIdentifier(el.name) && !el.dotDotDotToken)
              add(el.name.text, { module: m, member: el.propertyName ? el.propertyName.getText(sf) : el.name.text });
          }
        }
      }
    }
  }
  addFallbackRequires(sf, add);
  addFsMemberAliases(sf, b, add);
  return b;
}

/**
 * `var exists = fs.exists`, and the old compatibility forms `fs.exists || path.exists` and
 * `fs.exists ? fs.exists : Path.exists` (nconf, findup), where `fs` is bound to the core fs module:
 * every Node this runs on has `fs.exists`, so the local is fs's member.
 */
function addFsMemberAliases(
  sf: ts.SourceFile,
  b: ModuleBindings,
  add: (local: string, spec: RequireSpec) => void,
): void {
  const fsMember = (e: ts.Expression): string | undefined =>
    ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && b.core.get(e.expression.text) === "fs"
      ? e.name.text
      : undefined;
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer || b.requires.has(d.name.text)) continue;
      const init = d.initializer;
      let member = fsMember(init);
      if (!member && ts.isBinaryExpression(init) && init.operatorToken.kind === ts.SyntaxKind.BarBarToken)
        member = fsMember(init.left);
      if (!member && ts.isConditionalExpression(init)) {
        const cond = fsMember(init.condition);
        if (cond && cond === fsMember(init.whenTrue)) member = cond;
      }
      if (member && assignmentsTo(sf, d.name.text) === 0) add(d.name.text, { module: "fs", member });
    }
  }
}

/**
 * `fs.exists(p, cont)` or `exists(p, cont)` (a local bound to fs.exists): its callback gets one value,
 * no error. Node implements it as `fs.access(p, F_OK, (err) => cb(!err))`, calling back `false`
 * synchronously for an invalid path; the promise form is `fs.promises.access(p).then(() => true, () => false)`. @internal
 */
export function fsExistsAwaitable(
  b: ModuleBindings,
  callee: ts.Expression,
  args: string,
  imports: Imports,
): { expr: string; label: string } | undefined {
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    if (b.core.get(callee.expression.text) !== "fs" || callee.name.text !== "exists") return undefined;
    return {
      expr: `${callee.expression.text}.promises.access(${args}).then(() => true, () => false)`,
      label: "fs.exists",
    };
  }
  if (!ts.isIdentifier(callee)) return undefined;
  const spec = b.requires.get(callee.text);
  if (spec?.module.replace(/^node:/, "") !== "fs" || spec.member !== "exists") return undefined;
  // Through the file's own fs binding when it has one (`fs.promises`), else an added require/import.
  const fsLocal = [...b.core].find(([, mod]) => mod === "fs")?.[0];
  const promises = fsLocal ? `${fsLocal}.promises` : imports.member("node:fs", "promises");
  return { expr: `${promises}.access(${args}).then(() => true, () => false)`, label: "fs.exists" };
}

/** `x = require("m")` as a whole expression statement: the module name. */
function requireAssignment(st: ts.Statement | undefined, name: string): string | undefined {
  if (!st || !ts.isExpressionStatement(st)) return undefined;
  const e = st.expression;
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  if (!ts.isIdentifier(e.left) || e.left.text !== name) return undefined;
  return requireArg(e.right);
}

/**
 * The fallback idiom of old npm code, `var fs; try { fs = require('graceful-fs') } catch (er) { fs = require('fs') }`:
 * a top-level `var x` without initializer, assigned only by one try statement that requires a module in
 * its try block and another in its catch block. When both modules are fs-compatible (or the same), x is
 * bound as the one the try block requires; any other assignment to x anywhere keeps it unbound.
 */
function addFallbackRequires(sf: ts.SourceFile, add: (local: string, spec: RequireSpec) => void): void {
  const uninitialised = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations)
      if (ts.isIdentifier(d.name) && !d.initializer) uninitialised.add(d.name.text);
  }
  for (const st of sf.statements) {
    if (!ts.isTryStatement(st) || !st.catchClause || st.finallyBlock) continue;
    if (st.tryBlock.statements.length !== 1 || st.catchClause.block.statements.length !== 1) continue;
    for (const name of uninitialised) {
      const preferred = requireAssignment(st.tryBlock.statements[0], name);
      const fallback = requireAssignment(st.catchClause.block.statements[0], name);
      if (!preferred || !fallback || assignmentsTo(sf, name) !== 2) continue;
      const fsLike = (m: string) => m.replace(/^node:/, "") === "fs" || FS_COMPATIBLE.has(m);
      if (preferred === fallback || (fsLike(preferred) && fsLike(fallback))) add(name, { module: preferred });
    }
  }
}

/** fs methods whose `fs.promises` twin resolves with the callback's single result. */
export const FS_METHODS = new Set([
  "access",
  "appendFile",
  "chmod",
  "chown",
  "copyFile",
  "cp",
  "lchown",
  "link",
  "lstat",
  "lutimes",
  "mkdir",
  "mkdtemp",
  "readdir",
  "readFile",
  "readlink",
  "realpath",
  "rename",
  "rm",
  "rmdir",
  "stat",
  "statfs",
  "symlink",
  "truncate",
  "unlink",
  "utimes",
  "writeFile",
  "opendir",
]);
/** fs methods that call back with `(null)` only on success (checked on Node 20); the others in FS_METHODS pass `(null, value)`. */
export const FS_VOID = new Set([
  "unlink",
  "writeFile",
  "appendFile",
  "rmdir",
  "rename",
  "chmod",
  "access",
  "utimes",
  "copyFile",
  "truncate",
  "symlink",
  "link",
  "rm",
  "chown",
  "lchown",
  "lutimes",
]);
/** fs methods whose success arity depends on their options (mkdir's `recursive`). */
const FS_ARITY_VARIES = new Set(["mkdir", "cp"]);

/** The success arity of an fs method of FS_METHODS: 1 for `cb(null)`, 2 for `cb(null, value)`, undefined when it varies. @internal */
export function fsArityOf(method: string): number | undefined {
  return FS_ARITY_VARIES.has(method) ? undefined : FS_VOID.has(method) ? 1 : 2;
}

/**
 * fs methods whose callback form also takes a file descriptor (a number) where the `fs.promises` twin takes
 * only a path or a FileHandle and rejects a number (ERR_INVALID_ARG_TYPE; every FS_METHODS entry was tried
 * with a descriptor on Node 20: these four are the ones whose callback form accepts it).
 */
const FS_TAKES_DESCRIPTOR = new Set(["readFile", "writeFile", "appendFile", "truncate"]);

/**
 * fs methods on a file descriptor (or opening one) with no `fs.promises` twin that takes a descriptor (the twins
 * of `open` and `fstat` are FileHandle's): util.promisify's form, which none customises (checked on Node 20), and
 * their success arity. `read` and `write` call back several values and are left out.
 */
export const FS_DESCRIPTOR_METHODS: Readonly<Record<string, number>> = {
  open: 2,
  close: 1,
  fstat: 2,
  futimes: 1,
  fchmod: 1,
  fchown: 1,
  fsync: 1,
  fdatasync: 1,
  ftruncate: 1,
};

/** What the analysis knows of an fs call's first argument: a path, a file descriptor, or neither. @internal */
export type PathEvidence = "path" | "descriptor" | "unknown";

/** path module functions that return a string. */
const PATH_STRING_FUNCTIONS = new Set(["join", "resolve", "normalize", "relative", "dirname", "basename", "format"]);

/**
 * Whether `e` is certainly a path (a string literal or template, a concatenation with one, a `path.join(…)`,
 * `new URL(…)`, a never-reassigned variable initialised so), certainly a descriptor (a number literal,
 * `fs.openSync(…)`, the value `fs.open` calls back with, a name like `fd`), or neither. @internal
 */
export function pathEvidence(b: ModuleBindings, e: ts.Expression | undefined, depth = 0): PathEvidence {
  if (!e || depth > 4) return "unknown";
  const x = skipParens(e);
  if (ts.isStringLiteralLike(x) || ts.isTemplateExpression(x)) return "path";
  if (ts.isNumericLiteral(x)) return "descriptor";
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const sides = [pathEvidence(b, x.left, depth + 1), pathEvidence(b, x.right, depth + 1)];
    // A string on either side makes the sum a string; literals only, so `fd + 1` stays a number.
    return [x.left, x.right].some(
      (s) => ts.isStringLiteralLike(skipParens(s)) || ts.isTemplateExpression(skipParens(s)),
    ) || sides.every((s) => s === "path")
      ? "path"
      : "unknown";
  }
  if (ts.isNewExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === "URL") return "path";
  if (
    ts.isCallExpression(x) &&
    ts.isPropertyAccessExpression(x.expression) &&
    ts.isIdentifier(x.expression.expression)
  ) {
    const obj = x.expression.expression.text;
    const name = x.expression.name.text;
    const mod = b.requires.get(obj)?.module.replace(/^node:/, "");
    if (mod === "path" && PATH_STRING_FUNCTIONS.has(name)) return "path";
    if ((mod === "fs" || (mod && FS_COMPATIBLE.has(mod))) && name === "openSync") return "descriptor";
    return "unknown";
  }
  if (!ts.isIdentifier(x)) return "unknown";
  if (/^fd$|Fd$|^fds?[A-Z_]|descriptor/i.test(x.text)) return "descriptor";
  const found = bindingOf(x);
  if (found) {
    const { scope, decl } = found;
    if (!decl.initializer || assignmentsTo(scope, x.text) > 0) return "unknown";
    return pathEvidence(b, decl.initializer, depth + 1);
  }
  // A parameter: the value of `fs.open(p, flags, function (err, fd) {…})` is a descriptor.
  const param = parameterOf(x);
  const fn = param?.fn;
  const call = fn?.parent;
  const opens =
    param?.index === 1 &&
    (ts.isArrowFunction(fn!) || ts.isFunctionExpression(fn!)) &&
    call !== undefined &&
    ts.isCallExpression(call) &&
    call.arguments[call.arguments.length - 1] === fn &&
    ts.isPropertyAccessExpression(call.expression) &&
    call.expression.name.text === "open";
  return opens ? "descriptor" : "unknown";
}

/** dns methods whose `dns.promises` twin resolves with the single result. */
export const DNS_METHODS = new Set([
  "resolve",
  "resolve4",
  "resolve6",
  "resolveAny",
  "resolveCaa",
  "resolveCname",
  "resolveMx",
  "resolveNaptr",
  "resolveNs",
  "resolvePtr",
  "resolveSoa",
  "resolveSrv",
  "resolveTxt",
  "reverse",
]);
/** Callback APIs with no promise module whose util.promisify form resolves with the single result. */
export const PROMISIFY_METHODS: Record<string, Set<string>> = {
  zlib: new Set([
    "deflate",
    "deflateRaw",
    "gzip",
    "gunzip",
    "inflate",
    "inflateRaw",
    "unzip",
    "brotliCompress",
    "brotliDecompress",
  ]),
  crypto: new Set(["randomBytes", "pbkdf2", "scrypt", "randomFill", "generateKeyPair"]),
};
/** stream functions with a `stream.promises` twin. */
export const STREAM_METHODS = new Set(["pipeline", "finished"]);

/** Modules that expose fs's callback API with fs's semantics (but no `promises` we can rely on). */
const FS_COMPATIBLE = new Set(["graceful-fs"]);

/**
 * Success arity of an fs-style function bound by name: `var lstat = require('graceful-fs').lstat`,
 * `const { stat } = require('fs')`, or `gfs.stat` with `gfs = require('graceful-fs')`.
 * Undefined when not an fs callback function of known arity. @internal
 */
export function fsLikeArity(b: ModuleBindings, objOrName: string, method?: string): number | undefined {
  const spec = b.requires.get(objOrName);
  if (!spec) return undefined;
  const mod = spec.module.replace(/^node:/, "");
  if (mod !== "fs" && !FS_COMPATIBLE.has(mod)) return undefined;
  const m = method === undefined ? spec.member : spec.member === undefined ? method : undefined;
  return m && FS_METHODS.has(m) ? fsArityOf(m) : undefined;
}

/** `'chown'`, `c ? 'chown' : 'lchown'`: the strings an expression can be, when it can only be literals. */
function literalChoices(e: ts.Expression): string[] | undefined {
  const x = skipParens(e);
  if (ts.isStringLiteralLike(x)) return [x.text];
  if (!ts.isConditionalExpression(x)) return undefined;
  const a = literalChoices(x.whenTrue);
  const b = literalChoices(x.whenFalse);
  return a && b ? [...a, ...b] : undefined;
}

/**
 * Every string a variable can hold, when its declaration and each assignment to it (plain `=`) give only
 * string literals: fstream's `var chown = follow ? 'chown' : 'lchown'`, chownr's `LCHOWN`. @internal
 */
export function literalValuesOf(id: ts.Identifier): string[] | undefined {
  const found = bindingOf(id);
  if (!found?.decl.initializer) return undefined;
  const values = literalChoices(found.decl.initializer);
  if (!values) return undefined;
  for (const n of mutationsOf(found.scope, id.text)) {
    const more =
      ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken
        ? literalChoices(n.right)
        : undefined;
    if (!more) return undefined;
    values.push(...more);
  }
  return [...new Set(values)];
}

/**
 * `fs[chown](…, cb)` with `chown` only ever one of fs's methods of one success arity (`'chown'` or `'lchown'`):
 * that arity, and whether `fs` is the core module (else graceful-fs). Not for the methods that also take a
 * descriptor, whose promise twins differ (see FS_TAKES_DESCRIPTOR). @internal
 */
export function computedFsCallee(
  b: ModuleBindings,
  callee: ts.Expression,
): { obj: string; key: string; arity: number; core: boolean } | undefined {
  if (!ts.isElementAccessExpression(callee) || !ts.isIdentifier(callee.expression)) return undefined;
  const key = skipParens(callee.argumentExpression);
  if (!ts.isIdentifier(key)) return undefined;
  const obj = callee.expression.text;
  const values = literalValuesOf(key);
  if (!values?.length || values.some((v) => FS_TAKES_DESCRIPTOR.has(v))) return undefined;
  // fsLikeArity: `obj` bound to fs or graceful-fs, the name one of its methods of a fixed arity.
  const arities = new Set(values.map((v) => fsLikeArity(b, obj, v)));
  const [arity] = arities;
  if (arities.size !== 1 || arity === undefined) return undefined;
  return { obj, key: key.text, arity, core: b.requires.get(obj)!.module.replace(/^node:/, "") === "fs" };
}

/**
 * Well-known third-party err-first functions, checked in the versions the corpus installs: each
 * calls its callback exactly once, always asynchronously (every path goes through an fs call),
 * with `(err)` or with its success arguments. Key: module name; value: export name (`""` for
 * the module itself) → success arity (`cb(null)` is 1, `cb(null, made)` is 2; undefined when
 * it varies, which still allows continuations but not handing the caller's callback on).
 * ncp is deliberately absent: ncp 2.0.0 (mv 2.1.1's) calls back twice with its default clobber when
 * target files exist, once per error with `stopOnError`, synchronously when a filter excludes the
 * source, and never for a socket or FIFO (corpus/findings.md 9; fixture callbacks/unknown-callee-ncp). @internal
 */
const ERR_FIRST_PACKAGES: Record<string, Record<string, number | undefined>> = {
  // mkdirp 0.5.x: cb(null, made) on success, cb(er) or cb(er, made) on failure.
  mkdirp: { "": 2, mkdirp: 2, mkdirP: 2 },
  // rimraf 2.x: cb(null) after removing; cb() when a glob pattern matches nothing.
  rimraf: { "": undefined },
  // glob 5.x–7.x: the constructor wraps cb in once() and calls it from 'error' or 'end' as cb(er) or
  // cb(null, matches). Synchronously only for a pattern with no minimatch set (a `#comment` pattern),
  // which the idiomatic profile's CALLBACK_NOW_ASYNC covers. glob ≥ 9 has no callback form.
  glob: { "": 2, glob: 2 },
  // temp 0.8.x: mkdir/open call back cb(err, path) / cb(err, { path, fd }) from fs.mkdir's / fs.open's callback
  // (always asynchronously, also on failure with the path beside the error), once.
  temp: { mkdir: 2, open: 2 },
  // async (caolan/async) 0.x–3.x: each of these calls its final callback once (it is wrapped in once()
  // or replaced by a no-op after an error), err-first. The collection functions call it synchronously
  // for an empty collection (CALLBACK_NOW_ASYNC covers that). map/mapSeries/mapLimit/series/parallel/
  // reduce pass (err, results) — partial results too on failure, which the promise form drops;
  // each/eachSeries/… pass (null) in 1.x and () for an empty array in 0.x, so their arity varies, as do
  // waterfall's and whilst's. Deliberately absent: filter/reject/detect/some/every, whose final
  // callback gets no error in async < 2.
  async: {
    map: 2,
    mapSeries: 2,
    mapLimit: 2,
    series: 2,
    parallel: 2,
    parallelLimit: 2,
    reduce: 2,
    each: undefined,
    eachSeries: undefined,
    eachLimit: undefined,
    forEach: undefined,
    forEachSeries: undefined,
    forEachLimit: undefined,
    eachOf: undefined,
    eachOfSeries: undefined,
    forEachOf: undefined,
    waterfall: undefined,
    whilst: undefined,
    until: undefined,
    doWhilst: undefined,
    doUntil: undefined,
  },
};

/** Packages whose success error may be undefined (`cb()`) in some version, whatever the arity. */
const SUCCESS_ERROR_MAY_BE_UNDEFINED = new Set(["async"]);
/** Packages that call back synchronously in an edge case (an empty collection, a `#comment` glob). */
const MAY_CALL_BACK_SYNCHRONOUSLY = new Set(["async", "glob"]);

/**
 * Whether a call to `objOrName` (or `objOrName.method`) reaches a function of
 * {@link ERR_FIRST_PACKAGES}, and its success arity. @internal
 */
export function knownPackageCallee(
  b: ModuleBindings,
  objOrName: string,
  method?: string,
): { arity: number | undefined; successErrorUnknown: boolean; mayCallBackSync: boolean } | undefined {
  const spec = b.requires.get(objOrName);
  if (!spec) return undefined;
  const table = Object.hasOwn(ERR_FIRST_PACKAGES, spec.module) ? ERR_FIRST_PACKAGES[spec.module] : undefined;
  if (!table) return undefined;
  const m = method === undefined ? (spec.member ?? "") : spec.member === undefined ? method : undefined;
  if (m === undefined || !Object.hasOwn(table, m)) return undefined;
  return {
    arity: table[m],
    successErrorUnknown: SUCCESS_ERROR_MAY_BE_UNDEFINED.has(spec.module),
    mayCallBackSync: MAY_CALL_BACK_SYNCHRONOUSLY.has(spec.module),
  };
}

/**
 * The promise form of `obj.method(args, cont)` when obj is a core module
 * binding, or undefined. @internal
 */
export function nodeAwaitable(
  b: ModuleBindings,
  obj: string,
  method: string,
  args: string,
  imports: Imports,
  first: { arg: ts.Expression | undefined; idiomatic: boolean },
): { expr: string; maxValues: number; label: string; arity?: number; assumes?: AssumptionName } | undefined {
  const mod = b.core.get(obj);
  if (!mod) return undefined;
  const label = `${mod}.${method}`;
  if (mod === "fs" && FS_METHODS.has(method)) {
    const arity = fsArityOf(method);
    if (FS_TAKES_DESCRIPTOR.has(method)) {
      // A descriptor (or what may be one, without the assumption) goes through promisify, which takes it.
      const evidence = pathEvidence(b, first.arg);
      if (evidence === "descriptor" || (evidence === "unknown" && !first.idiomatic))
        return {
          expr: `${imports.binding("node:util", "promisify")}(${obj}.${method})(${args})`,
          maxValues: 1,
          label,
          arity,
        };
      if (evidence === "unknown")
        return {
          expr: `${obj}.promises.${method}(${args})`,
          maxValues: 1,
          label,
          arity,
          assumes: "PATH_NOT_DESCRIPTOR",
        };
    }
    return { expr: `${obj}.promises.${method}(${args})`, maxValues: 1, label, arity };
  }
  if (mod === "fs" && Object.hasOwn(FS_DESCRIPTOR_METHODS, method))
    return {
      expr: `${imports.binding("node:util", "promisify")}(${obj}.${method})(${args})`,
      maxValues: 1,
      label,
      arity: FS_DESCRIPTOR_METHODS[method],
    };
  if (mod === "dns" && DNS_METHODS.has(method))
    return { expr: `${obj}.promises.${method}(${args})`, maxValues: 1, label, arity: 2 };
  if (mod === "stream" && STREAM_METHODS.has(method))
    return { expr: `${obj}.promises.${method}(${args})`, maxValues: 0, label };
  const set = PROMISIFY_METHODS[mod];
  if (set?.has(method) && method !== "generateKeyPair") {
    return {
      expr: `${imports.member("node:util", "promisify")}(${obj}.${method})(${args})`,
      maxValues: 1,
      label,
      arity: 2,
    };
  }
  return undefined;
}

/**
 * `gfs.stat(…)` with `gfs = require('graceful-fs')`: graceful-fs has fs's callback API and semantics (it retries
 * EMFILE, then calls back once), but its `promises` is plain fs's, without the retries; so its promise form is
 * `promisify(gfs.stat).call(gfs, …)`, which keeps them. @internal
 */
export function isFsCompatibleMethod(b: ModuleBindings, obj: string, method: string): boolean {
  const spec = b.requires.get(obj);
  return !!spec && spec.member === undefined && FS_COMPATIBLE.has(spec.module) && FS_METHODS.has(method);
}

/** {@link isFsCompatibleMethod}'s promise form. @internal */
export function fsCompatibleAwaitable(
  b: ModuleBindings,
  obj: string,
  method: string,
  args: string,
  imports: Imports,
): { expr: string; maxValues: number; label: string; arity?: number; assumes?: AssumptionName } | undefined {
  const spec = b.requires.get(obj);
  if (!spec || !isFsCompatibleMethod(b, obj, method)) return undefined;
  return {
    expr: `${imports.binding("node:util", "promisify")}(${obj}.${method}).call(${obj}${args ? `, ${args}` : ""})`,
    // graceful-fs hands on fs's callback arguments: `cb(err)` alone for the void methods.
    maxValues: FS_VOID.has(method) ? 0 : 1,
    label: `${spec.module}.${method}`,
    arity: fsArityOf(method),
  };
}

/**
 * Names of module members a pass needs: in CommonJS an inline
 * `require("m").x`; in an ES module a named import added once at the top
 * (reusing an existing import of the same member). @internal
 */
export class Imports {
  private readonly wanted = new Map<string, { module: string; name: string; local: string }>();
  private used?: Set<string>;
  constructor(
    private readonly sf: ts.SourceFile,
    private readonly b: ModuleBindings,
  ) {}

  /** An expression naming `module`'s export `name`. */
  member(module: string, name: string, preferred = name): string {
    if (!this.b.esm) return `require(${JSON.stringify(module)}).${name}`;
    const bare = module.replace(/^node:/, "");
    for (const [local, spec] of this.b.requires) {
      if (spec.member === name && spec.module.replace(/^node:/, "") === bare) return local;
    }
    const key = `${module}#${name}`;
    const have = this.wanted.get(key);
    if (have) return have.local;
    // Bindings only: a property named `promisify` (bluebird's `Promise.promisify`) is no clash.
    this.used ??= boundNamesUsed(this.sf);
    let local = preferred;
    for (let i = 1; this.used.has(local); i++) local = `${preferred}${i}`;
    this.used.add(local);
    this.wanted.set(key, { module, name, local });
    return local;
  }

  /**
   * A name bound once at the top of the file: an existing binding of the member (`const { promisify } =
   * require('util')`) or of its module (`util.promisify`), else an added `import`/`const { … } = require(…)`.
   */
  binding(module: string, name: string): string {
    if (this.b.esm) return this.member(module, name);
    const bare = module.replace(/^node:/, "");
    for (const [local, spec] of this.b.requires) {
      if (spec.module.replace(/^node:/, "") !== bare || spec.esmDefault) continue;
      if (spec.member === name) return local;
      if (spec.member === undefined) return `${local}.${name}`;
    }
    const key = `cjs:${module}#${name}`;
    const have = this.wanted.get(key);
    if (have) return have.local;
    this.used ??= boundNamesUsed(this.sf);
    let local = name;
    for (let i = 1; this.used.has(local); i++) local = `${name}${i}`;
    this.used.add(local);
    this.wanted.set(key, { module, name, local });
    return local;
  }

  /**
   * The import declarations (or top-level requires) to insert, after the last existing one. `isUsed`
   * drops those the emitted code does not name (asked for by a plan that was then refused).
   */
  edits(isUsed?: (local: string) => boolean): Edit[] {
    if (isUsed) for (const [k, w] of this.wanted) if (!isUsed(w.local)) this.wanted.delete(k);
    if (this.wanted.size === 0) return [];
    if (!this.b.esm) return this.requireEdits();
    const lastImport = [...this.sf.statements].filter(ts.isImportDeclaration).pop();
    const at = lastImport ? lastImport.end : 0;
    const lines = [...this.wanted.values()].map(
      (w) => `import { ${w.name === w.local ? w.name : `${w.name} as ${w.local}`} } from ${JSON.stringify(w.module)};`,
    );
    const text = lastImport ? "\n" + lines.join("\n") : lines.join("\n") + "\n";
    return [{ start: at, end: at, text }];
  }

  /** CommonJS: `const { promisify } = require("node:util");` after the last top-level require (or the prologue). */
  private requireEdits(): Edit[] {
    const isRequireStatement = (st: ts.Statement) =>
      ts.isVariableStatement(st) &&
      st.declarationList.declarations.every((d) => {
        let init = d.initializer;
        while (init && ts.isPropertyAccessExpression(init)) init = init.expression;
        return requireArg(init) !== undefined;
      });
    const statements = [...this.sf.statements];
    const lastRequire = statements.filter(isRequireStatement).pop();
    let directives = 0; // 'use strict' and other directives come first
    while (
      directives < statements.length &&
      ts.isExpressionStatement(statements[directives]) &&
      ts.isStringLiteral((statements[directives] as ts.ExpressionStatement).expression)
    )
      directives++;
    const anchor = lastRequire ?? (directives > 0 ? statements[directives - 1] : undefined);
    // One `const { a, b } = require(m)` per module.
    const byModule = new Map<string, string[]>();
    for (const w of this.wanted.values())
      byModule.set(w.module, [
        ...(byModule.get(w.module) ?? []),
        w.name === w.local ? w.name : `${w.name}: ${w.local}`,
      ]);
    const lines = [...byModule].map(([m, names]) => `const { ${names.join(", ")} } = require(${JSON.stringify(m)});`);
    if (anchor) return [{ start: anchor.end, end: anchor.end, text: "\n" + lines.join("\n") }];
    const first = statements[0];
    const at = first ? first.getStart(this.sf) : 0;
    return [{ start: at, end: at, text: lines.join("\n") + "\n" }];
  }
}

/**
 * `var remove = stat.isDirectory() ? rmdir : unlink` (fs-vacuum): a name declared once in the file, with
 * an initializer choosing between fs-style functions of one success arity and never assigned again, is
 * one of them, so it is called like them. Undefined otherwise. @internal
 */
export function aliasedFsArity(
  callee: ts.Expression,
  arityOf: (e: ts.Expression) => number | undefined,
): number | undefined {
  if (!ts.isIdentifier(callee)) return undefined;
  const found = bindingOf(callee);
  if (!found) return undefined;
  const { scope, decl } = found;
  // Only a choice (`c ? f : g`) is looked at, so the walk of assignmentsTo runs for few names.
  if (!decl.initializer || !ts.isConditionalExpression(skipParens(decl.initializer))) return undefined;
  if (assignmentsTo(scope, callee.text) > 0) return undefined;
  const alternatives: ts.Expression[] = [];
  const collect = (e: ts.Expression): void => {
    const x = skipParens(e);
    if (ts.isConditionalExpression(x)) {
      collect(x.whenTrue);
      collect(x.whenFalse);
    } else alternatives.push(x);
  };
  collect(decl.initializer);
  const arities = new Set(alternatives.map(arityOf));
  if (arities.size !== 1) return undefined;
  return [...arities][0];
}

/**
 * Cross-file call resolution: which function of another migrated file a call
 * refers to. TypeScript's type checker (the compiler ts-morph bundles) answers,
 * over one program of the migrated files (`allowJs`), so CommonJS (`require`,
 * `module.exports = f`, `exports.f = f`, `module.exports = { f }`), ES
 * `import`/`export`, TypeScript `import f = require()`, re-export chains and
 * barrels, namespace imports, renamed imports and destructured requires all
 * resolve the same way, and a local binding that shadows an import is told
 * apart from it.
 *
 * The answer is plain data (a {@link CrossFileCallees}), computed once per
 * run in the main thread from the input texts and handed to every round and
 * worker: the per-file passes never see the checker.
 * @module
 */
import * as path from "node:path";
import { ts } from "ts-morph";
import { calleeKey, isTsFile, skipParens, type CrossFileCallee } from "./core.js";
import { functionExportNames, isCallbackFunction, type FnLike } from "./transforms/callbacks.js";

/**
 * Absolute file → callee text ({@link calleeKey}) → the function of another migrated file that every
 * call with that callee text in the file refers to. @internal
 */
export type CrossFileCallees = Record<string, Record<string, CrossFileCallee>>;

/** A resolved call: the callee plus an identity, to tell whether two calls reach the same function. */
interface Resolved {
  id: string;
  callee: CrossFileCallee;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  allowJs: true,
  checkJs: false,
  noEmit: true,
  // Only symbols are asked for: no default library, no @types (a much cheaper program).
  noLib: true,
  types: [],
  // Bundler resolution takes extensionless and directory (index) specifiers, `.js` written for `.ts`,
  // and `require()` in JavaScript, like Node's CommonJS loader does for relative paths.
  module: ts.ModuleKind.Preserve,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  esModuleInterop: true,
  // Every file is a module in Node: a top-level function of one file is never a global of another.
  moduleDetection: ts.ModuleDetectionKind.Force,
};

/**
 * Resolves, for each file, the calls whose callee is a callback-style function declared in another
 * of the files. A callee text is kept only when the checker resolves every call with that text in the
 * file to the same function (so a parameter or local that shadows an import disqualifies the name
 * rather than being mistaken for it), and only under export names that no other callback function of
 * the declaring file also claims. Pure: the files live in an in-memory file system.
 * @param files - every migrated file (absolute or cwd-relative paths) with its input text.
 * @internal
 */
export function resolveCrossFileCallees(files: readonly { file: string; text: string }[]): CrossFileCallees {
  if (files.length < 2) return {};
  const texts = new Map<string, string>();
  const importers: string[] = [];
  for (const f of files) {
    const abs = path.resolve(f.file);
    texts.set(abs, f.text);
    if (IMPORTS_RELATIVE.test(f.text)) importers.push(abs);
  }
  // Only files that name another file can call into it; the program loads the files they import.
  if (importers.length === 0) return {};
  const host = inMemoryHost(texts);
  // TypeScript loads a root file's imports depth-first, recursively (findSourceFile →
  // processImportedModules → findSourceFile …): a require chain of ~1,300 files overflows the stack.
  // Roots given dependencies first find their imports loaded already, so each load stays shallow.
  const rootNames = dependenciesFirst(importers, texts, host);
  const program = ts.createProgram({ rootNames, options: COMPILER_OPTIONS, host });
  const resolver = new CalleeResolver(program, new Set(texts.keys()), host);
  const out: CrossFileCallees = {};
  for (const f of importers) {
    const sf = program.getSourceFile(f);
    const found = sf ? resolver.calleesOf(sf) : {};
    if (Object.keys(found).length > 0) out[f] = found;
  }
  return out;
}

/**
 * A compiler host over the migrated files' texts: nothing else exists (no node_modules, no lib), so
 * only calls among the migrated files resolve.
 */
function inMemoryHost(texts: ReadonlyMap<string, string>): ts.CompilerHost {
  const dirs = new Set<string>();
  for (const f of texts.keys())
    for (let d = path.dirname(f); !dirs.has(d) && d !== path.dirname(d); d = path.dirname(d)) dirs.add(d);
  return {
    getSourceFile: (fileName, languageVersionOrOptions) => {
      const text = texts.get(path.resolve(fileName));
      return text === undefined ? undefined : ts.createSourceFile(fileName, text, languageVersionOrOptions, true);
    },
    fileExists: (f) => texts.has(path.resolve(f)),
    readFile: (f) => texts.get(path.resolve(f)),
    directoryExists: (d) => dirs.has(path.resolve(d)),
    getDirectories: () => [],
    getDefaultLibFileName: () => "/lib.d.ts",
    writeFile: () => {},
    getCurrentDirectory: () => process.cwd(),
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
  };
}

/**
 * The roots in post-order of their imports (each after the files it imports), by an iterative walk
 * over a cheap scan of each file's module specifiers (`ts.preProcessFile`, resolved as the program
 * will). Only the order changes, not which files the program holds; an import the scan misses costs
 * nothing but depth.
 */
function dependenciesFirst(
  roots: readonly string[],
  texts: ReadonlyMap<string, string>,
  host: ts.CompilerHost,
): string[] {
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName, COMPILER_OPTIONS);
  const importsOf = (file: string): string[] => {
    const info = ts.preProcessFile(texts.get(file) ?? "", true, true);
    const out: string[] = [];
    for (const ref of info.importedFiles) {
      const target = ts.resolveModuleName(ref.fileName, file, COMPILER_OPTIONS, host, cache).resolvedModule
        ?.resolvedFileName;
      if (target !== undefined && texts.has(target)) out.push(target);
    }
    for (const ref of info.referencedFiles) {
      const target = path.resolve(path.dirname(file), ref.fileName);
      if (texts.has(target)) out.push(target);
    }
    return out;
  };
  const isRoot = new Set(roots);
  const seen = new Set<string>();
  const order: string[] = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack = [{ file: root, imports: importsOf(root), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.imports.length) {
        const dep = top.imports[top.next++];
        if (!seen.has(dep)) {
          seen.add(dep);
          stack.push({ file: dep, imports: importsOf(dep), next: 0 });
        }
      } else {
        stack.pop();
        if (isRoot.has(top.file)) order.push(top.file);
      }
    }
  }
  return order;
}

/**
 * A relative module specifier (`require("./a")`, `from "../b"`, `import "./c"`, `import x = require("./d")`):
 * a file without one cannot reach another file's function (every file is a module, see below).
 */
const IMPORTS_RELATIVE = /(?:\brequire\s*\(|\bfrom|\bimport)\s*['"`]\.\.?[/'"`]/;

class CalleeResolver {
  private readonly checker: ts.TypeChecker;
  private readonly claims = new Map<string, Map<string, number>>();
  private readonly reassigned = new Map<ts.Symbol, boolean>();

  constructor(
    private readonly program: ts.Program,
    private readonly migrated: ReadonlySet<string>,
    private readonly host: ts.CompilerHost,
  ) {
    this.checker = program.getTypeChecker();
  }

  calleesOf(sf: ts.SourceFile): Record<string, CrossFileCallee> {
    // null: calls with this callee text reach different things (or something unknown).
    const byKey = new Map<string, Resolved | null>();
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.arguments.length > 0) {
        const key = calleeKey(n.expression);
        if (key !== undefined) {
          const r = this.resolveCall(sf, n);
          const prev = byKey.get(key);
          if (prev === undefined) byKey.set(key, r ?? null);
          else if (prev !== null && (!r || r.id !== prev.id)) byKey.set(key, null);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    const out: Record<string, CrossFileCallee> = {};
    for (const [key, r] of byKey) if (r) out[key] = r.callee;
    return out;
  }

  private resolveCall(sf: ts.SourceFile, call: ts.CallExpression): Resolved | undefined {
    try {
      return this.resolveCallUnguarded(sf, call);
    } catch {
      return undefined; // a checker failure only costs this callee text its cross-file await
    }
  }

  private resolveCallUnguarded(sf: ts.SourceFile, call: ts.CallExpression): Resolved | undefined {
    // `a.b.f`: only when `a` is an import (alias) is the chain worth typing; typing the receiver of
    // every method call (`options.chmod`, `this.stream.once`) is what makes a checker slow.
    let root: ts.Expression = call.expression;
    while (ts.isPropertyAccessExpression(root)) root = root.expression;
    const viaImport =
      root === call.expression || !!((this.checker.getSymbolAtLocation(root)?.flags ?? 0) & ts.SymbolFlags.Alias);
    const sym = viaImport ? this.checker.getSymbolAtLocation(call.expression) : undefined;
    const fn = sym?.declarations?.length ? this.functionBehind(sym) : undefined;
    if (fn) {
      const declSf = fn.getSourceFile();
      if (declSf === sf || !this.migrated.has(declSf.fileName) || !isCallbackFunction(fn)) return undefined;
      const exports = functionExportNames(declSf, fn).filter((e) => this.claimsOf(declSf).get(e) === 1);
      if (exports.length === 0) return undefined;
      return {
        id: `${declSf.fileName}:${fn.pos}`,
        callee: { file: declSf.fileName, exports: [...new Set(exports)].sort() },
      };
    }
    // The documented fallback: TypeScript types a plain `require()` call as `any`, so nothing was found.
    return isTsFile(sf.fileName) ? this.resolveTsRequire(sf, call.expression) : undefined;
  }

  /** Follows aliases and simple value flow (`exports.f = f`, `{ f }`, `const g = f`) to a function node. */
  private functionBehind(start: ts.Symbol): FnLike | undefined {
    let sym: ts.Symbol | undefined = start;
    for (let hops = 0; sym && hops < 32; hops++) {
      // Overload signatures and expando hosts (`f.sync = …` declares `f` again in JavaScript) are not other values.
      const decls = (sym.declarations ?? []).filter(
        (d) =>
          !(ts.isFunctionDeclaration(d) && !d.body) &&
          !(ts.isIdentifier(d) && ts.isPropertyAccessExpression(d.parent) && d.parent.expression === d),
      );
      // Several declarations (an export assigned twice, merged declarations): which one runs is not known.
      if (decls.length !== 1) return undefined;
      const d = decls[0];
      if (this.isReassigned(sym, d)) return undefined;
      if (sym.flags & ts.SymbolFlags.Alias) {
        sym = this.checker.getAliasedSymbol(sym);
        continue;
      }
      let value: ts.Expression | undefined;
      if (
        ts.isFunctionDeclaration(d) ||
        ts.isFunctionExpression(d) ||
        ts.isArrowFunction(d) ||
        ts.isMethodDeclaration(d)
      )
        return d;
      else if (ts.isVariableDeclaration(d)) value = d.initializer;
      else if ((ts.isPropertyAccessExpression(d) || ts.isElementAccessExpression(d)) && isAssignmentTo(d.parent, d))
        value = d.parent.right;
      else if (ts.isBinaryExpression(d) && d.operatorToken.kind === ts.SyntaxKind.EqualsToken) value = d.right;
      else if (ts.isPropertyAssignment(d)) value = d.initializer;
      else if (ts.isExportAssignment(d)) value = d.expression;
      else if (ts.isShorthandPropertyAssignment(d)) {
        sym = this.checker.getShorthandAssignmentValueSymbol(d);
        continue;
      } else if (
        ts.isBindingElement(d) &&
        ts.isObjectBindingPattern(d.parent) &&
        ts.isVariableDeclaration(d.parent.parent) &&
        d.parent.parent.initializer &&
        !d.dotDotDotToken
      ) {
        // `const { f } = a` (a non-require object: a default import, a namespace): the property of its type.
        const init = skipParens(d.parent.parent.initializer);
        const prop = d.propertyName ?? d.name;
        if (!ts.isIdentifier(prop) || (!ts.isIdentifier(init) && !ts.isPropertyAccessExpression(init)))
          return undefined;
        sym = this.checker.getTypeAtLocation(init).getProperty(prop.text);
        continue;
      }
      if (!value) return undefined;
      const e = skipParens(value);
      if (ts.isFunctionExpression(e) || ts.isArrowFunction(e)) return e;
      if (!ts.isIdentifier(e) && !ts.isPropertyAccessExpression(e)) return undefined;
      sym = this.checker.getSymbolAtLocation(e);
    }
    return undefined;
  }

  /** A variable or function binding assigned anywhere in its file (`f = other`, `f++`). */
  private isReassigned(sym: ts.Symbol, d: ts.Declaration): boolean {
    if (!ts.isVariableDeclaration(d) && !ts.isBindingElement(d) && !ts.isFunctionDeclaration(d)) return false;
    const known = this.reassigned.get(sym);
    if (known !== undefined) return known;
    let found = false;
    const isSym = (e: ts.Expression): boolean => {
      const x = skipParens(e);
      return ts.isIdentifier(x) && x.text === sym.name && this.checker.getSymbolAtLocation(x) === sym;
    };
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (
        ts.isBinaryExpression(n) &&
        n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
        isSym(n.left)
      )
        found = true;
      if (
        (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
        (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) &&
        isSym(n.operand)
      )
        found = true;
      ts.forEachChild(n, visit);
    };
    visit(d.getSourceFile());
    this.reassigned.set(sym, found);
    return found;
  }

  /** How many callback functions of a file claim each export name. */
  private claimsOf(sf: ts.SourceFile): Map<string, number> {
    let m = this.claims.get(sf.fileName);
    if (m) return m;
    m = new Map();
    const counts = m;
    const visit = (n: ts.Node): void => {
      if (isCallbackFunction(n))
        for (const e of new Set(functionExportNames(sf, n))) counts.set(e, (counts.get(e) ?? 0) + 1);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    this.claims.set(sf.fileName, m);
    return m;
  }

  /**
   * Fallback for TypeScript files: `const a = require("./a")`, `const { f } = require("./a")` and
   * `const f = require("./a").f` are untyped there, so the checker cannot follow them. The binding is
   * still found by the checker (scopes are right); its module specifier is resolved among the
   * migrated files and the export is named syntactically, as before the checker was used.
   */
  private resolveTsRequire(sf: ts.SourceFile, callee: ts.Expression): Resolved | undefined {
    const parts = calleeKey(callee)?.split(".");
    if (!parts || parts.length > 2) return undefined;
    let root: ts.Expression = callee;
    while (ts.isPropertyAccessExpression(root)) root = root.expression;
    const sym = this.checker.getSymbolAtLocation(root);
    const d = sym?.declarations?.length === 1 ? sym.declarations[0] : undefined;
    if (!sym || !d || this.isReassigned(sym, d)) return undefined;
    let spec: string | undefined;
    let exportName: string | undefined;
    if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer) {
      let init = skipParens(d.initializer);
      let member: string | undefined;
      if (ts.isPropertyAccessExpression(init)) {
        member = init.name.text;
        init = skipParens(init.expression);
      }
      spec = requireSpecifier(init);
      if (member !== undefined) exportName = parts.length === 1 ? member : undefined;
      else exportName = parts.length === 1 ? "module.exports" : parts[1];
    } else if (
      ts.isBindingElement(d) &&
      ts.isObjectBindingPattern(d.parent) &&
      ts.isVariableDeclaration(d.parent.parent) &&
      d.parent.parent.initializer &&
      !d.dotDotDotToken
    ) {
      spec = requireSpecifier(skipParens(d.parent.parent.initializer));
      const prop = d.propertyName ?? d.name;
      exportName = parts.length === 1 && (ts.isIdentifier(prop) || ts.isStringLiteral(prop)) ? prop.text : undefined;
    }
    if (spec === undefined || exportName === undefined || !spec.startsWith(".")) return undefined;
    const target = ts.resolveModuleName(spec, sf.fileName, this.program.getCompilerOptions(), this.host).resolvedModule
      ?.resolvedFileName;
    if (target === undefined || target === sf.fileName || !this.migrated.has(target)) return undefined;
    // TypeScript does not follow a require() of a TypeScript file: the target may not be in the program yet.
    const targetSf = this.claims.has(target)
      ? undefined
      : (this.program.getSourceFile(target) ?? this.host.getSourceFile(target, ts.ScriptTarget.Latest));
    const claims = this.claims.get(target) ?? (targetSf ? this.claimsOf(targetSf) : undefined);
    if (claims?.get(exportName) !== 1) return undefined;
    return { id: `${target}#${exportName}`, callee: { file: target, exports: [exportName] } };
  }
}

function isAssignmentTo(parent: ts.Node, left: ts.Node): parent is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(parent) && parent.left === left && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken
  );
}

function requireSpecifier(e: ts.Expression): string | undefined {
  if (
    ts.isCallExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === "require" &&
    e.arguments.length === 1 &&
    ts.isStringLiteralLike(e.arguments[0])
  )
    return e.arguments[0].text;
  return undefined;
}

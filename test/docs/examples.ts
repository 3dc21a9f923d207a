// The TSDoc `@example` harness's machinery (test/docs/tsdoc-examples.test.ts runs it): finds every ```ts block
// under an `@example` tag in the JSDoc comments of src/, adapters/*/ and codemods/, turns each into a module in
// .examples/ (gitignored) that imports the names it uses from the entry point of its folder (plus the core for
// adapters, plus the fixtures of test/docs/example-prelude.ts), type-checks them all in one TypeScript program and
// runs each one on a virtual-time loop (or, if it opens real resources, on the real loop in a child process).
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const OUT = path.join(ROOT, ".examples");
const PRELUDE = path.join(ROOT, "test/docs/example-prelude.ts");
/** Modules the examples name relative to themselves (the executors' `target("./jobs.js", …, import.meta.url)`). */
const SIBLINGS = path.join(ROOT, "test/docs/example-modules");

/** One `@example` code block. */
export interface Example {
  /** Repository-relative source file, e.g. `src/queues.ts`. */
  file: string;
  /** 1-based line of the opening fence in that file. */
  line: number;
  code: string;
  /** The generated module (absolute path), once {@link generate} ran. */
  module?: string;
  /** Whether the example starts its own loop (then it is not wrapped in `runVirtual`). */
  ownLoop?: boolean;
  /** Whether it opens real resources ({@link OPENS_REAL_RESOURCES}): then it runs on the real loop, in a child. */
  realLoop?: boolean;
}

/** The prefix of the result line that test/docs/example-child.ts prints. */
export const RESULT_MARK = "\u0000example-result:";

/**
 * APIs that open real sockets, servers, processes or worker threads. An example using one runs on the real loop
 * (`run` is the core's `run`, not `runVirtual`: real I/O takes real time) in a child process with a timeout, so a
 * server or worker it leaves open fails that example instead of keeping the test worker alive.
 */
export const OPENS_REAL_RESOURCES = new RegExp(
  `\\b(${[
    "listenTCP",
    "connectTCP",
    "startServer",
    "startUnixServer",
    "openConnection",
    "openUnixConnection",
    "createServer",
    "createConnection",
    "createUnixServer",
    "createUnixConnection",
    "createDatagramEndpoint",
    "serveForever",
    "createSubprocessExec",
    "createSubprocessShell",
    "ClientCreator",
    "ThreadPoolExecutor",
    "ProcessPoolExecutor",
    "runInExecutor",
    "toThread",
    "deferToThread",
    "deferToThreadPool",
    "defaultExecutor",
    "runTestCommand",
    "verifyMigration",
  ].join("|")})\\b`,
);

/** Every `.ts` file (not `.d.ts`, not tests) under the documented roots; new adapters are picked up by the walk. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!["node_modules", "dist", "bin", "test", "fixtures"].includes(entry.name)) walk(full);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !entry.name.includes(".test.")) {
        out.push(path.relative(ROOT, full));
      }
    }
  };
  for (const root of ["src", "adapters", "codemods"])
    if (fs.existsSync(path.join(ROOT, root))) walk(path.join(ROOT, root));
  return out;
}

/** The ```ts blocks that follow an `@example` tag inside the `/** … *\/` comments of one file. */
export function extract(file: string): Example[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const examples: Example[] = [];
  for (const m of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const comment = m[0];
    const startLine = text.slice(0, m.index).split("\n").length;
    const lines = comment.split("\n").map((l) => l.replace(/^\s*\*? ?/, "").replace(/^\/\*\*\s?/, ""));
    let inExample = false;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (/^@\w+/.test(l)) inExample = l.startsWith("@example");
      if (inExample && /^```(ts|typescript)\s*$/.test(l.trim())) {
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !lines[j].trim().startsWith("```")) body.push(lines[j++]);
        examples.push({ file, line: startLine + i, code: body.join("\n") });
        i = j;
      }
    }
  }
  return examples;
}

/** The entry point whose names an example in `file` may use, and the core's for adapters. */
export function entriesFor(file: string): string[] {
  const parts = file.split("/");
  // The rxjs adapter's examples also use rxjs itself (`of`, `interval`, `take`, `Subject`).
  if (parts[0] === "adapters" && parts[1] === "rxjs") return ["adapters/rxjs/index.ts", "src/index.ts", RXJS];
  if (parts[0] === "adapters") return [`adapters/${parts[1]}/index.ts`, "src/index.ts"];
  // The migration tool's internal modules (the CLI's verify loop) document their exports with their own names.
  if (parts[0] === "codemods") return ["codemods/index.ts", file];
  return ["src/index.ts"];
}

const RXJS = "node_modules/rxjs/dist/types/index.d.ts";

/** Bare package specifiers in examples and the files they mean. */
export function mapSpecifier(spec: string): string | undefined {
  if (spec === "asyncio-ts") return "src/index.ts";
  if (spec === "asyncio-ts-codemods") return "codemods/index.ts";
  const sub = /^asyncio-ts\/([\w-]+)$/.exec(spec);
  return sub ? `adapters/${sub[1]}/index.ts` : undefined;
}

export interface ExportInfo {
  /** name → whether it is a value (else a type only). */
  names: Map<string, boolean>;
}

/** The exports of the given modules (values and types), read with the type checker. */
export function readExports(
  files: string[],
  options: ts.CompilerOptions,
): { exports: Map<string, ExportInfo>; program: ts.Program } {
  const program = ts.createProgram(
    files.map((f) => path.join(ROOT, f)),
    options,
  );
  const checker = program.getTypeChecker();
  const result = new Map<string, ExportInfo>();
  for (const f of files) {
    const sf = program.getSourceFile(path.join(ROOT, f));
    const sym = sf && checker.getSymbolAtLocation(sf);
    const names = new Map<string, boolean>();
    if (sym) {
      for (const e of checker.getExportsOfModule(sym)) {
        const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
        names.set(e.name, (target.flags & ts.SymbolFlags.Value) !== 0);
      }
    }
    result.set(f, { names });
  }
  return { exports: result, program };
}

/** Names the example uses (identifiers) and names it declares itself (bindings, imports, types). */
function scan(code: string): {
  used: Set<string>;
  declared: Set<string>;
  imports: ts.ImportDeclaration[];
  topLevelYield: boolean;
} {
  const sf = ts.createSourceFile("x.ts", code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const used = new Set<string>();
  const declared = new Set<string>();
  const imports: ts.ImportDeclaration[] = [];
  const bind = (name: ts.BindingName | ts.Identifier | undefined) => {
    if (!name) return;
    if (ts.isIdentifier(name)) declared.add(name.text);
    else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) imports.push(node);
    if (ts.isIdentifier(node)) {
      const p = node.parent;
      const isMember = p && ts.isPropertyAccessExpression(p) && p.name === node;
      const isKey = p && (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) && p.name === node;
      if (!isMember && !isKey) used.add(node.text);
    }
    if (ts.isShorthandPropertyAssignment(node)) used.add(node.name.text);
    if (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) bind(node.name);
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isEnumDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isClassExpression(node)) &&
      node.name
    )
      declared.add(node.name.text);
    if (ts.isTypeParameterDeclaration(node)) declared.add(node.name.text);
    if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportClause(node)) bind(node.name);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { used, declared, imports, topLevelYield: yieldsAtTopLevel(code) };
}

/** Whether the code `yield`s outside any function of its own (parsed as a generator's body, where `yield` is one). */
function yieldsAtTopLevel(code: string): boolean {
  const sf = ts.createSourceFile("x.ts", `function* example() {\n${code}\n}`, ts.ScriptTarget.ES2022, true);
  let found = false;
  const visit = (node: ts.Node, depth: number) => {
    if (ts.isYieldExpression(node) && depth === 1) found = true;
    const inner = ts.isFunctionLike(node) || ts.isClassLike(node) ? depth + 1 : depth;
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(sf, 0);
  return found;
}

/** Names that mean the example runs its own loop (then the harness does not wrap it in `runVirtual`). */
const OWN_LOOP =
  /\b(runVirtual|Runner|runUntilComplete|runForever|new VirtualTimeLoop|new EventLoop)\b|(?<![.\w])run\(/;

/**
 * Writes one module per example into .examples/. Each exports `default`: the example's body as an async function,
 * or as a generator function when it `yield*`s at its top level (the gevent adapter's greenlet bodies).
 * `run` in an example means the core's `runVirtual` (same semantics, no real time passes), unless the example opens
 * real resources (then it is the core's `run`).
 */
export function generate(examples: Example[], exportsOf: Map<string, ExportInfo>, preludeNames: Set<string>): void {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  fs.cpSync(SIBLINGS, OUT, { recursive: true });
  const rel = (target: string) => (target === RXJS ? "rxjs" : `../${target.replace(/\.ts$/, ".js")}`);
  examples.forEach((ex, n) => {
    const { used, declared, imports, topLevelYield } = scan(ex.code);
    const header: string[] = [];
    let body = ex.code;
    // Hoist the example's own imports, mapping the package's bare names to the files.
    for (const imp of imports.slice().reverse()) {
      const spec = (imp.moduleSpecifier as ts.StringLiteral).text;
      const mapped = mapSpecifier(spec);
      const start = imp.getStart();
      let text = imp.getText();
      if (mapped) text = text.replace(/(["'])[^"']+\1/, `"${rel(mapped)}"`);
      header.unshift(text);
      body = body.slice(0, start) + body.slice(imp.getEnd());
    }
    ex.realLoop = OPENS_REAL_RESOURCES.test(ex.code);
    const free = [...used].filter((u) => !declared.has(u));
    const taken = new Set<string>(declared);
    for (const entry of entriesFor(ex.file)) {
      const info = exportsOf.get(entry);
      if (!info) continue;
      const values: string[] = [];
      const types: string[] = [];
      for (const name of free) {
        if (taken.has(name) || !info.names.has(name)) continue;
        taken.add(name);
        if (name === "run" && entry === "src/index.ts" && !ex.realLoop) values.push("runVirtual as run");
        else (info.names.get(name) ? values : types).push(name);
      }
      if (values.length) header.push(`import { ${values.join(", ")} } from "${rel(entry)}";`);
      if (types.length) header.push(`import type { ${types.join(", ")} } from "${rel(entry)}";`);
    }
    const fixtures = free.filter((name) => !taken.has(name) && preludeNames.has(name));
    if (fixtures.length) header.push(`import { ${fixtures.join(", ")} } from "${rel(path.relative(ROOT, PRELUDE))}";`);
    body = body.replace(/^export (default )?/gm, "");
    ex.ownLoop = OWN_LOOP.test(body);
    ex.module = path.join(OUT, `${String(n).padStart(3, "0")}-${ex.file.replace(/[/.]/g, "_")}-${ex.line}.ts`);
    const source = [
      `// ${ex.file}:${ex.line} (generated by test/docs/examples.ts)`,
      ...header,
      // A body that `yield*`s at its top level is a generator coroutine's (the gevent adapter's style).
      topLevelYield ? "export default function* example() {" : "export default async function example() {",
      body,
      "}",
      "",
    ].join("\n");
    fs.writeFileSync(ex.module, source);
  });
}

/** The compiler options for the examples: the project's, minus the unused-name checks (examples are sketches). */
export function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, declaration: false };
}

/** Type-checks every generated module in one program; returns the messages per module. */
export function typecheck(examples: Example[], options: ts.CompilerOptions, old?: ts.Program): Map<string, string[]> {
  // `old` (the program that read the entry points) lets TypeScript reuse the library's parsed files.
  const program = ts.createProgram(
    examples.map((e) => e.module as string),
    options,
    undefined,
    old,
  );
  const errors = new Map<string, string[]>();
  for (const ex of examples) {
    const sf = program.getSourceFile(ex.module as string);
    if (!sf) continue;
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    if (diags.length === 0) continue;
    errors.set(
      ex.module as string,
      diags.map((d) => {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
        const pos = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start) : undefined;
        // Line 1 of the example body is the module's line after the header.
        const bodyStart = sf.text.split("\n").findIndex((l) => l.startsWith("export default "));
        const at = pos ? ex.line + 1 + (pos.line - bodyStart - 1) : ex.line;
        return `TS${d.code} at ${ex.file}:${at}: ${msg}`;
      }),
    );
  }
  return errors;
}

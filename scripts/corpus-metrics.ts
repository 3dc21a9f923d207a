// An independent count of callback-style code in a package's library files,
// computed the same way before and after migration (so it does not trust the
// codemod's own report). Definitions (also in docs/codemods-corpus.md):
//   - a callback-taking function: a function (declaration, expression, arrow,
//     method) whose LAST parameter is named cb, callback, done, next, cont
//     (or ends in "Callback"/"Cb");
//   - an err-first callback: a function whose FIRST parameter is named err,
//     er, error (with optional "_" around it).
// The helpers the codemod adds (functions named __asyncio…, and the
// `(done) => original(…, done)` adapters passed to them) are not the
// package's code and are not counted.
// The TypeScript parser is used for .js too: it accepts all the syntax these
// packages use and needs no type information here.
import ts from "typescript";

/** Counts of callback-style functions in a set of files. */
export interface CallbackCounts {
  /** Functions whose last parameter is a callback (cb, callback, done, next, cont, …Callback). */
  takesCallback: number;
  /** Functions whose first parameter is an error (err, er, error): err-first callbacks. */
  errFirst: number;
  /** Non-blank source lines. */
  lines: number;
}

const CALLBACK_NAME = /^(_?cb_?|callback_?|done|next|cont)$|(Callback|Cb)$/;
const ERROR_NAME = /^_?(err|er|error)_?$/;

/** Counts callback-taking functions and err-first callbacks in one source text. */
export function countCallbacks(fileName: string, text: string): CallbackCounts {
  const kind = /\.tsx$/.test(fileName)
    ? ts.ScriptKind.TSX
    : /\.[cm]?ts$/.test(fileName)
      ? ts.ScriptKind.TS
      : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, kind);
  const counts: CallbackCounts = {
    takesCallback: 0,
    errFirst: 0,
    lines: text.split(/\r?\n/).filter((l) => l.trim()).length,
  };
  const paramName = (p: ts.ParameterDeclaration | undefined): string =>
    p && ts.isIdentifier(p.name) ? p.name.text : "";
  const isHelper = (n: ts.Node): boolean =>
    (ts.isFunctionDeclaration(n) && !!n.name && n.name.text.startsWith("__asyncio")) ||
    (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text.startsWith("__asyncio"));
  const visit = (node: ts.Node): void => {
    if (isHelper(node)) {
      // A helper call's own arguments are adapters; what the body of the
      // async function passed to __asyncioDual contains is still counted.
      if (ts.isCallExpression(node))
        for (const a of node.arguments)
          if (ts.isFunctionLike(a) && "body" in a && a.body) ts.forEachChild(a.body, visit);
      return;
    }
    if (ts.isFunctionLike(node) && "parameters" in node && (node as ts.SignatureDeclaration).parameters.length > 0) {
      const params = (node as ts.SignatureDeclaration).parameters;
      // Only functions with a body: type signatures are not code.
      if ("body" in node && (node as ts.FunctionLikeDeclaration).body) {
        if (CALLBACK_NAME.test(paramName(params[params.length - 1]))) counts.takesCallback++;
        if (ERROR_NAME.test(paramName(params[0]))) counts.errFirst++;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return counts;
}

/** Sums counts over files. */
export function addCounts(a: CallbackCounts, b: CallbackCounts): CallbackCounts {
  return {
    takesCallback: a.takesCallback + b.takesCallback,
    errFirst: a.errFirst + b.errFirst,
    lines: a.lines + b.lines,
  };
}

/**
 * How readable a migrated file is, measured on its text (the harness's own definitions, docs/codemods-corpus.md):
 *   - helperLines: lines of the helpers the codemod adds (top-level functions named __asyncio…, with the
 *     comment lines just above them, and a `dualApi` import/require line);
 *   - convertedFunctions: functions that are `async` or return `__asyncioDual(…)` / `dualApi(…)`;
 *   - callbackHops: calls made inside a converted function, to a function converted in the same file (by
 *     name), that still hand it a callback: a function argument, or a last argument named like a callback
 *     (`(done) => size(p, done)` through a start helper counts).
 */
export interface Readability {
  helperLines: number;
  convertedFunctions: number;
  callbackHops: number;
}

const HELPER_CALL = /^(__asyncio\w*|dualApi)$/;

/** Readability counts of one migrated source text. */
export function readability(fileName: string, text: string): Readability {
  const kind = /\.tsx$/.test(fileName)
    ? ts.ScriptKind.TSX
    : /\.[cm]?ts$/.test(fileName)
      ? ts.ScriptKind.TS
      : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  let helperLines = 0;
  for (const s of sf.statements) {
    if (ts.isFunctionDeclaration(s) && s.name?.text.startsWith("__asyncio")) {
      const full = s.getFullStart();
      const comments = ts.getLeadingCommentRanges(text, full) ?? [];
      const first = comments.length ? lineOf(comments[0]!.pos) : lineOf(s.getStart(sf));
      helperLines += lineOf(s.end) - first + 1;
    } else if (/\bdualApi\b/.test(s.getText(sf)) && /asyncio-ts\/promise/.test(s.getText(sf))) helperLines++;
  }
  const fnName = (n: ts.Node): string | undefined => {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name && ts.isIdentifier(n.name))
      return n.name.text;
    const p = n.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      if (ts.isPropertyAccessExpression(p.left)) return p.left.name.text;
      if (ts.isIdentifier(p.left)) return p.left.text;
    }
    return undefined;
  };
  const isConverted = (n: ts.FunctionLikeDeclaration): boolean => {
    if (n.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return !!fnName(n);
    const body = n.body;
    if (!body || !ts.isBlock(body)) return false;
    return body.statements.some(
      (s) =>
        ts.isReturnStatement(s) &&
        !!s.expression &&
        ts.isCallExpression(s.expression) &&
        ts.isIdentifier(s.expression.expression) &&
        HELPER_CALL.test(s.expression.expression.text),
    );
  };
  const converted: ts.FunctionLikeDeclaration[] = [];
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (
      (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isMethodDeclaration(n)) &&
      !(ts.isFunctionDeclaration(n) && n.name?.text.startsWith("__asyncio")) &&
      isConverted(n)
    ) {
      converted.push(n);
      const name = fnName(n);
      if (name) names.add(name);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let callbackHops = 0;
  const calleeName = (e: ts.Expression): string | undefined =>
    ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : undefined;
  // `promisify(f)(…)` / `promisify(o.f).call(o, …)`: a converted f called through its callback form.
  const promisified = (e: ts.Expression): string | undefined => {
    const call = ts.isPropertyAccessExpression(e) && e.name.text === "call" ? e.expression : e;
    if (!ts.isCallExpression(call) || call.arguments.length !== 1) return undefined;
    const fn = call.expression;
    const isPromisify = ts.isIdentifier(fn)
      ? /^promisify\d*$/.test(fn.text)
      : ts.isPropertyAccessExpression(fn) && fn.name.text === "promisify";
    return isPromisify ? calleeName(call.arguments[0]!) : undefined;
  };
  const seen = new Set<ts.Node>();
  const hops = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && !seen.has(n)) {
      seen.add(n);
      const name = calleeName(n.expression);
      const last = n.arguments[n.arguments.length - 1];
      const passesCallback =
        n.arguments.some((a) => ts.isFunctionExpression(a) || ts.isArrowFunction(a)) ||
        (last !== undefined && ts.isIdentifier(last) && CALLBACK_NAME.test(last.text));
      if (name && !HELPER_CALL.test(name) && names.has(name) && passesCallback) callbackHops++;
      const through = promisified(n.expression);
      if (through && names.has(through)) callbackHops++;
    }
    ts.forEachChild(n, hops);
  };
  for (const f of converted) if (f.body) hops(f.body);
  return { helperLines, convertedFunctions: converted.length, callbackHops };
}

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

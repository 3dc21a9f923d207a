/**
 * The `promise-chains` transform: a returned `.then/.catch/.finally` chain
 * becomes sequential `await`s in an async function; a chain that is a
 * statement of its own becomes an async arrow called on the spot.
 *
 * Invariants:
 * - handlers keep their call semantics: a reference `f` becomes `f(value)`
 *   only when `f` is a function declaration/const function of this file
 *   (so `.then(undefined-ish)` pass-through and `this` are unchanged);
 *   member references (`path.basename`) are refused, never inlined;
 * - `.then(ok, err)` never puts `ok` inside the try (it would catch `ok`'s
 *   own errors: TypeScript #27621): only the await does, and only as the
 *   chain's last link;
 * - a function only becomes async if every path already returns a promise;
 * - inlined names never collide with names the function already uses;
 * - inside a `try`, `return x` becomes `return await x` so rejections are caught.
 * @module
 */
import { ts } from "ts-morph";
import {
  type FileContext,
  type PassResult,
  assignmentsTo,
  bindingOf,
  bindsName,
  declaredInFunctionAround,
  ownDeclarations,
  boundNamesUsed,
  declaredNames,
  isTsFile,
  indentAt,
  isAsyncFunction,
  isSurelyPrimitive,
  paren,
  indentUnit,
  shiftIndent,
  skipParens,
  usesThisOrArguments,
} from "../core.js";
import { ReturnEliminator, returnsEliminable } from "./return-elimination.js";
import { Refusal } from "../reasons.js";
import { isIdiomatic } from "../assumptions.js";
import { moduleBindings } from "./node-table.js";
import { DUAL_HELPER } from "./callbacks.js";

type Fn = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

interface Link {
  kind: "then" | "catch" | "finally";
  handler: ts.Expression;
  /** `.then(ok, err)`: the second handler, which sees only the rejections of what comes before. */
  onRejected?: ts.Expression;
  call: ts.CallExpression;
}

const NON_NATIVE =
  /^(bluebird|q|when|rsvp|es6-promise|pinkie|pinkie-promise|any-promise|promise|native-or-bluebird|jquery)$/;

function isChainCall(e: ts.Expression): e is ts.CallExpression {
  return (
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    ["then", "catch", "finally"].includes(e.expression.name.text)
  );
}

/** Splits `R.then(a).catch(b)` into R and links; undefined when not a chain. */
function splitChain(e: ts.Expression): { receiver: ts.Expression; links: Link[] } | undefined {
  const links: Link[] = [];
  let cur = skipParens(e);
  while (isChainCall(cur)) {
    const pa = cur.expression as ts.PropertyAccessExpression;
    const kind = pa.name.text as Link["kind"];
    if (cur.arguments.length === 0) return undefined;
    if (kind === "then" && cur.arguments.length === 2) {
      const second = skipParens(cur.arguments[1]);
      const first = skipParens(cur.arguments[0]);
      const nullish = (x: ts.Expression) =>
        x.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(x) && x.text === "undefined");
      if (nullish(first) && !nullish(second)) links.unshift({ kind: "catch", handler: cur.arguments[1], call: cur });
      else if (!nullish(second))
        links.unshift({ kind, handler: cur.arguments[0], onRejected: cur.arguments[1], call: cur });
      else links.unshift({ kind, handler: cur.arguments[0], call: cur });
    } else if (cur.arguments.length === 1) {
      links.unshift({ kind, handler: cur.arguments[0], call: cur });
    } else return undefined;
    cur = skipParens(pa.expression);
  }
  if (links.length === 0) return undefined;
  return { receiver: cur, links };
}

function isPromiseExpr(e: ts.Expression, chains: Set<ts.Node>): boolean {
  const x = skipParens(e);
  if (chains.has(x)) return true;
  if (ts.isNewExpression(x) && ts.isIdentifier(x.expression) && x.expression.text === "Promise") return true;
  if (
    ts.isCallExpression(x) &&
    ts.isPropertyAccessExpression(x.expression) &&
    ts.isIdentifier(x.expression.expression) &&
    x.expression.expression.text === "Promise"
  ) {
    return ["resolve", "reject", "all", "allSettled", "race", "any"].includes(x.expression.name.text);
  }
  if (ts.isAwaitExpression(x)) return false;
  return false;
}

/** Returns (not inside nested functions) of a function body. */
function ownReturns(body: ts.Node): ts.ReturnStatement[] {
  const out: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return out;
}

/** Functions of the file callable by a unique plain name. */
function functionNames(sf: ts.SourceFile): Map<string, number> {
  const counts = new Map<string, number>();
  const fnNames = new Set<string>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name) {
      add(n.name.text);
      fnNames.add(n.name.text);
    } else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) {
      add(n.name.text);
      const init = n.initializer && skipParens(n.initializer);
      const isConst = (n.parent.flags & ts.NodeFlags.Const) !== 0;
      if (init && isConst && (ts.isFunctionExpression(init) || ts.isArrowFunction(init))) fnNames.add(n.name.text);
    } else if ((ts.isParameter(n) || ts.isBindingElement(n)) && ts.isIdentifier(n.name)) add(n.name.text);
    else if (ts.isImportSpecifier(n) || ts.isImportClause(n) || ts.isNamespaceImport(n)) if (n.name) add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const out = new Map<string, number>();
  for (const n of fnNames) out.set(n, counts.get(n) ?? 0);
  return out;
}

/**
 * Built-ins whose result does not depend on `this` (ECMA-262 never reads it for these; Node's console methods are
 * bound): a promise calling one as a handler (`this` undefined) and a plain call `JSON.parse(v)` do the same.
 */
const THIS_FREE_BUILTINS: Readonly<Record<string, ReadonlySet<string> | "all">> = {
  JSON: new Set(["parse", "stringify"]),
  Math: "all",
  Object: new Set(["keys", "values", "entries", "freeze", "isFrozen", "getPrototypeOf"]),
  Array: new Set(["isArray"]),
  Number: new Set(["isInteger", "isFinite", "isNaN", "isSafeInteger", "parseFloat", "parseInt"]),
  console: new Set(["log", "error", "warn", "info", "debug", "trace"]),
};

/** Whether a function around `n`, or the file, declares `name`: then `name` there is not the global. */
const declaredAround = (n: ts.Node, name: string): boolean =>
  declaredInFunctionAround(n, name) || ownDeclarations(n.getSourceFile()).has(name);

function isThisFreeBuiltin(h: ts.PropertyAccessExpression): boolean {
  if (!ts.isIdentifier(h.expression) || !ts.isIdentifier(h.name)) return false;
  const members = Object.hasOwn(THIS_FREE_BUILTINS, h.expression.text)
    ? THIS_FREE_BUILTINS[h.expression.text]
    : undefined;
  return members === "all" || members?.has(h.name.text) === true;
}

class ChainConverter {
  private used: Set<string>;
  private declared = new Set<string>();
  /** TypeScript: the annotation each `.catch` handler's parameter gets as a catch clause variable. */
  private catchParamType = new Map<Link, string>();
  constructor(
    private readonly sf: ts.SourceFile,
    readonly fn: Fn | ts.SourceFile,
    private readonly fnNames: Map<string, number>,
    chain: ts.Node,
    private readonly unit: string,
  ) {
    this.used = boundNamesUsed(fn, chain);
  }

  /** A name no code of the scope uses, reserved for the rewrite. */
  freshName(base: string): string {
    return this.fresh(base);
  }

  private fresh(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n) || this.declared.has(n); i++) n = `${base}${i}`;
    this.declared.add(n);
    return n;
  }

  private claim(name: string): void {
    if (this.used.has(name) || this.declared.has(name)) throw new Refusal("NAME_COLLISION", name);
    this.declared.add(name);
  }

  /** A handler as (parameter name or undefined, statements text, value expression or undefined, rawBody). */
  private handler(
    link: Link,
    isLast: boolean,
    allowConditional = false,
  ): {
    param?: string;
    stmts: ts.Statement[];
    value?: string;
    ref?: string;
    /** `ref` is a built-in of THIS_FREE_BUILTINS: its value is no thenable, nothing to await. */
    builtin?: boolean;
    block?: ts.Block;
    conditional?: ts.Block;
  } {
    const h = skipParens(link.handler);
    // `.then(JSON.parse)`: a built-in that ignores `this` (and the global it hangs on, unshadowed) is the same
    // called as `JSON.parse(v)`, with the one argument the promise passes.
    if (
      ts.isPropertyAccessExpression(h) &&
      isThisFreeBuiltin(h) &&
      !declaredAround(h, (h.expression as ts.Identifier).text)
    )
      return { stmts: [], ref: h.getText(this.sf), builtin: true };
    if (ts.isPropertyAccessExpression(h) || ts.isElementAccessExpression(h))
      throw new Refusal("HANDLER_MEMBER_REFERENCE", h.getText(this.sf));
    if (ts.isIdentifier(h)) {
      if (this.fnNames.get(h.text) !== 1) throw new Refusal("HANDLER_NOT_FUNCTION", h.text);
      return { stmts: [], ref: h.text };
    }
    if (!ts.isFunctionExpression(h) && !ts.isArrowFunction(h)) {
      throw new Refusal(link.kind === "finally" ? "FINALLY_ARGUMENT" : "HANDLER_NOT_FUNCTION");
    }
    if (ts.isFunctionExpression(h)) {
      if (h.asteriskToken) throw new Refusal("HANDLER_NOT_FUNCTION", "generator");
      const u = usesThisOrArguments(h.body);
      if (u.usesThis || u.usesArguments || h.name) throw new Refusal("HANDLER_USES_THIS");
    } else if (usesThisOrArguments(h.body).usesArguments) throw new Refusal("HANDLER_USES_THIS");
    const maxParams = link.kind === "finally" ? 0 : 1;
    if (
      h.parameters.length > maxParams ||
      h.parameters.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken)
    ) {
      throw new Refusal("HANDLER_PARAMS");
    }
    const param = h.parameters[0] ? (h.parameters[0].name as ts.Identifier).text : undefined;
    const paramType = h.parameters[0]?.type?.getText(this.sf);
    if (link.kind === "catch" && param && isTsFile(this.sf.fileName)) {
      // A `.catch` handler's parameter is `any` (whatever its annotation says), a catch clause's is
      // `unknown` under strict: keep the handler's typing.
      this.catchParamType.set(link, paramType === "unknown" ? "unknown" : "any");
    }
    if (!ts.isBlock(h.body)) return { param, stmts: [], value: h.body.getText(this.sf) };
    const stmts = [...h.body.statements];
    const returns = ownReturns(h.body);
    if (!isLast || link.kind === "finally") {
      const lastStmt = stmts[stmts.length - 1];
      const tailReturn = lastStmt && ts.isReturnStatement(lastStmt) ? lastStmt : undefined;
      if (returns.some((r) => r !== tailReturn)) {
        // Returns in if/else branches: eliminated into a result variable (lowerThens).
        if (allowConditional && link.kind === "then" && returnsEliminable(stmts))
          return { param, stmts: [], conditional: h.body };
        throw new Refusal("CONDITIONAL_RETURN");
      }
      if (tailReturn) {
        stmts.pop();
        return { param, stmts, value: tailReturn.expression ? tailReturn.expression.getText(this.sf) : "undefined" };
      }
      return { param, stmts, value: undefined };
    }
    return { param, stmts, block: h.body };
  }

  private stmtsText(stmts: ts.Statement[], indent: string, awaitReturns: boolean): string {
    if (stmts.length === 0) return "";
    const comments = ts.getLeadingCommentRanges(this.sf.text, stmts[0].pos);
    const start = comments?.length ? comments[0].pos : stmts[0].getStart(this.sf);
    const end = stmts[stmts.length - 1].end;
    let text = this.sf.text.slice(start, end);
    if (awaitReturns) {
      const edits: Array<{ at: number; end: number; text: string }> = [];
      for (const s of stmts) {
        for (const r of ownReturnsOfStmt(s)) {
          if (r.expression)
            edits.push({
              at: r.expression.getStart(this.sf) - start,
              end: r.expression.end - start,
              text: awaited(r.expression.getText(this.sf)),
            });
        }
      }
      edits.sort((a, b) => b.at - a.at);
      for (const e of edits) text = text.slice(0, e.at) + e.text + text.slice(e.end);
    }
    return indent + shiftIndent(text, indentAt(this.sf.text, start), indent) + "\n";
  }

  /**
   * Lowers `receiver.links…` to statements at `indent`, delivering the chain's
   * value to `sink`: returned (inside a try: `return await`), or assigned to a
   * variable. A catch/finally link wraps everything before it in a try; the
   * links after it continue from a result variable.
   */
  lower(receiver: string, links: Link[], indent: string, sink: Sink, falls: boolean): string {
    if (links[links.length - 1]?.onRejected) return this.lowerTwoHandlers(receiver, links, indent, sink, falls);
    let g = -1;
    for (let k = 0; k < links.length; k++) if (links[k].kind !== "then") g = k;
    if (g < 0) return this.lowerThens(receiver, links, indent, sink, falls);
    const guard = links[g];
    const rest = links.slice(g + 1);
    const inner = indent + this.unit;
    const resultVar = rest.length ? this.fresh("result") : undefined;
    // Where the guarded part and the handler deliver their value.
    const partSink: Sink = resultVar
      ? { kind: "assign", name: resultVar }
      : sink.kind === "assign"
        ? sink
        : { kind: "return", inTry: true };
    let out = resultVar ? `${indent}let ${resultVar};\n` : "";
    out += `${indent}try {\n`;
    out += this.lower(receiver, links.slice(0, g), inner, partSink, false);
    if (guard.kind === "catch") {
      const handlerSink: Sink = resultVar ? { kind: "assign", name: resultVar } : sink;
      out += this.catchClause(guard, handlerSink, indent);
    } else {
      const h = this.handler(guard, false);
      out += `${indent}} finally {\n`;
      if (h.ref) out += `${inner}await ${h.ref}();\n`;
      else {
        for (const n of declaredNames(h.stmts)) this.claim(n);
        out += this.stmtsText(h.stmts, inner, false);
        if (h.value !== undefined && !isSurelyPrimitive(h.value)) out += `${inner}await ${paren(h.value)};\n`;
      }
      out += `${indent}}\n`;
    }
    if (resultVar) out += this.lower(resultVar, rest, indent, sink, falls);
    return out;
  }

  /** `} catch (e) { …handler… }` for a `.catch` link (or the second handler of `.then(ok, err)`). */
  private catchClause(link: Link, handlerSink: Sink, indent: string): string {
    const inner = indent + this.unit;
    const h = this.handler(link, handlerSink.kind === "return");
    const errName = h.param ?? this.fresh("error");
    if (h.param) this.claimCatch(h.param);
    const errType = this.catchParamType.get(link);
    let out = `${indent}} catch (${errName}${errType ? `: ${errType}` : ""}) {\n`;
    if (h.ref) out += deliver(handlerSink, `${h.ref}(${errName})`, inner);
    else if (h.block) {
      out += this.stmtsText(
        [...h.block.statements],
        inner,
        handlerSink.kind === "return" && handlerSink.inTry === true,
      );
      const last = h.block.statements[h.block.statements.length - 1];
      if (!last || !(ts.isReturnStatement(last) || ts.isThrowStatement(last))) out += `${inner}return;\n`;
    } else {
      for (const n of declaredNames(h.stmts)) this.claim(n);
      out += this.stmtsText(h.stmts, inner, false);
      out += deliver(handlerSink, h.value ?? "undefined", inner);
    }
    return out + `${indent}}\n`;
  }

  /**
   * `R.….then(ok, err)` as the chain's last link: `err` sees only rejections of what comes before,
   * never `ok`'s own errors (TypeScript #27621), so only the await of the value sits in the try:
   * `let v; try { v = await R…; } catch (e) { return err(e); } return ok(v);`. Refused unless the
   * chain's value is returned (an assigned value would need the ok part skipped after `err`).
   */
  private lowerTwoHandlers(receiver: string, links: Link[], indent: string, sink: Sink, falls: boolean): string {
    const last = links[links.length - 1];
    if (sink.kind !== "return") throw new Refusal("TWO_HANDLER_THEN", "not the chain's returned value");
    const inner = indent + this.unit;
    const ok = this.handler({ kind: "then", handler: last.handler, call: last.call }, true);
    const valueVar = ok.param ?? this.fresh("value");
    if (ok.param) this.claim(ok.param);
    let out = `${indent}let ${valueVar};\n${indent}try {\n`;
    const before = links.slice(0, -1);
    out += before.length
      ? this.lower(receiver, before, inner, { kind: "assign", name: valueVar }, false)
      : `${inner}${valueVar} = ${awaited(receiver)};\n`;
    out += this.catchClause({ kind: "catch", handler: last.onRejected!, call: last.call }, sink, indent);
    if (ok.ref) out += deliver(sink, `${ok.ref}(${valueVar})`, indent);
    else if (ok.block) {
      for (const n of declaredNames([...ok.block.statements])) this.claim(n);
      out += this.stmtsText([...ok.block.statements], indent, sink.inTry === true);
      const tail = ok.block.statements[ok.block.statements.length - 1];
      if ((!tail || !(ts.isReturnStatement(tail) || ts.isThrowStatement(tail))) && (falls || sink.inTry))
        out += `${indent}return;\n`;
    } else {
      for (const n of declaredNames(ok.stmts)) this.claim(n);
      out += this.stmtsText(ok.stmts, indent, false);
      out += deliver(sink, ok.value ?? "undefined", indent);
    }
    return out;
  }

  private claimCatch(name: string): void {
    // A catch parameter is scoped to its clause, but must not shadow a name the function uses.
    if (this.used.has(name)) throw new Refusal("NAME_COLLISION", name);
  }

  private lowerThens(receiver: string, links: Link[], indent: string, sink: Sink, falls: boolean): string {
    if (links.some((l) => l.onRejected)) throw new Refusal("TWO_HANDLER_THEN", "not the last link");
    let out = "";
    let value = receiver;
    // The value is a built-in's result (`JSON.parse(value)`): used as it is, never awaited.
    let plain = false;
    for (let i = 0; i < links.length; i++) {
      const isLast = i === links.length - 1;
      const h = this.handler(links[i], isLast && sink.kind === "return", true);
      let arg: string | undefined;
      if (h.ref) {
        arg = this.fresh("value");
        out += `${indent}const ${arg} = ${plain ? value : `await ${paren(value)}`};\n`;
        value = `${h.ref}(${arg})`;
        plain = h.builtin === true;
        continue;
      }
      if (h.param) {
        this.claim(h.param);
        out += `${indent}const ${h.param} = ${plain ? value : awaited(value)};\n`;
      } else if (plain) out += `${indent}${value};\n`;
      else if (!isSurelyPrimitive(value)) out += `${indent}await ${paren(value)};\n`;
      plain = false;
      if (h.block) {
        for (const n of declaredNames([...h.block.statements])) this.claim(n);
        out += this.stmtsText([...h.block.statements], indent, sink.kind === "return" && sink.inTry === true);
        const last = h.block.statements[h.block.statements.length - 1];
        if (
          (!last || !(ts.isReturnStatement(last) || ts.isThrowStatement(last))) &&
          (falls || (sink.kind === "return" && sink.inTry))
        )
          out += `${indent}return;\n`;
        return out;
      }
      if (h.conditional) {
        const result = this.fresh("result");
        for (const n of declaredNames([...h.conditional.statements])) this.claim(n);
        out += `${indent}let ${result};\n`;
        out += new ReturnEliminator(this.sf, this.unit, result).statements(h.conditional.statements, indent);
        value = result;
        continue;
      }
      for (const n of declaredNames(h.stmts)) this.claim(n);
      out += this.stmtsText(h.stmts, indent, false);
      value = h.value ?? "undefined";
    }
    return out + deliver(sink, value, indent, plain);
  }
}

type Sink = { kind: "return"; inTry?: boolean } | { kind: "assign"; name: string };

/** `await v`, or just `v` when v is surely a primitive (awaiting cannot adopt anything). */
function awaited(value: string): string {
  return isSurelyPrimitive(value) ? value : `await ${paren(value)}`;
}

function deliver(sink: Sink, value: string, indent: string, plain = false): string {
  const v = plain ? value : awaited(value);
  if (sink.kind === "assign") return `${indent}${sink.name} = ${v};\n`;
  return sink.inTry ? `${indent}return ${v};\n` : `${indent}return ${value};\n`;
}

function ownReturnsOfStmt(s: ts.Statement): ts.ReturnStatement[] {
  const out: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(s);
  return out;
}

function enclosingFunction(n: ts.Node): Fn | undefined {
  let p = n.parent;
  while (p) {
    if (ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isArrowFunction(p) || ts.isMethodDeclaration(p))
      return p;
    if (ts.isFunctionLike(p) || ts.isClassStaticBlockDeclaration(p)) return undefined;
    p = p.parent;
  }
  return undefined;
}

/** Runs one pass of the promise-chains transform. */
export function promiseChainsPass(ctx: FileContext): PassResult {
  const { sf } = ctx;
  const result: PassResult = { edits: [], sites: [] };
  const unit = indentUnit(sf.text);
  const bindings = moduleBindings(sf);
  // A file that imports a promise library, or implements `then` itself (a promise library's own
  // source), may hand out non-native thenables whose extra methods callers rely on.
  const nonNative =
    [...bindings.requires.values()].some((r) => NON_NATIVE.test(r.module)) ||
    /prototype(\.then|\[["']then["']\])\s*=/.test(sf.text) ||
    bindsName(sf, "Promise");
  const fnNames = functionNames(sf);

  // Outermost chain calls (a call whose parent is not itself the receiver of a chain link).
  const chains: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    // The helpers the callbacks transform adds (the dual surface, the whole-module `dualApi` shim).
    if (ts.isFunctionDeclaration(n) && (n.name?.text === DUAL_HELPER || n.name?.text === "dualApi")) return;
    if (ts.isExpression(n) && isChainCall(n)) {
      const parent = n.parent;
      const isReceiver =
        ts.isPropertyAccessExpression(parent) &&
        parent.expression === n &&
        ts.isCallExpression(parent.parent) &&
        isChainCall(parent.parent);
      if (!isReceiver) {
        chains.push(n);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // Skip chains nested inside another chain (converted in a later pass).
  const outer = chains.filter((c) => !chains.some((o) => o !== c && o.pos <= c.pos && c.end <= o.end));
  const converting = new Map<Fn, Set<ts.Node>>();
  const plans: Array<{ chain: ts.CallExpression; stmt: ts.ReturnStatement | ts.ArrowFunction; fn: Fn }> = [];
  /** The chains' first expressions (`parse(x)` of `parse(x).then(f)`), per function. */
  const heads = new Map<Fn, ts.Expression[]>();
  /** Converted functions whose chain heads may throw synchronously (the idiomatic profile accepts it). */
  const headThrows = new Set<Fn>();
  const idiomatic = isIdiomatic(ctx.options);
  const floating: Array<{ chain: ts.CallExpression; stmt: ts.ExpressionStatement; scope: Fn | ts.SourceFile }> = [];
  for (const chain of outer) {
    const pos = chain.getStart(sf);
    const label = (chain.expression as ts.PropertyAccessExpression).name.text;
    try {
      const split = splitChain(chain);
      if (!split) continue; // not a chain shape we recognise as a site
      if (!split.links.some((l) => l.kind === "then" || l.kind === "catch")) continue;
      const vetoed = ctx.veto?.(pos, "promise-chains"); // --verify: reverted or not tested
      if (vetoed) throw new Refusal(vetoed);
      const parent = skipParensUp(chain);
      // `await p.then(ok, fail)` is async/await code already (the callbacks pass writes
      // `await fs.promises.access(p).then(() => true, () => false)` for fs.exists): not a site.
      if (ts.isAwaitExpression(parent)) continue;
      const isReturn = ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === chainTop(chain));
      if (!isReturn && ts.isExpressionStatement(parent)) {
        // A floating chain (`p.then(f);`): its function must not start waiting for it, so it
        // becomes an async arrow called on the spot (see lowerFloating).
        if (nonNative) throw new Refusal("NON_NATIVE_PROMISE");
        const root = rootOf(split.receiver);
        if (root === "$" || root === "jQuery" || skipParens(split.receiver).kind === ts.SyntaxKind.ThisKeyword)
          throw new Refusal("NON_NATIVE_PROMISE");
        floating.push({ chain, stmt: parent, scope: enclosingFunction(chain) ?? sf });
        continue;
      }
      if (!isReturn) throw new Refusal("NOT_RETURNED");
      const fn = enclosingFunction(chain);
      if (!fn) throw new Refusal("NOT_RETURNED");
      if ((fn as ts.FunctionDeclaration).asteriskToken) throw new Refusal("NOT_RETURNED", "generator");
      if (!isAsyncFunction(fn) && nonNative && !surelyNative(split.receiver, bindings))
        throw new Refusal("NON_NATIVE_PROMISE");
      const root = rootOf(split.receiver);
      // `this.then(…)`: code implementing a thenable (a promise library's own methods).
      if (root === "$" || root === "jQuery" || skipParens(split.receiver).kind === ts.SyntaxKind.ThisKeyword)
        throw new Refusal("NON_NATIVE_PROMISE");
      const set = converting.get(fn) ?? new Set<ts.Node>();
      set.add(chain);
      converting.set(fn, set);
      plans.push({ chain, stmt: parent as ts.ReturnStatement | ts.ArrowFunction, fn });
      heads.set(fn, [...(heads.get(fn) ?? []), split.receiver]);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      result.sites.push({ pos, transform: "promise-chains", status: "refused", reason: e.reason, name: label });
    }
  }
  // Check each function once all its chains are known; then emit.
  const refusedFns = new Map<Fn, Refusal>();
  for (const [fn, set] of converting) {
    if (isAsyncFunction(fn)) continue;
    if (ts.isMethodDeclaration(fn) && (ts.isGetAccessor(fn) || ts.isSetAccessor(fn))) continue;
    if (!fn.body) continue;
    if (!ts.isBlock(fn.body)) continue; // arrow with expression body: the chain is the whole result
    const returns = ownReturns(fn.body);
    const stmts = fn.body.statements;
    const last = stmts[stmts.length - 1];
    const ok =
      returns.every((r) => r.expression && isPromiseExpr(r.expression, set)) &&
      last !== undefined &&
      ts.isReturnStatement(last) &&
      !containsThrow(fn.body);
    if (!ok) refusedFns.set(fn, new Refusal("FUNCTION_NOT_PROMISE_RETURNING"));
    else if (heads.get(fn)?.some(mayThrowSynchronously)) {
      // `return parse(x).then(f).catch(g)`: a synchronous throw of `parse` escaped the function; in
      // the async function it rejects (and a `.catch` link's try now catches it).
      if (!idiomatic) refusedFns.set(fn, new Refusal("CHAIN_HEAD_MAY_THROW"));
      else headThrows.add(fn);
    }
  }
  const asyncAdded = new Set<Fn>();
  // One chain per function per pass keeps edits disjoint and names fresh.
  const done = new Set<Fn>();
  for (const plan of plans) {
    const pos = plan.chain.getStart(sf);
    const label = (plan.chain.expression as ts.PropertyAccessExpression).name.text;
    const refusal = refusedFns.get(plan.fn);
    if (refusal) {
      result.sites.push({ pos, transform: "promise-chains", status: "refused", reason: refusal.reason, name: label });
      continue;
    }
    if (done.has(plan.fn)) continue;
    try {
      const split = splitChain(plan.chain)!;
      const conv = new ChainConverter(sf, plan.fn, fnNames, plan.chain, unit);
      if (ts.isReturnStatement(plan.stmt)) {
        const indent = indentAt(sf.text, plan.stmt.getStart(sf));
        const body = plan.fn.body as ts.Block;
        const isFinal = body.statements[body.statements.length - 1] === plan.stmt;
        let text = conv
          .lower(split.receiver.getText(sf), split.links, indent, { kind: "return" }, !isFinal)
          .replace(/\n$/, "");
        text = text.slice(indent.length);
        const needsBlock = !ts.isBlock(plan.stmt.parent);
        if (needsBlock) text = `{\n${indent}${unit}${shiftIndent(text, "", unit)}\n${indent}}`;
        result.edits.push({ start: plan.stmt.getStart(sf), end: plan.stmt.end, text });
      } else {
        // Arrow with expression body: `(x) => p.then(f)` → `async (x) => { … }`.
        const arrow = plan.stmt;
        const indent = indentAt(sf.text, arrow.getStart(sf));
        const inner = indent + unit;
        const text = conv
          .lower(split.receiver.getText(sf), split.links, inner, { kind: "return" }, false)
          .replace(/\n$/, "");
        result.edits.push({ start: arrow.body.getStart(sf), end: arrow.body.end, text: `{\n${text}\n${indent}}` });
      }
      if (!isAsyncFunction(plan.fn) && !asyncAdded.has(plan.fn)) {
        asyncAdded.add(plan.fn);
        result.edits.push({ start: asyncInsertPos(plan.fn, sf), end: asyncInsertPos(plan.fn, sf), text: "async " });
      }
      done.add(plan.fn);
      result.sites.push({
        pos,
        transform: "promise-chains",
        status: "converted",
        name: label,
        ...(headThrows.has(plan.fn) ? { assumptions: ["SYNC_THROW_BECOMES_REJECTION" as const] } : {}),
      });
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      result.sites.push({ pos, transform: "promise-chains", status: "refused", reason: e.reason, name: label });
    }
  }
  for (const f of floating) {
    const pos = f.chain.getStart(sf);
    const label = (f.chain.expression as ts.PropertyAccessExpression).name.text;
    if (done.has(f.scope as Fn)) continue;
    // A fire-and-forget chain is what a team keeps: as async/await it needs an async arrow called on the
    // spot (`void (async () => { try { … } catch … })()`), which is no clearer. Kept, with its reason.
    if (!ctx.options.lowerFloatingChains) {
      result.sites.push({ pos, transform: "promise-chains", status: "refused", reason: "FLOATING_CHAIN", name: label });
      continue;
    }
    try {
      const split = splitChain(f.chain)!;
      const conv = new ChainConverter(sf, f.scope, fnNames, f.chain, unit);
      result.edits.push({
        start: f.stmt.getStart(sf),
        end: f.stmt.end,
        text: lowerFloating(conv, split, f.stmt, sf, unit),
      });
      done.add(f.scope as Fn);
      result.sites.push({ pos, transform: "promise-chains", status: "converted", name: label });
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      result.sites.push({ pos, transform: "promise-chains", status: "refused", reason: e.reason, name: label });
    }
  }
  // Functions that had chains left for later passes still need `async` only when converted;
  // nothing else to do here.
  return result;
}

/**
 * A floating chain `R.then(f)…;` becomes `void (async () => { … })();`: the arrow runs at once up
 * to its first `await`, so `R` is evaluated and awaited exactly when the chain was built, the
 * enclosing function goes on without waiting (as before), and a rejection nobody handles is still
 * an unhandled rejection (of the arrow's promise). A receiver that could throw is evaluated
 * before the arrow (`const pending = R;`), so a synchronous throw stays synchronous.
 */
function lowerFloating(
  conv: ChainConverter,
  split: { receiver: ts.Expression; links: Link[] },
  stmt: ts.ExpressionStatement,
  sf: ts.SourceFile,
  unit: string,
): string {
  const indent = indentAt(sf.text, stmt.getStart(sf));
  const receiver = skipParens(split.receiver);
  const direct = ts.isIdentifier(receiver) && declaredWithoutTdz(receiver, sf);
  const pending = direct ? receiver.text : conv.freshName("pending");
  const inner = direct ? indent : indent + unit;
  const body = conv.lower(pending, split.links, inner + unit, { kind: "return" }, false).replace(/\n$/, "");
  const call = `void (async () => {\n${body}\n${inner}})();`;
  if (direct) return call;
  const block = `{\n${inner}const ${pending} = ${receiver.getText(sf)};\n${inner}${call}\n${indent}}`;
  return block;
}

/** A parameter, `var` or function name: reading it cannot throw (no temporal dead zone). */
function declaredWithoutTdz(id: ts.Identifier, sf: ts.SourceFile): boolean {
  let scope: ts.Node | undefined = id.parent;
  while (scope) {
    if (ts.isFunctionLike(scope)) {
      const params = (scope as ts.SignatureDeclaration).parameters;
      if (params.some((p) => ts.isIdentifier(p.name) && p.name.text === id.text)) return true;
    }
    scope = scope.parent;
  }
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isVariableDeclarationList(n) &&
      !(n.flags & ts.NodeFlags.BlockScoped) &&
      n.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === id.text)
    )
      found = true;
    if (ts.isFunctionDeclaration(n) && n.name?.text === id.text) found = true;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * True when evaluating a chain's head may throw synchronously: it calls something other than the
 * `Promise` statics or `new Promise` (whose executor's throws reject), outside nested functions.
 */
function mayThrowSynchronously(head: ts.Expression): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n)) {
      const callee = ts.isTaggedTemplateExpression(n) ? n.tag : n.expression;
      const promiseStatic =
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === "Promise" &&
        ["resolve", "reject", "all", "allSettled", "race", "any"].includes(callee.name.text);
      const newPromise = ts.isNewExpression(n) && ts.isIdentifier(callee) && callee.text === "Promise";
      if (!promiseStatic && !newPromise) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(head);
  return found;
}

function containsThrow(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isThrowStatement(n)) found = true;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

function asyncInsertPos(fn: Fn, sf: ts.SourceFile): number {
  if (ts.isMethodDeclaration(fn)) return fn.name.getStart(sf) - (fn.asteriskToken ? 1 : 0);
  if (ts.isArrowFunction(fn)) return fn.getStart(sf) + (fn.modifiers?.length ? 0 : 0);
  // function declarations / expressions: before the `function` keyword (after export/default).
  const kw = fn.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
  return kw ? kw.getStart(sf) : fn.getStart(sf);
}

function chainTop(chain: ts.Node): ts.Node {
  let n = chain;
  while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
  return n;
}

function skipParensUp(chain: ts.Node): ts.Node {
  return chainTop(chain).parent;
}

/**
 * A chain head that makes a native promise whatever the file's promise library: a call of core's promise APIs
 * (`fs.promises.stat(…)`, `dns.promises.lookup(…)`) or of util.promisify's result (`promisify(fs.open)(…)`,
 * `promisify(o.m).call(o, …)`), as node-apis and the bluebird rewrite write them. Its chain's promise is native too.
 */
function surelyNative(head: ts.Expression, b: ReturnType<typeof moduleBindings>): boolean {
  const x = skipParens(head);
  if (!ts.isCallExpression(x)) return false;
  const callee = skipParens(x.expression);
  // `var stat = promisify(fs.stat)` declared once and never reassigned: `stat(…)` is `promisify(fs.stat)(…)`.
  if (ts.isIdentifier(callee)) {
    const found = bindingOf(callee);
    const init = found?.decl.initializer && skipParens(found.decl.initializer);
    return (
      !!found &&
      !!init &&
      ts.isCallExpression(init) &&
      assignmentsTo(found.scope, callee.text) === 0 &&
      isUtilPromisify(skipParens(init.expression), b)
    );
  }
  // `fs.promises.m(…)`
  if (
    ts.isPropertyAccessExpression(callee) &&
    ts.isPropertyAccessExpression(callee.expression) &&
    callee.expression.name.text === "promises" &&
    ts.isIdentifier(callee.expression.expression) &&
    b.core.has(callee.expression.expression.text)
  )
    return true;
  // `promisify(f)(…)` or `promisify(o.m).call(o, …)`, promisify util's.
  const made = ts.isPropertyAccessExpression(callee) && callee.name.text === "call" ? callee.expression : callee;
  return ts.isCallExpression(made) && isUtilPromisify(skipParens(made.expression), b);
}

/** `promisify` bound to util's (`const { promisify } = require('util')`), or `util.promisify`. */
function isUtilPromisify(p: ts.Expression, b: ReturnType<typeof moduleBindings>): boolean {
  const isUtil = (name: string, member?: string) => {
    const spec = b.requires.get(name);
    return spec?.module.replace(/^node:/, "") === "util" && spec.member === member;
  };
  return (
    (ts.isIdentifier(p) && isUtil(p.text, "promisify")) ||
    (ts.isPropertyAccessExpression(p) &&
      p.name.text === "promisify" &&
      ts.isIdentifier(p.expression) &&
      isUtil(p.expression.text))
  );
}

function rootOf(e: ts.Expression): string | undefined {
  let x = skipParens(e);
  for (;;) {
    if (ts.isCallExpression(x)) x = skipParens(x.expression);
    else if (ts.isPropertyAccessExpression(x)) x = skipParens(x.expression);
    else break;
  }
  if (x.kind === ts.SyntaxKind.ThisKeyword) return "this";
  return ts.isIdentifier(x) ? x.text : undefined;
}

// Random callback-style programs for the codemods' property test (property.test.ts): the generator
// (fast-check arbitraries of a small statement tree), the printer (tree → JS or TS source), and the
// runner (loads a module text with a deterministic fake `fs`, calls every generated function and
// records what it did).
import * as nodeUtil from "node:util";
import fc from "fast-check";
import * as vm from "node:vm";
import { ts } from "ts-morph";
import * as promiseAdapters from "../../adapters/promise/index.js";
import { describe } from "./harness.js";

// ---------------------------------------------------------------- the tree

/** How a continuation handles its error parameter. */
export type ErrHandling =
  | "return"
  | "block"
  | "enoent"
  | "ignore"
  | "wrap"
  | "logContinue"
  | "noParams"
  | "computed"
  | "nestedEnoent"
  | "elseBranch";
/** How a path ends: a callback call. */
export type EndKind =
  | "value"
  | "noArgs"
  | "null"
  | "error"
  | "codedError"
  | "forward"
  | "forwardValue"
  | "forwardTested"
  | "twice"
  | "nested"
  | "stored"
  | "silent"
  | "ifOnly";
/** Deliberately bad ends (printed as "value" in functions without bad shapes). */
const BAD_ENDS: ReadonlySet<EndKind> = new Set(["twice", "nested", "stored", "silent", "ifOnly"]);

export type Stmt =
  | { t: "end"; kind: EndKind; ret: boolean; e: number }
  | { t: "log"; e: number; next: Stmt }
  | {
      t: "call";
      callee: number;
      arg: number;
      err: ErrHandling;
      sameErrName: boolean;
      valName: "fresh" | "shadowX" | "same";
      codeAfter: boolean;
      next: Stmt;
    }
  /** `let t = expr;` (the same name `t` at every level when `same`: each continuation had its own). */
  | { t: "let"; e: number; same: boolean; next: Stmt }
  | { t: "if"; cond: number; then: Stmt; else: Stmt }
  | { t: "ifReturn"; cond: number; end: Stmt; next: Stmt }
  | { t: "json"; valid: boolean; recover: boolean; next: Stmt }
  | { t: "tail"; callee: number; arg: number; ret: boolean }
  /** `return c ? g(arg, cb) : cb(new Error(…))`. */
  | { t: "ternaryTail"; cond: number; callee: number; arg: number }
  /** A call of the function's inner helper (printed as a tail call of `g` when the function has none). */
  | { t: "helper"; arg: number; ret: boolean; twice: boolean }
  /** A promise continuation calling back: `fs.promises.readlink(arg).then(function (v) { … }, function (e) { cb(e); })`. */
  | { t: "promiseThen"; arg: number; twoHandlers: boolean; next: Stmt };

/** An inner helper `function step(p, n) { if (n <= 0) return cb(null, …); … }` declared in the function's body. */
export interface InnerHelper {
  body: Stmt;
  /** Declared before the first asynchronous call (refused: CALLBACK_IN_NESTED_FUNCTION). */
  first: boolean;
}

export interface CallbackFn {
  kind: "callback";
  cbName: "cb" | "callback" | "done";
  throwOnBoom: boolean;
  prologueLog: boolean;
  checkCallback: boolean;
  /** `(x, opts, cb)` with `if (typeof opts === 'function') { cb = opts; opts = {}; }` (called as `(x, cb)`). */
  optionsShuffle: boolean;
  /** False: the deliberately bad shapes (callback twice, nested, stored, code after a call, promise continuations) are printed as good ones. */
  badShapes: boolean;
  body: Stmt;
  helper: InnerHelper | null;
}

export interface CounterFn {
  kind: "counter";
  loop: "forEach" | "for" | "named";
  callee: number;
  guard: boolean;
  results: "index" | "none" | "push" | "total";
  noneArity: "noArgs" | "null";
  start: "exact" | "less" | "more";
  emptyGuard: "none" | "sync" | "nextTick" | "setImmediate";
  /** In the function body, or inside the continuation of a first fs.readlink (rimraf's rmkids). */
  place: "body" | "continuation";
  /** `failed = true; return cb(er)`, or isaacs' `return cb(failed = er)` with the join handing cb to fs.readlink. */
  style: "classic" | "isaacs";
}

export type Handler =
  | "expr"
  | "block"
  | "throwIfLong"
  | "promise"
  | "conditional"
  | "recover"
  | "rethrow"
  | "reference";
export interface Link {
  kind: "then" | "catch" | "finally" | "then2";
  h: Handler;
  h2: Handler;
}
export interface ChainFn {
  kind: "chain";
  /** `executor`: a `new Promise` around fs.readlink (the node-apis transform); `executorExtra` does more (refused). */
  source: "readlink" | "resolve" | "reject" | "executor" | "executorExtra";
  links: Link[];
  floating: boolean;
  /** What runs before the returned chain. */
  pre: "none" | "log" | "earlyValue" | "earlyThrow" | "earlyResolve";
}

export type GenFn = CallbackFn | CounterFn | ChainFn;
export interface Program {
  fns: GenFn[];
  ts: boolean;
  /** 0: one file (migrateSource); k > 0: functions before k in a.js, the rest in b.js (migrateProject). */
  split: number;
  /** `--dual-api import`: converted functions delegate to asyncio-ts/promise's dualApi. */
  dualApiImport: boolean;
  /** `--assume-err-first`: `api.get` (a well-behaved err-first function of another module) is converted too. */
  assumeErrFirst: boolean;
}

// ---------------------------------------------------------------- arbitraries

const small = fc.nat({ max: 11 });
const errHandling = fc.constantFrom<ErrHandling>(
  "return",
  "return",
  "return",
  "block",
  "enoent",
  "ignore",
  "wrap",
  "logContinue",
  "noParams",
  "computed",
  "nestedEnoent",
  "elseBranch",
);
const endKind = fc.constantFrom<EndKind>(
  "value",
  "value",
  "value",
  "value",
  "noArgs",
  "null",
  "error",
  "codedError",
  "forward",
  "forwardValue",
  "forwardTested",
  "twice",
  "nested",
  "stored",
  "silent",
  "ifOnly",
);
/** True one time out of eight (bad shapes, rarer prologues and options). */
const rarely = fc.nat({ max: 7 }).map((n) => n === 0);

const stmts = fc.letrec<{ stmt: Stmt; end: Stmt; call: Stmt }>((tie) => ({
  end: fc.record({ t: fc.constant("end" as const), kind: endKind, ret: fc.boolean(), e: small }),
  call: fc.record({
    t: fc.constant("call" as const),
    callee: small,
    arg: small,
    err: errHandling,
    sameErrName: fc.nat({ max: 3 }).map((n) => n === 0),
    valName: fc.constantFrom(
      "fresh" as const,
      "fresh" as const,
      "fresh" as const,
      "fresh" as const,
      "fresh" as const,
      "fresh" as const,
      "shadowX" as const,
      "same" as const,
    ),
    codeAfter: rarely,
    next: tie("stmt"),
  }),
  stmt: fc.oneof(
    { depthSize: "small", withCrossShrink: true, maxDepth: 4 },
    { weight: 3, arbitrary: tie("end") },
    { weight: 3, arbitrary: tie("call") },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("log" as const), e: small, next: tie("stmt") }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("let" as const), e: small, same: rarely, next: tie("stmt") }) },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant("if" as const), cond: small, then: tie("stmt"), else: tie("stmt") }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant("ifReturn" as const), cond: small, end: tie("end"), next: tie("stmt") }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("json" as const),
        valid: fc.boolean(),
        recover: fc.boolean(),
        next: tie("stmt"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant("tail" as const), callee: small, arg: small, ret: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant("ternaryTail" as const), cond: small, callee: small, arg: small }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant("helper" as const), arg: small, ret: fc.boolean(), twice: rarely }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant("promiseThen" as const),
        arg: small,
        twoHandlers: fc.boolean(),
        next: tie("stmt"),
      }),
    },
  ),
}));

/** What a branch of a branched first call makes: mostly one first call; sometimes code before it (refused). */
const branchFirstCall: fc.Arbitrary<Stmt> = fc.oneof(
  { weight: 4, arbitrary: stmts.call },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("tail" as const), callee: small, arg: small, ret: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("helper" as const), arg: small, ret: fc.boolean(), twice: rarely }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("log" as const), e: small, next: stmts.call }) },
  { weight: 1, arbitrary: stmts.end },
);
/** `if (c) { first call } else { first call }`, or an `else if` chain of them. */
const branchedStart = fc.letrec<{ start: Stmt }>((tie) => ({
  start: fc.record({
    t: fc.constant("if" as const),
    cond: small,
    then: branchFirstCall,
    else: fc.oneof(
      { depthSize: "small", maxDepth: 2 },
      { weight: 3, arbitrary: branchFirstCall },
      { weight: 1, arbitrary: tie("start") },
    ),
  }),
})).start;

const callbackFn: fc.Arbitrary<CallbackFn> = fc.record({
  kind: fc.constant("callback" as const),
  cbName: fc.constantFrom("cb" as const, "callback" as const, "done" as const),
  throwOnBoom: rarely,
  prologueLog: rarely,
  checkCallback: rarely,
  optionsShuffle: rarely,
  badShapes: fc.boolean(),
  // Mostly a body that starts with an asynchronous call: the shape the transform converts.
  body: fc.oneof(
    { weight: 4, arbitrary: stmts.call },
    { weight: 1, arbitrary: stmts.stmt },
    { weight: 2, arbitrary: branchedStart },
  ),
  helper: fc.option(
    fc.record({
      body: fc.oneof({ weight: 2, arbitrary: stmts.call }, { weight: 1, arbitrary: stmts.stmt }),
      first: rarely,
    }),
    { freq: 3 },
  ),
});

const counterFn: fc.Arbitrary<CounterFn> = fc.record({
  kind: fc.constant("counter" as const),
  loop: fc.constantFrom("forEach" as const, "for" as const, "named" as const),
  callee: small,
  guard: fc.nat({ max: 3 }).map((n) => n > 0),
  results: fc.constantFrom("index" as const, "none" as const, "push" as const, "total" as const),
  noneArity: fc.constantFrom("noArgs" as const, "null" as const),
  start: fc.constantFrom("exact" as const, "exact" as const, "exact" as const, "less" as const, "more" as const),
  emptyGuard: fc.constantFrom(
    "none" as const,
    "none" as const,
    "sync" as const,
    "nextTick" as const,
    "setImmediate" as const,
  ),
  place: fc.constantFrom("body" as const, "continuation" as const),
  style: fc.constantFrom("classic" as const, "classic" as const, "isaacs" as const),
});

const handler = fc.constantFrom<Handler>(
  "expr",
  "block",
  "throwIfLong",
  "promise",
  "conditional",
  "recover",
  "rethrow",
  "reference",
);
const link: fc.Arbitrary<Link> = fc.record({
  kind: fc.constantFrom("then" as const, "then" as const, "catch" as const, "finally" as const, "then2" as const),
  h: handler,
  h2: handler,
});
const chainFn: fc.Arbitrary<ChainFn> = fc.record({
  kind: fc.constant("chain" as const),
  source: fc.constantFrom(
    "readlink" as const,
    "resolve" as const,
    "reject" as const,
    "executor" as const,
    "executorExtra" as const,
  ),
  links: fc.array(link, { minLength: 1, maxLength: 3 }),
  floating: fc.nat({ max: 3 }).map((n) => n === 0),
  pre: fc.constantFrom(
    "none" as const,
    "none" as const,
    "log" as const,
    "earlyValue" as const,
    "earlyThrow" as const,
    "earlyResolve" as const,
  ),
});

export const programArb: fc.Arbitrary<Program> = fc
  .record({
    fns: fc.array(
      fc.oneof(
        { weight: 5, arbitrary: callbackFn as fc.Arbitrary<GenFn> },
        { weight: 2, arbitrary: counterFn },
        { weight: 2, arbitrary: chainFn },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    ts: fc.nat({ max: 3 }).map((n) => n === 0),
    split: fc.nat({ max: 3 }),
    dualApiImport: fc.nat({ max: 3 }).map((n) => n === 0),
    assumeErrFirst: fc.nat({ max: 3 }).map((n) => n === 0),
  })
  // Two files (migrateProject) in one program out of four, when there are two functions at least.
  .map((p) => ({ ...p, split: p.fns.length > 1 && p.split === 0 ? 1 + (p.fns.length % (p.fns.length - 1 || 1)) : 0 }));

// ---------------------------------------------------------------- the printer

export const SCALAR_INPUTS: unknown[] = ["a@1", "!b@2", "c@3", 42, "boom"];
export const LIST_INPUTS: unknown[][] = [["a@2", "b@1"], [], ["!c@1", "d@3"], ["!a@2", "!b@1", "c@1"], ["e@1"]];
export const CHAIN_INPUTS: unknown[] = ["a@1", "!b@1", 42];

const LITERALS = ["'a@1'", "'b@2'", "'!c@1'", "'d@3'", "'!e@2'", "'f@1'"];

interface Ctx {
  cb: string;
  /** Names of the values in scope (the parameter first). */
  vals: string[];
  /** Inside a continuation: nothing here may throw (it would be an uncaught exception in the original). */
  inCont: boolean;
  callees: string[];
  ts: boolean;
  n: { next: number };
  /** The function's inner helper, if it has one, and whether we are printing its body. */
  helper?: string;
  inHelper?: boolean;
  badShapes: boolean;
  /** The error parameter of the innermost continuation, if any. */
  err?: string;
  /** `let` names of the current block. */
  lets?: readonly string[];
}

function valueExpr(e: number, c: Ctx): string {
  const v = c.vals[e % c.vals.length];
  switch (Math.floor(e / c.vals.length) % 4) {
    case 0:
      return `String(${v})`;
    case 1:
      return `String(${v}).length`;
    case 2:
      return `String(${v}) + '!'`;
    default:
      return `'n' + String(${v}).length`;
  }
}

function argExpr(a: number, c: Ctx): string {
  const v = c.vals[a % c.vals.length];
  switch (a % 4) {
    // The raw parameter (a number makes the call throw synchronously) only outside continuations.
    case 0:
      return c.inCont ? `String(${v}) + '@2'` : "x";
    case 1:
      return LITERALS[a % LITERALS.length];
    case 2:
      return `String(${v}) + '@${(a % 3) + 1}'`;
    default:
      return `'!' + String(${v})`;
  }
}

function condExpr(k: number, c: Ctx): string {
  const v = c.vals[k % c.vals.length];
  switch (k % 3) {
    case 0:
      return `String(${v}).length > ${(k % 5) + 3}`;
    case 1:
      return `String(${v}).indexOf('!') >= 0`;
    default:
      return `x === 'a@1'`;
  }
}

const ind = (s: string, pad = "  "): string =>
  s
    .split("\n")
    .map((l) => (l ? pad + l : l))
    .join("\n");

function printEnd(s: Extract<Stmt, { t: "end" }>, c: Ctx): string {
  const r = s.ret ? "return " : "";
  const n = c.n.next++;
  let kind = BAD_ENDS.has(s.kind) && !c.badShapes ? "value" : s.kind;
  if ((kind === "forward" || kind === "forwardValue" || kind === "forwardTested") && !c.err) kind = "null";
  switch (kind) {
    case "value":
      return `${r}${c.cb}(null, ${valueExpr(s.e, c)});`;
    case "noArgs":
      return `${r}${c.cb}();`;
    case "null":
      return `${r}${c.cb}(null);`;
    case "error":
      return `${r}${c.cb}(new Error('fail ' + ${valueExpr(s.e, c)}));`;
    case "codedError":
      return `var e${n}${c.ts ? ": any" : ""} = new Error('coded');\ne${n}.code = 'ECODED';\n${r}${c.cb}(e${n});`;
    case "twice":
      return `${c.cb}(null, ${valueExpr(s.e, c)});\n${r}${c.cb}(null, 'again');`;
    case "nested":
      return `setImmediate(function () {\n  ${c.cb}(null, ${valueExpr(s.e, c)});\n});`;
    case "stored":
      return `var saved${n} = ${c.cb};\n${r}saved${n}(null, ${valueExpr(s.e, c)});`;
    case "forward":
      return `${r}${c.cb}(${c.err});`;
    case "forwardValue":
      return `${r}${c.cb}(${c.err}, ${valueExpr(s.e, c)});`;
    case "forwardTested":
      // isexe's `cb(er, er ? false : check(st))`: the value's call (a log here) runs only on success.
      return `${r}${c.cb}(${c.err}, ${c.err} ? false : (log('T' + ${valueExpr(s.e, c)}), ${valueExpr(s.e, c)}));`;
    case "silent":
      return "return;";
    case "ifOnly":
      return `if (${condExpr(s.e, c)}) {\n  ${r}${c.cb}(null, ${valueExpr(s.e, c)});\n}`;
  }
  throw new Error(`unknown end ${kind}`);
}

function printStmt(s: Stmt, c: Ctx): string {
  switch (s.t) {
    case "end":
      return printEnd(s, c);
    case "let": {
      const t = s.same && !c.lets?.includes("t") ? "t" : `t${c.n.next++}`;
      return `let ${t} = ${valueExpr(s.e, c)};\n${printStmt(s.next, { ...c, vals: [...c.vals, t], lets: [...(c.lets ?? []), t] })}`;
    }
    case "log":
      return `log('L' + ${valueExpr(s.e, c)});\n${printStmt(s.next, c)}`;
    case "if":
      return `if (${condExpr(s.cond, c)}) {\n${ind(printStmt(s.then, { ...c, lets: [] }))}\n} else {\n${ind(printStmt(s.else, { ...c, lets: [] }))}\n}`;
    case "ifReturn": {
      // Without `return` both the end and what follows run: a bad shape.
      const end = c.badShapes || s.end.t !== "end" ? s.end : { ...s.end, ret: true };
      return `if (${condExpr(s.cond, c)}) {\n${ind(printStmt(end, c))}\n}\n${printStmt(s.next, c)}`;
    }
    case "json": {
      const n = c.n.next++;
      const v = c.vals[n % c.vals.length];
      const src = s.valid ? `'{"k":' + String(${v}).length + '}'` : `'{' + String(${v})`;
      const onError = s.recover ? `d${n} = 'bad';\nlog('bad json ' + e${n}.name);` : `return ${c.cb}(e${n});`;
      const next = printStmt(s.next, { ...c, vals: [...c.vals, `d${n}`] });
      return `var d${n}${c.ts ? ": any" : ""};\ntry {\n  d${n} = JSON.parse(${src});\n} catch (e${n}) {\n${ind(onError)}\n}\n${next}`;
    }
    case "ternaryTail":
      return `return ${condExpr(s.cond, c)} ? ${c.callees[s.callee % c.callees.length]}(${argExpr(s.arg, c)}, ${c.cb}) : ${c.cb}(new Error('no'));`;
    case "helper": {
      if (!c.helper) return `${s.ret ? "return " : ""}${c.callees[0]}(${argExpr(s.arg, c)}, ${c.cb});`;
      const call = `${s.ret ? "return " : ""}${c.helper}(${argExpr(s.arg, c)}, ${c.inHelper ? "n - 1" : "2"});`;
      return s.twice && c.badShapes ? `${c.helper}('twice@1', ${c.inHelper ? "n - 1" : "2"});\n${call}` : call;
    }
    case "promiseThen": {
      if (!c.badShapes)
        return printStmt(
          {
            t: "call",
            callee: s.arg,
            arg: s.arg,
            err: "return",
            sameErrName: false,
            valName: "fresh",
            codeAfter: false,
            next: s.next,
          },
          c,
        );
      const n = c.n.next++;
      const next = printStmt(s.next, { ...c, lets: [], inCont: true, vals: [...c.vals, `v${n}`] });
      const onError = `function (e${n}) {\n  ${c.cb}(e${n});\n}`;
      return s.twoHandlers
        ? `fs.promises.readlink(${argExpr(s.arg, c)}).then(function (v${n}) {\n${ind(next)}\n}, ${onError});`
        : `fs.promises.readlink(${argExpr(s.arg, c)}).then(function (v${n}) {\n${ind(next)}\n}).catch(${onError});`;
    }
    case "tail":
      return `${s.ret ? "return " : ""}${c.callees[s.callee % c.callees.length]}(${argExpr(s.arg, c)}, ${c.cb});`;
    case "call": {
      const n = c.n.next++;
      const er = s.sameErrName ? "err" : `er${n}`;
      const v = s.valName === "shadowX" ? "x" : s.valName === "same" ? "val" : `v${n}`;
      const inner: Ctx = {
        ...c,
        lets: [],
        inCont: true,
        vals: s.err === "noParams" ? c.vals : [...c.vals, v],
        err: s.err === "noParams" ? c.err : er,
      };
      let handling = "";
      switch (s.err) {
        case "return":
          handling = `if (${er}) return ${c.cb}(${er});\n`;
          break;
        case "block":
          handling = `if (${er}) {\n  log('err ' + ${er}.code);\n  return ${c.cb}(${er});\n}\n`;
          break;
        case "enoent":
          handling = `if (${er} && ${er}.code === 'ENOENT') return ${c.cb}(null, 'missing');\nif (${er}) return ${c.cb}(${er});\n`;
          break;
        case "wrap":
          handling = `if (${er}) return ${c.cb}(new Error('wrapped: ' + ${er}.message));\n`;
          break;
        case "logContinue":
          handling = `if (${er}) {\n  log('ignored ' + ${er}.message);\n}\n`;
          break;
        case "computed":
          handling = `if (${er}) return ${c.cb}(${er}.code === 'ENOENT' ? null : ${er});\n`;
          break;
        case "nestedEnoent":
          handling = `if (${er}) {\n  if (${er}.code === 'ENOENT') return ${c.cb}(null, 'none');\n  return ${c.cb}(${er});\n}\n`;
          break;
        case "ignore":
        case "noParams":
        case "elseBranch":
          break;
      }
      const params = s.err === "noParams" ? "" : `${er}, ${v}`;
      const callee = c.callees[s.callee % c.callees.length];
      const after = s.codeAfter && c.badShapes ? "\nlog('after');" : "";
      const rest =
        s.err === "elseBranch"
          ? `if (!${er}) {\n${ind(printStmt(s.next, inner))}\n} else {\n  return ${c.cb}(${er});\n}`
          : handling + printStmt(s.next, inner);
      return `${callee}(${argExpr(s.arg, c)}, function (${params}) {\n${ind(rest)}\n});${after}`;
    }
  }
}

function printCounter(f: CounterFn, name: string, callees: string[], tsx: boolean): string {
  const callee = callees[f.callee % callees.length];
  const count = f.loop === "named" ? 2 + (f.callee % 2) : 0;
  const delta = f.start === "less" ? " - 1" : f.start === "more" ? " + 1" : "";
  const isaacs = f.style === "isaacs";
  // isaacs' join hands the callback on: no results to pass.
  const results = f.loop === "named" || isaacs ? "none" : f.results;
  const sig = tsx ? `(xs: any[], cb: (err: any, result?: any) => void): void` : `(xs, cb)`;
  const decl = [
    `left = ${f.loop === "named" ? String(count) : "xs.length"}${delta}`,
    isaacs ? "failed" : "failed = false",
  ];
  if (results === "index" || results === "push") decl.push(`out${tsx ? ": any[]" : ""} = []`);
  if (results === "total") decl.push("total = 0");
  const success = isaacs
    ? "fs.readlink('tail', cb)"
    : results === "index" || results === "push"
      ? "cb(null, out)"
      : results === "total"
        ? "cb(null, total)"
        : f.noneArity === "null"
          ? "cb(null)"
          : "cb()";
  const emptySuccess =
    results === "index" || results === "push" ? "cb(null, [])" : results === "total" ? "cb(null, 0)" : success;
  const emptyGuard = {
    none: "",
    sync: `if (left === 0) return ${emptySuccess};\n`,
    nextTick: `if (left === 0) return process.nextTick(function () {\n  ${emptySuccess};\n});\n`,
    setImmediate: `if (xs.length === 0) {\n  setImmediate(function () {\n    ${emptySuccess};\n  });\n  return;\n}\n`,
  }[f.emptyGuard];
  // No calls in the stored expression (COUNTER_SHAPE); `v` may be undefined (a callee calling back `cb()`).
  const store = {
    index: "out[i] = v + '#';\n",
    push: "out.push(v);\n",
    total: "total += v ? v.length : 0;\n",
    none: "",
  }[results];
  const errBranch = isaacs
    ? "if (failed) return;\nif (er) return cb(failed = er);\n"
    : "if (failed) return;\nif (er) {\n  failed = true;\n  return cb(er);\n}\n";
  const join = (f.guard ? errBranch : "if (er) return cb(er);\n") + store + `if (--left === 0) ${success};`;
  let calls: string;
  if (f.loop === "named") {
    calls =
      Array.from({ length: count }, (_, k) => `${callee}(String(xs[${k}]), next);`).join("\n") +
      `\nfunction next(er${tsx ? ": any" : ""}) {\n${ind(join)}\n}`;
  } else {
    const cont = `function (er, v) {\n${ind(join)}\n}`;
    calls =
      f.loop === "forEach"
        ? `xs.forEach(function (f, i) {\n  ${callee}(f, ${ind(cont).trimStart()});\n});`
        : `for (let i = 0; i < xs.length; i++) {\n  ${callee}(xs[i], ${ind(cont).trimStart()});\n}`;
  }
  const flow = `var ${decl.join(", ")};\n${emptyGuard}${calls}`;
  if (f.place === "body") return `function ${name}${sig} {\n${ind(flow)}\n}`;
  const first = `fs.readlink('first', function (er0${tsx ? ": any" : ""}) {\n${ind(`if (er0) return cb(er0);\n${flow}`)}\n});`;
  return `function ${name}${sig} {\n${ind(first)}\n}`;
}

function printHandler(h: Handler, link: Link["kind"], second: boolean): string {
  if (link === "finally")
    return h === "block" ? "function () {\n  log('finally');\n  return 'ignored';\n}" : "() => {\n  log('finally');\n}";
  const isCatch = link === "catch" || second;
  if (isCatch) {
    switch (h) {
      case "expr":
        return "(e) => 'caught ' + e.message";
      case "block":
      case "recover":
        return "function (e) {\n  log('catch ' + e.message);\n  return 'recovered';\n}";
      case "throwIfLong":
        return "(e) => {\n  if (e.message.length > 12) throw new Error('long: ' + e.message);\n  return 'short';\n}";
      case "promise":
        return "(e) => fs.promises.readlink('!' + e.message)";
      case "conditional":
        return "(e) => {\n  if (e.code === 'ENOENT') return 'missing';\n  return 'other';\n}";
      case "reference":
        return "describeError";
      default:
        return "(e) => {\n  throw new Error('re: ' + e.message);\n}";
    }
  }
  switch (h) {
    case "expr":
      return "(v) => String(v) + '+'";
    case "block":
    case "recover":
      return "function (v) {\n  log('then ' + String(v));\n  return String(v) + '1';\n}";
    case "throwIfLong":
      return "(v) => {\n  if (String(v).length > 6) throw new Error('long ' + String(v));\n  return String(v) + 'k';\n}";
    case "promise":
      return "(v) => fs.promises.readlink(String(v) + '@1')";
    case "conditional":
      return "(v) => {\n  if (String(v).length % 2) return 'odd';\n  return 'even';\n}";
    case "reference":
      return "shout";
    default:
      return "(v) => {\n  log('then ' + String(v));\n}";
  }
}

function printChain(f: ChainFn, name: string, tsx: boolean): string {
  const source = {
    readlink: "fs.promises.readlink(x)",
    resolve: "Promise.resolve(x)",
    reject: "Promise.reject(new Error('rejected ' + String(x)))",
    executor:
      "new Promise(function (resolve, reject) {\n  fs.readlink(x, function (err, target) {\n    if (err) reject(err);\n    else resolve(target);\n  });\n})",
    executorExtra:
      "new Promise((resolve, reject) => {\n  fs.readlink(x, (err, target) => (err ? reject(err) : resolve(String(target) + '?')));\n})",
  }[f.source];
  const links = f.links.map((l) => {
    const method = l.kind === "then2" ? "then" : l.kind;
    const args =
      l.kind === "then2"
        ? `${printHandler(l.h, "then", false)}, ${printHandler(l.h2, "then", true)}`
        : printHandler(l.h, l.kind, false);
    return `.${method}(${args})`;
  });
  // A floating chain ends with a catch that cannot throw: an unhandled rejection would fail the test run.
  if (f.floating) links.push(".catch(function (e) {\n  log('final ' + e.message);\n})");
  const chain = source + "\n" + ind(links.join("\n"));
  const sig = tsx ? "(x: any)" : "(x)";
  const pre = {
    none: "",
    log: "  log('chain ' + String(x));\n",
    earlyValue: "  if (x === 42) return null;\n",
    earlyThrow: "  if (x === 42) throw new TypeError('number');\n",
    earlyResolve: "  if (x === 42) return Promise.resolve('early');\n",
  }[f.pre];
  return f.floating
    ? `function ${name}${sig} {\n${pre}${ind(chain)};\n  log('started');\n}`
    : `function ${name}${sig} {\n${pre}  return ${chain.replace(/\n/g, "\n  ")};\n}`;
}

export interface PrintedFn {
  name: string;
  kind: GenFn["kind"];
  /** Index into the printed files. */
  file: number;
  text: string;
}
export interface Printed {
  files: { name: string; text: string }[];
  fns: PrintedFn[];
}

/** Prints a program: one file, or two (a.js and b.js requiring './a') when split. */
export function printProgram(p: Program): Printed {
  const ext = p.ts ? ".ts" : ".js";
  const fileOf = (i: number): number => (p.split > 0 && i >= p.split ? 1 : 0);
  const fns: PrintedFn[] = [];
  const n = { next: 0 };
  p.fns.forEach((f, i) => {
    const name = `f${i}`;
    const file = fileOf(i);
    // Same-file (or, split, cross-file) err-first functions taking one value: what a body may call.
    // `api.get`: an err-first function the codemod does not know (converted only with --assume-err-first).
    const callees = p.assumeErrFirst ? ["fs.readlink", "api.get"] : ["fs.readlink"];
    // With --assume-err-first every unknown callee is taken as well-behaved, so the generated
    // functions (some of which call back twice or synchronously, on purpose) are not called there.
    p.fns.forEach((g, j) => {
      if (j < i && g.kind === "callback" && !p.assumeErrFirst) callees.push(fileOf(j) === file ? `f${j}` : `a.f${j}`);
    });
    let text: string;
    if (f.kind === "callback") {
      const opts = f.optionsShuffle ? (p.ts ? "opts: any, " : "opts, ") : "";
      const sig = p.ts
        ? `(x: any, ${opts}${f.cbName}: (err: any, result?: any) => void): void`
        : `(x, ${opts}${f.cbName})`;
      const c: Ctx = {
        cb: f.cbName,
        vals: ["x"],
        inCont: false,
        callees,
        ts: p.ts,
        n,
        helper: f.helper ? "step" : undefined,
        badShapes: f.badShapes,
      };
      const prologue =
        (f.optionsShuffle ? `if (typeof opts === 'function') {\n  ${f.cbName} = opts;\n  opts = {};\n}\n` : "") +
        (f.checkCallback ? `if (typeof ${f.cbName} !== 'function') throw new TypeError('callback required');\n` : "") +
        (f.throwOnBoom ? "if (x === 'boom') throw new Error('boom');\n" : "") +
        (f.prologueLog ? "log('enter ' + String(x));\n" : "");
      let helper = "";
      if (f.helper) {
        // Bounded recursion: every call from the helper passes n - 1.
        const hc: Ctx = { ...c, lets: [], vals: ["x", "p"], inCont: true, inHelper: true };
        const hsig = p.ts ? "(p: any, n: number)" : "(p, n)";
        helper = `function step${hsig} {\n  if (n <= 0) return ${f.cbName}(null, String(p));\n${ind(printStmt(f.helper.body, hc))}\n}`;
      }
      const body = printStmt(f.body, c);
      const parts = f.helper?.first ? [prologue + helper, body] : [prologue + body, helper];
      text = `function ${name}${sig} {\n${ind(parts.filter(Boolean).join("\n"))}\n}`;
    } else if (f.kind === "counter") {
      text = printCounter(f, name, callees, p.ts);
    } else {
      text = printChain(f, name, p.ts);
    }
    fns.push({ name, kind: f.kind, file, text });
  });
  const files = (p.split > 0 ? ["a", "b"] : ["main"]).map((base, k) => {
    const head = ["const fs = require('fs');", "const log = require('./log');", "const api = require('./api');"];
    // Module functions that chains may name as handlers (`.then(shout)`).
    const t = p.ts ? ": any" : "";
    head.push(
      `function shout(v${t}) {\n  return String(v).toUpperCase();\n}`,
      `function describeError(e${t}) {\n  return 'error ' + e.message;\n}`,
    );
    if (k === 1) head.push("const a = require('./a');");
    const own = fns.filter((f) => f.file === k);
    const text = `${head.join("\n")}\n\n${own.map((f) => f.text).join("\n\n")}\n\nmodule.exports = { ${own.map((f) => f.name).join(", ")} };\n`;
    return { name: base + ext, text };
  });
  return { files, fns };
}

// ---------------------------------------------------------------- the runner

export type Event = [string, ...unknown[]];

/** A deterministic fake `fs`: "name@n" completes after n event-loop turns, names starting with "!" fail. */
class FakeWorld {
  events: Event[] = [];
  pending = 0;
  readonly fs = {
    readlink: (p: unknown, cb: (err: Error | null, v?: string) => void): void => {
      // Like Node: a wrong argument type throws synchronously.
      if (typeof p !== "string")
        throw Object.assign(new TypeError(`The "path" argument must be of type string. Received ${typeof p}`), {
          code: "ERR_INVALID_ARG_TYPE",
        });
      this.complete(p, cb);
    },
    promises: {
      readlink: (p: unknown): Promise<string> =>
        new Promise((resolve, reject) => {
          if (typeof p !== "string")
            throw Object.assign(new TypeError(`The "path" argument must be of type string. Received ${typeof p}`), {
              code: "ERR_INVALID_ARG_TYPE",
            });
          this.complete(p, (e, v) => (e ? reject(e) : resolve(v!)));
        }),
    },
  };
  /** A well-behaved err-first API the codemod does not know: calls back once, asynchronously, (err) or (null, value). */
  readonly api = {
    get: (p: unknown, cb: (err: Error | null, v?: string) => void): void => {
      this.events.push(["api.get", p]);
      this.fs.readlink(String(p), cb);
    },
  };
  readonly log = (msg: unknown): void => {
    this.events.push(["log", msg]);
  };

  private complete(p: string, cb: (err: Error | null, v?: string) => void): void {
    this.events.push(["readlink", p]);
    this.pending++;
    let left = Number(/@(\d+)/.exec(p)?.[1] ?? 1);
    const tick = (): void => {
      if (--left > 0) return void setImmediate(tick);
      this.pending--;
      if (p.startsWith("!")) cb(Object.assign(new Error("ENOENT: " + p), { code: "ENOENT" }));
      else cb(null, "->" + p);
    };
    setImmediate(tick);
  }

  /** Waits until no fake call is pending and 20 more turns passed (callbacks delivered on later ticks). */
  async quiet(): Promise<void> {
    let idle = 0;
    for (let turn = 0; turn < 5000 && idle < 20; turn++) {
      await new Promise((r) => setImmediate(r));
      idle = this.pending === 0 ? idle + 1 : 0;
    }
  }
}

/** Loads module texts (CommonJS; TypeScript transpiled) against a fake world; returns each file's exports. */
function load(files: { name: string; text: string }[], world: FakeWorld): Record<string, unknown>[] {
  const cache = new Map<number, { exports: Record<string, unknown> }>();
  const loadIndex = (k: number): Record<string, unknown> => {
    const hit = cache.get(k);
    if (hit) return hit.exports;
    const f = files[k];
    const js = f.name.endsWith(".ts")
      ? ts.transpileModule(f.text, {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
        }).outputText
      : f.text;
    const module = { exports: {} as Record<string, unknown> };
    cache.set(k, module);
    const req = (spec: string): unknown => {
      if (spec === "fs" || spec === "node:fs") return world.fs;
      if (spec === "./log") return world.log;
      if (spec === "./api") return world.api;
      if (spec === "asyncio-ts/promise") return promiseAdapters;
      // The default profile calls callback-form functions through util.promisify.
      if (spec === "util" || spec === "node:util") return nodeUtil;
      if (spec === "./a") return loadIndex(files.findIndex((x) => x.name.startsWith("a.")));
      throw new Error(`unexpected require(${spec})`);
    };
    vm.compileFunction(js, ["require", "module", "exports"], { filename: `/virtual/${f.name}` })(
      req,
      module,
      module.exports,
    );
    return module.exports;
  };
  return files.map((_, k) => loadIndex(k));
}

/**
 * Callback arguments as compared: trailing undefineds are dropped, so only `arguments.length` may differ
 * (`cb(err)` for `cb(err, undefined)`, `cb(null, undefined)` for `cb(null)`: docs/codemods.md, known
 * differences); `cb()` and `cb(null)` still differ.
 */
function describeArgs(args: unknown[]): unknown[] {
  const a = [...args];
  while (a.length > 0 && a[a.length - 1] === undefined) a.pop();
  return a.map(describe);
}

export interface CallRecord {
  fn: string;
  input: unknown;
  threw?: unknown;
  returned?: unknown;
  events: Event[];
}

/** Calls every generated function with each of its inputs, one call at a time, and records what happened. */
export async function runProgram(printed: Printed, texts: string[]): Promise<CallRecord[]> {
  const world = new FakeWorld();
  const mods = load(
    printed.files.map((f, k) => ({ name: f.name, text: texts[k] })),
    world,
  );
  const records: CallRecord[] = [];
  for (const f of printed.fns) {
    const fn = mods[f.file][f.name] as (...a: unknown[]) => unknown;
    const inputs = f.kind === "callback" ? SCALAR_INPUTS : f.kind === "counter" ? LIST_INPUTS : CHAIN_INPUTS;
    for (const input of inputs) {
      world.events = [];
      const rec: CallRecord = { fn: f.name, input, events: world.events };
      let returned = false;
      const args: unknown[] = [input];
      if (f.kind !== "chain")
        args.push((...cbArgs: unknown[]) =>
          rec.events.push(["callback", returned ? "async" : "sync", describeArgs(cbArgs)]),
        );
      try {
        const r = fn(...args);
        rec.returned = describe(r);
        if (r instanceof Promise) {
          r.then(
            (v) => rec.events.push(["fulfilled", describe(v)]),
            (e) => rec.events.push(["rejected", describe(e)]),
          );
        }
      } catch (e) {
        rec.threw = describe(e);
      }
      returned = true;
      await world.quiet();
      records.push(rec);
    }
    // The signature a caller sees.
    records.push({ fn: f.name, input: "<signature>", returned: { name: fn.name, length: fn.length }, events: [] });
    if (f.kind === "chain") continue;
    // All inputs at once: the fake calls complete one per event-loop turn, so the interleaving of the
    // calls' side effects and callbacks is deterministic and must not change either (microtask counts
    // do change, which is why promise-chain functions, whose steps are microtasks, are not run this way).
    world.events = [];
    const all: CallRecord = { fn: f.name, input: "<all inputs at once>", events: world.events };
    let returned = false;
    inputs.forEach((input, k) => {
      try {
        fn(input, (...cbArgs: unknown[]) =>
          all.events.push(["callback", k, returned ? "async" : "sync", describeArgs(cbArgs)]),
        );
      } catch (e) {
        all.events.push(["threw", k, describe(e)]);
      }
    });
    returned = true;
    await world.quiet();
    records.push(all);
  }
  return records;
}

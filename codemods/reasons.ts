/**
 * Reason codes: why a codemod left a site unchanged. Every refusal in a
 * report carries exactly one of these codes; docs/codemods.md shows a
 * before/after example for each.
 * @module
 */

/**
 * Every reason code with its one-line description.
 * @example
 * ```ts
 * import { REASONS } from "asyncio-ts-codemods";
 * console.log(REASONS.ZALGO);
 * ```
 */
export const REASONS = {
  // promise-chains
  /** a two-handler `.then(ok, err)` that is not the chain's last link */
  TWO_HANDLER_THEN:
    "a two-handler `.then(ok, err)` that is not the chain's last link: the exact form (only the await in the try) needs it last",
  /** a handler is not a function literal or a reference to a known function declaration/const */
  HANDLER_NOT_FUNCTION: "a handler is not a function literal or a reference to a known function declaration/const",
  /** a handler is a member reference like `path.basename`: calling it as `path.basename(x)` would change `this` */
  HANDLER_MEMBER_REFERENCE:
    "a handler is a member reference like `path.basename`: calling it as `path.basename(x)` would change `this`",
  /** a `function` handler uses `this` or `arguments`, which differ once inlined */
  HANDLER_USES_THIS: "a `function` handler uses `this` or `arguments`, which differ once inlined",
  /** a handler that is not the last link returns from more than one place */
  CONDITIONAL_RETURN: "a handler that is not the last link returns from more than one place",
  /** a handler's parameters are not a single plain identifier (or none) */
  HANDLER_PARAMS: "a handler's parameters are not a single plain identifier (or none)",
  /** the chain is neither returned nor a statement of its own */
  NOT_RETURNED:
    "the chain is neither returned nor a statement of its own (it is assigned, passed on, or part of an expression), or it is returned from a generator",
  /** the chain (or a deferred's function) may be a non-native promise (Bluebird/Q/typed as another class): callers may use its extra methods */
  NON_NATIVE_PROMISE:
    "the chain may be a non-native promise (Bluebird/Q/typed as another class), or a function returned a Q/when deferred's promise: callers may use its extra methods (`.done`, `.fail`, `.fin`, `.spread`…)",
  /** the enclosing function has a path that does not return a promise, so making it async changes its result */
  FUNCTION_NOT_PROMISE_RETURNING:
    "the enclosing function has a path that does not return a promise, so making it async changes its result",
  /** a chain that is a statement of its own (fire and forget) is kept as a chain */
  FLOATING_CHAIN:
    "a chain that is a statement of its own (`p.then(f).catch(g);`, fire and forget) is kept: as async/await it would need an async arrow called on the spot, which is no clearer",
  /** `.finally()` is given something other than a function */
  FINALLY_ARGUMENT: "`.finally()` is given something other than a function",
  /** a returned chain starts with a call that may throw synchronously (`return parse(x).then(f).catch(g)`) */
  CHAIN_HEAD_MAY_THROW:
    "a returned chain starts with a call that may throw synchronously (`return parse(x).then(f).catch(g)`): that throw escaped the function; in an async function it rejects (and a `.catch` would catch it)",
  /** inlining would declare a name the function already uses */
  NAME_COLLISION: "inlining would declare a name the function already uses",
  // callbacks
  /** the callback is stored, reassigned, or passed on instead of being called */
  CALLBACK_ESCAPES: "the callback is stored, reassigned, or passed on instead of being called",
  /** the function finds its callback in `arguments` (a variadic signature) */
  CALLBACK_FROM_ARGUMENTS:
    "the function finds its callback in `arguments` (a variadic signature, `cb = arguments[arguments.length - 1]`): which argument is the callback is decided at run time",
  /** the callback is called synchronously on some paths and asynchronously on others */
  ZALGO: "the callback is called synchronously on some paths and asynchronously on others",
  /** the callback is always called synchronously: an async function would call it later */
  SYNC_CALLBACK: "the callback is always called synchronously: an async function would call it later",
  /** some path ends without calling the callback */
  MAYBE_NEVER_CALLED: "some path ends without calling the callback",
  /** code runs after the callback call or after the asynchronous call whose continuation calls it */
  CALLBACK_NOT_LAST: "code runs after the callback call or after the asynchronous call whose continuation calls it",
  /** the callback is called from a function that is not a continuation we convert (event handler, loop body, timer…) */
  CALLBACK_IN_NESTED_FUNCTION:
    "the callback is called from a function that is not a continuation we convert (event handler, loop body, timer…)",
  /** the callback call is part of a larger expression */
  CALLBACK_IN_EXPRESSION: "the callback call is part of a larger expression",
  /** the callback is called inside a loop, switch, try or other statement we cannot prove runs it once */
  UNSUPPORTED_STATEMENT:
    "the callback is called inside a loop, switch, try or other statement we cannot prove runs it once",
  /** the callback is given more than one result value, or a value with an error, which a promise cannot carry */
  MULTIPLE_RESULTS:
    "the callback is given more than one result value, or a value together with an error that may be set, which a promise cannot carry",
  /** some success paths call `cb()` and others `cb(null…)` */
  MIXED_SUCCESS_ARITY:
    "some success paths call back `cb()` (error undefined) and others `cb(null…)` (error null): one promise outcome cannot reproduce both",
  /** a continuation is passed to a function not known to call it exactly once, asynchronously, err-first */
  UNKNOWN_CALLEE: "a continuation is passed to a function not known to call it exactly once, asynchronously, err-first",
  /** the callback's first argument is a value (`done(false)`, `cb(!ok)`, `cb(n > 0)`), not an error */
  NOT_ERR_FIRST:
    "the callback's first argument is a value (`done(false)`, `cb(!ok)`, a number or comparison), not an error: not an err-first callback",
  /** an assumed err-first callee's continuation has a first parameter that does not name an error */
  CONTINUATION_NOT_ERR_FIRST:
    "a continuation's first parameter does not name an error (`function (writable) {…}`): its callee is not assumed err-first",
  /** the callee was analysed in this run and refused because it may call back more than once or never */
  CALLEE_REFUSED:
    "the callee was analysed in this run and refused (it may call back more than once, or never, or not err-first): that evidence beats the err-first assumption",
  /** the callback is optional (`cb && cb(x)`, `if (cb) cb(x)`) */
  OPTIONAL_CALLBACK:
    "the callback is optional (`cb && cb(x)`, `if (cb) cb(x)`): callers may pass none and get nothing back, which the dual surface would turn into a promise nobody handles",
  /** a callback parameter that is not the function's last parameter */
  CALLBACK_NOT_LAST_PARAMETER:
    "the callback (a parameter named or called like one) is not the function's last parameter (`function (cb, p)`, `function (p, f, made)`): the dual surface needs the callback last",
  /** a continuation's parameters are not plain identifiers or it uses `this`/`arguments` */
  CONTINUATION_SHAPE: "a continuation's parameters are not plain identifiers or it uses `this`/`arguments`",
  /** the function returns a value its callers may use (a sync twin, a stream…) */
  RETURNS_VALUE:
    "the function returns a value its callers may use: what an assumed err-first call returns (a sync twin, a stream…), or the file itself calls it without a callback and uses the value",
  /** the function throws synchronously; as an async function it would reject instead */
  SYNC_THROW: "the function throws synchronously; as an async function it would reject instead",
  /** TypeScript function that is not a plain function declaration with a typed callback: overloads cannot be written */
  TS_FORM:
    "TypeScript function that is not a plain function declaration with a typed callback: overloads cannot be written",
  /** an inner helper function that calls the callback is used other than by tail calls from continuations */
  HELPER_NOT_TAIL_CALLED:
    "an inner helper function that calls the callback is used other than by tail calls from continuations (stored, passed on, code after its call)",
  /** an inner helper that calls the callback calls itself (directly or through other helpers) outside a continuation */
  HELPER_RECURSIVE:
    "an inner helper that calls the callback calls itself outside a continuation: the recursion is not provably the same as awaits",
  /** the first asynchronous call is inside a branch or helper in a shape that cannot be started synchronously as before */
  ASYNC_START_NESTED:
    "the first asynchronous call is inside a branch or helper in a shape that cannot be started synchronously as before",
  /** parallel calls joined by a counter in a form not proven equivalent to Promise.all (count, results or flag used elsewhere, results in completion order…) */
  COUNTER_SHAPE:
    "parallel calls joined by a counter in a form not proven equivalent to Promise.all (count, results or flag used elsewhere, results in completion order…)",
  /** parallel calls joined by a counter that can call back more than once (no first-error guard, or a counter smaller than the number of calls) */
  COUNTER_MAY_CALL_TWICE:
    "parallel calls joined by a counter that can call back more than once (no first-error guard, or a counter smaller than the number of calls)",
  /** the function is already async or a generator */
  ALREADY_ASYNC: "the function is already async or a generator",
  // node-apis
  /** the `new Promise` executor does more than wrap a single callback call */
  EXECUTOR_SHAPE: "the `new Promise` executor does more than wrap a single callback call",
  /** the receiver is not bound to a Node core module by require/import */
  NOT_NODE_MODULE: "the receiver is not bound to a Node core module (or graceful-fs) by require/import",
  /** this Node API has no promise equivalent with the same results */
  NO_PROMISE_API: "this Node API has no promise equivalent with the same results",
  // --verify
  /** converting the site made a test fail that passed before: `--verify` reverted it */
  BROKE_TESTS:
    "converting the site made a test fail that passed before: `--verify` found it by bisection and reverted it",
  /** a site `--verify` did not test: it only appeared once another site was reverted (run again to convert it) */
  NOT_VERIFIED:
    "a site `--verify` did not test: it only appeared once another site was left unconverted (run again to convert it)",
  /** the rewrite produced code that does not parse (a codemod bug): the site was left unchanged */
  OUTPUT_DID_NOT_PARSE: "the rewrite produced code that does not parse (a codemod bug): the site was left unchanged",
  /** the promise API throws synchronously where the executor rejected */
  THROWS_SYNCHRONOUSLY:
    "the promise API throws synchronously on bad arguments where the executor rejected: converted only when awaited or returned from an async function",
  // deferreds (node-apis pass)
  /** a jQuery Deferred: not a Promises/A+ promise */
  JQUERY_DEFERRED:
    "a jQuery Deferred (`$.Deferred()`): before jQuery 3 its handlers run synchronously, `.done` handlers still do in 3.x, and `d.resolve(thenable)` does not adopt the thenable: no native promise behaves the same",
  /** the deferred is used other than by resolve/reject calls and one `return d.promise` */
  DEFERRED_ESCAPES:
    "the deferred is used other than by `d.resolve(x)` / `d.reject(e)` calls and one `return d.promise`: passed on, stored, `d.notify`, `d.makeNodeResolver()`, `d.fulfill`, or its promise read elsewhere",
  /** a path may settle the deferred twice */
  DEFERRED_SETTLED_TWICE:
    "a path may settle the deferred more than once (`if (err) d.reject(err); d.resolve(v);` without a return, or a settle in a loop): the later calls were ignored, which usually hides a bug the migration should not bake in",
  /** the function is not `var d = defer(); …; return d.promise;` */
  DEFERRED_SHAPE:
    "the function holding the deferred is not `var d = Q.defer(); …statements that settle d…; return d.promise;` (a return or await in between, a declared return type, a generator, no settle at all)",
  /** a Q node helper (nfcall, ninvoke, denodeify…) or bluebird promisification under `--assume none`, or in a shape that does not map */
  LIBRARY_NODE_CALL:
    "a library's node-callback helper (Q's `nfcall`, `nfapply`, `ninvoke`, `npost`, `denodeify`, `nfbind`; bluebird's `promisify`, a `promisifyAll`'d `…Async` method) that does not map onto util.promisify exactly: Q calls the function on a later tick (converted under the default profile, CALL_STARTS_AT_ONCE), bluebird rejects with an OperationalError copy (converted under the default profile, BLUEBIRD_PROMISIFY_IS_UTIL), or the call has bound or spread arguments, options, or a method name that is not a literal",
  /** `events.once` rejects on 'error' while the original waited forever */
  ONCE_WITHOUT_ERROR_HANDLER: "`events.once` rejects on 'error' while the original waited forever",
} as const;

/**
 * A reason code (a key of {@link REASONS}).
 * @example
 * ```ts
 * const code: ReasonCode = "ZALGO";
 * ```
 */
export type ReasonCode = keyof typeof REASONS;

/**
 * Thrown inside a transform's analysis to refuse the current site.
 * @example
 * ```ts
 * try { throw new Refusal("ZALGO"); } catch (e) { e instanceof Refusal; } // true
 * ```
 */
export class Refusal extends Error {
  /** The reason code. */
  readonly reason: ReasonCode;
  /** What exactly was seen (a callee's text, a parameter), when the refusing check says it. */
  readonly detail: string | undefined;
  /**
   * Creates a refusal.
   * @param reason - why the site is refused.
   * @param detail - optional extra words for debugging.
   */
  constructor(reason: ReasonCode, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * Assumption profiles: what a conversion may rely on beyond what the tool
 * proves. Every converted site lists the assumptions it used
 * ({@link Site.assumptions}); docs/codemods.md shows a before/after for each.
 * @module
 */
import type { MigrateOptions } from "./core.js";

/**
 * Every assumption a conversion can rely on, with its one-line description.
 * @example
 * ```ts
 * import { ASSUMPTIONS } from "asyncio-ts-codemods";
 * console.log(ASSUMPTIONS.CALLBACK_NOW_ASYNC);
 * ```
 */
export const ASSUMPTIONS = {
  /** a synchronous throw (an argument check, the first call's argument errors) becomes a rejection / callback error */
  SYNC_THROW_BECOMES_REJECTION:
    "a synchronous throw (an argument check after the first call, a bad argument of the first call, a throw in a chain's head) becomes a rejection, or an error handed to the callback",
  /** a callback called synchronously on some paths (or all) is now called on a later tick */
  CALLBACK_NOW_ASYNC: "a callback that was called synchronously on some paths (or all) is now called on a later tick",
  /** callers do not use the value a callback-taking function returned */
  RETURN_VALUE_UNUSED:
    "callers do not use the value the callback-taking function returned (it now returns undefined, or a promise without callback)",
  /** `cb()` and `cb(null)` are the same success */
  NULL_UNDEFINED_SUCCESS: "`cb()` and `cb(null)` are the same success (the error argument undefined or null)",
  /** callers do not look at `arguments.length` of their callback */
  CALLBACK_ARITY:
    "callbacks do not look at how many arguments they got (`cb(null)` and `cb(null, undefined)` are the same success)",
  /** a value caught by a catch clause is truthy, so `cb(e)` in the catch is the error path */
  CAUGHT_VALUE_IS_ERROR:
    "a value caught by a catch clause is truthy (nothing throws null, undefined, false, 0 or ''), so `cb(e)` there reports an error",
  /** a value passed together with an error (`cb(err, v)`) is not read by callers when the error is set */
  VALUE_WITH_ERROR_DROPPED:
    "a value passed together with an error that may be set (`cb(err, v)`) is not read when the error is set: the converted function throws the error alone and computes the value only on success",
  /** the collection handed to async.map / async.each is an array, array-like or iterable, not a plain object */
  COLLECTION_IS_ARRAY_LIKE:
    "the collection handed to async.map / async.each is an array, array-like or iterable, not a plain object (async.js iterates an object's values, or in 1.x returns an object of results): the call becomes Promise.all over Array.from(collection, …)",
  /** `obj.m(…)`, where the file defaults `obj.m` to an fs method, calls that method or one with its contract */
  INJECTED_LIKE_DEFAULT:
    "a call `obj.m(…, cb)` of a property the file defaults to an fs method (`obj.m = obj.m || fs.m`, or a loop over the names) calls that method, or a replacement with its contract: err-first, once, asynchronously, with fs's success values",
  /** an unknown callee with a trailing `(err, …)` continuation is err-first, calls back once, asynchronously */
  ERR_FIRST_CALLEE:
    "an unknown callee called with a trailing `function (err, …)` continuation calls it once, asynchronously, err-first",
  /** the first argument of fs.readFile / writeFile / appendFile / truncate is a path, not a file descriptor */
  PATH_NOT_DESCRIPTOR:
    "the first argument of fs.readFile / writeFile / appendFile / truncate is a path (or URL, Buffer), not a file descriptor: the call becomes fs.promises' twin, which rejects a number (the callback form reads or writes the descriptor)",
  /** a function Q called on a later tick (Q.nfcall, ninvoke, a denodeified function) is now called at once */
  CALL_STARTS_AT_ONCE:
    "a function called through Q.nfcall / nfapply / ninvoke / npost or a Q.denodeify'd function, which Q calls on a later tick, is now called at once (util.promisify's form), and one that is not a function throws a TypeError there instead of rejecting",
  /** the function calls back one value at most */
  CALLBACK_SINGLE_VALUE:
    "the function called through Q's node helpers calls back one value at most: Q resolved with an array of the values when it got several, the promisified form resolves with the first",
  /** a function that returned a Q/when promise now returns a native one */
  LIBRARY_PROMISE_BECOMES_NATIVE:
    "a function that returned a Q or when.js promise (a deferred's) now returns a native Promise: its callers use only then/catch/finally (no `.done`, `.fail`, `.fin`, `.spread`…; none in this file does), they handle its rejections (a Q promise's unhandled rejection was silent, when.js logged it; a native one ends the Node process), and its handlers' order relative to other promises' may differ (all still run on a later tick)",
  /** an optional argument the callback could take the place of gets the shuffle's value as a default parameter */
  OPTIONS_DEFAULTED:
    "an optional argument the callback could take the place of (`if (typeof options === 'function') { cb = options; options = {} }`) now gets that value as a default parameter (`options = {}`): an explicit `undefined` there gets it too, where it stayed undefined, and in a call passing a function there and a callback after it the callback is the last one",
  /** a method bluebird promisified (`obj.mAsync`, `Promise.promisify(f)`) behaves as util.promisify's form */
  BLUEBIRD_PROMISIFY_IS_UTIL:
    "a method bluebird promisified (`obj.mAsync(…)` after `Promise.promisifyAll(obj)`, or `Promise.promisify(f)`) behaves as util.promisify's form of it: the rejection is the callback's error itself, not bluebird's OperationalError copy (with `cause` and `isOperational`; a string error stays a string; nothing in this file reads them), a method with its own util.promisify.custom form resolves as that form says, and no other module relies on this file's promisifyAll having added `…Async` methods to a shared object (it goes once this file calls none)",
} as const;

/**
 * An assumption name (a key of {@link ASSUMPTIONS}).
 * @example
 * ```ts
 * const a: AssumptionName = "ERR_FIRST_CALLEE";
 * ```
 */
export type AssumptionName = keyof typeof ASSUMPTIONS;

/**
 * An assumption profile: `none` (proof only), `idiomatic` (the default: the
 * differences async/await code has by nature) or `err-first` (idiomatic, and
 * unknown callees with an `(err, …)` continuation are err-first).
 * @example
 * ```ts
 * const p: AssumeProfile = "idiomatic";
 * ```
 */
export type AssumeProfile = "none" | "idiomatic" | "err-first";

/**
 * The profile names, in order of what they accept.
 * @example
 * ```ts
 * console.log(ASSUME_PROFILES.join("|"));
 * ```
 */
export const ASSUME_PROFILES: readonly AssumeProfile[] = ["none", "idiomatic", "err-first"];

/** The profile of a set of options: `assume`, else `err-first` for the old `assumeErrFirst`, else `idiomatic`. @internal */
export function profileOf(options: MigrateOptions): AssumeProfile {
  return options.assume ?? (options.assumeErrFirst ? "err-first" : "idiomatic");
}

/** True when the options accept the idiomatic assumptions. @internal */
export function isIdiomatic(options: MigrateOptions): boolean {
  return profileOf(options) !== "none";
}

/** True when unknown err-first callees are assumed (the `err-first` profile, or `assumeErrFirst` with any profile). @internal */
export function assumesErrFirst(options: MigrateOptions): boolean {
  return profileOf(options) === "err-first" || !!options.assumeErrFirst;
}

/** Assumptions, sorted and unique, for a site. @internal */
export function sortedAssumptions(set: Iterable<AssumptionName>): AssumptionName[] {
  return [...new Set(set)].sort();
}

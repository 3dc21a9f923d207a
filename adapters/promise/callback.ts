/**
 * Node-style callbacks both ways: {@link fromCallback} (`util.promisify`,
 * returning Futures), {@link toCallback} (`util.callbackify`) and
 * {@link dualApi} (one function answering both promise and callback
 * callers, what the codemods emit at exported boundaries).
 * @module
 */
import { promisify } from "node:util";
import { ValueError, describe, getRunningLoop, isThenable, type Coroutine, type Future } from "../../src/index.js";
import { fromThenable, rejectFuture, resolveFuture, whenSettled } from "./thenable.js";

/**
 * Options of {@link fromCallback}.
 *
 * @example
 * ```ts
 * const twoResults = (cb: (err: unknown, a: number, b: string) => void) => cb(null, 1, "b");
 * const opts = { multiArgs: true } as const satisfies FromCallbackOptions;
 * const [a, b] = await fromCallback(twoResults, opts)(); // cb(null, a, b): [1, "b"]
 * ```
 */
export interface FromCallbackOptions {
  /**
   * Resolve with the array of every success argument of the callback
   * (`(err, a, b)` gives `[a, b]`), as bluebird's `multiArgs`. By default
   * only the first one is kept, as `util.promisify`.
   */
  multiArgs?: boolean;
}

/**
 * A Node-style callback: an error (falsy on success) then the result.
 *
 * @example
 * ```ts
 * const cb: NodeCallback<string> = (err, text) => { if (err) throw err; console.log(text); };
 * ```
 */
export type NodeCallback<R> = (err: any, result: R) => void;

/**
 * A function with a `util.promisify.custom` implementation (as `setTimeout`).
 * @typeParam F - the promise-returning implementation's type.
 *
 * @example
 * ```ts
 * import { promisify } from "node:util";
 * const legacy = Object.assign((cb: NodeCallback<number>) => cb(null, 1), {
 *   [promisify.custom]: async () => 1,
 * }) satisfies CustomPromisified<() => Promise<number>>;
 * ```
 */
export interface CustomPromisified<F extends (...args: any[]) => any> {
  /** The promise-returning implementation `util.promisify` uses instead. */
  [promisify.custom]: F;
}

/**
 * The error a callback receives when the promise was rejected with a falsy
 * value (`null`, `0`, `""`…), which a callback could not tell from success:
 * Node's `ERR_FALSY_VALUE_REJECTION`, same message, code and `reason`.
 *
 * @example
 * ```ts
 * toCallback(async () => { throw null; })((err) => {
 *   err instanceof FalsyRejectionError; // true
 *   err.reason;                         // null
 * });
 * ```
 */
export class FalsyRejectionError extends Error {
  /** Node's error code. */
  readonly code = "ERR_FALSY_VALUE_REJECTION";
  /** The falsy value the promise was rejected with. */
  readonly reason: unknown;
  /** Wraps the falsy `reason`. */
  constructor(reason: unknown) {
    super("Promise was rejected with falsy value");
    this.reason = reason;
  }
}

// Node marks some APIs (fs.read, dns.lookup…) whose callback has several
// success arguments with an internal symbol naming them: util.promisify then
// resolves with an object of those names. Not exported by Node; found by
// its description so that fromCallback gives the same values.
function customArgNames(fn: Function): string[] | undefined {
  for (const sym of Object.getOwnPropertySymbols(fn)) {
    if (sym.description === "customPromisifyArgs") {
      const names = (fn as unknown as Record<symbol, unknown>)[sym];
      if (Array.isArray(names)) return names as string[];
    }
  }
  return undefined;
}

function callbackifyOnRejected(reason: unknown, cb: (err: unknown) => void): void {
  cb(reason ? reason : new FalsyRejectionError(reason));
}

function nameOf(fn: Function): string {
  return fn.name || "<anonymous>";
}

/**
 * Turns a function taking a Node-style callback last (`(…args, (err,
 * result) => …)`) into one returning a Future, with `util.promisify`'s
 * semantics: the function's own `util.promisify.custom` implementation is
 * used if it has one (its result becomes a Future); `this` is passed on
 * when called as a method; a truthy `err` fails the Future, otherwise the
 * first success argument is the result (or, for Node APIs that name several,
 * such as `fs.read`, an object of them; with `multiArgs`, the array of
 * all of them); a synchronous throw fails the Future. Own properties of
 * `fn` are copied.
 *
 * Stricter than Node where Node loses errors: a callback called a second
 * time, or a throw after the callback was called, leaves the first outcome
 * in place and is reported through the loop's exception handler. A
 * function that never calls back leaves the Future pending: bound it with
 * a timeout, or cancel it (cancelling cannot stop the callback API; a late
 * error is then reported, a late result dropped).
 *
 * The returned function needs a running loop when it is called.
 *
 * @typeParam F - for a function with a custom implementation: its type.
 * @example
 * ```ts
 * import { readFile } from "node:fs";
 * const readFileF = fromCallback((path: string, cb: NodeCallback<string>) => readFile(path, "utf8", cb));
 * await run(async () => {
 *   const text = await readFileF("package.json"); // a Future<string>
 * });
 * ```
 */
export function fromCallback<F extends (...args: any[]) => any>(
  fn: CustomPromisified<F>,
): (...args: Parameters<F>) => Future<Awaited<ReturnType<F>>>;
export function fromCallback<A extends unknown[]>(
  fn: (...args: [...A, (err: any, ...results: any[]) => void]) => void,
  options: { multiArgs: true },
): (...args: A) => Future<unknown[]>;
export function fromCallback<A extends unknown[], R>(
  fn: (...args: [...A, NodeCallback<R>]) => void,
  options?: FromCallbackOptions,
): (...args: A) => Future<R>;
export function fromCallback(fn: Function, options?: FromCallbackOptions): (...args: unknown[]) => Future<unknown>;
export function fromCallback(fn: unknown, options?: FromCallbackOptions): (...args: unknown[]) => Future<unknown> {
  if (typeof fn !== "function") {
    throw new TypeError(`fromCallback() expects a function taking a Node-style callback last, got ${describe(fn)}`);
  }
  const custom = (fn as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined) {
    if (typeof custom !== "function") {
      throw new TypeError(
        `the util.promisify.custom property of ${nameOf(fn)} must be a function, got ${describe(custom)}`,
      );
    }
    const viaCustom = function (this: unknown, ...args: unknown[]): Future<unknown> {
      const fut = getRunningLoop().createFuture<unknown>();
      try {
        resolveFuture(fut, Reflect.apply(custom, this, args));
      } catch (e) {
        rejectFuture(fut, e);
      }
      return fut;
    };
    return copyProps(viaCustom, custom);
  }
  const multiArgs = options?.multiArgs === true;
  const argNames = customArgNames(fn);
  const fnName = nameOf(fn);
  const promisified = function (this: unknown, ...args: unknown[]): Future<unknown> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<unknown>();
    let calls = 0;
    const callback = (err: unknown, ...values: unknown[]): void => {
      if (++calls > 1) {
        loop.callExceptionHandler({
          message: `the callback of ${fnName}() was called ${calls} times: the first outcome stands`,
          exception: err ? err : undefined,
          result: err ? undefined : values,
          future: fut,
        });
        return;
      }
      if (err) return rejectFuture(fut, err);
      if (fut.done()) return; // cancelled meanwhile: the value has nobody to go to
      if (multiArgs) fut.setResult(values);
      else if (argNames !== undefined && values.length > 1) {
        const obj: Record<string, unknown> = {};
        for (let i = 0; i < argNames.length; i++) obj[argNames[i]!] = values[i];
        fut.setResult(obj);
      } else fut.setResult(values[0]);
    };
    try {
      Reflect.apply(fn, this, [...args, callback]);
    } catch (e) {
      if (calls === 0) {
        calls = 1; // a callback after the throw is a second outcome
        rejectFuture(fut, e);
      } else {
        loop.callExceptionHandler({
          message: `${fnName}() threw after calling its callback: the callback's outcome stands`,
          exception: e,
          future: fut,
        });
      }
    }
    return fut;
  };
  copyProps(promisified, fn);
  // As util.promisify: promisifying the result again gives it back.
  Object.defineProperty(promisified, promisify.custom, {
    value: promisified,
    enumerable: false,
    writable: false,
    configurable: true,
  });
  return promisified;
}

function copyProps<F extends Function>(target: F, source: Function, rename?: (d: PropertyDescriptorMap) => void): F {
  Object.setPrototypeOf(target, Object.getPrototypeOf(source));
  const descriptors = Object.getOwnPropertyDescriptors(source) as PropertyDescriptorMap;
  delete descriptors.prototype; // the wrapper keeps its own
  delete (descriptors as Record<symbol, PropertyDescriptor>)[promisify.custom];
  rename?.(descriptors);
  Object.defineProperties(target, descriptors);
  return target;
}

// What toCallback can take the outcome of.
function thenableOf(r: unknown, fnName: string, who: string): PromiseLike<unknown> {
  if ((typeof r === "object" || typeof r === "function") && r !== null) {
    if (typeof (r as PromiseLike<unknown>).then === "function") return r as PromiseLike<unknown>;
    const g = r as Generator;
    if (typeof g.next === "function" && typeof g.throw === "function") return fromThenable(g); // a generator coroutine: run it as a task
  }
  throw new TypeError(`${who}: ${fnName}() must return a promise or an awaitable, got ${describe(r)}`);
}

/**
 * Turns a function returning a promise (or a Future, a Task, any awaitable,
 * or a generator coroutine, run as a task) into one taking a Node-style
 * callback last, with `util.callbackify`'s semantics: the callback is
 * called on the next tick (`process.nextTick`), with `this`, as
 * `cb(null, result)` or `cb(err)`; a rejection with a falsy value becomes a
 * {@link FalsyRejectionError} carrying it as `reason`; a cancelled Future
 * gives the core's `CancelledError`. A missing callback is a `TypeError`.
 * An exception thrown by the callback is not caught: it is an uncaught
 * exception, as with Node (it must not look like a second outcome).
 * The result's `name` gets `Callbackified` appended and its `length` 1 more.
 *
 * @example
 * ```ts
 * const legacy = toCallback(async (a: number, b: number) => a + b);
 * legacy(1, 2, (err, sum) => console.log(err, sum)); // null 3
 * ```
 */
export function toCallback<A extends unknown[], R>(
  fn: (...args: A) => PromiseLike<R> | Coroutine<R>,
): (...args: [...A, (err: any, result: R) => void]) => void {
  if (typeof fn !== "function")
    throw new TypeError(`toCallback() expects a function returning a promise, got ${describe(fn)}`);
  const fnName = nameOf(fn);
  const callbackified = function (this: unknown, ...args: unknown[]): void {
    const maybeCb = args.pop();
    if (typeof maybeCb !== "function") {
      throw new TypeError(
        `the last argument of ${fnName}Callbackified() must be a callback function, got ${describe(maybeCb)}`,
      );
    }
    const cb = (maybeCb as (...a: unknown[]) => void).bind(this);
    whenSettled(
      thenableOf(Reflect.apply(fn, this, args), fnName, "toCallback()"),
      (ret) => process.nextTick(cb, null, ret),
      (rej) => process.nextTick(callbackifyOnRejected, rej, cb),
    );
  };
  copyProps(callbackified, fn, (d) => {
    if (typeof d.length?.value === "number") d.length.value++;
    if (typeof d.name?.value === "string") d.name.value += "Callbackified";
  });
  return callbackified as (...args: [...A, (err: any, result: R) => void]) => void;
}

/**
 * Options of {@link dualApi}.
 *
 * @example
 * ```ts
 * // map(xs, mapper?) or map(xs, mapper, callback): the mapper is not a callback
 * const map = dualApi(async (xs: number[], f: (x: number) => number = (x) => x) => xs.map(f), { arity: 2 });
 * await map([1, 2], (x) => x * 2); // [2, 4]
 * ```
 */
export interface DualApiOptions {
  /**
   * How many arguments come before the callback. A call is a callback call
   * when it has more arguments than this and the last is a function.
   * Default: `fn.length` (parameters before the first one with a default).
   * Set it when the function's own last parameter may be a function.
   */
  arity?: number;
}

/**
 * One function for both kinds of callers: called without a callback it
 * returns `fn`'s promise (unchanged); called with one more argument than
 * `fn` takes, a function, it is a Node-style callback call: `fn` runs with
 * the other arguments and the callback is called once, asynchronously (on
 * the next tick, with `this`), as `cb(null, result)` or `cb(err)` (a falsy
 * rejection becomes a {@link FalsyRejectionError}, a synchronous throw is
 * delivered to the callback too); nothing is returned then. What the
 * codemods emit at exported boundaries, so that existing callers and test
 * suites keep working. Needs no asyncio-ts loop.
 *
 * Which calls are callback calls: more arguments than `options.arity`
 * (default `fn.length`, which stops before parameters with defaults), the
 * last one a function. A function that takes a function last (a mapper, a
 * predicate) as an optional parameter needs `arity` set.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * export const readConfig = dualApi(async (path: string) => JSON.parse(await readFile(path, "utf8")));
 * const cfg = await readConfig("package.json");                 // promise callers
 * readConfig("package.json", (err, cfg) => console.log(err ?? cfg)); // callback callers
 * ```
 */
export function dualApi<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  options?: DualApiOptions,
): ((...args: A) => Promise<R>) & ((...args: [...A, (err: unknown, result?: R) => void]) => void) {
  if (typeof fn !== "function")
    throw new TypeError(`dualApi() expects a function returning a promise, got ${describe(fn)}`);
  const arity = options?.arity ?? fn.length;
  if (!Number.isInteger(arity) || arity < 0)
    throw new ValueError(`dualApi() arity must be a non-negative integer, got ${String(arity)}`);
  const dual = function (this: unknown, ...args: unknown[]): Promise<R> | undefined {
    if (args.length <= arity || typeof args[args.length - 1] !== "function")
      return Reflect.apply(fn, this, args) as Promise<R>;
    const cb = (args.pop() as (...a: unknown[]) => void).bind(this);
    let outcome: unknown;
    try {
      outcome = Reflect.apply(fn, this, args);
    } catch (e) {
      process.nextTick(callbackifyOnRejected, e, cb);
      return undefined;
    }
    // Both handlers attached: the promise never rejects unhandled. The
    // callback runs outside the promise chain, so a throw from it is an
    // uncaught exception, never a second call.
    const ok = (ret: unknown): void => process.nextTick(cb, null, ret);
    const fail = (rej: unknown): void => process.nextTick(callbackifyOnRejected, rej, cb);
    if (isThenable(outcome)) whenSettled(outcome, ok, fail);
    else ok(outcome);
    return undefined;
  };
  copyProps(dual, fn);
  return dual as ((...args: A) => Promise<R>) & ((...args: [...A, (err: unknown, result?: R) => void]) => void);
}

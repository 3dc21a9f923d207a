/**
 * Deferred: Twisted's callback chain (`twisted.internet.defer.Deferred`),
 * with its exact semantics: callbacks run synchronously, one mutable result
 * threaded through the chain, returned Deferreds pause the chain (or have
 * their result taken), constant stack depth for long implicit chains,
 * cancellation with or without a canceller, and unhandled failures
 * reported when the Deferred is garbage-collected (or its loop closes, or
 * the process exits).
 * @module
 */
import {
  dropReport,
  holdReport,
  Future,
  getRunningLoop,
  currentTask,
  describe,
  isGenerator,
  isThenable,
  type EventLoop,
  type InteropObservable,
} from "../../src/index.js";
import { AlreadyCalledError, DeferredCancelledError, NotACoroutineError, DeferredTimeoutError } from "./errors.js";
import { Failure } from "./failure.js";
import type { IReactorTime } from "./interfaces.js";
import { cancellableInlineCallbacks, type DeferredKit } from "./inline.js";
import { aliasSymbolObservable, observeDeferred } from "./observable.js";

/** A callback or errback of a chain: the current result first, then the extra arguments. */
export type ChainFunction = (result: any, ...args: any[]) => unknown;

// The marker Twisted calls _CONTINUE: "hand my result to this waiting
// Deferred", put on an inner Deferred when an outer one waits on it.
const CONTINUE: ChainFunction = () => {
  throw new Error("unreachable: _CONTINUE is never called");
};

/** Up to this many links, taking the first with `shift()` is cheap (V8 trims small arrays in place). */
const SHIFT_LIMIT = 64;

/** The shared argument list of links without extra arguments (never mutated). */
const NO_ARGS: unknown[] = [];

/** One link of the chain: `[callback, callbackArgs, errback, errbackArgs]`. */
export type ChainLink = [ChainFunction, unknown[], ChainFunction, unknown[]];

/**
 * What the unhandled-error report needs; never references its Deferred (or
 * the registry would keep it alive). While `failResult` is set, the report is
 * held by the core too, so that it is made at the loop's close or at process
 * exit if the Deferred is not collected first.
 */
class DebugInfo {
  failResult: Failure | undefined = undefined;
  creator: string | undefined = undefined;
  invoker: string | undefined = undefined;
  loop: EventLoop | undefined = undefined;
  /** Records the Failure left at the end of the chain (to be reported unless handled later). */
  hold(f: Failure): void {
    this.failResult = f;
    this.loop ??= tryRunningLoop();
    holdReport(this);
  }
  /** The Failure was handled (or taken by another Deferred): no report. */
  clear(): void {
    if (this.failResult === undefined) return;
    this.failResult = undefined;
    dropReport(this);
  }
  /** Makes the report (Twisted's `DebugInfo.__del__`), once. */
  report(): void {
    const f = this.failResult;
    if (f === undefined) return;
    this.failResult = undefined;
    dropReport(this);
    reportUnhandled(f, this);
  }
}

const UNHANDLED = "Unhandled error in Deferred:";

function debugTracebacks(info: { creator?: string | undefined; invoker?: string | undefined }): string {
  let s = "";
  if (info.creator !== undefined) s += " C: Deferred was created:\n C:" + info.creator.replace(/\n/g, "\n C:") + "\n";
  if (info.invoker !== undefined) s += " I: First Invoker was:\n I:" + info.invoker.replace(/\n/g, "\n I:") + "\n";
  return s;
}

function tryRunningLoop(): EventLoop | undefined {
  try {
    return getRunningLoop();
  } catch {
    return undefined;
  }
}

/** @internal Reports a Failure left at the end of a collected Deferred's chain (Twisted's `DebugInfo.__del__`). */
export function reportUnhandled(
  failure: Failure,
  info: { creator?: string; invoker?: string; loop?: EventLoop },
): void {
  const debug = debugTracebacks(info);
  const traceback = failure.getTraceback() + (debug ? `\n(debug: ${debug})` : "");
  let loop = info.loop;
  if (loop === undefined || loop.isClosed()) loop = tryRunningLoop();
  if (loop !== undefined && !loop.isClosed()) {
    loop.callExceptionHandler({ message: UNHANDLED, exception: failure.value, failure, traceback });
  } else {
    console.error(`${UNHANDLED}\n${traceback}`);
  }
}

const unhandledRegistry = new FinalizationRegistry<DebugInfo>((info) => info.report());

let nextId = 1;
const ids = new WeakMap<object, number>();
/** @internal A stable small number for repr, as Python's `id()`. */
export function objectId(o: object): string {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return "0x" + id.toString(16);
}

function checkCallable(f: unknown, what: string): void {
  if (typeof f !== "function") throw new TypeError(`${what} must be a function, got ${describe(f)}`);
}

function failthru(f: Failure): Failure {
  return f;
}

/**
 * Returns its argument: the callback slot of {@link Deferred.addErrback}
 * (Twisted's `passthru`).
 *
 * @example
 * ```ts
 * const logIt = (f: Failure) => console.log(f.getErrorMessage());
 * const d = new Deferred<number>();
 * d.addCallbacks(passthru, logIt); // same as d.addErrback(logIt)
 * ```
 */
export function passthru<T>(arg: T): T {
  return arg;
}

/** A Python-like repr of a result, for `toString()`. */
function fmtResult(r: unknown, depth = 0): string {
  if (r instanceof Failure) return `<Failure ${r.getBriefTraceback()}>`;
  if (typeof r === "string") return `'${r}'`;
  if (r === undefined || r === null) return "None";
  if (r instanceof Deferred) return String(r);
  if (Array.isArray(r)) return depth > 2 ? "[...]" : `[${r.map((x) => fmtResult(x, depth + 1)).join(", ")}]`;
  if (typeof r === "object") {
    const name = (r as object).constructor?.name;
    return name && name !== "Object" ? `<${name}>` : "{...}";
  }
  return String(r);
}

/**
 * A result that will be delivered later through a chain of callbacks
 * (Twisted's `Deferred`).
 *
 * The rules, as in Twisted: `addCallback` and friends return the same
 * Deferred; every callback's return value (`undefined` included) replaces
 * the result; a thrown error or a returned {@link Failure} moves the chain
 * to the errback track, and an errback that returns anything else moves it
 * back. Callbacks run synchronously, inside `callback()`/`errback()` or
 * inside `addCallback()` when the Deferred has already fired; a callback
 * added while the chain runs goes to its end. A callback that returns an
 * unfired Deferred pauses this chain until that one fires; a fired one has
 * its result taken (it then holds `undefined`). Long chains of returned
 * Deferreds run in constant stack depth.
 *
 * A Deferred is awaitable: `await d` (or `yield* d` in a generator
 * coroutine) takes its result (the Deferred then holds `undefined`), and
 * inside a Task, cancelling the Task cancels the Deferred.
 *
 * A Deferred whose chain ends on a Failure nobody handles reports
 * "Unhandled error in Deferred:" through the loop's exception handler (or
 * `console.error` when no loop runs), once, at the first of: its garbage
 * collection, the close of the loop that ran when it failed, process exit.
 *
 * @typeParam T - the type of the result the chain currently delivers.
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * d.addCallback((n) => n * 2).addCallback((n) => console.log(n)); // prints 42 when fired
 * d.callback(21);
 * ```
 */
export class Deferred<T = unknown> implements PromiseLike<T> {
  /** Class-wide debugging flag (see {@link setDebugging}): records creator and invoker stacks. */
  static debug = false;

  /** True once `callback` or `errback` was called. */
  called = false;
  /** The number of unmatched {@link pause} calls. */
  paused = 0;
  /**
   * The current result: undefined until fired; then the value passed along
   * the chain, a {@link Failure} on the errback track, or the Deferred this
   * one waits on.
   */
  result: unknown = undefined;
  /**
   * @internal The links not run yet are `_held[_heldAt..]` (a batch the
   * engine is working through, so that it never calls `shift()` on a large
   * array, which is linear) followed by `_links` (where new links go).
   */
  _links: ChainLink[] = [];
  /** @internal */ _held: ChainLink[] | undefined = undefined;
  /** @internal */ _heldAt = 0;
  /** @internal */ _canceller: ((d: Deferred<any>) => unknown) | undefined;
  /** @internal */ _suppressAlreadyCalled = false;
  /** @internal */ _runningCallbacks = false;
  /** @internal the Deferred whose result this one waits for */ _chainedTo: Deferred<any> | undefined = undefined;
  /** @internal */ _debugInfo: DebugInfo | undefined = undefined;
  /** @internal */ _debug: boolean | undefined = undefined;

  /** This Deferred's debugging flag: the class-wide {@link Deferred.debug} unless set on the instance (as Twisted's attribute lookup). */
  get debug(): boolean {
    return this._debug ?? Deferred.debug;
  }
  /** Sets this Deferred's own debugging flag (a later {@link setDebugging} no longer applies to it). */
  set debug(on: boolean) {
    this._debug = Boolean(on);
  }

  /** The links not run yet: `[callback, callbackArgs, errback, errbackArgs]`. */
  get callbacks(): ChainLink[] {
    const held = this._held;
    if (held !== undefined) {
      this._held = undefined;
      this._links = held.slice(this._heldAt).concat(this._links);
    }
    return this._links;
  }
  /** Replaces the links not run yet. */
  set callbacks(links: ChainLink[]) {
    this._held = undefined;
    this._links = links;
  }

  /**
   * A Deferred without a result yet.
   * @param canceller - called with this Deferred by {@link cancel} while it
   * has not fired; it may call `callback`/`errback` itself, otherwise the
   * Deferred fails with {@link DeferredCancelledError}.
   */
  constructor(canceller?: ((d: Deferred<T>) => unknown) | null) {
    if (canceller != null) checkCallable(canceller, "Deferred canceller");
    this._canceller = canceller ?? undefined;
    if (Deferred.debug) this._getDebugInfo().creator = stackHere(3);
  }

  /**
   * Adds a callback and an errback (a missing errback passes failures on).
   * `callbackArgs` / `errbackArgs` are passed after the result. Returns
   * this Deferred.
   */
  addCallbacks<R = T, E = never>(
    callback: (result: T, ...args: any[]) => R | Deferred<R> | Future<R> | Failure,
    errback?: ((failure: Failure, ...args: any[]) => E | Deferred<E> | Future<E> | Failure) | null,
    callbackArgs?: unknown[] | null,
    errbackArgs?: unknown[] | null,
  ): Deferred<R | E> {
    checkCallable(callback, "Deferred callback");
    if (errback != null) checkCallable(errback, "Deferred errback");
    this._links.push([
      callback as ChainFunction,
      callbackArgs == null || callbackArgs.length === 0 ? NO_ARGS : callbackArgs,
      (errback ?? failthru) as ChainFunction,
      errbackArgs == null || errbackArgs.length === 0 ? NO_ARGS : errbackArgs,
    ]);
    if (this.called) this._runCallbacks();
    return this as unknown as Deferred<R | E>;
  }

  /** Adds a callback for the success track (failures pass by it). Extra `args` follow the result. Returns this Deferred. */
  addCallback<R, A extends unknown[] = []>(
    callback: (result: T, ...args: A) => R | Deferred<R> | Future<R> | Failure,
    ...args: A
  ): Deferred<R> {
    checkCallable(callback, "Deferred callback");
    const a = args.length === 0 ? NO_ARGS : args;
    this._links.push([callback as ChainFunction, a, failthru as ChainFunction, a]);
    if (this.called) this._runCallbacks();
    return this as unknown as Deferred<R>;
  }

  /** Adds an errback, called with the {@link Failure} (successes pass by it). Returns this Deferred. */
  addErrback<R = T, A extends unknown[] = []>(
    errback: (failure: Failure, ...args: A) => R | Deferred<R> | Future<R> | Failure,
    ...args: A
  ): Deferred<T | R> {
    checkCallable(errback, "Deferred errback");
    const a = args.length === 0 ? NO_ARGS : args;
    this._links.push([passthru as ChainFunction, a, errback as ChainFunction, a]);
    if (this.called) this._runCallbacks();
    return this as unknown as Deferred<T | R>;
  }

  /** Adds the same function as callback and errback: it receives the result or the {@link Failure}. Returns this Deferred. */
  addBoth<R, A extends unknown[] = []>(
    fn: (result: T | Failure, ...args: A) => R | Deferred<R> | Future<R> | Failure,
    ...args: A
  ): Deferred<R> {
    checkCallable(fn, "Deferred callback");
    const a = args.length === 0 ? NO_ARGS : args;
    this._links.push([fn as ChainFunction, a, fn as ChainFunction, a]);
    if (this.called) this._runCallbacks();
    return this as unknown as Deferred<R>;
  }

  /**
   * Cancels this Deferred if it has not fired `timeout` seconds from now on
   * `clock`; then it fails with {@link DeferredTimeoutError} (or whatever
   * `onTimeoutCancel(result, timeout)` returns). Covers only the callbacks
   * added before this call. Returns this Deferred.
   */
  addTimeout(
    timeout: number,
    clock: IReactorTime,
    onTimeoutCancel?: (result: unknown, timeout: number) => unknown,
  ): Deferred<T> {
    if (typeof timeout !== "number" || Number.isNaN(timeout))
      throw new TypeError(`addTimeout: timeout must be a number of seconds, got ${describe(timeout)}`);
    if (onTimeoutCancel != null) checkCallable(onTimeoutCancel, "addTimeout onTimeoutCancel");
    let timedOut = false;
    const delayedCall = clock.callLater(timeout, () => {
      timedOut = true;
      this.cancel();
    });
    this.addBoth((value: unknown) =>
      timedOut ? (onTimeoutCancel ?? cancelledToTimedOutError)(value, timeout) : value,
    );
    this.addBoth((result: unknown) => {
      if (delayedCall.active()) delayedCall.cancel();
      return result;
    });
    return this;
  }

  /**
   * Makes `d` fire with whatever reaches this point of this chain
   * (`addCallbacks(d.callback, d.errback)`). Unlike returning a Deferred from
   * a callback, a long chain of `chainDeferred` recurses (as in Twisted).
   * Returns this Deferred, whose result is then undefined.
   */
  chainDeferred(d: Deferred<T>): Deferred<undefined> {
    d._chainedTo = this;
    return this.addCallbacks(
      (r: T) => d.callback(r),
      (f: Failure) => d.errback(f),
    ) as unknown as Deferred<undefined>;
  }

  /**
   * Fires the chain with `result` (a {@link Failure} starts on the errback
   * track). Throws {@link AlreadyCalledError} if the Deferred already fired
   * (once after a cancel without canceller, the producer's late call is
   * silently ignored).
   */
  callback(result: T | Failure): void {
    if (result instanceof Deferred)
      throw new TypeError("Deferred.callback() got a Deferred: return it from a callback, or use chainDeferred");
    this._startRunCallbacks(result);
  }

  /**
   * Fires the errback track with `fail`; anything but a {@link Failure} is
   * wrapped in one. JavaScript has no "current exception", so the argument
   * is required.
   */
  errback(fail: unknown): void {
    if (arguments.length === 0)
      throw new TypeError(
        "Deferred.errback() needs a Failure or an error: JavaScript has no current exception to take",
      );
    this._startRunCallbacks(fail instanceof Failure ? fail : new Failure(fail));
  }

  /** Stops running callbacks until a matching {@link unpause}. */
  pause(): void {
    this.paused += 1;
  }

  /** Undoes one {@link pause}; at zero, runs the callbacks if the Deferred has fired. */
  unpause(): void {
    this.paused -= 1;
    if (this.paused) return;
    if (this.called) this._runCallbacks();
  }

  /**
   * Cancels the operation. Not fired yet: the canceller runs (if any) and,
   * unless it fired the Deferred, the Deferred fails with
   * {@link DeferredCancelledError}. Waiting on another Deferred: that one is
   * cancelled instead. Otherwise: nothing.
   */
  cancel(): void {
    if (!this.called) {
      const canceller = this._canceller;
      if (canceller !== undefined) canceller(this);
      // No real canceller: eat the one callback the producer will still make.
      else this._suppressAlreadyCalled = true;
      if (!this.called) this.errback(new Failure(new DeferredCancelledError()));
    } else if (this.result instanceof Deferred) {
      this.result.cancel();
    }
  }

  /**
   * A Future (of `loop`, default the running one) that completes when this
   * Deferred fires; the Deferred's result is taken (it then holds
   * undefined). Cancelling the Future cancels the Deferred; a Deferred that
   * succeeds in response is ignored (the Future stays cancelled).
   */
  asFuture(loop?: EventLoop): Future<T> {
    const future = (loop ?? getRunningLoop()).createFuture<T>();
    this.addCallbacks(
      (result: T) => {
        if (!future.cancelled()) future.setResult(result);
        return undefined;
      },
      (failure: Failure) => {
        if (!future.cancelled()) future.setException(failure.value);
        return undefined;
      },
    );
    future.addDoneCallback((f) => {
      if (f.cancelled()) this.cancel();
    });
    return future;
  }

  /**
   * A Deferred that fires when `future` completes (after the loop runs its
   * done callbacks). Cancelling the Deferred cancels the Future; a cancelled
   * Future becomes a `CancelledError` failure (the core's class, as Twisted
   * passes asyncio's).
   */
  static fromFuture<T>(future: Future<T>): Deferred<T> {
    const futureCancel = {};
    const self = new Deferred<T>((reself) => {
      future.cancel();
      reself.callback(futureCancel as T);
    });
    let actual: Deferred<T> = self;
    self.addCallback((result: T) => {
      if (result === futureCancel) {
        actual = new Deferred<T>();
        return actual;
      }
      return result;
    });
    future.addDoneCallback((f) => {
      let extracted: T | Failure;
      try {
        extracted = f.result();
      } catch (e) {
        extracted = new Failure(e);
      }
      actual.callback(extracted);
    });
    return self;
  }

  /**
   * Runs a generator coroutine that yields Deferreds, Futures or promises
   * (as {@link inlineCallbacks} does) and returns a Deferred of its return
   * value. Cancelling it cancels what the generator waits on. A promise
   * (an async function's result) is followed, but cannot be cancelled.
   * Anything else: {@link NotACoroutineError}.
   */
  static fromCoroutine<T>(coro: Generator<unknown, T, any> | PromiseLike<T>): Deferred<T> {
    if (isGenerator(coro)) return cancellableInlineCallbacks(deferredKit, coro as Generator<unknown, T, any>);
    if (isThenable(coro)) return fromPromise(coro as PromiseLike<T>);
    throw new NotACoroutineError(`${describe(coro)} is not a coroutine`);
  }

  /** `<Deferred at 0x1 current result: 42>`, or `… waiting on Deferred at 0x2>`, as Twisted's repr. */
  toString(): string {
    const cname = this.constructor.name;
    let tail: string;
    if (this._chainedTo !== undefined) tail = ` waiting on Deferred at ${objectId(this._chainedTo)}`;
    else if (!this.called) tail = "";
    else tail = ` current result: ${fmtResult(this.result)}`;
    return `<${cname} at ${objectId(this)}${tail}>`;
  }

  /**
   * Awaiting takes the result (the Deferred then holds undefined), as
   * Twisted's `__await__`. Inside a Task it waits through
   * {@link asFuture}, so cancelling the Task cancels the Deferred.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const task = currentTask();
    if (task !== undefined) return this.asFuture(task.getLoop()).then(onFulfilled, onRejected);
    return new Promise<T>((resolve, reject) => {
      this.addCallbacks(
        (r: T) => {
          resolve(r);
          return undefined;
        },
        (f: Failure) => {
          reject(f.value);
          return undefined;
        },
      );
    }).then(onFulfilled, onRejected);
  }

  /**
   * The Observable interop key (rxjs's `from(d)` takes it before `then`):
   * observers get the result then `complete`, or `error` with the failure's
   * value, synchronously when the Deferred fires (at once if it has fired).
   * Hot: unsubscribing never cancels the Deferred. Observing leaves a
   * success on the chain unchanged; a failure that an observer received is
   * handled (the chain goes on with `undefined`, as after an errback).
   *
   * @example
   * ```ts
   * const d = new Deferred<number>();
   * import { from } from "rxjs";
   * from(d).subscribe({ next: (v) => console.log(v), error: (e) => console.error(e) });
   * ```
   */
  "@@observable"(): InteropObservable<T> {
    return observeDeferred(this);
  }

  /** Lets a generator coroutine wait with `const x = yield* d` (through {@link asFuture}). */
  *[Symbol.iterator](): Generator<unknown, T, unknown> {
    return yield* this.asFuture(getRunningLoop());
  }

  // ---- the engine ----------------------------------------------------------

  /** @internal */
  _getDebugInfo(): DebugInfo {
    let info = this._debugInfo;
    if (info === undefined) {
      info = this._debugInfo = new DebugInfo();
      unhandledRegistry.register(this, info);
    }
    return info;
  }

  /** @internal */
  _startRunCallbacks(result: unknown): void {
    if (this.called) {
      if (this._suppressAlreadyCalled) {
        this._suppressAlreadyCalled = false;
        return;
      }
      if (this.debug) throw new AlreadyCalledError("\n" + debugTracebacks(this._getDebugInfo()));
      throw new AlreadyCalledError();
    }
    if (this.debug) this._getDebugInfo().invoker = stackHere(4);
    this.called = true;
    // Break the reference cycle a canceller closing over its Deferred makes.
    this._canceller = undefined;
    this.result = result;
    this._runCallbacks();
  }

  /**
   * @internal Takes the next link to run: a short list is shifted (cheap
   * there), a long one is moved whole into `_held` and read by index, so
   * a chain of n links runs in O(n).
   */
  _nextLink(): ChainLink | undefined {
    let held = this._held;
    if (held === undefined) {
      const links = this._links;
      if (links.length <= SHIFT_LIMIT) return links.shift();
      held = this._held = links;
      this._heldAt = 0;
      this._links = [];
    }
    const item = held[this._heldAt]!;
    held[this._heldAt++] = undefined as unknown as ChainLink; // run links are not kept alive
    if (this._heldAt === held.length) this._held = undefined;
    return item;
  }

  /** @internal The continuation put on an inner Deferred: hand the result to `this`. */
  _continuation(): ChainLink {
    return [CONTINUE, [this], CONTINUE, [this]];
  }

  /**
   * @internal Twisted's `_runCallbacks`: an explicit stack (`chain`) of the
   * Deferreds that wait on one another, so that a result travelling up a
   * long implicit chain never recurses.
   */
  _runCallbacks(): void {
    if (this._runningCallbacks) return; // a callback added from a running callback: the running loop picks it up
    const chain: Deferred<any>[] = [this];
    while (chain.length > 0) {
      const current = chain[chain.length - 1]!;
      if (current.paused) return; // everyone up the chain waits for this one
      let finished = true;
      current._chainedTo = undefined;
      for (;;) {
        const item = current._nextLink();
        if (item === undefined) break;
        const onFailure = current.result instanceof Failure;
        const fn = onFailure ? item[2] : item[0];
        const args = onFailure ? item[3] : item[1];
        if (fn === CONTINUE) {
          // Give the waiting Deferred our result and forget it ourselves.
          const chainee = args[0] as Deferred<any>;
          chainee.result = current.result;
          current.result = undefined;
          current._debugInfo?.clear();
          chainee.paused -= 1;
          chain.push(chainee);
          finished = false; // come back to `current` after the chainee
          break;
        }
        try {
          current._runningCallbacks = true;
          try {
            current.result = args.length === 0 ? fn(current.result) : fn(current.result, ...args);
            if (current.result === current) {
              // Twisted warns (and fails under -Werror); a port reports it as an error.
              throw new TypeError(
                `Callback ${fn.name || "<anonymous>"} returned the Deferred it was attached to; this breaks the callback chain`,
              );
            }
          } finally {
            current._runningCallbacks = false;
          }
        } catch (e) {
          current.result = new Failure(e);
          continue;
        }
        // A Future (or Task) returned from a callback is waited on as a Deferred.
        if (current.result instanceof Future) current.result = Deferred.fromFuture(current.result);
        const inner = current.result;
        if (inner instanceof Deferred) {
          if (!inner.called || inner.result instanceof Deferred || inner.paused) {
            // No result yet: pause and wait on it.
            current.pause();
            current._chainedTo = inner;
            inner._links.push(current._continuation());
            break;
          }
          // It has one: take it.
          const taken = inner.result;
          inner.result = undefined;
          inner._debugInfo?.clear();
          current.result = taken;
        }
      }
      if (finished) {
        // As much of the chain as can run has run: record an unhandled
        // Failure for the collection-time report, or clear it.
        if (current.result instanceof Failure) {
          current.result.cleanFailure();
          current._getDebugInfo().hold(current.result);
        } else if (current._debugInfo !== undefined) {
          current._debugInfo.clear();
        }
        chain.pop();
      }
    }
  }
}

function stackHere(skip: number): string {
  return (new Error().stack ?? "").split("\n").slice(skip).join("\n");
}

aliasSymbolObservable(Deferred.prototype);

function cancelledToTimedOutError(value: unknown, timeout: number): unknown {
  if (value instanceof Failure) {
    value.trap(DeferredCancelledError);
    throw new DeferredTimeoutError(timeout, "Deferred");
  }
  return value;
}

/**
 * @internal A Deferred following a promise. It has no canceller (a promise
 * cannot be stopped): cancelling it fails it with CancelledError and the
 * promise's one later outcome is swallowed, as Twisted does for any
 * Deferred without a canceller.
 */
export function fromPromise<T>(p: PromiseLike<T>): Deferred<T> {
  const d = new Deferred<T>();
  p.then(
    (v) => d.callback(v),
    (e) => d.errback(e),
  );
  return d;
}

/**
 * Turns on or off the recording of creator and invoker stacks, shown in
 * {@link AlreadyCalledError} messages and unhandled-error reports
 * (Twisted's `setDebugging`).
 *
 * @example
 * ```ts
 * setDebugging(true);
 * ```
 */
export function setDebugging(on: boolean): void {
  Deferred.debug = Boolean(on);
}

/**
 * True if Deferred debugging is on (Twisted's `getDebugging`).
 *
 * @example
 * ```ts
 * if (getDebugging()) console.log("recording Deferred stacks");
 * ```
 */
export function getDebugging(): boolean {
  return Deferred.debug;
}

/**
 * A Deferred that has already fired with `result` (Twisted's `succeed`).
 *
 * @example
 * ```ts
 * succeed(3).addCallback((n) => n + 1); // runs at once; result 4
 * ```
 */
export function succeed<T>(result: T): Deferred<T> {
  const d = new Deferred<T>();
  d.callback(result);
  return d;
}

/**
 * A Deferred that has already failed with `result` (wrapped in a
 * {@link Failure} unless it is one). Twisted's `fail()` without argument
 * takes the current exception; JavaScript has none, so the argument is
 * required.
 *
 * @example
 * ```ts
 * fail(new Error("no")).addErrback((f) => f.getErrorMessage()); // result "no"
 * ```
 */
export function fail(result: unknown): Deferred<never> {
  if (arguments.length === 0)
    throw new TypeError("fail() needs a Failure or an error: JavaScript has no current exception to take");
  const d = new Deferred<never>();
  d.errback(result);
  return d;
}

/**
 * Calls `f(...args)` now: a Deferred fired with its return value, or failed
 * with what it threw (Twisted's `execute`).
 *
 * @example
 * ```ts
 * execute(JSON.parse, "{"); // a failed Deferred (SyntaxError)
 * ```
 */
export function execute<T, A extends unknown[]>(f: (...args: A) => T, ...args: A): Deferred<T> {
  checkCallable(f, "execute()");
  let result: T;
  try {
    result = f(...args);
  } catch (e) {
    return fail(e);
  }
  return succeed(result);
}

/**
 * Calls `f(...args)` and returns a Deferred of the outcome (Twisted's
 * `maybeDeferred`): a returned Deferred as it is, a returned
 * {@link Failure} or a throw as a failed Deferred, a generator (a
 * coroutine) or a promise through {@link Deferred.fromCoroutine}, anything
 * else as a fired Deferred.
 *
 * @example
 * ```ts
 * const cache = new Map<string, number>();
 * const fetchDeferred = (key: string) => succeed(key.length);
 * const key = "abc";
 * maybeDeferred(() => cache.get(key) ?? fetchDeferred(key)).addCallback(console.log); // 3
 * ```
 */
export function maybeDeferred<T, A extends unknown[]>(
  f: (...args: A) => T | Deferred<T> | PromiseLike<T> | Generator<unknown, T, any>,
  ...args: A
): Deferred<T> {
  checkCallable(f, "maybeDeferred()");
  let result: unknown;
  try {
    result = f(...args);
  } catch (e) {
    return fail(e);
  }
  if (result instanceof Deferred) return result as Deferred<T>;
  if (result instanceof Failure) return fail(result);
  if (isGenerator(result) || isThenable(result)) return Deferred.fromCoroutine(result as Generator<unknown, T, any>);
  return succeed(result as T);
}

/**
 * A Deferred for `coro` (Twisted's `ensureDeferred`): a Deferred is
 * returned unchanged; a generator coroutine runs as with
 * {@link Deferred.fromCoroutine}; a promise is followed. Anything else
 * throws {@link NotACoroutineError}.
 *
 * @example
 * ```ts
 * const d = ensureDeferred((async () => (await fetchPage(url)).length)());
 * ```
 */
export function ensureDeferred<T>(coro: Deferred<T> | Generator<unknown, T, any> | PromiseLike<T>): Deferred<T> {
  if (coro instanceof Deferred) return coro;
  try {
    return Deferred.fromCoroutine(coro);
  } catch (e) {
    if (e instanceof NotACoroutineError)
      throw new NotACoroutineError(`${describe(coro)} is not a coroutine or a Deferred`);
    throw e;
  }
}

/**
 * Logs `err` through the running loop's exception handler (or
 * `console.error`) and returns it: an errback that reports and passes the
 * failure on (Twisted's `logError`).
 *
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * d.addErrback(logError);
 * ```
 */
export function logError(err: Failure): Failure {
  const loop = tryRunningLoop();
  if (loop !== undefined)
    loop.callExceptionHandler({ message: "Deferred failure", exception: err.value, failure: err });
  else console.error(err.getTraceback());
  return err;
}

/** @internal What inline.ts's generator driver needs of this module (handed in: no import cycle). */
export const deferredKit: DeferredKit = { Deferred, fromPromise };

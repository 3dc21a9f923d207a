/**
 * The errors of `twisted.internet.defer` and `twisted.internet.error` that
 * the Deferred adapter raises.
 * @module
 */
import { CancelledError, TimeoutError } from "../../src/index.js";
import type { Failure } from "./failure.js";

/**
 * `callback()` or `errback()` was called on a Deferred that already fired
 * (Twisted's `defer.AlreadyCalledError`). With {@link setDebugging} on, the
 * message holds the creator and first-invoker stacks.
 *
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * d.callback(1);
 * try { d.callback(2); } catch (e) { e instanceof AlreadyCalledError; } // true
 * ```
 */
export class AlreadyCalledError extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "AlreadyCalledError";
}

/**
 * A Deferred was cancelled (Twisted's `defer.CancelledError`). Named
 * `DeferredCancelledError` so that `CancelledError` means one thing in every
 * entry point (the core's); its `name` stays Twisted's `"CancelledError"`.
 *
 * It is a **subclass of the core's `CancelledError`**, so that
 * `isCancelledError(e)` is true for it and a Task awaiting a cancelled
 * Deferred ends cancelled, as a Task awaiting any cancelled awaitable does.
 * `failure.check(DeferredCancelledError)` matches only Deferred
 * cancellations; pass the core's `CancelledError` to match both.
 *
 * @example
 * ```ts
 * const d = new Deferred();
 * d.addErrback((f: Failure) => { f.trap(DeferredCancelledError); return "stopped"; });
 * d.cancel(); // d.result === "stopped"
 * ```
 */
export class DeferredCancelledError extends CancelledError {
  static {
    // Twisted's class name in tracebacks and Failure.type (the export is renamed, the class is not).
    Object.defineProperty(DeferredCancelledError, "name", { value: "CancelledError" });
  }
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "CancelledError";
}

/**
 * A Deferred timed out (Twisted's `defer.TimeoutError`), raised by
 * {@link Deferred.addTimeout}. Carries the timeout in seconds. Named
 * `DeferredTimeoutError` so that `TimeoutError` means one thing in every
 * entry point; it is a subclass of the core's `TimeoutError` (so one
 * `instanceof TimeoutError` catches both), and its `name` stays Twisted's.
 *
 * @example
 * ```ts
 * const d = new Deferred<number>();
 * const clock = new Clock();
 * d.addTimeout(5, clock);
 * clock.advance(5); // d fails with DeferredTimeoutError(5, "Deferred")
 * ```
 */
export class DeferredTimeoutError extends TimeoutError {
  static {
    // Twisted's class name in tracebacks and Failure.type (the export is renamed, the class is not).
    Object.defineProperty(DeferredTimeoutError, "name", { value: "TimeoutError" });
  }
  /** The error class name, as shown in stacks and tracebacks (Twisted's). */
  override name = "TimeoutError";
  /** The timeout, in seconds. */
  readonly timeout: number | undefined;
  /**
   * A timeout error for `timeout` seconds.
   * @param timeout - the timeout, in seconds
   * @param what - what timed out (Twisted passes "Deferred")
   */
  constructor(timeout?: number, what?: string) {
    super(timeout === undefined ? "" : `${what ?? "Deferred"} timed out after ${timeout} seconds`);
    this.timeout = timeout;
  }
}

/**
 * {@link ensureDeferred} or {@link Deferred.fromCoroutine} got something that
 * is neither a coroutine (a generator object), a promise, nor a Deferred
 * (Twisted's `NotACoroutineError`, a `TypeError`).
 *
 * @example
 * ```ts
 * try { ensureDeferred(42 as never); } catch (e) { e instanceof NotACoroutineError; } // true
 * ```
 */
export class NotACoroutineError extends TypeError {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "NotACoroutineError";
}

/**
 * The first failure of a {@link DeferredList} with `fireOnOneErrback` (and
 * so of {@link gatherResults}): the member's {@link Failure} and its index.
 *
 * @example
 * ```ts
 * gatherResults([succeed(1), fail(new Error("x"))]).addErrback((f: Failure) => {
 *   const e = f.value as FirstError; // e.index === 1, e.subFailure.value.message === "x"
 * });
 * ```
 */
export class FirstError extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "FirstError";
  /** The failure of the member Deferred. */
  readonly subFailure: Failure;
  /** The member's position in the list. */
  readonly index: number;
  /** Wraps the member's `failure` and its `index` in the list. */
  constructor(failure: Failure, index: number) {
    super(`FirstError[#${index}, ${failure.getErrorMessage()}]`);
    this.subFailure = failure;
    this.index = index;
  }
  /** Twisted's `__cmp__`: equal when the index and the sub-failure are the same. */
  equals(other: unknown): boolean {
    return other instanceof FirstError && other.index === this.index && other.subFailure === this.subFailure;
  }
}

/**
 * Every Deferred given to {@link race} failed: the failures, in input order
 * (Twisted's `FailureGroup`).
 *
 * @example
 * ```ts
 * race([fail(new Error("a")), fail(new Error("b"))]).addErrback((f: Failure) => (f.value as FailureGroup).failures.length); // 2
 * ```
 */
export class FailureGroup extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "FailureGroup";
  /** The failures, in the order of the input Deferreds. */
  readonly failures: Failure[];
  /** Groups `failures`, in input order. */
  constructor(failures: Failure[]) {
    super(`${failures.length} failures: ${failures.map((f) => f.getErrorMessage()).join("; ")}`);
    this.failures = failures;
  }
}

/**
 * {@link DeferredQueue.put} on a full queue (Twisted's `QueueOverflow`),
 * raised synchronously.
 *
 * @example
 * ```ts
 * const q = new DeferredQueue<number>(1);
 * q.put(1);
 * try { q.put(2); } catch (e) { e instanceof QueueOverflow; } // true
 * ```
 */
export class QueueOverflow extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "QueueOverflow";
}

/**
 * {@link DeferredQueue.get} when the backlog of waiting getters is full
 * (Twisted's `QueueUnderflow`), raised synchronously.
 *
 * @example
 * ```ts
 * const q = new DeferredQueue<number>(undefined, 0);
 * try { q.get(); } catch (e) { e instanceof QueueUnderflow; } // true
 * ```
 */
export class QueueUnderflow extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "QueueUnderflow";
}

/**
 * A {@link DelayedCall} was cancelled or reset after it already ran
 * (`twisted.internet.error.AlreadyCalled`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const call = clock.callLater(1, () => {});
 * clock.advance(1);
 * try { call.cancel(); } catch (e) { e instanceof AlreadyCalled; } // true
 * ```
 */
export class AlreadyCalled extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "AlreadyCalled";
  /** A default message names the failed operation. */
  constructor(message = "Tried to cancel an already-called event.") {
    super(message);
  }
}

/**
 * A {@link DelayedCall} was cancelled or reset after it was cancelled
 * (`twisted.internet.error.AlreadyCancelled`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const call = clock.callLater(1, () => {});
 * call.cancel();
 * try { call.cancel(); } catch (e) { e instanceof AlreadyCancelled; } // true
 * ```
 */
export class AlreadyCancelled extends Error {
  /** The error class name, as shown in stacks and tracebacks. */
  override name = "AlreadyCancelled";
  /** A default message names the failed operation. */
  constructor(message = "Tried to cancel an already-cancelled event.") {
    super(message);
  }
}

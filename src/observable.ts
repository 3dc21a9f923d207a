/**
 * The Observable interop key on Future and Task (`'@@observable'`, and
 * `Symbol.observable` when a polyfill defined it before this module loaded),
 * with no rxjs import: rxjs 7.8 reads `Symbol.observable || '@@observable'`
 * once at load, and `from(x)` takes that key before it looks at `then`, so
 * `from(task)` can cancel the task instead of following it like a promise.
 *
 * Ownership: a Future is observed (unsubscribing only removes the callback);
 * a Task is owned by its subscribers (when the last one unsubscribes before
 * it is done, it is cancelled).
 * @module
 */
import type { AbstractFuture } from "./events.js";

/**
 * The observer that {@link InteropObservable.subscribe} accepts: an rxjs
 * `Subscriber` or any object with some of these methods.
 *
 * @example
 * ```ts
 * const observer: InteropObserver<number> = { next: (v) => console.log(v), error: console.error };
 * ```
 */
export interface InteropObserver<T> {
  /** Called once with the result. */
  next?(value: T): void;
  /** Called with the exception, or a `CancelledError` for a cancelled future. */
  error?(err: unknown): void;
  /** Called after `next`. */
  complete?(): void;
}

/**
 * What {@link InteropObservable.subscribe} returns.
 *
 * @example
 * ```ts
 * const fut = getRunningLoop().createFuture<number>();
 * const sub: InteropSubscription = fut["@@observable"]().subscribe({ next: console.log });
 * sub.unsubscribe();
 * ```
 */
export interface InteropSubscription {
  /** Stops the delivery (and, for a Task's last subscriber, cancels the task). */
  unsubscribe(): void;
  /** True once unsubscribed or delivered. */
  readonly closed: boolean;
}

/**
 * The minimal Observable that the interop key returns (rxjs's `Subscribable`).
 *
 * @example
 * ```ts
 * const fut = getRunningLoop().createFuture<number>();
 * const obs: InteropObservable<number> = fut["@@observable"]();
 * obs.subscribe({ next: (v) => console.log(v) });
 * ```
 */
export interface InteropObservable<T> {
  /** Subscribes `observer` (or a `next` function): it gets the result then `complete`, or `error`. */
  subscribe(observer?: InteropObserver<T> | ((value: T) => void) | null): InteropSubscription;
  /** Returns itself, as the interop protocol asks. */
  "@@observable"(): InteropObservable<T>;
}

/** The well-known symbol, if a polyfill defined it (rxjs then uses it instead of the string). */
const symbolObservable: symbol | undefined = (Symbol as { observable?: symbol }).observable;

// Subscribers of each owned Task: the last one to leave cancels it.
const owners = new WeakMap<AbstractFuture<unknown>, number>();

class FutureObservable<T> implements InteropObservable<T> {
  constructor(
    readonly future: AbstractFuture<T>,
    readonly owning: boolean,
  ) {}

  subscribe(observer?: InteropObserver<T> | ((value: T) => void) | null): InteropSubscription {
    const obs: InteropObserver<T> = typeof observer === "function" ? { next: observer } : (observer ?? {});
    return new FutureSubscription(this.future, obs, this.owning);
  }

  "@@observable"(): this {
    return this;
  }
}
if (symbolObservable !== undefined)
  Object.defineProperty(FutureObservable.prototype, symbolObservable, {
    value: FutureObservable.prototype["@@observable"],
  });

class FutureSubscription<T> implements InteropSubscription {
  closed = false;
  readonly #onDone = (f: AbstractFuture<T>): void => this.#deliver(f);

  constructor(
    readonly future: AbstractFuture<T>,
    readonly observer: InteropObserver<T>,
    readonly owning: boolean,
  ) {
    if (owning) owners.set(future, (owners.get(future) ?? 0) + 1);
    future.addDoneCallback(this.#onDone);
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    const fut = this.future;
    fut.removeDoneCallback(this.#onDone);
    if (!this.owning) return;
    const left = (owners.get(fut) ?? 1) - 1;
    if (left > 0) {
      owners.set(fut, left);
      return;
    }
    owners.delete(fut);
    if (fut.done()) return;
    fut.cancel();
    // Nobody is left to receive what the task ends with: an exception other
    // than the cancellation goes to the loop's handler, once (retrieved here,
    // so the core's never-retrieved report does not repeat it).
    fut.addDoneCallback(reportAfterUnsubscribe);
  }

  #deliver(f: AbstractFuture<T>): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owning) owners.set(f, (owners.get(f) ?? 1) - 1);
    const obs = this.observer;
    let value: T;
    try {
      value = f.result();
    } catch (e) {
      if (typeof obs.error === "function") obs.error(e);
      else if (!f.cancelled())
        f.getLoop().callExceptionHandler({
          message: "Observer of a future has no error handler",
          exception: e,
          future: f,
        });
      return;
    }
    obs.next?.(value);
    obs.complete?.();
  }
}

function reportAfterUnsubscribe(f: AbstractFuture<unknown>): void {
  if (f.cancelled()) return;
  const exception = f.exception();
  if (exception !== undefined)
    f.getLoop().callExceptionHandler({
      message: "Task exception after its last subscriber unsubscribed",
      exception,
      future: f,
    });
}

/**
 * @internal The interop Observable of `future`: `owning` for a Task (the
 * last subscriber to unsubscribe before it is done cancels it).
 */
export function observeFuture<T>(future: AbstractFuture<T>, owning: boolean): InteropObservable<T> {
  return new FutureObservable(future, owning);
}

/**
 * @internal Makes `Symbol.observable` (when a polyfill defined it) an alias
 * of the `'@@observable'` method on `proto`, dispatching to subclasses.
 */
export function aliasSymbolObservable(proto: object): void {
  if (symbolObservable === undefined) return;
  Object.defineProperty(proto, symbolObservable, {
    configurable: true,
    writable: true,
    value: function (this: { "@@observable"(): unknown }) {
      return this["@@observable"]();
    },
  });
}

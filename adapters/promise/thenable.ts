/**
 * Thenables in, native Promises out: {@link fromThenable} assimilates any
 * Promises/A+ thenable (bluebird, Q, when.js, jQuery Deferreds) into a
 * Future, {@link toPromise} turns a Future into a native Promise, under the
 * core's unhandled-error policy (reported once, by the loop).
 * @module
 */
import {
  CancelledError,
  Future,
  ValueError,
  copyContext,
  describe,
  getRunningLoop,
  isFuture,
  isGenerator,
  type CoroutineLike,
  type EventLoop,
} from "../../src/index.js";

/**
 * Anything with a `then` method: what Promises/A+ §1.2 calls a thenable.
 *
 * @example
 * ```ts
 * const t: Thenable<number> = Promise.resolve(1); // any object with then()
 * console.log(await fromThenable(t)); // 1
 * ```
 */
export type Thenable<T> = PromiseLike<T>;

function isObjectLike(x: unknown): x is object {
  return (typeof x === "object" && x !== null) || typeof x === "function";
}

/**
 * @internal An error that was expected to come from our own abort or
 * cancellation, not worth reporting when nobody listens any more.
 */
export function isAbortLike(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === "AbortError");
}

/**
 * @internal The Promises/A+ resolution procedure (§2.3), completing `fut`
 * with `x`: `then` is read once and called with `x` as `this`; of its two
 * callbacks the first call wins; an exception thrown after one of them was
 * called is ignored; a thenable result is resolved recursively. Resolving
 * a future with itself, or a thenable whose resolution leads back to itself
 * (which would never settle), is a `TypeError`. Outcomes that arrive after
 * `fut` is done (cancelled, typically) are dropped, except a late failure
 * that is not an abort: it goes to the loop's exception handler so that it
 * is not lost.
 */
export function resolveFuture<T>(fut: Future<T>, x: unknown, seen?: Set<object>): void {
  if (fut.done()) return lateOutcome(fut, false, undefined);
  if (x === fut)
    return rejectFuture(fut, new TypeError("Chaining cycle detected: a Future cannot be resolved with itself"));
  if (isFuture(x)) {
    // Our own future: follow it through a done callback (no microtask detour).
    x.addDoneCallback((src) => {
      if (fut.done()) {
        if (!src.cancelled()) {
          try {
            src.result();
          } catch (e) {
            lateOutcome(fut, true, e);
          }
        }
        return;
      }
      let value: unknown;
      try {
        value = src.result();
      } catch (e) {
        if (src.cancelled()) fut.cancel((e as CancelledError).message || undefined);
        else rejectFuture(fut, e);
        return;
      }
      fut.setResult(value as T);
    });
    return;
  }
  if (!isObjectLike(x)) return fut.setResult(x as T);
  let then: unknown;
  try {
    then = (x as { then?: unknown }).then; // read once (§2.3.3.1)
  } catch (e) {
    return rejectFuture(fut, e);
  }
  if (typeof then !== "function") return fut.setResult(x as T);
  followThenable(fut, x, then, seen);
}

/** @internal §2.3.3.3: calls `then` (already read) of the thenable `x`. */
function followThenable<T>(fut: Future<T>, x: object, then: Function, seen: Set<object> | undefined): void {
  if (seen?.has(x)) return rejectFuture(fut, new TypeError("Chaining cycle detected: a thenable resolved with itself"));
  const chain = seen ?? new Set<object>();
  chain.add(x);
  let called = false;
  try {
    then.call(
      x,
      (y: unknown) => {
        if (called) return;
        called = true;
        resolveFuture(fut, y, chain);
      },
      (r: unknown) => {
        if (called) return;
        called = true;
        rejectFuture(fut, r);
      },
    );
  } catch (e) {
    if (!called) {
      called = true;
      rejectFuture(fut, e);
    }
  }
}

/** @internal Fails `fut` with exactly `e`, whatever `e` is. */
export function rejectFuture(fut: Future<unknown>, e: unknown): void {
  if (fut.done()) return lateOutcome(fut, true, e);
  // The core instantiates an Error class given to setException (an exception
  // class, as asyncio); a promise may reject with the class itself: pass it
  // through an "Error class" whose constructor returns it as is.
  if (typeof e === "function" && (e === Error || e.prototype instanceof Error)) {
    const passThrough = function reason(): unknown {
      return e;
    };
    passThrough.prototype = Object.create(Error.prototype);
    fut.setException(passThrough);
  } else fut.setException(e);
}

function lateOutcome(fut: Future<unknown>, failed: boolean, e: unknown): void {
  // Only failures are reported: a late value has nobody to go to and is
  // harmless; an abort/cancellation is the expected end of what we stopped.
  if (!failed || isAbortLike(e)) return;
  fut.getLoop().callExceptionHandler({
    message: "a promise failed after the Future that followed it was done (cancelled?)",
    exception: e,
    future: fut,
  });
}

/**
 * A Future that follows a native Promise or any other thenable, assimilated
 * per Promises/A+ §2.3 (`then` read once, first callback wins, a throw after
 * resolution ignored, thenables resolving to thenables followed, cycles are
 * a `TypeError`): for thenables from other libraries (bluebird, Q, jQuery).
 * The core's `ensureFuture` (asyncio's `ensure_future`) calls `then` once and
 * takes its value as it is. Like it, `fromThenable` returns a Future or Task
 * as it is and runs a coroutine (an async function, a generator function or
 * a generator object) as a new Task.
 *
 * **Cancelling such a Future does not stop the promise** (a promise has no
 * cancellation): the Future becomes cancelled at once and whoever awaits it
 * gets `CancelledError`, while the promise runs on; its eventual value is
 * dropped, and an eventual failure (other than an `AbortError`) is reported
 * through the loop's exception handler. To stop the work, give it an
 * `AbortSignal` (see {@link signalOf}).
 *
 * @example
 * ```ts
 * import Bluebird from "bluebird";
 * await run(async () => {
 *   const fut = fromThenable(Bluebird.delay(10).then(() => 42));
 *   console.log(await fut); // 42
 * });
 * ```
 */
export function fromThenable<T>(
  x: Future<T> | CoroutineLike<T> | PromiseLike<T>,
  options?: { loop?: EventLoop },
): Future<T> {
  const loop = options?.loop;
  if (isFuture(x)) {
    if (loop !== undefined && x.getLoop() !== loop) {
      throw new ValueError("The future belongs to a different loop than the one specified as the loop argument");
    }
    return x as Future<T>;
  }
  const l = loop ?? getRunningLoop();
  if (typeof x === "function" || isGenerator(x)) return l.createTask(x as CoroutineLike<T>);
  if (isObjectLike(x)) {
    let then: unknown;
    let thrown = false;
    try {
      then = (x as { then?: unknown }).then; // read once (§2.3.3.1)
    } catch (e) {
      then = e;
      thrown = true;
    }
    if (thrown || typeof then === "function") {
      const fut = l.createFuture<T>();
      if (thrown) rejectFuture(fut, then);
      else followThenable(fut, x, then as Function, undefined);
      return fut;
    }
  }
  throw new TypeError(`fromThenable() needs a Future, a coroutine or an awaitable (a thenable), got ${describe(x)}`);
}

/**
 * The native Promise that {@link toPromise} returns: a `Promise` subclass
 * whose derived promises (`then`, `catch`, `finally`) are plain Promises.
 *
 * Unhandled failures follow the core's policy, not Node's: Node never
 * reports this promise as an unhandled rejection. The promise takes over
 * the Future's failure, as a Future chained to another does in asyncio: if
 * no handler is ever attached (`then`, `await`, `catch`, `finally`,
 * `Promise.all`…), the failure is reported once, by the loop's exception
 * handler, when the promise is garbage-collected ("Future exception was
 * never retrieved"). A cancellation is never reported, as in asyncio.
 *
 * @example
 * ```ts
 * const fut = getRunningLoop().createFuture<number>();
 * const p: FuturePromise<number> = toPromise(fut);
 * p instanceof Promise; // true
 * ```
 */
export class FuturePromise<T> extends Promise<T> {
  /** Derived promises are plain native Promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  /** @internal Set once someone attached a handler. */ _handled = false;
  /** @internal Carries an unhandled failure's report until a handler comes. */ _report: Future<unknown> | undefined =
    undefined;

  /**
   * Adds handlers, as `Promise.prototype.then` does; the first call marks
   * the failure as handled.
   */
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (!this._handled) {
      this._handled = true;
      this._report?.exception(); // retrieved: no report
      this._report = undefined;
    }
    return super.then(onFulfilled, onRejected);
  }
}

/**
 * A native Promise of the Future's outcome: fulfilled with its result,
 * rejected with its exception, or, if the Future was cancelled, rejected
 * with the core's `CancelledError` (with the cancel message). Also takes
 * whatever {@link fromThenable} takes (a Task, a coroutine, a thenable). It
 * settles when the Future's done callbacks run (one loop iteration after the
 * Future is done, as every done callback).
 *
 * Unhandled failures follow the core's policy: see {@link FuturePromise}.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const task = createTask(async () => { await sleep(1); return "ok"; });
 *   const p = toPromise(task);        // a plain Promise for promise-only code
 *   console.log(await p);             // "ok"
 * });
 * ```
 */
export function toPromise<T>(future: Future<T> | CoroutineLike<T> | PromiseLike<T>): FuturePromise<T> {
  const fut = isFuture(future) ? (future as Future<T>) : fromThenable(future);
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const p = new FuturePromise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Never an unhandled rejection for Node: the loop reports unhandled failures.
  Promise.prototype.then.call(p, undefined, noop);
  fut.addDoneCallback((f) => {
    let value: T;
    try {
      value = f.result(); // retrieves: the promise carries the failure from here
    } catch (e) {
      reject(e);
      if (!p._handled && !f.cancelled()) {
        const report = new Future<unknown>({ loop: f.getLoop() });
        report.setException(e);
        p._report = report;
      }
      return;
    }
    resolve(value);
  });
  return p;
}

function noop(): void {}

/**
 * @internal Calls `ok(value)` or `fail(reason)` once `x` settles, without
 * making the current task a waiter of `x`: a Future is followed through a
 * done callback, any other thenable's `then` is called outside the task's
 * frame (calling a Future's `then` inside a task registers the task as
 * waiting on it, so that a cancel of the task would go to that Future).
 */
export function whenSettled(x: PromiseLike<unknown>, ok: (v: unknown) => void, fail: (e: unknown) => void): void {
  if (isFuture(x)) {
    x.addDoneCallback((f) => {
      let v: unknown;
      try {
        v = f.result();
      } catch (e) {
        return fail(e);
      }
      ok(v);
    });
    return;
  }
  copyContext().run(() => x.then(ok, fail));
}

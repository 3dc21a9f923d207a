/**
 * Future: asyncio's low-level awaitable with a result, an exception or a
 * cancellation, completed by callbacks that always run through the loop.
 * @module
 */
import { CancelledError, InvalidStateError, RuntimeError } from "./errors.js";
import { currentContext, rootContext, state, type Context } from "./context.js";
import { Handle } from "./events.js";
import type { EventLoop } from "./loop-interface.js";
import { getRunningLoop } from "./running.js";
import { UnretrievedException, dropReport, holdReport } from "./unretrieved.js";
import { aliasSymbolObservable, observeFuture, type InteropObservable } from "./observable.js";
import { awaitOwner, notFrame, noteThenRead, setAwait, thenOwner, type Node } from "./hooks.js";

const PENDING = 0;
const CANCELLED = 1;
const RESULT = 2;
const EXCEPTION = 3;
type State = typeof PENDING | typeof CANCELLED | typeof RESULT | typeof EXCEPTION;
const STATE_NAMES = ["PENDING", "CANCELLED", "FINISHED", "FINISHED"] as const;

/** A callback registered with {@link Future.addDoneCallback}. */
export type DoneCallback<T> = (future: Future<T>) => unknown;

/** What a task awaiting a future must be told: the hook used by {@link Task}. */
interface Waiter {
  /** The loop iteration in which the task's code was last resumed by a callback of the loop. */
  _stepIter: number;
  /** An await of `fut` by `owner` (on the task's chain or not) starts: a pending cancel may be delivered to it. */
  _awaiting(fut: Future<unknown>, owner: Node): RuntimeError | undefined;
  _wakeupGivesCancel(fut: Future<unknown>, owner: Node): CancelledError | undefined;
}

/**
 * A result that will exist later (asyncio's `Future`). Awaitable from async
 * functions (its `then` follows Promises/A+) and from generator coroutines
 * with `yield*`. Done callbacks are always scheduled with `callSoon`, never
 * run synchronously.
 *
 * An exception nobody retrieves (no `result()`, `exception()`, `await` or
 * `then`) is reported once through the loop's exception handler ("Future
 * exception was never retrieved"): when the future is garbage-collected, when
 * its loop closes, or when the process exits, whichever comes first.
 *
 * Completed while its loop does not run: done callbacks, task wake-ups and
 * `then` calls made by code running on the loop wait for the loop's next
 * run (asyncio's `call_soon` on a stopped loop); on a closed loop they
 * cannot run, and `setResult`/`setException`/`cancel` raise `RuntimeError`
 * ("Event loop is closed") after completing the future, as asyncio. An
 * `await fut` (or `then`) of plain code, outside any task or loop callback,
 * never waits for the loop: it settles in a microtask when the loop is not
 * running (or stops with its reaction still queued).
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<number>();
 *   loop.callLater(0.1, () => fut.setResult(42));
 *   console.log(await fut); // 42
 * });
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal */ _state: State = PENDING;
  /** @internal */ _result: T | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;
  /** @internal */ _cancelMessage: string | undefined = undefined;
  /** @internal */ _cancelledExc: CancelledError | undefined = undefined;
  /** @internal registrations, flat: callback, context, task (the task is undefined for user callbacks) */ _callbacks:
    | unknown[]
    | undefined = undefined;
  /** @internal */ _tb: UnretrievedException | undefined = undefined;
  /** @internal */ readonly _loop: EventLoop;

  /** A pending future on `options.loop`, or on the running loop. */
  constructor(options?: { loop?: EventLoop }) {
    this._loop = options?.loop ?? getRunningLoop();
  }

  /** The loop this future is bound to. */
  getLoop(): EventLoop {
    return this._loop;
  }
  /** True once the future has a result, an exception or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }
  /** True if the future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * The result. Throws the exception if one was set, a `CancelledError` if
   * cancelled, or `InvalidStateError` if not done yet.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not ready.");
    this._retrieved();
    if (this._state === EXCEPTION) throw this._exception;
    return this._result as T;
  }

  /** The exception set on the future, or undefined; throws like {@link result} when cancelled or pending. */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._retrieved();
    return this._exception;
  }

  /**
   * Cancels the future: returns false if it was already done; otherwise it
   * becomes cancelled, its callbacks are scheduled and true is returned.
   */
  cancel(msg?: string): boolean {
    this._retrieved(); // as asyncio: a cancel attempt silences the "never retrieved" report
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = msg;
    this._scheduleCallbacks();
    return true;
  }

  /** Marks the future done with `result`; `InvalidStateError` if already done. */
  setResult(result: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this._describe()}`);
    this._result = result;
    this._state = RESULT;
    this._scheduleCallbacks();
  }

  /**
   * Marks the future done with an exception; `InvalidStateError` if already
   * done. A class (a constructor) is instantiated, as asyncio does.
   */
  setException(exception: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`${STATE_NAMES[this._state]}: ${this._describe()}`);
    // An Error class is instantiated, as asyncio does with an exception class;
    // any other function is kept as the value (JavaScript may reject with anything).
    if (typeof exception === "function" && (exception === Error || exception.prototype instanceof Error)) {
      exception = new (exception as new () => unknown)();
    }
    this._exception = exception;
    this._state = EXCEPTION;
    // The report below holds the exception strongly; an Error's unformatted
    // stack holds its call sites' receivers (often this very task), which
    // would keep the future alive forever. Formatting the stack drops them.
    if (exception instanceof Error) void exception.stack;
    const tb = new UnretrievedException(exception, this._loop, this._unretrievedMessage());
    this._tb = tb;
    holdReport(tb, this);
    this._scheduleCallbacks();
  }

  /**
   * Adds a callback run (through `callSoon`) with this future once it is
   * done; scheduled at once if it is already done.
   */
  addDoneCallback(fn: DoneCallback<T>, options?: { context?: Context }): void {
    // A copy, as asyncio: what the callback sets must not leak into the caller's context.
    const context = options?.context ?? currentContext().copy();
    if (this._state !== PENDING) {
      if (this._loop._closed) throw new RuntimeError("Event loop is closed");
      this._loop._callSoonHandle(new Handle(fn, [this], this._loop, context));
      return;
    }
    (this._callbacks ??= []).push(fn, context, undefined);
  }

  /** Removes every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: DoneCallback<T>): number {
    const cbs = this._callbacks;
    if (cbs === undefined) return 0;
    const kept: unknown[] = [];
    for (let i = 0; i < cbs.length; i += 3) if (cbs[i] !== fn) kept.push(cbs[i], cbs[i + 1], cbs[i + 2]);
    const removed = (cbs.length - kept.length) / 3;
    if (removed) this._callbacks = kept;
    return removed;
  }

  /**
   * Promises/A+ `then`. Handlers run asynchronously: through the loop when
   * the future completes later, in a microtask when it is already done (so
   * that awaiting a done future does not yield to the loop, as in asyncio).
   * Calling `then` counts as retrieving the exception: an unhandled
   * rejection of the returned promise is Node's to report.
   *
   * (An accessor: reading it is how the core sees V8's `await` of this
   * future, see src/hooks.ts; it always returns the same function.)
   */
  get then(): <R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ) => Promise<R1 | R2> {
    noteThenRead(this);
    return futureThen as any;
  }

  /** Lets a generator coroutine wait with `const x = yield* fut`. */
  *[Symbol.iterator](): Generator<Future<unknown>, T, unknown> {
    if (this._state === PENDING) yield this as Future<unknown>;
    if (this._state === PENDING) throw new RuntimeError("await wasn't used with future");
    return this.result();
  }

  /**
   * The Observable interop key (rxjs's `from(fut)` takes it before `then`):
   * subscribers get the result then `complete`, or `error` with the
   * exception (a `CancelledError` if cancelled), through the loop.
   * Unsubscribing only removes the callback: it never cancels the future.
   *
   * @example
   * ```ts
   * const fut = getRunningLoop().createFuture<number>();
   * import { from } from "rxjs";
   * from(fut).subscribe((v) => console.log(v));
   * ```
   */
  "@@observable"(): InteropObservable<T> {
    return observeFuture(this, false);
  }

  /** @internal Future-like for Python's `_make_cancelled_error`, keeping the instance. */
  _makeCancelledError(): CancelledError {
    return (this._cancelledExc ??= new CancelledError(this._cancelMessage));
  }

  /** @internal */
  _retrieved(): void {
    const tb = this._tb;
    if (tb !== undefined) {
      this._tb = undefined;
      dropReport(tb);
    }
  }

  /** @internal */
  _unretrievedMessage(): string {
    return "Future exception was never retrieved";
  }

  /** @internal */
  _describe(): string {
    return `<Future ${STATE_NAMES[this._state].toLowerCase()}>`;
  }

  /** @internal */
  _scheduleCallbacks(): void {
    const cbs = this._callbacks;
    if (cbs === undefined) return;
    this._callbacks = undefined;
    const loop = this._loop;
    if (!loop._running) return this._scheduleOffLoop(cbs);
    for (let i = 0; i < cbs.length; i += 3) {
      const fn = cbs[i] as DoneCallback<T>;
      const ctx = cbs[i + 1] as Context;
      const extra = cbs[i + 2];
      // Internal registrations (a task's wake-up, an await's reaction) get a second argument.
      if (extra === undefined) loop._callSoonHandle(new Handle(fn, [this], loop, ctx));
      else
        loop._callSoonHandle(
          new Handle(fn, [this, extra], loop, ctx, extra instanceof Reaction ? extra.waiter : extra),
        );
    }
  }

  /**
   * @internal Completion while the loop does not run. The loop's callbacks
   * (done callbacks, task wake-ups, `then` calls made by code running on
   * the loop) wait for its next run, as asyncio's `call_soon` on a stopped
   * loop; on a closed loop they cannot run and, as asyncio, the completion
   * raises `RuntimeError` (the future is done all the same). A `then` made
   * by plain code (no task, no loop callback) does not need the loop: it is
   * settled at once, in a microtask, so `await fut` outside the loop never
   * waits for a run that may not come.
   */
  _scheduleOffLoop(cbs: unknown[]): void {
    const loop = this._loop;
    let lost = false;
    for (let i = 0; i < cbs.length; i += 3) {
      const extra = cbs[i + 2];
      if (extra instanceof Reaction && extra.plain) {
        queueMicrotask(() => settleReaction(this as Future<unknown>, extra));
        continue;
      }
      if (loop._closed) {
        lost = true;
        continue;
      }
      const fn = cbs[i] as DoneCallback<T>;
      const ctx = cbs[i + 1] as Context;
      if (extra === undefined) loop._callSoonHandle(new Handle(fn, [this], loop, ctx));
      else
        loop._callSoonHandle(
          new Handle(fn, [this, extra], loop, ctx, extra instanceof Reaction ? extra.waiter : extra),
        );
    }
    if (lost) throw new RuntimeError("Event loop is closed");
  }

  /** @internal The wake-up registration a generator task uses: no extra promise. */
  _addWakeup(fn: (fut: Future<any>, task: any) => void, task: { _context: Context }): void {
    (this._callbacks ??= []).push(fn, task._context, task);
  }
}

aliasSymbolObservable(Future.prototype);
/** What `then` returns to V8's await machinery, which ignores it. */
const IGNORED: Promise<unknown> = Promise.resolve(undefined);
/** Future.prototype.then (see the accessor). */
function futureThen<T, R1, R2>(
  this: Future<T>,
  onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
  onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
): Promise<R1 | R2> {
  this._retrieved();
  // Who waits: V8's await of this future (a thenable job), or one of our
  // awaitables' own wait; a `then` called by the task's code is not an await.
  let owner = awaitOwner(this);
  if (owner !== undefined && this._state !== PENDING) {
    // V8's await of a done future: the handlers are the resolving functions
    // of the await's wrapper promise (V8 ignores what `then` returns), and
    // resolving it now skips a promise pair and a microtask, as awaiting a
    // done future in asyncio does not suspend. The outcome is the same.
    if (this._state === RESULT) (onFulfilled as (v: unknown) => void)(this._result);
    else (onRejected as (e: unknown) => void)(this._state === EXCEPTION ? this._exception : this._makeCancelledError());
    return IGNORED as Promise<R1 | R2>;
  }
  if (owner === undefined) {
    owner = thenOwner(onFulfilled);
    if (owner !== undefined) setAwait(owner, this);
  }
  const frame = state.current;
  const task = owner !== undefined ? (frame?._task as Waiter | undefined) : undefined;
  if (task !== undefined && this._state === PENDING) {
    if ((task as unknown) === this) {
      const err = new RuntimeError(`Task cannot await on itself: ${this._describe()}`);
      return Promise.reject(err).then(onFulfilled, onRejected);
    }
    const err = task._awaiting(this as Future<unknown>, owner as Node);
    if (err !== undefined) return Promise.reject(err).then(onFulfilled, onRejected);
  }
  // Done already: native promise reactions are the cheapest asynchronous
  // call (and do not yield to the loop, as awaiting a done future in asyncio).
  if (this._state === RESULT) {
    const v = this._result;
    if ((typeof v !== "object" && typeof v !== "function") || v === null)
      return Promise.resolve(v as T).then(onFulfilled, onRejected);
  } else if (this._state === EXCEPTION) return Promise.reject(this._exception).then(onFulfilled, onRejected);
  else if (this._state === CANCELLED) return Promise.reject(this._makeCancelledError()).then(onFulfilled, onRejected);
  const p = new Promise<R1 | R2>((resolve, reject) => {
    if (this._state !== PENDING) {
      queueMicrotask(() => settle(this, onFulfilled, onRejected, resolve, reject, undefined));
      return;
    }
    (this._callbacks ??= []).push(
      settleReaction,
      frame?._context ?? rootContext,
      new Reaction(task, owner, onFulfilled, onRejected, resolve, reject, frame === undefined),
    );
  });
  if (frame !== undefined) notFrame(p);
  return p;
}

/** An await (or then) waiting on a pending future: what its wake-up must do. */
class Reaction {
  constructor(
    readonly waiter: Waiter | undefined,
    readonly owner: Node | undefined,
    readonly onFulfilled: ((value: any) => unknown) | null | undefined,
    readonly onRejected: ((reason: any) => unknown) | null | undefined,
    readonly resolve: (v: any) => void,
    readonly reject: (e: unknown) => void,
    /** Made by plain code (outside any task or loop callback): settled without the loop when it does not run. */
    readonly plain: boolean,
  ) {}
}

/**
 * @internal When a loop stops: the `then` reactions of plain code still
 * waiting in its ready queue are settled now, in microtasks (see
 * {@link Future._scheduleOffLoop}); the returned queue holds the rest, in order.
 */
export function settlePlainReactions(ready: Handle[]): Handle[] {
  let kept: Handle[] | undefined;
  for (let i = 0; i < ready.length; i++) {
    const h = ready[i]!;
    const args = h._args;
    const r = h._callback === settleReaction && args !== undefined ? args[1] : undefined;
    if (r instanceof Reaction && r.plain) {
      kept ??= ready.slice(0, i);
      const fut = args![0] as Future<unknown>;
      queueMicrotask(() => settleReaction(fut, r));
    } else if (kept !== undefined) kept.push(h);
  }
  return kept ?? ready;
}

function settleReaction(fut: Future<unknown>, r: Reaction): void {
  const w = r.waiter;
  if (w === undefined) return settle(fut, r.onFulfilled, r.onRejected, r.resolve, r.reject, undefined);
  w._stepIter = fut._loop._iteration; // the awaiting task's step begins
  const cancel = w._wakeupGivesCancel(fut, r.owner as Node);
  settle(fut, r.onFulfilled, r.onRejected, r.resolve, r.reject, cancel);
}

function settle<T, R1, R2>(
  fut: Future<T>,
  onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
  onRejected: ((reason: any) => R2 | PromiseLike<R2>) | null | undefined,
  resolve: (v: R1 | R2 | PromiseLike<R1 | R2>) => void,
  reject: (e: unknown) => void,
  override: Error | undefined,
): void {
  let reason: unknown;
  if (override !== undefined) reason = override;
  else if (fut._state === RESULT) {
    if (typeof onFulfilled !== "function") return resolve(fut._result as unknown as R1);
    try {
      resolve(onFulfilled(fut._result as T));
    } catch (e) {
      reject(e);
    }
    return;
  } else {
    // Delivered to a handler registered before the exception was set: retrieved.
    fut._retrieved();
    reason = fut._state === CANCELLED ? fut._makeCancelledError() : fut._exception;
  }
  if (typeof onRejected !== "function") return reject(reason);
  try {
    resolve(onRejected(reason));
  } catch (e) {
    reject(e);
  }
}

/**
 * True if `x` is a {@link Future} (or a {@link Task}).
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * isFuture(loop.createFuture()); // true
 * isFuture(Promise.resolve());   // false
 * ```
 */
export function isFuture(x: unknown): x is Future<unknown> {
  return x instanceof Future;
}

/** @internal A future that follows a foreign thenable. Cancelling it cannot stop the thenable. */
export function wrapThenable<T>(loop: EventLoop, thenable: PromiseLike<T>): Future<T> {
  const fut = new Future<T>({ loop });
  try {
    thenable.then(
      (v) => {
        if (!fut.done()) fut.setResult(v);
      },
      (e) => {
        if (!fut.done()) fut.setException(e);
      },
    );
  } catch (e) {
    // Promises/A+ 2.3.3.3.4.1: a throw after resolve/reject was called is ignored.
    if (!fut.done()) fut.setException(e);
  }
  return fut;
}

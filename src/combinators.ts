/**
 * Waiting on several awaitables (asyncio's `gather`, `wait`, `wait_for`,
 * `as_completed` and `shield`, from `tasks.py`), with asyncio's
 * cancellation rules.
 * @module
 */
import { CancelledError, TimeoutError, ValueError } from "./errors.js";
import type { TimerHandle } from "./events.js";
import { Future, wrapThenable } from "./futures.js";
import { DualAwaitable, describe, isGenerator, isThenable, toAwaitable } from "./awaitable.js";
import { ensureFuture, type Awaitable, type Coroutine } from "./tasks.js";
import type { EventLoop } from "./loop.js";
import { currentContext, type Context } from "./context.js";
import { getRunningLoop } from "./running.js";
import { Timeout, TimeoutRun } from "./timeouts.js";
import { Deque } from "./waiters.js";

/**
 * The value an awaitable, a coroutine or a coroutine function produces:
 * `Resolved<Future<number>>`, `Resolved<() => Promise<number>>` and
 * `Resolved<() => Coroutine<number>>` are all `number`.
 */
export type Resolved<X> =
  X extends PromiseLike<infer R>
    ? R
    : X extends Generator<unknown, infer R, any>
      ? R
      : X extends (...args: any[]) => infer Y
        ? Y extends PromiseLike<infer R>
          ? R
          : Y extends Generator<unknown, infer R, any>
            ? R
            : Y
        : never;

/**
 * A Future for `arg` (asyncio's `ensure_future`, as the combinators use
 * it): a Future as is; a coroutine function, a generator or one of our
 * generator awaitables as a new Task (so that it can be cancelled exactly);
 * a foreign promise as a Future that follows it.
 */
function toFuture<T>(arg: unknown, loop: EventLoop | undefined): Future<T> {
  if (arg instanceof Future) {
    if (loop !== undefined && arg._loop !== loop)
      throw new ValueError("The future belongs to a different loop than the one specified as the loop argument");
    return arg as Future<T>;
  }
  const l = loop ?? getRunningLoop();
  if (typeof arg === "function" || isGenerator(arg)) return l.createTask(arg as () => Coroutine<T>);
  if (isThenable(arg)) {
    const it = (arg as { [Symbol.iterator]?: () => unknown })[Symbol.iterator];
    // One of our awaitables (toAwaitable, sleep(0), ...): run it in a task.
    if (typeof it === "function") return l.createTask(it.call(arg) as Coroutine<T>);
    return wrapThenable(l, arg as PromiseLike<T>);
  }
  if (Array.isArray(arg))
    throw new TypeError(
      "An asyncio.Future, a coroutine or an awaitable is required, got an array (gather takes one list, or awaitables as arguments)",
    );
  return ensureFuture(arg as PromiseLike<T>, { loop: l });
}

// ---------------------------------------------------------------------------
// gather

/** Options of {@link gather}, given as its last argument. */
export interface GatherOptions {
  /** Put exceptions (and cancellations, as `CancelledError`) in the results instead of failing. */
  returnExceptions?: boolean;
}

/**
 * The Future {@link gather} returns (asyncio's `_GatheringFuture`).
 * Cancelling it cancels the children that are not done, and the gather
 * then ends with a `CancelledError` even with `returnExceptions`.
 */
export class GatheringFuture<T> extends Future<T> {
  /** @internal */ readonly _children: Future<unknown>[];
  /** @internal */ _cancelRequested = false;

  /** @internal */
  constructor(children: Future<unknown>[], loop: EventLoop) {
    super({ loop });
    this._children = children;
  }

  /**
   * Cancels every child that is not done. Returns true if at least one
   * accepted; false if the gather is already done (the children are then
   * left alone) or no child could be cancelled.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let ret = false;
    for (const child of this._children) if (child.cancel(msg)) ret = true;
    // A child accepted: the gather must end cancelled whatever
    // returnExceptions says (bpo-32684).
    if (ret) this._cancelRequested = true;
    return ret;
  }
}

function isGatherOptions(x: unknown): x is GatherOptions {
  if (typeof x !== "object" || x === null || isThenable(x) || isGenerator(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return (proto === Object.prototype || proto === null) && Object.hasOwn(x, "returnExceptions");
}

/**
 * What {@link gather} takes as its one list argument: an array, or an
 * iterable that is not itself an awaitable or a coroutine (a `Set`, a Map's
 * `values()`). A generator object is a coroutine, never a list.
 *
 * @example
 * ```ts
 * const t1 = createTask(async () => 1);
 * const t2 = createTask(async () => 2);
 * const tasks: AwaitableList<Task<number>> = new Set([t1, t2]);
 * const results: number[] = await gather(tasks); // [1, 2]
 * ```
 */
export type AwaitableList<X> =
  | readonly X[]
  | (Iterable<X> & {
      /** Not a thenable (that is one awaitable). */
      then?: never;
    });

/**
 * One argument of {@link gather}'s varargs form: an awaitable, a coroutine
 * or a coroutine function.
 *
 * @example
 * ```ts
 * const job = async () => 3;
 * const args: GatherArg[] = [sleep(1), async () => 2, createTask(job)];
 * console.log(await gather(...args)); // [undefined, 2, 3]
 * ```
 */
export type GatherArg = PromiseLike<unknown> | Generator<unknown, unknown, any> | ((...args: any[]) => unknown);

/** True if `x` is the list form of {@link gather}'s argument (not an awaitable, a coroutine or a function). */
function isAwaitableList(x: unknown): x is Iterable<unknown> {
  if (Array.isArray(x)) return true;
  return (
    typeof x === "object" &&
    x !== null &&
    !(x instanceof Future) &&
    !isThenable(x) &&
    !isGenerator(x) &&
    typeof (x as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

/**
 * Runs awaitables concurrently and returns a Future of their results, in
 * the order given (asyncio's `gather`). Coroutine functions, generators and
 * our awaitables become tasks; a Future is used as is; a promise is
 * followed. The same object given twice runs once and its result appears
 * at both positions.
 *
 * The awaitables come as arguments (`gather(a, b)`) or as one array or
 * other iterable (`gather(tasks)`, `gather(new Set(tasks))`), typed the same
 * way. For a large number of awaitables use the list form: a spread
 * (`gather(...tasks)`) passes every element on the stack, and JavaScript
 * throws `RangeError` somewhere past 100k elements.
 *
 * Without `returnExceptions`, the first error (or a child's cancellation,
 * as a `CancelledError`) fails the gather at once; the other children keep
 * running. With `{ returnExceptions: true }` as the last argument, errors
 * and cancellations are put in the results. Cancelling the returned Future
 * cancels the children.
 *
 * @example
 * ```ts
 * const [a, b] = await gather(sleep(1, "a"), async () => "b");
 * const ok = async () => "ok";
 * const failing = async () => { throw new Error("no"); };
 * const results = await gather(ok(), failing(), { returnExceptions: true }); // ["ok", Error]
 * const tasks: Task<number>[] = [createTask(async () => 1), createTask(async () => 2)];
 * const all: number[] = await gather(tasks); // any length
 * ```
 */
export function gather(): GatheringFuture<[]>;
export function gather<const A extends readonly unknown[]>(
  aws: A,
  options: GatherOptions & { returnExceptions: true },
): GatheringFuture<{ -readonly [K in keyof A]: Resolved<A[K]> | unknown }>;
export function gather<const A extends readonly unknown[]>(
  aws: A,
  options?: GatherOptions & { returnExceptions?: false },
): GatheringFuture<{ -readonly [K in keyof A]: Resolved<A[K]> }>;
export function gather<A extends readonly GatherArg[]>(
  ...args: [...aws: A, options: GatherOptions & { returnExceptions: true }]
): GatheringFuture<{ -readonly [K in keyof A]: Resolved<A[K]> | unknown }>;
export function gather<A extends readonly GatherArg[]>(
  ...args: [...aws: A, options: GatherOptions & { returnExceptions?: false }]
): GatheringFuture<{ -readonly [K in keyof A]: Resolved<A[K]> }>;
export function gather<A extends readonly GatherArg[]>(
  ...aws: A
): GatheringFuture<{ -readonly [K in keyof A]: Resolved<A[K]> }>;
export function gather<X>(
  aws: AwaitableList<X>,
  options: GatherOptions & { returnExceptions: true },
): GatheringFuture<Array<Resolved<X> | unknown>>;
export function gather<X>(
  aws: AwaitableList<X>,
  options?: GatherOptions & { returnExceptions?: false },
): GatheringFuture<Array<Resolved<X>>>;
export function gather(...args: unknown[]): GatheringFuture<unknown[]> {
  let returnExceptions = false;
  if (args.length > 0 && isGatherOptions(args[args.length - 1])) {
    returnExceptions = !!(args.pop() as GatherOptions).returnExceptions;
  }
  const list: Iterable<unknown> = args.length === 1 && isAwaitableList(args[0]) ? args[0] : args;
  return gatherList(list, returnExceptions);
}

function gatherList(args: Iterable<unknown>, returnExceptions: boolean): GatheringFuture<unknown[]> {
  let nfinished = 0;
  let outer: GatheringFuture<unknown[]> | undefined;
  const doneCallback = (fut: Future<unknown>): void => {
    nfinished++;
    if (outer === undefined || outer.done()) {
      // Too late to matter: only mark the exception as retrieved.
      if (!fut.cancelled()) fut.exception();
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        // A child's cancellation fails the gather; the gather itself is not cancelled.
        outer.setException(fut._makeCancelledError());
        return;
      }
      if (hasException(fut)) {
        outer.setException(fut.exception());
        return;
      }
    }
    if (nfinished === nfuts) {
      const results: unknown[] = new Array(children.length);
      for (let i = 0; i < children.length; i++) {
        const f = children[i]!;
        if (f.cancelled()) results[i] = new CancelledError(f._cancelMessage ?? "");
        else if (hasException(f)) results[i] = f.exception();
        else results[i] = f.result();
      }
      if (outer._cancelRequested) {
        // Python uses the last child's `_make_cancelled_error()` here.
        const last = children[children.length - 1]!;
        outer.setException(last.cancelled() ? last._makeCancelledError() : new CancelledError(last._cancelMessage));
      } else {
        outer.setResult(results);
      }
    }
  };

  // Dedup: a Future is its own key (a mark on the child would be cheaper,
  // but the Map also covers coroutines and promises given twice).
  const argToFut = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  const doneFuts: Future<unknown>[] = [];
  let nfuts = 0;
  let loop: EventLoop | undefined;
  // One context for every child's done callback: the callback runs no user
  // code, so a copy per child (as add_done_callback makes) cannot be told apart.
  let context: Context | undefined;
  for (const arg of args) {
    let fut = argToFut.get(arg);
    if (fut === undefined) {
      fut = toFuture<unknown>(arg, loop);
      loop ??= fut._loop;
      nfuts++;
      argToFut.set(arg, fut);
      if (fut.done()) doneFuts.push(fut);
      else fut.addDoneCallback(doneCallback, { context: (context ??= currentContext().copy()) });
    }
    children.push(fut);
  }
  if (children.length === 0) {
    const empty = new GatheringFuture<unknown[]>([], getRunningLoop());
    empty.setResult([]);
    return empty;
  }
  outer = new GatheringFuture<unknown[]>(children, loop!);
  // Children already done are handled now that `outer` exists, so a
  // gather of done futures completes at once.
  for (const f of doneFuts) doneCallback(f);
  return outer;
}

// `exception()` returns undefined both for "no exception" and for a thrown
// `undefined`; look at the state instead.
function hasException(f: Future<unknown>): boolean {
  try {
    f.result();
    return false;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------
// shield

/**
 * Protects `aw` from the cancellation of the awaiting task (asyncio's
 * `shield`): cancelling the caller cancels only the returned outer Future,
 * and `aw` keeps running (keep a reference to it). If `aw` is cancelled by
 * other means, the outer Future is cancelled too. An `aw` already done is
 * returned as is.
 *
 * @example
 * ```ts
 * const save = createTask(async () => { await sleep(1); return "saved"; });
 * try { await shield(save); } catch (e) { if (isCancelledError(e)) await save; throw e; }
 * ```
 */
export function shield<T>(
  aw: Future<T> | Awaitable<T> | PromiseLike<T> | (() => PromiseLike<T>) | (() => Coroutine<T>) | Coroutine<T>,
): Future<T> {
  const inner = toFuture<T>(aw, undefined);
  if (inner.done()) return inner;
  const loop = inner._loop;
  const outer = loop.createFuture<T>();

  const innerDone = (inner: Future<T>): void => {
    if (outer.cancelled()) {
      if (!inner.cancelled()) inner.exception(); // mark retrieved
      return;
    }
    if (inner.cancelled()) outer.cancel();
    else if (hasException(inner)) outer.setException(inner.exception());
    else outer.setResult(inner.result());
  };
  const outerDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(innerDone);
  };
  inner.addDoneCallback(innerDone);
  outer.addDoneCallback(outerDone);
  return outer;
}

// ---------------------------------------------------------------------------
// wait

/** {@link wait} returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** {@link wait} returns when any future fails (not counting cancellations), or when all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** {@link wait} returns when all futures are done (the default). */
export const ALL_COMPLETED = "ALL_COMPLETED";
/** When {@link wait} returns: {@link FIRST_COMPLETED}, {@link FIRST_EXCEPTION} or {@link ALL_COMPLETED}. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@link wait}. */
export interface WaitFuturesOptions {
  /** Seconds to wait at most (`null`/`undefined`: no limit). At the limit, `wait` returns; it never throws `TimeoutError`. */
  timeout?: number | null;
  /** When to return (default {@link ALL_COMPLETED}). */
  returnWhen?: ReturnWhen;
}

/** What {@link wait} returns: the futures done, and those still pending, when it returned. */
export interface WaitResult<F> {
  /** The futures that are done. */
  done: Set<F>;
  /** The futures that are not done. */
  pending: Set<F>;
}

function checkTimeout(x: unknown): number | null {
  if (x === null || x === undefined) return null;
  if (typeof x !== "number") throw new TypeError(`timeout must be a number of seconds or null, got ${describe(x)}`);
  if (Number.isNaN(x)) throw new ValueError("Invalid timeout: NaN");
  return x;
}

/**
 * Waits for Futures or Tasks (asyncio's `wait`) and returns
 * `{ done, pending }`. It never cancels them and never throws
 * `TimeoutError`: at the timeout, it returns what is done so far.
 * Coroutines are refused (`TypeError`: create tasks first), an empty
 * collection is a `ValueError`, and so is a bad `returnWhen`. The checks run
 * when `wait` is called.
 *
 * @example
 * ```ts
 * const t1 = createTask(async () => sleep(1, "fast"));
 * const t2 = createTask(async () => sleep(9, "slow"));
 * const { done, pending } = await wait([t1, t2], { returnWhen: FIRST_COMPLETED, timeout: 5 });
 * for (const t of pending) t.cancel(); // t2
 * ```
 */
export function wait<F extends Future<any>>(fs: Iterable<F>, options?: WaitFuturesOptions): Awaitable<WaitResult<F>> {
  // A generator object is taken as an iterable of futures (Python accepts generator expressions).
  if (fs instanceof Future || typeof fs === "function" || isThenable(fs)) {
    throw new TypeError(`expect a list of futures, not ${describe(fs)}`);
  }
  if (fs == null || typeof (fs as Iterable<F>)[Symbol.iterator] !== "function")
    throw new TypeError(`expect a list of futures, not ${describe(fs)}`);
  const set = new Set(fs);
  if (set.size === 0) throw new ValueError("Set of Tasks/Futures is empty.");
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new ValueError(`Invalid return_when value: ${String(returnWhen)}`);
  }
  const timeout = checkTimeout(options?.timeout);
  for (const f of set) {
    if (typeof f === "function" || isGenerator(f))
      throw new TypeError("Passing coroutines is forbidden, use tasks explicitly.");
    if (!(f instanceof Future))
      throw new TypeError(`wait() expects Futures or Tasks, got ${describe(f)}: wrap promises with ensureFuture()`);
  }
  return toAwaitable(waitGen(set, timeout, returnWhen, getRunningLoop()));
}

function releaseWaiter(waiter: Future<unknown>): void {
  if (!waiter.done()) waiter.setResult(undefined);
}

// asyncio's _wait.
function* waitGen<F extends Future<any>>(
  fs: Set<F>,
  timeout: number | null,
  returnWhen: ReturnWhen,
  loop: EventLoop,
): Coroutine<WaitResult<F>> {
  const waiter = loop.createFuture<void>();
  const timeoutHandle: TimerHandle | undefined =
    timeout !== null ? loop.callLater(timeout, releaseWaiter, waiter) : undefined;
  let counter = fs.size;
  const onCompletion = (f: Future<unknown>): void => {
    counter--;
    if (
      counter <= 0 ||
      returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && hasException(f))
    ) {
      timeoutHandle?.cancel();
      if (!waiter.done()) waiter.setResult(undefined);
    }
  };
  for (const f of fs) f.addDoneCallback(onCompletion);
  try {
    yield* waiter;
  } finally {
    timeoutHandle?.cancel();
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return { done, pending };
}

// ---------------------------------------------------------------------------
// waitFor

/**
 * Waits for `aw` with a time limit in seconds (asyncio 3.12+'s
 * `wait_for`): at the limit `aw` is cancelled, and `TimeoutError` is thrown
 * once it has finished (if `aw` suppressed the cancellation and returned a
 * value, that value is returned). `timeout` `null`/`undefined` means no
 * limit. A coroutine (an async function, a generator function or object,
 * or one of our awaitables) runs inside the calling task, as
 * `timeout(t).run(...)`; with `timeout <= 0` it is wrapped in a task that
 * is cancelled before it starts.
 *
 * @example
 * ```ts
 * try {
 *   const data = await waitFor(async () => fetchPage(url), 5);
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("too slow");
 * }
 * ```
 */
export function waitFor<T>(
  aw: Future<T> | Awaitable<T> | PromiseLike<T> | (() => PromiseLike<T>) | (() => Coroutine<T>) | Coroutine<T>,
  timeout: number | null | undefined,
): Awaitable<T> {
  const delay = checkTimeout(timeout);
  const body = (): unknown => (typeof aw === "function" ? (aw as () => unknown)() : aw);
  if (delay !== null && delay <= 0) {
    return new DualAwaitable<T>(
      async () => await toAwaitable(waitForZero<T>(aw)),
      () => waitForZero<T>(aw),
    );
  }
  // The deadline is taken when the wait starts, as asyncio's wait_for coroutine does.
  return new TimeoutRun<T>(
    () => new Timeout(delay === null ? null : getRunningLoop().time() + delay),
    body as () => PromiseLike<T>,
  );
}

// The `timeout <= 0` path of wait_for.
function* waitForZero<T>(aw: unknown): Coroutine<T> {
  const fut = toFuture<T>(aw, undefined);
  if (fut.done()) return fut.result();
  yield* cancelAndWait(fut);
  try {
    return fut.result();
  } catch (e) {
    if (e instanceof CancelledError) throw new TimeoutError(undefined, { cause: e });
    throw e;
  }
}

// Cancels `fut` and waits for it on a separate waiter, so that this wait
// can itself be cancelled.
function* cancelAndWait(fut: Future<unknown>): Coroutine<void> {
  const waiter = getRunningLoop().createFuture<void>();
  const cb = (): void => releaseWaiter(waiter);
  fut.addDoneCallback(cb);
  try {
    fut.cancel();
    yield* waiter;
  } finally {
    fut.removeDoneCallback(cb);
  }
}

// ---------------------------------------------------------------------------
// asCompleted

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Seconds after which every pending step throws `TimeoutError` (`null`/`undefined`: no limit). */
  timeout?: number | null;
}

// The done-queue of asCompleted: asyncio's Queue reduced to unbounded
// put_nowait/get, with the same wake-up rules for cancelled getters. Every
// operation is O(1): a cancelled getter stays in the FIFO, done, and is
// skipped by the wake-up (asyncio removes it from a deque, also O(n)).
class DoneQueue<T> {
  readonly #items = new Deque<T>();
  readonly #getters = new Deque<Future<void>>();
  constructor(readonly loop: EventLoop) {}
  putNowait(item: T): void {
    this.#items.push(item);
    this.#wakeupNext();
  }
  #wakeupNext(): void {
    while (this.#getters.length > 0) {
      const g = this.#getters.shift()!;
      if (!g.done()) {
        g.setResult(undefined);
        return;
      }
    }
  }
  *get(): Coroutine<T> {
    while (this.#items.length === 0) {
      const getter = this.loop.createFuture<void>();
      this.#getters.push(getter);
      try {
        yield* getter;
      } catch (e) {
        getter.cancel();
        // Woken but cancelled: pass the wake-up on.
        if (this.#items.length > 0 && !getter.cancelled()) this.#wakeupNext();
        throw e;
      }
    }
    return this.#items.shift()!;
  }
}

/**
 * What {@link asCompleted} returns (asyncio 3.13's `_AsCompletedIterator`).
 * `for await` yields the original Futures and Tasks (new Tasks for
 * coroutines) in the order they finish; plain `for ... of` yields
 * awaitables that give the next result (or throw its error), usable with
 * `await` and with `yield*`. Both forms throw `TimeoutError` for each step
 * still pending at the timeout.
 */
export class AsCompletedIterator<T> implements AsyncIterable<Future<T>>, Iterable<Awaitable<T>> {
  readonly #done: DoneQueue<Future<T> | null>;
  #timeoutHandle: TimerHandle | undefined = undefined;
  readonly #todo: Set<Future<T>>;
  #todoLeft: number;

  /** @internal */
  constructor(aws: Iterable<unknown>, timeout: number | null) {
    const loop = getRunningLoop();
    this.#done = new DoneQueue(loop);
    const todo = new Set<Future<T>>();
    for (const aw of new Set(aws)) todo.add(toFuture<T>(aw, loop));
    for (const f of todo) f.addDoneCallback(this.#handleCompletion);
    if (todo.size > 0 && timeout !== null) this.#timeoutHandle = loop.callLater(timeout, this.#handleTimeout);
    this.#todo = todo;
    this.#todoLeft = todo.size;
  }

  /** Async iteration: the original futures, as they finish. */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    return {
      next: async (): Promise<IteratorResult<Future<T>>> => {
        if (this.#todoLeft === 0) return { done: true, value: undefined };
        this.#todoLeft--;
        // Boxed: a promise cannot resolve to a Future (a thenable) without awaiting it.
        const [f] = await toAwaitable(this.#waitForOneBoxed());
        return { done: false, value: f };
      },
    };
  }

  /** Plain iteration: one awaitable per future, giving the next result to arrive. */
  [Symbol.iterator](): Iterator<Awaitable<T>> {
    return {
      next: (): IteratorResult<Awaitable<T>> => {
        if (this.#todoLeft === 0) return { done: true, value: undefined };
        this.#todoLeft--;
        return { done: false, value: toAwaitable(this.#resolveOne()) };
      },
    };
  }

  *#waitForOne(): Coroutine<Future<T>> {
    const f = yield* this.#done.get();
    if (f === null) throw new TimeoutError(); // the sentinel of #handleTimeout
    return f;
  }

  *#waitForOneBoxed(): Coroutine<[Future<T>]> {
    return [yield* this.#waitForOne()];
  }

  *#resolveOne(): Coroutine<T> {
    const f = yield* this.#waitForOne();
    return f.result();
  }

  #handleTimeout = (): void => {
    for (const f of this.#todo) {
      f.removeDoneCallback(this.#handleCompletion);
      this.#done.putNowait(null);
    }
    this.#todo.clear();
  };

  #handleCompletion = (f: Future<T>): void => {
    if (this.#todo.size === 0) return; // #handleTimeout came first
    this.#todo.delete(f);
    this.#done.putNowait(f);
    if (this.#todo.size === 0 && this.#timeoutHandle !== undefined) this.#timeoutHandle.cancel();
  };
}

/**
 * Iterates over awaitables in the order they finish (asyncio 3.13's
 * `as_completed`). Duplicates are removed. `for await` gives back the
 * original Futures/Tasks; plain iteration gives awaitables of the results.
 * With `timeout`, every step still pending then throws `TimeoutError`.
 *
 * @example
 * ```ts
 * const [t1, t2, t3] = [3, 1, 2].map((s) => createTask(async () => sleep(s, s)));
 * for await (const t of asCompleted([t1, t2, t3], { timeout: 10 })) {
 *   console.log(t.result()); // 1, then 2, then 3
 * }
 * for (const next of asCompleted([t1, t2])) console.log(await next);
 * ```
 */
export function asCompleted<F extends readonly unknown[]>(
  aws: F | Iterable<F[number]>,
  options?: AsCompletedOptions,
): AsCompletedIterator<Resolved<F[number]>> {
  if (aws instanceof Future || isThenable(aws))
    throw new TypeError(`expects an iterable of awaitables, not ${describe(aws)}`);
  if (aws == null || typeof (aws as Iterable<unknown>)[Symbol.iterator] !== "function")
    throw new TypeError(`expects an iterable of awaitables, not ${describe(aws)}`);
  return new AsCompletedIterator<Resolved<F[number]>>(aws as Iterable<unknown>, checkTimeout(options?.timeout));
}

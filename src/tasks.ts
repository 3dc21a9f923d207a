/**
 * Task: runs a coroutine (an async function or a generator) on the loop,
 * with asyncio's cancellation: cancel / cancelling / uncancel.
 * @module
 */
import { CancelledError, RuntimeError, ValueError } from "./errors.js";
import { copyContext, state, type Context } from "./context.js";
import { Handle } from "./events.js";
import { Future, wrapThenable } from "./futures.js";
import { AWAIT, inRun, onChain, releaseHooks, retainHooks, suspendedOn, type Node } from "./hooks.js";
import type { EventLoop } from "./loop-interface.js";
import { getRunningLoop } from "./running.js";
import {
  Yield,
  describe,
  isDualAwaitable,
  isGenerator,
  isThenable,
  type Awaitable,
  type Coroutine,
} from "./awaitable.js";
import { observeFuture, type InteropObservable } from "./observable.js";

export type { Awaitable, Coroutine } from "./awaitable.js";

/**
 * What {@link createTask} and {@link run} accept: an async function (or any
 * function returning a promise), a generator function or generator object,
 * or an awaitable (a Future, a promise, a thenable) to wait on. A plain
 * function that returns a generator object (`() => gen()`) runs that
 * generator as the task's coroutine, exactly as passing `gen` would.
 */
export type CoroutineLike<T> = (() => Coroutine<T>) | (() => PromiseLike<T>) | Coroutine<T> | PromiseLike<T>;

/** Options of {@link createTask}. */
export interface TaskOptions {
  /** The task's name (default `Task-N`). */
  name?: string;
  /** The context to run in (default: a copy of the current one). */
  context?: Context;
}

let taskCounter = 0;

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

/**
 * A coroutine scheduled on the loop (asyncio's `Task`), itself a
 * {@link Future} of the coroutine's result.
 *
 * Cancellation: `cancel(msg)` makes the coroutine receive a
 * `CancelledError` at its current suspension point on the next loop
 * iteration. A generator coroutine receives it at any `yield*`. An async
 * function receives it when it is suspended on one of this library's
 * awaitables (a Future, a Task, `sleep`, every primitive); while it awaits a
 * foreign promise the cancellation is delivered at its next await on one of
 * ours, or ends the task cancelled if it returns first. {@link signal} is
 * aborted at the cancel request, so signal-aware APIs stop at once.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const t = createTask(async () => { await sleep(10); return "late"; }, { name: "slow" });
 *   await sleep(0.1);
 *   t.cancel("not needed");
 *   try { await t; } catch (e) { console.log(isCancelledError(e), (e as Error).message); } // true "not needed"
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  /** @internal */ _coro: Coroutine<T> | undefined;
  /** @internal */ _fn: (() => unknown) | undefined;
  /** @internal the future a generator coroutine yielded (async functions: see {@link Task._futWaiter}) */ _waiter: Future<unknown> | null =
    null;
  /** @internal what an async function task waits on: the promise its function returned (src/hooks.ts) */ [AWAIT]: unknown =
    undefined;
  /** @internal */ _mustCancel = false;
  /** @internal */ _numCancelsRequested = 0;
  /** @internal a name, or the task's number until a name is asked for (no string per task) */ _name: string | number;
  /** @internal */ readonly _context: Context;
  /** @internal */ _abort: AbortController | undefined = undefined;
  /** @internal */ _hooked = false;
  /** @internal true for async functions: cancellation arrives through their awaits */ _isAsync: boolean;
  /** @internal the loop iteration in which a callback of the loop last resumed this async function (its step) */ _stepIter =
    -1;
  /** @internal the iteration of the cancel request pending in `_mustCancel`, if it came after that step (see cancel) */ _lateIter =
    -1;
  readonly #source: unknown;

  /**
   * Schedules `coro` on `options.loop` (or the running loop); prefer
   * {@link createTask}, which honours the loop's task factory.
   * `eagerStart` runs the first step at once when the loop is running.
   */
  constructor(coro: CoroutineLike<T>, options?: TaskOptions & { loop?: EventLoop; eagerStart?: boolean }) {
    super({ loop: options?.loop });
    const loop = this._loop;
    if (loop.isClosed()) throw new RuntimeError("Event loop is closed");
    this.#source = coro;
    this._isAsync = typeof coro === "function" && !(coro instanceof GeneratorFunction);
    if (typeof coro === "function") {
      if (coro instanceof GeneratorFunction) this._coro = (coro as () => Coroutine<T>)();
      else this._fn = coro as () => unknown;
    } else if (isGenerator(coro)) {
      this._coro = coro as Coroutine<T>;
    } else if (coro instanceof Future) {
      this._coro = waitOn(coro as Future<T>);
    } else if (isDualAwaitable(coro)) {
      // One of our awaitables (sleep(0), toAwaitable, timeout().run, ...): its
      // generator form runs in this task, not in the creator's (then()).
      this._coro = (coro as unknown as Iterable<unknown>)[Symbol.iterator]() as Coroutine<T>;
    } else if (isThenable(coro)) {
      this._coro = waitOn(wrapThenable(loop, coro as PromiseLike<T>));
    } else {
      throw new TypeError(
        `a coroutine was expected, got ${describe(coro)}: pass an async function, a generator or an awaitable`,
      );
    }
    this._name = options?.name ?? ++taskCounter;
    this._context = options?.context ?? copyContext();
    loop._tasks.add(this as Task<unknown>);
    if (options?.eagerStart && loop.isRunning()) {
      const prev = state.current;
      state.current = this;
      try {
        this._step(undefined, undefined, false);
      } finally {
        state.current = prev;
      }
    } else {
      loop._callSoonHandle(new Handle(stepTask, [this], loop, this._context, this));
    }
  }

  /** @internal Frame protocol: the task the current code belongs to. */
  get _task(): this {
    return this;
  }

  /** The task's name. */
  getName(): string {
    if (typeof this._name === "number") this._name = `Task-${this._name}`;
    return this._name;
  }
  /** Renames the task. */
  setName(name: string): void {
    this._name = String(name);
  }
  /** The coroutine: the generator, the function, or the awaitable the task was created with. */
  getCoro(): unknown {
    return this.#source;
  }
  /** The context the task runs in. */
  getContext(): Context {
    return this._context;
  }
  /** An AbortSignal aborted (with a `CancelledError`) when cancellation of this task is requested. */
  get signal(): AbortSignal {
    const ac = (this._abort ??= new AbortController());
    if (this._numCancelsRequested > 0 && !ac.signal.aborted) ac.abort(new CancelledError(this._cancelMessage));
    return ac.signal;
  }

  /** Tasks are completed by their coroutine: always throws `RuntimeError`. */
  override setResult(_result: T): never {
    throw new RuntimeError("Task does not support set_result operation");
  }
  /** Tasks are completed by their coroutine: always throws `RuntimeError`. */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Task does not support set_exception operation");
  }

  /**
   * Requests cancellation: the coroutine receives a `CancelledError` at its
   * next suspension. Returns false if the task is already done. Each call
   * counts (see {@link cancelling}).
   */
  override cancel(msg?: string): boolean {
    this._retrieved();
    if (this.done()) return false;
    // asyncio's Task.cancel, with the recursion into an awaited task made a
    // loop: a chain of 100,000 tasks awaiting each other is cancelled whole.
    let t: Task<unknown> = this as Task<unknown>;
    for (;;) {
      t._numCancelsRequested++;
      if (t._abort !== undefined && !t._abort.signal.aborted) t._abort.abort(new CancelledError(msg));
      const waiter = t._futWaiter;
      if (waiter instanceof Task && !waiter.done() && waiter.cancel === Task.prototype.cancel) {
        waiter._retrieved();
        t = waiter; // its cancel() would return true
        continue;
      }
      if (waiter === null || !waiter.cancel(msg)) {
        // A request made by another callback of the iteration in which this
        // async function's step began, before the microtasks that run that
        // step: in asyncio the step would be over (a task that returns in it
        // is done, and cancel() comes too late). Recorded, so that a return
        // in those microtasks keeps its result (see _finishWithResult).
        const loop = t._loop;
        const late = t._isAsync && loop._inTick && t._stepIter === loop._iteration && state.current?._task !== t;
        if (late) loop._markDrain();
        if (!t._mustCancel) t._lateIter = late ? loop._iteration : -1;
        else if (!late) t._lateIter = -1;
        t._mustCancel = true;
        t._cancelMessage = msg;
      }
      return true;
    }
  }

  /**
   * @internal The future the task is suspended on (asyncio's `_fut_waiter`):
   * what a generator yielded, or what an async function's chain of awaits
   * ends on (src/hooks.ts); null while it runs or awaits something else.
   */
  get _futWaiter(): Future<unknown> | null {
    if (!this._isAsync) return this._waiter;
    if (this.done()) return null;
    const f = suspendedOn(this as Node, isFuture) as Future<unknown> | undefined;
    return f !== undefined && !f.done() ? f : null;
  }

  /** The number of pending cancellation requests (cancel calls not matched by uncancel). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Decrements the cancellation requests (never below 0) and returns the rest; at 0 a pending cancel is dropped. */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) this._mustCancel = false;
    }
    return this._numCancelsRequested;
  }

  /**
   * The Observable interop key, owning: as {@link Future}'s, but the task is
   * cancelled when its last subscriber unsubscribes before it is done (an
   * exception it then ends with goes to the loop's exception handler, once).
   *
   * @example
   * ```ts
   * import { from, timeout } from "rxjs";
   * from(createTask(async () => sleep(5))).pipe(timeout(1000)).subscribe({ error: () => {} }); // the task is cancelled after 1 s
   * ```
   */
  override "@@observable"(): InteropObservable<T> {
    return observeFuture(this, true);
  }

  /** @internal */
  override _unretrievedMessage(): string {
    return "Task exception was never retrieved";
  }
  /** @internal */
  override _describe(): string {
    return `<Task ${this.done() ? "finished" : "pending"} name='${this.getName()}'>`;
  }

  /** @internal An await of `fut` by `owner` starts (Future.then): a pending cancel is delivered to an await on the chain. */
  _awaiting(fut: Future<unknown>, owner: Node): RuntimeError | undefined {
    // As a generator task's yield: a future of another loop would never wake this one.
    if (fut._loop !== this._loop)
      return new RuntimeError(`Task ${this._describe()} got Future attached to a different loop`);
    if (this._mustCancel && onChain(this as Node, owner, isFuture) && fut.cancel(this._cancelMessage))
      this._mustCancel = false;
    return undefined;
  }

  /** @internal A pending cancel for the await of `owner`, if it is on the chain (taken). */
  _pendingCancelFor(owner: Node | undefined): CancelledError | undefined {
    if (!this._mustCancel || owner === undefined || !onChain(this as Node, owner, isFuture)) return undefined;
    this._mustCancel = false;
    return this._makeCancelledError();
  }

  /** @internal The wake-up of an await on the chain: a pending cancel replaces the outcome (asyncio's `__step`). */
  _wakeupGivesCancel(fut: Future<unknown>, owner: Node): CancelledError | undefined {
    if (!this._mustCancel || this.done() || !onChain(this as Node, owner, isFuture)) return undefined;
    this._mustCancel = false;
    return fut.cancelled() ? undefined : this._makeCancelledError();
  }

  /** @internal asyncio's `__step`. */
  _step(value: unknown, exc: unknown, hasExc: boolean): void {
    if (this.done()) return;
    if (this._mustCancel) {
      if (!hasExc || !(exc instanceof CancelledError)) {
        exc = this._makeCancelledError();
        hasExc = true;
      }
      this._mustCancel = false;
    }
    this._waiter = null;
    if (this._isAsync) return this._startAsync(exc, hasExc);
    const coro = this._coro!;
    let r: IteratorResult<unknown, T>;
    try {
      r = hasExc ? coro.throw(exc) : coro.next(value);
    } catch (e) {
      this._finishWithError(e);
      return;
    }
    if (r.done) {
      this._finishWithResult(r.value);
      return;
    }
    this._onYield(r.value);
  }

  /** @internal What a generator yielded: a future to wait on, a thenable, or a bare yield. */
  _onYield(y: unknown): void {
    const loop = this._loop;
    if (y === undefined) {
      loop._callSoonHandle(new Handle(stepTask, [this], loop, this._context, this));
      return;
    }
    let fut: Future<unknown>;
    if (y instanceof Future) fut = y;
    else if (isThenable(y)) fut = wrapThenable(loop, y);
    else return this._throwNext(new RuntimeError(`Task got bad yield: ${describe(y)}`));
    if (fut._loop !== loop)
      return this._throwNext(new RuntimeError(`Task ${this._describe()} got Future attached to a different loop`));
    if (fut === (this as Future<unknown>))
      return this._throwNext(new RuntimeError(`Task cannot await on itself: ${this._describe()}`));
    if (fut.done()) {
      loop._callSoonHandle(new Handle(wakeupTask, [fut, this], loop, this._context, this));
    } else {
      fut._addWakeup(wakeupTask, this);
    }
    this._waiter = fut;
    if (this._mustCancel && fut.cancel(this._cancelMessage)) this._mustCancel = false;
  }

  /** @internal */
  _throwNext(e: unknown): void {
    const loop = this._loop;
    loop._callSoonHandle(new Handle(() => this._step(undefined, e, true), undefined, loop, this._context, this));
  }

  /** @internal The first (and only) step of an async function: call it in the task's frame. */
  _startAsync(exc: unknown, hasExc: boolean): void {
    const fn = this._fn;
    if (fn === undefined) return; // started already: async functions have one step
    this._fn = undefined;
    if (hasExc) {
      // Cancelled (or failed) before it started: the body never runs, as a
      // coroutine that receives a throw before its first line.
      this._finishWithError(exc);
      return;
    }
    retainHooks();
    this._hooked = true;
    this._stepIter = this._loop._iteration;
    const prev = state.current;
    state.current = this;
    try {
      // The first run of the function: its last await is the function's own
      // (the promise it returned is the bottom of the chain of awaits).
      const p = inRun(undefined, fn, promiseOf);
      if (isGenerator(p)) {
        // A function returning a generator object (`() => gen()`): the
        // generator is the coroutine, as if the generator function was given.
        this._becomeGenerator(p as Coroutine<T>);
        return;
      }
      if (isThenable(p)) {
        // The task waits on what the function returned: a run whose owner is the task.
        inRun(this as Node, () =>
          p.then(
            (v) => this._finishWithResult(v as T),
            (e) => this._finishWithError(e),
          ),
        );
      } else this._finishWithResult(p as T);
    } catch (e) {
      this._finishWithError(e);
    } finally {
      state.current = prev;
    }
  }

  /** @internal `createTask(() => gen())`: continue as a generator task, in this same step. */
  _becomeGenerator(gen: Coroutine<T>): void {
    this._isAsync = false;
    this._coro = gen;
    this._hooked = false;
    releaseHooks();
    this._step(undefined, undefined, false);
  }

  /** @internal */
  _finishWithResult(v: T): void {
    if (this.done()) return;
    if (this._mustCancel && !this._stepEndsBeforeCancel()) {
      // Cancel requested right before the coroutine returned: the task ends cancelled.
      this._mustCancel = false;
      Future.prototype.cancel.call(this, this._cancelMessage);
    } else {
      this._mustCancel = false;
      Future.prototype.setResult.call(this, v);
    }
    this._onDone();
  }

  /**
   * @internal The function returns in the microtasks of the step during
   * which the pending cancel was requested by another callback (see
   * cancel): asyncio's step would have returned first, so the result stands
   * (what the step took, a queue item or a lock, is not lost).
   */
  _stepEndsBeforeCancel(): boolean {
    const loop = this._loop;
    return this._lateIter === loop._iteration && loop._drainedIter < loop._iteration;
  }

  /** @internal */
  _finishWithError(e: unknown): void {
    if (this.done()) return;
    if (e instanceof CancelledError) {
      this._cancelledExc = e;
      Future.prototype.cancel.call(this, e.message || undefined);
    } else {
      Future.prototype.setException.call(this, e);
    }
    this._onDone();
  }

  /** @internal */
  _onDone(): void {
    this._waiter = null;
    this[AWAIT] = undefined;
    this._loop._tasks.delete(this as Task<unknown>);
    if (this._hooked) {
      this._hooked = false;
      releaseHooks();
    }
  }
}

function isFuture(x: unknown): boolean {
  return x instanceof Future;
}

/** The bottom of a task's first run: the promise its async function returned (one function for every task). */
function promiseOf(r: unknown): Node | undefined {
  return r instanceof Promise ? (r as Node) : undefined;
}

/** A task's first step, and the step after a bare `yield`. */
function stepTask(task: Task<unknown>): void {
  task._step(undefined, undefined, false);
}

/** asyncio's `Task.__wakeup`: resume `task` with the outcome of `fut`. */
function wakeupTask(fut: Future<unknown>, task: Task<unknown>): void {
  let value: unknown;
  try {
    value = fut.result();
  } catch (e) {
    task._step(undefined, e, true);
    return;
  }
  task._step(value, undefined, false);
}

function* waitOn<T>(fut: Future<T>): Coroutine<T> {
  return yield* fut;
}

/**
 * Creates a task on the running loop (asyncio's `create_task`), through the
 * loop's task factory if one is set.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const t = createTask(async () => 1 + 1, { name: "sum" });
 *   console.log(await t); // 2
 * });
 * ```
 */
export function createTask<T>(coro: CoroutineLike<T>, options?: TaskOptions): Task<T> {
  return getRunningLoop().createTask(coro, options);
}

/**
 * The task whose code is running, or undefined outside a task. Right inside
 * async functions, generator coroutines and the task's callbacks.
 *
 * @example
 * ```ts
 * await run(async () => console.log(currentTask()?.getName())); // "Task-1"
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  const t = state.current?._task;
  return t instanceof Task && !t.done() ? t : undefined;
}

/**
 * The tasks of the running loop (or of `loop`) that are not done.
 *
 * @example
 * ```ts
 * await run(async () => { createTask(async () => sleep(1)); console.log(allTasks().size); }); // 2
 * ```
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  const l = loop ?? getRunningLoop();
  const out = new Set<Task<unknown>>();
  for (const t of l._tasks) if (!t.done()) out.add(t);
  return out;
}

/**
 * Suspends the current task for `delay` seconds (asyncio's `sleep`), then
 * returns `result`. `sleep(0)` yields exactly one loop iteration. Works with
 * `await` and with `yield*`.
 *
 * @example
 * ```ts
 * await sleep(0.5);                    // half a second
 * const v = await sleep(1, "done");    // "done"
 * function* gen() { yield* sleep(0); } // one iteration, in a generator coroutine
 * ```
 */
export function sleep(delay: number): Awaitable<void>;
export function sleep<T>(delay: number, result: T): Awaitable<T>;
export function sleep<T>(delay: number, result?: T): Awaitable<T> {
  if (typeof delay !== "number")
    throw new TypeError(`sleep() delay must be a number of seconds, got ${describe(delay)}`);
  if (Number.isNaN(delay)) throw new ValueError("Invalid delay: NaN");
  if (delay <= 0) return new Yield(result as T);
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  const h = loop.callLater(delay, setResultUnlessCancelled<T>, fut, result as T);
  fut.addDoneCallback(() => h.cancel());
  return fut;
}

function setResultUnlessCancelled<T>(fut: Future<T>, result: T): void {
  if (!fut.cancelled()) fut.setResult(result);
}

/**
 * A Future for `x`: `x` itself if it is a Future or Task, a new Task for a
 * coroutine, or a Future that follows a promise or thenable.
 *
 * @example
 * ```ts
 * const fut = ensureFuture(fetchPage(url)); // a Future that follows the promise
 * console.log(await fut); // "<page of https://example.com/>"
 * ```
 */
export function ensureFuture<T>(x: CoroutineLike<T> | Future<T>, options?: { loop?: EventLoop }): Future<T> {
  const loop = options?.loop;
  if (x instanceof Future) {
    if (loop !== undefined && x._loop !== loop)
      throw new ValueError("The future belongs to a different loop than the one specified as the loop argument");
    return x;
  }
  const l = loop ?? getRunningLoop();
  if (typeof x === "function" || isGenerator(x)) return l.createTask(x);
  // One of our awaitables (thenable and iterable): a task runs its generator form.
  if (isDualAwaitable(x)) return l.createTask(x as Awaitable<T>);
  if (isThenable(x)) return wrapThenable(l, x as PromiseLike<T>);
  throw new TypeError(
    `expected a Future, a Task, a coroutine (an async or generator function, or a generator object) or an awaitable (a thenable), got ${describe(x)}`,
  );
}

/**
 * A task factory that runs each new task's first step at once, inside
 * `createTask` (asyncio's `eager_task_factory`). A generator coroutine that
 * finishes without suspending is done when `createTask` returns; an async
 * function runs to its first suspension synchronously, and its completion
 * is seen after the current microtasks (JavaScript reports an async
 * function's return only through a promise).
 *
 * @example
 * ```ts
 * getRunningLoop().setTaskFactory(eagerTaskFactory);
 * ```
 */
export function eagerTaskFactory<T>(loop: EventLoop, coro: CoroutineLike<T>, options?: TaskOptions): Task<T> {
  return new Task(coro, { ...options, loop, eagerStart: true });
}

/**
 * The hub: which loop greenlets run on, the process-wide loop used outside
 * `run()`, the current greenlet, exceptions thrown into a task at its switch
 * point, and the awaitable every blocking call of the adapter returns.
 * @module
 */
import {
  type Awaitable,
  CancelledError,
  type Coroutine,
  EventLoop,
  type Future,
  type Task,
  type TimerHandle,
  currentTask,
  getRunningLoop,
  toAwaitable,
} from "../../src/index.js";
import type { Greenlet } from "./greenlet.js";

// ---- the loop --------------------------------------------------------------

let hub: EventLoop | undefined;
let hubRefs = 0;
let hubStopScheduled = false;

/**
 * The loop greenlets use: the running loop, or else the process-wide hub
 * loop (started on demand; it runs while something holds it, see
 * {@link hubRetain}).
 * @internal
 */
export function loopFor(): EventLoop {
  try {
    return getRunningLoop();
  } catch {
    if (hub === undefined || hub.isClosed()) hub = new EventLoop();
    if (!hub.isRunning()) {
      const loop = hub;
      loop.runForever().catch((e: unknown) => loop.callExceptionHandler({ message: "hub loop failed", exception: e }));
    }
    return hub;
  }
}

/** @internal True if `loop` is the hub loop (so waits outside any task must keep it alive). */
export function isHub(loop: EventLoop): boolean {
  return loop === hub;
}

/** @internal Keeps the hub running (a live greenlet, a wait from top-level code). */
export function hubRetain(loop: EventLoop): boolean {
  if (loop !== hub) return false;
  hubRefs++;
  return true;
}

/** @internal Releases {@link hubRetain}; the hub stops one iteration after the last release. */
export function hubRelease(loop: EventLoop): void {
  if (loop !== hub) return;
  hubRefs--;
  if (hubRefs === 0 && !hubStopScheduled) {
    hubStopScheduled = true;
    loop.callSoon(() => {
      hubStopScheduled = false;
      if (hubRefs === 0 && loop.isRunning()) loop.stop();
    });
  }
}

/** @internal Retains the hub until `fut` is done, when waited on from code outside any task. */
export function holdHubFor(fut: Future<unknown>): void {
  const loop = fut.getLoop();
  if (loop !== hub || currentTask() !== undefined) return;
  hubRetain(loop);
  fut.addDoneCallback(() => hubRelease(loop));
}

// ---- the current greenlet -------------------------------------------------

/** @internal What the driver records as current while a greenlet's body runs. */
export interface GreenletLike {
  readonly name: string;
}

let current: GreenletLike | undefined;

/** @internal Sets the current greenlet, returning the previous one. */
export function setCurrent(g: GreenletLike | undefined): GreenletLike | undefined {
  const prev = current;
  current = g;
  return prev;
}

/**
 * The greenlet whose body is running now, or `undefined` in code that is not
 * a greenlet (gevent's `getcurrent()` returns the hub or main greenlet there).
 * Right only in a greenlet's synchronous stretches: inside a generator body,
 * not after an `await` in an async body.
 *
 * @example
 * ```ts
 * const g: Greenlet<boolean> = spawn(function* (): Generator<never, boolean> { return getcurrent() === g; });
 * console.log(yield* g.get()); // true
 * ```
 */
export function getcurrent(): Greenlet<unknown> | undefined {
  return current as Greenlet<unknown> | undefined;
}

// ---- throwing into a task at its switch point -----------------------------

// The exceptions waiting to be raised inside a task, in the order requested.
// The task is cancelled to wake it (so that whatever it waits on drops it, as
// an asyncio cancellation); the first driver that catches that
// CancelledError swaps it for the exception and uncancels the task.
const pending = new WeakMap<Task<unknown>, unknown[]>();

/** @internal Raises `exc` inside `task` at its current (or next) switch point. */
export function throwInto(task: Task<unknown>, exc: unknown): boolean {
  if (task.done()) return false;
  const list = pending.get(task);
  if (list === undefined) pending.set(task, [exc]);
  else list.push(exc);
  task.cancel();
  return true;
}

/** @internal Withdraws a request of {@link throwInto} not delivered yet (a Timeout cancelled in time). */
export function withdrawThrow(task: Task<unknown>, exc: unknown): boolean {
  const list = pending.get(task);
  const i = list === undefined ? -1 : list.indexOf(exc);
  if (i < 0) return false;
  list!.splice(i, 1);
  if (list!.length === 0) pending.delete(task);
  task.uncancel();
  return true;
}

/**
 * @internal What a driver does with an exception caught at its `yield`: a
 * CancelledError standing for a thrown-in exception becomes that exception.
 */
export function translate(task: Task<unknown> | undefined, e: unknown): unknown {
  if (task === undefined || !(e instanceof CancelledError)) return e;
  const list = pending.get(task);
  if (list === undefined) return e;
  const exc = list.shift();
  if (list.length === 0) pending.delete(task);
  task.uncancel();
  // More to raise: at the next switch point.
  if (list.length > 0) task.cancel();
  return exc;
}

// ---- awaitables ---------------------------------------------------------------

/** @internal The value a timed-out wait's future gets. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * @internal A future that gets {@link TIMED_OUT} after `seconds` (none when
 * `seconds` is null or undefined); the timer goes when the future is done.
 */
export function timedFuture<T>(loop: EventLoop, seconds: number | null | undefined): Future<T | typeof TIMED_OUT> {
  const fut = loop.createFuture<T | typeof TIMED_OUT>();
  if (seconds != null) {
    const h: TimerHandle = loop.callLater(Math.max(0, seconds), () => {
      if (!fut.done()) fut.setResult(TIMED_OUT);
    });
    fut.addDoneCallback(() => h.cancel());
  }
  holdHubFor(fut);
  return fut;
}

/**
 * @internal Waits for a hand-off future (a unit, a slot, an item). Interrupted at the wait (a kill, an
 * outer Timeout): the future is cancelled if still pending, then `onInterrupt` decides, from the future's
 * state, whether to withdraw the request (cancelled: nothing was handed) or to give back what was handed;
 * the interruption is rethrown either way.
 */
export function* waitHandOff<T>(fut: Future<T>, onInterrupt: () => void): Coroutine<T> {
  try {
    return yield* fut;
  } catch (e) {
    if (!fut.done()) fut.cancel();
    onInterrupt();
    throw e;
  }
}

/**
 * @internal The awaitable of a one-future wait: `finish` maps the future's
 * value (or the error thrown at the wait) to the call's result; `cleanup`
 * runs however the wait ends (a timeout, a kill at this switch point).
 */
export function waitFor<F, T>(
  fut: Future<F>,
  finish: (value: F) => T,
  cleanup?: () => void,
  onError?: (e: unknown) => T,
): Awaitable<T> {
  return toAwaitable(waitGen(fut, finish, cleanup, onError));
}

function* waitGen<F, T>(
  fut: Future<F>,
  finish: (value: F) => T,
  cleanup: (() => void) | undefined,
  onError: ((e: unknown) => T) | undefined,
): Coroutine<T> {
  let v: F;
  try {
    v = yield* fut;
  } catch (e) {
    if (!fut.done()) fut.cancel();
    cleanup?.();
    if (onError !== undefined) return onError(e);
    throw e;
  }
  cleanup?.();
  return finish(v);
}

function* throwing(e: unknown): Coroutine<never> {
  throw e;
}

/**
 * @internal An awaitable that is done with `value`: `yield*` returns it at
 * once (no allocation but this object and its iterator); `await` costs a
 * microtask. Cheaper than the core's readyAwaitable on the generator path.
 */
export class Ready<T> implements Awaitable<T> {
  constructor(readonly value: T) {}
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return Promise.resolve(this.value).then(onFulfilled, onRejected);
  }
  [Symbol.iterator](): Generator<never, T, unknown> {
    return new DoneIter(this.value) as unknown as Generator<never, T, unknown>;
  }
}

class DoneIter<T> {
  constructor(readonly value: T) {}
  next(): IteratorReturnResult<T> {
    return { value: this.value, done: true };
  }
  return(v: T): IteratorReturnResult<T> {
    return { value: v, done: true };
  }
  throw(e: unknown): never {
    throw e;
  }
  [Symbol.iterator](): this {
    return this;
  }
}

/** @internal A done awaitable of `value` (see {@link Ready}). */
export function ready<T>(value: T): Awaitable<T> {
  return new Ready(value);
}

/** @internal The done awaitable of nothing, shared. */
export const READY_VOID: Awaitable<void> = new Ready(undefined);

/** @internal An awaitable that throws `e` (without a loop pass). */
export function rejected<T>(e: unknown): Awaitable<T> {
  const gen = (): Coroutine<T> => throwing(e);
  return {
    [Symbol.iterator]: gen,
    then: (onFulfilled, onRejected) => Promise.reject(e).then(onFulfilled, onRejected),
  } as Awaitable<T>;
}

// ---- live greenlets, for wait() without objects ------------------------------

interface Live {
  count: number;
  waiters: Future<unknown>[];
}
const live = new WeakMap<EventLoop, Live>();

/** @internal A greenlet of `loop` was started. */
export function greenletStarted(loop: EventLoop): void {
  const l = live.get(loop);
  if (l === undefined) live.set(loop, { count: 1, waiters: [] });
  else l.count++;
}

/** @internal A greenlet of `loop` is dead and its links have run. */
export function greenletFinished(loop: EventLoop): void {
  const l = live.get(loop);
  if (l === undefined) return;
  if (--l.count > 0 || l.waiters.length === 0) return;
  const ws = l.waiters;
  l.waiters = [];
  for (const w of ws) if (!w.done()) w.setResult(undefined);
}

/** @internal A future done when no greenlet of `loop` is alive (or at the timeout). */
export function liveGreenletsDone(loop: EventLoop, seconds: number | null | undefined): Future<unknown> {
  const fut = timedFuture<void>(loop, seconds) as Future<unknown>;
  const l = live.get(loop);
  if (l === undefined || l.count === 0) fut.setResult(undefined);
  else {
    l.waiters.push(fut);
    fut.addDoneCallback(() => {
      const i = l.waiters.indexOf(fut);
      if (i >= 0) l.waiters.splice(i, 1);
    });
  }
  return fut;
}

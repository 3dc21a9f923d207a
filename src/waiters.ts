/**
 * Building blocks shared by the synchronization primitives and the queues:
 * a deque of waiter futures, the `{ signal }` option's abort hook, loop
 * binding (asyncio's `_LoopBoundMixin`) and cheap ready awaitables for the
 * uncontended fast paths.
 * @module
 */
import { RuntimeError } from "./errors.js";
import { Future } from "./futures.js";
import type { EventLoop } from "./loop.js";
import { getRunningLoop } from "./running.js";
import { DoneIterator, readyAwaitable } from "./awaitable.js";
import { Yield, type Awaitable, type Coroutine } from "./tasks.js";

/**
 * Options accepted by every waiting call of the primitives and queues
 * (`acquire`, `wait`, `get`, `put`, `join`, `run`, `enter`).
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * setTimeout(() => ac.abort(new Error("gave up")), 1000);
 * await lock.acquire({ signal: ac.signal });
 * ```
 */
export interface AbortOptions {
  /**
   * Aborting it removes this one waiter at once and makes the call fail
   * with `signal.reason`, exactly as if the waiting task had been cancelled
   * (the wake-up passes on to the next waiter). Already aborted: the call
   * throws `signal.reason` without changing anything.
   */
  signal?: AbortSignal | undefined;
}

/**
 * A double-ended queue with O(1) push and shift and O(n) removal of a
 * given element: the waiter lines (asyncio's `collections.deque`).
 * @internal
 */
export class Deque<T> {
  /** @internal */ _a: (T | undefined)[] = [];
  /** @internal */ _h = 0;

  /** @internal */
  get length(): number {
    return this._a.length - this._h;
  }
  /** @internal */
  push(x: T): void {
    this._a.push(x);
  }
  /** @internal The first element, undefined when empty. */
  peek(): T | undefined {
    return this._h < this._a.length ? this._a[this._h] : undefined;
  }
  /** @internal */
  at(i: number): T | undefined {
    return this._a[this._h + i];
  }
  /** @internal Removes and returns the first element (undefined when empty). */
  shift(): T | undefined {
    const a = this._a;
    const h = this._h;
    if (h >= a.length) return undefined;
    const x = a[h];
    a[h] = undefined; // no reference kept to what left the line
    if (h + 1 === a.length) {
      a.length = 0;
      this._h = 0;
    } else if (h >= 1024 && h * 2 >= a.length) {
      this._a = a.slice(h + 1);
      this._h = 0;
    } else this._h = h + 1;
    return x;
  }
  /** @internal Removes and returns the last element (undefined when empty). */
  pop(): T | undefined {
    if (this._h >= this._a.length) return undefined;
    const x = this._a.pop();
    if (this._h >= this._a.length) {
      this._a.length = 0;
      this._h = 0;
    }
    return x;
  }
  /** @internal Removes the first occurrence of `x`; false if absent. */
  remove(x: T): boolean {
    const a = this._a;
    const h = this._h;
    if (h < a.length && a[h] === x) {
      this.shift();
      return true;
    }
    const i = a.indexOf(x, h);
    if (i < 0) return false;
    a.splice(i, 1);
    return true;
  }
  /** @internal */
  clear(): void {
    this._a = [];
    this._h = 0;
  }
  /** @internal */
  *[Symbol.iterator](): Generator<T, void, unknown> {
    const a = this._a;
    for (let i = this._h; i < a.length; i++) yield a[i] as T;
  }
}

/**
 * The abort side of one wait: on abort, a waiter still pending is removed
 * from its line at once (`remove`) and its future fails with
 * `signal.reason`; a waiter already woken is marked `late` (the primitive
 * then undoes the wake-up as for a cancellation). The listener is removed
 * by {@link AbortHook.dispose} when the wait ends.
 * @internal
 */
export class AbortHook {
  /** @internal true once an abort came after the future was done. */ late = false;
  /** @internal true once an abort failed the pending future. */ hit = false;
  /** @internal */
  constructor(
    readonly signal: AbortSignal,
    readonly fut: Future<any>,
    readonly remove: (() => void) | undefined,
  ) {
    signal.addEventListener("abort", this);
  }
  /** @internal The EventListener protocol: no closure per waiter. */
  handleEvent(): void {
    const fut = this.fut;
    if (fut.done()) {
      this.late = true;
      return;
    }
    this.hit = true;
    this.remove?.();
    fut.setException(this.signal.reason);
  }
  /** @internal */
  dispose(): void {
    this.signal.removeEventListener("abort", this);
  }
  /** @internal Disposes; true when the abort came after the future was done (a waiter woken, then aborted). */
  disposeWasLate(): boolean {
    this.dispose();
    return this.late;
  }
  /** @internal True when the wait was aborted (pending or late). */
  get aborted(): boolean {
    return this.hit || this.late;
  }
}

/**
 * asyncio's `_LoopBoundMixin._get_loop`: a primitive binds to the running
 * loop at its first wait; a wait from another loop is a `RuntimeError`.
 * @internal
 */
export function boundLoop(self: { _loop: EventLoop | undefined }): EventLoop {
  const loop = getRunningLoop();
  if (self._loop === undefined) self._loop = loop;
  else if (loop !== self._loop) throw new RuntimeError(`${self.constructor.name} is bound to a different event loop`);
  return loop;
}

/** @internal A resolved awaitable that is also `yield*`-able (no loop iteration, no generator): the core's. */
export const ready: <T>(value: T) => Awaitable<T> = readyAwaitable;

// The shared ones return one shared iterator: nothing is allocated per call.
function constant<T>(value: T): Awaitable<T> {
  const p = Promise.resolve(value) as Promise<T> & { [Symbol.iterator]: () => Generator<never, T, unknown> };
  const it = new DoneIterator(value) as unknown as Generator<never, T, unknown>;
  const result = Object.freeze({ value, done: true as const });
  (it as unknown as { next: () => unknown }).next = () => result;
  p[Symbol.iterator] = () => it;
  return p as unknown as Awaitable<T>;
}

/** @internal Shared ready awaitables: one allocation for the whole program. */
export const READY_TRUE: Awaitable<true> = constant(true as const);
/** @internal */
export const READY_VOID: Awaitable<void> = constant(undefined as void);

/** @internal True when `x` is a generator object (a generator coroutine). */
export function isGenerator(x: unknown): x is Generator<unknown, unknown, unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Generator).next === "function" &&
    typeof (x as Generator).throw === "function"
  );
}

/** @internal */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === "object" || typeof x === "function") &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === "function"
  );
}

/**
 * Wraps a generator coroutine as an {@link Awaitable}, like the core's
 * `toAwaitable`, with two differences that make waits iteration-exact:
 *
 * - the generator's first step runs at once, in the call (`lock.acquire()`
 *   joins the line when called, as the body of an asyncio coroutine that is
 *   awaited at once; `await` would otherwise start it a microtask later,
 *   after other tasks of the same loop iteration have run). An error of that
 *   step is delivered by the awaitable, not thrown by the call;
 * - `await` drives the generator from the callbacks of the futures it
 *   yields (through `Future.then`, so the awaiting task's cancellation lands
 *   exactly there) and resumes the awaiting code one microtask after the
 *   future's callback, as awaiting a Future directly does (driving it from
 *   an async function costs two more hops, which lets a `sleep(0)` scheduled
 *   later in the same iteration resume first, unlike asyncio).
 * @internal
 */
export function waitGen<T>(gen: Coroutine<T>): Awaitable<T> {
  return new GenAwaitable(gen);
}

class GenAwaitable<T> implements Awaitable<T> {
  #gen: Coroutine<T> | undefined;
  #first: IteratorResult<unknown, T> | undefined;
  #error: unknown;
  constructor(gen: Coroutine<T>) {
    this.#gen = gen;
    try {
      this.#first = gen.next();
    } catch (e) {
      this.#error = e;
    }
  }
  #take(): [Coroutine<T>, IteratorResult<unknown, T> | undefined, unknown] {
    const g = this.#gen;
    if (g === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#gen = undefined;
    const first = this.#first;
    this.#first = undefined;
    return [g, first, this.#error];
  }
  *[Symbol.iterator](): Coroutine<T> {
    const [gen, first, error] = this.#take();
    if (first === undefined) throw error;
    let r = first;
    while (!r.done) {
      let v: unknown;
      try {
        v = yield r.value;
      } catch (e) {
        r = gen.throw(e);
        continue;
      }
      r = gen.next(v);
    }
    return r.value;
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let gen: Coroutine<T>;
    let first: IteratorResult<unknown, T> | undefined;
    let error: unknown;
    try {
      [gen, first, error] = this.#take();
    } catch (e) {
      return Promise.reject(e).then(onFulfilled, onRejected);
    }
    return new Promise<R1 | R2>((resolve, reject) => {
      const d = new Driver<T, R1, R2>(gen, resolve, reject, onFulfilled, onRejected);
      if (first === undefined) d.finish(false, error);
      else d.handle(first);
    });
  }
}

// Drives a generator from the callbacks of the futures it yields (one
// object and two closures per wait).
class Driver<T, R1, R2> {
  constructor(
    readonly gen: Coroutine<T>,
    readonly resolve: (v: R1 | R2 | PromiseLike<R1 | R2>) => void,
    readonly reject: (e: unknown) => void,
    readonly onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    readonly onRejected: ((reason: any) => R2 | PromiseLike<R2>) | null | undefined,
  ) {}
  onValue = (v: unknown): void => this.step(v, undefined, false);
  onError = (e: unknown): void => this.step(undefined, e, true);
  finish(ok: boolean, v: unknown): void {
    const h = ok ? this.onFulfilled : this.onRejected;
    if (typeof h !== "function") return ok ? this.resolve(v as R1) : this.reject(v);
    try {
      this.resolve(h(v as T));
    } catch (e) {
      this.reject(e);
    }
  }
  handle(r: IteratorResult<unknown, T>): void {
    if (r.done) return this.finish(true, r.value);
    const y = r.value;
    if (y instanceof Future) {
      if (y.done()) relay(y, this.onValue, this.onError);
      else y.then(this.onValue, this.onError);
      return;
    }
    const awaitable: PromiseLike<unknown> =
      y === undefined
        ? new Yield(undefined)
        : isThenable(y)
          ? y
          : Promise.reject(new RuntimeError("bad yield in a generator coroutine"));
    awaitable.then(this.onValue, this.onError);
  }
  step(value: unknown, exc: unknown, hasExc: boolean): void {
    let r: IteratorResult<unknown, T>;
    try {
      r = hasExc ? this.gen.throw(exc) : this.gen.next(value);
    } catch (e) {
      return this.finish(false, e);
    }
    this.handle(r);
  }
}

// The eager first step suspends the generator on a future, as an asyncio
// task suspends at its first await; `await` binds to that future a
// microtask later. If the future completed in between (woken by another
// task's step of the same iteration), its outcome must still reach the
// generator as asyncio's wake-up would: through the loop, one iteration
// later, with a cancellation requested meanwhile taking precedence (the
// task's pending cancel is applied when it binds to the pending relay).
// Binding directly would resume at once and drop such a cancellation.
function relay<T>(fut: Future<T>, onValue: (v: T) => void, onError: (e: unknown) => void): void {
  const proxy = new Future<T>({ loop: fut.getLoop() });
  proxy.then(onValue, onError); // registers the awaiting task on a pending future
  if (proxy.done()) return; // the task's pending cancellation was applied to it
  if (fut.cancelled()) {
    proxy._cancelledExc = fut._makeCancelledError(); // the same CancelledError instance
    proxy.cancel(fut._cancelMessage);
    return;
  }
  let v: T;
  try {
    v = fut.result();
  } catch (e) {
    proxy.setException(e);
    return;
  }
  proxy.setResult(v);
}

/**
 * A primitive whose wait is one future: `_afterWait` runs asyncio's code
 * after the `await fut` (its `finally` and `except CancelledError` parts),
 * for both ways of waiting, and returns the call's value or throws.
 * @internal
 */
export interface AfterWait<T> {
  _afterWait(fut: Future<any>, hook: AbortHook | undefined, failed: boolean, exc: unknown): T;
}

/** @internal The generator form of a one-future wait (for `yield*` and for composed generators). */
export function* waitFut<T>(owner: AfterWait<T>, fut: Future<any>, hook: AbortHook | undefined): Coroutine<T> {
  try {
    yield* fut;
  } catch (e) {
    return owner._afterWait(fut, hook, true, e);
  }
  return owner._afterWait(fut, hook, false, undefined);
}

/**
 * The awaitable of a one-future wait, already in the waiter line when
 * created (as the eager first step of {@link waitGen}). `await` registers
 * on the future directly, without a generator; `yield*` uses
 * {@link waitFut}. Single use.
 * @internal
 */
export class FutWaiter<T> implements Awaitable<T> {
  #owner: AfterWait<T> | undefined;
  readonly fut: Future<any>;
  readonly hook: AbortHook | undefined;
  constructor(owner: AfterWait<T>, fut: Future<any>, hook: AbortHook | undefined) {
    this.#owner = owner;
    this.fut = fut;
    this.hook = hook;
  }
  #take(): AfterWait<T> {
    const o = this.#owner;
    if (o === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#owner = undefined;
    return o;
  }
  [Symbol.iterator](): Coroutine<T> {
    return waitFut(this.#take(), this.fut, this.hook);
  }
  /** @internal For a generator that waits on `fut` itself (no nested generator): runs the after-wait code. */
  _resume(failed: boolean, exc: unknown): T {
    return this.#take()._afterWait(this.fut, this.hook, failed, exc);
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let owner: AfterWait<T>;
    try {
      owner = this.#take();
    } catch (e) {
      return Promise.reject(e).then(onFulfilled, onRejected);
    }
    const fut = this.fut;
    const hook = this.hook;
    return new Promise<R1 | R2>((resolve, reject) => {
      const done = (failed: boolean, exc: unknown): void => {
        let ok = true;
        let v: unknown;
        try {
          v = owner._afterWait(fut, hook, failed, exc);
        } catch (e) {
          ok = false;
          v = e;
        }
        const h = ok ? onFulfilled : onRejected;
        if (typeof h !== "function") return ok ? resolve(v as R1) : reject(v);
        try {
          resolve(h(v as T));
        } catch (e) {
          reject(e);
        }
      };
      const onValue = (): void => done(false, undefined);
      const onError = (e: unknown): void => done(true, e);
      if (fut.done()) relay(fut, onValue, onError);
      else fut.then(onValue, onError);
    });
  }
}

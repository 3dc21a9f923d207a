/**
 * The waiter lines shared by the synchronization primitives and the queues:
 * a deque of waiter futures, the `{ signal }` option's abort hook and loop
 * binding (asyncio's `_LoopBoundMixin`). The awaitables the waits return
 * are in awaitable.ts.
 * @module
 */
import { RuntimeError } from "./errors.js";
import type { Future } from "./futures.js";
import type { EventLoop } from "./loop-interface.js";
import { getRunningLoop } from "./running.js";

/**
 * Options accepted by every waiting call of the primitives and queues
 * (`acquire`, `wait`, `get`, `put`, `join`, `run`, `enter`).
 *
 * @example
 * ```ts
 * const lock = new Lock();
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
    // An internal waiter: if its task is cancelled before it wakes, the abort
    // is superseded by the cancellation the task sees; nothing is lost.
    fut._retrieved();
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

/**
 * gevent's Semaphore, BoundedSemaphore and RLock.
 *
 * Invariant: `release()` with waiters hands the unit to the first waiter
 * (its future gets `true`; the counter is not incremented), so nobody can
 * barge ahead of a queued waiter; a waiter interrupted after it was handed
 * the unit releases it again.
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
  RuntimeError,
  ValueError,
  currentTask,
  toAwaitable,
} from "../../src/index.js";
import { getcurrent, loopFor, ready, TIMED_OUT, timedFuture, waitHandOff } from "./hub.js";

/** Options of `acquire`. */
export interface AcquireOptions {
  /** Wait for the lock (default true); false returns false at once if it is taken. */
  blocking?: boolean;
  /** Seconds to wait at most; then false. */
  timeout?: number | null;
}

/**
 * gevent's `Semaphore(value = 1)`: `acquire` waits while the counter is 0.
 * Waiters are served in FIFO order with no barging (like the core's
 * Semaphore): a documented difference from gevent 22.10, where a
 * non-blocking acquire right after `release()` can overtake a queued waiter.
 * `release()` may raise the counter above its initial value (as gevent's);
 * {@link BoundedSemaphore} forbids it.
 *
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * const g = spawn(function* () { yield* sem.acquire(); try { yield* sleep(0.1); } finally { sem.release(); } });
 * yield* g.join();
 * ```
 */
export class Semaphore {
  /** @internal */ _counter: number;
  /** @internal */ _waiters: Future<unknown>[] = [];
  /** @internal */ _watchers: Future<unknown>[] = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;

  /** A semaphore with `value` units. */
  constructor(value = 1) {
    if (typeof value !== "number" || value < 0) throw new ValueError("semaphore initial value must be >= 0");
    this._counter = value;
  }
  /** The number of free units. */
  get counter(): number {
    return this._counter;
  }
  /** True if `acquire()` would wait. */
  locked(): boolean {
    return this._counter <= 0 || this._waiters.length > 0;
  }

  #loopOf(): EventLoop {
    return (this._loop ??= loopFor());
  }

  /** Takes a unit, waiting for one (at most `timeout` seconds): true if taken, false if not. */
  acquire({ blocking = true, timeout }: AcquireOptions = {}): Awaitable<boolean> {
    if (!this.locked()) {
      this._counter--;
      return ready(true);
    }
    if (!blocking) return ready(false);
    const fut = timedFuture<unknown>(this.#loopOf(), timeout) as Future<unknown>;
    this._waiters.push(fut);
    return toAwaitable(this.#acquireWait(fut));
  }

  *#acquireWait(fut: Future<unknown>): Coroutine<boolean> {
    const v = yield* waitHandOff(fut, () => {
      if (fut.cancelled()) this.#drop(fut);
      else if (fut.result() !== TIMED_OUT) this.release(); // handed the unit, then interrupted
    });
    if (v === TIMED_OUT) {
      this.#drop(fut);
      return false;
    }
    return true;
  }

  #drop(fut: Future<unknown>): void {
    this._dropWaiter(fut);
  }

  /**
   * @internal Queues a waiter for a unit and returns its future: `true` once
   * {@link release} hands it a unit (whether or not anyone awaits it),
   * `TIMED_OUT` at the timeout. For the callers that must act on the unit
   * at once (Pool, RLock): see {@link _dropWaiter}.
   */
  _waitUnit(timeout: number | null | undefined): Future<unknown> {
    const fut = timedFuture<unknown>(this.#loopOf(), timeout) as Future<unknown>;
    this._waiters.push(fut);
    return fut;
  }

  /** @internal Removes a waiter that will not take a unit (timed out, or withdrawn). */
  _dropWaiter(fut: Future<unknown>): void {
    const i = this._waiters.indexOf(fut);
    if (i >= 0) this._waiters.splice(i, 1);
  }

  /** Gives a unit back: to the first waiter if there is one. */
  release(): void {
    while (this._waiters.length > 0) {
      const w = this._waiters.shift()!;
      if (!w.done()) {
        w.setResult(true);
        return;
      }
    }
    this._counter++;
    const ws = this._watchers.splice(0);
    for (const w of ws) if (!w.done()) w.setResult(true);
  }

  /** Waits until a unit is free, without taking it (at most `timeout` seconds); returns the counter. */
  wait(timeout?: number | null): Awaitable<number> {
    if (this._counter > 0) return ready(this._counter);
    const fut = timedFuture<unknown>(this.#loopOf(), timeout) as Future<unknown>;
    this._watchers.push(fut);
    return toAwaitable(this.#watch(fut));
  }

  *#watch(fut: Future<unknown>): Coroutine<number> {
    try {
      yield* fut;
    } finally {
      const i = this._watchers.indexOf(fut);
      if (i >= 0) this._watchers.splice(i, 1);
    }
    return this._counter;
  }
}

/**
 * A {@link Semaphore} whose `release()` throws if the counter would exceed
 * its initial value (gevent's `BoundedSemaphore`, a `ValueError` there).
 *
 * @example
 * ```ts
 * const s = new BoundedSemaphore(1);
 * try { s.release(); } catch (e) { console.log((e as Error).message); } // "Semaphore released too many times"
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */ readonly _initial: number;
  /** A bounded semaphore with `value` units. */
  constructor(value = 1) {
    super(value);
    this._initial = value;
  }
  /** Gives a unit back; throws `ValueError` (as gevent) if none is taken. */
  override release(): void {
    if (this._waiters.length === 0 && this._counter >= this._initial)
      throw new ValueError("Semaphore released too many times");
    super.release();
  }
}

/**
 * gevent's `RLock`: a re-entrant lock owned by the greenlet that acquired it
 * (by the task, in async code). `release()` by another greenlet throws.
 *
 * @example
 * ```ts
 * const lock = new RLock();
 * await lock.acquire(); await lock.acquire(); // re-entrant (in a greenlet: yield* lock.acquire())
 * lock.release(); lock.release();
 * ```
 */
export class RLock {
  /** @internal */ readonly _block = new Semaphore(1);
  /** @internal */ _owner: unknown = undefined;
  /** @internal */ _count = 0;

  /** Takes the lock (again, if the caller owns it): true if taken, false on a timeout or when not blocking. */
  acquire(options: AcquireOptions = {}): Awaitable<boolean> {
    const me = owner();
    if (this._owner === me && me !== undefined) {
      this._count++;
      return ready(true);
    }
    if (!this._block.locked()) {
      this._block.acquire({ blocking: false });
      this._owner = me;
      this._count = 1;
      return ready(true);
    }
    if (options.blocking === false) return ready(false);
    // The lock is the caller's as soon as the unit is handed over, whether or not the awaitable is awaited.
    const fut = this._block._waitUnit(options.timeout);
    const state = { abandoned: false };
    fut.addDoneCallback((f) => {
      if (f.cancelled() || f.result() === TIMED_OUT) this._block._dropWaiter(f);
      else if (state.abandoned) this._block.release();
      else {
        this._owner = me;
        this._count = 1;
      }
    });
    return toAwaitable(this.#takeWait(fut, me, state));
  }

  *#takeWait(fut: Future<unknown>, me: unknown, state: { abandoned: boolean }): Coroutine<boolean> {
    let v: unknown;
    try {
      v = yield* fut;
    } catch (e) {
      if (!fut.done()) {
        fut.cancel();
        this._block._dropWaiter(fut);
      } else if (fut.result() !== TIMED_OUT) {
        // Handed the lock, then interrupted: the caller does not hold it; give it back.
        if (this._owner === me && this._count === 1) {
          this._owner = undefined;
          this._count = 0;
          this._block.release();
        } else state.abandoned = true;
      }
      throw e;
    }
    return v !== TIMED_OUT;
  }

  /** Releases one level; the lock is free when every acquire was matched. Throws if the caller does not own it. */
  release(): void {
    if (this._owner !== owner() || this._count === 0) throw new RuntimeError("cannot release un-acquired lock");
    if (--this._count === 0) {
      this._owner = undefined;
      this._block.release();
    }
  }
  /** True if some greenlet holds the lock. */
  locked(): boolean {
    return this._count > 0;
  }
}

function owner(): unknown {
  return getcurrent() ?? currentTask();
}

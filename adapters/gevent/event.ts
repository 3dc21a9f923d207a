/**
 * gevent's Event and AsyncResult.
 * @module
 */
import type { Awaitable, EventLoop, Future } from "../../src/index.js";
import { holdHubFor, loopFor, ready, rejected, TIMED_OUT, timedFuture, waitFor } from "./hub.js";
import { Timeout } from "./timeout.js";

/** The waiters and raw links of a gevent "abstract linkable": the base of {@link Event} and {@link AsyncResult}. */
export class Linkable {
  /** @internal */ _waiters: Future<unknown>[] = [];
  /** @internal */ _links: ((obj: any) => unknown)[] = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ _notifying = false;
  /** @internal waiters were woken and have not run yet */ _wakingUp = false;

  /** @internal */
  _loopOf(): EventLoop {
    return (this._loop ??= loopFor());
  }

  /** @internal Wakes every waiter (with `value`) and schedules the raw links. */
  _notify(value: unknown): void {
    const ws = this._waiters;
    this._waiters = [];
    for (const w of ws) if (!w.done()) w.setResult(value);
    if (ws.length > 0 && !this._wakingUp) {
      this._wakingUp = true;
      this._loopOf().callSoon(() => {
        this._wakingUp = false;
      });
    }
    if (this._links.length > 0 && !this._notifying) {
      this._notifying = true;
      this._loopOf().callSoon(() => {
        this._notifying = false;
        while (this._links.length > 0 && this._isReady()) {
          const cb = this._links.shift()!;
          try {
            cb(this);
          } catch (e) {
            this._loopOf().callExceptionHandler({ message: "link callback failed", exception: e });
          }
        }
      });
    }
  }

  /** @internal */
  _isReady(): boolean {
    return false;
  }

  /** @internal */
  _wait<R>(timeout: number | null | undefined, finish: (v: unknown) => R): Awaitable<R> {
    const fut = timedFuture<unknown>(this._loopOf(), timeout) as Future<unknown>;
    this._waiters.push(fut);
    return waitFor(fut, finish, () => {
      const i = this._waiters.indexOf(fut);
      if (i >= 0) this._waiters.splice(i, 1);
    });
  }

  /** Calls `cb(this)` from a loop callback once this is ready (soon, if it is already). */
  rawlink(cb: (obj: this) => unknown): void {
    if (typeof cb !== "function") throw new TypeError(`Expected callable: ${String(cb)}`);
    this._links.push(cb);
    if (this._isReady()) this._notify(undefined);
  }

  /** Removes `cb` from the links. */
  unlink(cb: (obj: this) => unknown): void {
    const i = this._links.indexOf(cb);
    if (i >= 0) this._links.splice(i, 1);
  }
}

/**
 * gevent's `Event`: a flag that greenlets wait on. `wait()` returns the flag
 * as seen during the wait, so a `set()` followed at once by `clear()` still
 * wakes every waiter with `true`. Waiters wake in FIFO order.
 *
 * @example
 * ```ts
 * const ev = new Event();
 * spawn(function* () { yield* ev.wait(); console.log("go"); });
 * ev.set();
 * ```
 */
export class Event extends Linkable {
  /** @internal */ _flag = false;

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this._flag = true;
    this._notify(true);
  }
  /** Resets the flag. */
  clear(): void {
    this._flag = false;
  }
  /** True if the flag is set. */
  isSet(): boolean {
    return this._flag;
  }
  /** True if the flag is set (gevent's `ready`). */
  ready(): boolean {
    return this._flag;
  }
  /** @internal */
  override _isReady(): boolean {
    return this._flag;
  }
  /** Waits until the flag is set, at most `timeout` seconds: true if it was set, else the flag (false). */
  wait(timeout?: number | null): Awaitable<boolean> {
    if (this._flag) {
      if (!this._wakingUp) return ready(true);
      // gevent issue #1520: a caller that finds the event set while the
      // waiters it woke have not run yet runs after them.
      const loop = this._loopOf();
      const fut = loop.createFuture<boolean>();
      holdHubFor(fut as Future<unknown>);
      loop.callSoon(() => {
        if (!fut.done()) fut.setResult(true);
      });
      return waitFor(fut, () => true);
    }
    return this._wait(timeout, (v) => (v === TIMED_OUT ? this._flag : true));
  }
}

/**
 * gevent's `AsyncResult`: a value (or an error) set once and waited for by
 * greenlets; usable as a link target (`g.link(result)`).
 *
 * @example
 * ```ts
 * const r = new AsyncResult<number>();
 * spawn(function* () { yield* sleep(0.1); r.set(42); });
 * console.log(yield* r.get()); // 42
 * ```
 */
export class AsyncResult<T = unknown> extends Linkable {
  /** @internal */ _ready = false;
  /** @internal */ _failed = false;
  /** @internal */ _value: T | undefined = undefined;
  /** @internal */ _exception: unknown = undefined;

  /** Sets the value and wakes the waiters. */
  set(value?: T): void {
    this._ready = true;
    this._failed = false;
    this._value = value;
    this._exception = undefined;
    this._notify(true);
  }
  /** Sets an error (thrown by `get`) and wakes the waiters. */
  setException(e: unknown): void {
    this._ready = true;
    this._failed = true;
    this._exception = e;
    this._notify(true);
  }
  /** True once a value or an error is set. */
  ready(): boolean {
    return this._ready;
  }
  /** @internal */
  override _isReady(): boolean {
    return this._ready;
  }
  /** True if a value (not an error) is set. */
  successful(): boolean {
    return this._ready && !this._failed;
  }
  /** The value; undefined until set. */
  get value(): T | undefined {
    return this._value;
  }
  /** The error; undefined unless one is set. */
  get exception(): unknown {
    return this._exception;
  }

  #outcome(): T {
    if (this._failed) throw this._exception;
    return this._value as T;
  }

  /**
   * The value, waiting for it at most `timeout` seconds (then {@link Timeout}
   * is thrown); the error is thrown if one was set. `block: false` throws
   * {@link Timeout} at once if nothing is set.
   */
  get({ block = true, timeout }: { block?: boolean; timeout?: number | null } = {}): Awaitable<T> {
    if (this._ready) {
      if (!block) return ready(this.#outcome());
      if (this._failed) return rejected(this._exception);
      return ready(this._value as T);
    }
    if (!block) throw new Timeout();
    return this._wait(timeout, (v) => {
      if (v === TIMED_OUT) throw new Timeout(timeout ?? undefined);
      return this.#outcome();
    });
  }
  /** `get({ block: false })`: the value, or throws (the error, or {@link Timeout} if nothing is set). */
  getNowait(): T {
    if (!this._ready) throw new Timeout();
    return this.#outcome();
  }
  /** Waits at most `timeout` seconds and returns the value: undefined on an error or a timeout (unlike `Event.wait`). */
  wait(timeout?: number | null): Awaitable<T | undefined> {
    if (this._ready) return ready(this._value);
    return this._wait(timeout, () => this._value);
  }
}

/**
 * gevent's `Channel`: a rendezvous queue. Both sides are served by hand-off:
 * a getter is handed a putter's item, and a getter interrupted before it
 * took the item passes it on (or keeps it for the next get).
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
  ValueError,
  toAwaitable,
} from "../../src/index.js";
import { Empty, Full } from "./errors.js";
import { holdHubFor, loopFor, ready, TIMED_OUT, timedFuture, waitFor, waitHandOff } from "./hub.js";
import type { PutOptions, QueueGetOptions } from "./queue.js";

interface Getter<T> {
  fut: Future<unknown>;
  item?: T;
  has: boolean;
  /** the putter that handed the item, resumed when the getter takes it */
  putter?: Future<unknown>;
}

/**
 * gevent's `Channel`: a rendezvous, where `put` waits until a getter takes
 * the item. `qsize()` is always 0; `balance` is the number of waiting
 * putters minus waiting getters.
 *
 * @example
 * ```ts
 * const ch = new Channel<string>();
 * spawn(function* () { yield* ch.put("hello"); console.log("taken"); });
 * console.log(await ch.get()); // "hello" (in a greenlet: yield* ch.get())
 * ```
 */
export class Channel<T = unknown> {
  /** @internal */ _getters: Getter<T>[] = [];
  /** @internal */ _putters: { fut: Future<unknown>; item: T }[] = [];
  /** @internal items handed to a getter that was interrupted before it took them */ _stash: T[] = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;

  /** A channel (`maxsize` must be 1, as gevent's: `ValueError` otherwise). */
  constructor(maxsize = 1) {
    if (maxsize !== 1) throw new ValueError("Channels have a maxsize of 1");
  }
  /** Waiting putters minus waiting getters. */
  get balance(): number {
    return this._putters.length - this._getters.length;
  }
  /** Always 0. */
  qsize(): number {
    return 0;
  }
  /** Always true. */
  empty(): boolean {
    return true;
  }
  /** Always true. */
  full(): boolean {
    return true;
  }

  #loopOf(): EventLoop {
    return (this._loop ??= loopFor());
  }

  #handToGetter(item: T, putter: Future<unknown> | undefined): boolean {
    while (this._getters.length > 0) {
      const g = this._getters.shift()!;
      if (g.fut.done()) continue;
      g.item = item;
      g.has = true;
      g.putter = putter;
      g.fut.setResult(true);
      return true;
    }
    return false;
  }

  /**
   * Hands `item` to a getter, waiting for one (at most `timeout` seconds,
   * then {@link Full}); as gevent's, the putter resumes after the getter
   * has taken the item. `block: false` throws {@link Full} if no getter waits.
   */
  put(item: T, { block = true, timeout }: PutOptions = {}): Awaitable<void> {
    if (this._getters.some((g) => !g.fut.done())) {
      const taken = this.#loopOf().createFuture<unknown>();
      holdHubFor(taken);
      this.#handToGetter(item, taken);
      return waitFor(taken, () => undefined);
    }
    if (!block) throw new Full();
    const fut = timedFuture<unknown>(this.#loopOf(), timeout) as Future<unknown>;
    const entry = { fut, item };
    this._putters.push(entry);
    return toAwaitable(this.#putWait(entry));
  }

  *#putWait(entry: { fut: Future<unknown>; item: T }): Coroutine<void> {
    const v = yield* waitHandOff(entry.fut, () => {
      const i = this._putters.indexOf(entry);
      if (i >= 0) this._putters.splice(i, 1);
    });
    if (v === TIMED_OUT) {
      const i = this._putters.indexOf(entry);
      if (i >= 0) {
        this._putters.splice(i, 1);
        throw new Full();
      }
    }
  }

  /** `put(item, { block: false })`. */
  putNowait(item: T): void {
    this.put(item, { block: false });
  }

  #takeNow(): { ok: boolean; item?: T } {
    if (this._stash.length > 0) return { ok: true, item: this._stash.shift()! };
    while (this._putters.length > 0) {
      const p = this._putters.shift()!;
      if (p.fut.done()) continue;
      p.fut.setResult(true);
      return { ok: true, item: p.item };
    }
    return { ok: false };
  }

  /** Takes an item from a putter, waiting for one (at most `timeout` seconds, then {@link Empty}). */
  get({ block = true, timeout }: QueueGetOptions = {}): Awaitable<T> {
    const now = this.#takeNow();
    if (now.ok) return ready(now.item as T);
    if (!block) throw new Empty();
    const fut = timedFuture<unknown>(this.#loopOf(), timeout) as Future<unknown>;
    const entry: Getter<T> = { fut, has: false };
    this._getters.push(entry);
    return toAwaitable(this.#getWait(entry));
  }

  *#getWait(entry: Getter<T>): Coroutine<T> {
    const v = yield* waitHandOff(entry.fut, () => {
      const i = this._getters.indexOf(entry);
      if (i >= 0) this._getters.splice(i, 1);
      // Handed an item but interrupted before taking it: the next getter gets it.
      if (entry.has && !this.#handToGetter(entry.item as T, entry.putter)) {
        this._stash.push(entry.item as T);
        if (entry.putter !== undefined && !entry.putter.done()) entry.putter.setResult(undefined);
      }
    });
    if (v === TIMED_OUT && !entry.has) {
      const i = this._getters.indexOf(entry);
      if (i >= 0) this._getters.splice(i, 1);
      throw new Empty();
    }
    if (entry.putter !== undefined && !entry.putter.done()) entry.putter.setResult(undefined);
    return entry.item as T;
  }

  /** `get({ block: false })`. */
  getNowait(): T {
    const now = this.#takeNow();
    if (!now.ok) throw new Empty();
    return now.item as T;
  }

  /** Iterates over the items as they are put (never ends by itself). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: async (): Promise<IteratorResult<T>> => ({ value: await this.get(), done: false }) };
  }
}

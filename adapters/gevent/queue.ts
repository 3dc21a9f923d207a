/**
 * gevent's queues (25.4 names): SimpleQueue, Queue (= JoinableQueue, with
 * task_done/join/shutdown), PriorityQueue, LifoQueue, and Channel.
 *
 * Invariant: a waiting getter's future only signals (an item is available,
 * or a slot for a putter); the item stays in the queue until the woken
 * getter takes it. So a getter that times out or is killed never swallows
 * an item, and a woken waiter that is interrupted passes its turn on.
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
  pythonCompare,
  toAwaitable,
} from "../../src/index.js";
import { Empty, Full, ShutDown } from "./errors.js";
import { holdHubFor, loopFor, ready, READY_VOID, TIMED_OUT, timedFuture, waitFor } from "./hub.js";

/** Options of a queue's `put`. */
export interface PutOptions {
  /** Wait for a free slot (default true); false throws {@link Full} at once. */
  block?: boolean;
  /** Seconds to wait at most; then {@link Full} is thrown. */
  timeout?: number | null;
}
/** Options of a queue's `get` and `peek`. */
export interface QueueGetOptions {
  /** Wait for an item (default true); false throws {@link Empty} at once. */
  block?: boolean;
  /** Seconds to wait at most; then {@link Empty} is thrown. */
  timeout?: number | null;
}

type Waiters = Future<unknown>[];

function wakeFirst(ws: Waiters): void {
  while (ws.length > 0) {
    const w = ws.shift()!;
    if (!w.done()) {
      w.setResult(true);
      return;
    }
  }
}

function remove(ws: Waiters, fut: Future<unknown>): void {
  const i = ws.indexOf(fut);
  if (i >= 0) ws.splice(i, 1);
}

/**
 * gevent's `SimpleQueue` (before 25.4: `Queue`): a FIFO of at most `maxsize`
 * items (undefined/null: unbounded; 0 is unbounded as gevent's deprecated
 * `Queue(0)`). Waiting getters and putters are served FIFO.
 *
 * @example
 * ```ts
 * const q = new SimpleQueue<number>(10);
 * spawn(function* () { for (let i = 0; i < 3; i++) yield* q.put(i); });
 * const first = yield* q.get(); // 0
 * ```
 */
export class SimpleQueue<T = unknown> {
  /** The bound (undefined: unbounded). */
  readonly maxsize: number | undefined;
  /** @internal */ _getters: Waiters = [];
  /** @internal */ _putters: Waiters = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ _shutdown = false;
  /** @internal */ _items: T[] = [];
  /** @internal FIFO: the first item's index in _items (0 for the other orders) */ _head = 0;

  /** A queue holding `items` at first. */
  constructor(maxsize?: number | null, items: Iterable<T> = []) {
    if (maxsize != null && (typeof maxsize !== "number" || maxsize < 0))
      throw new TypeError(`maxsize must be a non-negative number, got ${String(maxsize)}`);
    this.maxsize = maxsize == null || maxsize === 0 ? undefined : maxsize;
    for (const x of items) this._put(x);
  }

  // The storage: FIFO here, overridden by PriorityQueue and LifoQueue.
  /** @internal */
  _put(item: T): void {
    this._items.push(item);
  }
  /** @internal */
  _get(): T {
    // An index, not shift(): shift() is linear on long arrays.
    const items = this._items;
    const x = items[this._head]!;
    items[this._head++] = undefined as unknown as T;
    if (this._head === items.length) {
      this._items = [];
      this._head = 0;
    } else if (this._head >= 1024 && this._head * 2 >= items.length) {
      this._items = items.slice(this._head);
      this._head = 0;
    }
    return x;
  }
  /** @internal */
  _peek(): T {
    return this._items[this._head]!;
  }

  /** The number of items. */
  qsize(): number {
    return this._items.length - this._head;
  }
  /** True if there is no item. */
  empty(): boolean {
    return this.qsize() === 0;
  }
  /** True if `maxsize` items are queued. */
  full(): boolean {
    return this.maxsize !== undefined && this.qsize() >= this.maxsize;
  }

  /** @internal */
  _loopOf(): EventLoop {
    return (this._loop ??= loopFor());
  }

  /** @internal A slot is free and no earlier putter waits for one. */
  _canPut(): boolean {
    return !this.full() && this._putters.length === 0;
  }

  /**
   * Puts `item`, waiting for a free slot (at most `timeout` seconds, then
   * {@link Full}). `block: false` throws {@link Full} at once; after
   * `shutdown()`, {@link ShutDown}.
   */
  put(item: T, { block = true, timeout }: PutOptions = {}): Awaitable<void> {
    if (this._shutdown) throw new ShutDown();
    if (this._canPut()) {
      this.#putNow(item);
      return READY_VOID;
    }
    if (!block) throw new Full();
    const deadline = timeout == null ? undefined : this._loopOf().time() + timeout;
    const fut = this.#enqueue(this._putters, deadline);
    return toAwaitable(this.#putWait(item, fut, deadline));
  }

  #putNow(item: T): void {
    this._put(item);
    this._onPut();
    wakeFirst(this._getters);
  }

  /** @internal Hook for Queue's unfinished-task count. */
  _onPut(): void {}

  #enqueue(ws: Waiters, deadline: number | undefined, front = false): Future<unknown> {
    const loop = this._loopOf();
    const fut = timedFuture<unknown>(
      loop,
      deadline === undefined ? undefined : deadline - loop.time(),
    ) as Future<unknown>;
    if (front) ws.unshift(fut);
    else ws.push(fut);
    return fut;
  }

  *#putWait(item: T, fut: Future<unknown>, deadline: number | undefined): Coroutine<void> {
    for (;;) {
      let v: unknown;
      try {
        v = yield* fut;
      } catch (e) {
        this.#abandon(this._putters, fut);
        throw e;
      }
      if (v === TIMED_OUT) {
        remove(this._putters, fut);
        throw new Full();
      }
      if (this._shutdown) throw new ShutDown();
      if (!this.full()) {
        this.#putNow(item);
        // The next putter may have room too.
        if (!this.full()) wakeFirst(this._putters);
        return;
      }
      fut = this.#enqueue(this._putters, deadline, true);
    }
  }

  // A waiter interrupted (killed, timed out by a Timeout) after it was woken passes its turn on.
  #abandon(ws: Waiters, fut: Future<unknown>): void {
    if (!fut.done()) fut.cancel();
    if (fut.cancelled()) remove(ws, fut);
    else if (ws === this._getters ? this.qsize() > 0 : !this.full()) wakeFirst(ws);
  }

  /** `put(item, { block: false })`: throws {@link Full} if there is no free slot. */
  putNowait(item: T): void {
    this.put(item, { block: false });
  }

  /**
   * Removes and returns the next item, waiting for one (at most `timeout`
   * seconds, then {@link Empty}). `block: false` throws {@link Empty} at once.
   */
  get({ block = true, timeout }: QueueGetOptions = {}): Awaitable<T> {
    return this.#getOrPeek(true, block, timeout);
  }

  /** `get({ block: false })`. */
  getNowait(): T {
    return this.#takeNow();
  }

  /** Returns the next item without removing it, waiting as {@link get} does. */
  peek({ block = true, timeout }: QueueGetOptions = {}): Awaitable<T> {
    return this.#getOrPeek(false, block, timeout);
  }

  /** `peek({ block: false })`. */
  peekNowait(): T {
    if (this.qsize() === 0) throw this._shutdown ? new ShutDown() : new Empty();
    return this._peek();
  }

  #takeNow(): T {
    if (this.qsize() === 0) throw this._shutdown ? new ShutDown() : new Empty();
    const item = this._get();
    if (!this.full()) wakeFirst(this._putters);
    return item;
  }

  #getOrPeek(take: boolean, block: boolean, timeout: number | null | undefined): Awaitable<T> {
    if (this.qsize() > 0 && this._getters.length === 0) return ready(take ? this.#takeNow() : this._peek());
    if (this._shutdown && this.qsize() === 0) throw new ShutDown();
    if (!block) {
      if (this.qsize() > 0) return ready(take ? this.#takeNow() : this._peek());
      throw new Empty();
    }
    const deadline = timeout == null ? undefined : this._loopOf().time() + timeout;
    const fut = this.#enqueue(this._getters, deadline);
    return toAwaitable(this.#getWait(take, fut, deadline));
  }

  *#getWait(take: boolean, fut: Future<unknown>, deadline: number | undefined): Coroutine<T> {
    for (;;) {
      let v: unknown;
      try {
        v = yield* fut;
      } catch (e) {
        this.#abandon(this._getters, fut);
        throw e;
      }
      if (v === TIMED_OUT) {
        remove(this._getters, fut);
        throw new Empty();
      }
      if (this.qsize() > 0) {
        if (!take) {
          wakeFirst(this._getters);
          return this._peek();
        }
        const item = this.#takeNow();
        if (this.qsize() > 0) wakeFirst(this._getters);
        return item;
      }
      if (this._shutdown) throw new ShutDown();
      fut = this.#enqueue(this._getters, deadline, true);
    }
  }

  /** @internal Wakes every waiter (shutdown). */
  _wakeAll(): void {
    for (const ws of [this._getters, this._putters]) {
      const all = ws.splice(0);
      for (const w of all) if (!w.done()) w.setResult(true);
    }
  }

  /** Iterates, removing items as they come, until a `get` throws {@link ShutDown}. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => {
        try {
          return { value: await this.get(), done: false };
        } catch (e) {
          if (e instanceof ShutDown) return { value: undefined, done: true };
          throw e;
        }
      },
    };
  }
}

/**
 * gevent's `Queue` (before 25.4: `JoinableQueue`): a {@link SimpleQueue}
 * that counts unfinished tasks (`taskDone`, `join`) and can be shut down
 * (Python 3.13's `shutdown`).
 *
 * @example
 * ```ts
 * const q = new Queue<string>();
 * const handled: string[] = [];
 * const worker = spawn(function* () { for (;;) { const job = yield* q.get(); handled.push(job); q.taskDone(); } });
 * q.putNowait("a"); q.putNowait("b");
 * yield* q.join(); // both handled
 * worker.kill({ block: false });
 * ```
 */
export class Queue<T = unknown> extends SimpleQueue<T> {
  /** @internal */ _unfinished = 0;
  /** @internal */ _joiners: Waiters = [];

  /** A queue holding `items` at first (they count as unfinished tasks). */
  constructor(maxsize?: number | null, items: Iterable<T> = []) {
    super(maxsize, []);
    for (const x of items) {
      this._put(x);
      this._unfinished++;
    }
  }
  /** @internal */
  override _onPut(): void {
    this._unfinished++;
  }
  /** The number of items put and not yet marked done. */
  get unfinishedTasks(): number {
    return this._unfinished;
  }
  /** Marks one item as processed; `ValueError`-like `Error` if called more times than items were put. */
  taskDone(): void {
    if (this._unfinished <= 0) throw new Error("task_done() called too many times");
    if (--this._unfinished === 0) {
      const js = this._joiners.splice(0);
      for (const j of js) if (!j.done()) j.setResult(true);
    }
  }
  /** Waits until every item put was marked done, at most `timeout` seconds: true if so, false at the timeout. */
  join(timeout?: number | null): Awaitable<boolean> {
    if (this._unfinished === 0) return ready(true);
    const fut = timedFuture<unknown>(this._loopOf(), timeout) as Future<unknown>;
    this._joiners.push(fut);
    return toAwaitable(joinWait(fut, this._joiners));
  }
  /**
   * Shuts the queue down: `put` throws {@link ShutDown} from now on, and
   * `get` once the queue is empty; with `immediate`, the items are dropped
   * (and counted done) and `get` throws at once. Waiters are woken.
   */
  shutdown(immediate = false): void {
    this._shutdown = true;
    if (immediate) {
      while (this.qsize() > 0) {
        this._get();
        if (this._unfinished > 0) this._unfinished--;
      }
      if (this._unfinished === 0) {
        const js = this._joiners.splice(0);
        for (const j of js) if (!j.done()) j.setResult(true);
      }
    }
    this._wakeAll();
  }
  /** True once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this._shutdown;
  }
}

function* joinWait(fut: Future<unknown>, joiners: Waiters): Coroutine<boolean> {
  try {
    return (yield* fut) !== TIMED_OUT;
  } finally {
    remove(joiners, fut);
  }
}

/** gevent 22.10's name for {@link Queue}. */
export const JoinableQueue = Queue;

/**
 * A {@link Queue} that returns the smallest item first (compared as Python
 * compares: numbers, strings, arrays as tuples).
 *
 * @example
 * ```ts
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "b"]); q.putNowait([1, "a"]);
 * q.getNowait(); // [1, "a"]
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** @internal */
  override _put(item: T): void {
    const h = this._items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (pythonCompare(h[i], h[p]) >= 0) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  /** @internal */
  override _get(): T {
    const h = this._items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && pythonCompare(h[l], h[m]) < 0) m = l;
        if (r < h.length && pythonCompare(h[r], h[m]) < 0) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * A {@link Queue} that returns the most recently put item first.
 *
 * @example
 * ```ts
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait(); // 2
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */
  override _get(): T {
    return this._items.pop()!;
  }
  /** @internal */
  override _peek(): T {
    return this._items[this._items.length - 1]!;
  }
}

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
 * console.log(yield* ch.get()); // "hello"
 * ```
 */
export class Channel<T = unknown> {
  /** @internal */ _getters: Getter<T>[] = [];
  /** @internal */ _putters: { fut: Future<unknown>; item: T }[] = [];
  /** @internal items handed to a getter that was interrupted before it took them */ _stash: T[] = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;

  /** A channel (`maxsize` must be 1, as gevent's). */
  constructor(maxsize = 1) {
    if (maxsize !== 1) throw new Error("Channels have a maxsize of 1");
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
    let v: unknown;
    try {
      v = yield* entry.fut;
    } catch (e) {
      if (!entry.fut.done()) entry.fut.cancel();
      const i = this._putters.indexOf(entry);
      if (i >= 0) this._putters.splice(i, 1);
      throw e;
    }
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
    let v: unknown;
    try {
      v = yield* entry.fut;
    } catch (e) {
      if (!entry.fut.done()) entry.fut.cancel();
      const i = this._getters.indexOf(entry);
      if (i >= 0) this._getters.splice(i, 1);
      // Handed an item but interrupted before taking it: the next getter gets it.
      if (entry.has && !this.#handToGetter(entry.item as T, entry.putter)) {
        this._stash.push(entry.item as T);
        if (entry.putter !== undefined && !entry.putter.done()) entry.putter.setResult(undefined);
      }
      throw e;
    }
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

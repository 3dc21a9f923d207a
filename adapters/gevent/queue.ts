/**
 * gevent's queues (25.4 names): SimpleQueue, Queue (= JoinableQueue, with
 * task_done/join/shutdown), PriorityQueue and LifoQueue (Channel: channel.ts).
 *
 * Every call acts when it is called; the awaitable it returns only waits.
 * So the queue serves its waiters itself (gevent's `_unlock`): a waiting
 * putter's item goes in when a slot frees (gevent's `ItemWaiter`), and a
 * waiting getter is handed the next item, whether or not anyone drives the
 * awaitable yet. A getter interrupted after it was handed an item (killed,
 * or a Timeout scope fired, before it resumed) gives the item back to the
 * front of the queue, so a getter that times out or is killed never
 * swallows an item (if a putter took the freed slot meanwhile, the queue
 * holds one item over `maxsize` until the next get). (A waiter that only signalled, leaving the item for the
 * woken getter to take when it resumes, lost the wake-up when the awaitable
 * was dropped: the next getter starved beside a queued item.)
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
  ValueError,
  pythonCompare,
  toAwaitable,
} from "../../src/index.js";
import { Empty, Full, ShutDown } from "./errors.js";
import { loopFor, ready, READY_VOID, TIMED_OUT, timedFuture, waitHandOff } from "./hub.js";

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

/** A waiting putter: its item goes in when a slot frees (gevent's `ItemWaiter`). */
interface Putter<T> {
  readonly fut: Future<unknown>;
  readonly item: T;
}
/** A waiting getter (or peeker): handed the next item. */
interface QueueGetter<T> {
  readonly fut: Future<unknown>;
  readonly take: boolean;
  has: boolean;
  item?: T;
}

/** A putter's future: its item is in the queue. */
const PUT = 1;
/** A getter's future: it was handed an item. */
const HANDED = 2;
/** Either: the queue was shut down. */
const SHUT = 3;

function remove<W extends { fut: Future<unknown> }>(ws: W[], w: W): void {
  const i = ws.indexOf(w);
  if (i >= 0) ws.splice(i, 1);
}

/**
 * gevent's `SimpleQueue` (before 25.4: `Queue`): a FIFO of at most `maxsize`
 * items (undefined/null: unbounded; 0 or negative is unbounded as gevent's
 * deprecated `Queue(0)` and `Queue(-1)`). Waiting getters and putters are served FIFO.
 *
 * @example
 * ```ts
 * const q = new SimpleQueue<number>(10);
 * spawn(function* () { for (let i = 0; i < 3; i++) yield* q.put(i); });
 * const first = await q.get(); // 0 (in a greenlet: yield* q.get())
 * ```
 */
export class SimpleQueue<T = unknown> {
  /** The bound (undefined: unbounded). */
  readonly maxsize: number | undefined;
  /** @internal */ _getters: QueueGetter<T>[] = [];
  /** @internal */ _putters: Putter<T>[] = [];
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ _shutdown = false;
  /** @internal a _serve is scheduled */ _serving = false;
  /** @internal */ _items: T[] = [];
  /** @internal FIFO: the first item's index in _items (0 for the other orders) */ _head = 0;

  /** A queue holding `items` at first (`maxsize` 0 or negative: unbounded, as gevent's; not a number: TypeError). */
  constructor(maxsize?: number | null, items: Iterable<T> = []) {
    if (maxsize != null && (typeof maxsize !== "number" || Number.isNaN(maxsize)))
      throw new TypeError(`maxsize must be a number, got ${String(maxsize)}`);
    this.maxsize = maxsize == null || maxsize <= 0 ? undefined : maxsize;
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
  /** @internal Puts an item taken by an interrupted getter back where the next `_get` finds it. */
  _putBack(item: T): void {
    if (this._head > 0) this._items[--this._head] = item;
    else this._items.unshift(item);
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
   * `shutdown()`, {@link ShutDown}. A put that waits is queued at the call:
   * its item goes in when a slot frees, even if the awaitable is never
   * awaited; an interruption (a kill) before that withdraws it.
   */
  put(item: T, { block = true, timeout }: PutOptions = {}): Awaitable<void> {
    if (this._shutdown) throw new ShutDown();
    if (this._canPut()) {
      this.#putNow(item);
      return READY_VOID;
    }
    if (!block) throw new Full();
    const w: Putter<T> = { fut: timedFuture<unknown>(this._loopOf(), timeout) as Future<unknown>, item };
    this._putters.push(w);
    return toAwaitable(this.#putWait(w));
  }

  #putNow(item: T): void {
    this._put(item);
    this._onPut();
    if (this._getters.length > 0) this._scheduleServe();
  }

  /** @internal Hook for Queue's unfinished-task count. */
  _onPut(): void {}

  /**
   * @internal Serves the waiters from a loop callback, as gevent schedules
   * its `_unlock` (so the order of events is gevent's: a getter that frees a
   * slot goes on before the putter is let in).
   */
  _scheduleServe(): void {
    if (this._serving) return;
    this._serving = true;
    this._loopOf().callSoon(() => {
      this._serving = false;
      this._serve();
    });
  }

  /**
   * @internal gevent's `_unlock`: lets the first waiting putter in if there
   * is a slot, else hands the next item to the first waiting getter (a
   * peeker is handed the item without taking it). One waiter per callback:
   * gevent switches into a served waiter at once, so it runs before the next
   * one is served; here its wake-up is scheduled before the next `_serve`.
   */
  _serve(): void {
    const putters = this._putters;
    const getters = this._getters;
    let served = false;
    while (!served && putters.length > 0 && !this.full()) {
      const p = putters.shift()!;
      if (p.fut.done()) continue;
      this._put(p.item);
      this._onPut();
      p.fut.setResult(PUT);
      served = true;
    }
    while (!served && getters.length > 0 && this.qsize() > 0) {
      const g = getters.shift()!;
      if (g.fut.done()) continue;
      g.item = g.take ? this._get() : this._peek();
      g.has = true;
      g.fut.setResult(HANDED);
      served = true;
    }
    if ((putters.length > 0 && !this.full()) || (getters.length > 0 && this.qsize() > 0)) this._scheduleServe();
  }

  *#putWait(w: Putter<T>): Coroutine<void> {
    // Interrupted: withdrawn if not in yet (once in, the put happened and the interruption stands).
    const v = yield* waitHandOff(w.fut, () => remove(this._putters, w));
    if (v === TIMED_OUT) {
      remove(this._putters, w);
      throw new Full();
    }
    if (v === SHUT) throw new ShutDown();
  }

  /** `put(item, { block: false })`: throws {@link Full} if there is no free slot. */
  putNowait(item: T): void {
    this.put(item, { block: false });
  }

  /**
   * Removes and returns the next item, waiting for one (at most `timeout`
   * seconds, then {@link Empty}). `block: false` throws {@link Empty} at once.
   * A get that waits is queued at the call and handed the next item.
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
    if (this._putters.length > 0) this._scheduleServe();
    return item;
  }

  #getOrPeek(take: boolean, block: boolean, timeout: number | null | undefined): Awaitable<T> {
    // No barging: with getters waiting (served by a scheduled _serve), a newcomer queues behind them.
    if (this.qsize() > 0 && this._getters.length === 0) return ready(take ? this.#takeNow() : this._peek());
    if (this._shutdown && this.qsize() === 0) throw new ShutDown();
    if (!block) {
      if (this.qsize() > 0) return ready(take ? this.#takeNow() : this._peek());
      throw new Empty();
    }
    const w: QueueGetter<T> = {
      fut: timedFuture<unknown>(this._loopOf(), timeout) as Future<unknown>,
      take,
      has: false,
    };
    this._getters.push(w);
    if (this.qsize() > 0) this._scheduleServe();
    return toAwaitable(this.#getWait(w));
  }

  *#getWait(w: QueueGetter<T>): Coroutine<T> {
    const v = yield* waitHandOff(w.fut, () => {
      remove(this._getters, w);
      // Handed an item, then interrupted before resuming: the item goes back, to the next getter.
      if (w.has && w.take) {
        w.has = false;
        this._putBack(w.item as T);
        this._scheduleServe();
      }
    });
    if (w.has) return w.item as T;
    if (v === TIMED_OUT) {
      remove(this._getters, w);
      throw new Empty();
    }
    throw new ShutDown();
  }

  /** @internal Wakes every waiter (shutdown): putters and getters raise {@link ShutDown}. */
  _wakeAll(): void {
    for (const ws of [this._getters, this._putters] as { fut: Future<unknown> }[][]) {
      const all = ws.splice(0);
      for (const w of all) if (!w.fut.done()) w.fut.setResult(SHUT);
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
  /** Marks one item as processed; `ValueError` (as gevent) if called more times than items were put. */
  taskDone(): void {
    if (this._unfinished <= 0) throw new ValueError("task_done() called too many times");
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
    const i = joiners.indexOf(fut);
    if (i >= 0) joiners.splice(i, 1);
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
  /** @internal */
  override _putBack(item: T): void {
    this._put(item);
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
  /** @internal */
  override _putBack(item: T): void {
    this._items.push(item);
  }
}

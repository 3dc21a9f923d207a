/**
 * Queues (asyncio's `queues.py`): Queue (FIFO), PriorityQueue and
 * LifoQueue, with `join()`/`taskDone()` and 3.13's `shutdown()`.
 * @module
 */
import { ValueError } from "./errors.js";
import type { Future } from "./futures.js";
import type { EventLoop } from "./loop.js";
import { Event } from "./locks.js";
import type { Awaitable, Coroutine } from "./tasks.js";
import { READY_VOID, describe, readyAwaitable as ready, waitGen } from "./awaitable.js";
import { AbortHook, Deque, boundLoop, type AbortOptions } from "./waiters.js";

/**
 * Raised by {@link Queue.getNowait} on an empty queue.
 *
 * @example
 * ```ts
 * const q = new Queue<number>(10);
 * try { q.getNowait(); } catch (e) { if (e instanceof QueueEmpty) console.log("idle"); }
 * ```
 */
export class QueueEmpty extends Error {
  /** Always `"QueueEmpty"`. */
  override name = "QueueEmpty";
  /**
   * An empty-queue error.
   * @param message - what was attempted (the default names the non-blocking get)
   */
  constructor(message = "getNowait() on an empty queue: nothing to get without waiting (use await get())") {
    super(message);
  }
}

/**
 * Raised by {@link Queue.putNowait} on a full queue.
 *
 * @example
 * ```ts
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try { q.putNowait(2); } catch (e) { if (e instanceof QueueFull) console.log("dropped 2"); }
 * ```
 */
export class QueueFull extends Error {
  /** Always `"QueueFull"`. */
  override name = "QueueFull";
  /**
   * A full-queue error.
   * @param message - what was attempted (the default names the non-blocking put)
   */
  constructor(message = "putNowait() on a full queue: no room without waiting (use await put())") {
    super(message);
  }
}

/**
 * Raised when putting on a queue that was shut down, or getting from one
 * that was shut down and is empty (or shut down with `immediate`).
 *
 * @example
 * ```ts
 * const q = new Queue<number>(10);
 * q.shutdown();
 * try { await q.get(); } catch (e) { if (e instanceof QueueShutDown) return; throw e; }
 * ```
 */
export class QueueShutDown extends Error {
  /** Always `"QueueShutDown"`. */
  override name = "QueueShutDown";
  /**
   * A shut-down-queue error.
   * @param message - what was attempted on the shut-down queue
   */
  constructor(message = "the queue was shut down") {
    super(message);
  }
}

/**
 * What {@link Queue.statistics} returns.
 *
 * @example
 * ```ts
 * const q = new Queue<number>(10);
 * const { qsize, getters, putters, unfinishedTasks }: QueueStatistics = q.statistics();
 * ```
 */
export interface QueueStatistics {
  /** Items in the queue. */
  qsize: number;
  /** The capacity (0 or less: unbounded). */
  maxsize: number;
  /** Tasks waiting in `get()` (woken getters leave the line at once). */
  getters: number;
  /** Tasks waiting in `put()` (woken putters leave the line at once). */
  putters: number;
  /** Items put and not yet marked done with `taskDone()`: what `join()` waits for. */
  unfinishedTasks: number;
  /** True once `shutdown()` was called. */
  shutdown: boolean;
}

/**
 * A FIFO queue for producer and consumer tasks (asyncio's `Queue`). With
 * `maxsize > 0`, `put()` waits while the queue is full. Getters and
 * putters are served in FIFO order; a cancelled (or aborted) waiter that had
 * already been woken passes its wake-up to the next one. Async-iterable:
 * `for await (const item of q)` gets items until the queue is shut down and
 * empty (call `taskDone()` yourself if you use `join()`).
 *
 * @example
 * ```ts
 * const q = new Queue<string>(100);
 * createTask(async () => { for await (const url of q) { await fetchPage(url); q.taskDone(); } });
 * for (const u of urls) await q.put(u);
 * await q.join();
 * q.shutdown();
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ readonly _maxsize: number;
  /** @internal Test-only view of the getter line (asyncio's `_getters`). */ readonly _getters = new Deque<
    Future<void>
  >();
  /** @internal Test-only view of the putter line. */ readonly _putters = new Deque<Future<void>>();
  /** @internal */ _unfinishedTasks = 0;
  /** @internal */ readonly _finished = new Event();
  /** @internal */ _isShutdown = false;
  /** @internal The items (a deque here; subclasses store their own way). */ declare _queue: unknown;

  /**
   * A queue holding at most `maxsize` items; `maxsize <= 0` (the default)
   * means unbounded. A fractional `maxsize` is accepted, as in asyncio;
   * NaN is a `ValueError`.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * ```
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== "number") throw new TypeError(`Queue maxsize must be a number, got ${typeof maxsize}`);
    if (Number.isNaN(maxsize)) throw new ValueError("Queue maxsize must not be NaN");
    this._maxsize = maxsize;
    this._finished.set();
    this._init(maxsize);
  }

  // The storage, overridden by the subclasses (asyncio's _init/_get/_put).
  /** @internal */
  _init(_maxsize: number): void {
    this._queue = new Deque<T>();
  }
  /** @internal */
  _get(): T {
    return (this._queue as Deque<T>).shift() as T;
  }
  /** @internal */
  _put(item: T): void {
    (this._queue as Deque<T>).push(item);
  }
  /** @internal */
  _qsize(): number {
    return (this._queue as Deque<T>).length;
  }

  /** @internal Pops waiters until one is not done, and wakes it. */
  _wakeupNext(waiters: Deque<Future<void>>): void {
    while (waiters.length > 0) {
      const w = waiters.shift()!;
      if (!w.done()) {
        w.setResult(undefined);
        break;
      }
    }
  }

  /**
   * The number of items in the queue.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.qsize();
   * ```
   */
  qsize(): number {
    return this._qsize();
  }

  /**
   * The capacity given to the constructor (0 or less: unbounded).
   *
   * @example
   * ```ts
   * new Queue(5).maxsize; // 5
   * ```
   */
  get maxsize(): number {
    return this._maxsize;
  }

  /**
   * True if the queue holds no item.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * if (q.empty()) console.log("idle");
   * ```
   */
  empty(): boolean {
    return this._qsize() === 0;
  }

  /**
   * True if the queue holds `maxsize` items (never for an unbounded queue).
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * if (!q.full()) q.putNowait(1);
   * ```
   */
  full(): boolean {
    return this._maxsize > 0 && this._qsize() >= this._maxsize;
  }

  /**
   * Puts `item`, waiting while the queue is full. `QueueShutDown` if the
   * queue is (or gets) shut down. No loop iteration when there is room.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * await q.put(1); // waits while the queue is full
   * ```
   */
  put(item: T, options?: AbortOptions): Awaitable<void> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    if (!this.full()) {
      this.putNowait(item);
      return READY_VOID;
    }
    return waitGen(this._putGen(item, signal));
  }

  /** @internal asyncio's `Queue.put`. */
  *_putGen(item: T, signal: AbortSignal | undefined): Coroutine<void> {
    const putters = this._putters;
    while (this.full()) {
      if (this._isShutdown) throw new QueueShutDown("put() on a queue that was shut down");
      const putter = boundLoop(this).createFuture<void>();
      putters.push(putter);
      const hook = signal === undefined ? undefined : new AbortHook(signal, putter, () => putters.remove(putter));
      try {
        yield* putter;
        if (hook?.late) throw signal!.reason;
      } catch (e) {
        putter.cancel(); // in case it is not done yet
        // getNowait() or shutdown() may already have removed it.
        putters.remove(putter);
        // Woken by getNowait() but not taking the slot: pass it on. (An
        // abort that failed the pending putter was never woken.)
        if (!this.full() && !putter.cancelled() && !hook?.hit) this._wakeupNext(putters);
        throw e;
      } finally {
        hook?.dispose();
      }
    }
    this.putNowait(item);
  }

  /**
   * Puts `item` without waiting: `QueueFull` if full, `QueueShutDown` if
   * shut down.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.putNowait(1); // QueueFull if the queue is full
   * ```
   */
  putNowait(item: T): void {
    if (this._isShutdown) throw new QueueShutDown("putNowait() on a queue that was shut down");
    if (this.full())
      throw new QueueFull(
        `putNowait() on a full queue (maxsize ${this._maxsize}, ${this.qsize()} items): no room without waiting (use await put())`,
      );
    this._put(item);
    this._unfinishedTasks++;
    this._finished.clear();
    if (this._getters.length > 0) this._wakeupNext(this._getters);
  }

  /**
   * Removes and returns an item, waiting while the queue is empty.
   * `QueueShutDown` if the queue is shut down and empty. No loop iteration
   * when an item is there.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * getRunningLoop().callLater(1, () => q.putNowait(7));
   * const job = await q.get(); // 7, after 1 s
   * ```
   */
  get(options?: AbortOptions): Awaitable<T> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    if (this._qsize() > 0) return ready(this.getNowait());
    return waitGen(this._getGen(signal));
  }

  /** @internal asyncio's `Queue.get`. */
  *_getGen(signal: AbortSignal | undefined): Coroutine<T> {
    const getters = this._getters;
    while (this.empty()) {
      if (this._isShutdown) throw new QueueShutDown("get() on a queue that was shut down and is empty");
      const getter = boundLoop(this).createFuture<void>();
      getters.push(getter);
      const hook = signal === undefined ? undefined : new AbortHook(signal, getter, () => getters.remove(getter));
      try {
        yield* getter;
        if (hook?.late) throw signal!.reason;
      } catch (e) {
        getter.cancel(); // in case it is not done yet
        // putNowait() or shutdown() may already have removed it.
        getters.remove(getter);
        // Woken by putNowait() but not taking the item: pass it on.
        if (!this.empty() && !getter.cancelled() && !hook?.hit) this._wakeupNext(getters);
        throw e;
      } finally {
        hook?.dispose();
      }
    }
    return this.getNowait();
  }

  /**
   * Removes and returns an item without waiting: `QueueEmpty` if empty
   * (`QueueShutDown` if also shut down).
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.putNowait(7);
   * const job = q.getNowait(); // 7 (QueueEmpty if the queue is empty)
   * ```
   */
  getNowait(): T {
    if (this._qsize() === 0) {
      if (this._isShutdown) throw new QueueShutDown("getNowait() on a queue that was shut down and is empty");
      throw new QueueEmpty();
    }
    const item = this._get();
    if (this._putters.length > 0) this._wakeupNext(this._putters);
    return item;
  }

  /**
   * Marks one item taken with `get()` as processed; when every item put is
   * done, `join()` returns. `ValueError` if called more times than items
   * were put.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.putNowait(7);
   * const job = await q.get();
   * try { console.log(job); } finally { q.taskDone(); }
   * ```
   */
  taskDone(): void {
    if (this._unfinishedTasks <= 0) throw new ValueError("task_done() called too many times");
    this._unfinishedTasks--;
    if (this._unfinishedTasks === 0) this._finished.set();
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * await q.join();
   * ```
   */
  join(options?: AbortOptions): Awaitable<void> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    if (this._unfinishedTasks > 0) return this._finished.wait(options) as unknown as Awaitable<void>;
    return READY_VOID;
  }

  /**
   * Shuts the queue down: `put()` raises `QueueShutDown` from now on, and
   * `get()` once the queue is empty. With `immediate`, the items left are
   * dropped (each counted as done, which may release `join()`) and `get()`
   * raises at once. Every blocked `put()` and `get()` is woken to re-check.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.shutdown();      // consumers finish what is queued, then stop
   * q.shutdown(true);  // drop what is queued
   * ```
   */
  shutdown(immediate = false): void {
    this._isShutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this._get();
        if (this._unfinishedTasks > 0) this._unfinishedTasks--;
      }
      if (this._unfinishedTasks === 0) this._finished.set();
    }
    // Every getter and putter re-checks the state and raises.
    const getters = this._getters;
    while (getters.length > 0) {
      const g = getters.shift()!;
      if (!g.done()) g.setResult(undefined);
    }
    const putters = this._putters;
    while (putters.length > 0) {
      const p = putters.shift()!;
      if (!p.done()) p.setResult(undefined);
    }
  }

  /**
   * The queue's state, trio-style.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.statistics(); // { qsize: 3, maxsize: 10, getters: 0, putters: 0, unfinishedTasks: 5, shutdown: false }
   * ```
   */
  statistics(): QueueStatistics {
    return {
      qsize: this._qsize(),
      maxsize: this._maxsize,
      getters: this._getters.length,
      putters: this._putters.length,
      unfinishedTasks: this._unfinishedTasks,
      shutdown: this._isShutdown,
    };
  }

  /**
   * Gets items until the queue is shut down and empty (then the loop ends).
   * It does not call `taskDone()`.
   *
   * @example
   * ```ts
   * const q = new Queue<number>(10);
   * q.putNowait(1); q.putNowait(2); q.shutdown(); // the loop ends when the queue is shut down and empty
   * for await (const item of q) { console.log(item); q.taskDone(); }
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (e) {
        if (e instanceof QueueShutDown) return;
        throw e;
      }
      yield item;
    }
  }
}

/**
 * Compares like Python's `<` on what a PriorityQueue usually holds:
 * numbers, strings and bigints by value, arrays (tuples such as
 * `[priority, data]`) element by element. Anything else is a `TypeError`
 * asking for a `compare` function.
 *
 * @example
 * ```ts
 * pythonCompare([1, "b"], [1, "a"]); // 1
 * ```
 */
export function pythonCompare(a: unknown, b: unknown): number {
  const ta = typeof a;
  if ((ta === "number" || ta === "string" || ta === "bigint") && typeof b === ta) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] === b[i]) continue;
      const c = pythonCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(
    `'<' not supported between ${describe(a)} and ${describe(b)}: pass a compare function to PriorityQueue`,
  );
}

/**
 * Options of {@link PriorityQueue}.
 *
 * @example
 * ```ts
 * interface Job { deadline: number }
 * const opts: PriorityQueueOptions<Job> = { compare: (a, b) => a.deadline - b.deadline };
 * ```
 */
export interface PriorityQueueOptions<T> {
  /** Orders the items: negative if `a` comes out first. Default {@link pythonCompare}. */
  compare?: (a: T, b: T) => number;
}

/**
 * A queue that returns the smallest item first (asyncio's
 * `PriorityQueue`, a binary heap as `heapq`). Items are typically
 * `[priority, data]` tuples, compared like Python tuples; pass `compare`
 * for anything else.
 *
 * @example
 * ```ts
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "b"]); q.putNowait([1, "a"]);
 * q.getNowait(); // [1, "a"]
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** @internal */ declare _queue: T[];
  /** @internal */ declare _compare: (a: T, b: T) => number;

  /**
   * A priority queue holding at most `maxsize` items (0: unbounded).
   *
   * @example
   * ```ts
   * interface Job { deadline: number }
   * const q = new PriorityQueue<Job>(0, { compare: (a, b) => a.deadline - b.deadline });
   * q.putNowait({ deadline: 2 }); q.putNowait({ deadline: 1 });
   * q.getNowait(); // { deadline: 1 }
   * ```
   */
  constructor(maxsize = 0, options?: PriorityQueueOptions<T>) {
    super(maxsize);
    this._compare = options?.compare ?? (pythonCompare as (a: T, b: T) => number);
  }

  /** @internal */
  override _init(_maxsize: number): void {
    this._queue = [];
  }
  /** @internal */
  override _qsize(): number {
    return this._queue.length;
  }
  /** @internal heapq.heappush */
  override _put(item: T): void {
    const heap = this._queue;
    heap.push(item);
    siftDown(heap, 0, heap.length - 1, this._compare);
  }
  /** @internal heapq.heappop */
  override _get(): T {
    const heap = this._queue;
    const last = heap.pop()!;
    if (heap.length > 0) {
      const top = heap[0]!;
      heap[0] = last;
      siftUp(heap, 0, this._compare);
      return top;
    }
    return last;
  }
}

// heapq's _siftdown and _siftup, with cmp(a, b) < 0 for Python's a < b.
function siftDown<T>(heap: T[], startpos: number, pos: number, cmp: (a: T, b: T) => number): void {
  const newitem = heap[pos]!;
  while (pos > startpos) {
    const parentpos = (pos - 1) >> 1;
    const parent = heap[parentpos]!;
    if (cmp(newitem, parent) < 0) {
      heap[pos] = parent;
      pos = parentpos;
      continue;
    }
    break;
  }
  heap[pos] = newitem;
}

function siftUp<T>(heap: T[], pos: number, cmp: (a: T, b: T) => number): void {
  const endpos = heap.length;
  const startpos = pos;
  const newitem = heap[pos]!;
  let childpos = 2 * pos + 1;
  while (childpos < endpos) {
    const rightpos = childpos + 1;
    if (rightpos < endpos && !(cmp(heap[childpos]!, heap[rightpos]!) < 0)) childpos = rightpos;
    heap[pos] = heap[childpos]!;
    pos = childpos;
    childpos = 2 * pos + 1;
  }
  heap[pos] = newitem;
  siftDown(heap, startpos, pos, cmp);
}

/**
 * A queue that returns the most recently added item first (asyncio's
 * `LifoQueue`).
 *
 * @example
 * ```ts
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait(); // 2
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */ declare _queue: T[];

  /** @internal */
  override _init(_maxsize: number): void {
    this._queue = [];
  }
  /** @internal */
  override _qsize(): number {
    return this._queue.length;
  }
  /** @internal */
  override _put(item: T): void {
    this._queue.push(item);
  }
  /** @internal */
  override _get(): T {
    return this._queue.pop()!;
  }
}

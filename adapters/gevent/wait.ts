/**
 * Waiting on several objects: `sleep`, `wait`, `iwait`, `joinall`, `killall`.
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  type Future,
  currentTask,
  sleep as coreSleep,
  toAwaitable,
} from "../../src/index.js";
import type { Greenlet, KillOptions } from "./greenlet.js";
import { isHub, liveGreenletsDone, loopFor, ready, READY_VOID, TIMED_OUT, timedFuture, waitFor } from "./hub.js";
import { Timeout } from "./timeout.js";

/** Anything with gevent's `rawlink`/`unlink` protocol: greenlets, events, async results. */
export interface Linkable {
  /** Calls `cb(this)` once the object is ready (soon, if it is ready already). */
  rawlink(cb: (obj: any) => unknown): void;
  /** Removes `cb`. */
  unlink(cb: (obj: any) => unknown): void;
}

/** Options of {@link wait} and {@link iwait}. */
export interface WaitOptions {
  /** Seconds to wait at most (then the objects ready so far). */
  timeout?: number | null;
  /** Stop after this many objects are ready. */
  count?: number | null;
}

/**
 * Suspends the current greenlet for `seconds` (gevent's `sleep`); `sleep(0)`
 * lets the other runnable greenlets run (one loop pass). Works from async
 * code and outside any loop (on the hub) too.
 *
 * @example
 * ```ts
 * spawn(function* () { yield* sleep(0.5); console.log("half a second later"); });
 * ```
 */
export function sleep(seconds = 0): Awaitable<void> {
  const loop = loopFor();
  if (isHub(loop) && currentTask() === undefined) {
    // Top-level code on the hub: a wait that keeps the hub running.
    const fut = timedFuture<void>(loop, seconds);
    return waitFor(fut, () => undefined);
  }
  return coreSleep(seconds);
}

/**
 * Iterates over `objects` as they become ready (gevent's `iwait`), in the
 * order they do, at most `count` of them and for at most `timeout` seconds.
 * `for await` in async code; in a generator, `yield* it.next()`. Leaving
 * the loop (or `return()`) unlinks from every object.
 *
 * @example
 * ```ts
 * const [g1, g2, g3] = [3, 1, 2].map((s) => spawn(function* () { yield* sleep(s); return s; }));
 * for await (const g of iwait([g1, g2, g3])) console.log(g.value); // 1, 2, 3: in the order they finish
 * ```
 */
export function iwait<T extends Linkable>(objects: Iterable<T>, options: WaitOptions = {}): IWait<T> {
  return new IWait(objects, options);
}

/** The iterator of {@link iwait}: an async iterator whose `next()` is also `yield*`-able. */
export class IWait<T extends Linkable> {
  /** @internal */ readonly _objects: T[];
  /** @internal */ readonly _ready: T[] = [];
  /** @internal the next of _ready to hand out */ _head = 0;
  /** @internal */ _waiter: Future<unknown> | undefined = undefined;
  /** @internal */ _yielded = 0;
  /** @internal */ readonly _count: number;
  /** @internal */ readonly _deadline: number | undefined;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _closed = false;

  /** Links to every object (use {@link iwait}). */
  constructor(objects: Iterable<T>, { timeout, count }: WaitOptions = {}) {
    this._objects = [...objects];
    this._count = count == null ? this._objects.length : Math.min(count, this._objects.length);
    this._loop = loopFor();
    this._deadline = timeout == null ? undefined : this._loop.time() + timeout;
    for (const o of this._objects) o.rawlink(this.#onReady);
  }

  #onReady = (o: T): void => {
    if (this._closed) return;
    this._ready.push(o);
    const w = this._waiter;
    if (w !== undefined && !w.done()) w.setResult(undefined);
  };

  /** The next ready object, waiting for one; `done` after `count`, or at the timeout. */
  next(): Awaitable<IteratorResult<T, undefined>> {
    if (this._closed || this._yielded >= this._count) return ready(this.#finish());
    if (this._ready.length > this._head) return ready(this.#take());
    const remaining = this._deadline === undefined ? undefined : this._deadline - this._loop.time();
    const fut = timedFuture<void>(this._loop, remaining) as Future<unknown>;
    this._waiter = fut;
    return waitFor(
      fut,
      (v) => {
        this._waiter = undefined;
        if (v === TIMED_OUT || this._ready.length === this._head) return this.#finish();
        return this.#take();
      },
      () => {
        this._waiter = undefined;
      },
    );
  }

  #take(): IteratorResult<T, undefined> {
    this._yielded++;
    const v = this._ready[this._head]!;
    this._ready[this._head++] = undefined as unknown as T;
    return { value: v, done: false };
  }

  #finish(): IteratorReturnResult<undefined> {
    this.close();
    return { value: undefined, done: true };
  }

  /** Unlinks from every object; the iteration is over. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    for (const o of this._objects) o.unlink(this.#onReady);
  }

  /** Ends the iteration (what `break` in `for await` calls). */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The async iterator itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Waits for `objects` (gevent's `wait`): returns those that became ready, in
 * that order, at most `count`, within `timeout` seconds. Without objects,
 * waits until no greenlet of the loop is alive (gevent waits until the loop
 * has nothing left to do).
 *
 * @example
 * ```ts
 * const g1 = spawn(function* () { yield* sleep(0.5); });
 * const g2 = spawn(function* () { yield* sleep(5); });
 * const done = yield* wait([g1, g2], { timeout: 1 });
 * console.log(done.length); // 1: g1 only
 * ```
 */
export function wait<T extends Linkable>(objects?: Iterable<T> | null, options: WaitOptions = {}): Awaitable<T[]> {
  if (objects == null) {
    const fut = liveGreenletsDone(loopFor(), options.timeout);
    return waitFor(fut, () => [] as T[]);
  }
  const it = new IWait(objects, options);
  return toAwaitable(collect(it, false));
}

function* collect<T extends Linkable>(it: IWait<T>, raiseError: boolean): Coroutine<T[]> {
  const done: T[] = [];
  try {
    for (;;) {
      const r = yield* it.next();
      if (r.done) return done;
      const exc = (r.value as { exception?: unknown }).exception;
      if (raiseError && exc !== undefined) throw exc;
      done.push(r.value);
    }
  } finally {
    it.close();
  }
}

/** Options of {@link joinall}. */
export interface JoinAllOptions extends WaitOptions {
  /** Throw the error of the first greenlet to fail (default false). */
  raiseError?: boolean;
}

/**
 * Waits for the greenlets to finish (gevent's `joinall`) and returns those
 * that did, in the order they finished; with `raiseError`, throws the
 * error of the first one to fail.
 *
 * @example
 * ```ts
 * const a = function* () { yield* sleep(1); return "a"; };
 * const b = function* () { yield* sleep(3); return "b"; };
 * const finished = yield* joinall([spawn(a), spawn(b)], { timeout: 2 });
 * console.log(finished.map((g) => g.value)); // ["a"]
 * ```
 */
export function joinall<T>(greenlets: Iterable<Greenlet<T>>, options: JoinAllOptions = {}): Awaitable<Greenlet<T>[]> {
  const it = new IWait(greenlets, options);
  return toAwaitable(collect(it, options.raiseError === true));
}

/**
 * Kills every greenlet (gevent's `killall`): the kills are requested now;
 * with `block` (the default) the awaitable waits for them to die, at most
 * `timeout` seconds, and throws {@link Timeout} if some are still alive
 * then (as gevent 22.10 does).
 *
 * @example
 * ```ts
 * const workers = [1, 2].map(() => spawn(function* () { yield* sleep(60); }));
 * yield* killall(workers, { timeout: 1 });
 * console.log(workers.every((g) => g.dead)); // true
 * ```
 */
export function killall(greenlets: Iterable<Greenlet<unknown>>, options: KillOptions = {}): Awaitable<void> {
  const { block = true, timeout, exception } = options;
  const alive: Greenlet<unknown>[] = [];
  for (const g of greenlets) {
    if (g.dead) continue;
    g.kill({ exception, block: false });
    if (!g.dead) alive.push(g);
  }
  if (!block || alive.length === 0) return READY_VOID;
  const it = new IWait(alive, { timeout });
  return toAwaitable(killallWait(it, alive, timeout));
}

// As gevent 22.10 does: greenlets still alive at the timeout make it raise Timeout.
function* killallWait(it: IWait<Greenlet<unknown>>, alive: Greenlet<unknown>[], timeout: number | null | undefined) {
  yield* collect(it, false);
  if (alive.some((g) => !g.dead)) throw new Timeout(timeout ?? undefined);
}

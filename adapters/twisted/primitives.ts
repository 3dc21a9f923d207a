/**
 * DeferredLock, DeferredSemaphore and DeferredQueue (Twisted's
 * `defer._ConcurrencyPrimitive` family). Unlike asyncio's primitives,
 * they hand off synchronously and in FIFO order: `release()` fires the
 * first waiter's Deferred inside the call, and the lock stays locked in
 * between, so nobody can slip in.
 * @module
 */
import { RuntimeError, ValueError } from "../../src/index.js";
import { Deferred, maybeDeferred, succeed } from "./deferred.js";
import { QueueOverflow, QueueUnderflow } from "./errors.js";

/** Releases its primitive once, at the end of an `await using` block. */
class Releaser implements AsyncDisposable {
  #owner: ConcurrencyPrimitive | undefined;
  constructor(owner: ConcurrencyPrimitive) {
    this.#owner = owner;
  }
  [Symbol.asyncDispose](): Promise<void> {
    const o = this.#owner;
    this.#owner = undefined;
    o?.release();
    return Promise.resolve();
  }
}

/**
 * What DeferredLock and DeferredSemaphore share (Twisted's
 * `_ConcurrencyPrimitive`): `acquire`, `release`, and `run`.
 *
 * @example
 * ```ts
 * const lock: ConcurrencyPrimitive = new DeferredLock();
 * lock.run(() => succeed("written")); // acquire, run, release when its Deferred fires
 * ```
 */
export abstract class ConcurrencyPrimitive {
  /** The Deferreds of the waiting `acquire` calls, oldest first. */
  waiting: Array<Deferred<this>> = [];

  /** A Deferred that fires with this primitive once it is acquired (at once if free). Cancelling it leaves the queue. */
  abstract acquire(): Deferred<this>;
  /** Releases: hands the primitive to the first waiter, synchronously. */
  abstract release(): void;

  /**
   * Acquires, and fires with a handle whose `Symbol.asyncDispose` releases
   * (once): Twisted's `async with lock:` (`__aenter__`/`__aexit__`) as
   * `await using`, the same shape as the core primitives' `enter()`.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * {
   *   await using _ = await lock.enter();
   *   // ... held until the end of the block
   * }
   * ```
   */
  enter(): Deferred<AsyncDisposable> {
    return this.acquire().addCallback(() => new Releaser(this));
  }

  /**
   * Acquires, calls `f(...args)`, and releases once its result (a Deferred
   * is waited for) is in; the returned Deferred fires with that result.
   */
  run<R, A extends unknown[]>(f: (...args: A) => R | Deferred<R>, ...args: A): Deferred<R> {
    if (typeof f !== "function") throw new TypeError(`run() needs a function, got ${typeof f}`);
    return this.acquire().addCallback(() =>
      maybeDeferred(f, ...args).addBoth((r: unknown) => {
        this.release();
        return r;
      }),
    ) as unknown as Deferred<R>;
  }
}

/**
 * A lock for Deferred-based code (Twisted's `DeferredLock`).
 *
 * @example
 * ```ts
 * const lock = new DeferredLock();
 * lock.acquire().addCallback((l) => { console.log("locked"); l.release(); });
 * ```
 */
export class DeferredLock extends ConcurrencyPrimitive {
  /** True while someone holds the lock. */
  locked = false;

  /** @internal */
  _cancelAcquire = (d: Deferred<this>): void => {
    // Only reachable while d waits: release() removes it before firing it.
    this.waiting.splice(this.waiting.indexOf(d), 1);
  };

  override acquire(): Deferred<this> {
    const d = new Deferred<this>(this._cancelAcquire);
    if (this.locked) this.waiting.push(d);
    else {
      this.locked = true;
      d.callback(this);
    }
    return d;
  }

  /** Releases the lock, handing it straight to the first waiter. Releasing an unlocked lock throws. */
  override release(): void {
    if (!this.locked) throw new RuntimeError("Tried to release an unlocked lock");
    this.locked = false;
    if (this.waiting.length > 0) {
      this.locked = true;
      this.waiting.shift()!.callback(this);
    }
  }
}

/**
 * A semaphore for Deferred-based code (Twisted's `DeferredSemaphore`):
 * at most `tokens` holders at once.
 *
 * @example
 * ```ts
 * const getPage = (url: string) => succeed(`<page of ${url}>`);
 * const sem = new DeferredSemaphore(3);
 * const pages = urls.map((u) => sem.run(getPage, u)); // three at a time
 * ```
 */
export class DeferredSemaphore extends ConcurrencyPrimitive {
  /** The tokens left. */
  tokens: number;
  /** The number of tokens it was made with. */
  readonly limit: number;

  /** A semaphore with `tokens` (an integer ≥ 1; `ValueError` otherwise) slots. */
  constructor(tokens: number) {
    super();
    if (typeof tokens !== "number" || !Number.isInteger(tokens))
      throw new TypeError(`DeferredSemaphore tokens must be an integer, got ${tokens}`);
    if (tokens < 1) throw new ValueError("DeferredSemaphore requires tokens >= 1");
    this.tokens = tokens;
    this.limit = tokens;
  }

  /** @internal */
  _cancelAcquire = (d: Deferred<this>): void => {
    this.waiting.splice(this.waiting.indexOf(d), 1);
  };

  override acquire(): Deferred<this> {
    const d = new Deferred<this>(this._cancelAcquire);
    if (this.tokens === 0) this.waiting.push(d);
    else {
      this.tokens -= 1;
      d.callback(this);
    }
    return d;
  }

  /** Gives a token back, handing it straight to the first waiter. Releasing more than acquired throws. */
  override release(): void {
    if (this.tokens >= this.limit) throw new RuntimeError("Someone released me too many times: too many tokens!");
    this.tokens += 1;
    if (this.waiting.length > 0) {
      this.tokens -= 1;
      this.waiting.shift()!.callback(this);
    }
  }
}

/**
 * A queue for Deferred-based code (Twisted's `DeferredQueue`): `get()`
 * returns a Deferred that fires when an item is there. `size` bounds the
 * items held (`put` then throws {@link QueueOverflow}), `backlog` the
 * waiting getters (`get` then throws {@link QueueUnderflow}); undefined
 * means no bound.
 *
 * @example
 * ```ts
 * const q = new DeferredQueue<string>();
 * q.get().addCallback((line) => console.log(line));
 * q.put("hello"); // prints at once
 * ```
 */
export class DeferredQueue<T> {
  /** The Deferreds of the waiting getters, oldest first. */
  waiting: Array<Deferred<T>> = [];
  /** The items not taken yet, oldest first. */
  pending: T[] = [];
  /** The most items held at once, or undefined. */
  readonly size: number | undefined;
  /** The most waiting getters at once, or undefined. */
  readonly backlog: number | undefined;

  /** A queue holding at most `size` items with at most `backlog` waiting getters (undefined or null: no bound). */
  constructor(size?: number | null, backlog?: number | null) {
    this.size = size ?? undefined;
    this.backlog = backlog ?? undefined;
  }

  /** @internal */
  _cancelGet = (d: Deferred<T>): void => {
    this.waiting.splice(this.waiting.indexOf(d), 1);
  };

  /** Adds an item: hands it to the first waiting getter, or holds it; {@link QueueOverflow} when full. */
  put(obj: T): void {
    if (this.waiting.length > 0) this.waiting.shift()!.callback(obj);
    else if (this.size === undefined || this.pending.length < this.size) this.pending.push(obj);
    else throw new QueueOverflow();
  }

  /** A Deferred of the next item: fired at once if one is held; {@link QueueUnderflow} when the backlog is full. Cancelling it leaves the queue. */
  get(): Deferred<T> {
    if (this.pending.length > 0) return succeed(this.pending.shift()!);
    if (this.backlog === undefined || this.waiting.length < this.backlog) {
      const d = new Deferred<T>(this._cancelGet);
      this.waiting.push(d);
      return d;
    }
    throw new QueueUnderflow();
  }
}

/**
 * gevent's Group and Pool: sets of greenlets, joined and killed together;
 * a Pool bounds how many run at once. `imap`/`imapUnordered` with
 * `maxsize` backpressure.
 * @module
 */
import { type Awaitable, type Coroutine, type Future, ValueError, toAwaitable } from "../../src/index.js";
import { drive, startBody } from "./body.js";
import { PoolFull } from "./errors.js";
import { Event } from "./event.js";
import { GreenletExit } from "./errors.js";
import { Greenlet, type GreenletFunction, type GreenletResult, type KillOptions } from "./greenlet.js";
import { getcurrent, ready, READY_VOID, TIMED_OUT, waitHandOff } from "./hub.js";
import { Semaphore } from "./lock.js";
import { SimpleQueue } from "./queue.js";
import { Timeout } from "./timeout.js";
import { joinall } from "./wait.js";

/** Options of {@link Group.join}. */
export interface GroupJoinOptions {
  /** Seconds to wait at most. */
  timeout?: number | null;
  /** Throw the error of a greenlet that failed (default false). */
  raiseError?: boolean;
}

/** Options of `imap` and `imapUnordered`. */
export interface IMapOptions {
  /** At most this many finished results wait to be read (backpressure on the spawning). */
  maxsize?: number | null;
}

type Outcome = { ok: boolean; v: unknown; index: number };

/**
 * gevent's `Group`: a set of greenlets, removed as they die; joined, killed
 * and mapped over together.
 *
 * @example
 * ```ts
 * const group = new Group();
 * for (const url of urls) group.spawn(fetchPage, url);
 * yield* group.join();
 * ```
 */
export class Group {
  /** @internal */ readonly _greenlets = new Set<Greenlet<any>>();
  /** @internal */ readonly _dying = new Set<Greenlet<any>>();
  /** @internal */ readonly _empty = new Event();
  /** @internal */ readonly _discard = (g: Greenlet<any>): void => this.discard(g);

  /** A group holding `greenlets`. */
  constructor(greenlets: Iterable<Greenlet<any>> = []) {
    this._empty.set();
    for (const g of greenlets) this.#addNow(g);
  }

  /** The number of greenlets in the group. */
  get length(): number {
    return this._greenlets.size;
  }
  /** True if `g` is in the group. */
  has(g: Greenlet<any>): boolean {
    return this._greenlets.has(g);
  }
  /** The greenlets. */
  [Symbol.iterator](): Iterator<Greenlet<any>> {
    return this._greenlets.values();
  }

  /** @internal */
  #addNow(g: Greenlet<any>): void {
    if (this._greenlets.has(g)) return;
    g.rawlink(this._discard);
    this._greenlets.add(g);
    this._empty.clear();
  }

  /** Adds `g` (it leaves the group when it dies). */
  add(g: Greenlet<any>, _options?: { block?: boolean; timeout?: number | null }): Awaitable<void> {
    this.#addNow(g);
    return READY_VOID;
  }
  /** Removes `g`. */
  discard(g: Greenlet<any>): void {
    if (!this._greenlets.delete(g)) return;
    this._dying.delete(g);
    g.unlink(this._discard);
    this._onDiscard();
    if (this._greenlets.size === 0) this._empty.set();
  }
  /** @internal */
  _onDiscard(): void {}
  /** Adds `g` and starts it. */
  start(g: Greenlet<any>): Awaitable<void> {
    this.#addNow(g);
    g.start();
    return READY_VOID;
  }
  /** Creates a greenlet for `fn(...args)`, adds and starts it. */
  spawn<F extends GreenletFunction>(
    fn: F,
    ...args: Parameters<F>
  ): Greenlet<GreenletResult<ReturnType<F>>> | Awaitable<Greenlet<GreenletResult<ReturnType<F>>>> {
    const g = new Greenlet<GreenletResult<ReturnType<F>>>(fn, ...args);
    this.#addNow(g);
    g.start();
    return g;
  }
  /** False: a group is never full. */
  full(): boolean {
    return false;
  }
  /** @internal The greenlet of `spawn`, waiting for it where the pool is full. */
  *_spawnGen<F extends GreenletFunction>(fn: F, args: unknown[]): Coroutine<Greenlet<GreenletResult<ReturnType<F>>>> {
    const r = this.spawn(fn, ...(args as Parameters<F>));
    if (r instanceof Greenlet) return r;
    return yield* r;
  }

  /**
   * Waits until the group has been empty at least once, at most `timeout`
   * seconds: true if it is empty. With `raiseError`, throws the error of a
   * greenlet (of those in the group at the call) that failed.
   */
  join({ timeout, raiseError = false }: GroupJoinOptions = {}): Awaitable<boolean> {
    const greenlets = raiseError ? [...this._greenlets] : [];
    const w = this._empty.wait(timeout);
    return toAwaitable(
      (function* (self: Group): Coroutine<boolean> {
        const ok = yield* w;
        for (const g of greenlets) if (g.exception !== undefined) throw g.exception;
        return raiseError ? self._greenlets.size === 0 : ok;
      })(this),
    );
  }

  /**
   * Kills every greenlet, each once (a greenlet that survives a kill is not
   * shot again, as gevent's `dying` set); with `block` (the default) waits
   * until the group is empty, at most `timeout` seconds.
   */
  kill({ exception = GreenletExit, block = true, timeout }: KillOptions = {}): Awaitable<void> {
    for (const g of [...this._greenlets]) {
      if (this._dying.has(g)) continue;
      g.kill({ exception, block: false });
      this._dying.add(g);
    }
    if (!block) return READY_VOID;
    const timer = new Timeout(timeout);
    return toAwaitable(
      (function* (self: Group): Coroutine<void> {
        try {
          yield* timer.run(function* () {
            while (self._greenlets.size > 0) yield* joinall([...self._greenlets]);
          });
        } catch (e) {
          if (e !== timer) throw e;
        }
      })(this),
    );
  }

  /** Kills `g` if it is in the group and not being killed already; with `block`, waits for it. */
  killone(g: Greenlet<any>, { exception = GreenletExit, block = true, timeout }: KillOptions = {}): Awaitable<void> {
    if (this._dying.has(g) || !this._greenlets.has(g)) return READY_VOID;
    g.kill({ exception, block: false });
    this._dying.add(g);
    return block ? g.join(timeout) : READY_VOID;
  }

  /**
   * Runs `fn(...args)` in the group and returns its value. Called from one
   * of the group's own greenlets it runs `fn` right there (as gevent, which
   * avoids deadlocking a full pool).
   */
  apply<R>(fn: (...a: any[]) => R, args: unknown[] = []): Awaitable<GreenletResult<R>> {
    const me = getcurrent();
    if (me instanceof Greenlet && this._greenlets.has(me)) {
      return toAwaitable(drive(startBody(fn as GreenletFunction, args), undefined)) as Awaitable<GreenletResult<R>>;
    }
    const self = this;
    return toAwaitable(
      (function* (): Coroutine<GreenletResult<R>> {
        const g = yield* self._spawnGen(fn as GreenletFunction, args);
        return (yield* g.get()) as GreenletResult<R>;
      })(),
    );
  }

  /**
   * Starts `fn(...args)` and never waits: in the group if it has room, else
   * in a greenlet outside it. `callback` gets the value if it succeeds.
   */
  applyAsync<R>(
    fn: (...a: any[]) => R,
    args: unknown[] = [],
    callback?: (value: GreenletResult<R>) => unknown,
  ): Greenlet<GreenletResult<R>> {
    const g = new Greenlet<GreenletResult<R>>(fn as GreenletFunction, ...args);
    if (!this.full()) this.add(g, { block: false });
    g.start();
    if (callback !== undefined) g.linkValue((x) => callback(x.value as GreenletResult<R>));
    return g;
  }

  /** `fn` over every item, in the group; the values in the items' order. */
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>): Awaitable<GreenletResult<R>[]> {
    const it = this.imap(fn, iterable);
    return toAwaitable(
      (function* (): Coroutine<GreenletResult<R>[]> {
        const out: GreenletResult<R>[] = [];
        for (;;) {
          const r = yield* it.next();
          if (r.done) return out;
          out.push(r.value);
        }
      })(),
    );
  }

  /** `fn` over every item, in the group: the values in the items' order, as an async iterator. */
  imap<T, R>(fn: (item: T) => R, iterable: Iterable<T>, options: IMapOptions = {}): IMap<GreenletResult<R>> {
    return new IMap(this, fn as GreenletFunction, iterable, options.maxsize, true);
  }

  /** `fn` over every item, in the group: the values as they finish, as an async iterator. */
  imapUnordered<T, R>(fn: (item: T) => R, iterable: Iterable<T>, options: IMapOptions = {}): IMap<GreenletResult<R>> {
    return new IMap(this, fn as GreenletFunction, iterable, options.maxsize, false);
  }
}

const END: unique symbol = Symbol("end");

/**
 * The iterator of `imap`/`imapUnordered`: a feeder greenlet spawns the jobs
 * into the group (waiting for a slot in a pool, and for a result to be read
 * when `maxsize` results wait); `next()` is both awaitable and `yield*`-able.
 * An error of a job is thrown by the `next()` that reaches it; the
 * iteration goes on after it.
 */
export class IMap<R> {
  /** @internal */ readonly _results = new SimpleQueue<Outcome | typeof END>();
  /** @internal */ readonly _ordered: boolean;
  /** @internal */ readonly _waiting = new Map<number, Outcome>();
  /** @internal */ _next = 0;
  /** @internal */ _finished = false;
  /** @internal */ readonly _slots: Semaphore | undefined;
  /** @internal */ readonly _feeder: Greenlet<void>;

  /** Starts feeding (use `Group.imap`/`imapUnordered`). */
  constructor(
    group: Group,
    fn: GreenletFunction,
    iterable: Iterable<unknown>,
    maxsize: number | null | undefined,
    ordered: boolean,
  ) {
    this._ordered = ordered;
    this._slots = maxsize == null ? undefined : new Semaphore(maxsize);
    const self = this;
    let total = 0; // jobs (and an error of the iterable) counted in
    let done = 0; // outcomes queued
    let fed = false;
    const indexOf = new Map<Greenlet<unknown>, number>();
    const put = (o: Outcome): void => {
      self._results.putNowait(o);
      if (++done === total && fed) self._results.putNowait(END);
    };
    const onDone = (g: Greenlet<unknown>): void => {
      const index = indexOf.get(g)!;
      indexOf.delete(g);
      put({ ok: g.successful(), v: g.successful() ? g.value : g.exception, index });
    };
    this._feeder = new Greenlet(function* (): Coroutine<void> {
      try {
        for (const item of iterable) {
          if (self._slots !== undefined) yield* self._slots.acquire();
          const g = yield* group._spawnGen(fn, [item]);
          indexOf.set(g as Greenlet<unknown>, total++);
          g.rawlink(onDone);
        }
      } catch (e) {
        // An error of the iterable itself: delivered after the jobs before it, then the end.
        if (e instanceof GreenletExit) throw e;
        fed = true;
        put({ ok: false, v: e, index: total++ });
        return;
      }
      fed = true;
      if (done === total) self._results.putNowait(END);
    });
    this._feeder.start();
  }

  /** The next value (or throws the next error); done when every job was read. */
  next(): Awaitable<IteratorResult<R, undefined>> {
    return toAwaitable(this.#next());
  }

  *#next(): Coroutine<IteratorResult<R, undefined>> {
    for (;;) {
      if (this._finished) return { value: undefined, done: true };
      if (this._ordered && this._waiting.has(this._next)) {
        const o = this._waiting.get(this._next)!;
        this._waiting.delete(this._next++);
        return this.#deliver(o);
      }
      const o = yield* this._results.get();
      if (o === END) {
        if (this._ordered && this._waiting.size > 0) continue;
        this._finished = true;
        return { value: undefined, done: true };
      }
      if (this._ordered) {
        if (o.index !== this._next) {
          this._waiting.set(o.index, o);
          continue;
        }
        this._next++;
      }
      return this.#deliver(o);
    }
  }

  #deliver(o: Outcome): IteratorResult<R, undefined> {
    this._slots?.release();
    if (!o.ok) throw o.v;
    return { value: o.v as R, done: false };
  }

  /** Stops the feeding (jobs already running go on). */
  return(): Promise<IteratorReturnResult<undefined>> {
    this._finished = true;
    this._feeder.kill({ block: false });
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The async iterator itself. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * gevent's `Pool(size)`: a {@link Group} running at most `size` greenlets at
 * once (undefined: unbounded; 0: it can run nothing). `spawn` and `add` wait
 * for a free slot, so `Pool.spawn` returns an `Awaitable<Greenlet>`.
 *
 * @example
 * ```ts
 * const pool = new Pool(10);
 * for (const url of urls) yield* pool.spawn(fetchPage, url); // waits while 10 run
 * yield* pool.join();
 * ```
 */
export class Pool extends Group {
  /** The bound (undefined: unbounded). */
  readonly size: number | undefined;
  /** @internal */ readonly _slots: Semaphore | undefined;

  /** A pool of `size` slots (`ValueError` if negative, as gevent). */
  constructor(size?: number | null) {
    super();
    if (size != null && (typeof size !== "number" || size < 0))
      throw new ValueError(`size must not be negative: ${String(size)}`);
    this.size = size ?? undefined;
    this._slots = size == null ? undefined : new Semaphore(size);
  }
  /** The number of free slots (Infinity when unbounded). */
  freeCount(): number {
    return this._slots === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this._slots.counter);
  }
  /** True if no slot is free. */
  override full(): boolean {
    return this._slots?.locked() ?? false;
  }
  /** Waits until a slot is free (at most `timeout` seconds); returns the free count. */
  waitAvailable(timeout?: number | null): Awaitable<number> {
    if (this._slots === undefined) return ready(this.freeCount());
    const w = this._slots.wait(timeout);
    return toAwaitable(
      (function* (self: Pool): Coroutine<number> {
        yield* w;
        return self.freeCount();
      })(this),
    );
  }
  /** @internal */
  override _onDiscard(): void {
    this._slots?.release();
  }
  /**
   * Adds `g`, waiting for a free slot (at most `timeout` seconds, then
   * {@link PoolFull}); `block: false` throws {@link PoolFull} at once.
   */
  override add(
    g: Greenlet<any>,
    { block = true, timeout }: { block?: boolean; timeout?: number | null } = {},
  ): Awaitable<void> {
    if (this.has(g)) return READY_VOID;
    if (this._slots === undefined) return super.add(g);
    if (!this._slots.locked()) {
      this._slots.acquire({ blocking: false });
      return super.add(g);
    }
    if (!block) throw new PoolFull();
    return this.#addWhenFree(g, timeout, false);
  }

  /**
   * Adds `g` (and starts it, with `start`) as soon as a slot is handed to it,
   * from a loop callback, whether or not the returned awaitable is awaited
   * (every call acts when it is called). The awaitable throws
   * {@link PoolFull} at the timeout; an interruption before a slot freed
   * withdraws the request.
   */
  #addWhenFree(g: Greenlet<any>, timeout: number | null | undefined, start: boolean): Awaitable<void> {
    const slots = this._slots!;
    const fut = slots._waitUnit(timeout);
    fut.addDoneCallback((f) => {
      if (f.cancelled() || f.result() === TIMED_OUT) {
        slots._dropWaiter(f);
        return;
      }
      Group.prototype.add.call(this, g);
      if (start) g.start();
    });
    return toAwaitable(waitSlot(fut, slots));
  }
  /** Adds `g` (waiting for a slot) and starts it. */
  override start(g: Greenlet<any>): Awaitable<void> {
    if (this.has(g) || this._slots === undefined || !this._slots.locked()) {
      const added = this.add(g);
      g.start();
      return added;
    }
    return this.#addWhenFree(g, undefined, true);
  }
  /** Creates a greenlet for `fn(...args)`, waits for a free slot, then adds and starts it. */
  override spawn<F extends GreenletFunction>(
    fn: F,
    ...args: Parameters<F>
  ): Awaitable<Greenlet<GreenletResult<ReturnType<F>>>> {
    const g = new Greenlet<GreenletResult<ReturnType<F>>>(fn, ...args);
    if (this._slots === undefined || !this._slots.locked()) {
      this._slots?.acquire({ blocking: false });
      Group.prototype.add.call(this, g);
      g.start();
      return ready(g);
    }
    const added = this.#addWhenFree(g, undefined, true);
    return toAwaitable(
      (function* (): Coroutine<Greenlet<GreenletResult<ReturnType<F>>>> {
        yield* added;
        return g;
      })(),
    );
  }
}

function* waitSlot(fut: Future<unknown>, slots: Semaphore): Coroutine<void> {
  const v = yield* waitHandOff(fut, () => {
    // Withdrawn before a slot freed; once handed a slot, the add goes on (the interruption stands).
    if (fut.cancelled()) slots._dropWaiter(fut);
  });
  if (v === TIMED_OUT) throw new PoolFull();
}

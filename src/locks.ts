/**
 * Synchronization primitives (asyncio's `locks.py`): Lock, Event,
 * Condition, Semaphore, BoundedSemaphore and Barrier, with asyncio 3.13's
 * semantics: FIFO fairness without barging, and the wake-the-next-waiter
 * rules that keep a cancelled (or aborted) waiter from losing a wake-up.
 *
 * Every waiting call returns an {@link Awaitable}: `await lock.acquire()` in
 * async functions, `yield* lock.acquire()` in generator coroutines, and
 * takes an optional `{ signal }` ({@link AbortOptions}).
 * @module
 */
import { RuntimeError, ValueError, isCancelledError } from "./errors.js";
import type { Future } from "./futures.js";
import type { EventLoop } from "./loop.js";
import {
  FutWaiter,
  READY_TRUE,
  isGenerator,
  isThenable,
  readyAwaitable as ready,
  waitFut,
  waitGen,
  type Awaitable,
  type Coroutine,
} from "./awaitable.js";
import { AbortHook, Deque, boundLoop, type AbortOptions } from "./waiters.js";

export type { AbortOptions } from "./waiters.js";

/**
 * A function that {@link Lock.run} and the other `run` methods call while
 * holding the primitive: an async function, a generator function or a
 * plain function.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * const section: CriticalSection<number> = async () => { await sleep(0.1); return 1; };
 * await lock.run(section);
 * ```
 */
export type CriticalSection<R> = () => PromiseLike<R> | Coroutine<R> | R;

/** A new waiter future at the end of `self`'s line, with its abort hook when a signal is given. */
function joinLine(
  self: { _waiters: Deque<Future<boolean>> | undefined; _loop: EventLoop | undefined },
  signal: AbortSignal | undefined,
): [Future<boolean>, AbortHook | undefined] {
  const waiters = (self._waiters ??= new Deque());
  const fut = boundLoop(self).createFuture<boolean>();
  waiters.push(fut);
  return [fut, signal === undefined ? undefined : new AbortHook(signal, fut, () => waiters.remove(fut))];
}

// Releases once, on `await using` exit.
class Releaser implements AsyncDisposable {
  #owner: { release(): void } | undefined;
  constructor(owner: { release(): void }) {
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
 * What Lock, Semaphore, BoundedSemaphore and Condition share: asyncio's
 * `_ContextManagerMixin` as a callback (`run`) and as `await using`
 * (`enter`).
 */
export abstract class AcquireRelease {
  /** @internal */ _loop: EventLoop | undefined = undefined;

  /**
   * Waits until acquired; resolves to true.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * await lock.acquire();
   * try { work(); } finally { lock.release(); }
   * ```
   */
  abstract acquire(options?: AbortOptions): Awaitable<true>;

  /**
   * Releases what {@link acquire} took.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * await lock.acquire();
   * lock.release();
   * ```
   */
  abstract release(): void;

  /** @internal The waiting path of `acquire` as a generator (it re-checks the fast path first). */
  abstract _acquireGen(signal: AbortSignal | undefined): Coroutine<true>;

  /**
   * Acquires, runs `fn` (an async function, a generator function or a plain
   * function), releases in a `finally`, and returns `fn`'s result: asyncio's
   * `async with lock: ...`. In a generator coroutine, pass a generator
   * function so that a cancellation reaches the exact point where it waits.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * const n = await lock.run(async () => { await sleep(0.1); return 42; });
   * function* gen(): Coroutine<number> {
   *   return yield* lock.run(function* () { yield* sleep(0.1); return 43; });
   * }
   * ```
   */
  run<R>(fn: CriticalSection<R>, options?: AbortOptions): Awaitable<R> {
    return waitGen(runGen(this, fn, options));
  }

  /**
   * Acquires and returns a handle whose `Symbol.asyncDispose` releases: for
   * `await using`.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * {
   *   await using _ = await lock.enter();
   *   // ... the lock is held until the end of the block
   * }
   * ```
   */
  enter(options?: AbortOptions): Awaitable<AsyncDisposable> {
    const a = this.acquire(options);
    if (a === READY_TRUE) return ready<AsyncDisposable>(new Releaser(this));
    return waitGen(enterGen(this, a));
  }
}

function* runGen<R>(cm: AcquireRelease, fn: CriticalSection<R>, options: AbortOptions | undefined): Coroutine<R> {
  const a = cm.acquire(options); // joins the line now (the eager first step)
  if (a instanceof FutWaiter) {
    // Waits on the future here rather than in a nested generator (a
    // pending run() is one generator: memory per queued job is speed).
    let failed = false;
    let exc: unknown;
    try {
      yield* a.fut;
    } catch (e) {
      failed = true;
      exc = e;
    }
    a._resume(failed, exc);
  } else if (a !== READY_TRUE) yield* a;
  try {
    const r = fn();
    if (isGenerator(r)) return yield* r as Coroutine<R>;
    if (isThenable(r)) return (yield r) as R; // awaited by the task (or by the async-function driver)
    return r as R;
  } finally {
    cm.release();
  }
}

function* enterGen(cm: AcquireRelease, a: Awaitable<true>): Coroutine<AsyncDisposable> {
  yield* a;
  return new Releaser(cm);
}

function allCancelled(waiters: Deque<Future<unknown>>): boolean {
  const a = waiters._a;
  for (let i = waiters._h; i < a.length; i++) if (!a[i]!.cancelled()) return false;
  return true;
}

/**
 * What {@link Lock.statistics} returns.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * const { locked, waiters }: LockStatistics = lock.statistics();
 * ```
 */
export interface LockStatistics {
  /** True while the lock is held. */
  locked: boolean;
  /** Waiter futures in the line, including cancelled ones whose task has not resumed yet (asyncio's `len(lock._waiters)`). */
  waiters: number;
}

/**
 * A mutual-exclusion lock (asyncio's `Lock`). Not owned: any task may
 * release it. Waiters are served in FIFO order; a newcomer never takes the
 * lock ahead of a waiter that was woken but has not run yet.
 *
 * Invariant: if the lock is free and a waiter is not cancelled, the first
 * waiter's future is done (it is about to take the lock).
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * await lock.run(async () => { await sleep(0.1); }); // or:
 * await lock.acquire(); try { await sleep(0.1); } finally { lock.release(); }
 * ```
 */
export class Lock extends AcquireRelease {
  /** @internal Test-only view of the waiter line (asyncio's `_waiters`). */ _waiters:
    | Deque<Future<boolean>>
    | undefined = undefined;
  /** @internal */ _locked = false;

  /**
   * True while the lock is held.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * if (!lock.locked()) await lock.acquire();
   * ```
   */
  locked(): boolean {
    return this._locked;
  }

  /**
   * Waits until the lock is free, takes it and resolves to true. No loop
   * iteration when the lock is free and nobody waits.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * await lock.acquire({ signal: AbortSignal.timeout(1000) });
   * ```
   */
  acquire(options?: AbortOptions): Awaitable<true> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    // Fair: take it at once only if nobody (not cancelled) is in the line.
    if (!this._locked && (this._waiters === undefined || allCancelled(this._waiters))) {
      this._locked = true;
      return READY_TRUE;
    }
    return new FutWaiter(this, ...this._enqueue(signal));
  }

  /** @internal Joins the line (asyncio's `Lock.acquire` up to `await fut`). */
  _enqueue(signal: AbortSignal | undefined): [Future<boolean>, AbortHook | undefined] {
    return joinLine(this, signal);
  }

  /** @internal asyncio's `Lock.acquire`, as a generator. */
  *_acquireGen(signal: AbortSignal | undefined): Coroutine<true> {
    if (!this._locked && (this._waiters === undefined || allCancelled(this._waiters))) {
      this._locked = true;
      return true;
    }
    const [fut, hook] = this._enqueue(signal);
    return yield* waitFut(this, fut, hook);
  }

  /** @internal asyncio's `Lock.acquire` after `await fut`. */
  _afterWait(fut: Future<boolean>, hook: AbortHook | undefined, failed: boolean, exc: unknown): true {
    this._waiters!.remove(fut);
    if (hook?.disposeWasLate() && !failed) {
      failed = true; // woken, then aborted: as a cancellation
      exc = hook.signal.reason;
    }
    if (failed) {
      // Cancellation or abort, the only exceptions that can occur here. If
      // the lock is free, make sure the head of the line will run (bpo-27585).
      if (!this._locked) this._wakeUpFirst();
      throw exc;
    }
    this._locked = true;
    return true;
  }

  /**
   * Releases the lock and wakes the first waiter. `RuntimeError` if the lock
   * is not held.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * await lock.acquire();
   * lock.release();
   * ```
   */
  release(): void {
    if (this._locked) {
      this._locked = false;
      this._wakeUpFirst();
    } else {
      throw new RuntimeError("Lock is not acquired.");
    }
  }

  /** @internal Wakes the head of the line unless it is already set to wake up. */
  _wakeUpFirst(): void {
    const fut = this._waiters?.peek();
    if (fut !== undefined && !fut.done()) fut.setResult(true);
  }

  /**
   * The lock's state, trio-style.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * lock.statistics(); // { locked: true, waiters: 2 }
   * ```
   */
  statistics(): LockStatistics {
    return { locked: this._locked, waiters: this._waiters?.length ?? 0 };
  }
}

/**
 * What {@link Event.statistics} returns.
 *
 * @example
 * ```ts
 * const ev = new Event();
 * const { isSet, waiters }: EventStatistics = ev.statistics();
 * ```
 */
export interface EventStatistics {
  /** The flag. */
  isSet: boolean;
  /** Waiter futures in the line (woken ones stay until their task resumes). */
  waiters: number;
}

/**
 * A flag that tasks can wait for (asyncio's `Event`). `set()` wakes every
 * waiter; `clear()` only resets the flag, so waiters already woken still
 * return true.
 *
 * @example
 * ```ts
 * const ready = new Event();
 * createTask(async () => { await ready.wait(); console.log("go"); });
 * ready.set();
 * ```
 */
export class Event {
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal Test-only view of the waiter line. */ _waiters = new Deque<Future<boolean>>();
  /** @internal */ _value = false;

  /**
   * True if the flag is set.
   *
   * @example
   * ```ts
   * const ev = new Event();
   * getRunningLoop().callLater(1, () => ev.set());
   * if (!ev.isSet()) await ev.wait();
   * ```
   */
  isSet(): boolean {
    return this._value;
  }

  /**
   * Sets the flag and wakes every waiter.
   *
   * @example
   * ```ts
   * const ev = new Event();
   * ev.set();
   * ```
   */
  set(): void {
    if (!this._value) {
      this._value = true;
      for (const fut of this._waiters) if (!fut.done()) fut.setResult(true);
    }
  }

  /**
   * Resets the flag: later `wait()` calls block until the next `set()`.
   *
   * @example
   * ```ts
   * const ev = new Event();
   * ev.clear();
   * ```
   */
  clear(): void {
    this._value = false;
  }

  /**
   * Waits until the flag is set; resolves to true (at once if it is set).
   *
   * @example
   * ```ts
   * const ev = new Event();
   * getRunningLoop().callLater(1, () => ev.set());
   * await ev.wait(); // true, after 1 s
   * ```
   */
  wait(options?: AbortOptions): Awaitable<true> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    if (this._value) return READY_TRUE;
    const waiters = this._waiters;
    const fut = boundLoop(this).createFuture<boolean>();
    waiters.push(fut);
    return new FutWaiter(
      this,
      fut,
      signal === undefined ? undefined : new AbortHook(signal, fut, () => waiters.remove(fut)),
    );
  }

  /** @internal asyncio's `Event.wait` after `await fut`. */
  _afterWait(fut: Future<boolean>, hook: AbortHook | undefined, failed: boolean, exc: unknown): true {
    this._waiters.remove(fut);
    if (hook !== undefined) {
      hook.dispose();
      if (!failed && hook.late) throw hook.signal.reason;
    }
    if (failed) throw exc;
    return true;
  }

  /**
   * The event's state, trio-style.
   *
   * @example
   * ```ts
   * const ev = new Event();
   * ev.statistics(); // { isSet: false, waiters: 3 }
   * ```
   */
  statistics(): EventStatistics {
    return { isSet: this._value, waiters: this._waiters.length };
  }
}

/**
 * What {@link Condition.statistics} returns.
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * const { lockStatistics, waiters }: ConditionStatistics = cond.statistics();
 * ```
 */
export interface ConditionStatistics {
  /** The statistics of the underlying lock. */
  lockStatistics: LockStatistics;
  /** Tasks waiting to be notified. */
  waiters: number;
}

/**
 * A condition variable (asyncio's `Condition`): tasks `wait()` (releasing
 * the lock) until another task holding the lock calls `notify()`. A waiter
 * always re-acquires the lock before `wait()` ends, even when cancelled;
 * then it re-raises that same `CancelledError` instance. Spurious wake-ups
 * are allowed (a waiter that fails after being notified passes the
 * notification on): re-check the predicate, or use {@link waitFor}.
 *
 * @example
 * ```ts
 * const cond = new Condition();
 * const items: number[] = [];
 * // consumer
 * const consumer = createTask(() => cond.run(async () => { await cond.waitFor(() => items.length > 0); items.shift(); }));
 * // producer
 * await cond.run(() => { items.push(1); cond.notify(); });
 * await consumer;
 * ```
 */
export class Condition extends AcquireRelease {
  /** @internal */ readonly _lock: Lock;
  /** @internal Test-only view of the waiter line. */ _waiters = new Deque<Future<boolean>>();

  /**
   * A condition on `lock`, or on a new {@link Lock}.
   *
   * @example
   * ```ts
   * const lock = new Lock();
   * const cond = new Condition(lock);
   * ```
   */
  constructor(lock?: Lock) {
    super();
    if (lock !== undefined && !(lock instanceof Lock)) throw new TypeError("Condition() expects a Lock");
    this._lock = lock ?? new Lock();
  }

  /**
   * True while the underlying lock is held.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * cond.locked();
   * ```
   */
  locked(): boolean {
    return this._lock._locked;
  }

  /**
   * Acquires the underlying lock.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * await cond.acquire();
   * ```
   */
  acquire(options?: AbortOptions): Awaitable<true> {
    return this._lock.acquire(options);
  }

  /**
   * Releases the underlying lock.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * await cond.acquire();
   * cond.release();
   * ```
   */
  release(): void {
    this._lock.release();
  }

  /** @internal */
  _acquireGen(signal: AbortSignal | undefined): Coroutine<true> {
    return this._lock._acquireGen(signal);
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock and
   * resolves to true. `RuntimeError` if the lock is not held. On
   * cancellation (or abort) the lock is still re-acquired before the error
   * propagates.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * let ready = false;
   * getRunningLoop().callLater(1, () => cond.run(() => { ready = true; cond.notify(); }));
   * await cond.acquire();
   * try { while (!ready) await cond.wait(); } finally { cond.release(); }
   * ```
   */
  wait(options?: AbortOptions): Awaitable<true> {
    const signal = options?.signal;
    if (!this._lock._locked) throw new RuntimeError("cannot wait on un-acquired lock");
    if (signal !== undefined) signal.throwIfAborted();
    return waitGen(this._waitGen(signal));
  }

  /** @internal asyncio's `Condition.wait`. */
  *_waitGen(signal: AbortSignal | undefined): Coroutine<true> {
    if (!this._lock._locked) throw new RuntimeError("cannot wait on un-acquired lock");
    const waiters = this._waiters;
    const fut = boundLoop(this).createFuture<boolean>();
    this.release();
    try {
      try {
        waiters.push(fut);
        const hook = signal === undefined ? undefined : new AbortHook(signal, fut, () => waiters.remove(fut));
        try {
          yield* fut;
          if (hook?.late) throw signal!.reason;
          return true;
        } finally {
          waiters.remove(fut);
          hook?.dispose();
        }
      } finally {
        // Must re-acquire the lock even if the wait is cancelled; only
        // CancelledError is swallowed (anything else must not spin), and
        // the most recent instance is re-raised (cpython #111693).
        let err: unknown;
        let cancelled = false;
        for (;;) {
          try {
            yield* this._lock.acquire();
            break;
          } catch (e) {
            if (!isCancelledError(e)) throw e;
            err = e;
            cancelled = true;
          }
        }
        if (cancelled) throw err;
      }
    } catch (e) {
      // The error may have come after this task was notified: pass the
      // notification on (a spurious wake-up, which is allowed).
      this._notify(1);
      throw e;
    }
  }

  /**
   * Waits until `predicate()` is truthy and returns its value, calling
   * {@link wait} as often as needed. Needs the lock, like `wait`.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * const queue: number[] = [1];
   * await cond.run(async () => { await cond.waitFor(() => queue.length > 0); });
   * ```
   */
  waitFor<R>(predicate: () => R, options?: AbortOptions): Awaitable<R> {
    return waitGen(this._waitForGen(predicate, options?.signal));
  }

  /** @internal */
  *_waitForGen<R>(predicate: () => R, signal: AbortSignal | undefined): Coroutine<R> {
    let result = predicate();
    while (!result) {
      if (!this._lock._locked) throw new RuntimeError("cannot wait on un-acquired lock");
      if (signal !== undefined) signal.throwIfAborted();
      yield* this._waitGen(signal);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters (default 1). Needs the lock (`RuntimeError`
   * otherwise); the woken tasks proceed once the caller releases it.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * const items: number[] = [];
   * await cond.run(() => { items.push(1); cond.notify(); });
   * ```
   */
  notify(n = 1): void {
    if (!this._lock._locked) throw new RuntimeError("cannot notify on un-acquired lock");
    this._notify(n);
  }

  /** @internal Sets False on up to n waiters not done yet. */
  _notify(n: number): void {
    let idx = 0;
    for (const fut of this._waiters) {
      if (idx >= n) break;
      if (!fut.done()) {
        idx++;
        fut.setResult(false);
      }
    }
  }

  /**
   * Wakes every waiter. Needs the lock.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * let done = false;
   * await cond.run(() => { done = true; cond.notifyAll(); });
   * ```
   */
  notifyAll(): void {
    this.notify(this._waiters.length);
  }

  /**
   * The condition's state, trio-style.
   *
   * @example
   * ```ts
   * const cond = new Condition();
   * cond.statistics(); // { lockStatistics: { locked: false, waiters: 0 }, waiters: 2 }
   * ```
   */
  statistics(): ConditionStatistics {
    return { lockStatistics: this._lock.statistics(), waiters: this._waiters.length };
  }
}

/**
 * What {@link Semaphore.statistics} returns.
 *
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * const { value, waiters }: SemaphoreStatistics = sem.statistics();
 * ```
 */
export interface SemaphoreStatistics {
  /** Permits available now (permits reserved for woken waiters are already taken). */
  value: number;
  /** Waiter futures in the line, including cancelled ones whose task has not resumed yet. */
  waiters: number;
}

function checkPermits(value: number, what: string): void {
  if (typeof value !== "number") throw new TypeError(`${what} initial value must be a number, got ${typeof value}`);
  // asyncio rejects negatives; NaN and fractions make no sense as a count
  // of permits (Python would accept them and misbehave).
  if (Number.isNaN(value) || value < 0 || !(Number.isInteger(value) || value === Infinity))
    throw new ValueError(`${what} initial value must be an integer >= 0, got ${value}`);
}

/**
 * A counter of permits (asyncio's `Semaphore`): `acquire()` takes one,
 * waiting while none is free; `release()` gives one back. Waiters are
 * served in FIFO order: a free permit does not let a newcomer skip the line.
 *
 * @example
 * ```ts
 * const sem = new Semaphore(10); // at most 10 fetches at a time
 * await Promise.all(urls.map((u) => sem.run(() => fetchPage(u))));
 * ```
 */
export class Semaphore extends AcquireRelease {
  /** @internal Test-only view of the waiter line. */ _waiters: Deque<Future<boolean>> | undefined = undefined;
  /** @internal */ _value: number;

  /**
   * A semaphore with `value` permits (default 1). `ValueError` if `value`
   * is negative, NaN or not an integer.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(3);
   * ```
   */
  constructor(value = 1) {
    super();
    checkPermits(value, new.target.name);
    this._value = value;
  }

  /**
   * True if `acquire()` would wait: no permit, or tasks already waiting.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * sem.locked();
   * ```
   */
  locked(): boolean {
    if (this._value === 0) return true;
    const w = this._waiters;
    return w !== undefined && w.length > 0 && !allCancelled(w);
  }

  /**
   * Takes a permit, waiting in line if none is free; resolves to true.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * await sem.acquire();
   * try { await work(); } finally { sem.release(); }
   * ```
   */
  acquire(options?: AbortOptions): Awaitable<true> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    if (!this.locked()) {
      this._value--;
      return READY_TRUE;
    }
    return new FutWaiter(this, ...this._enqueue(signal));
  }

  /** @internal Joins the line. */
  _enqueue(signal: AbortSignal | undefined): [Future<boolean>, AbortHook | undefined] {
    return joinLine(this, signal);
  }

  /** @internal asyncio 3.13's `Semaphore.acquire`, as a generator. */
  *_acquireGen(signal: AbortSignal | undefined): Coroutine<true> {
    if (!this.locked()) {
      this._value--;
      return true;
    }
    const [fut, hook] = this._enqueue(signal);
    return yield* waitFut(this, fut, hook);
  }

  /** @internal asyncio 3.13's `Semaphore.acquire` after `await fut`. */
  _afterWait(fut: Future<boolean>, hook: AbortHook | undefined, failed: boolean, exc: unknown): true {
    try {
      this._waiters!.remove(fut);
      if (hook?.disposeWasLate() && !failed) {
        failed = true; // woken, then aborted: as a cancellation
        exc = hook.signal.reason;
      }
      if (failed) {
        // Woken (a permit was reserved for us by _wakeUpNext) but not
        // taking it: give the permit back. An abort that failed the pending
        // future reserved nothing.
        if (fut.done() && !fut.cancelled() && !hook?.hit) this._value++;
        throw exc;
      }
    } finally {
      // New waiters may have queued behind us while permits were free
      // (FIFO): wake as many as the permits allow.
      while (this._value > 0) if (!this._wakeUpNext()) break;
    }
    return true;
  }

  /**
   * Gives a permit back and wakes the first waiter.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * sem.release();
   * ```
   */
  release(): void {
    this._value++;
    this._wakeUpNext();
  }

  /** @internal Wakes the first waiter not done, reserving a permit for it. */
  _wakeUpNext(): boolean {
    const w = this._waiters;
    if (w === undefined) return false;
    const a = w._a;
    for (let i = w._h; i < a.length; i++) {
      const fut = a[i]!;
      if (!fut.done()) {
        this._value--;
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }

  /**
   * The semaphore's state, trio-style.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * sem.statistics(); // { value: 0, waiters: 4 }
   * ```
   */
  statistics(): SemaphoreStatistics {
    return { value: this._value, waiters: this._waiters?.length ?? 0 };
  }
}

/**
 * A {@link Semaphore} that refuses to be released above its initial value
 * (`ValueError`), which catches a release without a matching acquire.
 *
 * @example
 * ```ts
 * const sem = new BoundedSemaphore(2);
 * try { sem.release(); } catch (e) { console.log(e instanceof ValueError); } // true: released too many times
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** @internal */ readonly _boundValue: number;

  /**
   * A bounded semaphore with `value` permits (default 1).
   *
   * @example
   * ```ts
   * const sem = new BoundedSemaphore(5);
   * ```
   */
  constructor(value = 1) {
    super(value);
    this._boundValue = value;
  }

  /**
   * Gives a permit back; `ValueError` if that would exceed the initial value.
   *
   * @example
   * ```ts
   * const sem = new Semaphore(2);
   * sem.release();
   * ```
   */
  override release(): void {
    if (this._value >= this._boundValue) throw new ValueError("BoundedSemaphore released too many times");
    super.release();
  }
}

/**
 * Raised by {@link Barrier.wait} when the barrier is aborted, or reset while
 * the task waits (asyncio's `BrokenBarrierError`, a `RuntimeError`).
 *
 * @example
 * ```ts
 * const barrier = new Barrier(1);
 * try { await barrier.wait(); } catch (e) { if (e instanceof BrokenBarrierError) console.log("broken"); }
 * ```
 */
export class BrokenBarrierError extends RuntimeError {
  /** Always `"BrokenBarrierError"`. */
  override name = "BrokenBarrierError";
}

/**
 * The states of a {@link Barrier}.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(1);
 * const state: BarrierState = barrier.statistics().state; // "filling"
 * ```
 */
export type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * What {@link Barrier.statistics} returns.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(1);
 * const { parties, nWaiting, state, broken }: BarrierStatistics = barrier.statistics();
 * ```
 */
export interface BarrierStatistics {
  /** Tasks needed to trip the barrier. */
  parties: number;
  /** Tasks waiting now (0 unless filling). */
  nWaiting: number;
  /** "filling", "draining" (releasing the last round), "resetting" or "broken". */
  state: BarrierState;
  /** True once aborted. */
  broken: boolean;
}

/**
 * A barrier for a fixed number of tasks (asyncio's `Barrier`): each
 * `wait()` blocks until `parties` tasks wait, then all proceed, each with a
 * distinct index 0..parties-1. The barrier is then reusable. Cancelling a
 * waiter while it fills just takes it out of the count.
 *
 * @example
 * ```ts
 * const barrier = new Barrier(3);
 * for (let i = 0; i < 3; i++) createTask(async () => { const idx = await barrier.wait(); });
 * ```
 */
export class Barrier {
  /** @internal */ readonly _cond = new Condition();
  /** @internal */ readonly _parties: number;
  /** @internal */ _state: BarrierState = "filling";
  /** @internal */ _count = 0;

  /**
   * A barrier for `parties` tasks; `ValueError` unless it is an integer >= 1.
   *
   * @example
   * ```ts
   * const barrier = new Barrier(2);
   * ```
   */
  constructor(parties: number) {
    if (typeof parties !== "number") throw new TypeError(`Barrier parties must be a number, got ${typeof parties}`);
    if (!(parties >= 1) || !Number.isInteger(parties))
      throw new ValueError(`parties must be an integer > 0, got ${parties}`);
    this._parties = parties;
  }

  /**
   * Waits until `parties` tasks wait, then resolves to this task's arrival
   * index. `BrokenBarrierError` if the barrier is aborted, or reset while
   * waiting.
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * const index = await barrier.wait();
   * if (index === 0) console.log("everyone arrived");
   * ```
   */
  wait(options?: AbortOptions): Awaitable<number> {
    const signal = options?.signal;
    if (signal !== undefined) signal.throwIfAborted();
    return waitGen(this._waitGen(options));
  }

  /** @internal asyncio's `Barrier.wait`. */
  *_waitGen(options: AbortOptions | undefined): Coroutine<number> {
    const cond = this._cond;
    yield* cond.acquire(options);
    try {
      yield* this._block(options); // while draining or resetting
      try {
        const index = this._count;
        this._count++;
        if (index + 1 === this._parties) this._release();
        else yield* this._wait(options);
        return index;
      } finally {
        this._count--;
        this._exit(); // the last one out ends draining/resetting
      }
    } finally {
      cond.release();
    }
  }

  /** @internal */
  *_block(options: AbortOptions | undefined): Coroutine<void> {
    yield* this._cond.waitFor(() => this._state !== "draining" && this._state !== "resetting", options);
    if (this._state === "broken") throw new BrokenBarrierError("Barrier aborted");
  }

  /** @internal The last arrival releases everyone. */
  _release(): void {
    this._state = "draining";
    this._cond.notifyAll();
  }

  /** @internal */
  *_wait(options: AbortOptions | undefined): Coroutine<void> {
    yield* this._cond.waitFor(() => this._state !== "filling", options);
    if (this._state === "broken" || this._state === "resetting")
      throw new BrokenBarrierError("Abort or reset of barrier");
  }

  /** @internal */
  _exit(): void {
    if (this._count === 0) {
      if (this._state === "resetting" || this._state === "draining") this._state = "filling";
      this._cond.notifyAll();
    }
  }

  /**
   * Returns the barrier to its initial state; tasks waiting in it get
   * `BrokenBarrierError`. Waits for the internal lock, hence awaitable.
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * await barrier.reset();
   * ```
   */
  reset(): Awaitable<void> {
    return waitGen(this._resetGen());
  }

  /** @internal */
  *_resetGen(): Coroutine<void> {
    const cond = this._cond;
    yield* cond.acquire();
    try {
      if (this._count > 0) {
        if (this._state !== "resetting") this._state = "resetting";
      } else this._state = "filling";
      cond.notifyAll();
    } finally {
      cond.release();
    }
  }

  /**
   * Breaks the barrier: current and future `wait()` calls get
   * `BrokenBarrierError` (until {@link reset}). Awaitable, like `reset`.
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * await barrier.abort();
   * ```
   */
  abort(): Awaitable<void> {
    return waitGen(this._abortGen());
  }

  /** @internal */
  *_abortGen(): Coroutine<void> {
    const cond = this._cond;
    yield* cond.acquire();
    try {
      this._state = "broken";
      cond.notifyAll();
    } finally {
      cond.release();
    }
  }

  /**
   * The number of tasks needed to trip the barrier.
   *
   * @example
   * ```ts
   * new Barrier(3).parties; // 3
   * ```
   */
  get parties(): number {
    return this._parties;
  }

  /**
   * The number of tasks waiting while the barrier fills (0 otherwise).
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * barrier.nWaiting;
   * ```
   */
  get nWaiting(): number {
    return this._state === "filling" ? this._count : 0;
  }

  /**
   * True if the barrier is broken (aborted).
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * if (barrier.broken) await barrier.reset();
   * ```
   */
  get broken(): boolean {
    return this._state === "broken";
  }

  /**
   * The barrier's state, trio-style.
   *
   * @example
   * ```ts
   * const barrier = new Barrier(1);
   * barrier.statistics(); // { parties: 3, nWaiting: 1, state: "filling", broken: false }
   * ```
   */
  statistics(): BarrierStatistics {
    return { parties: this._parties, nWaiting: this.nWaiting, state: this._state, broken: this.broken };
  }
}

/**
 * Awaitables that work both with `await` (in async functions) and with
 * `yield*` (in generator coroutines): how every waiting call of the library
 * is returned, so that one implementation serves both styles and
 * cancellation reaches the exact suspension point in either.
 * @module
 */
import { RuntimeError } from "./errors.js";
import { Yield, type Awaitable, type Coroutine } from "./tasks.js";

/**
 * Wraps a generator coroutine as an {@link Awaitable}: `yield*` runs it in
 * the calling generator task; `await` drives it inside the calling async
 * function (each future it yields is awaited there, so a cancellation of the
 * task is thrown into the generator at that point). Single use, and lazy
 * like a Python coroutine object: nothing runs until it is awaited (the
 * primitives use an eager variant, which joins a waiter line at call time).
 *
 * @example
 * ```ts
 * function* twice(): Coroutine<number> { const a = yield* sleep(0.1, 1); return a * 2; }
 * const n = await toAwaitable(twice()); // 2
 * ```
 */
export function toAwaitable<T>(gen: Coroutine<T>): Awaitable<T> {
  return new GeneratorAwaitable(gen);
}

class GeneratorAwaitable<T> implements Awaitable<T> {
  #gen: Coroutine<T> | undefined;
  constructor(gen: Coroutine<T>) {
    this.#gen = gen;
  }
  [Symbol.iterator](): Coroutine<T> {
    const g = this.#gen;
    if (g === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#gen = undefined;
    return g;
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let gen: Coroutine<T>;
    try {
      gen = this[Symbol.iterator]();
    } catch (e) {
      return Promise.reject(e).then(onFulfilled, onRejected);
    }
    return drive(gen).then(onFulfilled, onRejected);
  }
}

async function drive<T>(gen: Coroutine<T>): Promise<T> {
  let r = gen.next();
  while (!r.done) {
    let value: unknown;
    let exc: unknown;
    let failed = false;
    try {
      value = await (r.value === undefined ? new Yield(undefined) : (r.value as PromiseLike<unknown>));
    } catch (e) {
      exc = e;
      failed = true;
    }
    r = failed ? gen.throw(exc) : gen.next(value);
  }
  return r.value;
}

/**
 * An {@link Awaitable} that is already done with `value`: awaiting it does
 * not yield to the loop (as awaiting a done future in asyncio). The fast
 * path of uncontended waits.
 *
 * @example
 * ```ts
 * const one = readyAwaitable(1);
 * await one;           // 1, without a loop iteration
 * function* g() { return yield* one; }
 * ```
 */
export function readyAwaitable<T>(value: T): Awaitable<T> {
  // A thenable value must not be assimilated eagerly (a rejected one would
  // become an unhandled rejection on the yield* path): the lazy form.
  if (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  ) {
    return new ReadyAwaitable(value);
  }
  // Otherwise a resolved native promise with an iterator attached: awaiting
  // it costs one microtask (a thenable object costs about three).
  const p = Promise.resolve(value) as Promise<T> & { _v: T; [Symbol.iterator]: typeof readyIterator };
  p._v = value;
  p[Symbol.iterator] = readyIterator;
  return p as unknown as Awaitable<T>;
}

/**
 * @internal `yield*` on a ready awaitable: an iterator that is done at once,
 * with no generator allocated (a generator object costs more than the wait).
 */
export class DoneIterator<T> implements Iterator<never, T, unknown> {
  constructor(readonly value: T) {}
  next(): IteratorReturnResult<T> {
    return { value: this.value, done: true };
  }
  [Symbol.iterator](): this {
    return this;
  }
}

function readyIterator<T>(this: { _v: T }): Generator<never, T, unknown> {
  return new DoneIterator(this._v) as unknown as Generator<never, T, unknown>;
}

class ReadyAwaitable<T> implements Awaitable<T> {
  constructor(readonly value: T) {}
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return Promise.resolve(this.value).then(onFulfilled, onRejected);
  }
  // eslint-disable-next-line require-yield
  *[Symbol.iterator](): Generator<never, T, unknown> {
    return this.value;
  }
}

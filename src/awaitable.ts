/**
 * The awaitable machinery, in one place: what every waiting call of the
 * library returns, so that one implementation serves both coroutine styles
 * (`await` in async functions, `yield*` in generator coroutines) and
 * cancellation reaches the exact suspension point in either. The type
 * predicates (`isGenerator`, `isThenable`) and `describe` used by every
 * module's error messages live here too.
 *
 * Nothing here imports tasks.ts: the awaiting task is reached through the
 * current frame (a structural {@link YieldTarget}), so the module sits
 * below tasks, timeouts, combinators, task groups and the primitives.
 * @module
 */
import { RuntimeError } from "./errors.js";
import { copyContext, state, type Context } from "./context.js";
import { Handle } from "./events.js";
import { Future, wrapThenable } from "./futures.js";
import type { EventLoop } from "./loop-interface.js";
import { getRunningLoop } from "./running.js";
import type { AbortHook } from "./waiters.js";
import { inRun, notFrame, setAwait, thenOwner, withOwner, type Node } from "./hooks.js";

/**
 * A generator coroutine: `function*` bodies that wait with `yield*` on
 * awaitables (`const x = yield* sleep(1, "x")`). Cancellation is thrown in
 * at the exact suspension point, as in asyncio.
 */
export type Coroutine<T> = Generator<unknown, T, any>;

/**
 * Something both awaitable and `yield*`-able: what {@link sleep} returns and
 * what every waiting call of the library returns.
 */
export interface Awaitable<T> extends PromiseLike<T> {
  /** The generator form, for `yield*` in generator coroutines. */
  [Symbol.iterator](): Generator<unknown, T, unknown>;
}

/**
 * A body run by {@link Timeout.run} or `TaskGroup.run`: an async function,
 * a generator function (a generator coroutine), or a function returning an
 * awaitable.
 */
export type ScopeBody<A, T> = ((arg: A) => Coroutine<T>) | ((arg: A) => PromiseLike<T> | T);

// ---------------------------------------------------------------------------
// Predicates and descriptions (one copy for src/ and, through index.ts, for the adapters).

/** @internal True when `x` is a generator object (a generator coroutine). */
export function isGenerator(x: unknown): x is Coroutine<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Coroutine<unknown>).next === "function" &&
    typeof (x as Coroutine<unknown>).throw === "function"
  );
}

/** @internal True when `x` has a `then` method (Promises/A+ §1.2). */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === "object" || typeof x === "function") &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === "function"
  );
}

/** @internal True for one of our awaitables (thenable and `yield*`-able): its generator form runs in the task. */
export function isDualAwaitable(x: unknown): x is Awaitable<unknown> {
  return isThenable(x) && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}

/** @internal A short description of a value for error messages: its type or class, a function's name. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "function") return `function ${x.name || "<anonymous>"}`;
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

// ---------------------------------------------------------------------------
// One loop iteration.

/**
 * @internal What a `Yield` needs of the awaiting task (a Task, reached
 * through the current frame): its pending cancel is delivered at the yield.
 */
export interface YieldTarget {
  /** The pending cancel of the task, taken if `owner`'s await is on the task's chain of awaits. */
  _pendingCancelFor(owner: Node | undefined): Error | undefined;
  /** The loop iteration in which the task's code was last resumed by a callback of the loop. */
  _stepIter: number;
  readonly _loop: EventLoop;
  readonly _context: Context;
}

function yieldTarget(t: unknown): YieldTarget | undefined {
  return t !== undefined && t !== null && typeof (t as YieldTarget)._pendingCancelFor === "function"
    ? (t as YieldTarget)
    : undefined;
}

/** @internal One loop iteration: a bare `yield` for generators, a callSoon for async functions. */
export class Yield<T> implements Awaitable<T> {
  constructor(readonly value: T) {}
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // One loop iteration, as a bare `yield` in asyncio; a pending cancel of
    // the awaiting task is delivered here.
    const frame = state.current;
    const task = yieldTarget(frame?._task);
    // Only an await of this Yield (not a `then` call of the task's code) takes the task's pending cancel.
    const owner = task !== undefined ? thenOwner(onFulfilled) : undefined;
    const loop = task?._loop ?? getRunningLoop();
    const p = new Promise<T>((resolve, reject) => {
      const cb = (): void => {
        if (task !== undefined) task._stepIter = loop._iteration;
        const cancel = task?._pendingCancelFor(owner);
        if (cancel !== undefined) reject(cancel);
        else resolve(this.value);
      };
      loop._callSoonHandle(new Handle(cb, undefined, loop, frame?._context ?? task?._context ?? copyContext(), task));
    });
    notFrame(p);
    return p.then(onFulfilled, onRejected);
  }
  *[Symbol.iterator](): Generator<unknown, T, unknown> {
    yield undefined;
    return this.value;
  }
}

// ---------------------------------------------------------------------------
// Generators as awaitables, ready awaitables.

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
 * path of uncontended waits. A thenable `value` is waited for, in both
 * coroutine styles and in the combinators, as `await` assimilates it.
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
 * It has a generator's whole protocol (`throw`, `return`): whoever runs an
 * awaitable's iterator as a coroutine (a Task made by gather, shield,
 * asCompleted) must see a generator that returns at once.
 */
export class DoneIterator<T> implements Iterator<never, T, unknown> {
  constructor(readonly value: T) {}
  next(): IteratorReturnResult<T> {
    return { value: this.value, done: true };
  }
  /** A done generator rethrows what is thrown in. */
  throw(e: unknown): never {
    throw e;
  }
  return(value: T): IteratorReturnResult<T> {
    return { value, done: true };
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
  // As `await` assimilates a thenable, yield* waits for it (so gather, shield and asCompleted, which run
  // this iterator as a Task, give its value, not the thenable); anything else, a generator object included,
  // is given as it is, as `await` gives it, on the fast path (no nested generator).
  *[Symbol.iterator](): Generator<unknown, T, unknown> {
    const v = this.value;
    if (isThenable(v)) return yield* yieldValue<T>(v);
    return v;
  }
}

// ---------------------------------------------------------------------------
// Bodies of scopes (timeouts, task groups, combinators): both coroutine styles keep exact cancellation.

/**
 * @internal Awaits what a body returned, from an async function: a
 * generator is driven here (its futures are awaited by the calling task, so
 * cancellation reaches them), anything else is awaited as is.
 */
export async function awaitValue<T>(r: unknown): Promise<T> {
  if (isGenerator(r)) return (await toAwaitable(r as Coroutine<T>)) as T;
  return (await r) as T;
}

/**
 * @internal Waits, from a generator coroutine, on what a body returned: a
 * generator or one of our awaitables runs inside the calling task; a
 * foreign promise is followed by a Future (cancelling it cannot stop the
 * promise).
 */
export function* yieldValue<T>(r: unknown): Coroutine<T> {
  if (isGenerator(r)) return (yield* r) as T;
  if (r instanceof Future) return (yield* r) as T;
  if (isDualAwaitable(r)) return (yield* r) as T;
  if (isThenable(r)) return (yield* wrapThenable(getRunningLoop(), r)) as T;
  return r as T;
}

/**
 * @internal An awaitable with one implementation per coroutine style:
 * `await` runs `asyncImpl` (an async function, whose own awaits carry the
 * task), `yield*` runs `genImpl` inside the generator task. Single use.
 */
export class DualAwaitable<T> implements Awaitable<T> {
  #asyncImpl: (() => Promise<T>) | undefined;
  #genImpl: (() => Coroutine<T>) | undefined;
  constructor(asyncImpl: () => Promise<T>, genImpl: () => Coroutine<T>) {
    this.#asyncImpl = asyncImpl;
    this.#genImpl = genImpl;
  }
  #take(): [() => Promise<T>, () => Coroutine<T>] {
    const a = this.#asyncImpl;
    const g = this.#genImpl;
    if (a === undefined || g === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#asyncImpl = this.#genImpl = undefined;
    return [a, g];
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let p: Promise<T>;
    try {
      p = this.#take()[0]();
    } catch (e) {
      p = Promise.reject(e);
    }
    return p.then(onFulfilled, onRejected);
  }
  [Symbol.iterator](): Coroutine<T> {
    return this.#take()[1]();
  }
}

// ---------------------------------------------------------------------------
// The primitives' eager waits (already in the waiter line when the call returns).

// The shared ones return one shared iterator: nothing is allocated per call.
function constant<T>(value: T): Awaitable<T> {
  const p = Promise.resolve(value) as Promise<T> & { [Symbol.iterator]: () => Generator<never, T, unknown> };
  const it = new DoneIterator(value) as unknown as Generator<never, T, unknown>;
  const result = Object.freeze({ value, done: true as const });
  (it as unknown as { next: () => unknown }).next = () => result;
  p[Symbol.iterator] = () => it;
  return p as unknown as Awaitable<T>;
}

/** @internal Shared ready awaitables: one allocation for the whole program. */
export const READY_TRUE: Awaitable<true> = constant(true as const);
/** @internal */
export const READY_VOID: Awaitable<void> = constant(undefined as void);

/**
 * Wraps a generator coroutine as an {@link Awaitable}, like the core's
 * `toAwaitable`, with two differences that make waits iteration-exact:
 *
 * - the generator's first step runs at once, in the call (`lock.acquire()`
 *   joins the line when called, as the body of an asyncio coroutine that is
 *   awaited at once; `await` would otherwise start it a microtask later,
 *   after other tasks of the same loop iteration have run). An error of that
 *   step is delivered by the awaitable, not thrown by the call;
 * - `await` drives the generator from the callbacks of the futures it
 *   yields (through `Future.then`, so the awaiting task's cancellation lands
 *   exactly there) and resumes the awaiting code one microtask after the
 *   future's callback, as awaiting a Future directly does (driving it from
 *   an async function costs two more hops, which lets a `sleep(0)` scheduled
 *   later in the same iteration resume first, unlike asyncio).
 * @internal
 */
export function waitGen<T>(gen: Coroutine<T>): Awaitable<T> {
  return new GenAwaitable(gen);
}

class GenAwaitable<T> implements Awaitable<T> {
  #gen: Coroutine<T> | undefined;
  #first: IteratorResult<unknown, T> | undefined;
  #error: unknown;
  constructor(gen: Coroutine<T>) {
    this.#gen = gen;
    try {
      this.#first = gen.next();
    } catch (e) {
      this.#error = e;
    }
  }
  #take(): [Coroutine<T>, IteratorResult<unknown, T> | undefined, unknown] {
    const g = this.#gen;
    if (g === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#gen = undefined;
    const first = this.#first;
    this.#first = undefined;
    return [g, first, this.#error];
  }
  *[Symbol.iterator](): Coroutine<T> {
    const [gen, first, error] = this.#take();
    if (first === undefined) throw error;
    let r = first;
    while (!r.done) {
      let v: unknown;
      try {
        v = yield r.value;
      } catch (e) {
        r = gen.throw(e);
        continue;
      }
      r = gen.next(v);
    }
    return r.value;
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let gen: Coroutine<T>;
    let first: IteratorResult<unknown, T> | undefined;
    let error: unknown;
    try {
      [gen, first, error] = this.#take();
    } catch (e) {
      return Promise.reject(e).then(onFulfilled, onRejected);
    }
    const p = new Promise<R1 | R2>((resolve, reject) => {
      const d = new Driver<T, R1, R2>(gen, resolve, reject, onFulfilled, onRejected);
      if (first === undefined) d.finish(false, error);
      else d.handle(first);
    });
    notFrame(p);
    return p;
  }
}

// Drives a generator from the callbacks of the futures it yields (one
// object and two closures per wait).
class Driver<T, R1, R2> {
  /** Who waits through this driver (the awaiting function's wrapper): the owner of each later wait. */
  readonly owner: Node | undefined;
  constructor(
    readonly gen: Coroutine<T>,
    readonly resolve: (v: R1 | R2 | PromiseLike<R1 | R2>) => void,
    readonly reject: (e: unknown) => void,
    readonly onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    readonly onRejected: ((reason: any) => R2 | PromiseLike<R2>) | null | undefined,
  ) {
    this.owner = thenOwner(onFulfilled);
  }
  onValue = (v: unknown): void => this.step(v, undefined, false);
  onError = (e: unknown): void => this.step(undefined, e, true);
  finish(ok: boolean, v: unknown): void {
    const h = ok ? this.onFulfilled : this.onRejected;
    if (typeof h !== "function") return ok ? this.resolve(v as R1) : this.reject(v);
    try {
      this.resolve(h(v as T));
    } catch (e) {
      this.reject(e);
    }
  }
  handle(r: IteratorResult<unknown, T>): void {
    if (r.done) return this.finish(true, r.value);
    withOwner(this.owner, () => this.wait(r.value));
  }
  wait(y: unknown): void {
    if (y instanceof Future) {
      if (y.done()) relay(y, this.onValue, this.onError);
      else y.then(this.onValue, this.onError);
      return;
    }
    const awaitable: PromiseLike<unknown> =
      y === undefined
        ? new Yield(undefined)
        : isThenable(y)
          ? y
          : Promise.reject(new RuntimeError("bad yield in a generator coroutine"));
    // What the driver waits on now (a promise: the chain of awaits goes on through it).
    if (this.owner !== undefined) setAwait(this.owner, awaitable);
    awaitable.then(this.onValue, this.onError);
  }
  step(value: unknown, exc: unknown, hasExc: boolean): void {
    let r: IteratorResult<unknown, T>;
    try {
      // The generator's code (and the async functions it calls) as one run
      // of code, so that their awaits are seen (src/hooks.ts).
      r = inRun(undefined, () => (hasExc ? this.gen.throw(exc) : this.gen.next(value)));
    } catch (e) {
      return this.finish(false, e);
    }
    this.handle(r);
  }
}

// The eager first step suspends the generator on a future, as an asyncio
// task suspends at its first await; `await` binds to that future a
// microtask later. If the future completed in between (woken by another
// task's step of the same iteration), its outcome must still reach the
// generator as asyncio's wake-up would: through the loop, one iteration
// later, with a cancellation requested meanwhile taking precedence (the
// task's pending cancel is applied when it binds to the pending relay).
// Binding directly would resume at once and drop such a cancellation.
function relay<T>(fut: Future<T>, onValue: (v: T) => void, onError: (e: unknown) => void): void {
  const proxy = new Future<T>({ loop: fut.getLoop() });
  proxy.then(onValue, onError); // registers the awaiting task on a pending future
  if (proxy.done()) return; // the task's pending cancellation was applied to it
  if (fut.cancelled()) {
    proxy._cancelledExc = fut._makeCancelledError(); // the same CancelledError instance
    proxy.cancel(fut._cancelMessage);
    return;
  }
  let v: T;
  try {
    v = fut.result();
  } catch (e) {
    proxy.setException(e);
    return;
  }
  proxy.setResult(v);
}

/**
 * A primitive whose wait is one future: `_afterWait` runs asyncio's code
 * after the `await fut` (its `finally` and `except CancelledError` parts),
 * for both ways of waiting, and returns the call's value or throws.
 * @internal
 */
export interface AfterWait<T> {
  _afterWait(fut: Future<any>, hook: AbortHook | undefined, failed: boolean, exc: unknown): T;
}

/** @internal The generator form of a one-future wait (for `yield*` and for composed generators). */
export function* waitFut<T>(owner: AfterWait<T>, fut: Future<any>, hook: AbortHook | undefined): Coroutine<T> {
  try {
    yield* fut;
  } catch (e) {
    return owner._afterWait(fut, hook, true, e);
  }
  return owner._afterWait(fut, hook, false, undefined);
}

/**
 * The awaitable of a one-future wait, already in the waiter line when
 * created (as the eager first step of {@link waitGen}). `await` registers
 * on the future directly, without a generator; `yield*` uses
 * {@link waitFut}. Single use.
 * @internal
 */
export class FutWaiter<T> implements Awaitable<T> {
  #owner: AfterWait<T> | undefined;
  readonly fut: Future<any>;
  readonly hook: AbortHook | undefined;
  constructor(owner: AfterWait<T>, fut: Future<any>, hook: AbortHook | undefined) {
    this.#owner = owner;
    this.fut = fut;
    this.hook = hook;
  }
  #take(): AfterWait<T> {
    const o = this.#owner;
    if (o === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#owner = undefined;
    return o;
  }
  [Symbol.iterator](): Coroutine<T> {
    return waitFut(this.#take(), this.fut, this.hook);
  }
  /** @internal For a generator that waits on `fut` itself (no nested generator): runs the after-wait code. */
  _resume(failed: boolean, exc: unknown): T {
    return this.#take()._afterWait(this.fut, this.hook, failed, exc);
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let owner: AfterWait<T>;
    try {
      owner = this.#take();
    } catch (e) {
      return Promise.reject(e).then(onFulfilled, onRejected);
    }
    const fut = this.fut;
    const hook = this.hook;
    const waitOwner = thenOwner(onFulfilled);
    const p = new Promise<R1 | R2>((resolve, reject) => {
      const done = (failed: boolean, exc: unknown): void => {
        let ok = true;
        let v: unknown;
        try {
          v = owner._afterWait(fut, hook, failed, exc);
        } catch (e) {
          ok = false;
          v = e;
        }
        const h = ok ? onFulfilled : onRejected;
        if (typeof h !== "function") return ok ? resolve(v as R1) : reject(v);
        try {
          resolve(h(v as T));
        } catch (e) {
          reject(e);
        }
      };
      const onValue = (): void => done(false, undefined);
      const onError = (e: unknown): void => done(true, e);
      withOwner(waitOwner, () => {
        if (fut.done()) relay(fut, onValue, onError);
        else fut.then(onValue, onError);
      });
    });
    notFrame(p);
    return p;
  }
}

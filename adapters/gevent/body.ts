/**
 * Running a body (a greenlet's function, a Timeout scope) as a generator
 * driven step by step, so that an exception thrown into the task at a switch
 * point reaches the body as itself (see `translate` in hub.ts).
 * @module
 */
import { type Coroutine, Future, Task, currentTask } from "../../src/index.js";
import { type GreenletLike, setCurrent, translate } from "./hub.js";

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

/** @internal */
export function isGenerator(x: unknown): x is Coroutine<unknown> {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as Coroutine<unknown>).next === "function" &&
    typeof (x as Coroutine<unknown>).throw === "function"
  );
}

/** @internal */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    (typeof x === "object" || typeof x === "function") &&
    x !== null &&
    typeof (x as PromiseLike<unknown>).then === "function"
  );
}

/** @internal A generator that waits on a future (a child task, a wrapped promise). */
export function* waitOnFuture<T>(fut: Future<T>): Coroutine<T> {
  return yield* fut;
}

/**
 * @internal Calls `fn(...args)` and returns a generator to drive: the body
 * itself for a generator function; for an async function, a child task
 * (cancelled, hence interrupted at its next await on the library, when the
 * driving task is); for anything else, a wait on what it returned.
 */
export function startBody(fn: (...a: unknown[]) => unknown, args: readonly unknown[]): Coroutine<unknown> {
  if (fn instanceof AsyncFunction) {
    const loop = currentTask()!.getLoop();
    return waitOnFuture(new Task(() => fn(...args) as PromiseLike<unknown>, { loop }));
  }
  const r = fn(...args);
  if (isGenerator(r)) return r;
  if (r instanceof Future) return waitOnFuture(r);
  if (isThenable(r)) {
    // One of our awaitables runs its generator form here; a foreign promise is followed.
    if (typeof (r as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function")
      return (r as unknown as Iterable<unknown>)[Symbol.iterator]() as Coroutine<unknown>;
    const loop = currentTask()!.getLoop();
    return waitOnFuture(new Task(r, { loop }));
  }
  return valueGen(r);
}

function* valueGen<T>(v: T): Coroutine<T> {
  return v;
}

/**
 * @internal Drives `body` inside the running task, as `yield*` would, except
 * that an exception caught at a switch point goes through `translate` (a
 * CancelledError standing for a kill or a Timeout becomes that exception).
 * `self` (if given) is made the current greenlet while the body runs.
 */
export function* drive<T>(body: Coroutine<T>, self: GreenletLike | undefined): Coroutine<T> {
  const task = currentTask();
  let value: unknown;
  let exc: unknown;
  let hasExc = false;
  for (;;) {
    let r: IteratorResult<unknown, T>;
    if (self === undefined) r = hasExc ? body.throw(exc) : body.next(value);
    else {
      const prev = setCurrent(self);
      try {
        r = hasExc ? body.throw(exc) : body.next(value);
      } finally {
        setCurrent(prev);
      }
    }
    if (r.done) return r.value;
    hasExc = false;
    exc = undefined;
    try {
      value = yield r.value;
    } catch (e) {
      exc = translate(task, e);
      hasExc = true;
    }
  }
}

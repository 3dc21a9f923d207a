/**
 * inlineCallbacks: generator functions that `yield` Deferreds (or Futures,
 * promises, generator coroutines) and read as sequential code (Twisted's
 * `inlineCallbacks` / `_inlineCallbacks`), with Twisted's cancellation:
 * cancelling the returned Deferred cancels what the generator waits on,
 * and the resulting `CancelledError` is thrown in at its `yield`.
 * @module
 */
import { Future, copyContext, isGenerator, isThenable, type Context } from "../../src/index.js";
import { Deferred, fromPromise } from "./deferred.js";
import { Failure } from "./failure.js";

/** The Deferred to fire when the generator finishes, and the one it waits on now. */
interface CancellationStatus {
  deferred: Deferred<any>;
  waitingOn: Deferred<any> | undefined;
}

/** Raised into the outer Deferred by its canceller only, to tell handleCancel it is a cancellation. */
class InternalInlineCallbacksCancelledError extends Error {
  override name = "_InternalInlineCallbacksCancelledError";
}

/** What a yielded value is waited on as: Deferreds as they are; Futures, coroutines and promises adapted; anything else is sent back at once. */
function asDeferred(y: unknown): Deferred<unknown> | undefined {
  if (y instanceof Deferred) return y;
  if (y instanceof Future) return Deferred.fromFuture(y);
  if (isGenerator(y)) return cancellableInlineCallbacks(y, copyContext());
  if (isThenable(y)) return fromPromise(y);
  return undefined;
}

/**
 * Twisted's `_inlineCallbacks`: send results in, throw failures in, until
 * the generator yields a Deferred without a result. The `waiting` pair is
 * Twisted's guard against recursion: a Deferred that fires during
 * `addBoth` hands its result back to this loop instead of recursing.
 */
function inlineCallbacksStep(
  result: unknown,
  gen: Generator<unknown, unknown, unknown>,
  status: CancellationStatus,
  context: Context,
): void {
  const waiting: [boolean, unknown] = [true, undefined];
  for (;;) {
    let r: IteratorResult<unknown, unknown>;
    try {
      // Every step runs in the context copied at the first call, so context
      // variables set by whoever fires a Deferred do not leak in.
      const sent = result;
      r = context.run(() => (sent instanceof Failure ? sent.throwExceptionIntoGenerator(gen) : gen.next(sent)));
    } catch (e) {
      status.deferred.errback(new Failure(e));
      return;
    }
    if (r.done) {
      if (r.value instanceof Deferred)
        status.deferred.errback(
          new TypeError("an inlineCallbacks generator returned a Deferred: yield it and return its result"),
        );
      else status.deferred.callback(r.value);
      return;
    }
    const d = asDeferred(r.value);
    if (d === undefined) {
      result = r.value; // not awaitable: hand it straight back (testYieldNonDeferred)
      continue;
    }
    d.addBoth((res: unknown) => {
      if (waiting[0]) {
        waiting[0] = false;
        waiting[1] = res;
      } else {
        inlineCallbacksStep(res, gen, status, context);
      }
      return undefined;
    });
    if (waiting[0]) {
      // Not fired yet: come back through the addBoth above.
      waiting[0] = false;
      status.waitingOn = d;
      return;
    }
    result = waiting[1];
    waiting[0] = true;
    waiting[1] = undefined;
  }
}

/** @internal Twisted's `_cancellableInlineCallbacks`. */
export function cancellableInlineCallbacks<T>(
  gen: Generator<unknown, T, any>,
  context: Context = copyContext(),
): Deferred<T> {
  const cancel = (it: Deferred<any>): void => {
    // Put handleCancel first, before the callbacks the caller added.
    const tmp = it.callbacks;
    it.callbacks = [];
    it.addErrback(handleCancel);
    it.callbacks = it.callbacks.concat(tmp);
    it.errback(new Failure(new InternalInlineCallbacksCancelledError()));
  };
  const deferred = new Deferred<T>(cancel);
  const status: CancellationStatus = { deferred, waitingOn: undefined };
  // Forward the cancel to what the generator waits on; the generator decides
  // (through the CancelledError thrown at its yield) how `deferred` ends.
  const handleCancel = (result: Failure): Deferred<any> => {
    result.trap(InternalInlineCallbacksCancelledError);
    status.deferred = new Deferred(cancel);
    const awaited = status.waitingOn;
    awaited?.cancel();
    return status.deferred;
  };
  inlineCallbacksStep(undefined, gen as Generator<unknown, unknown, unknown>, status, context);
  return deferred;
}

/**
 * Turns a generator function that `yield`s Deferreds (or Futures, promises,
 * generator coroutines) into a function returning a Deferred of its return
 * value (Twisted's `@inlineCallbacks`). Each `yield d` gives back `d`'s
 * result, or throws its failure's value; a non-awaitable value is given
 * back at once. Each step runs in a copy of the context current at the
 * call (Twisted runs it in a copied `contextvars` context), so context
 * variables set elsewhere while it waits do not leak in; inside a step,
 * `currentTask()` is undefined (the generator is not a Task). Cancelling
 * the returned Deferred cancels the Deferred the
 * generator waits on, which throws `CancelledError` in at the `yield`: the
 * generator may catch it and go on. A function that does not return a
 * generator gets a `TypeError`. JavaScript's `async` functions cannot have
 * errors thrown in, hence `function*`.
 *
 * @example
 * ```ts
 * const getUser = inlineCallbacks(function* (id: number) {
 *   const row = yield db.runQuery("SELECT name FROM users WHERE id = ?", id);
 *   return row[0].name as string;
 * });
 * getUser(1).addCallback(console.log);
 * ```
 */
export function inlineCallbacks<A extends unknown[], R>(
  f: (...args: A) => Generator<unknown, R, any>,
): (...args: A) => Deferred<R> {
  if (typeof f !== "function") throw new TypeError(`inlineCallbacks requires a generator function, got ${typeof f}`);
  const name = f.name || "<anonymous>";
  const unwindGenerator = function (this: unknown, ...args: A): Deferred<R> {
    const context = copyContext();
    const gen: unknown = context.run(() => f.apply(this, args));
    if (!isGenerator(gen)) {
      throw new TypeError(
        `inlineCallbacks requires ${name} to produce a generator; instead got ${gen === null ? "null" : typeof gen === "object" ? ((gen as object).constructor?.name ?? "object") : typeof gen}`,
      );
    }
    return cancellableInlineCallbacks(gen as Generator<unknown, R, any>, context);
  };
  Object.defineProperty(unwindGenerator, "name", { value: name });
  return unwindGenerator;
}

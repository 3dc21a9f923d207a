/**
 * inlineCallbacks: generator functions that `yield` Deferreds (or Futures,
 * promises, generator coroutines) and read as sequential code (Twisted's
 * `inlineCallbacks` / `_inlineCallbacks`), with Twisted's cancellation:
 * cancelling the returned Deferred cancels what the generator waits on,
 * and the resulting `CancelledError` is thrown in at its `yield`.
 * @module
 */
import { Future, copyContext, isGenerator, isThenable, type Context } from "../../src/index.js";
import type { Deferred } from "./deferred.js";
import { Failure } from "./failure.js";

/**
 * @internal What the driver needs of deferred.ts, handed in by its callers so
 * that this module imports deferred.ts for types only (no import cycle:
 * deferred.ts's `Deferred.fromCoroutine` drives generators with this module).
 */
export interface DeferredKit {
  Deferred: typeof Deferred;
  fromPromise: <T>(p: PromiseLike<T>) => Deferred<T>;
}

/** The Deferred to fire when the generator finishes, and the one it waits on now. */
interface CancellationStatus {
  kit: DeferredKit;
  deferred: Deferred<any>;
  waitingOn: Deferred<any> | undefined;
}

/** Raised into the outer Deferred by its canceller only, to tell handleCancel it is a cancellation. */
class InternalInlineCallbacksCancelledError extends Error {
  override name = "_InternalInlineCallbacksCancelledError";
}

/** What a yielded value is waited on as: Deferreds as they are; Futures, coroutines and promises adapted; anything else is sent back at once. */
function asDeferred(kit: DeferredKit, y: unknown): Deferred<unknown> | undefined {
  if (y instanceof kit.Deferred) return y;
  if (y instanceof Future) return kit.Deferred.fromFuture(y);
  if (isGenerator(y)) return cancellableInlineCallbacks(kit, y, copyContext());
  if (isThenable(y)) return kit.fromPromise(y);
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
      if (r.value instanceof status.kit.Deferred)
        status.deferred.errback(
          new TypeError("an inlineCallbacks generator returned a Deferred: yield it and return its result"),
        );
      else status.deferred.callback(r.value);
      return;
    }
    const d = asDeferred(status.kit, r.value);
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
  kit: DeferredKit,
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
  const deferred = new kit.Deferred<T>(cancel);
  const status: CancellationStatus = { kit, deferred, waitingOn: undefined };
  // Forward the cancel to what the generator waits on; the generator decides
  // (through the CancelledError thrown at its yield) how `deferred` ends.
  const handleCancel = (result: Failure): Deferred<any> => {
    result.trap(InternalInlineCallbacksCancelledError);
    status.deferred = new kit.Deferred(cancel);
    const awaited = status.waitingOn;
    awaited?.cancel();
    return status.deferred;
  };
  inlineCallbacksStep(undefined, gen as Generator<unknown, unknown, unknown>, status, context);
  return deferred;
}

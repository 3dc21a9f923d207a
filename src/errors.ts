/**
 * The errors asyncio raises, as JavaScript classes. Python's `BaseException`
 * has no JavaScript counterpart, so `catch (e)` also catches cancellation:
 * use {@link isCancelledError} to let it through.
 * @module
 */

/**
 * The operation was cancelled (asyncio's `CancelledError`). Carries the
 * message given to `cancel(msg)`; the instance is kept, so a re-raise is the
 * same object.
 *
 * @example
 * ```ts
 * const task = createTask(async () => sleep(10));
 * task.cancel("no longer needed");
 * try { await task; } catch (e) { if (isCancelledError(e)) console.log(e.message); else throw e; }
 * ```
 */
export class CancelledError extends Error {
  /** Always `"CancelledError"`. */
  override name = "CancelledError";
  /**
   * A cancellation error.
   * @param message - the message given to `cancel(msg)`, if any.
   */
  constructor(message?: string) {
    super(message ?? "");
  }
}

/**
 * An operation was called on a Future or Task in the wrong state, e.g. a
 * second `setResult` (asyncio's `InvalidStateError`).
 *
 * @example
 * ```ts
 * const fut = getRunningLoop().createFuture<number>();
 * fut.setResult(1);
 * try { fut.setResult(2); } catch (e) { e instanceof InvalidStateError; } // true
 * ```
 */
export class InvalidStateError extends Error {
  /** Always `"InvalidStateError"`. */
  override name = "InvalidStateError";
}

/**
 * A deadline passed (Python's `TimeoutError`, raised by `waitFor` and `timeout`).
 *
 * @example
 * ```ts
 * try { await waitFor(sleep(10), 1); } catch (e) { e instanceof TimeoutError; } // true
 * ```
 */
export class TimeoutError extends Error {
  /** Always `"TimeoutError"`. */
  override name = "TimeoutError";
}

/**
 * Python's `RuntimeError`: the call is not allowed now (no running loop,
 * a closed loop, releasing an unlocked Lock, a Task awaiting itself).
 *
 * @example
 * ```ts
 * try { getRunningLoop(); } catch (e) { e instanceof RuntimeError; } // true outside a loop
 * ```
 */
export class RuntimeError extends Error {
  /** Always `"RuntimeError"`. */
  override name = "RuntimeError";
}

/**
 * Python's `ValueError`: an argument has the right type but a bad value
 * (a NaN delay, `Semaphore(-1)`, `taskDone()` called too often).
 *
 * @example
 * ```ts
 * try { await sleep(NaN); } catch (e) { e instanceof ValueError; } // true
 * ```
 */
export class ValueError extends Error {
  /** Always `"ValueError"`. */
  override name = "ValueError";
}

/**
 * Raised by {@link Runner.run} when the program was interrupted (SIGINT)
 * and the main task ended cancelled, as Python's `KeyboardInterrupt`.
 *
 * @example
 * ```ts
 * const main = async () => { throw new KeyboardInterrupt(); };
 * try { await run(main); } catch (e) { if (e instanceof KeyboardInterrupt) process.exitCode = 130; }
 * ```
 */
export class KeyboardInterrupt extends Error {
  /** Always `"KeyboardInterrupt"`. */
  override name = "KeyboardInterrupt";
}

/**
 * True when `e` is a {@link CancelledError}: the check to use in `catch`
 * blocks that must let cancellation through.
 *
 * @example
 * ```ts
 * try { await work(); } catch (e) { if (isCancelledError(e)) throw e; console.error(e); }
 * ```
 */
export function isCancelledError(e: unknown): e is CancelledError {
  return e instanceof CancelledError;
}

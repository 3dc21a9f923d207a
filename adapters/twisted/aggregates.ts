/**
 * Waiting on several Deferreds: DeferredList, gatherResults and race
 * (Twisted's `defer.DeferredList`, `gatherResults`, `race`).
 * @module
 */
import { Deferred, logError } from "./deferred.js";
import { FailureGroup, FirstError } from "./errors.js";
import { Failure } from "./failure.js";

/** Twisted's `SUCCESS` flag of a {@link DeferredList} result pair. */
export const SUCCESS = true;
/** Twisted's `FAILURE` flag of a {@link DeferredList} result pair. */
export const FAILURE = false;

/** One entry of a {@link DeferredList} result: `[true, value]` or `[false, failure]`. */
export type DeferredListEntry<T> = [success: true, result: T] | [success: false, failure: Failure];

/** The options of {@link DeferredList}. */
export interface DeferredListOptions {
  /** Fire with `[result, index]` of the first member to succeed (an empty list then never fires). */
  fireOnOneCallback?: boolean;
  /** Fail with {@link FirstError} at the first member to fail. */
  fireOnOneErrback?: boolean;
  /** Turn each member's failure into `undefined` in that member's own chain (no "Unhandled error" reports for them). */
  consumeErrors?: boolean;
}

/**
 * A Deferred that fires when all of `deferredList` have fired, with
 * `[success, result]` pairs in input order (Twisted's `DeferredList`).
 * It adds its callbacks to the members, so what they see after it depends
 * on `consumeErrors`. An empty list fires `[]` at once, unless
 * `fireOnOneCallback` is set (then it never fires). Cancelling it before
 * it fires cancels every member.
 *
 * @example
 * ```ts
 * const getPage = (url: string) => succeed(`<page of ${url}>`);
 * new DeferredList([getPage("a"), getPage("b")], { consumeErrors: true }).addCallback((pairs) => {
 *   for (const [ok, value] of pairs) console.log(ok ? value : (value as Failure).getErrorMessage());
 * });
 * ```
 */
export class DeferredList<T = unknown> extends Deferred<Array<DeferredListEntry<T>>> {
  /** The results so far, by index: undefined for members that have not fired. */
  resultList: Array<DeferredListEntry<T> | undefined>;
  /** How many members have fired. */
  finishedCount = 0;
  /** See {@link DeferredListOptions.fireOnOneCallback}. */
  readonly fireOnOneCallback: boolean;
  /** See {@link DeferredListOptions.fireOnOneErrback}. */
  readonly fireOnOneErrback: boolean;
  /** See {@link DeferredListOptions.consumeErrors}. */
  readonly consumeErrors: boolean;
  /** @internal */ readonly _deferredList: Array<Deferred<T>>;

  /** Watches `deferredList` (adding its callbacks to each member) with the given {@link DeferredListOptions}. */
  constructor(deferredList: Iterable<Deferred<T>>, options?: DeferredListOptions) {
    super();
    const list = Array.from(deferredList);
    for (const [i, d] of list.entries()) {
      if (!(d instanceof Deferred))
        throw new TypeError(`DeferredList: item ${i} is not a Deferred (got ${d === null ? "null" : typeof d})`);
    }
    this._deferredList = list;
    this.resultList = new Array<DeferredListEntry<T> | undefined>(list.length).fill(undefined);
    if (list.length === 0 && !options?.fireOnOneCallback) this.callback([]);
    // The flags are set before the callbacks are added: fired members call back at once.
    this.fireOnOneCallback = Boolean(options?.fireOnOneCallback);
    this.fireOnOneErrback = Boolean(options?.fireOnOneErrback);
    this.consumeErrors = Boolean(options?.consumeErrors);
    list.forEach((d, index) => {
      d.addCallbacks(
        (result: T) => this._cbDeferred(result, index, SUCCESS),
        (failure: Failure) => this._cbDeferred(failure, index, FAILURE),
      );
    });
  }

  /** @internal */
  _cbDeferred(result: unknown, index: number, succeeded: boolean): unknown {
    this.resultList[index] = [succeeded, result] as DeferredListEntry<T>;
    this.finishedCount += 1;
    if (!this.called) {
      if (succeeded === SUCCESS && this.fireOnOneCallback) this.callback([result, index] as never);
      else if (succeeded === FAILURE && this.fireOnOneErrback)
        this.errback(new Failure(new FirstError(result as Failure, index)));
      else if (this.finishedCount === this.resultList.length)
        this.callback(this.resultList as Array<DeferredListEntry<T>>);
    }
    if (succeeded === FAILURE && this.consumeErrors) return undefined;
    return result;
  }

  /** Cancels every member if the list has not fired; errors thrown by their cancellers are logged. */
  override cancel(): void {
    if (this.called) return;
    for (const d of this._deferredList) {
      try {
        d.cancel();
      } catch (e) {
        logError(new Failure(e));
      }
    }
  }
}

/**
 * A Deferred of the list of results of `deferredList`, in order, or a
 * {@link FirstError} failure at the first member to fail (Twisted's
 * `gatherResults`). Cancelling it cancels every member.
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * gatherResults([succeed(1), deferLater(clock, 1, () => 2)]).addCallback(([a, b]) => a + b); // 3
 * ```
 */
export function gatherResults<T>(
  deferredList: Iterable<Deferred<T>>,
  options?: { consumeErrors?: boolean },
): Deferred<T[]> {
  const d = new DeferredList<T>(deferredList, { fireOnOneErrback: true, consumeErrors: options?.consumeErrors });
  return d.addCallback((pairs) => pairs.map((p) => p[1] as T));
}

/**
 * The first of `ds` to succeed, as `[index, result]`; the others are
 * cancelled. If all fail: a {@link FailureGroup} failure. Cancelling the
 * race cancels every member (Twisted's `race`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * race([deferLater(clock, 1, () => "slow"), deferLater(clock, 0.1, () => "fast")]).addCallback(([i, v]) => v); // "fast"
 * ```
 */
export function race<T>(ds: Iterable<Deferred<T>>): Deferred<[number, T]> {
  const toCancel = Array.from(ds);
  let winner: Deferred<T> | undefined;
  const finalResult = new Deferred<[number, T]>(() => {
    // Nobody can receive the results any more: cancel every action.
    for (const d of toCancel) d.cancel();
  });
  const failures: Array<[number, Failure]> = [];
  toCancel.forEach((d, index) => {
    d.addCallbacks(
      (output: T) => {
        // Only the first success counts (a canceller may succeed later ones).
        if (winner === undefined) {
          winner = toCancel[index];
          for (const other of toCancel) if (other !== winner) other.cancel();
          finalResult.callback([index, output]);
        }
        return undefined;
      },
      (failure: Failure) => {
        failures.push([index, failure]);
        if (failures.length === toCancel.length) {
          failures.sort((a, b) => a[0] - b[0]);
          finalResult.errback(new FailureGroup(failures.map((f) => f[1])));
        }
        return undefined;
      },
    );
  });
  return finalResult;
}

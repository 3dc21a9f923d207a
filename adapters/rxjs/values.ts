/**
 * firstValueFrom / lastValueFrom returning core Futures that can be
 * cancelled (rxjs #6442): cancelling the Future, or the Task awaiting it,
 * unsubscribes at once; an aborted `signal` unsubscribes and fails it.
 * @module
 */
import { EmptyError, Observable, Subscriber, from, type ObservableInput } from "rxjs";
import { Future, getRunningLoop } from "../../src/index.js";
import { safeUnsubscribe } from "./report.js";

/**
 * Options of {@link firstValueFrom} and {@link lastValueFrom}.
 *
 * @example
 * ```ts
 * const opts: ValueFromOptions<null> = { defaultValue: null, signal: AbortSignal.timeout(1000) };
 * ```
 */
export interface ValueFromOptions<D> {
  /** The result when the source completes without a value (present: no `EmptyError`). */
  defaultValue?: D;
  /** Aborting it unsubscribes and fails the Future with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * The Future of one subscription: cancelling it unsubscribes synchronously,
 * inside `cancel()` (so before the loop's next iteration).
 */
class SubscriptionFuture<T> extends Future<T> {
  /** @internal */ _subscriber: Subscriber<unknown> | undefined = undefined;
  /** @internal */ _signal: AbortSignal | undefined = undefined;
  /** @internal */ _onAbort: (() => void) | undefined = undefined;

  override cancel(msg?: string): boolean {
    const cancelled = super.cancel(msg);
    if (cancelled) this._release();
    return cancelled;
  }

  /** @internal Settles (unless done) and lets go of the subscription and the signal. */
  _settle(ok: boolean, value: unknown): void {
    if (this.done()) return;
    if (ok) this.setResult(value as T);
    else this.setException(value);
    this._release();
  }

  /** @internal */
  _release(): void {
    const sub = this._subscriber;
    this._subscriber = undefined;
    if (this._onAbort !== undefined) {
      this._signal!.removeEventListener("abort", this._onAbort);
      this._onAbort = this._signal = undefined;
    }
    safeUnsubscribe(sub, this.getLoop());
  }
}

/** The subscriber of one valueFrom call (a subclass: no closures, no destination object). */
class ValueSubscriber<T, D> extends Subscriber<T> {
  /** @internal */ _hasValue = false;
  /** @internal */ _last: T | undefined = undefined;
  constructor(
    readonly fut: SubscriptionFuture<T | D>,
    readonly last: boolean,
    readonly hasDefault: boolean,
    readonly defaultValue: D | undefined,
  ) {
    super();
  }
  protected override _next(value: T): void {
    if (this.last) {
      this._hasValue = true;
      this._last = value;
    } else this.fut._settle(true, value); // unsubscribes from inside next, as rxjs does
  }
  protected override _error(err: unknown): void {
    this.fut._settle(false, err);
    this.unsubscribe();
  }
  protected override _complete(): void {
    const fut = this.fut;
    if (this._hasValue) fut._settle(true, this._last);
    else if (this.hasDefault) fut._settle(true, this.defaultValue);
    else fut._settle(false, new EmptyError());
    this.unsubscribe();
  }
}

function valueFrom<T, D>(
  input: ObservableInput<T>,
  options: ValueFromOptions<D> | undefined,
  last: boolean,
): Future<T | D> {
  const fut = new SubscriptionFuture<T | D>({ loop: getRunningLoop() });
  const signal = options?.signal;
  if (signal?.aborted) {
    fut.setException(signal.reason);
    return fut;
  }
  const hasDefault = options !== undefined && "defaultValue" in options;
  const source = input instanceof Observable ? input : from(input);
  const subscriber = new ValueSubscriber<T, D>(fut, last, hasDefault, options?.defaultValue);
  fut._subscriber = subscriber;
  if (signal !== undefined) {
    fut._signal = signal;
    fut._onAbort = () => fut._settle(false, signal.reason);
    signal.addEventListener("abort", fut._onAbort, { once: true });
  }
  source.subscribe(subscriber);
  // Settled during subscribe: the subscription returned late must go too.
  if (fut.done()) safeUnsubscribe(subscriber, fut.getLoop());
  return fut;
}

/**
 * rxjs's `firstValueFrom` as a core {@link Future}: subscribes at once and
 * settles with the first value (then unsubscribes, from inside `next`), the
 * source's error unchanged, `defaultValue` or rxjs's `EmptyError` on an
 * empty completion. Cancelling the Future (or the Task awaiting it)
 * unsubscribes at once; aborting `signal` unsubscribes and fails it with
 * `signal.reason` (already aborted: failed at once, never subscribed).
 * Needs a running loop.
 *
 * @example
 * ```ts
 * const ticks = new Subject<number>();
 * const first = firstValueFrom(ticks);        // ticks.observed === true
 * first.cancel();                             // ticks.observed === false, at once
 * const v = await firstValueFrom(of(1, 2), { signal: AbortSignal.timeout(100) }); // 1
 * ```
 */
export function firstValueFrom<T>(source: ObservableInput<T>): Future<T>;
export function firstValueFrom<T, D>(source: ObservableInput<T>, options: ValueFromOptions<D>): Future<T | D>;
export function firstValueFrom<T, D>(source: ObservableInput<T>, options?: ValueFromOptions<D>): Future<T | D> {
  return valueFrom(source, options, false);
}

/**
 * rxjs's `lastValueFrom` as a core {@link Future}: the last value once the
 * source completes, with the same cancellation, `signal` and
 * `defaultValue`/`EmptyError` rules as {@link firstValueFrom}.
 *
 * @example
 * ```ts
 * const total = await lastValueFrom(of(1, 2, 3).pipe(scan((a, b) => a + b))); // 6
 * const none = await lastValueFrom(EMPTY, { defaultValue: null });             // null
 * ```
 */
export function lastValueFrom<T>(source: ObservableInput<T>): Future<T>;
export function lastValueFrom<T, D>(source: ObservableInput<T>, options: ValueFromOptions<D>): Future<T | D>;
export function lastValueFrom<T, D>(source: ObservableInput<T>, options?: ValueFromOptions<D>): Future<T | D> {
  return valueFrom(source, options, true);
}

/**
 * toAsyncIterable: `for await` over an Observable with real cancellation
 * (what rxjs 7 removed twice, #5482/#5492) and an explicit overflow policy.
 * @module
 */
import { Observable, Subscriber, from, type ObservableInput } from "rxjs";
import { Future, QueueFull, getRunningLoop, type EventLoop } from "../../src/index.js";
import { Fifo, Kind, normalizePolicy, type Normalized, type Policy } from "./policy.js";
import { reportUnhandled, safeUnsubscribe } from "./report.js";

/**
 * Options of {@link toAsyncIterable}.
 *
 * @example
 * ```ts
 * const opts: ToAsyncIterableOptions = { policy: { bufferSize: 1000, overflow: "error" } };
 * ```
 */
export interface ToAsyncIterableOptions {
  /** How values that arrive faster than they are read are kept (default `"unbounded"`). */
  policy?: Policy;
}

/**
 * The async iterator {@link toAsyncIterable} returns (not an async
 * generator): `next()`, `return()` and `throw()` return core Futures, so
 * that cancelling the Task awaiting `next()` is delivered there.
 *
 * @example
 * ```ts
 * const subject = new Subject<number>();
 * const it = toAsyncIterable(subject);
 * const first = it.next();
 * subject.next(1);
 * await first;          // { value: 1, done: false }
 * await it.return?.(); // unsubscribed
 * ```
 */
export interface ObservableIterator<T> extends AsyncIterable<T> {
  /** The next value; subscribes on the first call. Cancelling the Future closes the iterator. */
  next(): Future<IteratorResult<T, undefined>>;
  /** Unsubscribes, drops what is buffered and settles every pending `next()` with `{ done: true }`. */
  return(value?: unknown): Future<IteratorResult<T, undefined>>;
  /** As {@link return}, then fails with `err` (as an async generator that does not catch it). */
  throw(err?: unknown): Future<IteratorResult<T, undefined>>;
}

const IDLE = 0; // not subscribed yet
const OPEN = 1; // subscribed
const ENDED = 2; // the source completed or failed (buffered values may remain)
const CLOSED = 3; // return(), throw() or a cancelled next(): nothing is delivered any more

const DONE: IteratorReturnResult<undefined> = Object.freeze({
  value: undefined,
  done: true,
}) as IteratorReturnResult<undefined>;

/**
 * A `next()` Future: cancelling it (directly or by cancelling the Task that
 * awaits it) closes the iterator at once, inside `cancel()`.
 */
class NextFuture<T> extends Future<IteratorResult<T, undefined>> {
  /** @internal */ _iter: ObservableIteratorImpl<T> | undefined;

  constructor(loop: EventLoop, iter: ObservableIteratorImpl<T> | undefined) {
    super({ loop });
    this._iter = iter;
  }

  override cancel(msg?: string): boolean {
    const cancelled = super.cancel(msg);
    const iter = this._iter;
    if (cancelled && iter !== undefined) {
      this._iter = undefined;
      iter._close();
    }
    return cancelled;
  }
}

/** Feeds one iterator (a subclass: no closures, no destination object). */
class IteratorSubscriber<T> extends Subscriber<T> {
  constructor(readonly iter: ObservableIteratorImpl<T>) {
    super();
  }
  protected override _next(value: T): void {
    this.iter._onNext(value);
  }
  protected override _error(err: unknown): void {
    this.iter._onEnd({ e: err });
    this.unsubscribe();
  }
  protected override _complete(): void {
    this.iter._onEnd(undefined);
    this.unsubscribe();
  }
}

/** @internal */
export class ObservableIteratorImpl<T> implements ObservableIterator<T> {
  /** @internal */ _source: Observable<T>;
  /** @internal */ _policy: Normalized;
  /** @internal */ _loop: EventLoop | undefined = undefined;
  /** @internal */ _state = IDLE;
  /** @internal */ _subscriber: Subscriber<T> | undefined = undefined;
  /** @internal values not read yet */ _buffer = new Fifo<T>();
  /** @internal pending next() Futures, oldest first (never done while listed) */ _waiting = new Fifo<NextFuture<T>>();
  /** @internal the source's error, delivered after the buffered values */ _error: { e: unknown } | undefined =
    undefined;

  constructor(source: Observable<T>, policy: Normalized) {
    this._source = source;
    this._policy = policy;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this as unknown as AsyncIterator<T>;
  }

  next(): Future<IteratorResult<T, undefined>> {
    const loop = (this._loop ??= getRunningLoop());
    if (this._buffer.length > 0) return this._ready(loop, { value: this._buffer.shift(), done: false });
    const err = this._error;
    if (err !== undefined) {
      this._error = undefined;
      this._state = CLOSED;
      const f = new NextFuture<T>(loop, undefined);
      f.setException(err.e);
      return f;
    }
    if (this._state >= ENDED) return this._ready(loop, DONE);
    const w = new NextFuture<T>(loop, this);
    this._waiting.push(w);
    if (this._state === IDLE) this._subscribe();
    return w;
  }

  return(_value?: unknown): Future<IteratorResult<T, undefined>> {
    const loop = (this._loop ??= getRunningLoop());
    this._close();
    return this._ready(loop, DONE);
  }

  throw(err?: unknown): Future<IteratorResult<T, undefined>> {
    const loop = (this._loop ??= getRunningLoop());
    this._close();
    const f = new NextFuture<T>(loop, undefined);
    f.setException(err);
    return f;
  }

  /** @internal */
  _ready(loop: EventLoop, r: IteratorResult<T, undefined>): NextFuture<T> {
    const f = new NextFuture<T>(loop, undefined);
    f.setResult(r);
    return f;
  }

  /** @internal */
  _subscribe(): void {
    this._state = OPEN;
    const subscriber = new IteratorSubscriber<T>(this);
    this._subscriber = subscriber;
    try {
      this._source.subscribe(subscriber);
    } catch (e) {
      // rxjs reports a throwing subscribe through error(); anything else ends the stream here.
      this._onEnd({ e });
    }
    if (this._state !== OPEN) {
      this._subscriber = undefined;
      safeUnsubscribe(subscriber, this._loop);
    }
  }

  /** @internal */
  _onNext(v: T): void {
    if (this._state !== OPEN) return;
    if (this._waiting.length > 0) {
      const w = this._waiting.shift();
      w._iter = undefined;
      w.setResult({ value: v, done: false });
      return;
    }
    const buf = this._buffer;
    const { kind, size } = this._policy;
    if (kind === Kind.Unbounded) buf.push(v);
    else if (kind === Kind.Latest) {
      if (buf.length > 0) buf.shift();
      buf.push(v);
    } else if (kind === Kind.Next) {
      // dropped: nobody was waiting
    } else if (buf.length < size) buf.push(v);
    else if (kind === Kind.DropOldest) {
      buf.shift();
      buf.push(v);
    } else if (kind === Kind.Error) {
      const sub = this._subscriber;
      this._onEnd({ e: new QueueFull(`toAsyncIterable: more than ${size} unread values (overflow: "error")`) });
      safeUnsubscribe(sub, this._loop);
    }
    // Kind.DropNewest: v is dropped
  }

  /** @internal The source completed (`err` undefined) or failed. */
  _onEnd(err: { e: unknown } | undefined): void {
    if (this._state !== OPEN) return;
    this._state = ENDED;
    this._subscriber = undefined;
    const waiting = this._waiting;
    if (err !== undefined && waiting.length > 0) {
      // Waiters exist only when the buffer is empty: the error goes to the oldest.
      const w = waiting.shift();
      w._iter = undefined;
      this._state = CLOSED;
      w.setException(err.e);
    } else if (err !== undefined) this._error = err;
    while (waiting.length > 0) {
      const w = waiting.shift();
      w._iter = undefined;
      w.setResult(DONE);
    }
  }

  /** @internal return(), throw(), or a cancelled next(): unsubscribe and settle every pending next(). */
  _close(): void {
    const prev = this._state;
    this._state = CLOSED;
    const sub = this._subscriber;
    this._subscriber = undefined;
    this._buffer.clear();
    const waiting = this._waiting;
    while (waiting.length > 0) {
      const w = waiting.shift();
      w._iter = undefined;
      if (!w.done()) w.setResult(DONE);
    }
    if (prev === OPEN) safeUnsubscribe(sub, this._loop);
    const err = this._error;
    if (err !== undefined) {
      // The consumer stopped before reading the source's error: nobody else will.
      this._error = undefined;
      reportUnhandled(this._loop, "toAsyncIterable: the source failed after the consumer stopped reading", err.e);
    }
  }
}

/**
 * An async iterator over `source` (rxjs #5482, rxjs-for-await), with real
 * cancellation: subscribes on the first `next()`; `return()`, `throw()`,
 * `break`, or cancelling the Task that waits in `next()` unsubscribes and
 * settles every pending `next()` with `{ done: true }`. Values buffered
 * before an error are delivered before it. `next()` returns a core Future
 * (it needs a running loop).
 *
 * `policy`: `"unbounded"` (default, lossless FIFO), `"latest"` (only the
 * newest unread value), `"next"` (only values that arrive while a `next()`
 * waits) or `{ bufferSize, overflow }` (`"error"` fails the iteration with
 * the core's `QueueFull` and unsubscribes; `"dropOldest"`, `"dropNewest"`).
 *
 * @example
 * ```ts
 * await run(async () => {
 *   for await (const tick of toAsyncIterable(interval(10).pipe(take(3)))) console.log(tick); // 0 1 2
 *   const messages$ = new Subject<string>();
 *   const task = createTask(async () => { for await (const m of toAsyncIterable(messages$)) console.log(m); });
 *   await sleep(0);
 *   task.cancel(); // unsubscribes: messages$ is no longer observed
 * });
 * ```
 */
export function toAsyncIterable<T>(
  source: ObservableInput<T>,
  options?: ToAsyncIterableOptions,
): ObservableIterator<T> {
  const policy = normalizePolicy(options?.policy);
  const obs = source instanceof Observable ? source : from(source);
  return new ObservableIteratorImpl(obs, policy);
}

/**
 * Handles returned by the loop's scheduling calls, and the loop as the
 * modules below loop.ts see it.
 * @module
 */
import type { Context } from "./context.js";
import { state } from "./context.js";

/**
 * @internal The part of the event loop that the core's modules below
 * loop.ts use, declared here at the bottom of the core's imports (as
 * CPython's `events.AbstractEventLoop`) so that they type the loop without
 * importing loop.ts: the core's modules form a DAG even counting types.
 * {@link EventLoop} has it (checked where loop.ts hands itself to a Handle).
 */
export interface AbstractEventLoop {
  /** See {@link EventLoop.callExceptionHandler}. */
  callExceptionHandler(context: { message: string; [key: string]: unknown }): void;
  /** True while the loop runs (what a {@link Frame} of the context needs). */
  readonly _running: boolean;
  /** A scheduled timer was cancelled (for the lazy purge of the timer heap). */
  _timerHandleCancelled(handle: TimerHandle): void;
}

/**
 * @internal The part of a {@link Future} that the modules futures.ts
 * imports use (the Observable interop of observable.ts), declared here for
 * the same reason as {@link AbstractEventLoop}.
 */
export interface AbstractFuture<T> {
  done(): boolean;
  cancelled(): boolean;
  result(): T;
  exception(): unknown;
  cancel(): boolean;
  addDoneCallback(fn: (future: AbstractFuture<T>) => void): void;
  removeDoneCallback(fn: (future: AbstractFuture<T>) => void): number;
  getLoop(): AbstractEventLoop;
}

/**
 * A callback scheduled with {@link EventLoop.callSoon} (asyncio's `Handle`).
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * const h = loop.callSoon(() => console.log("never"));
 * h.cancel();
 * ```
 */
export class Handle {
  /** @internal */ _cancelled = false;
  /** @internal */
  constructor(
    /** @internal */ public _callback: ((...args: any[]) => unknown) | undefined,
    /** @internal */ public _args: unknown[] | undefined,
    /** @internal */ readonly _loop: AbstractEventLoop,
    /** @internal */ readonly _context: Context,
    /** @internal the task this callback belongs to, if any */ readonly _task: unknown = undefined,
  ) {}
  /** Cancels the callback; a no-op if it already ran. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      this._callback = undefined;
      this._args = undefined;
    }
  }
  /** True once {@link cancel} was called. */
  cancelled(): boolean {
    return this._cancelled;
  }
  /** @internal */
  _run(): void {
    const prev = state.current;
    state.current = this;
    try {
      const cb = this._callback!;
      const args = this._args;
      if (args === undefined) cb();
      else cb(...args);
    } catch (exception) {
      this._loop.callExceptionHandler({
        message: `Exception in callback ${this._callback?.name || "<anonymous>"}`,
        exception,
        handle: this,
      });
    } finally {
      state.current = prev;
    }
  }
}

/**
 * A callback scheduled with {@link EventLoop.callLater} or
 * {@link EventLoop.callAt} (asyncio's `TimerHandle`).
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * const t = loop.callLater(1.5, () => console.log("tick"));
 * t.when(); // loop.time() + 1.5, in seconds
 * t.cancel();
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */ _scheduled = false;
  /** @internal insertion order, for a stable heap */ _seq = 0;
  /** @internal */
  constructor(
    /** @internal */ readonly _when: number,
    callback: (...args: any[]) => unknown,
    args: unknown[] | undefined,
    loop: AbstractEventLoop,
    context: Context,
  ) {
    super(callback, args, loop, context);
  }
  /** The loop time, in seconds, at which the callback is due. */
  when(): number {
    return this._when;
  }
  override cancel(): void {
    if (!this._cancelled) this._loop._timerHandleCancelled(this);
    super.cancel();
  }
}

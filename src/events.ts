/**
 * Handles returned by the loop's scheduling calls.
 * @module
 */
import type { Context } from "./context.js";
import { state } from "./context.js";
import type { EventLoop } from "./loop.js";

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
    /** @internal */ readonly _loop: EventLoop,
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
    loop: EventLoop,
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

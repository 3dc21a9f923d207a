/**
 * The scheduling interfaces Twisted code is written against
 * (`twisted.internet.interfaces.IReactorTime` and `IDelayedCall`), met by
 * {@link Clock}, {@link Reactor} and anything ported code brings.
 * @module
 */

/**
 * A call scheduled with {@link IReactorTime.callLater} (Twisted's
 * `IDelayedCall`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const call: IDelayedCall = clock.callLater(5, () => console.log("retry"));
 * call.reset(10); // now due 10 seconds from now
 * if (call.active()) call.cancel();
 * ```
 */
export interface IDelayedCall {
  /** The time (seconds, on the scheduler's clock) at which the call is due. */
  getTime(): number;
  /** Unschedules the call; `AlreadyCancelled` / `AlreadyCalled` if it was cancelled or ran. */
  cancel(): void;
  /** Moves the call `secondsLater` seconds later than its current due time. */
  delay(secondsLater: number): void;
  /** Reschedules the call `secondsFromNow` seconds from now. */
  reset(secondsFromNow: number): void;
  /** True until the call ran or was cancelled. */
  active(): boolean;
}

/**
 * A clock that can schedule calls (Twisted's `IReactorTime`): what
 * {@link Deferred.addTimeout}, {@link deferLater} and {@link LoopingCall}
 * need. Times are in seconds.
 *
 * @example
 * ```ts
 * function later(clock: IReactorTime) { return clock.callLater(1.5, () => console.log(clock.seconds())); }
 * later(new Clock());
 * ```
 */
export interface IReactorTime {
  /** The current time, in seconds. */
  seconds(): number;
  /** Calls `f(...args)` `delay` seconds from now. */
  callLater(delay: number, f: (...args: any[]) => unknown, ...args: unknown[]): IDelayedCall;
  /** The calls scheduled and not yet run or cancelled. */
  getDelayedCalls(): readonly IDelayedCall[];
}

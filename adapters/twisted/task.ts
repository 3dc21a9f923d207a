/**
 * `twisted.internet.task`: a deterministic {@link Clock}, {@link deferLater}
 * and {@link LoopingCall}.
 * @module
 */
import { RuntimeError, ValueError } from "../../src/index.js";
import { Deferred, maybeDeferred } from "./deferred.js";
import { AlreadyCalled, AlreadyCancelled } from "./errors.js";
import type { Failure } from "./failure.js";
import type { IDelayedCall, IReactorTime } from "./interfaces.js";
import { reactor } from "./reactor.js";

function checkSeconds(x: unknown, what: string): void {
  if (typeof x !== "number" || Number.isNaN(x))
    throw new TypeError(`${what} must be a number of seconds, got ${typeof x === "number" ? "NaN" : typeof x}`);
}

/**
 * A call scheduled on a {@link Clock} (Twisted's `base.DelayedCall`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const call = clock.callLater(2, () => console.log("ping"));
 * call.delay(1);   // due at 3
 * call.cancel();
 * ```
 */
export class DelayedCall implements IDelayedCall {
  /** The scheduled time, without the pending {@link delay} (seconds). */
  time: number;
  /** The extra delay not yet applied to {@link time}. */
  delayedTime = 0;
  /** True once the call was cancelled. */
  cancelled = false;
  /** True once the call ran. */
  called = false;
  /** @internal */ _func: ((...args: any[]) => unknown) | undefined;
  /** @internal */ _args: unknown[] | undefined;
  /** @internal */ readonly _canceller: (c: DelayedCall) => void;
  /** @internal */ readonly _resetter: (c: DelayedCall) => void;
  /** @internal */ readonly _seconds: () => number;

  /** @internal Made by {@link Clock.callLater}. */
  constructor(
    time: number,
    func: (...args: any[]) => unknown,
    args: unknown[],
    cancel: (c: DelayedCall) => void,
    reset: (c: DelayedCall) => void,
    seconds: () => number,
  ) {
    this.time = time;
    this._func = func;
    this._args = args;
    this._canceller = cancel;
    this._resetter = reset;
    this._seconds = seconds;
  }

  getTime(): number {
    return this.time + this.delayedTime;
  }

  cancel(): void {
    if (this.cancelled) throw new AlreadyCancelled();
    if (this.called) throw new AlreadyCalled();
    this._canceller(this);
    this.cancelled = true;
    this._func = undefined;
    this._args = undefined;
  }

  reset(secondsFromNow: number): void {
    checkSeconds(secondsFromNow, "reset()");
    if (this.cancelled) throw new AlreadyCancelled("Tried to reset an already-cancelled event.");
    if (this.called) throw new AlreadyCalled("Tried to reset an already-called event.");
    const newTime = this._seconds() + secondsFromNow;
    if (newTime < this.time) {
      this.delayedTime = 0;
      this.time = newTime;
      this._resetter(this);
    } else {
      this.delayedTime = newTime - this.time;
    }
  }

  delay(secondsLater: number): void {
    checkSeconds(secondsLater, "delay()");
    if (this.cancelled) throw new AlreadyCancelled("Tried to delay an already-cancelled event.");
    if (this.called) throw new AlreadyCalled("Tried to delay an already-called event.");
    this.delayedTime += secondsLater;
    if (this.delayedTime < 0) {
      this.time += this.delayedTime;
      this.delayedTime = 0;
      this._resetter(this);
    }
  }

  active(): boolean {
    return !(this.cancelled || this.called);
  }

  /** @internal Runs the call (the clock has removed it). */
  _run(): void {
    this.called = true;
    const f = this._func!;
    const args = this._args!;
    f(...args);
  }

  /** `<DelayedCall [2s] called=false cancelled=false f()>` */
  toString(): string {
    return `<DelayedCall [${this.time - this._seconds()}s] called=${this.called} cancelled=${this.cancelled}${this._func ? " " + (this._func.name || "<anonymous>") + "()" : ""}>`;
  }
}

/**
 * A clock whose time moves only when told (Twisted's `task.Clock`): the
 * deterministic {@link IReactorTime} for tests. Calls run inside
 * {@link advance}, in time order (equal times in scheduling order).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * clock.callLater(5, () => console.log("five"));
 * clock.advance(5); // prints "five"
 * ```
 */
export class Clock implements IReactorTime {
  /** The current time, in seconds. */
  rightNow = 0;
  /** The pending calls, sorted by time. */
  calls: DelayedCall[] = [];

  seconds(): number {
    return this.rightNow;
  }

  /** @internal A stable sort, as Python's list.sort. */
  _sortCalls(): void {
    this.calls.sort((a, b) => a.getTime() - b.getTime());
  }

  callLater(delay: number, callable: (...args: any[]) => unknown, ...args: unknown[]): DelayedCall {
    checkSeconds(delay, "callLater() delay");
    if (typeof callable !== "function") throw new TypeError(`callLater() needs a function, got ${typeof callable}`);
    const dc = new DelayedCall(
      this.seconds() + delay,
      callable,
      args,
      (c) => {
        const i = this.calls.indexOf(c);
        if (i >= 0) this.calls.splice(i, 1);
      },
      () => {},
      () => this.seconds(),
    );
    this.calls.push(dc);
    this._sortCalls();
    return dc;
  }

  getDelayedCalls(): readonly DelayedCall[] {
    return this.calls;
  }

  /** Moves time `amount` seconds forward and runs every call now due (re-sorting after each, as calls may reschedule others). */
  advance(amount: number): void {
    checkSeconds(amount, "advance()");
    if (amount < 0) throw new ValueError("time can't go backwards");
    this.rightNow += amount;
    this._sortCalls();
    while (this.calls.length > 0 && this.calls[0]!.getTime() <= this.seconds()) {
      const call = this.calls.shift()!;
      call._run();
      this._sortCalls();
    }
  }

  /** Advances by each of `timings` in turn. */
  pump(timings: Iterable<number>): void {
    for (const amount of timings) this.advance(amount);
  }
}

/**
 * A Deferred that fires `delay` seconds from now on `clock` with
 * `callable(...args)` (or undefined without a callable). Cancelling it
 * cancels the scheduled call (Twisted's `task.deferLater`).
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * deferLater(clock, 1.5, () => "ready").addCallback(console.log);
 * clock.advance(1.5); // prints "ready"
 * ```
 */
export function deferLater<T = undefined, A extends unknown[] = []>(
  clock: IReactorTime,
  delay: number,
  callable?: ((...args: A) => T | Deferred<T>) | null,
  ...args: A
): Deferred<T> {
  checkSeconds(delay, "deferLater() delay");
  if (callable != null && typeof callable !== "function")
    throw new TypeError(`deferLater() callable must be a function, got ${typeof callable}`);
  const d = new Deferred<T>(() => delayedCall.cancel());
  d.addCallback(() => (callable == null ? undefined : callable(...args)) as T);
  const delayedCall = clock.callLater(delay, () => d.callback(undefined as T));
  return d;
}

/**
 * Calls a function every `interval` seconds (Twisted's
 * `task.LoopingCall`). If the function returns a Deferred, the next call
 * waits for it. Missed intervals are skipped: the next call goes to the
 * next interval boundary. {@link start} returns a Deferred that fires with
 * the LoopingCall on {@link stop}, or fails with the function's failure.
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const lc = new LoopingCall(() => console.log("tick"));
 * lc.clock = clock;                 // default: the reactor over the running loop
 * lc.start(1.0).addCallback(() => console.log("stopped"));
 * clock.advance(3);                 // ticks at 0, then 3 (1 and 2 are skipped in one advance)
 * lc.stop();
 * ```
 */
export class LoopingCall {
  /** The function called. */
  readonly f: (...args: any[]) => unknown;
  /** Its arguments. */
  readonly a: unknown[];
  /** The clock the calls are scheduled on; swap it before {@link start}. */
  clock: IReactorTime = reactor;
  /** The next scheduled call, if any. */
  call: IDelayedCall | undefined = undefined;
  /** True between {@link start} and {@link stop} (or a failure). */
  running = false;
  /** The interval in seconds, once started. */
  interval: number | undefined = undefined;
  /** The time of the start (or of the last {@link reset}). */
  starttime: number | undefined = undefined;
  /** @internal */ _deferred: Deferred<LoopingCall> | undefined = undefined;
  /** @internal */ _runAtStart = false;
  /** @internal */ _realLastTime: number | undefined = undefined;

  /** A LoopingCall of `f(...args)`; nothing runs until {@link start}. */
  constructor(f: (...args: any[]) => unknown, ...args: unknown[]) {
    if (typeof f !== "function") throw new TypeError(`LoopingCall needs a function, got ${typeof f}`);
    this.f = f;
    this.a = args;
  }

  /**
   * A LoopingCall that passes `countCallable` the number of intervals since
   * its last call (more than 1 when intervals were skipped).
   */
  static withCount(countCallable: (count: number) => unknown): LoopingCall {
    const self: LoopingCall = new LoopingCall(() => {
      const now = self.clock.seconds();
      if (self.interval === 0) {
        self._realLastTime = now;
        return countCallable(1);
      }
      let lastTime = self._realLastTime;
      if (lastTime === undefined) {
        lastTime = self.starttime!;
        if (self._runAtStart) lastTime -= self.interval!;
      }
      const count = self._intervalOf(now) - self._intervalOf(lastTime);
      if (count > 0) {
        self._realLastTime = now;
        return countCallable(count);
      }
      return undefined;
    });
    return self;
  }

  /** @internal */
  _intervalOf(t: number): number {
    return Math.trunc((t - this.starttime!) / this.interval!);
  }

  /**
   * Starts calling every `interval` seconds, at once if `now` (default)
   * else after one interval. `ValueError` for a negative interval;
   * `RuntimeError` if already running.
   */
  start(interval: number, now = true): Deferred<LoopingCall> {
    if (this.running) throw new RuntimeError("Tried to start an already running LoopingCall.");
    checkSeconds(interval, "LoopingCall interval");
    if (interval < 0) throw new ValueError("interval must be >= 0");
    this.running = true;
    const deferred = (this._deferred = new Deferred<LoopingCall>());
    this.starttime = this.clock.seconds();
    this.interval = interval;
    this._runAtStart = now;
    if (now) this.__call__();
    else this._scheduleFrom(this.starttime);
    return deferred;
  }

  /** Stops; the Deferred of {@link start} fires with this LoopingCall (at once, or when a pending call's Deferred fires). */
  stop(): void {
    if (!this.running) throw new RuntimeError("Tried to stop a LoopingCall that was not running.");
    this.running = false;
    if (this.call !== undefined) {
      this.call.cancel();
      this.call = undefined;
      const d = this._deferred!;
      this._deferred = undefined;
      d.callback(this);
    }
  }

  /** Skips the next call and restarts the interval from now. */
  reset(): void {
    if (!this.running) throw new RuntimeError("Tried to reset a LoopingCall that was not running.");
    if (this.call !== undefined) {
      this.call.cancel();
      this.call = undefined;
      this.starttime = this.clock.seconds();
      this._scheduleFrom(this.starttime);
    }
  }

  /** @internal One call of the function (Twisted's `__call__`). */
  __call__ = (): void => {
    this.call = undefined;
    const d = maybeDeferred(this.f, ...this.a);
    d.addCallback(() => {
      if (this.running) this._scheduleFrom(this.clock.seconds());
      else {
        const dd = this._deferred!;
        this._deferred = undefined;
        dd.callback(this);
      }
    });
    d.addErrback((failure: Failure) => {
      this.running = false;
      const dd = this._deferred!;
      this._deferred = undefined;
      dd.errback(failure);
    });
  };

  /** @internal Schedules the next call at the next interval boundary after `when`. */
  _scheduleFrom(when: number): void {
    const howLong = (): number => {
      if (this.interval === 0) return 0;
      const runningFor = when - this.starttime!;
      const untilNextInterval = this.interval! - (runningFor % this.interval!);
      // Float rounding can make the step vanish: then wait a whole interval.
      if (when === when + untilNextInterval) return this.interval!;
      return untilNextInterval;
    };
    this.call = this.clock.callLater(howLong(), this.__call__);
  }

  /** `LoopingCall<1>(tick, ...)` */
  toString(): string {
    return `LoopingCall<${this.interval}>(${this.f.name || "<anonymous>"}, ${JSON.stringify(this.a)})`;
  }
}

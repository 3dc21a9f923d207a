/**
 * loopScheduler: an rxjs SchedulerLike on the core's loop, so that `delay`,
 * `timer`, `interval`, `debounceTime` and `timeout` run on the loop's clock
 * (in virtual time on a VirtualTimeLoop).
 * @module
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from "rxjs";
import { getRunningLoop, type EventLoop, type Handle } from "../../src/index.js";

/**
 * One scheduled piece of work, with rxjs AsyncAction's contract: the work
 * runs with `this` = the action; `this.schedule(state, delay)` re-arms the
 * same action (replacing the pending run); unsubscribing cancels it, re-armed
 * runs included. An error thrown by the work unsubscribes the action and
 * goes to the loop's exception handler (as any callback's).
 */
class LoopAction<T> extends Subscription implements SchedulerAction<T> {
  /** @internal */ _handle: Handle | undefined = undefined;
  /** @internal */ _state: T | undefined = undefined;
  /** @internal */ _work: ((this: SchedulerAction<T>, state?: T) => void) | undefined;
  /** @internal */ readonly _loop: EventLoop;

  constructor(loop: EventLoop, work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
    this._loop = loop;
    this._work = work;
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this._state = state;
    this._handle?.cancel();
    const seconds = Number(delay) / 1000;
    // Anything but a positive number of milliseconds (0, negative, NaN) runs on the next iteration.
    this._handle = seconds > 0 ? this._loop.callLater(seconds, runAction, this) : this._loop.callSoon(runAction, this);
    return this;
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this._handle?.cancel();
    this._handle = undefined;
    this._work = undefined;
    this._state = undefined;
    super.unsubscribe();
  }
}

function runAction<T>(action: LoopAction<T>): void {
  action._handle = undefined;
  const work = action._work;
  if (work === undefined || action.closed) return;
  try {
    work.call(action, action._state);
  } catch (e) {
    action.unsubscribe();
    throw e;
  }
}

class LoopScheduler implements SchedulerLike {
  constructor(readonly loop: EventLoop) {}

  now(): number {
    return this.loop.time() * 1000;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new LoopAction<T>(this.loop, work).schedule(state, delay);
  }
}

const schedulers = new WeakMap<EventLoop, LoopScheduler>();

/**
 * An rxjs `SchedulerLike` on `loop` (default: the running loop; a
 * `RuntimeError` without either): `now()` is `loop.time()` in milliseconds,
 * `schedule(work, delay, state)` runs on `callSoon` / `callLater` (the
 * milliseconds converted to the loop's seconds) with rxjs AsyncAction's
 * contract. On a `VirtualTimeLoop`, `timer`, `interval`, `delay`,
 * `debounceTime` and `timeout` given this scheduler run in virtual time.
 *
 * @example
 * ```ts
 * await runVirtual(async () => {
 *   const s = loopScheduler();
 *   const v = await lastValueFrom(interval(1000, s).pipe(take(3))); // 2, at once in real time
 *   console.log(getRunningLoop().time()); // 3 (seconds)
 * });
 * ```
 */
export function loopScheduler(loop?: EventLoop): SchedulerLike {
  const l = loop ?? getRunningLoop();
  let s = schedulers.get(l);
  if (s === undefined) schedulers.set(l, (s = new LoopScheduler(l)));
  return s;
}

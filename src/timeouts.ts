/**
 * Timeouts as scopes (asyncio's `timeouts.py`): `timeout(delay)` and
 * `timeoutAt(when)` cancel the current task at the deadline, and the
 * outermost expired scope turns the resulting `CancelledError` into a
 * `TimeoutError`. Built on the `cancelling()` / `uncancel()` protocol, so
 * nested timeouts, task groups and foreign cancellations compose.
 * @module
 */
import { CancelledError, RuntimeError, TimeoutError, ValueError } from "./errors.js";
import type { TimerHandle } from "./events.js";
import { isGenerator, readyAwaitable, toAwaitable, yieldValue, type ScopeBody } from "./awaitable.js";
import { currentTask, type Task, type Awaitable, type Coroutine } from "./tasks.js";
import { getRunningLoop } from "./running.js";
import { ExceptionGroup } from "./exceptiongroup.js";

export type { ScopeBody } from "./awaitable.js";

/** The states of a {@link Timeout} (asyncio's `_State` values). */
export type TimeoutState = "created" | "active" | "expiring" | "expired" | "finished";

function checkDeadline(x: unknown, what: string): number | null {
  if (x === null || x === undefined) return null;
  if (typeof x !== "number") throw new TypeError(`${what} must be a number of seconds or null, got ${typeof x}`);
  // asyncio does not check; a NaN deadline would never fire nor compare, so reject it.
  if (Number.isNaN(x)) throw new ValueError(`Invalid ${what}: NaN`);
  return x;
}

/**
 * A deadline for a block of code (asyncio's `Timeout`): at the deadline the
 * current task is cancelled, and when the block exits with the
 * `CancelledError` this scope caused, `TimeoutError` is thrown instead
 * (its `cause` is the `CancelledError`, as Python's `raise ... from`).
 * Create it with {@link timeout} or {@link timeoutAt}.
 *
 * States: `created` → `active` (entered) → `expiring` (the deadline
 * cancelled the task) → `expired` (exited), or `active` → `finished`.
 *
 * Prefer {@link Timeout.run}, which sees the body's exception and so has
 * asyncio's exact `__aexit__`. The `await using t = await timeout(5).enter()`
 * form cannot see it: when the deadline has passed, leaving the block
 * always throws `TimeoutError` (even if the body caught the
 * `CancelledError` and finished normally), and JavaScript then reports it as
 * a `SuppressedError` whose `error` is the `TimeoutError` and whose
 * `suppressed` is the body's `CancelledError`.
 *
 * @example
 * ```ts
 * try {
 *   await timeout(5).run(async () => { await sleep(10); });
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("took more than 5 s");
 *   else throw e;
 * }
 * ```
 */
export class Timeout implements AsyncDisposable {
  #state: TimeoutState = "created";
  #handle: TimerHandle | { cancel(): void } | null = null;
  #task: Task<unknown> | undefined = undefined;
  #when: number | null;
  #cancelling = 0;

  /**
   * A timeout due at loop time `when` (seconds; `null` = never). Use
   * {@link timeout} or {@link timeoutAt} rather than this constructor.
   */
  constructor(when: number | null | undefined) {
    this.#when = checkDeadline(when, "when");
  }

  /** The deadline (loop time in seconds), or `null` for none. */
  when(): number | null {
    return this.#when;
  }

  /** The current state (`created`, `active`, `expiring`, `expired` or `finished`). */
  get state(): TimeoutState {
    return this.#state;
  }

  /**
   * Moves the deadline to loop time `when` (`null` = no deadline); a time
   * not after now fires on the next loop iteration. Only allowed while the
   * block is active, else `RuntimeError`.
   *
   * @example
   * ```ts
   * await timeout(null).run(async (t) => {
   *   t.reschedule(getRunningLoop().time() + 1); // now a 1 s deadline
   *   await work();
   * });
   * ```
   */
  reschedule(when: number | null | undefined): void {
    if (this.#state !== "active") {
      if (this.#state === "created") throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this.#state} Timeout`);
    }
    when = checkDeadline(when, "when");
    this.#when = when;
    if (this.#handle !== null) this.#handle.cancel();
    if (when === null) {
      this.#handle = null;
    } else {
      const loop = getRunningLoop();
      // At or before now: the next iteration, never synchronously.
      this.#handle = when <= loop.time() ? loop.callSoon(this.#onTimeout) : loop.callAt(when, this.#onTimeout);
    }
  }

  /** True once the deadline cancelled the task (states `expiring` and `expired`). */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /**
   * Enters the block (asyncio's `__aenter__`) for `await using`:
   * `await using t = await timeout(5).enter();`. Must run inside a task.
   * See the class comment for what differs from {@link run}.
   *
   * @example
   * ```ts
   * {
   *   await using t = await timeout(5).enter();
   *   await work();
   * } // TimeoutError (in a SuppressedError) if work() took too long
   * ```
   */
  enter(): Awaitable<this> {
    this._enter();
    return readyAwaitable(this);
  }

  /**
   * Leaves an `await using` block: asyncio's `__aexit__` without the
   * body's exception, except that an expired timeout always throws
   * `TimeoutError` (see the class comment).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state !== "active" && this.#state !== "expiring") return;
    const task = this.#task!;
    // The body's exception is unknown here: if this scope expired and no
    // newer cancel request exists, the block is treated as having been
    // cancelled by us, so the CancelledError is not let through alone.
    const wasExpiring = this.#state === "expiring";
    const cancelling = this.#cancelling;
    this._exit(false, undefined);
    if (wasExpiring && task.cancelling() <= cancelling) {
      throw new TimeoutError("the timeout expired in an `await using` block");
    }
  }

  /**
   * Runs `body` inside the timeout (the `async with timeout(...)` block)
   * and returns its result; throws `TimeoutError` if the deadline cancelled
   * it. `body` may be an async function (then `await` the result) or a
   * generator function (then `yield*` it from a generator coroutine; plain
   * `await` works too). A generator coroutine should pass a generator body:
   * an async body is followed there as a foreign promise, which the
   * deadline cannot interrupt.
   *
   * @example
   * ```ts
   * const data = await timeout(2).run(async () => fetchPage(url));
   * function* gen(): Coroutine<string> {
   *   return yield* timeout(2).run(function* () { return yield* sleep(1, "ok"); });
   * }
   * ```
   */
  run<T>(body: (t: Timeout) => Coroutine<T>): Awaitable<T>;
  run<T>(body: (t: Timeout) => PromiseLike<T> | T): Awaitable<T>;
  run<T>(body: ScopeBody<Timeout, T>): Awaitable<T> {
    if (typeof body !== "function") throw new TypeError("Timeout.run() expects a function");
    return new TimeoutRun<T>(this, body);
  }

  /** @internal asyncio's `__aenter__` (it never suspends). */
  _enter(): void {
    if (this.#state !== "created") throw new RuntimeError("Timeout has already been entered");
    const task = currentTask();
    if (task === undefined) throw new RuntimeError("Timeout should be used inside a task");
    this.#state = "active";
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
  }

  /**
   * @internal asyncio's `__aexit__`: throws TimeoutError when this scope's
   * cancellation is the one propagating; returns to let `exc` through.
   */
  _exit(hasExc: boolean, exc: unknown): void {
    if (this.#state !== "active" && this.#state !== "expiring")
      throw new RuntimeError(`Timeout exited in state ${this.#state}`);
    if (this.#handle !== null) {
      this.#handle.cancel();
      this.#handle = null;
    }
    if (this.#state === "expiring") {
      this.#state = "expired";
      if (this.#task!.uncancel() <= this.#cancelling && hasExc) {
        // No newer cancel request exists: the cancellation is ours.
        if (exc instanceof CancelledError) throw new TimeoutError(undefined, { cause: exc });
        insertTimeoutError(exc);
        if (exc instanceof ExceptionGroup) for (const e of exc.exceptions) insertTimeoutError(e);
      }
    } else if (this.#state === "active") {
      this.#state = "finished";
    }
  }

  #onTimeout = (): void => {
    if (this.#state !== "active") return;
    this.#task!.cancel();
    this.#state = "expiring";
    this.#handle = null;
  };
}

/**
 * asyncio 3.13's `_insert_timeout_error`, on the `cause` chain: JavaScript
 * has no implicit `__context__`, so the chain walked is the explicit
 * `cause` one. Where an error's `cause` is a `CancelledError`, a
 * `TimeoutError` (whose own `cause` is that `CancelledError`) is spliced in
 * between.
 */
function insertTimeoutError(exc: unknown): void {
  const seen = new Set<unknown>();
  while (typeof exc === "object" && exc !== null && !seen.has(exc)) {
    seen.add(exc);
    const cause = (exc as { cause?: unknown }).cause;
    if (cause === undefined || cause === null) return;
    if (cause instanceof CancelledError) {
      const te = new TimeoutError(undefined, { cause });
      try {
        Object.defineProperty(exc, "cause", { value: te, writable: true, configurable: true, enumerable: false });
      } catch {
        // A frozen error keeps its chain.
      }
      return;
    }
    exc = cause;
  }
}

/**
 * A {@link Timeout} due `delay` seconds from now (`null` or `undefined` =
 * no deadline; `0` or less fires on the next loop iteration). Must be
 * called while the loop runs.
 *
 * @example
 * ```ts
 * await timeout(10).run(async () => { await work(); });
 * ```
 */
export function timeout(delay: number | null | undefined): Timeout {
  const loop = getRunningLoop();
  const d = checkDeadline(delay, "delay");
  return new Timeout(d === null ? null : loop.time() + d);
}

/**
 * A {@link Timeout} due at loop time `when` (seconds, the clock of
 * `getRunningLoop().time()`; `null` or `undefined` = no deadline).
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * await timeoutAt(loop.time() + 10).run(async () => { await work(); });
 * ```
 */
export function timeoutAt(when: number | null | undefined): Timeout {
  return new Timeout(when);
}

/**
 * @internal The awaitable of {@link Timeout.run} (single use): `await` runs
 * the body from an async function, `yield*` inside the generator task. The
 * scope may be made when the run starts (`waitFor` takes its deadline then,
 * as asyncio's `wait_for` coroutine does).
 */
export class TimeoutRun<T> implements Awaitable<T> {
  #scope: Timeout | (() => Timeout) | undefined;
  #body: ScopeBody<Timeout, T> | undefined;
  constructor(scope: Timeout | (() => Timeout), body: ScopeBody<Timeout, T>) {
    this.#scope = scope;
    this.#body = body;
  }
  #take(): [Timeout, ScopeBody<Timeout, T>] {
    const scope = this.#scope;
    const body = this.#body;
    if (scope === undefined || body === undefined) throw new RuntimeError("cannot reuse already awaited coroutine");
    this.#scope = this.#body = undefined;
    return [typeof scope === "function" ? scope() : scope, body];
  }
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    let p: Promise<T>;
    try {
      const [scope, body] = this.#take();
      p = runAsync(scope, body);
    } catch (e) {
      p = Promise.reject(e);
    }
    return p.then(onFulfilled, onRejected);
  }
  [Symbol.iterator](): Coroutine<T> {
    const [scope, body] = this.#take();
    return runGen(scope, body);
  }
}

async function runAsync<T>(scope: Timeout, body: ScopeBody<Timeout, T>): Promise<T> {
  scope._enter();
  let result: T;
  try {
    const r = body(scope);
    // A generator body is driven here (its futures are awaited by the calling task).
    result = (isGenerator(r) ? await toAwaitable(r as Coroutine<T>) : await r) as T;
  } catch (e) {
    scope._exit(true, e);
    throw e;
  }
  scope._exit(false, undefined);
  return result;
}

function* runGen<T>(scope: Timeout, body: ScopeBody<Timeout, T>): Coroutine<T> {
  scope._enter();
  let result: T;
  try {
    result = yield* yieldValue<T>(body(scope));
  } catch (e) {
    scope._exit(true, e);
    throw e;
  }
  scope._exit(false, undefined);
  return result;
}

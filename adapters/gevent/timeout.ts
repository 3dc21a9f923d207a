/**
 * gevent's Timeout: an exception raised inside the greenlet (task) that
 * started it, at its switch point, when the timer fires; and its scope form.
 * @module
 */
import {
  type Awaitable,
  type Coroutine,
  type EventLoop,
  Task,
  type TimerHandle,
  currentTask,
} from "../../src/index.js";
import { drive, startBody } from "./body.js";
import { getcurrent, holdHubFor, loopFor, throwInto, withdrawThrow } from "./hub.js";

/** A scope body: a generator function, or an async function (interrupted at its next await on the library). */
export type TimeoutBody<T> = (() => Coroutine<T>) | (() => PromiseLike<T>) | (() => T);

// gevent's Timeout.__str__.
function formatMessage(s: number | undefined, exception: unknown): string {
  if (s === undefined) return "";
  const base = `${s} second${s === 1 ? "" : "s"}`;
  if (exception === undefined || exception === null) return base;
  if (exception === false) return `${base} (silent)`;
  return `${base}: ${exception instanceof Error ? exception.message : typeof exception === "function" ? exception.name : String(exception)}`;
}

/**
 * gevent's `Timeout` (a `BaseException` there, an Error here): once started,
 * when `seconds` pass it raises itself (or `exception`) inside the greenlet
 * that started it, at the `yield*` where it waits.
 *
 * - `seconds` undefined or null: never fires.
 * - `exception === false`: a silent timeout; its scope ({@link run}) then
 *   ends with `undefined` instead of throwing.
 * - An error class or instance: raised instead of the Timeout itself.
 *
 * `start()` raises into greenlets (and core generator tasks inside a
 * {@link run} scope); the scope form works from async code too, where the body
 * is interrupted at its next await on the library.
 *
 * @example
 * ```ts
 * // gevent: with Timeout(1): ...
 * try {
 *   yield* new Timeout(1).run(function* () { yield* sleep(5); return "late"; });
 * } catch (e) { console.log(e instanceof Timeout); } // true: it raised the Timeout
 * // gevent: with Timeout(1, False): ...
 * const w = yield* new Timeout(1, false).run(function* () { yield* sleep(5); }); // undefined after 1 s
 * ```
 */
export class Timeout extends Error {
  /** The delay in seconds (undefined: never fires). */
  readonly seconds: number | undefined;
  /** `false` for a silent timeout, an error (class or instance) to raise instead, or undefined. */
  readonly exception: unknown;
  /** @internal */ _timer: TimerHandle | undefined = undefined;
  /** @internal */ _task: Task<unknown> | undefined = undefined;
  /** @internal what was thrown in, while it may still be withdrawn */ _thrown: unknown = undefined;
  /** @internal */ _loop: EventLoop | undefined = undefined;

  /** A timeout of `seconds` (not started). */
  constructor(seconds?: number | null, exception?: unknown) {
    super(formatMessage(seconds ?? undefined, exception));
    this.name = "Timeout";
    if (seconds != null && (typeof seconds !== "number" || Number.isNaN(seconds)))
      throw new TypeError(`Timeout seconds must be a number, got ${String(seconds)}`);
    this.seconds = seconds ?? undefined;
    this.exception = exception;
  }

  /**
   * Creates and starts a timeout (gevent's `Timeout.start_new`).
   *
   * @example
   * ```ts
   * const t = Timeout.startNew(2);
   * try { yield* sleep(1); } finally { t.close(); }
   * ```
   */
  static startNew(seconds?: number | null, exception?: unknown): Timeout {
    const t = new Timeout(seconds, exception);
    t.start();
    return t;
  }

  /** True while the timer is armed. */
  get pending(): boolean {
    return this._timer !== undefined;
  }

  /**
   * Arms the timer for the current greenlet (or task). Throws if it is
   * pending already; a cancelled timeout can be started again.
   */
  start(): void {
    if (this.pending) throw new Error(`${this} is already started; to restart it, cancel it first`);
    this.#arm(currentTask());
  }

  #arm(task: Task<unknown> | undefined): void {
    this._task = task;
    this._thrown = undefined;
    if (this.seconds === undefined) return;
    const loop = (this._loop = task?.getLoop() ?? loopFor());
    this._timer = loop.callLater(Math.max(0, this.seconds), this.#fire);
  }

  #fire = (): void => {
    this._timer = undefined;
    const exc = this.#throws();
    this._thrown = exc;
    if (this._task !== undefined) throwInto(this._task, exc);
  };

  #throws(): unknown {
    const e = this.exception;
    if (e === undefined || e === false || e === null) return this;
    if (typeof e === "function") return new (e as new () => unknown)();
    return e;
  }

  /** Disarms the timer (and withdraws a throw not delivered yet); it can be started again. */
  cancel(): void {
    if (this._timer !== undefined) {
      this._timer.cancel();
      this._timer = undefined;
    }
    if (this._task !== undefined && this._thrown !== undefined) withdrawThrow(this._task, this._thrown);
  }

  /** Cancels and releases the timer (gevent requires it of `start()` users). */
  close(): void {
    this.cancel();
    this._task = undefined;
  }

  /**
   * The scope form (gevent's `with Timeout(seconds, exception):`): starts
   * the timer now, runs `body`, and cancels the timer when it ends. If the
   * timer fires, a silent timeout (`exception === false`) ends the scope
   * with `undefined`; otherwise its instance (or the custom exception) is
   * thrown out of the scope. Another Timeout (an outer one) always passes
   * through. Otherwise the body's value.
   */
  run<T>(body: TimeoutBody<T>): Awaitable<T | undefined> {
    if (typeof body !== "function") throw new TypeError("Timeout.run() expects a function");
    // Armed at the call; the task is the one that runs the scope (set at its first step).
    const started = !this.pending;
    if (started) this.#arm(undefined);
    const gen = (): Coroutine<T | undefined> => this.#scope(body, started);
    return {
      [Symbol.iterator]: gen,
      then: (onFulfilled, onRejected) => {
        const task = new Task(gen(), { loop: this._loop ?? loopFor() });
        holdHubFor(task as Task<unknown>);
        return task.then(onFulfilled, onRejected);
      },
    } as Awaitable<T | undefined>;
  }

  *#scope<T>(body: TimeoutBody<T>, started: boolean): Coroutine<T | undefined> {
    const task = currentTask();
    if (started && this._task === undefined) {
      this._task = task;
      // Fired before the scope's first step (zero seconds, awaited from an async function).
      if (this._thrown !== undefined && task !== undefined) throwInto(task, this._thrown);
    }
    try {
      return (yield* drive(startBody(body as (...a: unknown[]) => unknown, []), getcurrent())) as T;
    } catch (e) {
      if (e !== undefined && e === this._thrown) {
        if (this.exception === false) return undefined;
      }
      throw e;
    } finally {
      if (started) this.close();
    }
  }

  /** `Timeout(1 second)`. */
  override toString(): string {
    return `Timeout(${this.message || "None"})`;
  }
}

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions<V> {
  /** Returned instead of throwing when the timeout fires. */
  timeoutValue?: V;
}

/**
 * Runs `fn` with a timeout of `seconds` (gevent's `with_timeout`): its
 * value, or `timeoutValue` (if given) when *its own* timeout fired, or else
 * the {@link Timeout} is thrown.
 *
 * @example
 * ```ts
 * const page = yield* withTimeout(5, function* () { yield* sleep(10); return "page"; }, { timeoutValue: null });
 * console.log(page); // null: the body took longer than 5 s
 * ```
 */
export function withTimeout<T, V = never>(
  seconds: number,
  fn: TimeoutBody<T>,
  options?: WithTimeoutOptions<V>,
): Awaitable<T | V> {
  const t = new Timeout(seconds);
  const inner = t.run(fn) as Awaitable<T>;
  const hasValue = options !== undefined && "timeoutValue" in options;
  const gen = function* (): Coroutine<T | V> {
    try {
      return yield* inner;
    } catch (e) {
      if (e === t && hasValue) return options.timeoutValue as V;
      throw e;
    }
  };
  return {
    [Symbol.iterator]: gen,
    then: (onFulfilled, onRejected) =>
      (inner as PromiseLike<T>)
        .then(undefined, (e) => {
          if (e === t && hasValue) return options.timeoutValue as V;
          throw e;
        })
        .then(onFulfilled, onRejected),
  } as Awaitable<T | V>;
}

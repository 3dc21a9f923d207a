/**
 * The event loop (asyncio's `BaseEventLoop`), run inside Node's own loop, and
 * a virtual-time loop for tests. All times are in SECONDS (floats).
 * @module
 */
import { performance } from "node:perf_hooks";
import { RuntimeError, ValueError } from "./errors.js";
import { currentContext, type Context } from "./context.js";
import { Handle, TimerHandle } from "./events.js";
import { Future, settlePlainReactions } from "./futures.js";
import { Task, type CoroutineLike, type TaskOptions } from "./tasks.js";
import { _loopStarted, _loopStopped, _setTicking } from "./running.js";
import { reportPendingOf } from "./unretrieved.js";
import { TimerHeap } from "./timerheap.js";
export { getRunningLoop } from "./running.js";

/** What the exception handler receives (asyncio's context dict). */
export interface ExceptionContext {
  /** What went wrong, in words. */
  message: string;
  /** The exception, if there is one. */
  exception?: unknown;
  /** The future concerned, if any. */
  future?: Future<unknown>;
  /** The task concerned, if any. */
  task?: Task<unknown>;
  /** The handle whose callback failed, if any. */
  handle?: Handle;
  [key: string]: unknown;
}

/** A custom exception handler: see {@link EventLoop.setExceptionHandler}. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/**
 * What a loop's default executor must offer the loop: a way to shut it down
 * (see {@link EventLoop.setDefaultExecutor}). The core knows nothing else of
 * executors; `asyncio-ts/executors` provides them.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from "asyncio-ts/executors";
 * const loop = getRunningLoop();
 * loop.setDefaultExecutor(new ThreadPoolExecutor({ maxWorkers: 2 })); // shut down when the runner closes
 * ```
 */
export interface LoopExecutor {
  /** Stops the executor; with `wait`, the returned promise settles once its work is done. */
  shutdown(options?: { wait?: boolean }): PromiseLike<void> | void;
}

/**
 * asyncio's `THREAD_JOIN_TIMEOUT`: how long (seconds) {@link Runner} waits for the default executor.
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * await loop.shutdownDefaultExecutor(EXECUTOR_SHUTDOWN_TIMEOUT); // what the runner does when it closes
 * ```
 */
export const EXECUTOR_SHUTDOWN_TIMEOUT = 300;

/** A task factory: see {@link EventLoop.setTaskFactory}. */
export type TaskFactory = <T>(loop: EventLoop, coro: CoroutineLike<T>, options?: TaskOptions) => Task<T>;

const AsyncFunction = (async () => {}).constructor;
const GeneratorFunction = function* () {}.constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

// asyncio's constants for the lazy purge of cancelled timers.
const MIN_SCHEDULED_TIMER_HANDLES = 100;
const MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5;
// setTimeout has millisecond resolution: timers within this much of now are due.
const CLOCK_RESOLUTION = 0.001;
// The longest delay setTimeout takes (2^31-1 ms, about 24.8 days); Node turns
// a longer one into 1 ms. A later timer waits in steps of at most this.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function checkDelay(delay: number, what: string): void {
  if (typeof delay !== "number") throw new TypeError(`${what} must be a number of seconds, got ${typeof delay}`);
  if (Number.isNaN(delay)) throw new ValueError(`Invalid ${what}: NaN`);
}

/**
 * asyncio's event loop, running inside Node's event loop without blocking
 * it: each iteration is one Node macrotask (`setImmediate`), timers use
 * `setTimeout`, and an idle loop holds no Node handle, so a program whose
 * work is done exits on its own.
 *
 * One iteration runs only the callbacks that were ready when it began (as
 * `_run_once`); callbacks they schedule run in the next. Async-function
 * tasks resume in the microtasks that follow the iteration's callbacks.
 *
 * **Time is in seconds** (floats), as in asyncio: `callLater(1.5, f)`.
 *
 * @example
 * ```ts
 * const loop = new EventLoop();
 * loop.callLater(0.1, () => loop.stop());
 * await loop.runForever();
 * loop.close();
 * ```
 */
export class EventLoop {
  /** @internal */ _ready: Handle[] = [];
  /** @internal binary min-heap on (when, seq) */ _timers = new TimerHeap();
  /** @internal */ _timerSeq = 0;
  /** @internal */ _timerCancelledCount = 0;
  /** @internal */ _tasks = new Set<Task<unknown>>();
  /** @internal */ _running = false;
  /** @internal */ _stopping = false;
  /** @internal */ _closed = false;
  /** @internal */ _inTick = false;
  /** @internal the number of the current (or last) iteration */ _iteration = 0;
  /** @internal the last iteration whose microtasks are known to have drained (see {@link EventLoop._markDrain}) */ _drainedIter =
    -1;
  /** @internal */ _drainMarkIter = -1;
  /** @internal */ _immediate: NodeJS.Immediate | undefined = undefined;
  /** @internal */ _timeout: NodeJS.Timeout | undefined = undefined;
  /** @internal the loop time at which `_timeout` fires */ _timeoutAt = Infinity;
  /** @internal */ _runDone: { resolve: () => void; reject: (e: unknown) => void } | undefined = undefined;
  /** @internal */ _debug = false;
  /** @internal */ _exceptionHandler: ExceptionHandler | undefined = undefined;
  /** @internal */ _taskFactory: TaskFactory | undefined = undefined;
  /** @internal */ _defaultExecutor: LoopExecutor | undefined = undefined;
  /** @internal */ _executorShutdownCalled = false;
  /**
   * In debug mode, a callback that runs at least this long (seconds) is
   * reported with a warning. Default 0.1, as asyncio.
   */
  slowCallbackDuration = 0.1;
  /** Where the default exception handler and debug warnings write; `console` by default. */
  logger: Pick<Console, "error" | "warn"> = console;

  /** The loop's clock: monotonic, in seconds. */
  time(): number {
    return performance.now() / 1000;
  }

  /**
   * Schedules `callback(...args)` for the next iteration, after the
   * callbacks already scheduled (strict FIFO).
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    this._checkCallback(callback, "callSoon");
    const h = new Handle(
      callback as (...a: unknown[]) => unknown,
      args.length ? args : undefined,
      this,
      currentContext().copy(),
    );
    this._callSoonHandle(h);
    return h;
  }

  /** Schedules `callback(...args)` `delay` seconds from now. */
  callLater<A extends unknown[]>(delay: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkDelay(delay, "delay");
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Schedules `callback(...args)` at loop time `when` (seconds, see {@link time}). Equal times run in no set order. */
  callAt<A extends unknown[]>(when: number, callback: (...args: A) => unknown, ...args: A): TimerHandle {
    checkDelay(when, "when");
    this._checkCallback(callback, "callAt");
    const h = new TimerHandle(
      when,
      callback as (...a: unknown[]) => unknown,
      args.length ? args : undefined,
      this,
      currentContext().copy(),
    );
    h._seq = this._timerSeq++;
    h._scheduled = true;
    this._timers.push(h);
    if (this._running && !this._inTick && this._immediate === undefined) this._scheduleNext();
    return h;
  }

  /** A new Future bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /** A new Task running `coro`, made by the task factory if one is set. */
  createTask<T>(coro: CoroutineLike<T>, options?: TaskOptions): Task<T> {
    this._checkClosed();
    if (this._taskFactory !== undefined) return this._taskFactory(this, coro, options);
    return new Task(coro, { ...options, loop: this });
  }

  /** Installs a task factory (`undefined` restores the default), such as {@link eagerTaskFactory}. */
  setTaskFactory(factory: TaskFactory | undefined | null): void {
    if (factory != null && typeof factory !== "function")
      throw new TypeError("task factory must be a callable or null");
    this._taskFactory = factory ?? undefined;
  }
  /** The task factory, or undefined. */
  getTaskFactory(): TaskFactory | undefined {
    return this._taskFactory;
  }

  /**
   * Runs the loop until `aw` is done and returns its result (or throws its
   * exception). A coroutine is wrapped in a Task.
   */
  async runUntilComplete<T>(aw: CoroutineLike<T> | Future<T>): Promise<T> {
    this._checkClosed();
    this._checkNotRunning();
    const fut = aw instanceof Future ? aw : (this.createTask(aw as CoroutineLike<T>) as Future<T>);
    if (fut._loop !== this) throw new ValueError("The future belongs to a different loop");
    const stopOnDone = (): void => this.stop();
    fut.addDoneCallback(stopOnDone);
    try {
      await this.runForever();
    } finally {
      fut.removeDoneCallback(stopOnDone);
    }
    if (!fut.done()) throw new RuntimeError("Event loop stopped before Future completed.");
    return fut.result();
  }

  /** Runs the loop until {@link stop} is called; the promise settles then. */
  runForever(): Promise<void> {
    this._checkClosed();
    this._checkNotRunning();
    this._running = true;
    _loopStarted(this);
    return new Promise<void>((resolve, reject) => {
      this._runDone = { resolve, reject };
      this._wake();
    });
  }

  /** Stops the loop after the current iteration. */
  stop(): void {
    this._stopping = true;
    if (this._running && !this._inTick && this._immediate === undefined) this._wake();
  }

  /** True while {@link runForever} or {@link runUntilComplete} runs. */
  isRunning(): boolean {
    return this._running;
  }
  /** True once {@link close} was called. */
  isClosed(): boolean {
    return this._closed;
  }

  /**
   * Closes the loop: pending callbacks are dropped, every exception of this
   * loop's futures and tasks that nobody retrieved is reported now (once)
   * through the exception handler, and the default executor (if any) is shut
   * down without waiting, as asyncio. `RuntimeError` while running.
   */
  close(): void {
    if (this._running) throw new RuntimeError("Cannot close a running event loop");
    if (this._closed) return;
    reportPendingOf(this);
    this._closed = true;
    this._ready = [];
    this._timers.clear();
    this._timerCancelledCount = 0;
    const executor = this._defaultExecutor;
    if (executor !== undefined) {
      this._defaultExecutor = undefined;
      try {
        Promise.resolve(executor.shutdown({ wait: false })).catch((e) => this._reportExecutorError(e));
      } catch (e) {
        this._reportExecutorError(e);
      }
    }
  }

  /**
   * Sets the executor used when none is given (asyncio's
   * `set_default_executor`): `runInExecutor(loop, null, ...)` and `toThread`
   * of `asyncio-ts/executors` use it, and {@link run} / {@link Runner} shut
   * it down at exit ({@link shutdownDefaultExecutor}).
   */
  setDefaultExecutor(executor: LoopExecutor | null | undefined): void {
    if (executor != null && typeof executor.shutdown !== "function")
      throw new TypeError("the default executor must have a shutdown() method");
    this._defaultExecutor = executor ?? undefined;
  }

  /**
   * The default executor, or undefined. With `create`, one is made and set
   * when there is none; then `RuntimeError` once
   * {@link shutdownDefaultExecutor} was called (asyncio's check in
   * `run_in_executor(None, ...)`).
   */
  getDefaultExecutor(create?: () => LoopExecutor): LoopExecutor | undefined {
    if (create === undefined) return this._defaultExecutor;
    if (this._executorShutdownCalled) throw new RuntimeError("Executor shutdown has been called");
    this._checkClosed();
    if (this._defaultExecutor === undefined) this.setDefaultExecutor(create());
    return this._defaultExecutor;
  }

  /**
   * Shuts the default executor down and waits for its work (asyncio's
   * `shutdown_default_executor`); afterwards no new default executor is
   * made. After `timeout` seconds of real time (not the loop's clock: the
   * work runs elsewhere) a warning is logged and the wait ends.
   */
  async shutdownDefaultExecutor(timeout?: number): Promise<void> {
    this._executorShutdownCalled = true;
    const executor = this._defaultExecutor;
    if (executor === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const done = Promise.resolve(executor.shutdown({ wait: true })).then(() => true);
      const late =
        timeout === undefined
          ? undefined
          : new Promise<false>((resolve) => {
              timer = setTimeout(() => resolve(false), Math.max(0, timeout) * 1000);
            });
      const finished = late === undefined ? await done : await Promise.race([done, late]);
      if (!finished) this.logger.warn(`The executor did not finish joining its threads within ${timeout} seconds.`);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      this._defaultExecutor = undefined;
    }
  }

  /** Turns debug mode on or off: slow callbacks are reported (see {@link slowCallbackDuration}). */
  setDebug(enabled: boolean): void {
    this._debug = Boolean(enabled);
  }
  /** True in debug mode. */
  getDebug(): boolean {
    return this._debug;
  }

  /** Sets the handler of errors nobody else can receive; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null | undefined): void {
    if (handler != null && typeof handler !== "function")
      throw new TypeError(`A callable object or None is expected, got ${typeof handler}`);
    this._exceptionHandler = handler ?? undefined;
  }
  /** The custom exception handler, or undefined. */
  getExceptionHandler(): ExceptionHandler | undefined {
    return this._exceptionHandler;
  }

  /** Logs `context` as asyncio's default handler does, through {@link logger}. */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message || "Unhandled exception in event loop"];
    for (const [k, v] of Object.entries(context)) {
      if (k === "message" || k === "exception") continue;
      lines.push(`${k}: ${describeValue(v)}`);
    }
    const exc = context.exception;
    if (exc !== undefined) lines.push(exc instanceof Error ? (exc.stack ?? String(exc)) : String(exc));
    this.logger.error(lines.join("\n"));
  }

  /** Calls the custom handler, or the default one; if the custom one throws, the default reports both. */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this._exceptionHandler;
    if (handler === undefined) {
      try {
        this.defaultExceptionHandler(context);
      } catch {
        // The default handler must never throw into the loop.
      }
      return;
    }
    try {
      handler(this, context);
    } catch (exc) {
      try {
        this.defaultExceptionHandler({ message: "Unhandled error in exception handler", exception: exc, context });
      } catch {
        // as above
      }
    }
  }

  // ---- internals -------------------------------------------------------

  /** @internal A failed background shutdown of the default executor: nobody awaits it. */
  _reportExecutorError(exception: unknown): void {
    this.callExceptionHandler({ message: "Error while shutting down the default executor", exception });
  }

  /** @internal */
  _checkCallback(cb: unknown, method: string): void {
    if (typeof cb !== "function")
      throw new TypeError(`a callable object was expected by ${method}(), got ${typeof cb}`);
    // As asyncio: a coroutine function would only create a coroutine that never runs.
    const kind = cb.constructor;
    if (kind === AsyncFunction || kind === GeneratorFunction || kind === AsyncGeneratorFunction) {
      throw new TypeError(`coroutines cannot be used with ${method}(): use createTask()`);
    }
    this._checkClosed();
  }
  /** @internal */
  _checkClosed(): void {
    if (this._closed) throw new RuntimeError("Event loop is closed");
  }
  /** @internal */
  _checkNotRunning(): void {
    if (this._running) throw new RuntimeError("This event loop is already running");
  }

  /** @internal Hot path: the ready queue. */
  _callSoonHandle(h: Handle): void {
    this._ready.push(h);
    if (this._running && !this._inTick && this._immediate === undefined) this._wake();
  }

  /** @internal */
  _timerHandleCancelled(h: TimerHandle): void {
    if (h._scheduled) this._timerCancelledCount++;
  }

  /** @internal */
  _wake(): void {
    if (this._timeout !== undefined) {
      clearTimeout(this._timeout);
      this._timeout = undefined;
    }
    if (this._immediate === undefined) this._immediate = setImmediate(this._tick);
  }

  /** @internal Decides how the next iteration is triggered. */
  _scheduleNext(): void {
    if (!this._running || this._immediate !== undefined) return;
    if (this._ready.length > 0 || this._stopping) return this._wake();
    this._purgeCancelledTimers();
    const timers = this._timers;
    if (timers.length === 0) {
      if (this._timeout !== undefined) {
        clearTimeout(this._timeout);
        this._timeout = undefined;
      }
      return; // idle: no Node handle held
    }
    this._waitForTimer(timers.peekWhen());
  }

  /**
   * @internal How an idle loop waits for its next timer; the virtual loop
   * jumps instead. A timer at `Infinity` is never due: the loop waits as if
   * it had none. A delay beyond setTimeout's limit is waited in steps (each
   * wake-up finds nothing due and waits again).
   */
  _waitForTimer(when: number): void {
    if (when === Infinity) {
      if (this._timeout !== undefined) {
        clearTimeout(this._timeout);
        this._timeout = undefined;
      }
      return;
    }
    const now = this.time();
    const delay = when - now;
    if (delay <= CLOCK_RESOLUTION) return this._wake();
    if (this._timeout !== undefined) {
      // The armed wake-up comes first: it finds nothing due and waits again.
      // (A timeout scope adds and cancels a timer per use: re-arming a Node
      // timer each time cost more than the scope itself.)
      if (this._timeoutAt <= when) return;
      clearTimeout(this._timeout);
    }
    const ms = Math.min(Math.ceil(delay * 1000), MAX_TIMEOUT_MS);
    this._timeout = setTimeout(this._tick, ms);
    this._timeoutAt = now + ms / 1000;
  }

  /** @internal */
  _beforeIteration(): void {}

  /** @internal */
  _tick = (): void => {
    this._immediate = undefined;
    if (this._timeout !== undefined) {
      clearTimeout(this._timeout);
      this._timeout = undefined;
    }
    if (!this._running) return;
    this._iteration++;
    this._inTick = true;
    const prevTicking = _setTicking(this);
    try {
      this._beforeIteration();
      this._runOnce();
    } catch (e) {
      this._inTick = false;
      _setTicking(prevTicking);
      this._finishRun(e);
      return;
    }
    _setTicking(prevTicking);
    this._inTick = false;
    if (this._stopping) this._finishRun(undefined);
    else this._scheduleNext();
  };

  /**
   * @internal Records, once per iteration, when the microtasks that follow
   * this iteration's callbacks have drained (`_drainedIter`): a nextTick
   * queued from a microtask runs after the whole microtask queue. Only
   * asked for by a cancel that arrives between an async-function task's
   * step and the microtasks that finish it (Task.cancel).
   */
  _markDrain(): void {
    const iter = this._iteration;
    if (this._drainMarkIter === iter) return;
    this._drainMarkIter = iter;
    queueMicrotask(() =>
      process.nextTick(() => {
        if (this._drainedIter < iter) this._drainedIter = iter;
      }),
    );
  }

  /** @internal */
  _finishRun(error: unknown): void {
    this._stopping = false;
    this._running = false;
    // Plain code's awaits of this loop's futures must not wait for a next run that may never come.
    if (this._ready.length > 0) this._ready = settlePlainReactions(this._ready);
    _loopStopped(this);
    if (this._immediate !== undefined) clearImmediate(this._immediate);
    if (this._timeout !== undefined) clearTimeout(this._timeout);
    this._immediate = this._timeout = undefined;
    const done = this._runDone;
    this._runDone = undefined;
    if (error === undefined) done?.resolve();
    else done?.reject(error);
  }

  /** @internal */
  _purgeCancelledTimers(): void {
    const timers = this._timers;
    if (
      timers.length > MIN_SCHEDULED_TIMER_HANDLES &&
      this._timerCancelledCount / timers.length > MIN_CANCELLED_TIMER_HANDLES_FRACTION
    ) {
      timers.filter(isLive);
      this._timerCancelledCount = 0;
      return;
    }
    while (timers.length > 0 && timers.peek()!._cancelled) {
      const h = timers.pop()!;
      h._scheduled = false;
      this._timerCancelledCount--;
    }
  }

  /** @internal asyncio's `_run_once`. */
  _runOnce(): void {
    this._purgeCancelledTimers();
    const timers = this._timers;
    if (timers.length > 0) {
      const end = this.time() + CLOCK_RESOLUTION;
      while (timers.length > 0 && timers.peekWhen() < end) {
        const h = timers.pop()!;
        h._scheduled = false;
        if (h._cancelled) this._timerCancelledCount--;
        else this._ready.push(h);
      }
    }
    // Only the callbacks ready now run in this iteration.
    const todo = this._ready;
    if (todo.length === 0) return;
    this._ready = [];
    if (this._debug) return this._runDebug(todo);
    for (let i = 0; i < todo.length; i++) {
      const h = todo[i]!;
      if (!h._cancelled) h._run();
    }
  }

  /** @internal */
  _runDebug(todo: Handle[]): void {
    for (const h of todo) {
      if (h._cancelled) continue;
      const name = h._callback?.name || "<anonymous>";
      const t0 = performance.now();
      h._run();
      const dt = (performance.now() - t0) / 1000;
      if (dt >= this.slowCallbackDuration) this.logger.warn(`Executing <Handle ${name}> took ${dt.toFixed(3)} seconds`);
    }
  }
}

function describeValue(v: unknown): string {
  if (v instanceof Future) return v._describe();
  if (v instanceof Handle) return `<Handle ${v._callback?.name || "<anonymous>"}>`;
  return String(v);
}

/**
 * An event loop on a virtual clock, for tests (trio's `MockClock` with
 * autojump): whenever no callback is ready, time jumps to the next timer, so
 * sleeps and timeouts run instantly and deterministically. With
 * `autojump: false`, time moves only through {@link advance}.
 *
 * Time jumps even while a foreign promise (real I/O) is pending: use it for
 * code whose waiting is done on the loop's own timers.
 *
 * @example
 * ```ts
 * const loop = new VirtualTimeLoop();
 * await loop.runUntilComplete(async () => { await sleep(3600); });
 * loop.time(); // 3600, reached at once
 * ```
 */
export class VirtualTimeLoop extends EventLoop {
  /** @internal */ _now: number;
  /** True if time jumps to the next timer whenever nothing is ready. */
  autojump: boolean;

  /** Starts the clock at `start` seconds (default 0); `autojump` defaults to true. */
  constructor(options?: { start?: number; autojump?: boolean }) {
    super();
    this._now = options?.start ?? 0;
    this.autojump = options?.autojump ?? true;
  }

  /** The virtual time, in seconds. */
  override time(): number {
    return this._now;
  }

  /** Moves the clock `seconds` forward; timers now due run in the next iteration. */
  advance(seconds: number): void {
    checkDelay(seconds, "advance");
    if (seconds < 0) throw new ValueError("time can't go backwards");
    this._now += seconds;
    if (this._running && !this._inTick && this._immediate === undefined) this._wake();
  }

  /** @internal */
  override _waitForTimer(when: number): void {
    if (when <= this._now || (this.autojump && when !== Infinity)) this._wake();
  }

  /** @internal Jump at the start of the iteration, after the previous one's microtasks ran. */
  override _beforeIteration(): void {
    if (!this.autojump || this._ready.length > 0) return;
    this._purgeCancelledTimers();
    const next = this._timers.peek();
    // A timer at Infinity is never due: the clock does not jump there.
    if (next !== undefined && next._when > this._now && next._when !== Infinity) this._now = next._when;
  }
}

function isLive(h: TimerHandle): boolean {
  return !h._cancelled;
}

export type { Context };

// The class is what loop-interface.ts's EventLoop names (inside the block, EventLoop is that alias).
type TheEventLoop = EventLoop;
declare module "./loop-interface.js" {
  interface LoopTypes {
    loop: TheEventLoop;
  }
}

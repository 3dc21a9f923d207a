/**
 * TaskGroup: structured concurrency (asyncio's `taskgroups.py`). The group
 * waits for all its tasks; the first failure cancels the others and the
 * parent, and the errors are thrown together as an {@link ExceptionGroup}.
 * @module
 */
import { CancelledError, KeyboardInterrupt, RuntimeError } from "./errors.js";
import type { Context } from "./context.js";
import type { Future } from "./futures.js";
import {
  DualAwaitable,
  awaitValue,
  isGenerator,
  readyAwaitable,
  toAwaitable,
  yieldValue,
  type ScopeBody,
} from "./awaitable.js";
import {
  currentTask,
  type Awaitable,
  type Coroutine,
  type CoroutineLike,
  type Task,
  type TaskOptions,
} from "./tasks.js";
import type { EventLoop } from "./loop.js";
import { getRunningLoop } from "./running.js";
import { ExceptionGroup } from "./exceptiongroup.js";

// Python's SystemExit / KeyboardInterrupt: re-raised as is, never grouped.
function isBaseError(e: unknown): boolean {
  return e instanceof KeyboardInterrupt;
}

/**
 * A group of tasks that live inside a block (asyncio's `TaskGroup`). The
 * block exits only when every task of the group is done. If a task fails
 * (with anything but a cancellation), the other tasks and the block's own
 * code are cancelled, and once all are done the failures are thrown as an
 * {@link ExceptionGroup} with the message `unhandled errors in a TaskGroup`.
 * A `KeyboardInterrupt` (the stand-in for Python's `SystemExit` /
 * `KeyboardInterrupt`) is thrown as is.
 *
 * Prefer {@link TaskGroup.run}: it sees the block's exception, as
 * `async with` does. With `await using tg = await new TaskGroup().enter()`
 * the group cannot see an exception thrown by the block: it does not
 * cancel its tasks for it and waits for them to finish normally (a pending
 * cancellation of the parent task when the block ends is taken as the
 * block's `CancelledError`, so cancelling the parent still aborts the
 * group); and if the group then throws, JavaScript reports a
 * `SuppressedError` holding both errors.
 *
 * @example
 * ```ts
 * const [a, b] = await new TaskGroup().run(async (tg) => {
 *   const t1 = tg.createTask(async () => { await sleep(1); return 1; });
 *   const t2 = tg.createTask(async () => { await sleep(2); return 2; });
 *   return [t1, t2];
 * });
 * console.log(a.result(), b.result()); // 1 2
 * ```
 */
export class TaskGroup implements AsyncDisposable {
  #entered = false;
  #exiting = false;
  #aborting = false;
  #loop: EventLoop | undefined = undefined;
  #parentTask: Task<unknown> | undefined = undefined;
  #parentCancelRequested = false;
  #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  #baseError: { e: unknown } | undefined = undefined;
  #onCompletedFut: Future<boolean> | undefined = undefined;
  #cancellingOnEnter = 0;

  /**
   * A new, not yet entered group: enter it with {@link run} or {@link enter}.
   *
   * @example
   * ```ts
   * await new TaskGroup().run(async (tg) => { tg.createTask(async () => work()); });
   * ```
   */
  // biome-ignore lint/complexity/noUselessConstructor: it carries the constructor's documentation
  constructor() {}

  /**
   * Starts `coro` as a task of the group (as {@link createTask}) and
   * returns it. Throws `RuntimeError` if the group was not entered, is
   * finished, or is shutting down after a failure (a generator object
   * passed then is closed, as asyncio closes the coroutine).
   *
   * @example
   * ```ts
   * await new TaskGroup().run(async (tg) => {
   *   const t = tg.createTask(async () => 42, { name: "answer" });
   * });
   * ```
   */
  createTask<T>(coro: CoroutineLike<T>, options?: { name?: string; context?: Context }): Task<T> {
    if (!this.#entered) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this.#describe()} has not been entered`);
    }
    if (this.#exiting && this.#tasks.size === 0) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this.#describe()} is finished`);
    }
    if (this.#aborting) {
      closeCoro(coro);
      throw new RuntimeError(`TaskGroup ${this.#describe()} is shutting down`);
    }
    const opts: TaskOptions = {};
    if (options?.name !== undefined) opts.name = options.name;
    if (options?.context !== undefined) opts.context = options.context;
    const task = this.#loop!.createTask(coro, opts);
    // Already done (an eager task that finished): account for it at once.
    if (task.done()) {
      this.#onTaskDone(task as Task<unknown>);
    } else {
      this.#tasks.add(task as Task<unknown>);
      task.addDoneCallback(this.#onTaskDone as (t: Future<T>) => void);
    }
    return task;
  }

  /**
   * Runs `body(tg)` inside the group (the `async with TaskGroup() as tg`
   * block) and returns its result once every task of the group is done.
   * Throws the {@link ExceptionGroup} of the tasks' errors (and the
   * body's), a `KeyboardInterrupt` as is, or the body's exception.
   * `body` may be an async function or a generator function; from a
   * generator coroutine, `yield*` the result (and pass a generator body, see
   * {@link Timeout.run}).
   *
   * @example
   * ```ts
   * await new TaskGroup().run(async (tg) => {
   *   for (const url of urls) tg.createTask(async () => fetchPage(url));
   * });
   * ```
   */
  run<T>(body: (tg: TaskGroup) => Coroutine<T>): Awaitable<T>;
  run<T>(body: (tg: TaskGroup) => PromiseLike<T> | T): Awaitable<T>;
  run<T>(body: ScopeBody<TaskGroup, T>): Awaitable<T> {
    if (typeof body !== "function") throw new TypeError("TaskGroup.run() expects a function");
    return new DualAwaitable<T>(
      async () => {
        this._enter();
        let result: T | undefined;
        let hasExc = false;
        let exc: unknown;
        try {
          result = await awaitValue<T>(body(this));
        } catch (e) {
          hasExc = true;
          exc = e;
        }
        await toAwaitable(this._exit(hasExc, exc));
        if (hasExc) throw exc;
        return result as T;
      },
      function* (this: TaskGroup): Coroutine<T> {
        this._enter();
        let result: T | undefined;
        let hasExc = false;
        let exc: unknown;
        try {
          result = yield* yieldValue<T>(body(this));
        } catch (e) {
          hasExc = true;
          exc = e;
        }
        yield* this._exit(hasExc, exc);
        if (hasExc) throw exc;
        return result as T;
      }.bind(this),
    );
  }

  /**
   * Enters the group for `await using` (asyncio's `__aenter__`):
   * `await using tg = await new TaskGroup().enter();`. Must run inside a
   * task. See the class comment for what differs from {@link run}.
   *
   * @example
   * ```ts
   * {
   *   await using tg = await new TaskGroup().enter();
   *   tg.createTask(async () => work());
   * } // waits for the tasks here
   * ```
   */
  enter(): Awaitable<this> {
    this._enter();
    return readyAwaitable(this);
  }

  /**
   * Leaves an `await using` block: waits for the tasks, then throws their
   * errors as an {@link ExceptionGroup} (asyncio's `__aexit__` without the
   * block's exception; see the class comment).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const parent = this.#parentTask;
    // The block's exception is not visible here. A cancel request of the
    // parent that the group did not make and that appeared inside the
    // block is taken as the block's CancelledError; it is left to
    // propagate on its own (throwing it here would only wrap it).
    const assumeCancelled =
      parent !== undefined && !this.#parentCancelRequested && parent.cancelling() > this.#cancellingOnEnter;
    try {
      await toAwaitable(this._exit(assumeCancelled, assumeCancelled ? new CancelledError() : undefined));
    } catch (e) {
      if (assumeCancelled && e instanceof CancelledError) return;
      throw e;
    }
  }

  /** @internal asyncio's `__aenter__` (it never suspends). */
  _enter(): void {
    if (this.#entered) throw new RuntimeError(`TaskGroup ${this.#describe()} has already been entered`);
    if (this.#loop === undefined) this.#loop = getRunningLoop();
    const parent = currentTask();
    if (parent === undefined) throw new RuntimeError(`TaskGroup ${this.#describe()} cannot determine the parent task`);
    this.#parentTask = parent;
    this.#cancellingOnEnter = parent.cancelling();
    this.#entered = true;
  }

  /**
   * @internal asyncio's `__aexit__`, step by step. Returns normally to let
   * the body's exception (if any) propagate; throws otherwise.
   */
  *_exit(hasExc: boolean, exc: unknown): Coroutine<void> {
    this.#exiting = true;
    if (hasExc && isBaseError(exc) && this.#baseError === undefined) this.#baseError = { e: exc };
    let propagateCancellationError: { e: unknown } | undefined =
      hasExc && exc instanceof CancelledError ? { e: exc } : undefined;

    // 1. The body raised (an error, or the parent is being cancelled): abort.
    if (hasExc && !this.#aborting) this.#abort();

    // 2. Wait for the tasks. The wait itself may be cancelled repeatedly
    // (the parent being cancelled again), hence the loop.
    while (this.#tasks.size > 0) {
      if (this.#onCompletedFut === undefined) this.#onCompletedFut = this.#loop!.createFuture<boolean>();
      try {
        yield* this.#onCompletedFut;
      } catch (e) {
        if (!(e instanceof CancelledError)) throw e;
        if (!this.#aborting) {
          // The parent was cancelled while waiting for the tasks.
          propagateCancellationError = { e };
          this.#abort();
        }
      }
      this.#onCompletedFut = undefined;
    }

    if (this.#baseError !== undefined) throw this.#baseError.e;

    // 3. The group cancelled the parent: take that request back.
    if (this.#parentCancelRequested) {
      if (this.#parentTask!.uncancel() === 0) propagateCancellationError = undefined;
    }

    // 4. CancelledError only if nothing failed: errors have priority.
    if (propagateCancellationError !== undefined && this.#errors.length === 0) throw propagateCancellationError.e;

    // 5. The body's own error joins the group.
    if (hasExc && !(exc instanceof CancelledError)) this.#errors.push(exc);

    if (this.#errors.length > 0) {
      // 6. Cancelled from outside too: uncancel then cancel again, which
      // keeps the count and makes the cancel arrive at the next await.
      if (this.#parentTask!.cancelling()) {
        this.#parentTask!.uncancel();
        this.#parentTask!.cancel();
      }
      // 7.
      const errors = this.#errors;
      this.#errors = [];
      throw new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
  }

  #describe(): string {
    const info: string[] = [""];
    if (this.#tasks.size) info.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length) info.push(`errors=${this.#errors.length}`);
    if (this.#aborting) info.push("cancelling");
    else if (this.#entered) info.push("entered");
    return `<TaskGroup${info.join(" ")}>`;
  }

  #abort(): void {
    this.#aborting = true;
    for (const t of this.#tasks) if (!t.done()) t.cancel();
  }

  #onTaskDone = (task: Task<unknown>): void => {
    this.#tasks.delete(task);
    if (this.#onCompletedFut !== undefined && this.#tasks.size === 0 && !this.#onCompletedFut.done()) {
      this.#onCompletedFut.setResult(true);
    }
    if (task.cancelled()) return;
    let exc: unknown;
    try {
      task.result(); // marks the exception retrieved; JavaScript may throw undefined
      return;
    } catch (e) {
      exc = e;
    }
    this.#errors.push(exc);
    if (isBaseError(exc) && this.#baseError === undefined) this.#baseError = { e: exc };

    const parent = this.#parentTask!;
    if (parent.done()) {
      this.#loop!.callExceptionHandler({
        message: `Task ${task._describe()} has errored out but its parent task ${parent._describe()} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Cancel what the parent is doing inside the block; __aexit__ takes
      // the cancel request back (uncancel) so the parent is not left
      // cancelled.
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  };
}

function closeCoro(coro: unknown): void {
  if (isGenerator(coro)) {
    try {
      coro.return(undefined);
    } catch {
      // closing must not hide the RuntimeError
    }
  }
}

/**
 * run() and Runner: asyncio.run for TypeScript.
 * @module
 */
import { CancelledError, KeyboardInterrupt, RuntimeError } from "./errors.js";
import { copyContext, state, type Context } from "./context.js";
import { EventLoop, EXECUTOR_SHUTDOWN_TIMEOUT, VirtualTimeLoop } from "./loop.js";
import { type Task, allTasks, type CoroutineLike } from "./tasks.js";

/** Options of {@link run} and {@link Runner}. */
export interface RunOptions {
  /** Debug mode: slow callbacks are reported. */
  debug?: boolean;
  /** Makes the loop (default: a new {@link EventLoop}). */
  loopFactory?: () => EventLoop;
  /** Cancel the main task on the first SIGINT, as asyncio.run does (default true). */
  handleSigint?: boolean;
}

/**
 * Runs coroutines on one loop, then cleans up (asyncio's `Runner`): at
 * {@link close}, tasks still pending are cancelled and awaited, and their
 * errors are reported through the exception handler.
 *
 * @example
 * ```ts
 * const runner = new Runner();
 * try {
 *   const page = await runner.run(async () => fetchPage(url));
 *   await runner.run(async () => console.log(page));
 * } finally {
 *   await runner.close();
 * }
 * ```
 */
export class Runner {
  #loop: EventLoop | undefined;
  #closed = false;
  #interrupts = 0;
  #context: Context | undefined;
  readonly #options: RunOptions;

  /** A runner whose loop is created on first use. */
  constructor(options?: RunOptions) {
    this.#options = options ?? {};
  }

  /** The runner's loop (created on first use). */
  getLoop(): EventLoop {
    if (this.#closed) throw new RuntimeError("Runner is closed");
    if (this.#loop === undefined) {
      const loop = this.#options.loopFactory?.() ?? new EventLoop();
      if (this.#options.debug !== undefined) loop.setDebug(this.#options.debug);
      this.#loop = loop;
    }
    return this.#loop;
  }

  /** Runs `main` as a task to completion and returns its result. */
  async run<T>(main: CoroutineLike<T>, options?: { context?: Context }): Promise<T> {
    if (state.current?._loop?._running)
      throw new RuntimeError("Runner.run() cannot be called from a running event loop");
    const loop = this.getLoop();
    // Every run shares the runner's context, as asyncio.Runner does.
    const context = options?.context ?? (this.#context ??= copyContext());
    const task = loop.createTask(main, { context });
    const onSigint = (): void => {
      this.#interrupts++;
      if (this.#interrupts === 1 && !task.done()) {
        task.cancel();
        return;
      }
      // A second interrupt: let the process die as it would without us.
      process.off("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
    };
    const sigint = this.#options.handleSigint ?? true;
    if (sigint) process.on("SIGINT", onSigint);
    this.#interrupts = 0;
    try {
      return await loop.runUntilComplete(task);
    } catch (e) {
      // A task factory may return a task-like without uncancel(), as asyncio allows.
      const uncancel = (task as Partial<Task<T>>).uncancel;
      if (
        e instanceof CancelledError &&
        this.#interrupts > 0 &&
        typeof uncancel === "function" &&
        uncancel.call(task) === 0
      ) {
        throw new KeyboardInterrupt();
      }
      throw e;
    } finally {
      if (sigint) process.off("SIGINT", onSigint);
    }
  }

  /**
   * Cancels and awaits the remaining tasks, reports their errors, shuts the
   * default executor down (waiting for its work, as asyncio), and closes the loop.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const loop = this.#loop;
    this.#closed = true;
    if (loop === undefined) return;
    try {
      await cancelAllTasks(loop);
      // Inside the loop, as asyncio: callbacks of jobs that finish meanwhile still run.
      if (loop.getDefaultExecutor() !== undefined)
        await loop.runUntilComplete(() => loop.shutdownDefaultExecutor(EXECUTOR_SHUTDOWN_TIMEOUT));
      else await loop.shutdownDefaultExecutor();
    } finally {
      loop.close();
    }
  }
}

async function cancelAllTasks(loop: EventLoop): Promise<void> {
  const toCancel = [...allTasks(loop)];
  if (toCancel.length === 0) return;
  for (const t of toCancel) t.cancel();
  const all = loop.createFuture<void>();
  let left = toCancel.length;
  const onDone = (): void => {
    if (--left === 0 && !all.done()) all.setResult();
  };
  for (const t of toCancel) t.addDoneCallback(onDone);
  await loop.runUntilComplete(all);
  for (const t of toCancel) {
    if (t.cancelled()) continue;
    const exception = t.exception();
    if (exception !== undefined) {
      loop.callExceptionHandler({ message: "unhandled exception during asyncio.run() shutdown", exception, task: t });
    }
  }
}

/**
 * Runs `main` on a new loop and returns its result (asyncio's `run`): at the
 * end the remaining tasks are cancelled and the loop is closed.
 *
 * @example
 * ```ts
 * const n = await run(async () => {
 *   const t = createTask(async () => { await sleep(0.1); return 21; });
 *   return (await t) * 2;
 * }); // 42
 * ```
 */
export async function run<T>(main: CoroutineLike<T>, options?: RunOptions): Promise<T> {
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}

/**
 * {@link run} on a {@link VirtualTimeLoop}: sleeps and timeouts take no real
 * time. For tests.
 *
 * @example
 * ```ts
 * await runVirtual(async () => {
 *   await sleep(60);
 *   console.log(getRunningLoop().time()); // 60, at once
 * });
 * ```
 */
export async function runVirtual<T>(
  main: CoroutineLike<T>,
  options?: Omit<RunOptions, "loopFactory"> & { start?: number },
): Promise<T> {
  return run(main, {
    handleSigint: false,
    ...options,
    loopFactory: () => new VirtualTimeLoop({ start: options?.start }),
  });
}

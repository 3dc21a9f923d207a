/**
 * The loop's side: `runInExecutor` (asyncio's `loop.run_in_executor`) and
 * `toThread` (`asyncio.to_thread`), on a per-loop default executor that
 * `run()` and `Runner` shut down at exit. The core's EventLoop keeps only
 * a generic default-executor slot: it never imports this adapter.
 * @module
 */
import { type EventLoop, type Future, RuntimeError, getRunningLoop } from "../../src/index.js";
import { Executor } from "./executor.js";
import type { AnyTarget, TargetArgs, TargetResult } from "./target.js";
import { ThreadPoolExecutor } from "./threads.js";

/**
 * The default executor of `loop`: the one set with
 * `loop.setDefaultExecutor`, or a new {@link ThreadPoolExecutor} (made on
 * first use, as asyncio). `RuntimeError` once the loop's
 * `shutdownDefaultExecutor` ran; `TypeError` if the loop's default
 * executor is not one of ours.
 *
 * @example
 * ```ts
 * const pool = defaultExecutor(getRunningLoop());
 * console.log(pool.maxWorkers);
 * ```
 */
export function defaultExecutor(loop: EventLoop): Executor {
  const ex = loop.getDefaultExecutor(() => new ThreadPoolExecutor());
  if (!(ex instanceof Executor))
    throw new TypeError("the loop's default executor is not an asyncio-ts/executors Executor");
  return ex;
}

/**
 * Runs `target(...args, signal)` on `executor`, or on the loop's default
 * executor when it is `null` (asyncio's `loop.run_in_executor`), and
 * returns a Future on `loop`. Cancelling the Future removes a queued job or
 * aborts a running job's signal.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const sha256File = target<[string], string>("./hash.js", "sha256File", import.meta.url);
 *   const digest = await runInExecutor(loop, null, sha256File, "package.json");
 *   console.log(digest.length); // 64 hex digits
 * });
 * ```
 */
export function runInExecutor<T extends AnyTarget<any[], any>>(
  loop: EventLoop,
  executor: Executor | null | undefined,
  target: T,
  ...args: TargetArgs<T>
): Future<Awaited<TargetResult<T>>> {
  if (loop.isClosed()) throw new RuntimeError("Event loop is closed");
  const ex = executor ?? defaultExecutor(loop);
  if (!(ex instanceof Executor)) throw new TypeError("runInExecutor(): executor must be an Executor or null");
  return ex._submit(loop, target, args) as Future<Awaited<TargetResult<T>>>;
}

/**
 * Runs `target(...args, signal)` on the running loop's default executor (a
 * thread pool) and returns a Future of its result (`asyncio.to_thread`).
 * Context variables do not cross to the thread: the target gets only its
 * arguments.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const n = await toThread(target<[number], number>("./jobs.js", "fib", import.meta.url), 30);
 *   console.log(n); // 832040
 * });
 * ```
 */
export function toThread<T extends AnyTarget<any[], any>>(
  target: T,
  ...args: TargetArgs<T>
): Future<Awaited<TargetResult<T>>> {
  const loop = getRunningLoop();
  return defaultExecutor(loop)._submit(loop, target, args) as Future<Awaited<TargetResult<T>>>;
}

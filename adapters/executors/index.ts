/**
 * asyncio-ts/executors: blocking and CPU-bound work off the loop, as
 * asyncio's `to_thread` / `loop.run_in_executor` and
 * `concurrent.futures`: {@link ThreadPoolExecutor} (worker threads, through
 * the optional peer dependency piscina), {@link ProcessPoolExecutor}
 * (child processes), {@link runInExecutor}, {@link toThread}, and Twisted's
 * {@link deferToThread}. A job names a module and an export
 * ({@link target}), because a closure cannot cross to another thread; see
 * docs/executors.md.
 * @module
 */
export {
  target,
  pureFunction,
  type Target,
  type SourceTarget,
  type AnyTarget,
  type TargetArgs,
  type TargetResult,
} from "./target.js";
export { WorkerCrashedError, MissingPeerError } from "./errors.js";
export { Executor, type ExecutorOptions, type ShutdownOptions, type ExecutorStatistics } from "./executor.js";
export { ThreadPoolExecutor, type ThreadPoolOptions } from "./threads.js";
export { ProcessPoolExecutor, type ProcessPoolOptions } from "./processes.js";
export { runInExecutor, toThread, defaultExecutor } from "./loop.js";
export { deferToThread, deferToThreadPool } from "./twisted.js";

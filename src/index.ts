/**
 * asyncio-ts: Python asyncio's concurrency model for TypeScript on Node.js.
 *
 * **All times are in seconds** (floats), as in asyncio, Twisted and gevent.
 * @module asyncio-ts
 */
export * from "./errors.js";
export { Context, ContextVar, Token, copyContext } from "./context.js";
export { Handle, TimerHandle } from "./events.js";
export { Future, isFuture, type DoneCallback } from "./futures.js";
export type { InteropObservable, InteropObserver, InteropSubscription } from "./observable.js";
export {
  EventLoop,
  VirtualTimeLoop,
  getRunningLoop,
  type ExceptionContext,
  type ExceptionHandler,
  type TaskFactory,
  type LoopExecutor,
  EXECUTOR_SHUTDOWN_TIMEOUT,
} from "./loop.js";
export {
  Task,
  createTask,
  currentTask,
  allTasks,
  sleep,
  ensureFuture,
  eagerTaskFactory,
  type Coroutine,
  type CoroutineLike,
  type Awaitable,
  type TaskOptions,
} from "./tasks.js";
export { run, runVirtual, Runner, type RunOptions } from "./runners.js";
export { toAwaitable, readyAwaitable } from "./awaitable.js";
/** @internal The predicates and descriptions the adapters share with the core (one copy). */
export { describe, isGenerator, isThenable } from "./awaitable.js";
/** @internal Unretrieved-failure reports held until GC, loop close or process exit (the Twisted adapter's Deferreds use them). */
export { holdReport, dropReport, type PendingReport } from "./unretrieved.js";
export { ExceptionGroup, type ExceptionMatcher } from "./exceptiongroup.js";
export { Timeout, timeout, timeoutAt, type TimeoutState, type ScopeBody } from "./timeouts.js";
export { TaskGroup } from "./taskgroups.js";
export {
  gather,
  GatheringFuture,
  shield,
  wait,
  waitFor,
  asCompleted,
  AsCompletedIterator,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  ALL_COMPLETED,
  type ReturnWhen,
  type WaitFuturesOptions,
  type WaitResult,
  type GatherOptions,
  type AsCompletedOptions,
  type Resolved,
  type AwaitableList,
  type GatherArg,
} from "./combinators.js";
export {
  Lock,
  Event,
  Condition,
  Semaphore,
  BoundedSemaphore,
  Barrier,
  BrokenBarrierError,
  AcquireRelease,
  type CriticalSection,
  type AbortOptions,
  type LockStatistics,
  type EventStatistics,
  type ConditionStatistics,
  type SemaphoreStatistics,
  type BarrierStatistics,
  type BarrierState,
} from "./locks.js";
export {
  Queue,
  PriorityQueue,
  LifoQueue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  pythonCompare,
  type QueueStatistics,
  type PriorityQueueOptions,
} from "./queues.js";

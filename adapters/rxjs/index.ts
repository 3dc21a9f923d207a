/**
 * asyncio-ts/rxjs: bridges between rxjs 7.8 Observables and the core, with
 * real cancellation everywhere: `firstValueFrom` / `lastValueFrom` as
 * cancellable Futures, `toAsyncIterable` and `toQueue` with explicit
 * overflow policies, `fromCoroutine` / `fromFuture` / `fromAsyncIterable` /
 * `toObservable` with clear ownership, and `loopScheduler` to run rxjs time
 * on the loop (virtual time included). rxjs is an optional peer dependency:
 * only this entry point imports it. See docs/rxjs.md.
 * @module
 */
export { firstValueFrom, lastValueFrom, type ValueFromOptions } from "./values.js";
export { toAsyncIterable, type ObservableIterator, type ToAsyncIterableOptions } from "./iterable.js";
export { toQueue, type ToQueueOptions, type QueueBridge } from "./queue.js";
export { fromCoroutine, fromFuture, fromAsyncIterable, toObservable, type CoroutineFactory } from "./observables.js";
export { loopScheduler } from "./scheduler.js";
export type { Policy, BoundedPolicy, Overflow } from "./policy.js";

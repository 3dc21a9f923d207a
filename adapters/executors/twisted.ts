/**
 * Twisted's `twisted.internet.threads.deferToThread` and
 * `deferToThreadPool`, over the executors: the Deferred fires with the
 * target's result on the reactor's loop. Unlike Twisted's (which cannot
 * stop a thread), cancelling the Deferred cancels the job: a queued one
 * never runs, a running one has its signal aborted; the Deferred fails
 * with Twisted's `CancelledError` (`DeferredCancelledError`) at once either way.
 * @module
 */
import { Deferred, Failure, type Reactor, reactor as defaultReactor } from "../twisted/index.js";
import type { EventLoop, Future } from "../../src/index.js";
import type { Executor } from "./executor.js";
import { defaultExecutor } from "./loop.js";
import type { AnyTarget, TargetArgs, TargetResult } from "./target.js";

function deferredOf<T>(fut: Future<T>): Deferred<T> {
  const d = new Deferred<T>(() => {
    fut.cancel();
  });
  fut.addDoneCallback((f) => {
    if (f.cancelled() || d.called) return;
    const e = f.exception();
    if (e !== undefined) d.errback(new Failure(e));
    else d.callback(f.result());
  });
  return d;
}

/**
 * Runs `target(...args, signal)` on `threadpool` and returns a Deferred of
 * its result, fired on `reactor`'s loop (Twisted's `deferToThreadPool`).
 *
 * @example
 * ```ts
 * import { reactor } from "asyncio-ts/twisted";
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
 * const d = deferToThreadPool(reactor, pool, target<[number], number>("./jobs.js", "fib", import.meta.url), 30);
 * d.addCallback((n) => console.log(n)); // 832040
 * await d;
 * ```
 */
export function deferToThreadPool<T extends AnyTarget<any[], any>>(
  reactor: Reactor,
  threadpool: Executor,
  target: T,
  ...args: TargetArgs<T>
): Deferred<Awaited<TargetResult<T>>> {
  const loop: EventLoop = reactor.loop;
  return deferredOf(threadpool._submit(loop, target, args) as Future<Awaited<TargetResult<T>>>);
}

/**
 * Runs `target(...args, signal)` on the default reactor's thread pool (the
 * running loop's default executor) and returns a Deferred of its result
 * (Twisted's `deferToThread`).
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const page = await deferToThread(target<[string], string>("./render.js", "render", import.meta.url), "index");
 *   console.log(page); // "<h1>index</h1>"
 * });
 * ```
 */
export function deferToThread<T extends AnyTarget<any[], any>>(
  target: T,
  ...args: TargetArgs<T>
): Deferred<Awaited<TargetResult<T>>> {
  const loop = defaultReactor.loop;
  return deferredOf(defaultExecutor(loop)._submit(loop, target, args) as Future<Awaited<TargetResult<T>>>);
}

/**
 * Coroutines, Futures, Tasks, async iterables and Queues as Observables,
 * with the ownership rules of docs/rxjs.md: what the Observable starts
 * (a Task of `fromCoroutine`, an iterator) it cancels on unsubscribe; what
 * it is given (a Future) it only stops watching.
 * @module
 */
import { Observable, type Subscriber } from "rxjs";
import {
  CancelledError,
  Future,
  Queue,
  QueueShutDown,
  RuntimeError,
  Task,
  currentTask,
  getRunningLoop,
  type Coroutine,
  type EventLoop,
  type InteropObservable,
} from "../../src/index.js";
import { reportUnhandled, runningLoopOrUndefined } from "./report.js";

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

/**
 * What {@link fromCoroutine} runs: an async function or a generator
 * function, given the Task's `AbortSignal`.
 *
 * @example
 * ```ts
 * const job: CoroutineFactory<Response> = (signal) => fetch(url, { signal });
 * ```
 */
export type CoroutineFactory<T> =
  | ((signal: AbortSignal) => PromiseLike<T> | T)
  | ((signal: AbortSignal) => Coroutine<T>);

/** Delivers a done Task's outcome to `subscriber`: next+complete, or error (CancelledError included). */
function deliver<T>(task: Future<T>, subscriber: Subscriber<T>): void {
  let value: T;
  try {
    value = task.result();
  } catch (e) {
    subscriber.error(e);
    return;
  }
  subscriber.next(value);
  subscriber.complete();
}

/** After an unsubscribe cancelled `task`: an exception other than the cancellation goes to the loop's handler, once. */
function reportLateFailure(task: Future<unknown>): void {
  if (task.cancelled()) return;
  const exception = task.exception(); // retrieved: the core's never-retrieved report does not repeat it
  if (exception !== undefined)
    reportUnhandled(task.getLoop(), "A task cancelled by its unsubscribed Observable failed", exception);
}

/**
 * A cold Observable of a coroutine: each subscription starts its own Task
 * running `fn(signal)` (the Task's signal) on the running loop; the result
 * is `next(v)` then `complete()`, an exception is `error(e)`, and a
 * cancellation the subscriber did not cause is `error(CancelledError)`,
 * never a silent complete. Unsubscribing cancels the Task (its `finally`
 * runs; nothing is emitted after).
 *
 * @example
 * ```ts
 * const user$ = fromCoroutine(async (signal) => { await sleep(1); signal.throwIfAborted(); return { id: 1 }; });
 * const sub = user$.subscribe((u) => console.log(u));
 * sub.unsubscribe(); // the Task is cancelled and the signal aborted
 * ```
 */
export function fromCoroutine<T>(fn: CoroutineFactory<T>): Observable<T> {
  if (typeof fn !== "function")
    throw new TypeError("fromCoroutine: fn must be an async function or a generator function");
  const isGen = fn instanceof GeneratorFunction;
  return new Observable<T>((subscriber) => {
    const loop = getRunningLoop();
    const task: Task<T> = isGen
      ? loop.createTask(function* () {
          return yield* (fn as (s: AbortSignal) => Coroutine<T>)(currentTask()!.signal);
        })
      : loop.createTask(async () => (fn as (s: AbortSignal) => PromiseLike<T> | T)(currentTask()!.signal));
    let subscribed = true;
    task.addDoneCallback(() => {
      if (subscribed) {
        subscribed = false;
        deliver(task, subscriber);
      }
    });
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (task.done()) {
        reportLateFailure(task);
        return;
      }
      task.cancel();
      task.addDoneCallback(reportLateFailure);
    };
  });
}

/**
 * A hot Observable of an existing Future (or Task): subscribers get its
 * result then `complete`, or `error` (a `CancelledError` if it was
 * cancelled), through the loop. Unsubscribing only removes the callback: it
 * never cancels the future (it is not ours). The same as `from(future)`,
 * which takes the Future's `'@@observable'` key.
 *
 * @example
 * ```ts
 * const loop = getRunningLoop();
 * const fut = loop.createFuture<number>();
 * fromFuture(fut).subscribe((v) => console.log(v)); // 42
 * fut.setResult(42);
 * ```
 */
export function fromFuture<T>(future: Future<T>): Observable<T> {
  if (!(future instanceof Future)) throw new TypeError("fromFuture: a Future of asyncio-ts is required");
  return fromInterop(Future.prototype["@@observable"].call(future) as InteropObservable<T>);
}

function fromInterop<T>(interop: InteropObservable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const sub = interop.subscribe(subscriber);
    return () => sub.unsubscribe();
  });
}

/**
 * An Observable of an async iterable that lets go at once: unsubscribing
 * calls `iterator.return()` immediately, even while a `next()` is pending
 * (rxjs 7's `from(asyncIterable)` never does); nothing is emitted after.
 * A failure of `return()`, or of the pending `next()`, after unsubscribe
 * goes to the loop's exception handler.
 *
 * @example
 * ```ts
 * let n = 0;
 * const readLine = async () => { await sleep(0.1); return `line ${++n}`; };
 * async function* lines() { try { for (;;) yield await readLine(); } finally { console.log("closed"); } }
 * const sub = fromAsyncIterable(lines()).subscribe(console.log);
 * sub.unsubscribe(); // return() is called now: the generator's finally runs
 * ```
 */
export function fromAsyncIterable<T>(iterable: AsyncIterable<T>): Observable<T> {
  if (iterable == null || typeof (iterable as AsyncIterable<T>)[Symbol.asyncIterator] !== "function")
    throw new TypeError("fromAsyncIterable: an async iterable is required");
  return new Observable<T>((subscriber) => {
    const loop = runningLoopOrUndefined();
    const it = iterable[Symbol.asyncIterator]();
    let closed = false;
    const late = (e: unknown): void => reportUnhandled(loop, "fromAsyncIterable: error after unsubscribe", e);
    const step = (): void => {
      let p: PromiseLike<IteratorResult<T>>;
      try {
        p = it.next();
      } catch (e) {
        closed = true;
        subscriber.error(e);
        return;
      }
      Promise.resolve(p).then(
        (r) => {
          if (closed) return;
          if (r.done) {
            closed = true;
            subscriber.complete();
            return;
          }
          subscriber.next(r.value);
          if (!closed) step();
        },
        (e) => {
          if (closed) return late(e);
          closed = true;
          subscriber.error(e);
        },
      );
    };
    step();
    return () => {
      if (closed) return;
      closed = true;
      if (typeof it.return !== "function") return;
      try {
        Promise.resolve(it.return()).then(undefined, late);
      } catch (e) {
        late(e);
      }
    };
  });
}

/**
 * The items of a core Queue until it is shut down and drained. A Task on
 * the running loop waits in `get()`; unsubscribing cancels it, which leaves
 * the getter line without taking an item.
 *
 * The loop is the running one at subscribe time, else `bound` (the one
 * running when the Observable was made), so that a subscription made from a
 * plain callback (a Subject fed by a Node event, a `repeat` on rxjs's
 * asyncScheduler) still works while that loop is open. A subscription once
 * that loop is closed completes at once (no item can be waited for any more:
 * the queue keeps its items); with no loop at all (a misuse) it errors
 * with a `RuntimeError` that names the fix. A subscription alive when
 * `run()` ends is errored with `CancelledError` (run() cancels its Task); a
 * loop closed without run() tells nobody, as for every Task on it, and a
 * later `unsubscribe()` is a no-op.
 */
function fromQueue<T>(queue: Queue<T>, bound: EventLoop | undefined): Observable<T> {
  return new Observable<T>((subscriber) => {
    const loop = runningLoopOrUndefined() ?? bound;
    if (loop === undefined) {
      subscriber.error(
        new RuntimeError(
          "toObservable(queue): no running event loop: subscribe inside run()/runVirtual(), or make the Observable there",
        ),
      );
      return;
    }
    if (loop.isClosed()) {
      subscriber.complete();
      return;
    }
    let subscribed = true;
    const task = loop.createTask(async () => {
      for (;;) {
        let item: T;
        try {
          item = await queue.get();
        } catch (e) {
          if (e instanceof QueueShutDown) return;
          throw e;
        }
        if (!subscribed) return;
        subscriber.next(item);
        if (!subscribed) return;
      }
    });
    task.addDoneCallback(() => {
      if (!subscribed) return;
      subscribed = false;
      if (task.cancelled()) subscriber.error(new CancelledError());
      else {
        const e = task.exception();
        if (e !== undefined) subscriber.error(e);
        else subscriber.complete();
      }
    });
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (!task.done() && !loop.isClosed()) {
        task.cancel();
        task.addDoneCallback(reportLateFailure);
      }
    };
  });
}

/**
 * Anything of ours as an Observable: a Task (owning: cancelled when its
 * last subscriber unsubscribes before it is done), a Future or a Twisted
 * Deferred (hot: never cancelled), a Queue (its items until it is shut down
 * and drained), any object with the `'@@observable'` interop key (a
 * Greenlet of asyncio-ts/gevent: owned like a Task, killed when its last
 * subscriber leaves before its death), or an async iterable (as
 * {@link fromAsyncIterable}).
 *
 * @example
 * ```ts
 * import { timeout } from "rxjs";
 * toObservable(createTask(async () => sleep(5))).pipe(timeout(1000)).subscribe({ error: () => {} }); // the task is cancelled on timeout
 * const queue = new Queue<number>();
 * const sub = toObservable(queue).subscribe((item) => console.log(item));
 * queue.putNowait(1);
 * await sleep(0);
 * sub.unsubscribe();
 * ```
 */
export function toObservable<T>(
  x: Future<T> | Queue<T> | AsyncIterable<T> | { "@@observable"(): InteropObservable<T> },
): Observable<T> {
  if (x instanceof Task) return fromInterop(x["@@observable"]());
  if (x instanceof Future) return fromFuture(x);
  if (x instanceof Queue) return fromQueue(x, runningLoopOrUndefined());
  if (x != null && typeof (x as { "@@observable"?: unknown })["@@observable"] === "function")
    return fromInterop((x as { "@@observable"(): InteropObservable<T> })["@@observable"]());
  if (x != null && typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === "function")
    return fromAsyncIterable(x as AsyncIterable<T>);
  throw new TypeError("toObservable: expected a Future, a Task, a Queue, an interop Observable or an async iterable");
}

/**
 * AbortSignal both ways: a task cancelled when a signal aborts
 * ({@link createTaskWithSignal}), a signal aborted when a Future or Task
 * is cancelled ({@link signalOf}), a Future cancelled when a signal aborts
 * ({@link futureFromSignal}).
 *
 * Invariant: whatever watches a signal stops watching once it is done, and
 * each signal carries at most one listener of ours however many tasks or
 * futures watch it, so that one signal shared by any number of tasks never
 * triggers Node's MaxListenersExceededWarning and never leaks.
 * @module
 */
import {
  CancelledError,
  type Future,
  Task,
  createTask,
  describe,
  getRunningLoop,
  isFuture,
  type CoroutineLike,
  type EventLoop,
  type TaskOptions,
} from "../../src/index.js";

// ---- one listener per signal ------------------------------------------------

interface Watch {
  fns: Set<() => void>;
  listener: () => void;
}
const watches = new WeakMap<AbortSignal, Watch>();

/** Calls `fn` once when `signal` aborts; returns the function that stops watching. */
function watch(signal: AbortSignal, fn: () => void): () => void {
  let w = watches.get(signal);
  if (w === undefined) {
    const entry: Watch = {
      fns: new Set(),
      listener: () => {
        watches.delete(signal);
        for (const f of entry.fns) f();
        entry.fns.clear();
      },
    };
    w = entry;
    watches.set(signal, w);
    signal.addEventListener("abort", w.listener, { once: true });
  }
  // A wrapper per registration: the same fn may watch twice.
  const reg = (): void => fn();
  w.fns.add(reg);
  const entry = w;
  return () => {
    if (!entry.fns.delete(reg) || entry.fns.size > 0) return;
    signal.removeEventListener("abort", entry.listener);
    if (watches.get(signal) === entry) watches.delete(signal);
  };
}

/**
 * The cancel message for an abort reason: a string as is, an Error's (or
 * DOMException's) message, anything else converted with `String`.
 */
function messageOf(reason: unknown): string {
  if (typeof reason === "string") return reason;
  if (reason instanceof Error) return reason.message;
  return String(reason);
}

function checkSignal(signal: unknown, who: string): asserts signal is AbortSignal {
  if (!(signal instanceof AbortSignal))
    throw new TypeError(`${who}: signal must be an AbortSignal, got ${describe(signal)}`);
}

// ---- createTaskWithSignal -----------------------------------------------------

/**
 * Options of {@link createTaskWithSignal}: the core's `createTask` options, plus `signal`.
 *
 * @example
 * ```ts
 * const fetchAll = async () => Promise.all(urls.map(fetchPage));
 * const opts: SignalTaskOptions = { name: "fetcher", signal: AbortSignal.timeout(5000) };
 * await createTaskWithSignal(fetchAll, opts);
 * ```
 */
export interface SignalTaskOptions extends TaskOptions {
  /**
   * Cancels the task when it aborts, with the abort reason as the cancel
   * message (an Error's message, a string as is); if it is already
   * aborted, the task is cancelled at once (its coroutine never starts).
   */
  signal?: AbortSignal;
}

/**
 * The core's `createTask`, plus a `signal` option: the task is cancelled
 * (`task.cancel(message)`) when the signal aborts, the message being the
 * abort reason's message. If the signal is already aborted the task is
 * cancelled at once, before its first step, so its coroutine never runs.
 * The listener is removed when the task is done; one signal may govern any
 * number of tasks (it carries a single listener of ours).
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const ac = new AbortController();
 *   const task = createTaskWithSignal(async () => { await sleep(10); }, { signal: ac.signal });
 *   ac.abort(new Error("user left"));
 *   await task.then(undefined, (e) => console.log(isCancelledError(e), e.message)); // true "user left"
 * });
 * ```
 */
export function createTaskWithSignal<T>(coro: CoroutineLike<T>, options?: SignalTaskOptions): Task<T> {
  const signal = options?.signal;
  if (signal === undefined) return createTask(coro, options);
  checkSignal(signal, "createTaskWithSignal()");
  const { signal: _omit, ...taskOptions } = options!;
  const task = createTask(coro, taskOptions);
  if (signal.aborted) {
    task.cancel(messageOf(signal.reason));
    return task;
  }
  if (task.done()) return task; // an eager task factory may finish it at once
  const stop = watch(signal, () => task.cancel(messageOf(signal.reason)));
  task.addDoneCallback(stop);
  return task;
}

// ---- Future -> AbortSignal ---------------------------------------------------

const signals = new WeakMap<Future<unknown>, AbortSignal>();

/**
 * An AbortSignal aborted when `future` is cancelled, with the core's
 * `CancelledError` (carrying the cancel message) as its reason: hand it to
 * signal-aware APIs (`fetch`, `fs.promises`, `events.once`, timers) so that
 * cancelling the Task stops the work they do. For a Task it is the task's
 * own `signal`, aborted as soon as cancellation is requested (before the
 * task ends, even if the task later suppresses the cancellation). For a
 * Future it is aborted when the Future becomes cancelled (a done callback:
 * one loop iteration later); it is never aborted if the Future ends
 * otherwise. The same signal is returned for the same Future.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const task = createTask(async () => {
 *     const res = await fetch(url, { signal: signalOf(currentTask()!) }); // stops on cancel
 *     return res.text();
 *   });
 *   task.cancel();
 * });
 * ```
 */
export function signalOf(future: Future<unknown>): AbortSignal {
  if (!isFuture(future)) throw new TypeError(`signalOf() expects a Future or a Task, got ${describe(future)}`);
  if (future instanceof Task) return future.signal;
  let signal = signals.get(future);
  if (signal !== undefined) return signal;
  const ac = new AbortController();
  signal = ac.signal;
  signals.set(future, signal);
  if (future.cancelled()) {
    ac.abort(cancelledErrorOf(future));
  } else if (!future.done()) {
    future.addDoneCallback((f) => {
      if (f.cancelled()) ac.abort(cancelledErrorOf(f));
    });
  }
  return signal;
}

function cancelledErrorOf(f: Future<unknown>): CancelledError {
  try {
    f.result();
  } catch (e) {
    return e as CancelledError;
  }
  return new CancelledError();
}

// ---- AbortSignal -> Future ---------------------------------------------------

/**
 * A Future that is cancelled when `signal` aborts (abort is cancellation:
 * the inverse of {@link signalOf}), with the abort reason's message as the
 * cancel message; cancelled at once if the signal is already aborted. It
 * never gets a result. Awaiting it waits until the abort and then raises
 * `CancelledError`; the awaiting task's `cancelling()` stays 0, which tells
 * it apart from a cancellation of the task itself. Cancelling the Future
 * (or its being done otherwise) stops the watching.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const ac = new AbortController();
 *   getRunningLoop().callLater(1, () => ac.abort("shutdown"));
 *   try { await futureFromSignal(ac.signal); } catch (e) { console.log((e as Error).message); } // "shutdown"
 * });
 * ```
 */
export function futureFromSignal(signal: AbortSignal, options?: { loop?: EventLoop }): Future<never> {
  checkSignal(signal, "futureFromSignal()");
  const loop = options?.loop ?? getRunningLoop();
  const fut = loop.createFuture<never>();
  if (signal.aborted) {
    fut.cancel(messageOf(signal.reason));
    return fut;
  }
  const stop = watch(signal, () => fut.cancel(messageOf(signal.reason)));
  fut.addDoneCallback(stop);
  return fut;
}

/**
 * The executor machinery shared by threads and processes: a FIFO of queued
 * jobs in front of at most `maxWorkers` running ones, core Futures whose
 * cancellation reaches the job, shutdown, map and `await using`.
 *
 * Invariants: a job is QUEUED (in `#queue`, not yet on a worker), RUNNING
 * (handed to the backend, which calls `_settle` exactly once), or DONE.
 * `#running` counts RUNNING jobs and never exceeds `maxWorkers`, so the
 * pool library never queues: cancelling a QUEUED job is exact (it never
 * starts), and cancelling a RUNNING one aborts the signal its function got.
 * @module
 */
import { Future, RuntimeError, getRunningLoop, type EventLoop, type LoopExecutor } from "../../src/index.js";
import type { JobMessage } from "./worker-core.js";
import { type AnyTarget, type TargetArgs, type TargetResult, moduleHref, wireTarget } from "./target.js";

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

let lastId = 0;
/** Positive int32 ids (the threads' shared cancel ring holds int32s). */
function nextId(): number {
  lastId = lastId >= 0x7fffffff ? 1 : lastId + 1;
  return lastId;
}

/** @internal One submitted call. */
export class Job {
  /** @internal */ _state: typeof QUEUED | typeof RUNNING | typeof DONE = QUEUED;
  /** @internal the backend's worker running it, if it needs to know */ _worker: unknown = undefined;
  constructor(
    readonly id: number,
    readonly msg: JobMessage,
    readonly fut: JobFuture<unknown>,
    readonly executor: Executor,
  ) {}
}

/** A core Future whose cancellation reaches its job at once (not a loop iteration later). */
class JobFuture<T> extends Future<T> {
  /** @internal */ _job: Job | undefined = undefined;
  override cancel(msg?: string): boolean {
    if (!super.cancel(msg)) return false;
    const job = this._job;
    if (job !== undefined) job.executor._cancelled(job);
    return true;
  }
}

/**
 * Options shared by {@link ThreadPoolExecutor} and {@link ProcessPoolExecutor}.
 *
 * @example
 * ```ts
 * const pool = new ThreadPoolExecutor({ maxWorkers: 2, filename: new URL("./jobs.js", import.meta.url) });
 * ```
 */
export interface ExecutorOptions {
  /** How many workers at most (default: the number of CPUs). */
  maxWorkers?: number;
  /** A default module: a target may then be just an export name (`submit("fib", 30)`). */
  filename?: URL | string;
  /** Node options of the workers (default: the parent's `process.execArgv`, so `--import=tsx` carries over). */
  execArgv?: string[];
}

/**
 * Options of {@link Executor.shutdown}.
 *
 * @example
 * ```ts
 * const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const square = pureFunction((x: number) => x * x);
 * const jobs = [pool.submit(square, 2), pool.submit(square, 3)];
 * await pool.shutdown({ wait: true, cancelFutures: true }); // the queued one is cancelled
 * console.log(jobs.map((j) => j.cancelled())); // [false, true]
 * ```
 */
export interface ShutdownOptions {
  /** Wait until the running (and not cancelled queued) jobs are done and the workers stopped (default true). */
  wait?: boolean;
  /** Cancel the jobs still queued (default false: they still run). */
  cancelFutures?: boolean;
}

/**
 * What {@link Executor.statistics} returns.
 *
 * @example
 * ```ts
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const square = pureFunction((x: number) => x * x);
 * const jobs = [pool.submit(square, 2), pool.submit(square, 3)];
 * const { running, queued } = pool.statistics();
 * await gather(...jobs);
 * ```
 */
export interface ExecutorStatistics {
  /** The most jobs running at once. */
  maxWorkers: number;
  /** Jobs on a worker now. */
  running: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Jobs finished (with a result, an error, or cancelled while running). */
  completed: number;
  /** True once {@link Executor.shutdown} was called. */
  shutdown: boolean;
}

/**
 * An executor (Python's `concurrent.futures.Executor`): runs targets on
 * workers and gives core {@link Future}s of their results. Subclasses:
 * {@link ThreadPoolExecutor}, {@link ProcessPoolExecutor}.
 *
 * Cancelling the Future of a queued job removes it from the queue (it
 * never runs); of a running job, aborts the `AbortSignal` the function got
 * as its last argument: cancellation is cooperative, the worker stays busy
 * until the function returns, and its result is then dropped.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 *   const fib = target<[number], number>("./jobs.js", "fib", import.meta.url);
 *   console.log(await pool.submit(fib, 30));
 * });
 * ```
 */
export abstract class Executor implements LoopExecutor, AsyncDisposable {
  /** The most jobs running at once. */
  readonly maxWorkers: number;
  /** @internal the default module, as an href */ readonly _filename: string | undefined;
  /** @internal */ readonly _execArgv: string[] | undefined;
  /** @internal the loop of the last submission: where out-of-band errors are reported */ _loop: EventLoop | undefined;
  readonly #queue = new Map<number, Job>();
  #running = 0;
  #completed = 0;
  #shutdown = false;
  #closing: Promise<void> | undefined = undefined;
  #idleWaiters: Array<() => void> = [];

  /** An executor with `options.maxWorkers` workers at most. */
  constructor(options: ExecutorOptions | undefined, defaultWorkers: number) {
    const n = options?.maxWorkers ?? defaultWorkers;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxWorkers must be a positive integer, got ${n}`);
    this.maxWorkers = n;
    this._filename = options?.filename === undefined ? undefined : moduleHref(options.filename);
    if (options?.execArgv !== undefined && !Array.isArray(options.execArgv))
      throw new TypeError("execArgv must be an array of strings");
    this._execArgv = options?.execArgv;
  }

  /**
   * Runs `target(...args, signal)` on a worker (Python's `submit`) and
   * returns a Future of its result on the running loop.
   */
  submit<T extends AnyTarget<any[], any>>(target: T, ...args: TargetArgs<T>): Future<Awaited<TargetResult<T>>> {
    return this._submit(getRunningLoop(), target, args) as Future<Awaited<TargetResult<T>>>;
  }

  /**
   * Submits `target` once per element of the iterables (zipped, as
   * Python's `map`) at once, and yields the results in order. The first
   * error is thrown at its place; leaving the loop early (or an error)
   * cancels the jobs not yet yielded.
   */
  map<T extends AnyTarget<any[], any>>(
    target: T,
    ...iterables: Iterable<unknown>[]
  ): AsyncGenerator<Awaited<TargetResult<T>>, void, undefined> {
    const loop = getRunningLoop();
    const futs: Array<Future<unknown> | undefined> = [];
    if (iterables.length > 0) {
      const its = iterables.map((it) => it[Symbol.iterator]());
      for (;;) {
        const args: unknown[] = [];
        for (const it of its) {
          const r = it.next();
          if (r.done) break;
          args.push(r.value);
        }
        if (args.length < its.length) break;
        futs.push(this._submit(loop, target, args));
      }
    }
    return inOrder(futs) as AsyncGenerator<Awaited<TargetResult<T>>, void, undefined>;
  }

  /**
   * Stops accepting jobs (Python's `shutdown`). `cancelFutures` cancels the
   * queued ones; the others still run. With `wait` (default true) the
   * promise settles once they are done and the workers have stopped;
   * without, the workers stop in the background when the work is done.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    this.#shutdown = true;
    if (options?.cancelFutures) for (const job of [...this.#queue.values()]) job.fut.cancel();
    if (this.#closing === undefined) {
      this.#closing = this.#whenIdle().then(() => this._close());
      this.#closing.catch((e) => {
        if (options?.wait === false) this._report("Error while shutting down an executor", e);
      });
    }
    return options?.wait === false ? Promise.resolve() : this.#closing;
  }

  /** `await using pool = …`: {@link shutdown} with `wait`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** Counts of running, queued and completed jobs. */
  statistics(): ExecutorStatistics {
    return {
      maxWorkers: this.maxWorkers,
      running: this.#running,
      queued: this.#queue.size,
      completed: this.#completed,
      shutdown: this.#shutdown,
    };
  }

  // ---- internals ---------------------------------------------------------

  /** @internal Submits on `loop` (what runInExecutor and submit share). */
  _submit(loop: EventLoop, target: unknown, args: unknown[]): Future<unknown> {
    if (this.#shutdown) throw new RuntimeError("cannot schedule new futures after shutdown");
    const wire = wireTarget(target, this._filename);
    const fut = new JobFuture<unknown>({ loop });
    const id = nextId();
    const job = new Job(id, { ...wire, id, a: args }, fut, this);
    fut._job = job;
    this._loop = loop;
    if (this.#running < this.maxWorkers) this.#start(job);
    else this.#queue.set(id, job);
    return fut;
  }

  #start(job: Job): void {
    job._state = RUNNING;
    this.#running++;
    try {
      this._post(job);
    } catch (e) {
      this._settle(job, false, e);
    }
  }

  /** @internal The backend's report: the job ended with a result (`ok`) or an error. Exactly once per job. */
  _settle(job: Job, ok: boolean, value: unknown): void {
    if (job._state !== RUNNING) return;
    job._state = DONE;
    job._worker = undefined;
    this.#running--;
    this.#completed++;
    const fut = job.fut;
    fut._job = undefined;
    if (!fut.done()) {
      if (ok) fut.setResult(value);
      else fut.setException(value);
    }
    this.#pump();
  }

  /** @internal A job's Future was cancelled. */
  _cancelled(job: Job): void {
    if (job._state === QUEUED) {
      job._state = DONE;
      job.fut._job = undefined;
      this.#queue.delete(job.id);
      this.#checkIdle();
    } else if (job._state === RUNNING) {
      try {
        this._abort(job);
      } catch (e) {
        this._report("Error while cancelling a running job", e);
      }
    }
  }

  #pump(): void {
    const queue = this.#queue;
    while (this.#running < this.maxWorkers && queue.size > 0) {
      const job = queue.values().next().value as Job;
      queue.delete(job.id);
      this.#start(job);
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#running > 0 || this.#queue.size > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0 && this.#queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** @internal Reports an error nobody awaits: through the last loop's exception handler, or stderr. */
  _report(message: string, exception: unknown): void {
    const loop = this._loop;
    if (loop !== undefined && !loop.isClosed()) loop.callExceptionHandler({ message, exception, executor: this });
    else console.error(message, exception);
  }

  /** @internal Starts `job` on a worker; must call {@link _settle} once, later or now. */
  abstract _post(job: Job): void;
  /** @internal Aborts the signal of a running job. */
  abstract _abort(job: Job): void;
  /** @internal Stops the workers (no job is running or queued). */
  abstract _close(): Promise<void>;
}

async function* inOrder(futs: Array<Future<unknown> | undefined>): AsyncGenerator<unknown, void, undefined> {
  let i = 0;
  try {
    for (; i < futs.length; i++) {
      const v = await futs[i]!;
      futs[i] = undefined;
      yield v;
    }
  } finally {
    for (; i < futs.length; i++) futs[i]?.cancel();
  }
}

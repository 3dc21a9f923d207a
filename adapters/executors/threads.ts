/**
 * ThreadPoolExecutor: jobs on worker threads, through piscina (an optional
 * peer dependency, imported on first use).
 * @module
 */
import os from "node:os";
import { BroadcastChannel, type ResourceLimits } from "node:worker_threads";
import { Executor, type ExecutorOptions, type Job } from "./executor.js";
import { types } from "node:util";
import { MissingPeerError, WorkerCrashedError, decodeError, encodeError } from "./errors.js";

/** The piscina version asyncio-ts is tested with (its optional peer dependency). */
const PISCINA_VERSION = "5.3.2";
/** Slots of the shared ring of cancelled job ids (a power of two). */
const RING_SIZE = 1024;

interface PiscinaPool {
  run(task: unknown): Promise<unknown>;
  close(): Promise<void>;
  on(event: "error", listener: (e: unknown) => void): unknown;
}
type PiscinaClass = new (options: Record<string, unknown>) => PiscinaPool;

let loader: () => Promise<PiscinaClass> = async () => {
  const mod = (await import("piscina")) as unknown as { Piscina?: PiscinaClass; default?: PiscinaClass };
  return (mod.Piscina ?? mod.default)!;
};

/** @internal Tests: replaces how piscina is imported (to check the missing-peer error). */
export function _setPiscinaLoader(load: () => Promise<PiscinaClass>): () => void {
  const prev = loader;
  loader = load;
  return () => {
    loader = prev;
  };
}

// The worker module sits next to this one: .ts under tsx, .js once compiled.
const WORKER = new URL(`./worker-thread${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).href;
let channelCount = 0;

/**
 * Options of {@link ThreadPoolExecutor}.
 *
 * @example
 * ```ts
 * new ThreadPoolExecutor({ maxWorkers: 4, resourceLimits: { maxOldGenerationSizeMb: 256 } });
 * ```
 */
export interface ThreadPoolOptions extends ExecutorOptions {
  /** Memory limits of each worker thread: one that exceeds them dies ({@link WorkerCrashedError}) and is replaced. */
  resourceLimits?: ResourceLimits;
  /**
   * How an idle thread waits for its next job (piscina's `atomics`). `"async"` (the default) keeps its
   * event loop turning, so its timers and late errors run; `"sync"` blocks it in `Atomics.wait`: lower
   * latency per call, but anything a job left pending waits for the next job.
   */
  atomics?: "async" | "sync";
  /** Seconds an idle worker thread lives before it stops (default: until shutdown; idle threads never keep the process alive). */
  idleTimeout?: number;
}

/**
 * Python's `ThreadPoolExecutor` on Node worker threads (piscina). Each
 * thread imports a target's module once; arguments and results cross by
 * structured clone. Worker threads start lazily, on the first jobs.
 *
 * Needs the optional peer dependency `piscina` (`npm install piscina@5.3.2`);
 * without it, the first job's Future fails with {@link MissingPeerError}.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 *   const fib = target<[number], number>("./jobs.js", "fib", import.meta.url);
 *   const [a, b] = await gather(pool.submit(fib, 30), pool.submit(fib, 31));
 * });
 * ```
 */
export class ThreadPoolExecutor extends Executor {
  readonly #options: ThreadPoolOptions;
  #pool: PiscinaPool | undefined;
  #loading: Promise<void> | undefined;
  #loadError: unknown;
  #pending: Job[] = [];
  readonly #ring = new Int32Array(new SharedArrayBuffer(4 * RING_SIZE));
  readonly #channelName = `asyncio-ts-executor-${process.pid}-${++channelCount}-${Math.random().toString(36).slice(2)}`;
  #channel: BroadcastChannel | undefined;

  /** A pool of at most `options.maxWorkers` threads (default: the number of CPUs). */
  constructor(options?: ThreadPoolOptions) {
    super(options, os.availableParallelism());
    if (options?.atomics !== undefined && options.atomics !== "async" && options.atomics !== "sync")
      throw new TypeError(`atomics must be "async" or "sync", got ${String(options.atomics)}`);
    this.#options = options ?? {};
  }

  /** @internal */
  _post(job: Job): void {
    if (this.#pool !== undefined) return this.#run(this.#pool, job);
    if (this.#loadError !== undefined) throw this.#loadError;
    this.#pending.push(job);
    this.#loading ??= loader().then(
      (Piscina) => {
        const o = this.#options;
        const pool = new Piscina({
          filename: WORKER,
          maxThreads: this.maxWorkers,
          minThreads: 0,
          idleTimeout: o.idleTimeout === undefined ? Number.POSITIVE_INFINITY : o.idleTimeout * 1000,
          concurrentTasksPerWorker: 1,
          // "sync" would block an idle thread in Atomics.wait: its timers and late errors would wait for the next job.
          atomics: o.atomics ?? "async",
          workerData: { channel: this.#channelName, ring: this.#ring },
          ...(this._execArgv !== undefined && { execArgv: this._execArgv }),
          ...(o.resourceLimits !== undefined && { resourceLimits: o.resourceLimits }),
        });
        // Errors of threads that run no job (piscina's 'error' event) must never throw into the loop.
        pool.on("error", (e) => this._report("Uncaught error in an executor worker thread", e));
        this.#pool = pool;
        const pending = this.#pending;
        this.#pending = [];
        for (const j of pending) this.#run(pool, j);
      },
      (e) => {
        this.#loadError = new MissingPeerError("piscina", PISCINA_VERSION, e);
        const pending = this.#pending;
        this.#pending = [];
        for (const j of pending) this._settle(j, false, this.#loadError);
      },
    );
  }

  #run(pool: PiscinaPool, job: Job): void {
    if (job.fut.cancelled()) return this._settle(job, false, undefined);
    pool.run(job.msg).then(
      (v) => this._settle(job, true, v),
      (e) => this._settle(job, false, threadError(e)),
    );
  }

  /** @internal */
  _abort(job: Job): void {
    Atomics.store(this.#ring, job.id & (RING_SIZE - 1), job.id);
    if (this.#channel === undefined) {
      this.#channel = new BroadcastChannel(this.#channelName);
      this.#channel.unref();
    }
    this.#channel.postMessage(job.id);
  }

  /** @internal */
  async _close(): Promise<void> {
    await this.#loading;
    this.#channel?.close();
    this.#channel = undefined;
    await this.#pool?.close();
  }
}

/** What piscina rejects with, as the job's error. */
function threadError(e: unknown): unknown {
  if (!(e instanceof Error)) return decodeError(e);
  const exit = /^worker exited with code: (-?\d+)/.exec(e.message);
  if (exit !== null) {
    const exitCode = Number(exit[1]);
    return new WorkerCrashedError(
      `the worker thread running this job exited (code ${exitCode}) before finishing it; a new thread replaces it`,
      { exitCode, cause: e },
    );
  }
  // Node rebuilds a worker's uncaught error without a native Error behind it: that is how it is told apart.
  if (!types.isNativeError(e as unknown) && !((e as object) instanceof DOMException)) {
    const cause = decodeError(encodeError(e)) as Error;
    return new WorkerCrashedError(
      `the worker thread running this job died of an uncaught error (${cause.name}: ${cause.message}); a new thread replaces it`,
      { cause },
    );
  }
  if ((e as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY")
    return new WorkerCrashedError(
      "the worker thread running this job ran out of memory (resourceLimits) and was stopped; a new thread replaces it",
      { cause: e },
    );
  return e;
}

/**
 * ProcessPoolExecutor: jobs in child Node processes (`child_process.fork`
 * with advanced serialisation), one job per child at a time. Node's own
 * API, no dependency: neither piscina nor tinypool runs a job in a child
 * while letting its signal be aborted cooperatively.
 * @module
 */
import { type ChildProcess, fork } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Executor, type ExecutorOptions, type Job } from "./executor.js";
import { WorkerCrashedError, decodeError } from "./errors.js";

const WORKER = fileURLToPath(
  new URL(`./worker-process${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url),
);

/**
 * Options of {@link ProcessPoolExecutor}.
 *
 * @example
 * ```ts
 * new ProcessPoolExecutor({ maxWorkers: 2, env: { ...process.env, NODE_ENV: "production" } });
 * ```
 */
export interface ProcessPoolOptions extends ExecutorOptions {
  /** The children's environment (default: the parent's). */
  env?: NodeJS.ProcessEnv;
}

/** One child process and the job it runs. */
class Child {
  job: Job | undefined = undefined;
  exited = false;
  constructor(readonly proc: ChildProcess) {}
  /** An idle child must not keep the parent alive. */
  hold(on: boolean): void {
    if (on) {
      this.proc.ref();
      (this.proc.channel as { ref?(): void } | undefined)?.ref?.();
    } else {
      this.proc.unref();
      (this.proc.channel as { unref?(): void } | undefined)?.unref?.();
    }
  }
}

type Reply =
  | { id: number; ok: true; v: unknown }
  | { id: number; ok: false; e: unknown }
  | { uncaught: unknown; id: number | undefined };

/**
 * Python's `ProcessPoolExecutor` on child Node processes: for work that
 * must not share the parent's memory or may crash it. Each child imports a
 * target's module once and runs one job at a time; arguments and results
 * cross by structured clone (advanced serialisation). Children start
 * lazily, and an idle child never keeps the parent process alive.
 *
 * A child that dies (`process.exit`, a signal, an uncaught error) fails its
 * job with {@link WorkerCrashedError} and the next job gets a new child.
 * Cancelling a running job aborts its signal when the child next turns its
 * event loop: a synchronous loop in a child cannot see it.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 *   const parse = target<[string], object>("./parse.js", "parse", import.meta.url);
 *   const files = ['{"a": 1}', '{"b": 2}'];
 *   for await (const doc of pool.map(parse, files)) console.log(doc); // { a: 1 }, then { b: 2 }
 * });
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  readonly #options: ProcessPoolOptions;
  readonly #children = new Set<Child>();
  #idle: Child[] = [];

  /** A pool of at most `options.maxWorkers` child processes (default: the number of CPUs). */
  constructor(options?: ProcessPoolOptions) {
    super(options, os.availableParallelism());
    this.#options = options ?? {};
  }

  /** @internal */
  _post(job: Job): void {
    let child = this.#idle.pop();
    while (child?.exited) child = this.#idle.pop();
    child ??= this.#spawn();
    child.job = job;
    job._worker = child;
    child.hold(true);
    try {
      child.proc.send(job.msg, (err) => {
        if (err != null && child.job === job) {
          // The channel failed: the child is unusable; its exit cleans up.
          child.job = undefined;
          child.proc.kill();
          this._settle(job, false, err);
        }
      });
    } catch (e) {
      // The message cannot be serialised (a function in the arguments): the child is fine.
      child.job = undefined;
      this.#release(child);
      throw e;
    }
  }

  #spawn(): Child {
    const proc = fork(WORKER, [], {
      execArgv: this._execArgv ?? process.execArgv,
      env: this.#options.env ?? process.env,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const child = new Child(proc);
    this.#children.add(child);
    proc.on("message", (msg: Reply) => this.#onMessage(child, msg));
    proc.on("error", (e) => {
      // A failed spawn or a failed send: the 'exit' event (if any) settles the job.
      if (child.exited || proc.exitCode !== null) return;
      this._report("Error in an executor child process", e);
    });
    proc.on("exit", (code, signal) => this.#onExit(child, code, signal));
    return child;
  }

  #onMessage(child: Child, msg: Reply): void {
    const job = child.job;
    if ("uncaught" in msg) {
      const error = decodeError(msg.uncaught);
      if (job !== undefined) {
        child.job = undefined;
        this._settle(
          job,
          false,
          new WorkerCrashedError(
            `the child process running this job died of an uncaught error (${describe(error)}); a new process replaces it`,
            { cause: error },
          ),
        );
      } else this._report("Uncaught error in an executor child process", error);
      return;
    }
    if (job === undefined || job.id !== msg.id) return;
    child.job = undefined;
    this.#release(child);
    if (msg.ok) this._settle(job, true, msg.v);
    else this._settle(job, false, decodeError(msg.e));
  }

  #release(child: Child): void {
    if (child.exited) return;
    child.hold(false);
    this.#idle.push(child);
  }

  #onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    child.exited = true;
    this.#children.delete(child);
    this.#idle = this.#idle.filter((c) => c !== child);
    const job = child.job;
    if (job === undefined) return;
    child.job = undefined;
    const how = signal !== null ? `was killed by ${signal}` : `exited (code ${code})`;
    this._settle(
      job,
      false,
      new WorkerCrashedError(
        `the child process running this job ${how} before finishing it; a new process replaces it`,
        { exitCode: code, signal },
      ),
    );
  }

  /** @internal */
  _abort(job: Job): void {
    const child = job._worker as Child | undefined;
    if (child !== undefined && !child.exited && child.job === job) child.proc.send({ cancel: job.id });
  }

  /** @internal */
  async _close(): Promise<void> {
    const exits: Promise<void>[] = [];
    for (const child of this.#children) {
      if (child.exited) continue;
      exits.push(new Promise<void>((resolve) => child.proc.once("exit", () => resolve())));
      child.hold(true); // until it has exited: an awaited shutdown must not let the process end first
      // The child exits when its channel closes (see worker-process.ts).
      if (child.proc.connected) child.proc.disconnect();
      else child.proc.kill();
    }
    this.#idle = [];
    await Promise.all(exits);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

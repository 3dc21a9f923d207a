// The worker's side of a job, shared by the thread and the process worker:
// load the target (once per worker), call it with its arguments and an
// AbortSignal, and encode what it throws. Runs in the worker, never on the
// loop's thread; it imports nothing from the core.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { encodeError } from "./errors.js";
import type { WireTarget } from "./target.js";

/** @internal A job as it arrives in the worker. */
export interface JobMessage extends WireTarget {
  /** The job's id (a positive int32, unique among the executor's live jobs). */
  id: number;
  /** The arguments. */
  a: unknown[];
}

type Fn = (...args: unknown[]) => unknown;

const fns = new Map<string, Fn | Promise<Fn>>();
const running = new Map<number, AbortController>();
let cancelledFlag: ((id: number) => boolean) | undefined;

/** @internal Threads: a check of the shared "cancelled" flags, so that `signal.aborted` is current in synchronous code. */
export function setCancelledFlag(check: (id: number) => boolean): void {
  cancelledFlag = check;
}

/** The reason a worker function's signal carries: an Error named CancelledError. */
function cancelled(id: number): Error {
  const e = new Error(`job ${id} was cancelled`);
  e.name = "CancelledError";
  return e;
}

/** @internal Aborts the signal of job `id` if it runs in this worker. */
export function cancelJob(id: number): void {
  const ac = running.get(id);
  if (ac !== undefined && !ac.signal.aborted) ac.abort(cancelled(id));
}

async function load(t: WireTarget): Promise<Fn> {
  if (t.s !== undefined) {
    // `__name` is the helper esbuild (tsx) inserts into named inner functions.
    const fn = new Function("__name", `"use strict"; return (${t.s});`)((f: unknown) => f) as Fn;
    if (typeof fn !== "function") throw new TypeError("pureFunction(): the source is not a function");
    return fn;
  }
  const mod = await importModule(t.m!);
  const fn = mod[t.e!];
  if (typeof fn !== "function")
    throw new TypeError(
      `the module ${t.m} has no function export "${t.e}" (it has: ${Object.keys(mod).join(", ") || "nothing"})`,
    );
  return fn as Fn;
}

function loadCached(t: WireTarget): Fn | Promise<Fn> {
  const key = t.s ?? `${t.m}#${t.e}`;
  let f = fns.get(key);
  if (f === undefined) {
    const p = load(t).then(
      (fn) => {
        fns.set(key, fn);
        return fn;
      },
      (e) => {
        fns.delete(key); // a later job may succeed (the file was fixed, a transient import error)
        throw e;
      },
    );
    fns.set(key, p);
    f = p;
  }
  return f;
}

const abortedOf = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")!.get!;

/**
 * `import(m)`; for a TypeScript file that the ESM loader cannot read, falls
 * back to `require`: on Node 20, `--import=tsx` hooks only `require` inside
 * worker threads (module.register hooks do not reach them).
 */
async function importModule(m: string): Promise<Record<string, unknown>> {
  try {
    return (await import(m)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION" || !m.startsWith("file:")) throw e;
    return createRequire(m)(fileURLToPath(m)) as Record<string, unknown>;
  }
}

/** Makes `signal.aborted` and `throwIfAborted()` look at the shared flag, for synchronous loops. */
function pollable(ac: AbortController, id: number): AbortSignal {
  const signal = ac.signal;
  const check = cancelledFlag;
  if (check === undefined) return signal;
  const sync = (): boolean => {
    if (!abortedOf.call(signal) && check(id)) ac.abort(cancelled(id));
    return abortedOf.call(signal) as boolean;
  };
  const proto = AbortSignal.prototype;
  Object.defineProperty(signal, "aborted", { get: sync, configurable: true });
  Object.defineProperty(signal, "throwIfAborted", {
    value() {
      sync();
      proto.throwIfAborted.call(signal);
    },
    configurable: true,
  });
  return signal;
}

/**
 * @internal Runs a job: its value (synchronously, for a synchronous function: piscina then answers
 * without an extra turn), or a promise of it; throws or rejects with an encoded error.
 */
export function runJob(job: JobMessage): unknown {
  const ac = new AbortController();
  const id = job.id;
  running.set(id, ac);
  let r: unknown;
  try {
    if (cancelledFlag?.(id)) throw cancelled(id);
    const f = loadCached(job);
    if (typeof f !== "function") return f.then((fn) => fn(...job.a, pollable(ac, id))).then(done(id), failed(id));
    r = f(...job.a, pollable(ac, id));
  } catch (e) {
    running.delete(id);
    throw encodeError(e);
  }
  if (typeof (r as PromiseLike<unknown> | null)?.then === "function")
    return Promise.resolve(r).then(done(id), failed(id));
  running.delete(id);
  return r;
}

function done(id: number): (v: unknown) => unknown {
  return (v) => {
    running.delete(id);
    return v;
  };
}

function failed(id: number): (e: unknown) => never {
  return (e) => {
    running.delete(id);
    throw encodeError(e);
  };
}

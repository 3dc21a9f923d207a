// Our library as the benchmarks see it: the core is typed; the primitives
// that land later (Lock, Semaphore, Queue, gather, waitFor, timeout,
// TaskGroup) are looked up by name so that a scenario lights up when its
// export exists and says "not exported yet" before.
//
// What is measured is the library as users run it: src/ compiled by tsc
// (bench/run.ts builds it into node_modules/.cache/asyncio-ts-bench and
// passes the folder in ASYNCIO_TS_BENCH_LIB). Run through tsx instead, every
// class-field arrow function gets esbuild's `__name` wrapper (keepNames),
// which costs time and memory per Task that no user pays.
import type * as Lib from "../src/index.js";
import type * as Hooks from "../src/hooks.js";
import type { Awaitable, CoroutineLike } from "../src/index.js";

const dir = process.env.ASYNCIO_TS_BENCH_LIB ?? new URL("../src", import.meta.url).href;
const ext = process.env.ASYNCIO_TS_BENCH_LIB ? ".js" : ".ts";

/** The library's exports. */
export const lib = (await import(`${dir}/index${ext}`)) as typeof Lib;
/** Where the measured library comes from (for the doc). */
export const libSource = process.env.ASYNCIO_TS_BENCH_LIB
  ? "src/ compiled by tsc"
  : "src/ through tsx (not what users run)";
export const { hooksInstalled } = (await import(`${dir}/hooks${ext}`)) as typeof Hooks;
export const { EventLoop, createTask, getRunningLoop, sleep } = lib;
const mod = lib as unknown as Record<string, unknown>;

/** Our Lock, as asyncio's: acquire() is awaitable (and yield*-able), release() synchronous. */
export interface LockLike {
  acquire(): Awaitable<unknown>;
  release(): void;
}
/** Our Semaphore. */
export interface SemaphoreLike extends LockLike {
  run?<T>(fn: () => PromiseLike<T> | T): Awaitable<T> | PromiseLike<T>;
}
/** Our Queue. */
export interface QueueLike<T> {
  put(item: T): Awaitable<unknown>;
  get(): Awaitable<T>;
  putNowait(item: T): void;
}
/** Our TaskGroup. */
export interface TaskGroupLike {
  run<R>(fn: (tg: { createTask<_T>(coro: unknown): unknown }) => PromiseLike<R> | R): PromiseLike<R>;
}

/** The export `name`, or undefined if it has not landed yet. */
export function optional<T>(name: string): T | undefined {
  return name in mod ? (mod[name] as T) : undefined;
}

export const Lock = optional<new () => LockLike>("Lock");
export const Semaphore = optional<new (n: number) => SemaphoreLike>("Semaphore");
export const Queue = optional<new (maxsize?: number) => QueueLike<unknown>>("Queue");
export const TaskGroup = optional<new () => TaskGroupLike>("TaskGroup");
export const gather = optional<(...aws: unknown[]) => Awaitable<unknown[]>>("gather");
export const waitFor = optional<<T>(aw: unknown, seconds: number) => Awaitable<T>>("waitFor");
export const timeout =
  optional<(seconds: number) => { run<T>(fn: () => PromiseLike<T> | T): PromiseLike<T> }>("timeout");

/** "skipped" reason for a contender needing these exports, or undefined if all exist. */
export function missing(...names: string[]): string | undefined {
  const absent = names.filter((n) => !(n in mod));
  return absent.length ? `\`${absent.join("`, `")}\` not exported yet` : undefined;
}

// One real-time loop per process for all our contenders: each sample is one
// runUntilComplete (one extra loop iteration, negligible against the sample).
let shared: Lib.EventLoop | undefined;

/** Runs `main` as a task on our (real-time) loop and returns its result. */
export function onLoop<T>(main: CoroutineLike<T>): Promise<T> {
  shared ??= new EventLoop();
  return shared.runUntilComplete(main);
}

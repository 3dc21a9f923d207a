// Job functions the executor tests run in worker threads and child
// processes (through tsx, which the workers inherit from the test process's
// execArgv). Each gets its arguments, then the job's AbortSignal.

export function add(a: number, b: number): number {
  return a + b;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function echoLater<T>(x: T): Promise<T> {
  await new Promise((r) => setTimeout(r, 1));
  return x;
}

/** The arguments it got: the signal is the last one. */
export function argsSeen(...args: unknown[]): string[] {
  return args.map((a) => (a instanceof AbortSignal ? "AbortSignal" : typeof a));
}

export class ParseError extends Error {
  code = "E_PARSE";
  line = 3;
}

export function throwsCustom(): never {
  throw new ParseError("bad token", { cause: new RangeError("offset 7") });
}

export function throwsType(): never {
  throw new TypeError("not a number");
}

export function throwsString(): never {
  throw "just a string";
}

/** Waits (in the event loop) until the job is cancelled; resolves with the abort reason's name. */
export function untilAborted(_x: unknown, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve((signal.reason as Error).name);
    signal.addEventListener("abort", () => resolve((signal.reason as Error).name), { once: true });
  });
}

/** Returns 0 at once; any other value waits until the job is cancelled. */
export function zeroAtOnce(x: number, signal: AbortSignal): Promise<number | string> {
  return x === 0 ? Promise.resolve(0) : untilAborted(x, signal);
}

/** Spins synchronously until `signal.aborted` becomes true (threads: the shared flag). */
export function spinUntilAborted(_x: unknown, signal: AbortSignal): string {
  const end = Date.now() + 10_000;
  while (!signal.aborted) if (Date.now() > end) return "never aborted";
  return "aborted while spinning";
}

/** Blocks the thread until gate[0] becomes non-zero (threads only: a SharedArrayBuffer). */
export function waitOnGate(gate: Int32Array): string {
  Atomics.wait(gate, 0, 0, 10_000);
  return "released";
}

/** Counts its runs in a shared counter. */
export function countRun(counter: Int32Array): number {
  return Atomics.add(counter, 0, 1) + 1;
}

export function exitWith(code: number): void {
  process.exit(code);
}

export function killSelf(): void {
  process.kill(process.pid, "SIGKILL");
}

export function exhaustMemory(): number {
  const hog: number[][] = [];
  for (;;) hog.push(new Array(1_000_000).fill(1));
}

/** Returns at once, and throws later, outside any job. */
export function throwsLater(): string {
  setTimeout(() => {
    throw new Error("thrown after the job");
  }, 1);
  return "returned";
}

/** Rejects a promise nobody handles, inside the job, then never finishes by itself (an uncaught error while running). */
export function crashesInside(): Promise<never> {
  setTimeout(() => {
    throw new SyntaxError("uncaught inside the job");
  }, 1);
  return new Promise(() => {});
}

/** Creates the file `file` (to prove that a job ran). */
export async function touch(file: string): Promise<void> {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(file, "ran");
}

export const notAFunction = 42;

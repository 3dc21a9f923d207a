// Helpers of the gevent conformance ports: a test body is a generator run as
// the main task of a fresh virtual-time loop (gevent's main greenlet), whose
// exception handler collects what greenlets report.
import type { ExecutionContext } from "ava";
import { spawn } from "../../../adapters/gevent/index.js";
import type { Coroutine } from "../../../src/index.js";
import { type TestLoop, makeLoop } from "../../helpers/loop.js";

/** gevent.testing's DELAY (timing.SMALL_TICK) and LARGE_TICK, in virtual seconds. */
export const DELAY = 0.01;
export const LARGE_TICK = 0.2;

export class ExpectedError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = "ExpectedError";
  }
}

/** Runs `body(loop)` as a greenlet (the main one) on a new virtual-time loop; returns the loop (its `errors`). */
export async function runG(body: (loop: TestLoop) => Coroutine<unknown>): Promise<TestLoop> {
  const loop = makeLoop();
  try {
    await loop.runUntilComplete(
      (function* () {
        // The test body is gevent's main greenlet: Timeout.start() and kill() raise into it.
        const main = spawn(() => body(loop));
        main.name = "main";
        yield* main.join();
        if (!main.successful()) {
          loop.errors = loop.errors.filter((c) => c.exception !== main.exception);
          throw main.exception;
        }
      })(),
    );
    return loop;
  } finally {
    loop.close();
  }
}

/** The test's body on a virtual-time loop; fails if a greenlet reported an error the test did not expect. */
export function gtest(
  body: (t: ExecutionContext, loop: TestLoop) => Coroutine<unknown>,
  options: { errors?: number } = {},
): (t: ExecutionContext) => Promise<void> {
  return async (t) => {
    const loop = await runG((l) => body(t, l));
    if (options.errors !== undefined) t.is(loop.errors.length, options.errors, "reported errors");
  };
}

/** The number of timers and callbacks the loop still holds (not cancelled). */
export function scheduledHandles(loop: TestLoop): number {
  // Live timers: the heap's length less the cancelled handles it still holds until a purge.
  const l = loop as unknown as { _ready: unknown[]; _timers: { length: number }; _timerCancelledCount: number };
  return l._ready.length + l._timers.length - l._timerCancelledCount;
}

// Shared test helpers: run a scenario on a fresh virtual-time loop that
// records what its exception handler receives.
import { VirtualTimeLoop, type ExceptionContext, type CoroutineLike } from "../../src/index.js";

export interface TestLoop extends VirtualTimeLoop {
  errors: ExceptionContext[];
}

/** A virtual-time loop whose exception handler collects contexts into `loop.errors`. */
export function makeLoop(options?: { autojump?: boolean }): TestLoop {
  const loop = new VirtualTimeLoop(options) as TestLoop;
  loop.errors = [];
  loop.setExceptionHandler((_l, ctx) => loop.errors.push(ctx));
  return loop;
}

/** Runs `main` to completion on a new virtual-time loop, closes it, and returns the result and the loop. */
export async function runOn<T>(
  main: CoroutineLike<T>,
  options?: { autojump?: boolean },
): Promise<{ result: T; loop: TestLoop }> {
  const loop = makeLoop(options);
  try {
    const result = await loop.runUntilComplete(main);
    return { result, loop };
  } finally {
    loop.close();
  }
}

/** Runs `main` on a new virtual-time loop and returns its result. */
export async function runTest<T>(main: CoroutineLike<T>): Promise<T> {
  return (await runOn(main)).result;
}

/** Forces garbage collection and lets FinalizationRegistry callbacks run (needs --expose-gc). */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * asyncio's `test_utils.run_briefly`: runs the loop for two iterations (the
 * one that completes a helper future, and the one that stops the loop).
 */
export async function runBriefly(loop: VirtualTimeLoop): Promise<void> {
  const f = loop.createFuture<void>();
  loop.callSoon(() => f.setResult());
  await loop.runUntilComplete(f);
}

// The property test of timeout() scopes (moved here from the CPython port
// test/conformance/asyncio/test_timeouts.test.ts: it is ours, not a port).
import test from "ava";
import fc from "fast-check";
import {
  CancelledError,
  type Coroutine,
  type Timeout,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
} from "../../src/index.js";
import { runOn } from "../helpers/loop.js";

// ---- property: nested timeouts and a foreign cancel --------------------------
// Random nestings of timeout() scopes around a sleep, with an optional cancel
// from another task, in both coroutine styles. Expected, from asyncio's rules:
// the scopes whose deadline is the earliest one all fire in the same
// iteration; the outermost of them converts the CancelledError into
// TimeoutError and the inner ones let it through (uncancel() is still above
// their entry level); a foreign cancel that comes first propagates as
// CancelledError and no scope expires; the cancel count is restored.
// Deadlines, sleep and cancel times never tie (asyncio leaves equal times unordered).

test("property: nested timeouts — only the outermost expired scope raises TimeoutError, counts restored", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<"async" | "generator">("async", "generator"),
      fc.array(fc.constantFrom<number | null>(null, 0, 0.5, 1, 2), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(0.25, 1.25, 5),
      fc.constantFrom<number | null>(null, 0.75, 1.75),
      async (style, delays, sleepFor, cancelAt) => {
        const { result } = await runOn(async () => {
          const loop = getRunningLoop();
          const scopes: Timeout[] = [];
          let outcome = "ok";
          const inner = createTask(
            style === "async"
              ? async () => {
                  const nest = async (i: number): Promise<void> => {
                    if (i === delays.length) return void (await sleep(sleepFor));
                    await timeout(delays[i]!).run(async (cm) => {
                      scopes[i] = cm;
                      await nest(i + 1);
                    });
                  };
                  try {
                    await nest(0);
                  } catch (e) {
                    outcome = (e as Error).name;
                    if (e instanceof CancelledError) currentTask()!.uncancel();
                  }
                  return currentTask()!.cancelling();
                }
              : function* (): Coroutine<number> {
                  const nest = function* (i: number): Coroutine<void> {
                    if (i === delays.length) return void (yield* sleep(sleepFor));
                    yield* timeout(delays[i]!).run(function* (cm) {
                      scopes[i] = cm;
                      yield* nest(i + 1);
                    });
                  };
                  try {
                    yield* nest(0);
                  } catch (e) {
                    outcome = (e as Error).name;
                    if (e instanceof CancelledError) currentTask()!.uncancel();
                  }
                  return currentTask()!.cancelling();
                },
          );
          if (cancelAt !== null) loop.callLater(cancelAt, () => inner.cancel());
          const count = await inner;
          return { outcome, count, end: loop.time(), expired: scopes.map((s) => s.expired()) };
        });
        const deadlines = delays.filter((d): d is number => d !== null);
        const fire = deadlines.length ? Math.min(...deadlines) : Infinity;
        const first = Math.min(fire, sleepFor, cancelAt ?? Infinity);
        const expected =
          first === sleepFor
            ? { outcome: "ok", expired: delays.map(() => false) }
            : first === cancelAt
              ? { outcome: "CancelledError", expired: delays.map(() => false) }
              : { outcome: "TimeoutError", expired: delays.map((d) => d === fire) };
        if (
          result.outcome !== expected.outcome ||
          JSON.stringify(result.expired) !== JSON.stringify(expected.expired) ||
          result.count !== 0 ||
          result.end !== first
        ) {
          throw new Error(
            `got ${JSON.stringify(result)}, expected ${JSON.stringify({ ...expected, count: 0, end: first })}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

// Property test of issue #20: a task's cancellation is never lost and never
// hits the wrong Future. Random async-function task bodies start unawaited
// promise chains over Futures of ours (decoys, never awaited by the task)
// and await others through helpers, promise chains and thenables; the task
// is cancelled at a random time. A model says which await is pending then:
// - one of ours (a Future, sleep, through any chain): the task ends
//   cancelled at that moment;
// - a foreign promise (it cannot be interrupted): the cancellation is kept
//   and delivered at the task's next await of ours, or ends the task
//   cancelled when it returns;
// - the task has finished: cancel() returns false.
// Always: no decoy is cancelled, cancelling() is 1 after a cancel that hit.
import test from "ava";
import fc from "fast-check";
import { type EventLoop, type Future, createTask, getRunningLoop, isCancelledError, sleep } from "../../src/index.js";
import { runOn } from "../helpers/loop.js";

const RUNS = Number(process.env.CANCEL_AWAIT_RUNS ?? 2000);

type DecoyKind = "thenAdopt" | "all" | "race" | "directThen" | "helper" | "helperLater" | "thenable" | "newPromise";
type AwaitKind = "sleep" | "future" | "nested" | "return" | "chain" | "resolve" | "thenable" | "yield" | "foreign";
type Step = { k: "decoy"; kind: DecoyKind } | { k: "await"; kind: AwaitKind; d: number; depth: number };

const decoyArb = fc.constantFrom<DecoyKind>(
  "thenAdopt",
  "all",
  "race",
  "directThen",
  "helper",
  "helperLater",
  "thenable",
  "newPromise",
);
const awaitArb = fc.constantFrom<AwaitKind>(
  "sleep",
  "future",
  "nested",
  "return",
  "chain",
  "resolve",
  "thenable",
  "yield",
  "foreign",
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant("decoy" as const), kind: decoyArb }),
  fc.record({
    k: fc.constant("await" as const),
    kind: awaitArb,
    d: fc.integer({ min: 1, max: 3 }),
    depth: fc.integer({ min: 1, max: 3 }),
  }),
);

const ignore = (): void => {};

function startDecoy(kind: DecoyKind, f: Future<number>): void {
  switch (kind) {
    case "thenAdopt":
      void Promise.resolve()
        .then(() => f)
        .catch(ignore);
      return;
    case "all":
      void Promise.all([f]).catch(ignore);
      return;
    case "race":
      void Promise.race([f, new Promise(ignore)]).catch(ignore);
      return;
    case "directThen":
      f.then(ignore, ignore);
      return;
    case "helper":
      void (async () => await f)().catch(ignore);
      return;
    case "helperLater":
      void (async () => {
        await null;
        await sleep(0);
        return await f;
      })().catch(ignore);
      return;
    case "thenable":
      void Promise.resolve({ then: (ok: (v: number) => void, fail: (e: unknown) => void) => f.then(ok, fail) }).catch(
        ignore,
      );
      return;
    case "newPromise":
      void new Promise((resolve) => resolve(f)).catch(ignore);
      return;
  }
}

async function nested(depth: number, d: number): Promise<void> {
  if (depth === 0) {
    await sleep(d);
    return;
  }
  await nested(depth - 1, d);
}

async function doAwait(loop: EventLoop, s: Extract<Step, { k: "await" }>): Promise<void> {
  switch (s.kind) {
    case "sleep":
      await sleep(s.d);
      return;
    case "future": {
      const f = loop.createFuture<number>();
      loop.callLater(s.d, () => {
        if (!f.done()) f.setResult(1);
      });
      await f;
      return;
    }
    case "nested":
      await nested(s.depth, s.d);
      return;
    case "return":
      await (async () => sleep(s.d))();
      return;
    case "chain":
      await Promise.resolve().then(() => sleep(s.d));
      return;
    case "resolve":
      await Promise.resolve(sleep(s.d));
      return;
    case "thenable": {
      const w = sleep(s.d);
      await { then: (ok: (v: void) => void, fail: (e: unknown) => void) => w.then(ok, fail) };
      return;
    }
    case "yield":
      await sleep(0);
      return;
    case "foreign":
      await new Promise<void>((resolve) => loop.callLater(s.d, resolve));
      return;
  }
}

const duration = (s: Step): number => (s.k === "await" && s.kind !== "yield" ? s.d : 0);

/** The model: when the task ends, and how, for a cancel at time `at`. */
function expected(steps: Step[], at: number): { cancelled: boolean; end: number } {
  let t = 0;
  let pending = false; // a cancel arrived during a foreign await: delivered at the next await of ours
  for (const s of steps) {
    if (s.k !== "await") continue;
    if (pending && s.kind !== "foreign") return { cancelled: true, end: t };
    const end = t + duration(s);
    if (!pending && at > t && at < end) {
      if (s.kind !== "foreign") return { cancelled: true, end: at };
      pending = true;
    }
    t = end;
  }
  return pending ? { cancelled: true, end: t } : { cancelled: false, end: t };
}

test("property: cancel() reaches the await the task is suspended on; no cancellation lost, no wrong victim", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArb, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 0, max: 26 }),
      async (steps, half) => {
        const at = half / 2 + 0.25; // never on an await's boundary (durations are whole seconds)
        await runOn(async () => {
          const loop = getRunningLoop();
          const decoys: Future<number>[] = [];
          const task = createTask(async () => {
            for (const s of steps) {
              if (s.k === "decoy") {
                const f = loop.createFuture<number>();
                decoys.push(f);
                startDecoy(s.kind, f);
              } else await doAwait(loop, s);
            }
            return "finished";
          });
          let endedAt = -1;
          task.addDoneCallback(() => {
            endedAt = loop.time();
          });
          let hit: boolean | undefined;
          loop.callLater(at, () => {
            hit = task.cancel("stop");
          });
          const outcome = await task.then(
            (v) => v,
            (e) => e,
          );
          await sleep(Math.max(0, at - loop.time()) + 0.5); // the cancel has run
          const want = expected(steps, at);
          const where = `steps ${JSON.stringify(steps)}, cancel at ${at}`;
          if (want.cancelled) {
            if (!isCancelledError(outcome))
              throw new Error(`lost cancellation: ended with ${String(outcome)}; ${where}`);
            if (endedAt !== want.end) throw new Error(`cancelled at ${endedAt}, expected ${want.end}; ${where}`);
            if (task.cancelling() !== 1) throw new Error(`cancelling() ${task.cancelling()}; ${where}`);
            if (hit !== true) throw new Error(`cancel() returned ${hit}; ${where}`);
          } else {
            if (outcome !== "finished") throw new Error(`ended with ${String(outcome)}; ${where}`);
            if (hit !== false) throw new Error(`cancel() of a finished task returned ${hit}; ${where}`);
          }
          const victims = decoys.filter((f) => f.cancelled()).length;
          if (victims !== 0) throw new Error(`${victims} decoy Future(s) cancelled; ${where}`);
          for (const f of decoys) f.setResult(0);
          await sleep(0);
        });
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

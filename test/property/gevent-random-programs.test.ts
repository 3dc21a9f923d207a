// Property test: random spawn/kill/timeout/join programs against a model.
//
// Each greenlet sleeps through whole-second steps, may run inside a Timeout
// scope (silent or not) and ends by returning or throwing; the main
// greenlet kills some of them at half-second times (so that no kill ties
// with a step), some before they ever run, with GreenletExit or an error.
// The model predicts each greenlet's outcome. Properties:
// - every outcome is the model's (value, error, or GreenletExit success);
// - no lost links: each link and rawlink fires exactly once, after death,
//   in the order added; a greenlet killed before it ran never ran;
// - no double reports: the loop's exception handler receives exactly one
//   report per greenlet that died with an error (GreenletExit is not one);
// - no leaked timers: once everything is dead, the loop's scheduled handles
//   (timers and callbacks) are back to zero.
import test from "ava";
import fc from "fast-check";
import { type Greenlet, GreenletExit, Timeout, joinall, sleep, spawn } from "../../adapters/gevent/index.js";
import type { Coroutine } from "../../src/index.js";
import { makeLoop } from "../helpers/loop.js";

const RUNS = Number(process.env.GEVENT_RUNS ?? 150);

class Boom extends Error {}
class Shot extends Error {}

interface Spec {
  steps: number[]; // sleeps, whole seconds
  timeout: { at: number; silent: boolean } | null; // half-seconds
  kill: { at: number; exc: "exit" | "error" } | null; // at -1: before it runs
  end: "return" | "throw";
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  steps: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }),
  timeout: fc.option(fc.record({ at: fc.integer({ min: 0, max: 8 }).map((x) => x + 0.5), silent: fc.boolean() })),
  kill: fc.option(
    fc.record({
      at: fc.oneof(
        fc.constant(-1),
        fc.integer({ min: 0, max: 8 }).map((x) => x + 0.5),
      ),
      exc: fc.constantFrom<"exit" | "error">("exit", "error"),
    }),
  ),
  end: fc.constantFrom<"return" | "throw">("return", "throw"),
});

type Outcome = { kind: "value"; v: unknown } | { kind: "exit" } | { kind: "error"; cls: string };

function model(s: Spec, i: number): Outcome {
  const total = s.steps.reduce((a, b) => a + b, 0);
  const killAt = s.kill?.at;
  if (killAt === -1) return s.kill!.exc === "exit" ? { kind: "exit" } : { kind: "error", cls: "Shot" };
  const timeoutAt = s.timeout !== null && s.timeout.at < total ? s.timeout.at : Number.POSITIVE_INFINITY;
  const endAt = Math.min(total, timeoutAt);
  if (killAt !== undefined && killAt < endAt)
    return s.kill!.exc === "exit" ? { kind: "exit" } : { kind: "error", cls: "Shot" };
  if (timeoutAt < total) return s.timeout!.silent ? { kind: "value", v: undefined } : { kind: "error", cls: "Timeout" };
  return s.end === "return" ? { kind: "value", v: i } : { kind: "error", cls: "Boom" };
}

function outcome(g: Greenlet<unknown>): Outcome {
  if (g.successful()) return g.value instanceof GreenletExit ? { kind: "exit" } : { kind: "value", v: g.value };
  return { kind: "error", cls: (g.exception as Error).constructor.name };
}

test("random spawn/kill/timeout/join programs match the model", async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 6 }), async (specs) => {
      const loop = makeLoop();
      const ran = specs.map(() => false);
      const links: string[][] = specs.map(() => []);
      const greenlets: Greenlet<unknown>[] = [];
      let leftover = -1;
      try {
        await loop.runUntilComplete(
          (function* (): Coroutine<void> {
            specs.forEach((s, i) => {
              function* steps(): Coroutine<number> {
                for (const d of s.steps) yield* sleep(d);
                if (s.end === "throw") throw new Boom(`g${i}`);
                return i;
              }
              const g = spawn(function* () {
                ran[i] = true;
                if (s.timeout === null) return yield* steps();
                return yield* new Timeout(s.timeout.at, s.timeout.silent ? false : undefined).run(steps);
              });
              g.link((x) => void links[i]!.push(`link dead=${x.dead}`));
              g.rawlink((x) => void links[i]!.push(`rawlink dead=${x.dead}`));
              greenlets.push(g as Greenlet<unknown>);
              if (s.kill?.at === -1) g.kill({ exception: s.kill.exc === "exit" ? GreenletExit : Shot, block: false });
            });
            const kills = specs
              .map((s, i) => ({ s, i }))
              .filter(({ s }) => s.kill !== null && s.kill.at >= 0)
              .sort((a, b) => a.s.kill!.at - b.s.kill!.at);
            let now = 0;
            for (const { s, i } of kills) {
              yield* sleep(s.kill!.at - now);
              now = s.kill!.at;
              greenlets[i]!.kill({ exception: s.kill!.exc === "exit" ? GreenletExit : Shot, block: false });
            }
            yield* joinall(greenlets);
            yield* sleep(0);
            yield* sleep(0);
            // Live timers: the heap's length less the cancelled handles it still holds until a purge.
            const l = loop as unknown as {
              _ready: unknown[];
              _timers: { length: number };
              _timerCancelledCount: number;
            };
            leftover = l._ready.length + l._timers.length - l._timerCancelledCount;
          })(),
        );
      } finally {
        loop.close();
      }
      specs.forEach((s, i) => {
        const g = greenlets[i]!;
        const expected = model(s, i);
        if (JSON.stringify(outcome(g)) !== JSON.stringify(expected))
          throw new Error(`g${i} ${JSON.stringify(s)}: ${JSON.stringify(outcome(g))} != ${JSON.stringify(expected)}`);
        if (s.kill?.at === -1 && ran[i]) throw new Error(`g${i} ran after a kill before start`);
        if (links[i]!.join("|") !== "link dead=true|rawlink dead=true") throw new Error(`g${i} links ${links[i]}`);
      });
      const expectedReports = specs.filter((s, i) => model(s, i).kind === "error").length;
      if (loop.errors.length !== expectedReports)
        throw new Error(`${loop.errors.length} reports, expected ${expectedReports}`);
      const reported = new Set(loop.errors.map((c) => c.greenlet));
      if (reported.size !== expectedReports) throw new Error("a greenlet was reported twice");
      if (leftover !== 0) throw new Error(`${leftover} scheduled handles left`);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

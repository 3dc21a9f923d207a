// Random Deferred programs (fast-check, fixed seed) run on our Deferred and
// on real Twisted through the same small interpreter (twisted_random_programs.py),
// traces compared: callbacks and errbacks that return, raise, return
// Failures, chain to other Deferreds, pause/unpause, cancel, fire twice,
// chainDeferred, DeferredList (all flag combinations) and gatherResults.
// Skipped with a printed reason when Twisted is not importable.
import test from "ava";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AlreadyCalledError,
  Deferred,
  DeferredList,
  Failure,
  FirstError,
  gatherResults,
} from "../../adapters/twisted/index.js";

class Boom extends Error {}

type Action = ["ret", number] | ["raise", number] | ["fail", number] | ["id"] | ["none"] | ["chain", number] | ["trap"];
type Op =
  | ["cb" | "eb" | "both", number, Action]
  | ["fire", number, "ok" | "err", number]
  | ["pause", number]
  | ["unpause", number]
  | ["cancel", number]
  | ["chainDeferred", number, number]
  | ["dl", number, number[], boolean, boolean, boolean]
  | ["gather", number, number[], boolean];
interface Program {
  n: number;
  ops: Op[];
}

function fmt(v: unknown): string {
  if (v instanceof Failure && v.value instanceof FirstError)
    return `F:FirstError:#${v.value.index}:${fmt(v.value.subFailure)}`;
  if (v instanceof Failure) return `F:${v.parents[0]}:${v.getErrorMessage()}`;
  if (v === undefined || v === null) return "None";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return "[" + v.map(fmt).join(",") + "]";
  if (v instanceof Deferred) return "Deferred";
  return String(v);
}

function run(program: Program): string[] {
  const trace: string[] = [];
  const ds = Array.from({ length: program.n }, () => new Deferred<unknown>());
  const lists: Deferred<unknown>[] = [];
  let step = 0;
  const make = (kind: string, d: number, action: Action) => {
    step += 1;
    const name = `${kind}${d}#${step}`;
    return (r: unknown): unknown => {
      trace.push(`${name}<-${fmt(r)}`);
      switch (action[0]) {
        case "ret":
          return action[1];
        case "raise":
          throw new Boom(String(action[1]));
        case "fail":
          return new Failure(new Boom(String(action[1])));
        case "id":
          return r;
        case "none":
          return undefined;
        case "chain":
          return ds[action[1]];
        case "trap":
          if (r instanceof Failure) {
            r.trap(Boom);
            return "trapped";
          }
          return r;
      }
    };
  };
  for (const op of program.ops) {
    const D = ds[op[1]]!;
    try {
      switch (op[0]) {
        case "cb":
          D.addCallback(make("cb", op[1], op[2]));
          break;
        case "eb":
          D.addErrback(make("eb", op[1], op[2]));
          break;
        case "both":
          D.addBoth(make("both", op[1], op[2]));
          break;
        case "fire":
          if (op[2] === "ok") D.callback(op[3]);
          else D.errback(new Boom(String(op[3])));
          break;
        case "pause":
          D.pause();
          break;
        case "unpause":
          if (D.paused > 0) D.unpause();
          break;
        case "cancel":
          D.cancel();
          break;
        case "chainDeferred":
          D.chainDeferred(ds[op[2]]!);
          break;
        case "dl":
          lists.push(
            new DeferredList(
              op[2].map((i) => ds[i]!),
              { fireOnOneCallback: op[3], fireOnOneErrback: op[4], consumeErrors: op[5] },
            ) as Deferred<unknown>,
          );
          break;
        case "gather":
          lists.push(
            gatherResults(
              op[2].map((i) => ds[i]!),
              { consumeErrors: op[3] },
            ) as Deferred<unknown>,
          );
          break;
      }
    } catch (e) {
      if (!(e instanceof AlreadyCalledError)) throw e;
      trace.push(`AlreadyCalled:${op[1]}`);
    }
  }
  ds.forEach((D, i) => {
    trace.push(`d${i} called=${D.called} paused=${D.paused} result=${D.called ? fmt(D.result) : "-"}`);
    D.addErrback(() => undefined);
  });
  lists.forEach((L, i) => {
    trace.push(`list${i} called=${L.called} result=${L.called ? fmt(L.result) : "-"}`);
    L.addErrback(() => undefined);
  });
  return trace;
}

const N = 4;
const actionFor = (d: number): fc.Arbitrary<Action> =>
  fc.oneof(
    fc.tuple(fc.constant("ret" as const), fc.integer({ min: 0, max: 9 })),
    fc.tuple(fc.constant("raise" as const), fc.integer({ min: 0, max: 9 })),
    fc.tuple(fc.constant("fail" as const), fc.integer({ min: 0, max: 9 })),
    fc.constant(["id"] as Action),
    fc.constant(["none"] as Action),
    fc.constant(["trap"] as Action),
    ...(d < N - 1 ? [fc.tuple(fc.constant("chain" as const), fc.integer({ min: d + 1, max: N - 1 }))] : []),
  );
const opArb: fc.Arbitrary<Op> = fc.integer({ min: 0, max: N - 1 }).chain(
  (d) =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.tuple(
          fc.constantFrom("cb" as const, "eb" as const, "both" as const),
          fc.constant(d),
          actionFor(d),
        ),
      },
      {
        weight: 3,
        arbitrary: fc.tuple(
          fc.constant("fire" as const),
          fc.constant(d),
          fc.constantFrom("ok" as const, "err" as const),
          fc.integer({ min: 10, max: 99 }),
        ),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constant("pause" as const), fc.constant(d)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("unpause" as const), fc.constant(d)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant("cancel" as const), fc.constant(d)) },
      ...(d < N - 1
        ? [
            {
              weight: 1,
              arbitrary: fc.tuple(
                fc.constant("chainDeferred" as const),
                fc.constant(d),
                fc.integer({ min: d + 1, max: N - 1 }),
              ),
            },
          ]
        : []),
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constant("dl" as const),
          fc.constant(d),
          fc.uniqueArray(fc.integer({ min: 0, max: N - 1 }), { maxLength: N }),
          fc.boolean(),
          fc.boolean(),
          fc.boolean(),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constant("gather" as const),
          fc.constant(d),
          fc.uniqueArray(fc.integer({ min: 0, max: N - 1 }), { maxLength: N }),
          fc.boolean(),
        ),
      },
    ) as fc.Arbitrary<Op>,
);
const programs: Program[] = fc.sample(
  fc.array(opArb, { minLength: 1, maxLength: 25 }).map((ops) => ({ n: N, ops })),
  { numRuns: 2000, seed: 20261125 },
);

const here = dirname(fileURLToPath(import.meta.url));

function twistedRuns(): { traces?: string[][]; reason?: string } {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return { reason: `${python} not found` };
  try {
    execFileSync(python, ["-c", "import twisted.internet.defer"], { stdio: "pipe" });
  } catch {
    return { reason: "Twisted is not importable by /usr/bin/python3 (apt-get install -y python3-twisted)" };
  }
  const out = execFileSync(python, [join(here, "twisted_random_programs.py")], {
    input: JSON.stringify(programs),
    encoding: "utf8",
    stdio: ["pipe", "pipe", "ignore"],
    maxBuffer: 64 << 20,
  });
  return { traces: JSON.parse(out) as string[][] };
}

test("2,000 random Deferred programs give Twisted's traces", (t) => {
  const ours = programs.map(run);
  t.is(ours.length, 2000);
  const twisted = twistedRuns();
  if (twisted.traces === undefined) {
    t.log(`skipped the comparison: ${twisted.reason}`);
    return;
  }
  let mismatches = 0;
  for (let i = 0; i < programs.length; i++) {
    if (JSON.stringify(ours[i]) !== JSON.stringify(twisted.traces[i])) {
      if (mismatches++ < 3)
        t.log(JSON.stringify(programs[i]!.ops), "\nours:   ", ours[i], "\ntwisted:", twisted.traces[i]);
    }
  }
  t.is(mismatches, 0);
});

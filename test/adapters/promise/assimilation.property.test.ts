// Property test: fromThenable assimilates any thenable exactly as a native
// Promise does (Promises/A+ §2.3 as implemented by V8), on random thenables:
// nested thenables, synchronous and asynchronous callbacks, several calls
// (the first wins), throws before and after a callback, throwing `then`
// getters. The outcome (value or reason) must be the same.
import test from "ava";
import fc from "fast-check";
import { runTest } from "../../helpers/loop.js";
import { fromThenable } from "../../../adapters/promise/index.js";

type Timing = "sync" | "microtask" | "macrotask";
type Action =
  | { op: "resolve"; child: Node; timing: Timing }
  | { op: "reject"; v: number; timing: Timing }
  | { op: "throw"; v: number };
type Node = { kind: "value"; v: number } | { kind: "thenable"; getterThrows: number | null; actions: Action[] };

const timing = fc.constantFrom<Timing>("sync", "microtask", "macrotask");
const { node } = fc.letrec<{ node: Node; action: Action }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 4, withCrossShrink: true },
    fc.record({ kind: fc.constant("value" as const), v: fc.integer({ min: -5, max: 5 }) }),
    fc.record({
      kind: fc.constant("thenable" as const),
      // Mostly a plain `then`; sometimes a getter that throws.
      getterThrows: fc.oneof(
        { arbitrary: fc.constant(null), weight: 7 },
        { arbitrary: fc.integer({ min: 100, max: 105 }), weight: 1 },
      ),
      actions: fc.array(tie("action"), { minLength: 1, maxLength: 3 }),
    }),
  ) as fc.Arbitrary<Node>,
  action: fc.oneof(
    { maxDepth: 4 },
    { arbitrary: fc.record({ op: fc.constant("resolve" as const), child: tie("node"), timing }), weight: 4 },
    {
      arbitrary: fc.record({ op: fc.constant("reject" as const), v: fc.integer({ min: 10, max: 15 }), timing }),
      weight: 2,
    },
    { arbitrary: fc.record({ op: fc.constant("throw" as const), v: fc.integer({ min: 20, max: 25 }) }), weight: 1 },
  ) as fc.Arbitrary<Action>,
}));

// A fresh object for the node (plain values stay values).
function build(n: Node): unknown {
  if (n.kind === "value") return n.v;
  const run = (res: (v: unknown) => void, rej: (e: unknown) => void): void => {
    for (const a of n.actions) {
      if (a.op === "throw") throw a.v;
      const call = a.op === "resolve" ? () => res(build(a.child)) : () => rej(a.v);
      if (a.timing === "sync") call();
      else if (a.timing === "microtask") queueMicrotask(call);
      else setImmediate(call);
    }
  };
  if (n.getterThrows !== null) {
    const reason = n.getterThrows;
    return Object.defineProperty({}, "then", {
      get() {
        throw reason;
      },
    });
  }
  return { then: run };
}

// Every callback of a generated thenable runs within a microtask or one
// macrotask (setImmediate) of its `then` call, so after enough macrotask
// rounds (more than the nesting can use) an unsettled one never settles.
async function flush(): Promise<string> {
  for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
  return "pending";
}

async function outcome(p: PromiseLike<unknown>): Promise<string> {
  const pending = flush();
  const settled = p.then(
    (v) => `value ${String(v)}`,
    (e) => `reason ${String(e)}`,
  );
  return Promise.race([settled, pending]);
}

test("fromThenable assimilates random thenables exactly as a native Promise (Promises/A+ §2.3)", async (t) => {
  t.timeout(120_000);
  await runTest(async () => {
    await fc.assert(
      fc.asyncProperty(node, async (n) => {
        const native = await outcome(Promise.resolve(build(n)));
        const ours = await outcome(
          fromThenable({ then: (ok: (v: unknown) => void) => ok(build(n)) } as PromiseLike<unknown>),
        );
        if (native !== ours) throw new Error(`native: ${native}, fromThenable: ${ours}`);
      }),
      { numRuns: 1000 },
    );
  });
  t.pass();
});

// Property test of the gevent queues' hand-off (queue.ts): random programs of putters and getters (greenlets, with or
// without a timeout), kills at random times (some land between a hand-off and the waiter's resumption), dropped
// awaitables (a put or get called and never awaited), on SimpleQueue / Queue / LifoQueue / PriorityQueue of a random
// maxsize. Properties:
// - nothing is lost: every item whose put succeeded is got exactly once (by a getter, a dropped get, or the final
//   drain); an item whose putter was interrupted is got at most once; nothing is got that was never put;
//   (so a getter that timed out or was killed never swallows an item);
// - the bound holds whenever no getter was interrupted after a hand-off (qsize <= maxsize at every observation);
// - no leaked timers: once everything is done and the queue is shut down, the loop's scheduled handles are zero.
import test from "ava";
import fc from "fast-check";
import {
  Empty,
  Full,
  LifoQueue,
  PriorityQueue,
  Queue,
  SimpleQueue,
  joinall,
  sleep,
  spawn,
  withTimeout,
  type Greenlet,
} from "../../../adapters/gevent/index.js";
import type { Awaitable, Coroutine } from "../../../src/index.js";
import { scheduledHandles } from "../../conformance/gevent/harness.js";
import { makeLoop } from "../../helpers/loop.js";

const RUNS = Number(process.env.GEVENT_RUNS ?? 1000);

type Op = { passes: number } & (
  | { kind: "put"; at: number; timeout: number | null }
  | { kind: "get"; at: number; timeout: number | null }
  | { kind: "dropPut"; at: number }
  | { kind: "dropGet"; at: number }
  | { kind: "kill"; at: number; target: number }
);

// Times in quarter seconds, and loop passes (sleep(0)) before each op at its time, so that kills, timeouts and starts
// interleave with hand-offs (a loop callback) and the waiters' resumptions (the pass after).
const at = fc.integer({ min: 0, max: 12 }).map((x) => x / 4);
const passes = fc.integer({ min: 0, max: 3 });
const timeout = fc.option(fc.integer({ min: 0, max: 8 }).map((x) => x / 4));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), at, passes, timeout }),
  fc.record({ kind: fc.constant("get" as const), at, passes, timeout }),
  fc.record({ kind: fc.constant("dropPut" as const), at, passes }),
  fc.record({ kind: fc.constant("dropGet" as const), at, passes }),
  fc.record({ kind: fc.constant("kill" as const), at, passes, target: fc.nat({ max: 30 }) }),
);
const kindArb = fc.constantFrom("SimpleQueue", "Queue", "LifoQueue", "PriorityQueue");

function make(kind: string, maxsize: number): SimpleQueue<number> {
  if (kind === "SimpleQueue") return new SimpleQueue<number>(maxsize);
  if (kind === "Queue") return new Queue<number>(maxsize);
  if (kind === "LifoQueue") return new LifoQueue<number>(maxsize);
  return new PriorityQueue<number>(maxsize);
}

test("random putters, getters, kills and dropped awaitables: nothing lost, nothing doubled, nothing swallowed", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      kindArb,
      fc.integer({ min: 0, max: 3 }),
      fc.array(opArb, { maxLength: 24 }),
      async (kind, maxsize, ops) => {
        const loop = makeLoop();
        const q = make(kind, maxsize);
        const putOk = new Set<number>();
        const putTried = new Set<number>();
        const got: number[] = [];
        const greenlets: Greenlet<unknown>[] = [];
        const dropped: Awaitable<unknown>[] = [];
        const droppedGets: Awaitable<number>[] = [];
        let next = 0;
        let overBound = false;
        const observe = (): void => {
          if (q.maxsize !== undefined && q.qsize() > q.maxsize) overBound = true;
        };
        try {
          await loop.runUntilComplete(
            (function* (): Coroutine<void> {
              for (const op of [...ops].sort((a, b) => a.at - b.at)) {
                if (op.at > loop.time()) yield* sleep(op.at - loop.time());
                for (let i = 0; i < op.passes; i++) yield* sleep(0);
                observe();
                if (op.kind === "put") {
                  const item = next++;
                  putTried.add(item);
                  greenlets.push(
                    spawn(function* () {
                      yield* q.put(item, { timeout: op.timeout });
                      putOk.add(item);
                    }),
                  );
                } else if (op.kind === "get") {
                  greenlets.push(
                    spawn(function* () {
                      got.push(yield* q.get({ timeout: op.timeout }));
                    }),
                  );
                } else if (op.kind === "dropPut") {
                  const item = next++;
                  putTried.add(item);
                  try {
                    dropped.push(q.put(item));
                    putOk.add(item); // a dropped put goes in, now or when a slot frees (checked at the end)
                  } catch {
                    // cannot happen: the queue is never shut down before the end
                  }
                } else if (op.kind === "dropGet") {
                  droppedGets.push(q.get());
                } else if (greenlets.length > 0) {
                  greenlets[op.target % greenlets.length]!.kill({ block: false });
                }
              }
              yield* sleep(10);
              observe();
              // Everything still blocked waits forever (no timeout): kill the greenlets (a getter killed after its
              // hand-off gives the item back), take what the dropped gets were handed, then drain (letting the
              // dropped puts that still wait in).
              const live = greenlets.filter((g) => !g.dead);
              for (const g of live) g.kill({ block: false });
              yield* joinall(live);
              const NONE = Symbol("none");
              for (const d of droppedGets) {
                const v = yield* withTimeout(0.01, () => d, { timeoutValue: NONE });
                if (v !== NONE) got.push(v as number);
              }
              for (let i = 0; i < 100 && (q.qsize() > 0 || q._putters.length > 0); i++) {
                while (q.qsize() > 0) got.push(q.getNowait());
                yield* sleep(0);
              }
              for (const d of dropped) yield* d; // every dropped put went in
              if (q instanceof Queue) q.shutdown();
              yield* sleep(1);
            })(),
          );
          const counts = new Map<number, number>();
          for (const x of got) counts.set(x, (counts.get(x) ?? 0) + 1);
          for (const [x, n] of counts) {
            if (n !== 1) throw new Error(`item ${x} got ${n} times`);
            if (!putTried.has(x)) throw new Error(`item ${x} was never put`);
          }
          for (const x of putOk) if (!counts.has(x)) throw new Error(`item ${x} was put and lost`);
          for (const g of greenlets)
            if (!g.successful() && !(g.exception instanceof Empty || g.exception instanceof Full)) throw g.exception;
          if (overBound && !ops.some((o) => o.kind === "kill")) throw new Error("qsize over maxsize without a kill");
          if (scheduledHandles(loop) !== 0) throw new Error(`${scheduledHandles(loop)} handles left`);
          if (loop.errors.some((c) => !(c.exception instanceof Empty || c.exception instanceof Full)))
            throw loop.errors[0]!.exception;
        } finally {
          loop.close();
        }
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

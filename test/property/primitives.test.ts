// Property-based tests: random schedules of acquire/release, put/get,
// notify, cancel, abort and timeout against Lock, Semaphore,
// BoundedSemaphore, Condition, Barrier and Queue on the virtual-time loop.
// fast-check prints the seed and the shrunk counterexample on failure.
//
// Properties:
// - never more holders than permits;
// - grants in FIFO order among waiters that were never interrupted
//   (cancelled, aborted, timed out);
// - no lost wake-up: once the schedule ends, every waiter not interrupted is
//   served (Condition: no consumer left waiting while a token is there);
// - no queue item lost or duplicated, also with getters cancelled;
// - join() returns only after every item was marked done, and does return;
// - afterwards: no waiter left (statistics), no abort listener attached.
//
// Each run uses one coroutine style (all async functions or all
// generators), so that the order in which woken waiters resume within one
// loop iteration is the grant order (see the note in test_locks.test.ts).
import test from "ava";
import fc from "fast-check";
import { getEventListeners } from "node:events";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Lock,
  Queue,
  Semaphore,
  createTask,
  sleep,
  waitFor,
  type Coroutine,
  type Task,
} from "../../src/index.js";
import { runOn } from "../helpers/loop.js";

const RUNS = Number(process.env.PRIMITIVES_RUNS ?? 1000);

type Style = "async" | "generator";
const styleArb = fc.constantFrom<Style>("async", "generator");

/** How a worker waits: plain, with an AbortSignal, or under a deadline. */
type Mode = "plain" | "signal" | "timeout";
const modeArb = fc.constantFrom<Mode>("plain", "plain", "signal", "timeout");

async function settleAll(tasks: Task<unknown>[]): Promise<void> {
  for (const t of tasks) {
    try {
      await t;
    } catch {
      // interrupted workers end with an error; checked through the records
    }
  }
}

// Lets virtual time pass, then lets every wake-up in flight play out
// (iterations at the same virtual time) before an invariant is checked.
async function settleTime(): Promise<void> {
  await sleep(0.25);
  for (let i = 0; i < 40; i++) await sleep(0);
}

// Cancels and aborts pick among the workers still running (index i of them).
function live<W extends { task: Task<void> }>(ws: W[]): W[] {
  return ws.filter((w) => !w.task.done());
}

// Runs `body` (as an async function or a generator) in a new task.
function spawn(style: Style, body: { a: () => Promise<void>; g: () => Coroutine<void> }): Task<void> {
  return style === "async" ? createTask(body.a) : createTask(body.g);
}

// ------------------------------------------------------------ semaphores

type SemOp =
  | { k: "spawn"; mode: Mode; hold: number; limit: number }
  | { k: "cancel"; i: number }
  | { k: "abort"; i: number }
  | { k: "tick"; n: number }
  | { k: "sleep"; dt: number }
  | { k: "settle" };

const semOpArb: fc.Arbitrary<SemOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("spawn" as const),
      mode: modeArb,
      hold: fc.integer({ min: 0, max: 3 }),
      limit: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("cancel" as const), i: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("abort" as const), i: fc.nat(1) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("tick" as const), n: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("sleep" as const), dt: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("settle" as const) }) },
);

interface Worker {
  task: Task<void>;
  ac: AbortController;
  mode: Mode;
  interrupted: boolean;
  granted: boolean;
}

async function semaphoreSchedule(
  kind: "Lock" | "Semaphore" | "BoundedSemaphore",
  permits: number,
  style: Style,
  ops: SemOp[],
): Promise<void> {
  const { loop } = await runOn(async () => {
    const prim =
      kind === "Lock" ? new Lock() : kind === "Semaphore" ? new Semaphore(permits) : new BoundedSemaphore(permits);
    const cap = kind === "Lock" ? 1 : permits;
    let holders = 0;
    const workers: Worker[] = [];
    const grants: number[] = [];
    const errors: string[] = [];
    const holdFor = function* (hold: number): Coroutine<void> {
      for (let j = 0; j < hold; j++) yield* sleep(j % 2 === 0 ? 0 : 1);
    };
    const onGrant = (id: number): void => {
      holders++;
      workers[id]!.granted = true;
      grants.push(id);
      if (holders > cap) errors.push(`holders ${holders} > ${cap}`);
    };
    const onRelease = (): void => {
      holders--;
      prim.release();
    };
    for (const op of ops) {
      switch (op.k) {
        case "spawn": {
          const id = workers.length;
          const ac = new AbortController();
          const opts = op.mode === "signal" ? { signal: ac.signal } : undefined;
          const acquire = () => (op.mode === "timeout" ? waitFor(prim.acquire(), op.limit) : prim.acquire(opts));
          const w: Worker = {
            task: undefined as unknown as Task<void>,
            ac,
            mode: op.mode,
            interrupted: op.mode === "timeout",
            granted: false,
          };
          workers.push(w);
          w.task = spawn(style, {
            a: async () => {
              await acquire();
              onGrant(id);
              try {
                for (let j = 0; j < op.hold; j++) await sleep(j % 2 === 0 ? 0 : 1);
              } finally {
                onRelease();
              }
            },
            g: function* () {
              yield* acquire();
              onGrant(id);
              try {
                yield* holdFor(op.hold);
              } finally {
                onRelease();
              }
            },
          });
          break;
        }
        case "cancel": {
          const w = live(workers)[op.i];
          if (w !== undefined) {
            if (!w.granted) w.interrupted = true;
            w.task.cancel();
          }
          break;
        }
        case "abort": {
          const w = live(workers).filter((x) => x.mode === "signal")[op.i];
          if (w !== undefined) {
            if (!w.granted) w.interrupted = true;
            w.ac.abort(new Error("aborted"));
          }
          break;
        }
        case "tick":
          for (let j = 0; j < op.n; j++) await sleep(0);
          break;
        case "sleep":
          await sleep(op.dt);
          break;
        case "settle": {
          // Every wake-up has been acted on: free capacity with a waiter still
          // waiting is a lost wake-up.
          await settleTime();
          const free = kind === "Lock" ? !(prim as Lock).locked() : (prim as Semaphore).statistics().value > 0;
          const waiting = workers.filter((w) => !w.task.done() && !w.granted).length;
          if (free && waiting > 0) errors.push(`lost wake-up: free with ${waiting} waiting`);
          break;
        }
      }
    }
    // Quiescence: holds are bounded, so every waiter not interrupted must be served.
    await sleep(1000);
    for (const [id, w] of workers.entries()) {
      if (!w.interrupted && !w.task.done()) errors.push(`lost wake-up: worker ${id} still waiting`);
    }
    // FIFO among the uninterrupted (each called acquire() in spawn order).
    const fair = grants.filter((id) => !workers[id]!.interrupted);
    for (let j = 1; j < fair.length; j++) if (fair[j]! < fair[j - 1]!) errors.push(`grant order ${fair.join(",")}`);
    for (const w of workers) if (!w.task.done()) w.task.cancel();
    await settleAll(workers.map((w) => w.task));
    if (holders !== 0) errors.push(`holders ${holders} at the end`);
    const st = prim.statistics() as { waiters: number; value?: number; locked?: boolean };
    if (st.waiters !== 0) errors.push(`waiters left: ${st.waiters}`);
    if (kind === "Lock" ? st.locked : st.value !== permits) errors.push(`not restored: ${JSON.stringify(st)}`);
    for (const w of workers)
      if (getEventListeners(w.ac.signal, "abort").length !== 0) errors.push("abort listener left attached");
    if (errors.length > 0) throw new Error(errors.join("; "));
  });
  if (loop.errors.length > 0)
    throw new Error(`exception handler called: ${loop.errors.map((e) => e.message).join("; ")}`);
}

for (const kind of ["Lock", "Semaphore", "BoundedSemaphore"] as const) {
  test(`property: ${kind} — holders <= permits, FIFO grants, no lost wake-up, clean end`, async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        styleArb,
        fc.array(semOpArb, { minLength: 1, maxLength: 20 }),
        async (permits, style, ops) => {
          await semaphoreSchedule(kind, permits, style, ops);
        },
      ),
      { numRuns: RUNS },
    );
    t.pass();
  });
}

// ------------------------------------------------------------ Condition

type CondOp =
  | { k: "consumer"; mode: Mode; limit: number }
  | { k: "produce"; n: number; all: boolean }
  | { k: "cancel"; i: number }
  | { k: "abort"; i: number }
  | { k: "tick"; n: number }
  | { k: "settle" }
  | { k: "race"; i: number };

const condOpArb: fc.Arbitrary<CondOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant("consumer" as const), mode: modeArb, limit: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("produce" as const),
      n: fc.constantFrom(1, 1, 2),
      all: fc.constantFrom(false, false, false, true),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("cancel" as const), i: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("abort" as const), i: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("tick" as const), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("settle" as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("race" as const), i: fc.nat(1) }) },
);

test("property: Condition — one holder, tokens never negative, no consumer left waiting while a token is there", async (t) => {
  await fc.assert(
    fc.asyncProperty(styleArb, fc.array(condOpArb, { minLength: 1, maxLength: 20 }), async (style, ops) => {
      const { loop } = await runOn(async () => {
        const cond = new Condition();
        let tokens = 0;
        let inside = 0;
        const errors: string[] = [];
        const workers: Array<{ task: Task<void>; ac: AbortController; mode: Mode; consumed: boolean }> = [];
        const enter = (): void => {
          inside++;
          if (inside > 1) errors.push("two holders");
        };
        for (const op of ops) {
          switch (op.k) {
            case "consumer": {
              const ac = new AbortController();
              const opts = op.mode === "signal" ? { signal: ac.signal } : undefined;
              const w = { task: undefined as unknown as Task<void>, ac, mode: op.mode, consumed: false };
              const take = (): void => {
                enter();
                tokens--;
                if (tokens < 0) errors.push("tokens < 0");
                w.consumed = true;
                inside--;
              };
              const waitIt = () =>
                op.mode === "timeout"
                  ? waitFor(
                      cond.waitFor(() => tokens > 0),
                      op.limit,
                    )
                  : cond.waitFor(() => tokens > 0, opts);
              w.task = spawn(style, {
                a: async () => {
                  await cond.run(async () => {
                    await waitIt();
                    take();
                  });
                },
                g: function* () {
                  yield* cond.run(function* () {
                    yield* waitIt();
                    take();
                  });
                },
              });
              workers.push(w);
              break;
            }
            case "produce":
              await cond.run(() => {
                enter();
                tokens++;
                if (op.all) cond.notifyAll();
                else cond.notify(op.n);
                inside--;
              });
              break;
            case "cancel":
              live(workers)[op.i]?.task.cancel();
              break;
            case "abort":
              live(workers)
                .filter((x) => x.mode === "signal")
                [op.i]?.ac.abort(new Error("aborted"));
              break;
            case "tick":
              for (let j = 0; j < op.n; j++) await sleep(0);
              break;
            case "race": // notify(1) and cancel a consumer at once (cpython #112202)
              await cond.run(() => {
                tokens++;
                cond.notify(1);
              });
              live(workers)[op.i]?.task.cancel();
              break;
            case "settle": {
              await settleTime(); // every notified consumer has run
              const waiting = workers.filter((w) => !w.task.done()).length;
              if (tokens > 0 && waiting > 0)
                errors.push(`lost wake-up: ${tokens} tokens and ${waiting} consumers waiting`);
              break;
            }
          }
        }
        await sleep(100);
        const waiting = workers.filter((w) => !w.task.done()).length;
        if (tokens > 0 && waiting > 0) errors.push(`lost wake-up: ${tokens} tokens and ${waiting} consumers waiting`);
        if (cond.statistics().waiters !== waiting) errors.push(`waiters ${cond.statistics().waiters} != ${waiting}`);
        for (const w of workers) w.task.cancel();
        await settleAll(workers.map((w) => w.task));
        if (cond.locked()) errors.push("lock held at the end");
        const st = cond.statistics();
        if (st.waiters !== 0 || st.lockStatistics.waiters !== 0) errors.push(`waiters left ${JSON.stringify(st)}`);
        for (const w of workers)
          if (getEventListeners(w.ac.signal, "abort").length !== 0) errors.push("abort listener left attached");
        if (errors.length > 0) throw new Error(errors.join("; "));
      });
      if (loop.errors.length > 0)
        throw new Error(`exception handler called: ${loop.errors.map((e) => e.message).join("; ")}`);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

// ------------------------------------------------------------ Barrier

type BarOp =
  | { k: "wait"; mode: Mode; limit: number }
  | { k: "cancel"; i: number }
  | { k: "abort"; i: number }
  | { k: "tick"; n: number };

const barOpArb: fc.Arbitrary<BarOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant("wait" as const), mode: modeArb, limit: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("cancel" as const), i: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("abort" as const), i: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("tick" as const), n: fc.integer({ min: 0, max: 3 }) }) },
);

test("property: Barrier — indices in range, at most parties returns per trip, count consistent, back to filling", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      styleArb,
      fc.array(barOpArb, { minLength: 1, maxLength: 20 }),
      async (parties, style, ops) => {
        const { loop } = await runOn(async () => {
          const barrier = new Barrier(parties);
          const errors: string[] = [];
          const workers: Array<{ task: Task<void>; ac: AbortController; mode: Mode; index?: number }> = [];
          let trips = 0;
          const results: number[] = [];
          for (const op of ops) {
            switch (op.k) {
              case "wait": {
                const ac = new AbortController();
                const opts = op.mode === "signal" ? { signal: ac.signal } : undefined;
                const w: { task: Task<void>; ac: AbortController; mode: Mode; index?: number } = {
                  task: undefined as unknown as Task<void>,
                  ac,
                  mode: op.mode,
                };
                const got = (i: number): void => {
                  w.index = i;
                  results.push(i);
                  if (!(i >= 0 && i < parties)) errors.push(`index ${i} out of range`);
                  if (i === parties - 1) trips++;
                };
                const waitIt = () => (op.mode === "timeout" ? waitFor(barrier.wait(), op.limit) : barrier.wait(opts));
                w.task = spawn(style, {
                  a: async () => got(await waitIt()),
                  g: function* () {
                    got(yield* waitIt());
                  },
                });
                workers.push(w);
                break;
              }
              case "cancel":
                live(workers)[op.i]?.task.cancel();
                break;
              case "abort":
                live(workers)
                  .filter((x) => x.mode === "signal")
                  [op.i]?.ac.abort(new Error("aborted"));
                break;
              case "tick":
                for (let j = 0; j < op.n; j++) await sleep(0);
                break;
            }
            if (barrier.nWaiting >= parties) errors.push(`nWaiting ${barrier.nWaiting} >= parties`);
          }
          await sleep(100);
          const waiting = workers.filter((w) => !w.task.done()).length;
          if (waiting >= parties) errors.push(`${waiting} tasks still waiting for ${parties} parties`);
          if (barrier.nWaiting !== waiting) errors.push(`nWaiting ${barrier.nWaiting} != ${waiting} waiting tasks`);
          if (barrier.statistics().state !== "filling")
            errors.push(`state ${barrier.statistics().state} at quiescence`);
          // Each trip releases at most `parties` tasks. (Indices are not always
          // distinct within a trip: a task cancelled while the barrier fills
          // gives its index back, so the next arrival reuses it; CPython 3.13
          // does the same, checked with the same schedule.)
          if (results.length > trips * parties) errors.push(`${results.length} returns for ${trips} trips`);
          for (const w of workers) w.task.cancel();
          await settleAll(workers.map((w) => w.task));
          if (barrier.nWaiting !== 0 || barrier._count !== 0) errors.push(`count ${barrier._count} left`);
          if (barrier._cond.locked() || barrier._cond.statistics().waiters !== 0)
            errors.push("internal condition not clean");
          for (const w of workers)
            if (getEventListeners(w.ac.signal, "abort").length !== 0) errors.push("abort listener left attached");
          if (errors.length > 0) throw new Error(errors.join("; "));
        });
        if (loop.errors.length > 0)
          throw new Error(`exception handler called: ${loop.errors.map((e) => e.message).join("; ")}`);
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

// ------------------------------------------------------------ Queue

type QOp =
  | { k: "put"; mode: Mode; limit: number }
  | { k: "get"; mode: Mode; limit: number; work: number }
  | { k: "join" }
  | { k: "cancel"; who: "p" | "g"; i: number }
  | { k: "abort"; who: "p" | "g"; i: number }
  | { k: "tick"; n: number }
  | { k: "sleep"; dt: number }
  | { k: "putNowait" }
  | { k: "getNowait" }
  | { k: "settle" }
  | { k: "race"; who: "p" | "g"; i: number };

const qOpArb: fc.Arbitrary<QOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant("put" as const), mode: modeArb, limit: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("get" as const),
      mode: modeArb,
      limit: fc.integer({ min: 1, max: 3 }),
      work: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("join" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("cancel" as const),
      who: fc.constantFrom("p" as const, "g" as const),
      i: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("abort" as const),
      who: fc.constantFrom("p" as const, "g" as const),
      i: fc.nat(1),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("tick" as const), n: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("sleep" as const), dt: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("putNowait" as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("getNowait" as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("settle" as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("race" as const),
      who: fc.constantFrom("p" as const, "g" as const),
      i: fc.nat(1),
    }),
  },
);

// Records the order in which items enter and leave the queue (the storage hooks).
class RecordingQueue extends Queue<number> {
  enqueued: number[] = [];
  dequeued: number[] = [];
  override _put(item: number): void {
    this.enqueued.push(item);
    super._put(item);
  }
  override _get(): number {
    const item = super._get();
    this.dequeued.push(item);
    return item;
  }
}

test("property: Queue — no item lost or duplicated (getters cancelled too), FIFO, join exact", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(0, 1, 1, 2, 3),
      styleArb,
      fc.array(qOpArb, { minLength: 1, maxLength: 24 }),
      async (maxsize, style, ops) => {
        const { loop } = await runOn(async () => {
          const q = new RecordingQueue(maxsize);
          const errors: string[] = [];
          type QW = { task: Task<void>; ac: AbortController; mode: Mode; put?: boolean; got?: boolean };
          const putters: QW[] = [];
          const getters: QW[] = [];
          const joiners: Task<void>[] = [];
          const putDone: number[] = [];
          const got: number[] = [];
          let doneCount = 0;
          let zeroEpoch = 0; // bumped each time every item put so far is done
          let next = 0;
          for (const op of ops) {
            switch (op.k) {
              case "put": {
                const item = next++;
                const ac = new AbortController();
                const opts = op.mode === "signal" ? { signal: ac.signal } : undefined;
                const putIt = () => (op.mode === "timeout" ? waitFor(q.put(item), op.limit) : q.put(item, opts));
                const w: QW = { task: undefined as unknown as Task<void>, ac, mode: op.mode };
                w.task = spawn(style, {
                  a: async () => {
                    await putIt();
                    putDone.push(item);
                    w.put = true;
                  },
                  g: function* () {
                    yield* putIt();
                    putDone.push(item);
                    w.put = true;
                  },
                });
                putters.push(w);
                break;
              }
              case "get": {
                const ac = new AbortController();
                const opts = op.mode === "signal" ? { signal: ac.signal } : undefined;
                const getIt = () => (op.mode === "timeout" ? waitFor(q.get(), op.limit) : q.get(opts));
                const w: QW = { task: undefined as unknown as Task<void>, ac, mode: op.mode };
                const finish = (item: number): void => {
                  got.push(item);
                  w.got = true;
                };
                const done = (): void => {
                  q.taskDone();
                  doneCount++;
                  if (q.statistics().unfinishedTasks === 0) zeroEpoch++;
                };
                w.task = spawn(style, {
                  a: async () => {
                    const item = await getIt();
                    finish(item);
                    await sleep(op.work);
                    done();
                  },
                  g: function* () {
                    const item = yield* getIt();
                    finish(item);
                    // The item is taken: a cancellation while "working" must still mark it done.
                    try {
                      yield* sleep(op.work);
                    } finally {
                      done();
                    }
                  },
                });
                getters.push(w);
                break;
              }
              case "join": {
                const epoch = zeroEpoch;
                const wasZero = q.statistics().unfinishedTasks === 0;
                const check = (): void => {
                  if (!wasZero && zeroEpoch === epoch && q.statistics().unfinishedTasks !== 0)
                    errors.push("join() returned before every item was done");
                };
                joiners.push(
                  spawn(style, {
                    a: async () => {
                      await q.join();
                      check();
                    },
                    g: function* () {
                      yield* q.join();
                      check();
                    },
                  }),
                );
                break;
              }
              case "cancel":
                live(op.who === "p" ? putters : getters)[op.i]?.task.cancel();
                break;
              case "abort":
                live(op.who === "p" ? putters : getters)
                  .filter((x) => x.mode === "signal")
                  [op.i]?.ac.abort(new Error("aborted"));
                break;
              case "tick":
                for (let j = 0; j < op.n; j++) await sleep(0);
                break;
              case "sleep":
                await sleep(op.dt);
                break;
              case "putNowait": // by the main task: wakes a getter, which the next op may cancel
                if (!q.full()) {
                  const item = next++;
                  q.putNowait(item);
                  putDone.push(item);
                }
                break;
              case "getNowait":
                if (!q.empty()) {
                  got.push(q.getNowait());
                  q.taskDone();
                  doneCount++;
                  if (q.statistics().unfinishedTasks === 0) zeroEpoch++;
                }
                break;
              case "race": // wake a waiter with a nowait call and cancel a waiter at once
                if (op.who === "g" && !q.full()) {
                  const item = next++;
                  q.putNowait(item);
                  putDone.push(item);
                  live(getters)[op.i]?.task.cancel();
                } else if (op.who === "p" && !q.empty()) {
                  got.push(q.getNowait());
                  q.taskDone();
                  doneCount++;
                  if (q.statistics().unfinishedTasks === 0) zeroEpoch++;
                  live(putters)[op.i]?.task.cancel();
                }
                break;
              case "settle": {
                await settleTime(); // every wake-up was acted on
                const wg = getters.filter((g) => !g.task.done() && !g.got).length;
                const wp = putters.filter((p) => !p.task.done() && !p.put).length;
                if (wg > 0 && q.qsize() > 0)
                  errors.push(`lost wake-up: ${wg} getters wait with ${q.qsize()} items queued`);
                if (wp > 0 && !q.full()) errors.push(`lost wake-up: ${wp} putters wait with room`);
                break;
              }
            }
          }
          await sleep(100);
          // No lost wake-up: no getter waits while items are queued, no putter while there is room.
          const waitingGetters = getters.filter((g) => !g.task.done()).length;
          const waitingPutters = putters.filter((p) => !p.task.done()).length;
          if (waitingGetters > 0 && q.qsize() > 0)
            errors.push(`lost wake-up: ${waitingGetters} getters wait with ${q.qsize()} items queued`);
          if (waitingPutters > 0 && !q.full()) errors.push(`lost wake-up: ${waitingPutters} putters wait with room`);
          // Async-function getters cancelled while "working" never call taskDone: settle the count by hand.
          for (const g of getters) g.task.cancel();
          for (const p of putters) p.task.cancel();
          await settleAll([...getters, ...putters].map((x) => x.task));
          const remaining: number[] = [];
          while (!q.empty()) remaining.push(q.getNowait());
          // Every successful put is got exactly once or still queued; nothing else appears.
          const seen = [...got, ...remaining];
          if (new Set(seen).size !== seen.length) errors.push(`duplicated items: ${seen.join(",")}`);
          const a = [...putDone].sort((x, y) => x - y).join(",");
          const b = [...seen].sort((x, y) => x - y).join(",");
          if (a !== b) errors.push(`items put ${a} != items got+left ${b}`);
          // FIFO: items come out in the order they went in.
          if (q.dequeued.join(",") !== q.enqueued.join(","))
            errors.push(`FIFO broken: out ${q.dequeued.join(",")}, in ${q.enqueued.join(",")}`);
          // join(): once every item is done, every joiner returns.
          for (let j = doneCount; j < putDone.length; j++) q.taskDone();
          await sleep(0);
          await sleep(0);
          if (joiners.some((x) => !x.done())) errors.push("join() did not return after every item was done");
          const st = q.statistics();
          if (st.getters !== 0 || st.putters !== 0 || st.unfinishedTasks !== 0)
            errors.push(`not clean: ${JSON.stringify(st)}`);
          for (const w of [...getters, ...putters])
            if (getEventListeners(w.ac.signal, "abort").length !== 0) errors.push("abort listener left attached");
          if (errors.length > 0) throw new Error(errors.join("; "));
        });
        if (loop.errors.length > 0)
          throw new Error(`exception handler called: ${loop.errors.map((e) => e.message).join("; ")}`);
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

// Every core API at a size where quadratic behaviour or a stack limit would
// show (issue #19). No timing: the work is counted against a linear model
// (test/helpers/array-work.ts: elements moved or searched by array shift,
// splice, indexOf...) and the sizes are past the spread/recursion limits
// (a spread of ~125k arguments throws RangeError on Node 20's default stack).
// The per-item costs at 10k/100k/1M are measured in `npm run bench` (scaling).
import test from "ava";
import {
  Condition,
  Event,
  Lock,
  Queue,
  Semaphore,
  TaskGroup,
  asCompleted,
  createTask,
  gather,
  getRunningLoop,
  sleep,
  wait,
  type Future,
  type Task,
} from "../../src/index.js";
import { countArrayWork } from "../helpers/array-work.js";
import { runTest } from "../helpers/loop.js";

const N = 20_000; // tasks: a quadratic drain would move ~N^2/2 = 2e8 elements
const NF = 200_000; // futures: past the varargs spread limit
const LINEAR = (n: number): number => 20 * n; // the linear model's budget of array work

test.serial(`gather of ${NF} futures given as one array (a spread would overflow the stack)`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const loop = getRunningLoop();
      const fs: Future<number>[] = Array.from({ length: NF }, () => loop.createFuture<number>());
      const all = gather(fs);
      for (let i = 0; i < NF; i++) fs[i]!.setResult(i);
      const r: number[] = await all; // typed from the array: number[]
      return r;
    }),
  );
  t.is(result.length, NF);
  t.is(result[NF - 1], NF - 1);
  t.true(work <= LINEAR(NF), `array work ${work}`);
});

test.serial(
  "gather takes any iterable (a Set, a Map iterator), typed as the varargs form; a generator object is a coroutine",
  async (t) => {
    const r = await runTest(async () => {
      const tasks = new Set(Array.from({ length: 1000 }, (_, i) => createTask(async () => i)));
      const fromSet: number[] = await gather(tasks);
      const byName = new Map(["t0", "t1", "t2"].map((k) => [k, createTask(async () => k)] as const));
      const fromGen: string[] = await gather(byName.values()); // an iterator that is not a coroutine
      // @ts-expect-error: typed as string[], not as [never] (the varargs form refuses a non-awaitable)
      const _wrong: number[] = await gather(byName.values());
      t.is(_wrong.length, 3);
      // A generator object is a coroutine (one awaitable), never a list: spread it or Array.from it.
      const gen = (function* () {
        return "ran as a coroutine";
      })();
      const [asCoroutine] = await gather(gen);
      t.is(asCoroutine, "ran as a coroutine");
      const tuple: [number, string] = await gather([sleep(0, 1), sleep(0, "a")] as const);
      const spread: [number, string] = await gather(sleep(0, 1), sleep(0, "a"));
      const withErrors = await gather([sleep(0, 1)], { returnExceptions: true });
      return { fromSet, fromGen, tuple, spread, withErrors };
    });
    t.is(r.fromSet.length, 1000);
    t.is(r.fromSet[999], 999);
    t.deepEqual(r.fromGen, ["t0", "t1", "t2"]);
    t.deepEqual(r.tuple, [1, "a"]);
    t.deepEqual(r.spread, [1, "a"]);
    t.deepEqual(r.withErrors, [1]);
  },
);

test.serial(`createTask + gather of ${N} tasks`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => gather(Array.from({ length: N }, (_, i) => createTask(async () => i)))),
  );
  t.is(result.length, N);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`wait on ${N} tasks, and FIRST_COMPLETED on them`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const tasks = Array.from({ length: N }, (_, i) => createTask(() => sleep(i % 7, i)));
      const first = await wait(tasks, { returnWhen: "FIRST_COMPLETED" });
      const all = await wait(tasks);
      return [first.done.size, all.done.size, all.pending.size];
    }),
  );
  t.true(result[0]! >= 1);
  t.deepEqual(result.slice(1), [N, 0]);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`asCompleted of ${N} tasks, async iterator and iterator of awaitables`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const mk = (): Task<number>[] => Array.from({ length: N }, (_, i) => createTask(() => sleep((N - i) % 5, i)));
      let viaAsync = 0;
      let last = -1;
      for await (const f of asCompleted(mk())) {
        viaAsync++;
        last = (await f) as number; // (TypeScript types a `for await` element as awaited)
      }
      let viaAwaitables = 0;
      for (const next of asCompleted(mk())) {
        await next;
        viaAwaitables++;
      }
      return [viaAsync, viaAwaitables, last];
    }),
  );
  t.deepEqual(result.slice(0, 2), [N, N]);
  t.true(work <= LINEAR(2 * N), `array work ${work}`);
});

test.serial(`a TaskGroup with ${N} children`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      let sum = 0;
      await new TaskGroup().run(async (tg) => {
        for (let i = 0; i < N; i++)
          tg.createTask(async () => {
            sum += 1;
          });
      });
      return sum;
    }),
  );
  t.is(result, N);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`Semaphore(10).run for ${N} jobs, Lock with ${N} waiting tasks, Event with ${N} waiters`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const sem = new Semaphore(10);
      let jobs = 0;
      await gather(Array.from({ length: N }, () => sem.run(async () => void jobs++)));
      const lock = new Lock();
      let held = 0;
      await gather(Array.from({ length: N }, () => createTask(() => lock.run(async () => void held++))));
      const ev = new Event();
      const waiters = Array.from({ length: N }, () => createTask(() => ev.wait()));
      await sleep(0);
      ev.set();
      const woke = (await gather(waiters)).length;
      return [jobs, held, woke];
    }),
  );
  t.deepEqual(result, [N, N, N]);
  t.true(work <= LINEAR(3 * N), `array work ${work}`);
});

test.serial(`Condition.notifyAll with ${N} waiters; Queue of ${N} items through 10 consumers`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const cond = new Condition();
      let ready = false;
      const waiters = Array.from({ length: N }, () => createTask(() => cond.run(() => cond.waitFor(() => ready))));
      await sleep(0);
      await cond.run(() => {
        ready = true;
        cond.notifyAll();
      });
      const notified = (await gather(waiters)).length;
      const q = new Queue<number>(100);
      let got = 0;
      const consumers = Array.from({ length: 10 }, () =>
        createTask(async () => {
          for (;;) {
            const x = await q.get();
            if (x < 0) return;
            got++;
          }
        }),
      );
      for (let i = 0; i < N; i++) await q.put(i);
      for (let i = 0; i < 10; i++) await q.put(-1);
      await gather(consumers);
      return [notified, got];
    }),
  );
  t.deepEqual(result, [N, N]);
  t.true(work <= LINEAR(2 * N), `array work ${work}`);
});

test.serial("callLater: 100k timers, half cancelled, fire once each in time order", async (t) => {
  const n = 100_000;
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const loop = getRunningLoop();
      const fired: number[] = [];
      const handles = Array.from({ length: n }, (_, i) => loop.callLater((i * 7919) % 1000, () => fired.push(i)));
      for (let i = 0; i < n; i += 2) handles[i]!.cancel();
      await sleep(1001);
      return fired;
    }),
  );
  t.is(result.length, n / 2);
  t.true(result.every((i) => i % 2 === 1));
  const whens = result.map((i) => (i * 7919) % 1000);
  t.true(whens.every((w, k) => k === 0 || whens[k - 1]! <= w));
  t.true(work <= LINEAR(n), `array work ${work}`);
});

test.serial(
  "a 20k-timer storm drains without reading the handles' times (keys in the heap, issue #18 item 6)",
  async (t) => {
    // The old heap compared `a._when` of scattered handles ~2 log2(n) times per
    // pop: a cache miss each at 1M timers. Now the heap keeps its keys in typed
    // arrays, so draining reads a handle's `_when` at most about once.
    const n = 20_000;
    let reads = 0;
    const fired = await runTest(async () => {
      const loop = getRunningLoop();
      let count = 0;
      const handles = Array.from({ length: n }, (_, i) =>
        loop.callLater(1 + ((i * 7919) % 1000) / 1000, () => count++),
      );
      for (const h of handles) {
        const when = h.when();
        Object.defineProperty(h, "_when", {
          get() {
            reads++;
            return when;
          },
        });
      }
      await sleep(3);
      return count;
    });
    t.is(fired, n);
    t.true(reads <= 2 * n, `${reads} reads of _when for ${n} timers`);
  },
);

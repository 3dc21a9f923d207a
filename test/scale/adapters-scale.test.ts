// The gevent and rxjs adapters at a size where quadratic behaviour or a
// stack limit would show (issue #19), as test/scale/core-scale.test.ts does
// for the core: no timing, the array work (elements moved or searched by
// shift, splice, indexOf...: test/helpers/array-work.ts) is counted against
// a linear budget, and 200k items must complete without a RangeError. The
// per-item costs at 10k/100k/1M are in `npm run bench -- --scaling`
// (bench/scaling-adapters.ts).
import test from "ava";
import { count, of, range } from "rxjs";
import * as g from "../../adapters/gevent/index.js";
import {
  firstValueFrom,
  fromCoroutine,
  lastValueFrom,
  toAsyncIterable,
  toObservable,
  toQueue,
} from "../../adapters/rxjs/index.js";
import { Queue, gather, getRunningLoop, type Coroutine } from "../../src/index.js";
import { countArrayWork } from "../helpers/array-work.js";
import { runTest } from "../helpers/loop.js";

const N = 200_000;
const LINEAR = (n: number): number => 20 * n; // a quadratic drain of n items moves ~n^2/2 = 2e10 elements

function* tinyJob(): Coroutine<number> {
  yield* g.sleep(0);
  return 1;
}

function sum(gs: Iterable<g.Greenlet<number>>): number {
  let s = 0;
  for (const x of gs) s += x.value as number;
  return s;
}

test.serial(`gevent Pool(10).spawn of ${N} greenlets, then joinall`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(function* () {
      const pool = new g.Pool(10);
      const gs: g.Greenlet<number>[] = [];
      for (let i = 0; i < N; i++) gs.push(yield* pool.spawn(tinyJob));
      yield* g.joinall(gs);
      return { total: sum(gs), left: pool.length, free: pool.freeCount() };
    }),
  );
  t.deepEqual(result, { total: N, left: 0, free: 10 });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`gevent Group of ${N} greenlets running at once, then join`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(function* () {
      const group = new g.Group();
      const gs: g.Greenlet<number>[] = [];
      for (let i = 0; i < N; i++) gs.push(group.spawn(tinyJob) as g.Greenlet<number>);
      const emptied = yield* group.join();
      return { emptied, total: sum(gs), left: group.length };
    }),
  );
  t.deepEqual(result, { emptied: true, total: N, left: 0 });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`gevent Pool(10).imap over ${N} items keeps the order`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(function* () {
      const it = new g.Pool(10).imap(
        function* (i: number) {
          yield* g.sleep(0);
          return i;
        },
        Array.from({ length: N }, (_, i) => i),
      );
      let inOrder = 0;
      for (let i = 0; ; i++) {
        const r = yield* it.next();
        if (r.done) break;
        if (r.value === i) inOrder++;
      }
      return inOrder;
    }),
  );
  t.is(result, N);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`gevent Queue holding ${N} items, drained by get`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(function* () {
      const q = new g.Queue<number>();
      for (let i = 0; i < N; i++) q.putNowait(i);
      let inOrder = 0;
      for (let i = 0; i < N; i++) if ((yield* q.get()) === i) inOrder++;
      return { inOrder, left: q.qsize() };
    }),
  );
  t.deepEqual(result, { inOrder: N, left: 0 });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`rxjs toAsyncIterable buffering ${N} synchronous values`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      let inOrder = 0;
      let i = 0;
      for await (const v of toAsyncIterable(range(0, N))) if (v === i++) inOrder++;
      return inOrder;
    }),
  );
  t.is(result, N);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`rxjs lastValueFrom of ${N} values, and ${N} firstValueFrom pending at once`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const last = await lastValueFrom(range(0, N));
      const firsts = await gather(Array.from({ length: N }, (_, i) => firstValueFrom(of(i))));
      return { last, n: firsts.length, end: firsts[N - 1] };
    }),
  );
  t.deepEqual(result, { last: N - 1, n: N, end: N - 1 });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`rxjs toQueue of ${N} synchronous values (unbounded), drained in order`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const { queue, subscription } = toQueue(range(0, N));
      let inOrder = 0;
      for (let i = 0; i < N; i++) if ((await queue.get()) === i) inOrder++;
      return { inOrder, closed: subscription.closed };
    }),
  );
  t.deepEqual(result, { inOrder: N, closed: true });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

test.serial(`rxjs fromCoroutine subscribed ${N} times at once: ${N} Tasks, each delivering once`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const done = getRunningLoop().createFuture<number>();
      const job$ = fromCoroutine(async (): Promise<number> => 1);
      let k = 0;
      let completed = 0;
      for (let i = 0; i < N; i++)
        job$.subscribe({
          next: (v) => void ((k += v) === N && done.setResult(k)),
          complete: () => void completed++,
        });
      return { values: await done, completed };
    }),
  );
  t.deepEqual(result, { values: N, completed: N });
  t.true(work <= LINEAR(N), `array work ${work}`);
});

// Not ours: rxjs 7.8's mergeAll with n inner subscriptions in flight removes each finished one from its parent
// with indexOf + splice (Subscription.remove / arrRemove), ~n^2/2 elements moved whatever the inner observable is
// (rxjs's own `defer(() => promise)` too); so the test above subscribes n times rather than merging n observables.

test.serial(`rxjs toObservable of a Queue holding ${N} items`, async (t) => {
  const { result, work } = await countArrayWork(() =>
    runTest(async () => {
      const q = new Queue<number>();
      for (let i = 0; i < N; i++) q.putNowait(i);
      q.shutdown();
      return lastValueFrom(toObservable(q).pipe(count()));
    }),
  );
  t.is(result, N);
  t.true(work <= LINEAR(N), `array work ${work}`);
});

// The scaling rows of the gevent and rxjs adapters (issue #19), for
// bench/scaling.ts: the same shape as the core rows (n items, one run,
// checked), each measured in its own process. Not the core-speed scenarios
// (bench/gevent.ts, bench/rxjs.ts measure throughput at one size); here the
// size grows, so a buffer drained by shift(), a waiter list searched per
// item or a recursion shows.
//
// The adapters and their core come from one build: compiled by tsc into
// ASYNCIO_TS_BENCH_ADAPTERS (bench/scaling.ts compiles it when the core is
// measured compiled), else from source through tsx. Two copies of the core
// would mean two loops that do not know each other.
import type * as Gevent from "../adapters/gevent/index.js";
import type * as Rx from "../adapters/rxjs/index.js";
import type * as Lib from "../src/index.js";
import type { ScalingCase } from "./scaling.js";

const base = process.env.ASYNCIO_TS_BENCH_ADAPTERS ?? new URL("..", import.meta.url).href;
const ext = process.env.ASYNCIO_TS_BENCH_ADAPTERS ? ".js" : ".ts";

function check(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** The ids, in table order. */
export const adapterCaseIds = [
  "gevent Pool.spawn",
  "gevent Group",
  "gevent Pool.imap",
  "gevent Queue",
  "rx toAsyncIterable",
  "rx lastValueFrom",
  "rx firstValueFrom",
  "rx toQueue",
  "rx fromCoroutine",
  "rx toObservable(queue)",
];

export async function adapterCases(): Promise<ScalingCase[]> {
  const lib = (await import(`${base}/src/index${ext}`)) as typeof Lib;
  const g = (await import(`${base}/adapters/gevent/index${ext}`)) as typeof Gevent;
  const rx = (await import(`${base}/adapters/rxjs/index${ext}`)) as typeof Rx;
  const { range, of, count } = await import("rxjs");
  let shared: Lib.EventLoop | undefined;
  const onLoop = <T>(main: Lib.CoroutineLike<T>): Promise<T> => {
    shared ??= new lib.EventLoop();
    return shared.runUntilComplete(main);
  };
  // gevent's tiny job, as bench/gevent.ts: one loop pass, then a value.
  function* tinyJob(): Lib.Coroutine<number> {
    yield* g.sleep(0);
    return 1;
  }
  const sum = (gs: Iterable<Gevent.Greenlet<number>>): number => {
    let s = 0;
    for (const x of gs) s += x.value as number;
    return s;
  };
  return [
    {
      id: "gevent Pool.spawn",
      title: "gevent Pool(10): yield* pool.spawn × n, then joinall(n greenlets)",
      run: (n) =>
        onLoop(function* () {
          const pool = new g.Pool(10);
          const gs: Gevent.Greenlet<number>[] = [];
          for (let i = 0; i < n; i++) gs.push(yield* pool.spawn(tinyJob));
          yield* g.joinall(gs);
          check(sum(gs), n, "jobs");
        }),
    },
    {
      id: "gevent Group",
      title: "gevent Group: spawn n greenlets at once, then group.join()",
      run: (n) =>
        onLoop(function* () {
          const group = new g.Group();
          const gs: Gevent.Greenlet<number>[] = [];
          for (let i = 0; i < n; i++) gs.push(group.spawn(tinyJob) as Gevent.Greenlet<number>);
          yield* group.join();
          check(group.length, 0, "left in the group");
          check(sum(gs), n, "jobs");
        }),
    },
    {
      id: "gevent Pool.imap",
      title: "gevent Pool(10).imap over n items (ordered results)",
      run: (n) =>
        onLoop(function* () {
          const it = new g.Pool(10).imap(
            tinyJob,
            Array.from({ length: n }, (_, i) => i),
          );
          let s = 0;
          for (;;) {
            const r = yield* it.next();
            if (r.done) break;
            s += r.value;
          }
          check(s, n, "results");
        }),
    },
    {
      id: "gevent Queue",
      title: "gevent Queue(): n putNowait, then n yield* get() (n items buffered)",
      run: (n) =>
        onLoop(function* () {
          const q = new g.Queue<number>();
          for (let i = 0; i < n; i++) q.putNowait(1);
          let s = 0;
          for (let i = 0; i < n; i++) s += yield* q.get();
          check(s, n, "items");
        }),
    },
    {
      id: "rx toAsyncIterable",
      title: "for await (toAsyncIterable(range(0, n))): n values buffered at once",
      run: (n) =>
        onLoop(async () => {
          let k = 0;
          for await (const _ of rx.toAsyncIterable(range(0, n))) k++;
          check(k, n, "values");
        }),
    },
    {
      id: "rx lastValueFrom",
      title: "lastValueFrom(range(0, n)): n values through one Future's subscriber",
      run: (n) => onLoop(async () => check(await rx.lastValueFrom(range(0, n)), n - 1, "last")),
    },
    {
      id: "rx firstValueFrom",
      title: "n × firstValueFrom(of(i)) pending at once, then gather",
      run: (n) =>
        onLoop(async () => {
          const fs = Array.from({ length: n }, (_, i) => rx.firstValueFrom(of(i)));
          check((await lib.gather(fs)).length, n, "values");
        }),
    },
    {
      id: "rx toQueue",
      title: "toQueue(range(0, n)) (unbounded), then n await queue.get()",
      run: (n) =>
        onLoop(async () => {
          const { queue } = rx.toQueue(range(0, n));
          let k = 0;
          for (let i = 0; i < n; i++) k += (await queue.get()) === i ? 1 : 0;
          check(k, n, "in order");
        }),
    },
    {
      id: "rx fromCoroutine",
      title: "one fromCoroutine(async fn) subscribed n times at once (n Tasks), counted",
      // n separate subscribe() calls, not mergeAll: rxjs's mergeAll removes each finished inner subscription from
      // its parent with indexOf + splice (Subscription.remove), quadratic in rxjs itself with n inners in flight.
      run: (n) =>
        onLoop(async () => {
          const done = lib.getRunningLoop().createFuture<number>();
          const job$ = rx.fromCoroutine(async (): Promise<number> => 1);
          let k = 0;
          for (let i = 0; i < n; i++) job$.subscribe((v) => void ((k += v) === n && done.setResult(k)));
          check(await done, n, "values");
        }),
    },
    {
      id: "rx toObservable(queue)",
      title: "toObservable(a Queue of n items, then shut down), counted",
      run: (n) =>
        onLoop(async () => {
          const q = new lib.Queue<number>();
          for (let i = 0; i < n; i++) q.putNowait(i);
          q.shutdown();
          check(await rx.lastValueFrom(rx.toObservable(q).pipe(count())), n, "items");
        }),
    },
  ];
}

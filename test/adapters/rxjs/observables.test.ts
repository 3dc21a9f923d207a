// Futures, Tasks, coroutines, async iterables and Queues as real rxjs 7.8.2
// Observables: the core's '@@observable' key (rxjs.from takes it before
// `then`), the ownership rules (a Future is only watched, a Task is owned by
// its subscribers, fromCoroutine owns its Task), and teardown at every point.
import test from "ava";
import { Subject, from, isObservable, lastValueFrom as rxLast, share, switchMap, take, toArray } from "rxjs";
import { fromAsyncIterable, fromCoroutine, fromFuture, toObservable } from "../../../adapters/rxjs/index.js";
import {
  CancelledError,
  Queue,
  QueueShutDown,
  RuntimeError,
  createTask,
  run,
  getRunningLoop,
  sleep,
  type Coroutine,
  type Future,
} from "../../../src/index.js";
import { makeLoop, runOn, runTest } from "../../helpers/loop.js";

interface Seen {
  next: unknown[];
  error: unknown[];
  complete: number;
}
function observer(): Seen & { obs: { next(v: unknown): void; error(e: unknown): void; complete(): void } } {
  const seen: Seen = { next: [], error: [], complete: 0 };
  return {
    ...seen,
    get next() {
      return seen.next;
    },
    get error() {
      return seen.error;
    },
    get complete() {
      return seen.complete;
    },
    obs: {
      next: (v) => void seen.next.push(v),
      error: (e) => void seen.error.push(e),
      complete: () => void seen.complete++,
    },
  };
}

// ---- the interop key ----------------------------------------------------

test("'@@observable' on Future and Task: rxjs.from takes the interop path, never then()", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    t.is(typeof (fut as unknown as Record<string, unknown>)["@@observable"], "function");
    let thenCalls = 0;
    const origThen = fut.then;
    // An own property shadows the prototype's `then` accessor (a plain assignment would hit its missing setter).
    Object.defineProperty(fut, "then", {
      configurable: true,
      value: function (this: Future<number>, ...a: unknown[]) {
        thenCalls++;
        return (origThen as (...x: unknown[]) => unknown).apply(this, a);
      },
    });
    const o = observer();
    from(fut).subscribe(o.obs);
    fut.setResult(7);
    await sleep(0);
    t.deepEqual(o.next, [7]);
    t.is(o.complete, 1);
    t.is(thenCalls, 0);
    const interop = fut["@@observable"]();
    t.is(interop["@@observable"](), interop);
  });
});

test("Future (hot): unsubscribing never cancels it; a cancelled Future is error(CancelledError)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const sub = from(fut).subscribe();
    sub.unsubscribe();
    t.false(fut.done());
    const o = observer();
    fromFuture(fut).subscribe(o.obs);
    fut.cancel("why");
    await sleep(0);
    t.is(o.next.length, 0);
    t.is(o.complete, 0);
    t.true(o.error[0] instanceof CancelledError);
  });
});

test("Future: an exception is error(e), unchanged; nothing after unsubscribe", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const a = observer();
    const b = observer();
    from(fut).subscribe(a.obs);
    const subB = from(fut).subscribe(b.obs);
    subB.unsubscribe();
    fut.setException("not an Error");
    await sleep(0);
    t.deepEqual(a.error, ["not an Error"]);
    t.deepEqual(b.error, []);
  });
});

test("Task (owning): cancelled when its last subscriber unsubscribes before it is done", async (t) => {
  await runTest(async () => {
    let finallyRan = false;
    const task = createTask(async () => {
      try {
        await sleep(10);
        return 1;
      } finally {
        finallyRan = true;
      }
    });
    const s1 = from(task).subscribe();
    const s2 = toObservable(task).subscribe();
    s1.unsubscribe();
    await sleep(0);
    t.false(task.done(), "one subscriber is left");
    s2.unsubscribe();
    t.true(task.cancelling() > 0, "cancelled at the last unsubscribe");
    await sleep(0);
    await sleep(0);
    t.true(task.cancelled());
    t.true(finallyRan);
  });
});

test("Task: done before the unsubscribe is not cancelled; its value is delivered", async (t) => {
  await runTest(async () => {
    const task = createTask(async () => 5);
    t.is(await rxLast(from(task)), 5);
    t.false(task.cancelled());
  });
});

test("Task: an exception after its last subscriber left goes to the handler once (not twice)", async (t) => {
  const { loop } = await runOn(async () => {
    const task = createTask(async () => {
      try {
        await sleep(10);
      } finally {
        throw new Error("cleanup failed");
      }
    });
    const sub = from(task).subscribe();
    await sleep(0);
    sub.unsubscribe();
    await sleep(0);
    await sleep(0);
    t.true(task.done());
  });
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setImmediate(r));
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0]!.exception as Error).message, "cleanup failed");
});

// ---- fromCoroutine --------------------------------------------------------

test("fromCoroutine: cold, each subscription its own Task; next(v) then complete()", async (t) => {
  await runTest(async () => {
    let runs = 0;
    const obs = fromCoroutine(async () => {
      const n = ++runs;
      await sleep(1);
      return n;
    });
    t.is(runs, 0, "cold");
    const [a, b] = await Promise.all([rxLast(obs), rxLast(obs)]);
    t.is(runs, 2);
    t.deepEqual([a, b].sort(), [1, 2]);
  });
});

test("fromCoroutine: generator functions, given the Task's signal", async (t) => {
  await runTest(async () => {
    let seen: AbortSignal | undefined;
    const obs = fromCoroutine(function* (signal): Coroutine<string> {
      seen = signal;
      yield* sleep(1);
      return "gen";
    });
    t.is(await rxLast(obs), "gen");
    t.true(seen instanceof AbortSignal);
  });
});

for (const point of ["before it starts", "while it waits", "after it finished"] as const) {
  test(`fromCoroutine: unsubscribe ${point} cancels its Task (finally runs, nothing emitted after)`, async (t) => {
    await runTest(async () => {
      let finallyRan = false;
      let aborted = false;
      let started = false;
      const o = observer();
      const obs = fromCoroutine(async (signal) => {
        started = true;
        signal.addEventListener("abort", () => {
          aborted = true;
        });
        try {
          await sleep(point === "after it finished" ? 0 : 10);
          return 1;
        } finally {
          finallyRan = true;
        }
      });
      const sub = obs.subscribe(o.obs);
      if (point === "while it waits") await sleep(1);
      if (point === "after it finished") await sleep(1);
      sub.unsubscribe();
      await sleep(0);
      await sleep(0);
      if (point === "after it finished") {
        t.deepEqual(o.next, [1]);
        t.is(o.complete, 1);
        return;
      }
      t.deepEqual(o.next, []);
      t.is(o.complete, 0);
      t.deepEqual(o.error, []);
      if (point === "while it waits") {
        t.true(finallyRan);
        t.true(aborted);
      } else t.false(started, "cancelled before its first step: the body never runs");
    });
  });
}

test("fromCoroutine: a cancellation the subscriber did not cause is error(CancelledError)", async (t) => {
  await runTest(async () => {
    const o = observer();
    fromCoroutine(async () => {
      const inner = createTask(() => sleep(10));
      await sleep(0);
      inner.cancel();
      await inner; // raises CancelledError out of the coroutine
    }).subscribe(o.obs);
    await sleep(1);
    t.is(o.complete, 0);
    t.is(o.error.length, 1);
    t.true(o.error[0] instanceof CancelledError);
  });
});

test("fromCoroutine: an error is error(e) unchanged", async (t) => {
  await runTest(async () => {
    const o = observer();
    fromCoroutine(async () => {
      await sleep(0);
      throw 42;
    }).subscribe(o.obs);
    await sleep(1);
    t.deepEqual(o.error, [42]);
  });
});

test("fromCoroutine with share(): the Task is cancelled only when the last subscriber leaves", async (t) => {
  await runTest(async () => {
    let finallyRan = false;
    const obs = fromCoroutine(async () => {
      try {
        await sleep(10);
      } finally {
        finallyRan = true;
      }
    }).pipe(share());
    const a = obs.subscribe();
    const b = obs.subscribe();
    a.unsubscribe();
    await sleep(1);
    t.false(finallyRan);
    b.unsubscribe();
    await sleep(0);
    await sleep(0);
    t.true(finallyRan);
  });
});

// ---- fromAsyncIterable ----------------------------------------------------

test("fromAsyncIterable: unsubscribe calls return() at once, even while next() is pending", async (t) => {
  await runTest(async () => {
    let returnCalls = 0;
    let nextCalls = 0;
    let release: ((r: IteratorResult<number>) => void) | undefined;
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          nextCalls++;
          if (nextCalls === 1) return Promise.resolve({ value: 1, done: false });
          return new Promise<IteratorResult<number>>((r) => {
            release = r;
          });
        },
        return: () => {
          returnCalls++;
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
    const o = observer();
    const sub = fromAsyncIterable(iterable).subscribe(o.obs);
    await sleep(0);
    t.deepEqual(o.next, [1]);
    t.is(nextCalls, 2, "a next() is pending");
    sub.unsubscribe();
    t.is(returnCalls, 1, "return() called synchronously in unsubscribe");
    release!({ value: 2, done: false });
    await sleep(0);
    t.deepEqual(o.next, [1], "nothing emitted after");
  });
});

test("fromAsyncIterable: an async generator's finally runs; values and completion in order", async (t) => {
  await runTest(async () => {
    let cleaned = false;
    async function* gen() {
      try {
        for (let i = 0; ; i++) {
          await sleep(1);
          yield i;
        }
      } finally {
        cleaned = true;
      }
    }
    t.deepEqual(await rxLast(fromAsyncIterable(gen()).pipe(take(3), toArray())), [0, 1, 2]);
    await sleep(2);
    t.true(cleaned);
    async function* three() {
      yield 1;
      yield 2;
      yield 3;
    }
    t.deepEqual(await rxLast(fromAsyncIterable(three()).pipe(toArray())), [1, 2, 3]);
  });
});

test("fromAsyncIterable: errors from return() after unsubscribe go to the exception handler once", async (t) => {
  const { loop } = await runOn(async () => {
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
        return: () => Promise.reject(new Error("return failed")),
      }),
    };
    const sub = fromAsyncIterable(iterable).subscribe();
    sub.unsubscribe();
    await sleep(0);
  });
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0]!.exception as Error).message, "return failed");
});

// ---- toObservable ----------------------------------------------------------

test("toObservable(queue): its items until shutdown; unsubscribing loses no item", async (t) => {
  await runTest(async () => {
    const q = new Queue<number>();
    const o = observer();
    const sub = toObservable(q).subscribe(o.obs);
    q.putNowait(1);
    q.putNowait(2);
    await sleep(0);
    await sleep(0);
    t.deepEqual(o.next, [1, 2]);
    sub.unsubscribe();
    await sleep(0);
    q.putNowait(3);
    await sleep(0);
    t.deepEqual(o.next, [1, 2]);
    t.is(q.getNowait(), 3, "the cancelled getter did not take the item");
    const o2 = observer();
    toObservable(q).subscribe(o2.obs);
    q.putNowait(4);
    q.shutdown();
    await sleep(0);
    await sleep(0);
    t.deepEqual(o2.next, [4]);
    t.is(o2.complete, 1);
    t.throws(() => q.getNowait(), { instanceOf: QueueShutDown });
  });
});

test("toObservable: async iterables, interop objects; bad input is a TypeError", async (t) => {
  await runTest(async () => {
    async function* g() {
      yield "a";
    }
    t.true(isObservable(toObservable(g())));
    t.deepEqual(await rxLast(toObservable<string>(g()).pipe(toArray())), ["a"]);
    t.throws(() => toObservable(42 as never), { instanceOf: TypeError });
  });
});

test("toObservable(queue) after its loop closed: a later subscribe completes, unsubscribe is a no-op, nothing uncaught", async (t) => {
  const loop = makeLoop();
  const q = new Queue<number>();
  const source = new Subject<void>();
  const seen: unknown[] = [];
  let completes = 0;
  // A subscription that outlives the loop: each emission of `source` (a plain callback, no loop running)
  // subscribes toObservable(q) anew.
  const outer = source.pipe(switchMap(() => toObservable(q))).subscribe({
    next: (v) => seen.push(v),
    error: (e) => seen.push(e),
    complete: () => completes++,
  });
  const inner = await loop.runUntilComplete(async () => {
    const o = toObservable(q);
    const sub = o.subscribe((v) => seen.push(v));
    q.putNowait(1);
    await sleep(0);
    await sleep(0);
    return { o, sub };
  });
  loop.close();
  // As asyncio: the pump's getter is a Future of the closed loop, so waking it raises (CPython 3.13's
  // put_nowait raises RuntimeError('Event loop is closed') the same way), and the item stays queued.
  t.throws(() => q.putNowait(2), { instanceOf: RuntimeError, message: "Event loop is closed" });
  t.notThrows(() => inner.sub.unsubscribe());
  let innerCompleted = false;
  inner.o.subscribe({ complete: () => (innerCompleted = true) });
  t.true(innerCompleted, "subscribing once the loop is closed completes at once");
  source.next(); // switchMap subscribes with no loop at all: a clear RuntimeError, delivered
  t.deepEqual(seen.slice(0, 1), [1]);
  t.is(seen.length, 2);
  t.true(seen[1] instanceof RuntimeError);
  t.regex((seen[1] as Error).message, /toObservable\(queue\): no running event loop/);
  t.is(completes, 0);
  t.true(outer.closed);
  t.is(q.getNowait(), 2, "the queue keeps the item put after close");
  t.deepEqual(loop.errors, []);
});

test("toObservable(queue) made on an open loop is subscribed from outside it: it runs when the loop runs", async (t) => {
  const loop = makeLoop();
  try {
    const q = new Queue<string>();
    const o = await loop.runUntilComplete(async () => toObservable(q));
    const got: string[] = [];
    const sub = o.subscribe((v) => got.push(v)); // no running loop: bound to the one that made it
    q.putNowait("a");
    await loop.runUntilComplete(async () => {
      await sleep(0);
      await sleep(0);
    });
    t.deepEqual(got, ["a"]);
    sub.unsubscribe();
    await loop.runUntilComplete(() => sleep(0));
    q.putNowait("b");
    t.is(q.getNowait(), "b");
  } finally {
    loop.close();
  }
});

test("toObservable(queue) alive when run() ends: errored with CancelledError, never silent", async (t) => {
  const seen: unknown[] = [];
  await run(async () => {
    toObservable(new Queue<number>()).subscribe({ error: (e) => seen.push(e), complete: () => seen.push("complete") });
    await sleep(0);
  });
  t.is(seen.length, 1);
  t.true(seen[0] instanceof CancelledError);
});

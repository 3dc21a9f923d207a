// Awaitables of ours that are already done (readyAwaitable, an uncontended
// Lock.acquire, a Queue.get with an item) given where a coroutine is run as a
// Task: gather, shield, asCompleted, createTask, a TaskGroup. Their iterator
// is done at once; a Task must run it as a generator that returns at once.
// (Before the fix gather(readyAwaitable(1)) threw "a coroutine was expected,
// got DoneIterator": the iterator had no `throw`, so it was no generator.)
import test from "ava";
import {
  Lock,
  Queue,
  TaskGroup,
  asCompleted,
  createTask,
  ensureFuture,
  gather,
  readyAwaitable,
  shield,
  waitFor,
} from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

test("gather of ready awaitables gives their values", async (t) => {
  await runTest(async () => {
    t.deepEqual(await gather(readyAwaitable(1), readyAwaitable("two")), [1, "two"]);
    t.deepEqual(await gather([readyAwaitable(3)]), [3]);
  });
});

test("gather of the primitives' uncontended waits (Lock.acquire, Queue.get and put)", async (t) => {
  await runTest(async () => {
    const lock = new Lock();
    const q = new Queue<number>();
    q.putNowait(8);
    t.deepEqual(await gather(lock.acquire(), q.get(), q.put(9)), [true, 8, undefined]);
    t.true(lock.locked());
    t.is(q.getNowait(), 9);
  });
});

test("shield, asCompleted, waitFor, ensureFuture, createTask and a TaskGroup take a ready awaitable", async (t) => {
  await runTest(async () => {
    t.is(await shield(readyAwaitable(1)), 1);
    const got: number[] = [];
    for (const f of asCompleted([readyAwaitable(2)])) got.push(await f);
    t.deepEqual(got, [2]);
    t.is(await waitFor(readyAwaitable(3), 1), 3);
    t.is(await ensureFuture(readyAwaitable(4)), 4);
    t.is(await createTask(readyAwaitable(5)), 5);
    const r = await new TaskGroup().run(async (g) => await g.createTask(readyAwaitable(6)));
    t.is(r, 6);
  });
});

test("a ready awaitable's iterator has the generator protocol: throw rethrows, return finishes", (t) => {
  const it = readyAwaitable(1)[Symbol.iterator]();
  const e = new Error("in");
  t.is(
    t.throws(() => it.throw(e)),
    e,
  );
  t.deepEqual(it.return(2 as never), { value: 2, done: true });
  t.deepEqual(it.next(), { value: 1, done: true });
});

// A ready awaitable of a thenable: `await readyAwaitable(p)` assimilates p
// (JS await always does), so every other way of waiting on it must give p's
// value too — yield*, and the combinators that run it as a Task (gather,
// shield, asCompleted). Before the fix they gave p itself: the iterator
// returned the thenable unawaited. (A Future whose result is a thenable is
// different: gather collects fut.result(), the thenable, as asyncio does.)
test("a ready awaitable of a thenable gives the thenable's value everywhere", async (t) => {
  await runTest(async () => {
    const p = (): Promise<number> => Promise.resolve(7);
    t.is(await readyAwaitable(p()), 7);
    t.deepEqual(await gather(readyAwaitable(p())), [7]);
    t.is(await shield(readyAwaitable(p())), 7);
    const got: number[] = [];
    for (const f of asCompleted([readyAwaitable(p())])) got.push(await f);
    t.deepEqual(got, [7]);
    t.is(await createTask(readyAwaitable(p())), 7);
    t.is(
      await createTask(function* () {
        return yield* readyAwaitable(p());
      }),
      7,
    );
    const err = new Error("no");
    const r = await gather(readyAwaitable(Promise.reject(err)), { returnExceptions: true });
    t.is(r[0], err);
  });
});

// `await readyAwaitable(gen)` gives the generator object (it is not a thenable): so does yield*.
test("a ready awaitable of a generator object gives the object, not its result", async (t) => {
  await runTest(async () => {
    const gen = (function* () {
      return 1;
    })();
    t.is(await readyAwaitable(gen), gen);
    t.is(
      await createTask(function* () {
        return yield* readyAwaitable(gen);
      }),
      gen,
    );
  });
});

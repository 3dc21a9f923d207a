// Issue 13's rule "every call acts when it is called; the Awaitable it returns only waits", for the calls that may
// have to wait: a blocking put, get, Pool.spawn or RLock.acquire whose Awaitable is dropped (never awaited) still does
// its work, and never steals the turn of the waiter behind it. gevent has no such case (its calls block the caller),
// so these are our own tests; the queue serves its waiters as gevent's `_unlock` does (a waiting putter's item goes
// in when a slot frees, as gevent's ItemWaiter), and the orders of events stay gevent's (side-by-side.test.ts).
import test from "ava";
import {
  GreenletExit,
  LifoQueue,
  Pool,
  PriorityQueue,
  Queue,
  RLock,
  sleep,
  spawn,
} from "../../../adapters/gevent/index.js";
import { getRunningLoop } from "../../../src/index.js";
import { gtest, scheduledHandles } from "../../conformance/gevent/harness.js";

test(
  "a dropped get() takes the next item; the getter behind it gets the one after, never starved",
  gtest(function* (t) {
    const q = new Queue<number>();
    const dropped = q.get(); // never driven until the end
    const consumer = spawn(function* () {
      return yield* q.get({ timeout: 5 });
    });
    yield* sleep(0);
    q.putNowait(1);
    q.putNowait(2);
    yield* consumer.join();
    t.true(consumer.successful(), String(consumer.exception));
    t.is(consumer.value, 2);
    t.is(q.qsize(), 0);
    t.is(yield* dropped, 1, "the dropped get acted: it took the first item");
  }),
);

test(
  "a put() on a full queue, never awaited, goes in when a slot frees; the putter behind it follows",
  gtest(function* (t) {
    const q = new Queue<number>(1);
    q.putNowait(1);
    q.put(2); // dropped
    const third = spawn(function* () {
      yield* q.put(3, { timeout: 5 });
      return "put";
    });
    yield* sleep(0);
    t.is(q.getNowait(), 1);
    yield* sleep(0.1);
    t.is(q.qsize(), 1);
    t.is(q.getNowait(), 2, "the dropped put's item went in");
    yield* third.join();
    t.is(third.value, "put");
    t.is(q.getNowait(), 3);
    t.is(q.unfinishedTasks, 3);
  }),
);

test(
  "a blocked put withdrawn by a kill before a slot frees never goes in",
  gtest(function* (t) {
    const q = new Queue<string>(1);
    q.putNowait("a");
    const putter = spawn(function* () {
      yield* q.put("b");
    });
    yield* sleep(0);
    yield* putter.kill();
    t.true(putter.value instanceof GreenletExit);
    t.is(q.getNowait(), "a");
    yield* sleep(0.1);
    t.is(q.qsize(), 0);
  }),
);

// A getter handed an item, then interrupted before it resumed: the item goes back where the next get finds it.
for (const [kind, make, expect] of [
  ["Queue", () => new Queue<string>(), ["x", "y"]],
  ["LifoQueue", () => new LifoQueue<string>(), ["x", "y"]],
  ["PriorityQueue", () => new PriorityQueue<string>(), ["x", "y"]],
] as const) {
  test(
    `${kind}: a getter killed after it was handed an item gives it back; nothing is swallowed`,
    gtest(function* (t) {
      const q = make();
      const loop = getRunningLoop();
      const consumer = spawn(function* () {
        return yield* q.get();
      });
      yield* sleep(0);
      q.putNowait("x"); // schedules the hand-off
      loop.callSoon(() => {
        // After the hand-off, before the consumer resumed.
        t.is(q.qsize(), 0, "handed");
        q.putNowait("y");
        consumer.kill({ block: false });
      });
      yield* consumer.join();
      t.true(consumer.value instanceof GreenletExit);
      t.deepEqual([q.getNowait(), q.getNowait()], [...expect]);
    }),
  );
}

test(
  "a peeker is handed the item without taking it; the getter behind it takes it",
  gtest(function* (t) {
    const q = new Queue<number>();
    const peeker = spawn(function* () {
      return yield* q.peek();
    });
    const getter = spawn(function* () {
      return yield* q.get();
    });
    yield* sleep(0);
    q.putNowait(7);
    yield* peeker.join();
    yield* getter.join();
    t.is(peeker.value, 7);
    t.is(getter.value, 7);
    t.is(q.qsize(), 0);
  }),
);

test(
  "Pool.spawn on a full pool, never awaited, still spawns when a slot frees (no slot leaked)",
  gtest(function* (t, loop) {
    const pool = new Pool(1);
    const ran: string[] = [];
    yield* pool.spawn(function* () {
      yield* sleep(0.1);
      ran.push("first");
    });
    pool.spawn(() => void ran.push("second")); // dropped
    yield* pool.join(); // returns when the first is gone: the second is added a loop pass later
    yield* sleep(0);
    t.is(pool.length, 1);
    yield* pool.join();
    t.deepEqual(ran, ["first", "second"]);
    t.is(pool.freeCount(), 1);
    t.is(pool.length, 0);
    yield* sleep(0);
    t.is(scheduledHandles(loop), 0);
  }),
);

test(
  "RLock.acquire that waits, never awaited: the caller owns the lock once it is free",
  gtest(function* (t) {
    const lock = new RLock();
    const holder = spawn(function* () {
      yield* lock.acquire();
      yield* sleep(0.1);
      lock.release();
    });
    yield* sleep(0);
    lock.acquire(); // dropped: waits for the holder
    yield* holder.join();
    yield* sleep(0);
    t.true(lock.locked());
    t.notThrows(() => lock.release(), "the main greenlet owns it");
    t.false(lock.locked());
  }),
);

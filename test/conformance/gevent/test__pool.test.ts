// Ports of gevent's test__pool.py (names kept). gevent's `list(it)` over an
// imap is the `drain` helper; `next(it)` is `yield* it.next()`.
import test from "ava";
import { Event, Greenlet, type IMap, Pool, PoolFull, Timeout, sleep, spawn } from "../../../adapters/gevent/index.js";
import { type Coroutine, ValueError } from "../../../src/index.js";
import { ExpectedError, gtest } from "./harness.js";

function* drain<R>(it: IMap<R>): Coroutine<R[]> {
  const out: R[] = [];
  for (;;) {
    const r = yield* it.next();
    if (r.done) return out;
    out.push(r.value);
  }
}

function* sqr(x: number, wait = 0): Coroutine<number> {
  yield* sleep(wait);
  return x * x;
}

const range = (n: number) => [...Array(n).keys()];
// gevent.testing uses 100 on CI.
const LARGE_RANGE = 100;

// ---- TestCoroutinePool ---------------------------------------------------------

test(
  "TestCoroutinePool.test_apply_async",
  gtest(function* (t) {
    const done = new Event();
    const pool = new Pool(2);
    pool.applyAsync(() => done.set(), ["x"]);
    t.true(yield* done.wait());
  }),
);

test(
  "TestCoroutinePool.test_apply",
  gtest(function* (t) {
    const pool = new Pool(2);
    t.is(yield* pool.apply(() => "return value"), "return value");
  }),
);

test(
  "TestCoroutinePool.test_apply_raises",
  gtest(
    function* (t) {
      const pool = new Pool(1);
      try {
        yield* pool.apply(() => {
          throw new ExpectedError();
        });
        t.fail("Should have raised ExpectedError");
      } catch (e) {
        t.true(e instanceof ExpectedError);
      }
    },
    { errors: 1 },
  ),
);

test(
  "TestCoroutinePool.test_multiple_coros",
  gtest(function* (t) {
    const evt = new Event();
    const results: string[] = [];
    const pool = new Pool(2);
    const done = yield* pool.spawn(function* () {
      results.push("cons1");
      yield* evt.wait();
      results.push("cons2");
    });
    pool.applyAsync(function* () {
      yield* sleep(0.001);
      results.push("prod");
      evt.set();
    });
    yield* done.get();
    t.deepEqual(results, ["cons1", "prod", "cons2"]);
  }),
);

test(
  "TestCoroutinePool.test_reentrant",
  gtest(function* (t) {
    const pool = new Pool(1);
    const result = yield* pool.apply(() => pool.apply((a: number) => a + 1, [5]));
    t.is(result, 6);
    const evt = new Event();
    pool.applyAsync(() => evt.set());
    t.true(yield* evt.wait());
  }),
);

// ---- PoolBasicTests ------------------------------------------------------------

test(
  "PoolBasicTests.test_execute_async",
  gtest(function* (t) {
    const p = new Pool(2);
    t.is(p.freeCount(), 2);
    const r: number[] = [];
    const first = yield* p.spawn((x: number) => void r.push(x), 1);
    t.is(p.freeCount(), 1);
    yield* first.get();
    t.deepEqual(r, [1]);
    yield* sleep(0);
    t.is(p.freeCount(), 2);
    p.applyAsync((x: number) => r.push(x), [2]);
    t.is(p.freeCount(), 1);
    p.applyAsync((x: number) => r.push(x), [3]);
    t.is(p.freeCount(), 0);
    p.applyAsync((x: number) => r.push(x), [4]);
    t.deepEqual(r, [1]);
    yield* sleep(0.01);
    t.deepEqual([...r].sort(), [1, 2, 3, 4]);
  }),
);

test(
  "PoolBasicTests.test_discard",
  gtest(function* (t) {
    const p = new Pool(1);
    const first = yield* p.spawn(() => sleep(1000));
    p.discard(first);
    first.kill();
    t.false(first.started);
    t.is(p.length, 0);
    t.is(p.freeCount(), 1);
  }),
);

test(
  "PoolBasicTests.test_add_method",
  gtest(function* (t) {
    const p = new Pool(1);
    const first = spawn(() => sleep(1000));
    const second = spawn(() => sleep(1000));
    t.is(p.freeCount(), 1);
    t.is(p.length, 0);
    yield* p.add(first);
    t.is(p.freeCount(), 0);
    t.is(p.length, 1);
    try {
      yield* new Timeout(0.1).run(() => p.add(second));
      t.fail("no Timeout");
    } catch (e) {
      t.true(e instanceof Timeout);
    }
    t.is(p.freeCount(), 0);
    t.is(p.length, 1);
    second.kill();
    first.kill();
  }),
);

test(
  "PoolBasicTests.test_add_method_non_blocking",
  gtest(function* (t) {
    const p = new Pool(1);
    const first = spawn(() => sleep(1000));
    const second = spawn(() => sleep(1000));
    yield* p.add(first);
    t.throws(() => p.add(second, { block: false }), { instanceOf: PoolFull });
    second.kill();
    first.kill();
  }),
);

test(
  "PoolBasicTests.test_add_method_timeout",
  gtest(function* (t) {
    const p = new Pool(1);
    const first = spawn(() => sleep(1000));
    const second = spawn(() => sleep(1000));
    yield* p.add(first);
    try {
      yield* p.add(second, { timeout: 0.1 });
      t.fail("no PoolFull");
    } catch (e) {
      t.true(e instanceof PoolFull);
    }
    second.kill();
    first.kill();
  }),
);

test("PoolBasicTests.test_init_error", (t) => {
  t.throws(() => new Pool(-1), { instanceOf: ValueError, message: "size must not be negative: -1" });
});

// ---- TestPool (sizes 1, 2, 3, 10, unbounded) -----------------------------------

for (const size of [1, 2, 3, 10, undefined]) {
  const cls = size === undefined ? "TestPoolUnlimit" : size === 1 ? "TestPool" : `TestPool${size}`;
  const pool = () => new Pool(size);

  test(
    `${cls}.test_map`,
    gtest(function* (t) {
      const p = pool();
      t.deepEqual(
        yield* p.map((x: number) => sqr(x), range(10)),
        range(10).map((x) => x * x),
      );
      t.deepEqual(
        yield* p.map((x: number) => sqr(x), range(100)),
        range(100).map((x) => x * x),
      );
    }),
  );

  test(
    `${cls}.test_imap_it_large`,
    gtest(function* (t) {
      const it = pool().imap((x: number) => sqr(x), range(LARGE_RANGE));
      for (let i = 0; i < LARGE_RANGE; i++) t.deepEqual(yield* it.next(), { value: i * i, done: false });
      t.true((yield* it.next()).done);
    }),
  );

  test(
    `${cls}.test_imap_unordered`,
    gtest(function* (t) {
      const got = yield* drain(pool().imapUnordered((x: number) => sqr(x), range(LARGE_RANGE)));
      t.deepEqual(
        got.sort((a, b) => a - b),
        range(LARGE_RANGE).map((x) => x * x),
      );
    }),
  );

  test(
    `${cls}.test_empty_imap_unordered`,
    gtest(function* (t) {
      t.deepEqual(yield* drain(pool().imapUnordered((x: number) => sqr(x), [])), []);
      t.deepEqual(yield* drain(pool().imap((x: number) => sqr(x), [])), []);
      t.deepEqual(yield* pool().map((x: number) => sqr(x), []), []);
    }),
  );

  test(
    `${cls}.test_imap_unordered_sleep`,
    gtest(function* (t) {
      const p = pool();
      const result = yield* drain(
        p.imapUnordered(
          function* (x: number) {
            yield* sleep(x / 10);
            return String(x);
          },
          [10, 1, 2],
        ),
      );
      t.deepEqual(result, p.size === 1 ? ["10", "1", "2"] : ["1", "2", "10"]);
    }),
  );

  test(
    `${cls}.test_imap_final_sleep`,
    gtest(function* (t) {
      t.deepEqual(yield* drain(pool().imap((x: number) => sqr(x), [0, 1, 2])), [0, 1, 4]);
    }),
  );

  test(
    `${cls}.test_imap_unordered_bounded_queue`,
    gtest(function* (t) {
      const iterable = range(100);
      for (const meth of ["imapUnordered", "imap"] as const) {
        let running = 0;
        const mapping = pool()[meth](
          (i: number) => {
            running++;
            return i;
          },
          iterable,
          { maxsize: 1 },
        );
        const result: number[] = [];
        for (let i = 0; ; i++) {
          const r = yield* mapping.next();
          if (r.done) break;
          t.true(running <= i + 2, `running ${running} at ${i}`);
          result.push(r.value);
          yield* sleep(0.01);
          t.true(mapping._results.qsize() <= 2);
        }
        t.deepEqual(
          result.sort((a, b) => a - b),
          iterable,
        );
      }
    }),
  );

  test(
    `${cls}.test_terminate`,
    gtest(function* (t, loop) {
      const p = pool();
      const n = (size ?? 10) * 2;
      const g = spawn(() => p.map((x: number) => sleep(x), Array(n).fill(0.1)));
      yield* sleep(0.1);
      const start = loop.time();
      yield* p.kill();
      t.true(loop.time() - start <= 0.5);
      yield* g.join();
    }),
  );
}

test(
  "TestPool0.test_wait_full",
  gtest(function* (t) {
    const p = new Pool(0);
    t.is(p.freeCount(), 0);
    t.true(p.full());
    t.is(yield* p.waitAvailable(0.01), 0);
  }),
);

test(
  "TestJoinEmpty.test",
  gtest(function* (t) {
    t.true(yield* new Pool().join());
  }),
);

test(
  "TestSpawn.test",
  gtest(function* (t) {
    const p = new Pool(1);
    t.is(p.length, 0);
    yield* p.spawn(() => sleep(0.1));
    t.is(p.length, 1);
    yield* p.spawn(() => sleep(0.1)); // blocks until the old one finishes
    t.is(p.length, 1);
    yield* sleep(0.19);
    t.is(p.length, 0);
  }),
);

test(
  "TestSpawn.testSpawnAndWait",
  gtest(function* (t) {
    const p = new Pool(1);
    yield* p.spawn(() => sleep(0.1));
    t.false(yield* p.join({ timeout: 0.01 }));
    t.true(yield* p.join());
    t.is(p.length, 0);
  }),
);

function* errorIter(): Generator<number> {
  yield 1;
  yield 2;
  throw new ExpectedError();
}

test(
  "TestErrorInIterator.test",
  gtest(function* (t) {
    const p = new Pool(3);
    try {
      yield* p.map(() => undefined, errorIter());
      t.fail("no error");
    } catch (e) {
      t.true(e instanceof ExpectedError);
    }
    yield* sleep(0.001);
  }),
);

test(
  "TestErrorInIterator.test_unordered",
  gtest(function* (t) {
    const p = new Pool(3);
    try {
      yield* drain(p.imapUnordered(() => undefined, errorIter()));
      t.fail("no error");
    } catch (e) {
      t.true(e instanceof ExpectedError);
    }
    yield* sleep(0.001);
  }),
);

class ZeroDivisionError extends Error {}
const divideBy = (x: number): number => {
  if (x === 0) throw new ZeroDivisionError("division by zero");
  return 1.0 / x;
};

test(
  "TestErrorInHandler.test_map",
  gtest(
    function* (t) {
      try {
        yield* new Pool(3).map(divideBy, [1, 0, 2]);
        t.fail("no error");
      } catch (e) {
        t.true(e instanceof ZeroDivisionError);
      }
    },
    { errors: 1 },
  ),
);

for (const meth of ["imap", "imapUnordered"] as const) {
  test(
    `TestErrorInHandler.test_${meth === "imap" ? "imap" : "imap_unordered"}`,
    gtest(
      function* (t) {
        const it = new Pool(1)[meth](divideBy, [1, 0, 2]);
        t.is((yield* it.next()).value, 1.0);
        try {
          yield* it.next();
          t.fail("no error");
        } catch (e) {
          t.true(e instanceof ZeroDivisionError);
        }
        t.is((yield* it.next()).value, 0.5);
        t.true((yield* it.next()).done);
      },
      { errors: 1 },
    ),
  );
}

test(
  "a Greenlet is not a thenable: Pool.spawn's awaitable gives the Greenlet itself",
  gtest(function* (t) {
    const p = new Pool(1);
    const g = yield* p.spawn(() => 1);
    t.true(g instanceof Greenlet);
    t.false("then" in g);
    const g2 = yield* spawn(async () => await p.spawn(() => 2)).get();
    t.true(g2 instanceof Greenlet);
    t.is(yield* g2.get(), 2);
  }),
);

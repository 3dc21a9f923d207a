// Ports of gevent's src/gevent/tests/test__greenlet.py (names kept). Each
// body runs as gevent's main greenlet would: a generator on a virtual-time
// loop. Python's `lambda: getcurrent().throw(err)` is a body that throws.
import test from "ava";
import {
  AsyncResult,
  Channel,
  Greenlet,
  GreenletExit,
  Queue,
  getcurrent,
  joinall,
  killall,
  sleep,
  spawn,
  withTimeout,
} from "../../../adapters/gevent/index.js";
import type { Coroutine } from "../../../src/index.js";
import { DELAY, ExpectedError, LARGE_TICK, gtest } from "./harness.js";

const X = {};

function* raises(e: Error): Coroutine<never> {
  throw e;
}

// ---- TestLink ------------------------------------------------------------------

test(
  "TestLink.test_link_to_asyncresult",
  gtest(function* (t) {
    const p = spawn(() => 100);
    const event = new AsyncResult();
    p.link(event);
    t.is(yield* event.get(), 100);
    for (let i = 0; i < 3; i++) {
      const event2 = new AsyncResult();
      p.link(event2);
      t.is(yield* event2.get(), 100);
    }
  }),
);

test(
  "TestLink.test_link_to_asyncresult_exception",
  gtest(
    function* (t) {
      const err = new ExpectedError("test_link_to_asyncresult_exception");
      const p = spawn(() => raises(err));
      const event = new AsyncResult();
      p.link(event);
      const e1 = yield* catching(event.get());
      t.is(e1, err);
      for (let i = 0; i < 3; i++) {
        const event2 = new AsyncResult();
        p.link(event2);
        t.is(yield* catching(event2.get()), err);
      }
    },
    { errors: 1 },
  ),
);

test(
  "TestLink.test_link_to_queue",
  gtest(function* (t) {
    const p = spawn(() => 100);
    const q = new Queue<Greenlet<number>>();
    p.link((g) => q.put(g));
    t.is(yield* (yield* q.get()).get(), 100);
    for (let i = 0; i < 3; i++) {
      p.link((g) => q.put(g));
      t.is(yield* (yield* q.get()).get(), 100);
    }
  }),
);

test(
  "TestLink.test_link_to_channel",
  gtest(function* (t) {
    const p1 = spawn(() => 101);
    const p2 = spawn(() => 102);
    const p3 = spawn(() => 103);
    const q = new Channel<Greenlet<number>>();
    for (const p of [p1, p2, p3]) p.link((g) => q.put(g));
    const results = [yield* (yield* q.get()).get(), yield* (yield* q.get()).get(), yield* (yield* q.get()).get()];
    t.deepEqual(results.sort(), [101, 102, 103]);
  }),
);

function* catching(aw: Iterable<unknown>): Coroutine<unknown> {
  try {
    yield* aw as Coroutine<unknown>;
  } catch (e) {
    return e;
  }
  throw new Error("did not raise");
}

// ---- TestUnlink ----------------------------------------------------------------

for (const method of ["link", "linkValue", "linkException"] as const) {
  test(
    `TestUnlink.test_func_${method === "link" ? "link" : method === "linkValue" ? "link_value" : "link_exception"}`,
    gtest(function* (t) {
      const p = spawn(() => undefined);
      const dummy = (): void => {};
      p[method](dummy);
      t.true(p.hasLinks());
      p.unlink(dummy);
      t.false(p.hasLinks());
      p.kill();
    }),
  );
}

// ---- links: TestReturn_link(_value), TestRaise_link(_exception) -------------

type LinkMethod = "link" | "linkValue" | "linkException";

function setLinks(p: Greenlet<unknown>, method: LinkMethod) {
  const event = new AsyncResult();
  p[method](event);
  const queue = new Queue<Greenlet<unknown>>(1);
  p[method]((g) => queue.put(g));
  const callbackFlag = ["initial"];
  p[method](() => void callbackFlag.splice(callbackFlag.indexOf("initial"), 1));
  for (let i = 0; i < 10; i++) {
    p[method](new AsyncResult());
    const q = new Queue(1);
    p[method]((g) => q.put(g));
  }
  return { event, queue, callbackFlag };
}

function setLinksTimeout(p: Greenlet<unknown>, method: LinkMethod) {
  const event = new AsyncResult();
  p[method](event);
  const queue = new Channel<Greenlet<unknown>>();
  p[method]((g) => queue.put(g));
  return { event, queue };
}

function* checkTimedOut(t: { is: (a: unknown, b: unknown) => void }, event: AsyncResult, queue: Channel<unknown>) {
  t.is(yield* withTimeout(DELAY, () => event.get(), { timeoutValue: X }), X);
  t.is(yield* withTimeout(DELAY, () => queue.get(), { timeoutValue: X }), X);
}

for (const method of ["link", "linkValue"] as const) {
  const cls = method === "link" ? "TestReturn_link" : "TestReturn_link_value";
  test(
    `${cls}.test_return`,
    gtest(function* (t) {
      const p = spawn(() => 25);
      for (let i = 0; i < 3; i++) {
        const { event, queue, callbackFlag } = setLinks(p as Greenlet<unknown>, method);
        const xxxxx = setLinksTimeout(p as Greenlet<unknown>, "linkException");
        yield* sleep(DELAY * 2);
        t.false(p.started);
        t.is(yield* event.get(), 25);
        t.is(yield* (yield* queue.get()).get(), 25);
        yield* sleep(DELAY);
        t.deepEqual(callbackFlag, []);
        yield* checkTimedOut(t, xxxxx.event, xxxxx.queue);
      }
      p.kill();
    }),
  );
  test(
    `${cls}.test_kill`,
    gtest(function* (t) {
      const p = spawn(() => sleep(DELAY));
      for (let i = 0; i < 3; i++) {
        const { event, queue, callbackFlag } = setLinks(p as Greenlet<unknown>, method);
        const xxxxx = setLinksTimeout(p as Greenlet<unknown>, "linkException");
        p.kill();
        yield* sleep(DELAY);
        t.false(p.started);
        t.true((yield* event.get()) instanceof GreenletExit);
        t.true((yield* (yield* queue.get()).get()) instanceof GreenletExit);
        yield* sleep(DELAY);
        t.deepEqual(callbackFlag, []);
        yield* checkTimedOut(t, xxxxx.event, xxxxx.queue);
      }
    }),
  );
}

for (const method of ["link", "linkException"] as const) {
  const cls = method === "link" ? "TestRaise_link" : "TestRaise_link_exception";
  test(
    `${cls}.test_raise`,
    gtest(
      function* (t) {
        const p = spawn(() => raises(new ExpectedError("test_raise")));
        for (let i = 0; i < 3; i++) {
          const { event, queue, callbackFlag } = setLinks(p as Greenlet<unknown>, method);
          const xxxxx = setLinksTimeout(p as Greenlet<unknown>, "linkValue");
          yield* sleep(DELAY);
          t.false(p.started);
          t.true((yield* catching(event.get())) instanceof ExpectedError);
          t.is(yield* queue.get(), p);
          yield* sleep(DELAY);
          t.deepEqual(callbackFlag, []);
          yield* checkTimedOut(t, xxxxx.event, xxxxx.queue);
        }
      },
      { errors: 1 },
    ),
  );
}

// ---- TestStuff -------------------------------------------------------------------

test(
  "TestStuff.test_wait_noerrors",
  gtest(function* (t) {
    const x = spawn(() => 1);
    const y = spawn(() => 2);
    const z = spawn(() => 3);
    yield* joinall([x, y, z], { raiseError: true });
    t.deepEqual([x.value, y.value, z.value], [1, 2, 3]);
    const e = new AsyncResult();
    x.link(e);
    t.is(yield* e.get(), 1);
    x.unlink(e);
    const e2 = new AsyncResult();
    x.link(e2);
    t.is(yield* e2.get(), 1);
  }),
);

test(
  "TestStuff.test_wait_error",
  gtest(
    function* (t) {
      const x = spawn(function* () {
        yield* sleep(DELAY);
        return 1;
      });
      const y = spawn(() => raises(new ExpectedError("test_wait_error")));
      t.true((yield* catching(joinall([x, y], { raiseError: true }))) instanceof ExpectedError);
      t.true((yield* catching(joinall([y], { raiseError: true }))) instanceof ExpectedError);
      yield* x.join();
    },
    { errors: 1 },
  ),
);

test(
  "TestStuff.test_joinall_exception_order",
  gtest(
    function* (t) {
      const a = spawn(function* () {
        yield* sleep(0.1);
        throw new ExpectedError("first");
      });
      const b = spawn(() => raises(new ExpectedError("second")));
      const e = yield* catching(joinall([a, b], { raiseError: true }));
      t.is((e as Error).message, "second");
      yield* joinall([a, b]);
    },
    { errors: 2 },
  ),
);

test(
  "TestStuff.test_joinall_count_raise_error",
  gtest(
    function* (t) {
      const sleeper = spawn(function* () {
        for (;;) yield* sleep(0.1);
      });
      const raiser = spawn(() => raises(new ExpectedError("count")));
      yield* joinall([sleeper, raiser], { raiseError: false, count: 1 });
      t.true(raiser.ready());
      t.false(sleeper.ready());
      yield* sleeper.kill();
      t.true(sleeper.ready());
    },
    { errors: 1 },
  ),
);

test(
  "TestStuff.test_multiple_listeners_error",
  gtest(
    function* (t) {
      let results: number[] = [];
      const listener1 = (): void => {
        results.push(10);
        throw new ExpectedError("listener1");
      };
      const listener2 = (): void => {
        results.push(20);
        throw new ExpectedError("listener2");
      };
      const listener3 = (): void => {
        throw new ExpectedError("listener3");
      };
      let p: Greenlet<unknown> = spawn(() => 5);
      p.link(listener1);
      p.link(listener2);
      p.link(listener3);
      yield* sleep(DELAY * 10);
      // gevent accepts either order; ours is the order added.
      t.deepEqual(results, [10, 20]);
      p = spawn(() => raises(new ExpectedError("test_multiple_listeners_error")));
      results = [];
      p.link(listener1);
      p.link(listener2);
      p.link(listener3);
      yield* sleep(DELAY * 10);
      t.deepEqual(results, [10, 20]);
    },
    // Each listener error is reported, and the greenlet's own error once.
    { errors: 7 },
  ),
);

function multipleListenersUnlink(kind: "link" | "rawlink") {
  return gtest(
    function* (t) {
      const p = spawn(() => 5);
      const results: number[] = [];
      const listener1 = (g: Greenlet<number>): void => {
        g.unlink(listener2);
        results.push(5);
        throw new ExpectedError("listener1");
      };
      const listener2 = (g: Greenlet<number>): void => {
        g.unlink(listener1);
        results.push(5);
        throw new ExpectedError("listener2");
      };
      const listener3 = (): void => {
        throw new ExpectedError("listener3");
      };
      p[kind](listener1);
      p[kind](listener2);
      p[kind](listener3);
      yield* sleep(DELAY * 10);
      t.deepEqual(results, [5]);
      p.kill();
    },
    { errors: 2 },
  );
}
test("TestStuff.test_multiple_listeners_error_unlink_Greenlet_link", multipleListenersUnlink("link"));
test("TestStuff.test_multiple_listeners_error_unlink_Greenlet_rawlink", multipleListenersUnlink("rawlink"));

test(
  "TestStuff.test_multiple_listeners_error_unlink_AsyncResult_rawlink",
  gtest(
    function* (t) {
      const e = new AsyncResult<number>();
      spawn(() => e.set(6));
      const results: number[] = [];
      const listener1 = (r: AsyncResult<number>): void => {
        r.unlink(listener2);
        results.push(5);
        throw new ExpectedError("listener1");
      };
      const listener2 = (r: AsyncResult<number>): void => {
        r.unlink(listener1);
        results.push(5);
        throw new ExpectedError("listener2");
      };
      e.rawlink(listener1);
      e.rawlink(listener2);
      e.rawlink(() => {
        throw new ExpectedError("listener3");
      });
      yield* sleep(DELAY * 10);
      t.deepEqual(results, [5]);
    },
    { errors: 2 },
  ),
);

// ---- TestJoin / TestGet (AbstractGenericWaitTestCase / GetTestCase) -----------

test(
  "TestJoin.test_returns_none_after_timeout",
  gtest(function* (t, loop) {
    const g = spawn(() => sleep(10));
    const start = loop.time();
    t.is(yield* g.join(0.1), undefined);
    t.is(Math.round((loop.time() - start) * 100) / 100, 0.1);
    yield* g.kill();
  }),
);

test(
  "TestGet.test_raises_timeout_number",
  gtest(function* (t) {
    const g = spawn(() => sleep(10));
    const e = yield* catching(g.get({ timeout: 0.1 }));
    t.is((e as Error).name, "Timeout");
    yield* g.kill();
  }),
);

test(
  "TestJoinAll0.test_returns_none_after_timeout",
  gtest(function* (t) {
    const g = new Greenlet(() => undefined);
    t.deepEqual(yield* joinall([g], { timeout: 0.1 }), []);
  }),
);

// ---- TestBasic -----------------------------------------------------------------

test("TestBasic.test_spawn_non_callable", (t) => {
  t.throws(() => spawn(1 as unknown as () => void), { instanceOf: TypeError });
  t.throws(() => new Greenlet(1 as never), { instanceOf: TypeError });
});

test(
  "TestBasic.test_simple_exit",
  gtest(function* (t) {
    const linkTest: unknown[] = [];
    const g = new Greenlet(
      function* (delay: number, returnValue = 4) {
        yield* sleep(delay);
        return returnValue;
      },
      0.01,
      5,
    );
    g.rawlink((x) => linkTest.push(x));
    const state = () => [g.started, g.dead, g.ready(), g.successful(), g.value, g.exception];
    t.deepEqual(state(), [false, false, false, false, undefined, undefined]);
    g.start();
    t.deepEqual(state(), [true, false, false, false, undefined, undefined]);
    yield* sleep(0.001);
    t.deepEqual(state(), [true, false, false, false, undefined, undefined]);
    t.deepEqual(linkTest, []);
    yield* sleep(0.02);
    t.deepEqual(state(), [false, true, true, true, 5, undefined]);
    t.deepEqual(linkTest, [g]);
  }),
);

test(
  "TestBasic.test_error_exit",
  gtest(
    function* (t) {
      const linkTest: unknown[] = [];
      const g = new Greenlet(
        function* (delay: number, returnValue = 4) {
          yield* sleep(delay);
          const error = new ExpectedError("test_error_exit") as ExpectedError & { myattr?: number };
          error.myattr = returnValue;
          throw error;
        },
        0.001,
        5,
      );
      g.rawlink((x) => linkTest.push(x));
      g.start();
      yield* sleep();
      yield* sleep(LARGE_TICK);
      t.false(g.started);
      t.true(g.dead);
      t.true(g.ready());
      t.false(g.successful());
      t.is(g.value, undefined);
      t.is((g.exception as { myattr: number }).myattr, 5);
      t.deepEqual(linkTest, [g]);
    },
    { errors: 1 },
  ),
);

// ---- TestKill and its three variants --------------------------------------------

const variants: Record<string, { start: (g: Greenlet<unknown>) => void; body: (r: number[]) => unknown }> = {
  TestKill: { start: () => {}, body: (r) => void r.push(1) },
  TestKillAfterStart: { start: (g) => g.start(), body: (r) => void r.push(1) },
  TestKillAfterStartLater: { start: (g) => g.startLater(LARGE_TICK), body: (r) => void r.push(1) },
  // As upstream: the body would sleep, but the greenlet is never started.
  TestKillWhileRunning: {
    start: () => {},
    body: function* (r: number[]) {
      yield* sleep(10);
      r.push(1);
    } as unknown as (r: number[]) => unknown,
  },
  // Ours: really running (suspended in its sleep) when killed.
  TestKillWhileSuspended: {
    start: (g) => g.start(),
    body: function* (r: number[]) {
      yield* sleep(10);
      r.push(1);
    } as unknown as (r: number[]) => unknown,
  },
};

for (const [cls, v] of Object.entries(variants)) {
  for (const [name, block, all] of [
    ["test_block", true, false],
    ["test_non_block", false, false],
    ["test_block_killal", true, true],
    ["test_non_block_killal", false, true],
  ] as const) {
    test(
      `${cls}.${name}`,
      gtest(
        function* (t) {
          const linkTest: unknown[] = [];
          const result: number[] = [];
          const g = new Greenlet(v.body, result);
          g.link((x) => void linkTest.push(x));
          v.start(g);
          if (cls === "TestKillWhileSuspended") yield* sleep(0.001);
          const killer = () => (all ? killall([g], { block }) : g.kill({ block }));
          const assertKilled = function* () {
            const check = () => {
              t.false(g.started);
              t.true(g.dead);
              t.true(g.ready());
              t.true(g.successful());
              t.true(g.value instanceof GreenletExit);
              t.is(g.exception, undefined);
            };
            check();
            yield* sleep(0.01);
            check();
          };
          yield* killer();
          if (!block) yield* sleep(0.001);
          yield* assertKilled();
          yield* killer();
          yield* assertKilled();
          if (cls === "TestKillWhileRunning") yield* sleep(0.01);
          t.deepEqual(result, []);
          t.deepEqual(linkTest, [g]);
        },
        { errors: 0 },
      ),
    );
  }
}

test(
  "TestStart.test_start",
  gtest(function* (t) {
    const g = spawn(() => sleep(DELAY));
    t.true(g.started);
    t.false(g.dead);
    g.start();
    t.true(g.started);
    yield* g.join();
    t.true(g.dead);
    t.false(g.started);
    g.start();
    t.true(g.dead);
    t.false(g.started);
  }),
);

test(
  "TestRef.test_kill_scheduled",
  gtest(function* (t) {
    const g = spawn(() => sleep(LARGE_TICK));
    g.kill();
    t.true(g.dead);
    yield* sleep(0);
  }),
);

test(
  "getcurrent is the running greenlet",
  gtest(function* (t) {
    const g: Greenlet<boolean> = spawn(function* () {
      yield* sleep(0);
      return getcurrent() === g;
    });
    t.true(yield* g.get());
    t.is(getcurrent()?.name, "main");
  }),
);

// Ports of gevent's test__timeout.py, test__api.py and test__greenletset.py
// (names kept). gevent's `get_hub().switch()` (block forever) is a long sleep.
import test from "ava";
import {
  Event,
  Group,
  GreenletExit,
  Timeout,
  killall,
  sleep,
  spawn,
  withTimeout,
} from "../../../adapters/gevent/index.js";
import type { Coroutine } from "../../../src/index.js";
import { ExpectedError, LARGE_TICK, gtest } from "./harness.js";

const SHOULD_EXPIRE = 0.01;
const SHOULD_NOT_EXPIRE = SHOULD_EXPIRE * 2.0;

function* blockForever(): Coroutine<void> {
  yield* new Event().wait();
}

function* expectOwn(t: { fail: (m: string) => void }, timeout: Timeout, close: boolean): Coroutine<Timeout> {
  try {
    yield* blockForever();
  } catch (ex) {
    if (ex !== timeout) throw ex;
    if (close) timeout.close();
    return timeout;
  }
  t.fail("Must raise Timeout");
  return timeout;
}

function* checkExpires(t: { fail: (m: string) => void }, timeout: Timeout): Coroutine<Timeout> {
  timeout.start();
  yield* expectOwn(t, timeout, false);
  timeout.start(); // restart
  return yield* expectOwn(t, timeout, true);
}

test("TestDirectRaise.test_direct_raise_instance", (t) => {
  const timeout = new Timeout();
  try {
    throw timeout;
  } catch (e) {
    t.is(e, timeout);
    t.false((e as Timeout).pending);
  }
});

test(
  "Test.test_expires",
  gtest(function* (t) {
    yield* checkExpires(t, new Timeout(SHOULD_EXPIRE));
    t.pass();
  }),
);

test(
  "Test.test_expires_false",
  gtest(function* (t) {
    // A false exception only matters to the scope form.
    yield* checkExpires(t, new Timeout(SHOULD_EXPIRE, false));
    t.pass();
  }),
);

test(
  "Test.test_expires_custom_exception",
  gtest(function* (t) {
    const timeout = new Timeout(SHOULD_EXPIRE, ExpectedError);
    timeout.start();
    try {
      yield* blockForever();
    } catch (e) {
      t.true(e instanceof ExpectedError);
    }
    timeout.close();
  }),
);

function* contextManagerExpires(t: { fail: (m: string) => void }, timeout: Timeout, raises = true) {
  try {
    yield* timeout.run(blockForever);
  } catch (ex) {
    if (ex !== timeout) throw ex;
    return ex;
  }
  if (raises) t.fail("Must raise Timeout");
  return undefined;
}

test(
  "Test.test_context_manager",
  gtest(function* (t) {
    const timeout = new Timeout(SHOULD_EXPIRE);
    t.is(yield* contextManagerExpires(t, timeout), timeout);
  }),
);

test(
  "Test.test_context_manager_false",
  gtest(function* (t) {
    const timeout = new Timeout(SHOULD_EXPIRE, false);
    t.is(yield* contextManagerExpires(t, timeout, false), undefined);
    t.true(String(timeout.message).endsWith("(silent)"));
  }),
);

test(
  "Test.test_cancel",
  gtest(function* (t) {
    const timeout = new Timeout(SHOULD_EXPIRE);
    timeout.start();
    timeout.cancel();
    yield* sleep(SHOULD_NOT_EXPIRE);
    t.false(timeout.pending);
    timeout.close();
  }),
);

test(
  "Test.test_with_timeout",
  gtest(function* (t) {
    try {
      yield* withTimeout(SHOULD_EXPIRE, () => sleep(SHOULD_NOT_EXPIRE));
      t.fail("no Timeout");
    } catch (e) {
      t.true(e instanceof Timeout);
    }
    const X = {};
    t.is(yield* withTimeout(SHOULD_EXPIRE, () => sleep(SHOULD_NOT_EXPIRE), { timeoutValue: X }), X);
    t.is(yield* withTimeout(SHOULD_NOT_EXPIRE, () => sleep(SHOULD_EXPIRE), { timeoutValue: X }), undefined);
  }),
);

test(
  "nested: an outer Timeout passes through an inner silent one",
  gtest(function* (t) {
    const outer = new Timeout(0.1);
    const inner = new Timeout(0.2, false);
    const trace: string[] = [];
    try {
      yield* outer.run(function* () {
        yield* inner.run(function* () {
          try {
            yield* sleep(1);
          } finally {
            trace.push("inner finally");
          }
        });
        trace.push("after inner scope (wrong)");
      });
    } catch (e) {
      trace.push(e === outer ? "outer" : String(e));
    }
    t.deepEqual(trace, ["inner finally", "outer"]);
    t.false(outer.pending);
    t.false(inner.pending);
  }),
);

test(
  "scope form from async code",
  gtest(function* (t) {
    const r = yield* spawn(async () => {
      const v = await new Timeout(0.1, false).run(async () => {
        await sleep(1);
        return "late";
      });
      const w = await new Timeout(1).run(async () => "quick");
      return [v, w];
    }).get();
    t.deepEqual(r, [undefined, "quick"]);
  }),
);

// ---- test__api -------------------------------------------------------------------

test(
  "Test.test_killing_dormant",
  gtest(function* (t) {
    const DELAY = 0.1;
    const state: string[] = [];
    const g = spawn(function* () {
      try {
        state.push("start");
        yield* sleep(DELAY * 3.0);
      } catch {
        state.push("except");
      }
      state.push("finished");
    });
    yield* sleep(DELAY / 2);
    t.deepEqual(state, ["start"]);
    yield* g.kill();
    t.deepEqual(state, ["start", "except", "finished"]);
  }),
);

test(
  "Test.test_nested_with_timeout",
  gtest(function* (t) {
    const func = () => withTimeout(0.2, () => sleep(2), { timeoutValue: 1 });
    try {
      yield* withTimeout(0.1, func);
      t.fail("no Timeout");
    } catch (e) {
      t.true(e instanceof Timeout);
    }
  }),
);

test(
  "TestTimers.test_spawn_is_not_cancelled",
  gtest(function* (t) {
    const lst = [1];
    spawn(() => {
      spawn(() => lst.pop());
    });
    yield* sleep(0.1);
    t.deepEqual(lst, []);
  }),
);

// ---- test__greenletset -----------------------------------------------------------

class SpecialError extends Error {}

class Undead {
  shotCount = 0;
  *run(): Coroutine<void> {
    for (;;) {
      try {
        yield* sleep(1);
      } catch (e) {
        if (e instanceof SpecialError) break;
        this.shotCount++;
      }
    }
  }
}

test(
  "Test.test_basic",
  gtest(function* (t) {
    const s = new Group();
    s.spawn(() => sleep(LARGE_TICK));
    t.is(s.length, 1);
    s.spawn(() => sleep(LARGE_TICK * 5));
    t.is(s.length, 2);
    yield* sleep();
    yield* sleep(LARGE_TICK * 2);
    t.is(s.length, 1);
    yield* sleep(LARGE_TICK * 5);
    t.is(s.length, 0);
  }),
);

test(
  "Test.test_waitall",
  gtest(function* (t, loop) {
    const DELAY = LARGE_TICK;
    const s = new Group();
    s.spawn(() => sleep(DELAY));
    s.spawn(() => sleep(DELAY * 2));
    const start = loop.time();
    yield* s.join({ raiseError: true });
    t.is(s.length, 0);
    t.true(loop.time() - start >= DELAY * 1.9 && loop.time() - start <= DELAY * 2.5);
  }),
);

test(
  "Test.test_kill_block",
  gtest(function* (t, loop) {
    const s = new Group();
    s.spawn(() => sleep(LARGE_TICK));
    s.spawn(() => sleep(LARGE_TICK * 2));
    const start = loop.time();
    yield* s.kill();
    t.is(s.length, 0);
    t.true(loop.time() - start < LARGE_TICK * 0.8);
  }),
);

test(
  "Test.test_kill_noblock",
  gtest(function* (t) {
    const s = new Group();
    s.spawn(() => sleep(LARGE_TICK));
    s.spawn(() => sleep(LARGE_TICK * 2));
    s.kill({ block: false });
    t.is(s.length, 2);
    yield* sleep(0.0001);
    t.is(s.length, 0);
  }),
);

test(
  "Test.test_kill_fires_once",
  gtest(function* (t) {
    const DELAY = LARGE_TICK;
    const u1 = new Undead();
    const u2 = new Undead();
    const p1 = spawn(() => u1.run());
    const p2 = spawn(() => u2.run());
    const check = (c1: number, c2: number) => {
      t.true(p1.started && p2.started);
      t.false(p1.dead || p2.dead);
      t.deepEqual([u1.shotCount, u2.shotCount], [c1, c2]);
    };
    yield* sleep(0.01);
    const s = new Group([p1, p2]);
    t.is(s.length, 2);
    check(0, 0);
    s.killone(p1, { block: false });
    check(0, 0);
    yield* sleep(0);
    check(1, 0);
    yield* s.killone(p1);
    check(1, 0);
    yield* s.killone(p1);
    check(1, 0);
    s.kill({ block: false });
    s.kill({ block: false });
    s.kill({ block: false });
    check(1, 0);
    yield* sleep(DELAY);
    check(1, 1);
    const X = {};
    const killResult = yield* withTimeout(DELAY, () => s.kill({ block: true }), { timeoutValue: X });
    t.is(killResult, X);
    t.is(s.length, 2);
    check(1, 1);
    p1.kill({ exception: SpecialError });
    p2.kill({ exception: SpecialError });
  }),
);

test(
  "Test.test_killall_iterable_argument_non_block",
  gtest(function* (t) {
    const p1 = spawn(() => sleep(0.5));
    const p2 = spawn(() => sleep(0.5));
    const s = new Set([p1, p2]);
    killall(s, { block: false });
    yield* sleep(0.5);
    for (const g of s) t.true(g.dead);
  }),
);

function* stubborn(): Coroutine<void> {
  try {
    yield* sleep(1.5);
  } catch {
    yield* sleep(1);
  }
}

test(
  "Test.test_killall_iterable_argument_timeout_not_started",
  gtest(function* (t) {
    const s = new Set([spawn(stubborn), spawn(stubborn)]);
    yield* killall(s, { timeout: 0.5 });
    for (const g of s) t.true(g.dead);
  }),
);

test(
  "Test.test_killall_iterable_argument_timeout_started",
  gtest(function* (t) {
    const s = new Set([spawn(stubborn), spawn(stubborn)]);
    yield* sleep(0.001);
    try {
      yield* killall(s, { timeout: 0.5 });
      t.fail("no Timeout");
    } catch (e) {
      t.true(e instanceof Timeout);
    }
    for (const g of s) t.false(g.dead);
    yield* sleep(2);
    for (const g of s) t.true(g.successful() && g.value === undefined);
  }),
);

test(
  "a kill with an error instance makes the greenlet unsuccessful, reported once",
  gtest(
    function* (t) {
      const g = spawn(() => sleep(5));
      yield* sleep(0);
      const err = new ExpectedError("shot");
      yield* g.kill({ exception: err });
      t.false(g.successful());
      t.is(g.exception, err);
      const h = spawn(() => sleep(5));
      yield* h.kill({ exception: 42 });
      t.true(h.exception instanceof Error);
      t.false(h.value instanceof GreenletExit);
    },
    { errors: 2 },
  ),
);

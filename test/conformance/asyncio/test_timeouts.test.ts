// Ports of CPython 3.13 Lib/test/test_asyncio/test_timeouts.py (TimeoutTests).
// `async with asyncio.timeout(d) as cm:` becomes `timeout(d).run(async (cm) => …)`
// (or `function* (cm)` in generator coroutines). The test bodies run in a task,
// as IsolatedAsyncioTestCase does, on the virtual-time loop: real sleeps of
// the originals (time.sleep) become `loop.advance(…)`.
//
// JavaScript has no implicit exception context (`__context__`): the tests of
// exception chaining use explicit `cause` where Python chains implicitly, and
// assert the `cause` links that asyncio sets (`raise TimeoutError from exc`)
// and the TimeoutError that 3.13's `_insert_timeout_error` splices in.
import test from "ava";
import {
  CancelledError,
  ExceptionGroup,
  RuntimeError,
  TaskGroup,
  type Timeout,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  timeoutAt,
  type Coroutine,
  type VirtualTimeLoop,
} from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

/** Awaits `aw` and returns what it threw; fails if it did not throw. */
async function raises(aw: PromiseLike<unknown>): Promise<unknown> {
  try {
    await aw;
  } catch (e) {
    return e;
  }
  throw new Error("did not raise");
}

/** Python's `with assertRaises(TimeoutError):` — anything else propagates. */
async function timesOut(aw: PromiseLike<unknown>): Promise<boolean> {
  try {
    await aw;
  } catch (e) {
    if (e instanceof TimeoutError) return true;
    throw e;
  }
  return false;
}

function vloop(): VirtualTimeLoop {
  return getRunningLoop() as VirtualTimeLoop;
}

test("test_timeout_basic", async (t) => {
  await runTest(async () => {
    let cm!: Timeout;
    const e = await raises(
      timeout(0.01).run(async (c) => {
        cm = c;
        await sleep(10);
      }),
    );
    t.true(e instanceof TimeoutError);
    t.true(cm.expired());
    t.is(vloop().time(), 0.01);
  });
});

test("test_timeout_basic (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    let cm!: Timeout;
    try {
      yield* timeout(0.01).run(function* (c) {
        cm = c;
        yield* sleep(10);
      });
      t.fail();
    } catch (e) {
      t.true(e instanceof TimeoutError);
      t.true((e as Error).cause instanceof CancelledError);
    }
    t.true(cm.expired());
    t.is(currentTask()!.cancelling(), 0);
  });
});

test("test_timeout_at_basic", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const deadline = loop.time() + 0.01;
    let cm!: Timeout;
    const e = await raises(
      timeoutAt(deadline).run(async (c) => {
        cm = c;
        await sleep(10);
      }),
    );
    t.true(e instanceof TimeoutError);
    t.true(cm.expired());
    t.is(cm.when(), deadline);
  });
});

test("test_nested_timeouts", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    let cancelled = false;
    let cm1!: Timeout;
    let cm2!: Timeout;
    const deadline = loop.time() + 0.01;
    const e = await raises(
      timeoutAt(deadline).run(async (c1) => {
        cm1 = c1;
        // Only the topmost context manager should raise TimeoutError.
        try {
          await timeoutAt(deadline).run(async (c2) => {
            cm2 = c2;
            await sleep(10);
          });
        } catch (e) {
          if (e instanceof CancelledError) cancelled = true;
          throw e;
        }
      }),
    );
    t.true(e instanceof TimeoutError);
    t.true(cancelled);
    t.true(cm1.expired());
    t.true(cm2.expired());
  });
});

test("test_nested_timeouts (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    const deadline = getRunningLoop().time() + 0.01;
    let cancelled = false;
    let cm1!: Timeout;
    let cm2!: Timeout;
    try {
      yield* timeoutAt(deadline).run(function* (c1) {
        cm1 = c1;
        try {
          yield* timeoutAt(deadline).run(function* (c2) {
            cm2 = c2;
            yield* sleep(10);
          });
        } catch (e) {
          if (e instanceof CancelledError) cancelled = true;
          throw e;
        }
      });
      t.fail();
    } catch (e) {
      t.true(e instanceof TimeoutError);
    }
    t.true(cancelled);
    t.true(cm1.expired() && cm2.expired());
  });
});

test("test_waiter_cancelled", async (t) => {
  await runTest(async () => {
    let cancelled = false;
    const e = await raises(
      timeout(0.01).run(async () => {
        try {
          await sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) cancelled = true;
          throw e;
        }
      }),
    );
    t.true(e instanceof TimeoutError);
    t.true(cancelled);
  });
});

test("test_timeout_not_called", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const cm = await timeout(10).run(async (cm) => {
      await sleep(0.01);
      return cm;
    });
    const t1 = loop.time();
    t.false(cm.expired());
    t.true(cm.when()! > t1);
    t.is(cm.state, "finished");
  });
});

test("test_timeout_disabled", async (t) => {
  await runTest(async () => {
    const cm = await timeout(null).run(async (cm) => {
      await sleep(0.01);
      return cm;
    });
    t.false(cm.expired());
    t.is(cm.when(), null);
  });
});

test("test_timeout_at_disabled", async (t) => {
  await runTest(async () => {
    const cm = await timeoutAt(undefined).run(async (cm) => {
      await sleep(0.01);
      return cm;
    });
    t.false(cm.expired());
    t.is(cm.when(), null);
  });
});

test("test_timeout_zero", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const t0 = loop.time();
    let cm!: Timeout;
    const e = await raises(
      timeout(0).run(async (c) => {
        cm = c;
        await sleep(10);
      }),
    );
    const t1 = loop.time();
    t.true(e instanceof TimeoutError);
    t.true(cm.expired());
    t.true(t0 <= cm.when()! && cm.when()! <= t1);
    // Fired on the next iteration (call_soon), not at the sleep's end.
    t.is(t1, t0);
  });
});

test("test_timeout_zero_sleep_zero", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const t0 = loop.time();
    let cm!: Timeout;
    const e = await raises(
      timeout(0).run(async (c) => {
        cm = c;
        await sleep(0);
      }),
    );
    t.true(e instanceof TimeoutError);
    t.true(cm.expired());
    t.true(t0 <= cm.when()! && cm.when()! <= loop.time());
  });
});

test("test_timeout_in_the_past_sleep_zero", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const t0 = loop.time();
    let cm!: Timeout;
    const e = await raises(
      timeout(-11).run(async (c) => {
        cm = c;
        await sleep(0);
      }),
    );
    const t1 = loop.time();
    t.true(e instanceof TimeoutError);
    t.true(cm.expired());
    t.true(t0 >= cm.when()! && cm.when()! <= t1);
  });
});

test("test_timeout_in_the_past_sleep_zero (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    let cm!: Timeout;
    try {
      yield* timeout(-11).run(function* (c) {
        cm = c;
        yield* sleep(0);
      });
      t.fail();
    } catch (e) {
      t.true(e instanceof TimeoutError);
    }
    t.true(cm.expired());
  });
});

test("test_foreign_exception_passed", async (t) => {
  await runTest(async () => {
    class KeyError extends Error {}
    let cm!: Timeout;
    const e = await raises(
      timeout(0.01).run(async (c) => {
        cm = c;
        throw new KeyError();
      }),
    );
    t.true(e instanceof KeyError);
    t.false(cm.expired());
  });
});

test("test_timeout_exception_context", async (t) => {
  // Python: TimeoutError.__cause__ is the CancelledError (raised while
  // handling ZeroDivisionError). JS: the CancelledError is the cause; the
  // implicit context of the CancelledError does not exist.
  await runTest(async () => {
    const e = await raises(
      timeout(0.01).run(async () => {
        try {
          throw new RangeError("1/0");
        } finally {
          await sleep(1);
        }
      }),
    );
    t.true(e instanceof TimeoutError);
    const e2 = (e as Error).cause;
    t.true(e2 instanceof CancelledError);
    t.is((e2 as Error).cause, undefined);
  });
});

test("test_foreign_exception_on_timeout", async (t) => {
  // Python chains ZeroDivisionError -> (context) CancelledError implicitly
  // and asyncio splices a TimeoutError in between. JS has no implicit
  // context: the body chains explicitly with `cause`, and the splice
  // happens on the `cause` chain.
  await runTest(async () => {
    async function crash(): Promise<void> {
      try {
        await sleep(1);
      } catch (c) {
        throw new RangeError("1/0", { cause: c });
      }
    }
    const e = await raises(
      timeout(0.01).run(async () => {
        await crash();
      }),
    );
    t.true(e instanceof RangeError);
    const e2 = (e as Error).cause;
    t.true(e2 instanceof TimeoutError);
    const e3 = (e2 as Error).cause;
    t.true(e3 instanceof CancelledError);
  });
});

test("test_foreign_exception_on_timeout_2", async (t) => {
  // ZeroDivisionError -> KeyError -> TimeoutError (inserted) -> CancelledError -> ValueError.
  await runTest(async () => {
    class KeyError extends Error {}
    const e = await raises(
      timeout(0.01).run(async () => {
        let pending: unknown;
        try {
          try {
            throw new ValueError();
          } catch (v) {
            try {
              await sleep(1);
            } catch (c) {
              (c as Error).cause = v; // Python's implicit __context__
              throw c;
            }
          }
        } catch (c) {
          pending = c;
        }
        let k: unknown;
        try {
          throw new KeyError("k", { cause: pending });
        } catch (kk) {
          k = kk;
        }
        throw new RangeError("1/0", { cause: k });
      }),
    );
    t.true(e instanceof RangeError);
    const e2 = (e as Error).cause;
    t.true(e2 instanceof KeyError);
    const e3 = (e2 as Error).cause;
    t.true(e3 instanceof TimeoutError);
    const e4 = (e3 as Error).cause;
    t.true(e4 instanceof CancelledError);
    t.true((e4 as Error).cause instanceof ValueError);
  });
});

test("test_foreign_cancel_doesnt_timeout_if_not_expired", async (t) => {
  await runTest(async () => {
    let cm!: Timeout;
    const e = await raises(
      timeout(10).run(async (c) => {
        cm = c;
        currentTask()!.cancel();
        await sleep(10);
      }),
    );
    t.true(e instanceof CancelledError);
    t.false(cm.expired());
    currentTask()!.uncancel();
  });
});

test("test_foreign_cancel_doesnt_timeout_if_not_expired (generator coroutine)", async (t) => {
  await runTest(function* (): Coroutine<void> {
    let cm!: Timeout;
    try {
      yield* timeout(10).run(function* (c) {
        cm = c;
        currentTask()!.cancel();
        yield* sleep(10);
      });
      t.fail();
    } catch (e) {
      t.true(e instanceof CancelledError);
    }
    t.false(cm.expired());
    currentTask()!.uncancel();
  });
});

test("test_outer_task_is_not_cancelled", async (t) => {
  await runTest(async () => {
    let raised: unknown;
    const task = createTask(async () => {
      raised = await raises(
        timeout(0.001).run(async () => {
          await sleep(10);
        }),
      );
    });
    await task;
    t.true(raised instanceof TimeoutError);
    t.false(task.cancelled());
    t.true(task.done());
  });
});

test("test_nested_timeouts_concurrent", async (t) => {
  // time.sleep(0.01) (the loop busy in the body) is loop.advance(0.01).
  await runTest(async () => {
    // Only the outer deadline passed: the inner block lets the CancelledError
    // through (Python's inner assertRaises does not match it).
    let inner: boolean | undefined;
    const outer = await raises(
      timeout(0.002).run(async () => {
        inner = await timesOut(
          timeout(0.1).run(async () => {
            vloop().advance(0.01);
            await sleep(1);
          }),
        );
      }),
    );
    t.is(inner, undefined);
    t.true(outer instanceof TimeoutError);
  });
});

test("test_nested_timeouts_loop_busy", async (t) => {
  await runTest(async () => {
    const loop = vloop();
    const t0 = loop.time();
    let inner: boolean | undefined;
    const e = await raises(
      timeout(0.1).run(async () => {
        inner = await timesOut(
          timeout(0.01).run(async () => {
            loop.advance(0.1); // the loop is busy for a while
            await sleep(1);
          }),
        );
        // TimeoutError was caught by (2); this sleep is interrupted by (1).
        await sleep(10);
      }),
    );
    const t1 = loop.time();
    // Both deadlines passed in the same iteration: two cancel requests, so
    // the inner block (uncancel() -> 1) lets the CancelledError through
    // and only the outer one converts it, as in CPython.
    t.is(inner, undefined);
    t.true(e instanceof TimeoutError);
    t.true(t0 <= t1 && t1 <= t0 + 1);
  });
});

test("test_nested_timeouts_loop_busy: only the inner deadline passed while busy", async (t) => {
  await runTest(async () => {
    const loop = vloop();
    let inner: boolean | undefined;
    const e = await raises(
      timeout(0.1).run(async () => {
        inner = await timesOut(
          timeout(0.01).run(async () => {
            loop.advance(0.05);
            await sleep(1);
          }),
        );
        await sleep(10); // interrupted by the outer timeout
      }),
    );
    t.true(inner);
    t.true(e instanceof TimeoutError);
    t.is(loop.time(), 0.1);
  });
});

test("test_reschedule", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<Timeout>();
    const deadline1 = loop.time() + 10;
    const deadline2 = deadline1 + 20;
    const task = createTask(async () => {
      await timeoutAt(deadline1).run(async (cm) => {
        fut.setResult(cm);
        await sleep(50);
      });
    });
    const cm = await fut;
    t.is(cm.when(), deadline1);
    cm.reschedule(deadline2);
    t.is(cm.when(), deadline2);
    cm.reschedule(null);
    t.is(cm.when(), null);
    task.cancel();
    t.true((await raises(task)) instanceof CancelledError);
    t.false(cm.expired());
  });
});

test("test_reschedule: a later deadline is the one that fires", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const e = await raises(
      timeout(1).run(async (cm) => {
        cm.reschedule(loop.time() + 5);
        await sleep(10);
      }),
    );
    t.true(e instanceof TimeoutError);
    t.is(loop.time(), 5);
  });
});

test("test_nested_timeout_in_finally", async (t) => {
  await runTest(async () => {
    let e2: unknown;
    const e1 = await raises(
      timeout(0.01).run(async () => {
        try {
          await sleep(1);
        } finally {
          e2 = await raises(
            timeout(0.01).run(async () => {
              await sleep(10);
            }),
          );
        }
      }),
    );
    t.true(e1 instanceof TimeoutError);
    const e12 = (e1 as Error).cause;
    t.true(e12 instanceof CancelledError);
    t.true(e2 instanceof TimeoutError);
    const e22 = (e2 as Error).cause;
    t.true(e22 instanceof CancelledError);
    t.not(e22, e12);
  });
});

test("test_timeout_after_cancellation", async (t) => {
  await runTest(async () => {
    let cm: unknown;
    try {
      currentTask()!.cancel();
      await sleep(1); // work which will be cancelled
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
    } finally {
      cm = await raises(
        timeout(0.0).run(async () => {
          await sleep(1); // some cleanup
        }),
      );
    }
    t.true(cm instanceof TimeoutError);
    t.is(currentTask()!.cancelling(), 1);
    currentTask()!.uncancel();
  });
});

test("test_cancel_in_timeout_after_cancellation", async (t) => {
  await runTest(async () => {
    let e: unknown;
    try {
      currentTask()!.cancel();
      await sleep(1);
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
    } finally {
      e = await raises(
        timeout(1.0).run(async () => {
          currentTask()!.cancel();
          await sleep(2);
        }),
      );
    }
    t.true(e instanceof CancelledError);
    t.is(currentTask()!.cancelling(), 2);
    currentTask()!.uncancel();
    currentTask()!.uncancel();
  });
});

test("test_timeout_already_entered", async (t) => {
  await runTest(async () => {
    await timeout(0.01).run(async (cm) => {
      t.throws(() => cm._enter(), { instanceOf: RuntimeError, message: /has already been entered/ });
      t.throws(() => cm.enter(), { instanceOf: RuntimeError, message: /has already been entered/ });
    });
  });
});

test("test_timeout_double_enter", async (t) => {
  await runTest(async () => {
    const cm = timeout(0.01);
    await cm.run(async () => {});
    const e = await raises(cm.run(async () => {}));
    t.true(e instanceof RuntimeError);
    t.regex((e as Error).message, /has already been entered/);
  });
});

test("test_timeout_finished", async (t) => {
  await runTest(async () => {
    const cm = await timeout(0.01).run(async (cm) => cm);
    t.throws(() => cm.reschedule(0.02), { instanceOf: RuntimeError, message: /finished/ });
  });
});

test("test_timeout_expired", async (t) => {
  await runTest(async () => {
    let cm!: Timeout;
    const e = await raises(
      timeout(0.01).run(async (c) => {
        cm = c;
        await sleep(1);
      }),
    );
    t.true(e instanceof TimeoutError);
    t.throws(() => cm.reschedule(0.02), { instanceOf: RuntimeError, message: /expired/ });
  });
});

test("test_timeout_expiring", async (t) => {
  await runTest(async () => {
    await timeout(0.01).run(async (cm) => {
      t.true((await raises(sleep(1))) instanceof CancelledError);
      t.throws(() => cm.reschedule(0.02), { instanceOf: RuntimeError, message: /expiring/ });
    });
  });
});

test("test_timeout_not_entered", async (t) => {
  await runTest(async () => {
    const cm = timeout(0.01);
    t.throws(() => cm.reschedule(0.02), { instanceOf: RuntimeError, message: /has not been entered/ });
  });
});

test("test_timeout_without_task", async (t) => {
  // await_without_task: run __aenter__ from a plain loop callback.
  await runTest(async () => {
    const loop = getRunningLoop();
    const cm = timeout(0.01);
    const done = loop.createFuture<unknown>();
    loop.callSoon(() => {
      try {
        cm.enter();
        done.setResult(undefined);
      } catch (e) {
        done.setResult(e);
      }
    });
    const e = await done;
    t.true(e instanceof RuntimeError);
    t.regex((e as Error).message, /task/);
    t.throws(() => cm.reschedule(0.02), { instanceOf: RuntimeError, message: /has not been entered/ });
  });
});

test("test_timeout_taskgroup", async (t) => {
  // The ExceptionGroup's implicit context (TimeoutError <- CancelledError <-
  // ValueError) has no JS counterpart; the member's chain is made explicit
  // with `cause` and gets the TimeoutError spliced in, as in 3.13.
  await runTest(async () => {
    async function task(): Promise<void> {
      try {
        await sleep(2); // interrupted after 0.01 s
      } catch (c) {
        throw new RangeError("1/0", { cause: c }); // crash in cleanup
      }
    }
    const eg = await raises(
      timeout(0.01).run(async () => {
        await new TaskGroup().run(async (tg) => {
          tg.createTask(task);
          try {
            throw new ValueError();
          } finally {
            await sleep(1);
          }
        });
      }),
    );
    t.true(eg instanceof ExceptionGroup);
    const group = eg as ExceptionGroup;
    t.is(group.exceptions.length, 1);
    const e1 = group.exceptions[0] as Error;
    t.true(e1 instanceof RangeError);
    const e2 = e1.cause as Error;
    t.true(e2 instanceof TimeoutError);
    t.true(e2.cause instanceof CancelledError);
    t.is(currentTask()!.cancelling(), 0);
  });
});

// ---- bad input and the `await using` form ---------------------------------

test("bad input: NaN and non-number delays are rejected", async (t) => {
  await runTest(async () => {
    t.throws(() => timeout(NaN), { instanceOf: ValueError });
    t.throws(() => timeoutAt(NaN), { instanceOf: ValueError });
    t.throws(() => timeout("1" as unknown as number), { instanceOf: TypeError });
    await timeout(null).run(async (cm) => {
      t.throws(() => cm.reschedule(NaN), { instanceOf: ValueError });
    });
  });
});

test("bad input: timeout() outside a running loop is a RuntimeError", (t) => {
  t.throws(() => timeout(1), { instanceOf: RuntimeError });
});

test("await using: an expired timeout throws TimeoutError (inside a SuppressedError)", async (t) => {
  // Symbol.asyncDispose cannot see the body's CancelledError: the TimeoutError
  // thrown at the end of the block suppresses it.
  await runTest(async () => {
    let caught: unknown;
    try {
      await using cm = await timeout(1).enter();
      t.is(cm.state, "active");
      await sleep(10);
    } catch (e) {
      caught = e;
    }
    const se = caught as { error: unknown; suppressed: unknown; name: string };
    t.is(se.name, "SuppressedError");
    t.true(se.error instanceof TimeoutError);
    t.true(se.suppressed instanceof CancelledError);
    t.is(currentTask()!.cancelling(), 0);
    t.is(getRunningLoop().time(), 1);
  });
});

test("await using: a block that ends in time leaves no trace", async (t) => {
  const { result } = await runOn(async () => {
    let cm!: Timeout;
    {
      await using c = await timeout(5).enter();
      cm = c;
      await sleep(1);
    }
    await sleep(10); // the cancelled timer does not fire
    return [cm.state, cm.expired(), currentTask()!.cancelling()];
  });
  t.deepEqual(result, ["finished", false, 0]);
});

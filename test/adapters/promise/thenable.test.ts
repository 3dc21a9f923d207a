// fromThenable (Promises/A+ §2.3 assimilation of any thenable) and
// toPromise (Future -> native Promise).
import test from "ava";
import {
  CancelledError,
  Future,
  Task,
  createTask,
  getRunningLoop,
  isCancelledError,
  sleep,
  ValueError,
  ensureFuture as coreEnsureFuture,
  type Coroutine,
} from "../../../src/index.js";
import { fromThenable, toPromise, FuturePromise } from "../../../adapters/promise/index.js";
import { makeLoop, runOn, runTest } from "../../helpers/loop.js";

test("test_ensure_future_future, test_ensure_future_task: a Future or a Task is returned as is", async (t) => {
  await runTest(async () => {
    const fut = getRunningLoop().createFuture<number>();
    t.is(fromThenable(fut), fut);
    const task = createTask(async () => 1);
    t.is(fromThenable(task), task);
    await task;
  });
});

test("test_ensure_future_coroutine: coroutines become tasks (async function, generator function, generator object)", async (t) => {
  await runTest(async () => {
    const a = fromThenable(async () => "a");
    const b = fromThenable(function* (): Coroutine<string> {
      yield* sleep(1);
      return "b";
    });
    const c = fromThenable(
      (function* (): Coroutine<string> {
        return "c";
      })(),
    );
    t.true(a instanceof Task && b instanceof Task && c instanceof Task);
    t.deepEqual([await a, await b, await c], ["a", "b", "c"]);
  });
});

test("fromThenable: a native promise, fulfilled and rejected", async (t) => {
  await runTest(async () => {
    const ok = fromThenable(Promise.resolve(5));
    t.true(ok instanceof Future);
    t.false(ok.done());
    t.is(await ok, 5);
    const err = new Error("boom");
    const bad = fromThenable(Promise.reject(err));
    t.is(await bad.then(undefined, (e) => e), err);
    t.is(bad.exception(), err);
  });
});

test("test_ensure_future_neither: bad input is a TypeError naming what it got", async (t) => {
  await runTest(async () => {
    t.throws(() => fromThenable(42 as never), { instanceOf: TypeError, message: /got number/ });
    t.throws(() => fromThenable({ then: 1 } as never), { instanceOf: TypeError, message: /got Object/ });
    t.throws(() => fromThenable(null as never), { instanceOf: TypeError, message: /got null/ });
  });
});

test("test_ensure_future_error_msg: needs a running loop unless one is given; a Future of another loop is a ValueError", async (t) => {
  t.throws(() => fromThenable(Promise.resolve(1)), { message: /no running event loop/ });
  const other = makeLoop();
  const fut = fromThenable(Promise.resolve(1), { loop: other });
  t.is(fut.getLoop(), other);
  await runTest(async () => {
    t.throws(() => fromThenable(fut, { loop: getRunningLoop() }), {
      instanceOf: ValueError,
      message: /different loop/,
    });
  });
  other.close();
});

// ---- Promises/A+ §2.3.3 details, on fromThenable ---------------------------

test("2.3.3.1: then is read exactly once", async (t) => {
  await runTest(async () => {
    let reads = 0;
    const thenable = {
      get then() {
        reads++;
        return (res: (v: number) => void) => res(1);
      },
    };
    t.is(await fromThenable(thenable as PromiseLike<number>), 1);
    t.is(reads, 1);
  });
});

test("2.3.3.2: a throwing then getter fails the Future", async (t) => {
  await runTest(async () => {
    const err = new Error("getter");
    const thenable = {
      get then(): never {
        throw err;
      },
    };
    const fut = fromThenable(thenable as unknown as PromiseLike<number>);
    t.is(await fut.then(undefined, (e) => e), err);
  });
});

test("2.3.3.3: then is called with the thenable as this; the first callback call wins", async (t) => {
  await runTest(async () => {
    let self: unknown;
    const thenable = {
      then(this: unknown, res: (v: string) => void, rej: (e: unknown) => void) {
        self = this;
        res("first");
        rej(new Error("ignored"));
        res("ignored too");
      },
    };
    t.is(await fromThenable(thenable as PromiseLike<string>), "first");
    t.is(self, thenable);
  });
});

test("2.3.3.3.4: a throw after resolution is ignored", async (t) => {
  const { result, loop } = await runOn(async () => {
    const thenable = {
      then(res: (v: string) => void) {
        res("kept");
        throw new Error("after resolve");
      },
    };
    return await fromThenable(thenable as PromiseLike<string>);
  });
  t.is(result, "kept");
  t.deepEqual(loop.errors, []);
});

test("core fromThenable / createTask(thenable): a throw after resolution is ignored too (2.3.3.3.4.1)", async (t) => {
  const { result, loop } = await runOn(async () => {
    const thenable = {
      then(res: (v: string) => void) {
        res("kept");
        throw new Error("after resolve");
      },
    };
    return [await coreEnsureFuture(thenable as PromiseLike<string>), await createTask(thenable as PromiseLike<string>)];
  });
  t.deepEqual(result, ["kept", "kept"]);
  t.deepEqual(loop.errors, []);
});

test("2.3.3.3.1: a thenable resolving to a thenable to a promise is followed recursively", async (t) => {
  await runTest(async () => {
    const inner = { then: (res: (v: unknown) => void) => setImmediate(() => res(Promise.resolve("deep"))) };
    const outer = { then: (res: (v: unknown) => void) => res(inner) };
    t.is(await fromThenable(outer as PromiseLike<string>), "deep");
  });
});

test("2.3.3.4: a non-function then makes the object a plain value (when reached recursively)", async (t) => {
  await runTest(async () => {
    const value = { then: 5 };
    const outer = { then: (res: (v: unknown) => void) => res(value) };
    t.is(await fromThenable(outer as PromiseLike<unknown>), value);
  });
});

test("a thenable resolved with itself (a cycle that would never settle) is a TypeError", async (t) => {
  await runTest(async () => {
    const cyclic: { then: (res: (v: unknown) => void) => void } = { then: (res) => res(cyclic) };
    const fut = fromThenable(cyclic as PromiseLike<unknown>);
    const e = await fut.then(undefined, (x) => x);
    t.true(e instanceof TypeError);
    t.regex((e as Error).message, /cycle/);
    // Two thenables resolving with each other.
    const a: { then: (res: (v: unknown) => void) => void } = { then: (res) => res(b) };
    const b: { then: (res: (v: unknown) => void) => void } = { then: (res) => res(a) };
    t.true((await fromThenable(a as PromiseLike<unknown>).then(undefined, (x) => x)) instanceof TypeError);
  });
});

test("a thenable that resolves with a Future of ours follows it, cancellation included", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const inner = loop.createFuture<number>();
    const fut = fromThenable({ then: (res: (v: unknown) => void) => res(inner) } as PromiseLike<number>);
    loop.callSoon(() => inner.setResult(7));
    t.is(await fut, 7);
    const inner2 = loop.createFuture<number>();
    const fut2 = fromThenable({ then: (res: (v: unknown) => void) => res(inner2) } as PromiseLike<number>);
    inner2.cancel("gone");
    const e = await fut2.then(undefined, (x) => x);
    t.true(isCancelledError(e));
    t.true(fut2.cancelled());
    t.is((e as Error).message, "gone");
  });
});

test("a thenable rejecting with a function keeps that exact function as the exception", async (t) => {
  await runTest(async () => {
    function reason(): void {}
    const fut = fromThenable({ then: (_: unknown, rej: (e: unknown) => void) => rej(reason) } as PromiseLike<never>);
    t.is(await fut.then(undefined, (e) => e), reason);
  });
});

// ---- cancellation cannot stop a foreign promise ------------------------------

// asyncio's test_wrap_future_cancel cancels the source concurrent Future too:
// a JavaScript promise has no cancel, so only test_wrap_future_cancel2's
// half holds (the source keeps its outcome, the wrapper is cancelled).
test("test_wrap_future_cancel2: cancelling a Future made from a promise: the Future is cancelled, the promise runs on, its value is dropped", async (t) => {
  const { loop } = await runOn(async () => {
    let resolve!: (v: string) => void;
    let ran = false;
    const p = new Promise<string>((r) => (resolve = r)).then((v) => {
      ran = true;
      return v;
    });
    const fut = fromThenable(p);
    const waiter = createTask(async () => await fut);
    await sleep(0);
    t.true(fut.cancel("stop"));
    const e = await waiter.then(undefined, (x) => x);
    t.true(isCancelledError(e));
    resolve("late");
    t.is(await p, "late"); // the promise was not stopped
    t.true(ran);
    t.true(fut.cancelled());
  });
  t.deepEqual(loop.errors, []);
});

test("a failure of the promise after its Future was cancelled is reported, an AbortError is not", async (t) => {
  const late = new Error("late failure");
  const { loop } = await runOn(async () => {
    let reject!: (e: unknown) => void;
    const fut = fromThenable(new Promise<string>((_, r) => (reject = r)));
    fut.cancel();
    reject(late);
    await sleep(0);
    let reject2!: (e: unknown) => void;
    const fut2 = fromThenable(new Promise<string>((_, r) => (reject2 = r)));
    fut2.cancel();
    reject2(new DOMException("aborted", "AbortError"));
    await sleep(0);
  });
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.exception, late);
  t.true(loop.errors[0]!.future instanceof Future);
});

test("a task awaiting a Future made from a promise is cancelled at once (not at the promise's end)", async (t) => {
  await runTest(async () => {
    const never = new Promise<void>(() => {});
    const task = createTask(async () => {
      await fromThenable(never);
    });
    await sleep(0);
    task.cancel("now");
    const e = await task.then(undefined, (x) => x);
    t.true(isCancelledError(e));
    t.is((e as CancelledError).message, "now");
  });
});

// ---- toPromise ------------------------------------------------------------------

test("toPromise: a native Promise of the result", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    const p = toPromise(fut);
    t.true(p instanceof Promise);
    t.true(p instanceof FuturePromise);
    t.is(p.then(() => 0).constructor, Promise); // derived promises are plain
    loop.callLater(1, () => fut.setResult(3));
    t.is(await p, 3);
  });
});

test("toPromise: an exception rejects it; a cancelled Future rejects it with our CancelledError and the message", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const err = new Error("x");
    const f1 = loop.createFuture();
    f1.setException(err);
    t.is(await toPromise(f1).catch((e) => e), err);
    const f2 = loop.createFuture();
    const p2 = toPromise(f2);
    f2.cancel("bye");
    const e2 = (await p2.catch((e) => e)) as Error;
    t.true(e2 instanceof CancelledError);
    t.is(e2.message, "bye");
    const task = createTask(async () => sleep(10));
    const p3 = toPromise(task);
    await sleep(0);
    task.cancel("task bye");
    const e3 = (await p3.catch((e) => e)) as Error;
    t.true(e3 instanceof CancelledError);
    t.is(e3.message, "task bye");
  });
});

test("toPromise: also takes a coroutine or a thenable (through fromThenable)", async (t) => {
  await runTest(async () => {
    t.is(await toPromise(async () => "co"), "co");
    t.is(await toPromise({ then: (r: (v: string) => void) => r("th") } as PromiseLike<string>), "th");
  });
});

test("toPromise: promise-only code (Promise.all, Promise.race) works with it", async (t) => {
  await runTest(async () => {
    const a = createTask(async () => {
      await sleep(2);
      return "a";
    });
    const b = createTask(async () => {
      await sleep(1);
      return "b";
    });
    t.deepEqual(await Promise.all([toPromise(a), toPromise(b)]), ["a", "b"]);
    const c = createTask(async () => sleep(5, "c"));
    const d = createTask(async () => sleep(3, "d"));
    t.is(await Promise.race([toPromise(c), toPromise(d)]), "d");
    c.cancel();
  });
});

test("a thenable rejecting with an Error class keeps that exact class as the exception", async (t) => {
  await runTest(async () => {
    const fut = fromThenable({ then: (_: unknown, rej: (e: unknown) => void) => rej(TypeError) } as PromiseLike<never>);
    t.is(await fut.then(undefined, (e) => e), TypeError);
  });
});

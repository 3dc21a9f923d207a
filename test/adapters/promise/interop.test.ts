// Interop with real promise libraries (bluebird 3.7.2, q 1.5.1) and a
// jQuery-style Deferred: their promises awaited in our tasks, our Futures
// awaited by their libraries, rejection and cancellation crossing both ways.
import test from "ava";
import Bluebird from "bluebird";
import Q from "q";
import {
  CancelledError,
  type Future,
  createTask,
  getRunningLoop,
  isCancelledError,
  sleep,
  type Coroutine,
} from "../../../src/index.js";
import { fromThenable, toPromise } from "../../../adapters/promise/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

async function outcome(p: PromiseLike<unknown>): Promise<unknown> {
  return p.then(
    (v) => v,
    (e) => e,
  );
}

// ---- a jQuery-style Deferred (jQuery 1.x/2.x semantics) ----------------------
// done/fail callbacks run synchronously, at once if already settled; resolve
// takes several values; then() (jQuery's old pipe) is not Promises/A+: it
// calls back synchronously when already resolved.
type Fn = (...args: unknown[]) => unknown;
class JqDeferred {
  #state: "pending" | "resolved" | "rejected" = "pending";
  #args: unknown[] = [];
  #done: Fn[] = [];
  #fail: Fn[] = [];
  state(): string {
    return this.#state;
  }
  resolve(...args: unknown[]): this {
    return this.#settle("resolved", args);
  }
  reject(...args: unknown[]): this {
    return this.#settle("rejected", args);
  }
  #settle(state: "resolved" | "rejected", args: unknown[]): this {
    if (this.#state !== "pending") return this;
    this.#state = state;
    this.#args = args;
    for (const f of state === "resolved" ? this.#done : this.#fail) f(...args);
    this.#done = [];
    this.#fail = [];
    return this;
  }
  done(f: Fn): this {
    if (this.#state === "resolved") f(...this.#args);
    else if (this.#state === "pending") this.#done.push(f);
    return this;
  }
  fail(f: Fn): this {
    if (this.#state === "rejected") f(...this.#args);
    else if (this.#state === "pending") this.#fail.push(f);
    return this;
  }
  then(onDone?: Fn, onFail?: Fn): JqPromise {
    const next = new JqDeferred();
    this.done((...a) => {
      const r = onDone ? onDone(...a) : a[0];
      next.resolve(r);
    });
    this.fail((...a) => {
      if (onFail) next.resolve(onFail(...a));
      else next.reject(...a);
    });
    return next.promise();
  }
  promise(): JqPromise {
    return {
      then: this.then.bind(this),
      done: this.done.bind(this),
      fail: this.fail.bind(this),
      state: this.state.bind(this),
    } as JqPromise;
  }
}
interface JqPromise {
  then(onDone?: Fn, onFail?: Fn): JqPromise;
  done(f: Fn): JqPromise;
  fail(f: Fn): JqPromise;
  state(): string;
}

// ---- bluebird -------------------------------------------------------------------

test("bluebird: its promises awaited in our async and generator tasks", async (t) => {
  await runTest(async () => {
    t.is(await createTask(async () => await Bluebird.resolve(1).then((x) => x + 1)), 2);
    const gen = createTask(function* (): Coroutine<string> {
      const a = yield* fromThenable(Bluebird.resolve("a"));
      yield* sleep(1);
      return a + (yield* fromThenable(Bluebird.resolve("b")));
    });
    t.is(await gen, "ab");
    t.deepEqual(await fromThenable(Bluebird.all([Bluebird.resolve(1), 2])), [1, 2]);
  });
});

test("bluebird: a rejection crosses into our task as the same error", async (t) => {
  await runTest(async () => {
    const err = new Error("bb");
    const task = createTask(async () => {
      try {
        await fromThenable(Bluebird.reject(err));
        return "no";
      } catch (e) {
        return e;
      }
    });
    t.is(await task, err);
  });
});

test("bluebird: its library awaits our Futures and Tasks (resolve, all, coroutine)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    loop.callLater(1, () => fut.setResult(5));
    const task = createTask(async () => sleep(2, "t"));
    t.is(await Bluebird.resolve(fut), 5);
    t.deepEqual(await Bluebird.all([fut, task]), [5, "t"]);
    const co = Bluebird.coroutine(function* (): Generator<unknown, number, number> {
      const x = yield fut;
      // Bluebird runs this from its own scheduler, outside our loop: name the loop.
      const y = yield loop.createTask(async () => sleep(1, 10));
      return x + y;
    });
    t.is(await co(), 15);
  });
});

test("bluebird: a failed or cancelled Future rejects its bluebird promise (CancelledError with the message)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const err = new Error("x");
    const bad = loop.createFuture();
    bad.setException(err);
    t.is(await outcome(Bluebird.resolve(bad)), err);
    const task = createTask(async () => sleep(10));
    const viaBluebird = Bluebird.resolve(task).then(
      () => "fulfilled",
      (e: unknown) => e,
    );
    await sleep(1);
    task.cancel("stop");
    const e = await viaBluebird;
    t.true(e instanceof CancelledError);
    t.is((e as Error).message, "stop");
  });
});

test("bluebird: cancelling our task that awaits a bluebird promise: the task is cancelled at once, the bluebird promise runs on", async (t) => {
  const { loop } = await runOn(async () => {
    let resolve!: (v: string) => void;
    const bb = new Bluebird<string>((r) => (resolve = r));
    const task = createTask(async () => await fromThenable(bb));
    await sleep(1);
    task.cancel("enough");
    const e = await outcome(task);
    t.true(isCancelledError(e));
    resolve("still");
    t.is(await bb, "still");
    t.true(bb.isFulfilled());
  });
  t.deepEqual(loop.errors, []);
});

// ---- q ------------------------------------------------------------------------------

test("q: deferreds awaited in our tasks, rejections crossing", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const d = Q.defer<number>();
    loop.callLater(2, () => d.resolve(9));
    t.is(await createTask(async () => await fromThenable(d.promise)), 9);
    t.is(loop.time(), 2);
    const err = new Error("q");
    const e = await outcome(createTask(async () => await fromThenable(Q.reject(err))));
    t.is(e, err);
    const gen = createTask(function* (): Coroutine<number> {
      return (yield* fromThenable(Q(1))) + (yield* fromThenable(Q.when(2)));
    });
    t.is(await gen, 3);
  });
});

test("q: its library awaits our Futures (Q(), Q.all, Q.async); cancellation arrives as a rejection", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    loop.callLater(1, () => fut.setResult("f"));
    t.is(await Q(fut), "f");
    t.deepEqual(await Q.all([fut, createTask(async () => sleep(1, "t"))]), ["f", "t"]);
    const co = Q.async(function* (): Generator<unknown, string, string> {
      const a = yield fut;
      return a + (yield loop.createTask(async () => sleep(1, "!"))); // run by Q, outside our loop
    });
    t.is(await co(), "f!");
    const pending = loop.createFuture();
    const viaQ = Q(pending).then(
      () => "fulfilled",
      (e: unknown) => e,
    );
    pending.cancel("q cancel");
    const e = await viaQ;
    t.true(e instanceof CancelledError);
    t.is((e as Error).message, "q cancel");
  });
});

test("q: cancelling our task that awaits a Q promise ends it cancelled at once", async (t) => {
  await runTest(async () => {
    const d = Q.defer<string>();
    const task = createTask(async () => fromThenable(d.promise));
    await sleep(1);
    task.cancel();
    t.true(isCancelledError(await outcome(task)));
    d.resolve("late"); // dropped, harmlessly
    t.is(await d.promise, "late");
  });
});

// ---- jQuery-style Deferred ------------------------------------------------------------

test("jQuery-style Deferred: resolved later, resolved already (synchronous then), several values, rejected", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const later = new JqDeferred();
    loop.callLater(1, () => later.resolve("later", "extra"));
    t.is(await fromThenable(later.promise() as PromiseLike<string>), "later"); // the first value, as Promises/A+
    const now = new JqDeferred().resolve("now");
    const f = fromThenable(now.promise() as PromiseLike<string>);
    t.true(f.done()); // then called back synchronously: done at once
    t.is(await f, "now");
    const err = new Error("jq");
    const rejected = new JqDeferred();
    const task = createTask(async () => fromThenable(rejected.promise() as PromiseLike<string>));
    await sleep(0);
    rejected.reject(err);
    t.is(await outcome(task), err);
  });
});

test("jQuery-style Deferred: a Deferred following our Future (as $.when adopts thenables)", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const when = (x: PromiseLike<unknown>): JqPromise => {
      const d = new JqDeferred();
      x.then(
        (v) => void d.resolve(v),
        (e) => void d.reject(e),
      );
      return d.promise();
    };
    const fut = loop.createFuture<number>();
    const got: unknown[] = [];
    when(fut)
      .done((v) => got.push(["done", v]))
      .fail((e) => got.push(["fail", e]));
    const cancelled = loop.createFuture();
    when(cancelled).fail((e) => got.push(["fail", (e as Error).message, isCancelledError(e)]));
    fut.setResult(1);
    cancelled.cancel("jq cancel");
    await sleep(0);
    await new Promise((r) => setImmediate(r));
    t.deepEqual(got, [
      ["done", 1],
      ["fail", "jq cancel", true],
    ]);
  });
});

// ---- native Promise round trips ----------------------------------------------------

test("native promises: toPromise(fromThenable(p)) and fromThenable(toPromise(f)) keep values, errors and cancellation", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    t.is(await toPromise(fromThenable(Promise.resolve("v"))), "v");
    const err = new Error("e");
    t.is(await outcome(toPromise(fromThenable(Promise.reject(err)))), err);
    const f = loop.createFuture<string>();
    const back: Future<string> = fromThenable(toPromise(f));
    f.cancel("c");
    const e = await outcome(back);
    t.true(isCancelledError(e));
    t.is((e as Error).message, "c");
    t.false(back.cancelled()); // across a promise, cancellation is a CancelledError rejection
  });
});

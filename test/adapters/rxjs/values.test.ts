// firstValueFrom / lastValueFrom as core Futures, against real rxjs 7.8.2
// objects: the same outcomes as rxjs's own (EmptyError, defaultValue, errors
// unchanged, synchronous emission), plus cancellation and AbortSignal
// (rxjs #6442), with the Subject unobserved afterwards.
import test from "ava";
import { getEventListeners } from "node:events";
import * as rx from "rxjs";
import { EMPTY, EmptyError, Observable, Subject, of, throwError } from "rxjs";
import { firstValueFrom, lastValueFrom } from "../../../adapters/rxjs/index.js";
import { CancelledError, createTask, sleep, type Future } from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

async function outcome<T>(p: PromiseLike<T>): Promise<["ok", T] | ["err", unknown]> {
  try {
    return ["ok", await p];
  } catch (e) {
    return ["err", e];
  }
}

test("firstValueFrom: the same outcomes as rxjs's firstValueFrom", async (t) => {
  await runTest(async () => {
    const cases: Array<[string, () => Observable<unknown>, { defaultValue?: unknown } | undefined]> = [
      ["of(1, 2)", () => of(1, 2), undefined],
      ["EMPTY", () => EMPTY, undefined],
      ["EMPTY with default", () => EMPTY, { defaultValue: "d" }],
      ["EMPTY with default undefined", () => EMPTY, { defaultValue: undefined }],
      ["error string", () => throwError(() => "boom"), undefined],
      ["error object", () => throwError(() => ({ code: 7 })), undefined],
    ];
    for (const [name, make, opts] of cases) {
      const ours = await outcome(opts ? firstValueFrom(make(), opts) : firstValueFrom(make()));
      const theirs = await outcome(
        opts ? rx.firstValueFrom(make(), opts as { defaultValue: unknown }) : rx.firstValueFrom(make()),
      );
      if (ours[0] === "err" && ours[1] instanceof EmptyError) {
        t.true(theirs[1] instanceof EmptyError, name);
        continue;
      }
      t.deepEqual(ours, theirs, name);
    }
  });
});

test("lastValueFrom: the same outcomes as rxjs's lastValueFrom", async (t) => {
  await runTest(async () => {
    const cases: Array<[string, () => Observable<unknown>, { defaultValue?: unknown } | undefined]> = [
      ["of(1, 2, 3)", () => of(1, 2, 3), undefined],
      ["EMPTY", () => EMPTY, undefined],
      ["EMPTY with default", () => EMPTY, { defaultValue: 0 }],
      [
        "values then error",
        () =>
          rx.concat(
            of(1),
            throwError(() => new Error("x")),
          ),
        undefined,
      ],
    ];
    for (const [name, make, opts] of cases) {
      const ours = await outcome(opts ? lastValueFrom(make(), opts) : lastValueFrom(make()));
      const theirs = await outcome(
        opts ? rx.lastValueFrom(make(), opts as { defaultValue: unknown }) : rx.lastValueFrom(make()),
      );
      if (ours[0] === "err") {
        t.is(theirs[0] as string, "err", name);
        t.is((ours[1] as Error).constructor, (theirs[1] as Error).constructor, name);
        continue;
      }
      t.deepEqual(ours, theirs, name);
    }
  });
});

test("firstValueFrom: a synchronous emission during subscribe unsubscribes from inside next", async (t) => {
  await runTest(async () => {
    let emittedAfter = false;
    let tornDown = false;
    const src = new Observable<number>((s) => {
      s.next(1);
      emittedAfter = !s.closed;
      s.next(2);
      return () => {
        tornDown = true;
      };
    });
    const fut = firstValueFrom(src);
    t.true(fut.done());
    t.is(await fut, 1);
    t.false(emittedAfter, "the subscriber is closed right after the first value");
    t.true(tornDown);
  });
});

test("firstValueFrom returns a core Future; errors pass unchanged", async (t) => {
  await runTest(async () => {
    const s = new Subject<number>();
    const fut = firstValueFrom(s);
    t.is(typeof (fut as Future<number>).cancel, "function");
    const err = { not: "an Error" };
    s.error(err);
    const e = await t.throwsAsync(fut as unknown as Promise<number>, { any: true });
    t.is(e, err as unknown as Error);
  });
});

for (const [name, fn] of [
  ["firstValueFrom", firstValueFrom],
  ["lastValueFrom", lastValueFrom],
] as const) {
  test(`${name}: cancel before the first value unsubscribes at once`, async (t) => {
    await runTest(async () => {
      const s = new Subject<number>();
      const fut = fn(s);
      t.true(s.observed);
      t.true(fut.cancel());
      t.false(s.observed, "unsubscribed inside cancel(), before the next iteration");
      s.next(1);
      t.true(fut.cancelled());
    });
  });

  test(`${name}: cancelling the awaiting Task unsubscribes`, async (t) => {
    await runTest(async () => {
      const s = new Subject<number>();
      const task = createTask(async () => fn(s));
      await sleep(0);
      t.true(s.observed);
      task.cancel();
      t.false(s.observed);
      const e = await t.throwsAsync(task as unknown as Promise<unknown>, { any: true });
      t.true(e instanceof CancelledError);
    });
  });

  test(`${name}: aborting the signal unsubscribes and fails with its reason`, async (t) => {
    await runTest(async () => {
      const s = new Subject<number>();
      const ac = new AbortController();
      const fut = fn(s, { signal: ac.signal });
      if (name === "lastValueFrom") s.next(1); // between values
      const reason = new Error("stop");
      ac.abort(reason);
      t.false(s.observed);
      const e = await t.throwsAsync(fut as unknown as Promise<unknown>);
      t.is(e, reason);
    });
  });

  test(`${name}: an already-aborted signal gives a failed Future and no subscription`, async (t) => {
    await runTest(async () => {
      let subscribed = 0;
      const src = new Observable<number>(() => {
        subscribed++;
      });
      const reason = new Error("already");
      const fut = fn(src, { signal: AbortSignal.abort(reason) });
      t.true(fut.done());
      t.is(subscribed, 0);
      t.is(fut.exception(), reason);
    });
  });

  test(`${name}: after completion, cancel is a no-op and the abort listener is gone`, async (t) => {
    await runTest(async () => {
      const s = new Subject<number>();
      const ac = new AbortController();
      const fut = fn(s, { signal: ac.signal });
      s.next(5);
      s.complete();
      t.is(await fut, 5);
      t.false(fut.cancel());
      t.false(s.observed);
      t.is(getEventListeners(ac.signal, "abort").length, 0);
      ac.abort(new Error("late")); // no effect, no report
      t.is(fut.result(), 5);
    });
  });
}

test("an error thrown by a teardown while cancelling goes to the exception handler once", async (t) => {
  const { loop } = await runOn(async () => {
    const src = new Observable<number>(() => () => {
      throw new Error("teardown failed");
    });
    const fut = firstValueFrom(src);
    fut.cancel();
    await sleep(0);
  });
  t.is(loop.errors.length, 1);
  t.regex(String((loop.errors[0]!.exception as Error).message), /teardown failed/);
});

test("without a running loop: RuntimeError", (t) => {
  t.throws(() => firstValueFrom(of(1)), { name: "RuntimeError" });
});

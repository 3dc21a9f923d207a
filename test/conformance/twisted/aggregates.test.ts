// Ports of test_defer.py's DeferredList / gatherResults tests (DeferredTests,
// DeferredListTests) and RaceTests (Twisted trunk).
import test from "ava";
import {
  DeferredCancelledError as CancelledError,
  Deferred,
  DeferredList,
  FAILURE,
  type Failure,
  FailureGroup,
  FirstError,
  SUCCESS,
  fail,
  gatherResults,
  race,
  succeed,
} from "../../../adapters/twisted/index.js";
import { GenericError, assertNoResult, failureResultOf, successResultOf } from "./trial.js";

test("DeferredTests.testDeferredList", (t) => {
  const defr1 = new Deferred<string>();
  const defr2 = new Deferred<string>();
  const defr3 = new Deferred<string>();
  const dl = new DeferredList([defr1, defr2, defr3]);
  const result: unknown[] = [];
  const cb = (resultList: unknown) => void result.push(...(resultList as unknown[]));
  dl.addCallbacks(cb, cb);
  defr1.callback("1");
  defr2.addErrback(() => undefined);
  defr2.errback(new GenericError("2"));
  defr3.callback("3");
  const r = result as Array<[boolean, unknown]>;
  t.deepEqual(
    [r[0], [r[1]![0], ((r[1]![1] as Failure).value as Error).message], r[2]],
    [
      [SUCCESS, "1"],
      [FAILURE, "2"],
      [SUCCESS, "3"],
    ],
  );
});

test("DeferredTests.testEmptyDeferredList", (t) => {
  const result: unknown[] = [];
  const dl1 = new DeferredList([]);
  dl1.addCallbacks((r) => void result.push(r));
  t.deepEqual(result, [[]]);
  result.length = 0;
  const dl2 = new DeferredList([], { fireOnOneCallback: true });
  dl2.addCallbacks((r) => void result.push(r));
  t.deepEqual(result, []); // never fires
});

test("DeferredTests.testDeferredListFireOnOneError", (t) => {
  const defr1 = new Deferred<string>();
  const defr2 = new Deferred<string>();
  const defr3 = new Deferred<string>();
  const dl = new DeferredList([defr1, defr2, defr3], { fireOnOneErrback: true });
  const result: Failure[] = [];
  dl.addErrback((f) => void result.push(f));
  defr2.addErrback(() => undefined);
  defr1.callback("1");
  t.deepEqual(result, []);
  defr2.errback(new GenericError("from def2"));
  t.is(result.length, 1);
  const aFailure = result[0]!;
  t.truthy(aFailure.check(FirstError));
  const firstError = aFailure.value as FirstError;
  t.is(firstError.subFailure.type, GenericError);
  t.is((firstError.subFailure.value as Error).message, "from def2");
  t.is(firstError.index, 1);
  void defr3;
});

test("DeferredListTests.testDeferredListDontConsumeErrors", (t) => {
  const d1 = new Deferred<void>();
  const dl = new DeferredList([d1]);
  const errorTrap: Failure[] = [];
  d1.addErrback((f) => void errorTrap.push(f));
  const resultLists: unknown[] = [];
  dl.addCallback((r) => void resultLists.push(r));
  d1.errback(new GenericError("Bang"));
  t.is((errorTrap[0]!.value as Error).message, "Bang");
  t.is(resultLists.length, 1);
  const firstResult = (resultLists[0] as Array<[boolean, Failure]>)[0]!;
  t.is((firstResult[1].value as Error).message, "Bang");
});

test("DeferredTests.testDeferredListConsumeErrors", (t) => {
  const d1 = new Deferred<void>();
  const dl = new DeferredList([d1], { consumeErrors: true });
  const errorTrap: Failure[] = [];
  d1.addErrback((f) => void errorTrap.push(f));
  const resultLists: unknown[] = [];
  dl.addCallback((r) => void resultLists.push(r));
  d1.errback(new GenericError("Bang"));
  t.deepEqual(errorTrap, []);
  t.is(resultLists.length, 1);
  const firstResult = (resultLists[0] as Array<[boolean, Failure]>)[0]!;
  t.is((firstResult[1].value as Error).message, "Bang");
});

test("DeferredListTests.testDeferredListWithAlreadyFiredDeferreds", (t) => {
  const d1 = new Deferred<number>();
  const d2 = new Deferred<number>();
  d1.errback(new GenericError("Bang"));
  d2.callback(2);
  const dl = new DeferredList([d1, d2]);
  const result: unknown[] = [];
  dl.addCallback((r) => void result.push(r));
  t.is(result.length, 1);
  d1.addErrback(() => undefined);
});

test("DeferredTests.test_cancelDeferredList", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo]);
  deferredList.cancel();
  failureResultOf(deferredOne, CancelledError);
  failureResultOf(deferredTwo, CancelledError);
  t.is((successResultOf(deferredList) as unknown[]).length, 2);
});

test("DeferredListTests.test_cancelFiredOnOneCallbackDeferredList", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneCallback: true });
  deferredOne.callback(undefined);
  deferredList.cancel();
  assertNoResult(deferredTwo);
  t.deepEqual(successResultOf(deferredList), [undefined, 0]);
});

test("DeferredListTests.test_cancelFiredOnOneErrbackDeferredList", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo], { fireOnOneErrback: true });
  deferredOne.errback(new GenericError("test"));
  deferredList.cancel();
  assertNoResult(deferredTwo);
  failureResultOf(deferredOne, GenericError);
  failureResultOf(deferredList, FirstError);
  t.pass();
});

test("DeferredListTests.test_cancelDeferredListWithException", (t) => {
  // A canceller that throws is logged; the other members are still cancelled.
  const deferredOne = new Deferred<void>(() => {
    throw new GenericError("test");
  });
  const deferredTwo = new Deferred<void>();
  const deferredList = new DeferredList([deferredOne, deferredTwo]);
  const logged: string[] = [];
  const orig = console.error;
  console.error = (s: string) => void logged.push(s);
  try {
    deferredList.cancel();
  } finally {
    console.error = orig;
  }
  failureResultOf(deferredTwo, CancelledError);
  t.is(logged.length, 1);
  t.regex(logged[0]!, /GenericError: test/);
  assertNoResult(deferredOne);
});

test("DeferredTests.test_gatherResultsWithConsumeErrors", (t) => {
  const dgood = succeed(1);
  const dbad = fail(new RangeError("oh noes"));
  const d = gatherResults<number>([dgood, dbad], { consumeErrors: true });
  const unconsumedErrors: Failure[] = [];
  dbad.addErrback((f) => void unconsumedErrors.push(f));
  const gatheredErrors: Failure[] = [];
  d.addErrback((f) => void gatheredErrors.push(f));
  t.deepEqual([unconsumedErrors.length, gatheredErrors.length], [0, 1]);
  t.true(gatheredErrors[0]!.value instanceof FirstError);
  const firstError = (gatheredErrors[0]!.value as FirstError).subFailure;
  t.true(firstError.value instanceof RangeError);
});

test("DeferredTests.test_cancelGatherResults", (t) => {
  const deferredOne = new Deferred<void>();
  const deferredTwo = new Deferred<void>();
  const result = gatherResults([deferredOne, deferredTwo]);
  result.cancel();
  failureResultOf(deferredOne, CancelledError);
  failureResultOf(deferredTwo, CancelledError);
  const gatherResultsFailure = failureResultOf(result, FirstError);
  const firstError = gatherResultsFailure.value as FirstError;
  t.truthy(firstError.subFailure.check(CancelledError));
});

test("gatherResults fires with the plain results in order", (t) => {
  const a = new Deferred<number>();
  const d = gatherResults([a, succeed(2)]);
  assertNoResult(d);
  a.callback(1);
  t.deepEqual(successResultOf(d), [1, 2]);
});

// ---- RaceTests (Twisted trunk's defer.race) --------------------------------------

test("RaceTests.test_success", (t) => {
  // Whichever Deferred succeeds first wins; the others are cancelled.
  // race() consumes its members' results (its callbacks return undefined),
  // so cancellation is observed through the cancellers.
  for (let index = 0; index < 3; index++) {
    const cancelled: number[] = [];
    const ds = [0, 1, 2].map((i) => new Deferred<string>(() => void cancelled.push(i)));
    const raceResult = race(ds);
    ds[index]!.callback("winner");
    t.deepEqual(successResultOf(raceResult), [index, "winner"]);
    t.deepEqual(
      cancelled,
      [0, 1, 2].filter((i) => i !== index),
    );
    for (const d of ds) t.is(d.result, undefined);
  }
});

test("RaceTests.test_failure", (t) => {
  const ds = [new Deferred<string>(), new Deferred<string>()];
  const raceResult = race(ds);
  ds[1]!.errback(new GenericError("second"));
  assertNoResult(raceResult);
  ds[0]!.errback(new GenericError("first"));
  const f = failureResultOf(raceResult, FailureGroup);
  t.deepEqual(
    (f.value as FailureGroup).failures.map((x) => x.getErrorMessage()),
    ["first", "second"],
  );
});

test("RaceTests.test_resultAfterCancel", (t) => {
  // A loser without canceller may still be fired once by its producer after the race cancelled it: ignored.
  const ds = [new Deferred<string>(), new Deferred<string>()];
  const raceResult = race(ds);
  ds[1]!.callback("second");
  ds[0]!.callback("late");
  t.deepEqual(successResultOf(raceResult), [1, "second"]);
});

test("RaceTests.test_resultFromCancel", (t) => {
  // A loser whose canceller fires it with a success does not become the winner.
  const ds = [new Deferred<string>((d) => d.callback("from cancel")), new Deferred<string>()];
  const raceResult = race(ds);
  ds[1]!.callback("winner");
  t.deepEqual(successResultOf(raceResult), [1, "winner"]);
});

test("RaceTests.test_cancel", (t) => {
  const cancelled: number[] = [];
  const ds = [0, 1].map((i) => new Deferred<string>(() => void cancelled.push(i)));
  const raceResult = race(ds);
  raceResult.cancel();
  t.deepEqual(cancelled, [0, 1]);
  const f = failureResultOf(raceResult, FailureGroup);
  t.is((f.value as FailureGroup).failures.length, 2);
});

// Failure (twisted/python/failure.py; test_failure.py's FailureTests where
// they apply to JavaScript values).
import test from "ava";
import {
  Failure,
  Deferred,
  setDebugging,
  getDebugging,
  inlineCallbacks,
  succeed,
} from "../../../adapters/twisted/index.js";
import { collectGarbage, runOn } from "../../helpers/loop.js";
import { successResultOf } from "./trial.js";

class Base extends Error {}
class Derived extends Base {}

test("FailureTests.test_failAndTrap: trap returns the matching class, re-throws the value otherwise", (t) => {
  const f = new Failure(new Derived("d"));
  t.is(f.trap(RangeError, Base), Base);
  const e = t.throws(() => f.trap(RangeError, TypeError));
  t.is(e, f.value as Error);
});

test("FailureTests.test_check: classes or qualified names", (t) => {
  const f = new Failure(new Derived("d"));
  t.is(f.check(Derived), Derived);
  t.is(f.check(RangeError), undefined);
  t.is(f.check("Base"), "Base");
  t.is(f.check("Error"), "Error");
  t.deepEqual(f.parents, ["Derived", "Base", "Error"]);
  t.is(f.type, Derived);
});

test("FailureTests.test_failureOfFailure: a Failure of a Failure copies it", (t) => {
  const inner = new Failure(new Base("x"));
  const outer = new Failure(inner);
  t.is(outer.value, inner.value);
  t.is(outer.type, Base);
});

test("FailureTests: any thrown value is wrapped (strings, undefined, objects)", (t) => {
  const s = new Failure("plain string");
  t.is(s.getErrorMessage(), "plain string");
  t.is(s.type, undefined);
  t.regex(s.getTraceback(), /^Traceback \(most recent call last\):\n[\s\S]*string: plain string$/);
  t.is(new Failure(undefined).getErrorMessage(), "undefined");
  t.is(new Failure({ message: "object with message" }).getErrorMessage(), "object with message");
  let thrown: unknown;
  try {
    new Failure(42).raiseException();
  } catch (e) {
    thrown = e;
  }
  t.is(thrown, 42);
});

test("FailureTests.test_getTraceback / toString: Twisted's layout", (t) => {
  const f = new Failure(new RangeError("out of range"));
  const tb = f.getTraceback();
  t.regex(tb, /^Traceback \(most recent call last\):\n/);
  t.regex(tb, /\n\s+at /);
  t.regex(tb, /\nRangeError: out of range$/);
  t.is(f.getBriefTraceback(), "RangeError: out of range");
  t.is(String(f), "[Failure instance: Traceback: RangeError: out of range]");
  const lines: string[] = [];
  f.printTraceback((s) => void lines.push(s));
  t.is(lines[0], tb);
});

test("Failure.throwExceptionIntoGenerator", (t) => {
  function* g(): Generator<number, string, unknown> {
    try {
      yield 1;
    } catch (e) {
      return `caught ${(e as Error).message}`;
    }
    return "no";
  }
  const gen = g();
  gen.next();
  const r = new Failure(new Error("boom")).throwExceptionIntoGenerator(gen);
  t.deepEqual(r, { done: true, value: "caught boom" });
});

test("nested inlineCallbacks: 500 levels, each waiting on the next", (t) => {
  const leaf = new Deferred<number>();
  const step = inlineCallbacks(function* (n: number): Generator<unknown, number, unknown> {
    if (n === 0) return (yield leaf) as number;
    return ((yield step(n - 1)) as number) + 1;
  });
  // Building the chain recurses through the calls, and the result travels
  // back up through each level's step, as in Twisted (Python's recursion
  // limit is 1000 frames; V8's default stack holds about 10,000).
  const d = step(500);
  leaf.callback(0);
  t.is(successResultOf(d), 500);
});

test.serial("debug mode: the unhandled-error report carries the creator and invoker stacks", async (t) => {
  const was = getDebugging();
  setDebugging(true);
  try {
    const { loop } = await runOn(async () => {
      (function makeFailingDeferred() {
        const d = new Deferred<void>();
        (function fireIt() {
          d.errback(new Error("debugged"));
        })();
      })();
      await collectGarbage();
    });
    const ctx = loop.errors.find((e) => e.message === "Unhandled error in Deferred:") as unknown as
      | { traceback: string }
      | undefined;
    t.truthy(ctx);
    t.regex(ctx!.traceback, /\(debug: {2}C: Deferred was created:\n C:.*makeFailingDeferred/s);
    t.regex(ctx!.traceback, / I: First Invoker was:\n I:.*fireIt/s);
  } finally {
    setDebugging(was);
  }
});

test("succeed() then a Failure-returning callback then recovery", (t) => {
  const d = succeed(1)
    .addCallback(() => new Failure(new Base("b")))
    .addErrback((f) => (f.trap(Base), "recovered"));
  t.is(successResultOf(d), "recovered");
});

// Ports of test_defer.py's LogTests: a Deferred collected while its result is
// a Failure reports "Unhandled error in Deferred:" once, through the running
// loop's exception handler (Python reports in DebugInfo.__del__; we use a
// FinalizationRegistry, exercised with --expose-gc).
import test from "ava";
import { Deferred, Failure, fail, DeferredList, logError } from "../../../adapters/twisted/index.js";
import { collectGarbage, runOn } from "../../helpers/loop.js";

function unhandled(errors: Array<{ message?: string }>) {
  return errors.filter((e) => e.message === "Unhandled error in Deferred:");
}

test.serial("LogTests.test_errorLog", async (t) => {
  const { loop } = await runOn(async () => {
    (() => {
      const d = new Deferred<number>();
      d.addCallback(() => {
        throw new RangeError("division by zero");
      });
      d.callback(1);
    })();
    await collectGarbage();
  });
  const errs = unhandled(loop.errors);
  t.is(errs.length, 1);
  const ctx = errs[0] as unknown as { failure: Failure; exception: unknown; traceback: string };
  t.truthy(ctx.failure.trap(RangeError));
  t.true(ctx.exception instanceof RangeError);
  t.regex(ctx.traceback, /^Traceback \(most recent call last\):/);
  t.regex(ctx.traceback, /RangeError: division by zero$/);
});

test.serial("LogTests.test_errorLogWithInnerFrameCycle", async (t) => {
  const { loop } = await runOn(async () => {
    (function _subErrorLogWithInnerFrameCycle() {
      const d = new Deferred<number>() as Deferred<number> & { _d?: unknown };
      d.addCallback(() => {
        void d; // the callback's closure references d: a cycle
        throw new RangeError("division by zero");
      });
      d._d = d;
      d.callback(1);
    })();
    await collectGarbage();
  });
  t.is(unhandled(loop.errors).length, 1);
});

test.serial("LogTests.test_chainedErrorCleanup", async (t) => {
  const { loop } = await runOn(async () => {
    (() => {
      const d = new Deferred<void>();
      d.addCallback(() => fail(new RangeError("zoop")));
      d.callback(undefined);
      const results: unknown[] = [];
      const errors: Failure[] = [];
      d.addCallbacks(
        (r) => void results.push(r),
        (f) => void errors.push(f),
      );
      if (results.length !== 0 || errors.length !== 1) throw new Error("unexpected");
      errors[0]!.trap(Error);
    })();
    await collectGarbage();
  });
  t.deepEqual(unhandled(loop.errors), []);
});

test.serial("LogTests.test_errorClearedByChaining", async (t) => {
  const { loop } = await runOn(async () => {
    (() => {
      const bad = fail(new Error("oh no"));
      const good = new Deferred<void>();
      bad.addErrback(() => good);
    })();
    await collectGarbage();
  });
  t.deepEqual(unhandled(loop.errors), []);
});

test.serial("consumeErrors: a DeferredList member's failure is not reported", async (t) => {
  const { loop } = await runOn(async () => {
    (() => {
      const d = new Deferred<void>();
      new DeferredList([d], { consumeErrors: true }).addCallback(() => undefined);
      d.errback(new Error("consumed"));
    })();
    await collectGarbage();
  });
  t.deepEqual(unhandled(loop.errors), []);
});

test.serial("awaiting a failed Deferred handles its failure", async (t) => {
  const { loop } = await runOn(async () => {
    await (async () => {
      try {
        await fail(new Error("seen"));
      } catch {
        // handled
      }
    })();
    await collectGarbage();
  });
  t.deepEqual(unhandled(loop.errors), []);
});

test.serial("without a running loop the report goes to console.error", async (t) => {
  const logged: string[] = [];
  const orig = console.error;
  console.error = (s: string) => void logged.push(s);
  try {
    (() => {
      fail(new TypeError("nobody listens"));
    })();
    await collectGarbage();
  } finally {
    console.error = orig;
  }
  t.is(logged.length, 1);
  t.regex(logged[0]!, /^Unhandled error in Deferred:\nTraceback \(most recent call last\):/);
  t.regex(logged[0]!, /TypeError: nobody listens/);
});

test.serial("LogTests.test_errorLogWithInnerFrameRef", async (t) => {
  const { loop } = await runOn(async () => {
    (function _subErrorLogWithInnerFrameRef() {
      const d = new Deferred<number>();
      d.addCallback(() => {
        throw new RangeError("division by zero");
      });
      d.callback(1);
    })();
    await collectGarbage();
  });
  t.is(unhandled(loop.errors).length, 1);
});

test.serial(
  "LogTests.test_errorLogDebugInfo: a Deferred with debug set on the instance reports its invoker",
  async (t) => {
    const { loop } = await runOn(async () => {
      (function doit() {
        const d = new Deferred<number>();
        d.debug = true;
        d.addCallback(() => {
          throw new RangeError("division by zero");
        });
        d.callback(1);
      })();
      await collectGarbage();
    });
    const errs = unhandled(loop.errors) as unknown as Array<{ traceback: string }>;
    t.is(errs.length, 1);
    t.regex(errs[0]!.traceback, /\n\(debug: {2}I: First Invoker was:\n I:.*doit/s);
  },
);

test.serial("UtilTests.test_logErrorReturnsError / test_logErrorLogsError", async (t) => {
  const { loop } = await runOn(async () => {
    const error = new Failure(new RangeError());
    t.is(logError(error), error);
  });
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0] as unknown as { failure: Failure }).failure.value instanceof RangeError, true);
});

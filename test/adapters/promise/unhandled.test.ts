// One unhandled-error policy with the core: a failed Future or Task that
// nobody handles is reported once, through the loop's exception handler
// (when it is garbage-collected: asyncio's "exception was never retrieved"),
// never also as Node's unhandledRejection, and never lost. Serial: these
// tests force garbage collection and watch process-wide events.
import test from "ava";
import Bluebird from "bluebird";
import { createTask, getRunningLoop, sleep } from "../../../src/index.js";
import { dualApi, fromThenable, fromCallback, toCallback, toPromise } from "../../../adapters/promise/index.js";
import { collectGarbage, runOn, type TestLoop } from "../../helpers/loop.js";

// Runs `scenario` on a fresh loop, drops every reference to what it made,
// collects garbage, and returns what the loop's handler and Node reported.
async function reports(scenario: () => Promise<void>): Promise<{ loop: TestLoop; unhandled: unknown[] }> {
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown): void => void unhandled.push(r);
  process.on("unhandledRejection", onUnhandled);
  try {
    const { loop } = await runOn(scenario);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    await collectGarbage();
    await collectGarbage();
    return { loop, unhandled };
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
}

const messages = (loop: TestLoop) => loop.errors.map((c) => [c.message, (c.exception as Error)?.message]);

test.serial(
  "test_future_exception_never_retrieved: fromThenable of a rejected promise nobody awaits: reported once by the loop, not by Node",
  async (t) => {
    const { loop, unhandled } = await reports(async () => {
      fromThenable(Promise.reject(new Error("native")));
      fromThenable(Bluebird.reject(new Error("bluebird")));
      await sleep(0);
    });
    t.deepEqual(messages(loop).sort(), [
      ["Future exception was never retrieved", "bluebird"],
      ["Future exception was never retrieved", "native"],
    ]);
    t.deepEqual(unhandled, []);
  },
);

test.serial("handled failures are not reported: awaited, then(), result(), exception()", async (t) => {
  const { loop, unhandled } = await reports(async () => {
    await fromThenable(Promise.reject(new Error("a"))).then(undefined, () => {});
    const b = fromThenable(Promise.reject(new Error("b")));
    await sleep(0);
    b.exception();
    try {
      await fromThenable(Promise.reject(new Error("c")));
    } catch {
      // handled
    }
  });
  t.deepEqual(loop.errors, []);
  t.deepEqual(unhandled, []);
});

test.serial(
  "a Task failing with a foreign promise's rejection, never awaited: 'Task exception was never retrieved', once",
  async (t) => {
    const { loop, unhandled } = await reports(async () => {
      createTask(async () => {
        await Bluebird.reject(new Error("in task"));
      });
      await sleep(1);
    });
    t.deepEqual(messages(loop), [["Task exception was never retrieved", "in task"]]);
    t.deepEqual(unhandled, []);
  },
);

test.serial("fromCallback: a failed Future nobody retrieves is reported once", async (t) => {
  const { loop, unhandled } = await reports(async () => {
    const api = (cb: (err: unknown) => void): void => void setImmediate(() => cb(new Error("cb failed")));
    fromCallback(api)();
    await new Promise((r) => setImmediate(r));
    await sleep(0);
  });
  t.deepEqual(messages(loop), [["Future exception was never retrieved", "cb failed"]]);
  t.deepEqual(unhandled, []);
});

test.serial(
  "toPromise: an unhandled failure is reported once by the loop (never by Node); a handled one is not reported",
  async (t) => {
    const { loop, unhandled } = await reports(async () => {
      const l = getRunningLoop();
      const f = l.createFuture();
      toPromise(f); // nobody ever handles it
      f.setException(new Error("dropped promise"));
      const g = l.createFuture();
      const p = toPromise(g);
      g.setException(new Error("handled later"));
      await sleep(0);
      await new Promise((r) => setImmediate(r));
      await p.catch(() => {}); // handled after it was rejected
      const h = l.createFuture();
      toPromise(h);
      h.cancel(); // cancellations are never reported
      await sleep(0);
    });
    t.deepEqual(messages(loop), [["Future exception was never retrieved", "dropped promise"]]);
    t.deepEqual(unhandled, []);
  },
);

test.serial(
  "toCallback and dualApi create no native promise that rejects unhandled, and report nothing when the callback gets the error",
  async (t) => {
    const { loop, unhandled } = await reports(async () => {
      const l = getRunningLoop();
      const f = l.createFuture();
      f.setException(new Error("to callback"));
      const got: unknown[] = [];
      await new Promise<void>((res) =>
        toCallback(() => f)((e: unknown) => {
          got.push(e);
          res();
        }),
      );
      await new Promise<void>((res) =>
        dualApi(async () => {
          throw new Error("dual");
        })((e: unknown) => {
          got.push(e);
          res();
        }),
      );
      t.is(got.length, 2);
    });
    t.deepEqual(loop.errors, []);
    t.deepEqual(unhandled, []);
  },
);

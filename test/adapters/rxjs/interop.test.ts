// The interop key end to end with real rxjs 7.8.2: with a Symbol.observable
// polyfill loaded first (in a child process: rxjs and the core read the
// symbol once, at load), and rxjs operators driving a Task's cancellation
// in virtual time through loopScheduler.
import test from "ava";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { from, timeout } from "rxjs";
import { loopScheduler, toObservable } from "../../../adapters/rxjs/index.js";
import { createTask, getRunningLoop, sleep } from "../../../src/index.js";
import { runTest } from "../../helpers/loop.js";

test("with a Symbol.observable polyfill loaded first, rxjs uses the symbol and still takes the interop path (Future, Task, Greenlet, Deferred)", (t) => {
  const child = fileURLToPath(new URL("symbol-observable-child.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import=tsx", child], { encoding: "utf8", timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  t.deepEqual(out, {
    hasSymbol: true,
    v: 7,
    thenCalls: 0,
    taskCancelled: true,
    greenletHasSymbol: true,
    greenletValue: 5,
    deferredHasSymbol: true,
    deferredValue: 3,
    deferredResultKept: 3,
  });
});

test("from(task).pipe(timeout(...)) on the loop's clock cancels the task when the timeout fires", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    let finallyAt: number | undefined;
    const task = createTask(async () => {
      try {
        await sleep(3600);
      } finally {
        finallyAt = loop.time();
      }
    });
    const errors: unknown[] = [];
    from(task)
      .pipe(timeout({ first: 5000, scheduler: loopScheduler() }))
      .subscribe({ error: (e) => errors.push(e) });
    await sleep(10);
    t.is((errors[0] as Error).name, "TimeoutError");
    t.true(task.cancelled());
    t.is(finallyAt, 5);
  });
});

test("toObservable(task) with two subscribers: the first to leave does not cancel it", async (t) => {
  await runTest(async () => {
    const task = createTask(() => sleep(1, "done"));
    const a = toObservable(task).subscribe();
    const got: unknown[] = [];
    toObservable(task).subscribe((v) => got.push(v));
    a.unsubscribe();
    await sleep(2);
    t.deepEqual(got, ["done"]);
    t.false(task.cancelled());
  });
});

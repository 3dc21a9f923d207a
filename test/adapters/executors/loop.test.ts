// The loop's default executor (asyncio's run_in_executor(None, ...) and
// shutdown_default_executor), runInExecutor, toThread, and a process that
// exits on its own. The core parts use a fake executor: the core knows
// executors only through LoopExecutor.shutdown.
import test from "ava";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  EventLoop,
  RuntimeError,
  gather,
  getRunningLoop,
  run,
  runVirtual,
  sleep,
  type LoopExecutor,
} from "../../../src/index.js";
import { ThreadPoolExecutor, defaultExecutor, runInExecutor, toThread } from "../../../adapters/executors/index.js";
import { job } from "./job.js";

test.serial("the default executor is made on first use and shut down by run(), waiting for its work", async (t) => {
  let loop: EventLoop | undefined;
  let pool: ThreadPoolExecutor | undefined;
  let pending: PromiseLike<unknown> | undefined;
  let fut: ReturnType<typeof runInExecutor> | undefined;
  const r = await run(async () => {
    loop = getRunningLoop();
    t.is(loop.getDefaultExecutor(), undefined);
    const three = await toThread(job("add"), 1, 2);
    pool = loop.getDefaultExecutor() as ThreadPoolExecutor;
    t.true(pool instanceof ThreadPoolExecutor);
    t.is(defaultExecutor(loop), pool);
    // left running when main returns: run() waits for it at exit
    fut = runInExecutor(loop, null, job("echoLater"), "late");
    pending = fut.then(() => {});
    return three;
  });
  t.is(r, 3);
  t.true(pool!.statistics().shutdown);
  t.is(pool!.statistics().running, 0);
  t.true(fut!.done());
  t.is(fut!.result(), "late");
  await pending;
  t.is(loop!.getDefaultExecutor(), undefined);
});

test.serial(
  "runVirtual: jobs run on real threads while virtual time jumps; run() still shuts the pool down",
  async (t) => {
    let pool: ThreadPoolExecutor | undefined;
    const r = await runVirtual(async () => {
      const [x] = await gather(toThread(job("echoLater"), 7), sleep(3600));
      pool = defaultExecutor(getRunningLoop()) as ThreadPoolExecutor;
      return [x, getRunningLoop().time()];
    });
    t.deepEqual(r, [7, 3600]);
    t.true(pool!.statistics().shutdown);
  },
);

test.serial(
  "runInExecutor after shutdownDefaultExecutor: RuntimeError; an explicit executor still works",
  async (t) => {
    await run(async () => {
      const loop = getRunningLoop();
      await loop.shutdownDefaultExecutor();
      t.throws(() => runInExecutor(loop, null, job("add"), 1, 2), {
        instanceOf: RuntimeError,
        message: "Executor shutdown has been called",
      });
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const f = runInExecutor(loop, pool, job("untilAborted"), 0);
      f.cancel();
      await t.throwsAsync(f, { instanceOf: CancelledError });
      t.is(await runInExecutor(loop, pool, job("add"), 2, 2), 4);
    });
  },
);

test("loop.close() shuts the default executor down without waiting; Runner waits, with a real-time timeout", async (t) => {
  const calls: unknown[] = [];
  const fake: LoopExecutor = { shutdown: (o) => void calls.push(o) };
  const loop = new EventLoop();
  loop.setDefaultExecutor(fake);
  t.is(loop.getDefaultExecutor(), fake);
  loop.close();
  t.deepEqual(calls, [{ wait: false }]);
  t.is(loop.getDefaultExecutor(), undefined);
  t.throws(() => loop.setDefaultExecutor({} as LoopExecutor), { instanceOf: TypeError });

  const warnings: string[] = [];
  const stuck = new EventLoop();
  stuck.logger = { error: () => {}, warn: (m: string) => void warnings.push(m) };
  stuck.setDefaultExecutor({ shutdown: () => new Promise<void>(() => {}) });
  await stuck.shutdownDefaultExecutor(0.01);
  t.regex(warnings[0]!, /did not finish joining its threads within 0.01 seconds/);
  t.throws(() => stuck.getDefaultExecutor(() => fake), { message: "Executor shutdown has been called" });
  stuck.close();
});

test("a program using executors exits on its own (no leaked worker, child or handle)", (t) => {
  const script = fileURLToPath(new URL("../../fixtures/executors-exit.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--import=tsx", script], { encoding: "utf8", timeout: 30_000 });
  t.is(child.error, undefined, "the child exited within 30 s");
  t.is(child.status, 0, child.stderr);
  t.regex(child.stdout, /result=15/);
});

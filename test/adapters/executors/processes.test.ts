// ProcessPoolExecutor on real child processes (fork, advanced
// serialisation). The children run the TypeScript job module through the
// `--import=tsx` they inherit from the test process's execArgv. Real time:
// the work runs in other processes; waits are bounded polls.
import test from "ava";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CancelledError, createTask, gather, run, sleep } from "../../../src/index.js";
import { ProcessPoolExecutor, WorkerCrashedError } from "../../../adapters/executors/index.js";
import { job } from "./job.js";

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await sleep(0.005);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

test.serial("results, map and error transfer across processes", async (t) => {
  await run(async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    t.deepEqual(await gather(pool.submit(job("add"), 1, 2), pool.submit(job("fib"), 12)), [3, 144]);
    const out: number[] = [];
    for await (const v of pool.map(job("add"), [1, 2, 3], [1, 1, 1])) out.push(v);
    t.deepEqual(out, [2, 3, 4]);
    const e = await t.throwsAsync(pool.submit(job("throwsCustom")));
    t.is(e!.constructor.name, "ParseError");
    t.is((e as unknown as { code: string }).code, "E_PARSE");
    t.true(e!.cause instanceof RangeError);
    t.regex(e!.stack!, /jobs\.ts/);
    // arguments that cannot be serialised: a clear error, and the child stays usable
    await t.throwsAsync(
      pool.submit(job("argsSeen"), () => 1),
      { message: /could not be cloned/ },
    );
    t.is(await pool.submit(job("add"), 1, 1), 2);
  });
});

test.serial("test_cancel_queued and a cancelled running job in a child", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-exec-"));
  try {
    await run(async () => {
      await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
      const running = pool.submit(job("untilAborted"), 0);
      const marker = path.join(dir, "ran");
      const queued = pool.submit(job("touch"), marker);
      t.like(pool.statistics(), { running: 1, queued: 1 });
      queued.cancel();
      t.like(pool.statistics(), { running: 1, queued: 0 });
      await sleep(0.05);
      running.cancel();
      await t.throwsAsync(running, { instanceOf: CancelledError });
      await until(() => pool.statistics().running === 0, "the child to see the abort");
      // a Task cancelled while it awaits: the child is freed too
      const task = createTask(async () => pool.submit(job("untilAborted"), 0));
      await sleep(0.05);
      task.cancel();
      await t.throwsAsync(task, { instanceOf: CancelledError });
      await until(() => pool.statistics().running === 0, "the child to see the second abort");
      t.is(await pool.submit(job("add"), 2, 3), 5);
      t.false(existsSync(marker));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial("a crashing child (exit, SIGKILL, uncaught error) fails its job clearly and is replaced", async (t) => {
  await run(async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    const exited = await t.throwsAsync(pool.submit(job("exitWith"), 5), { instanceOf: WorkerCrashedError });
    t.is((exited as WorkerCrashedError).exitCode, 5);
    t.regex(exited!.message, /exited \(code 5\)/);
    const killed = await t.throwsAsync(pool.submit(job("killSelf")), { instanceOf: WorkerCrashedError });
    t.is((killed as WorkerCrashedError).signal, "SIGKILL");
    const uncaught = await t.throwsAsync(pool.submit(job("crashesInside")), { instanceOf: WorkerCrashedError });
    t.true(uncaught!.cause instanceof SyntaxError);
    t.is(await pool.submit(job("add"), 1, 1), 2);
  });
});

test.serial("shutdown with pending work in children", async (t) => {
  await run(async () => {
    const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    const futs = ["a", "b", "c"].map((x) => pool.submit(job("echoLater"), x));
    const last = pool.submit(job("echoLater"), "d");
    await pool.shutdown({ wait: true, cancelFutures: false });
    t.deepEqual(await gather(...futs, last), ["a", "b", "c", "d"]);
    t.like(pool.statistics(), { running: 0, queued: 0, completed: 4, shutdown: true });
  });
});

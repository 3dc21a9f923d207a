// Twisted's deferToThread / deferToThreadPool over the executors. Twisted's
// own Deferred from deferToThread has no canceller (a Python thread cannot
// be stopped): cancel() just errbacks with CancelledError. Here cancel()
// also cancels the job (queued: removed; running: its signal aborted).
import test from "ava";
import { getRunningLoop, run, sleep } from "../../../src/index.js";
import {
  DeferredCancelledError as CancelledError,
  type Failure,
  Reactor,
  reactor,
} from "../../../adapters/twisted/index.js";
import { ThreadPoolExecutor, deferToThread, deferToThreadPool } from "../../../adapters/executors/index.js";
import { job } from "./job.js";

test.serial("deferToThread fires with the result; errors arrive as a Failure", async (t) => {
  await run(async () => {
    t.is(await deferToThread(job("add"), 20, 22), 42);
    const d = deferToThread(job("throwsType"));
    const f = await new Promise<Failure>((resolve) => d.addErrback((x: Failure) => resolve(x)));
    t.true(f.check(TypeError) !== undefined);
  });
});

test.serial(
  "deferToThreadPool: cancel() fails the Deferred with CancelledError and aborts the running job",
  async (t) => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const r = new Reactor(getRunningLoop());
      const d = deferToThreadPool(r, pool, job("untilAborted"), 0);
      const queued = deferToThreadPool(reactor, pool, job("add"), 1, 2);
      let failure: Failure | undefined;
      d.addErrback((f: Failure) => {
        failure = f;
      });
      queued.addErrback(() => undefined);
      await sleep(0.05);
      d.cancel();
      queued.cancel();
      t.true(failure?.check(CancelledError) !== undefined);
      t.is(pool.statistics().queued, 0);
      for (let i = 0; i < 2000 && pool.statistics().running > 0; i++) await sleep(0.005);
      t.is(pool.statistics().running, 0);
      t.is(await deferToThreadPool(r, pool, job("add"), 2, 3), 5);
    });
  },
);

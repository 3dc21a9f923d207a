// ThreadPoolExecutor on real worker threads (piscina). The workers run the
// TypeScript job module through tsx: they inherit the test process's
// `--import=tsx`, and on Node 20 (where module.register hooks do not reach
// worker threads) the worker falls back to tsx's `require` hook for .ts.
// One small pool per concern, tiny jobs; no timing assertions.
import test from "ava";
import {
  CancelledError,
  RuntimeError,
  createTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from "../../../src/index.js";
import {
  MissingPeerError,
  ThreadPoolExecutor,
  WorkerCrashedError,
  pureFunction,
  target,
  type AnyTarget,
} from "../../../adapters/executors/index.js";
import { _setPiscinaLoader } from "../../../adapters/executors/threads.js";
import { job } from "./job.js";

/** Waits (real time, bounded) until `cond()` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await sleep(0.005);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

test.serial(
  "submit returns the result; the signal comes last; pureFunction; filename with a bare export name",
  async (t) => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 2, filename: new URL("./jobs.ts", import.meta.url) });
      const [sum, f, seen, sq, bare] = await gather(
        pool.submit(job("add"), 2, 3),
        pool.submit(job("fib"), 15),
        pool.submit(job("argsSeen"), 1, "x"),
        pool.submit(
          pureFunction((x: number) => x * x),
          7,
        ),
        pool.submit("add", 40, 2),
      );
      t.is(sum, 5);
      t.is(f, 610);
      t.deepEqual(seen, ["number", "string", "AbortSignal"]);
      t.is(sq, 49);
      t.is(bare, 42);
    });
  },
);

test.serial("map yields in order; breaking out cancels the rest", async (t) => {
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    const out: number[] = [];
    for await (const v of pool.map(job("add"), [1, 2, 3, 4], [10, 20, 30, 40, 50])) out.push(v);
    t.deepEqual(out, [11, 22, 33, 44]);
    const before = pool.statistics().completed;
    const gen = pool.map(job("zeroAtOnce"), [0, 1, 2, 3]);
    t.like(pool.statistics(), { running: 2, queued: 2 });
    for await (const v of gen) {
      t.is(v, 0);
      break; // cancels the three others: the running one is aborted, the queued ones removed
    }
    t.is(pool.statistics().queued, 0);
    await until(() => pool.statistics().running === 0, "the aborted job to end");
    t.is(pool.statistics().completed - before, 3); // 0 and 1 ran, then 2 started: 1 and 2 were aborted, 3 removed
  });
});

test.serial("errors cross with class name, message, stack, cause and own properties", async (t) => {
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const e = await t.throwsAsync(pool.submit(job("throwsCustom")));
    t.is(e!.constructor.name, "ParseError");
    t.is(e!.message, "bad token");
    t.regex(e!.stack!, /throwsCustom .*jobs\.ts:\d+/);
    t.is((e as unknown as { code: string }).code, "E_PARSE");
    t.is((e as unknown as { line: number }).line, 3);
    t.true(e!.cause instanceof RangeError);
    t.is((e!.cause as Error).message, "offset 7");
    const te = await t.throwsAsync(pool.submit(job("throwsType")));
    t.true(te instanceof TypeError);
    t.is(te!.message, "not a number");
    const s = await pool.submit(job("throwsString")).then(
      () => "resolved",
      (x: unknown) => x,
    );
    t.is(s, "just a string");
    const missing = await t.throwsAsync(pool.submit(target("./jobs.ts", "notAFunction", import.meta.url)));
    t.regex(missing!.message, /no function export "notAFunction"/);
    // the worker survived all of these
    t.is(await pool.submit(job("add"), 1, 1), 2);
  });
});

test.serial("bad input: a closure, a relative module without base, a bare name without filename", async (t) => {
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const n = 3;
    t.throws(() => pool.submit((() => n) as unknown as AnyTarget), {
      instanceOf: TypeError,
      message: /cannot be sent to a worker/,
    });
    t.throws(() => pool.submit({ module: "./jobs.ts", export: "add" }), { message: /relative/ });
    t.throws(() => target("./jobs.ts", "add"), { message: /needs a base/ });
    t.throws(() => pool.submit("add"), { message: /no filename/ });
    t.throws(() => pureFunction(Math.max), { message: /native/ });
    await t.throwsAsync(
      pool.submit(job("argsSeen"), () => 1),
      { any: true, name: "DataCloneError", message: /could not be cloned/ },
    );
    const closure = await t.throwsAsync(pool.submit(pureFunction(() => n)));
    t.is(closure!.name, "ReferenceError");
    t.is(pool.statistics().running, 0);
  });
});

test.serial("test_cancel_queued: cancelling a queued job removes it; it never runs", async (t) => {
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const blocker = pool.submit(job("waitOnGate"), gate);
    const queued = pool.submit(job("countRun"), counter);
    t.like(pool.statistics(), { running: 1, queued: 1 });
    t.true(queued.cancel());
    t.true(queued.cancelled());
    t.like(pool.statistics(), { running: 1, queued: 0 });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    t.is(await blocker, "released");
    t.is(await pool.submit(job("countRun"), counter), 1); // the cancelled one never ran
  });
});

test.serial(
  "cancelling a running job aborts its signal (async and synchronous code); the worker is reused",
  async (t) => {
    await run(async () => {
      await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const gate = new Int32Array(new SharedArrayBuffer(4));
      await pool.submit(job("waitOnGate"), Object.assign(gate, [1])); // warm the thread up
      const spinning = pool.submit(job("spinUntilAborted"), 0);
      await sleep(0.05);
      spinning.cancel();
      await until(() => pool.statistics().running === 0, "the spinning job to see the abort");
      const waiting = pool.submit(job("untilAborted"), 0);
      await sleep(0.05);
      waiting.cancel("stop");
      await t.throwsAsync(waiting, { instanceOf: CancelledError, message: "stop" });
      await until(() => pool.statistics().running === 0, "the waiting job to see the abort");
      t.is(await pool.submit(job("add"), 2, 2), 4);
      t.is(pool.statistics().completed, 4);
    });
  },
);

test.serial("a Task cancelled while awaiting a job leaks no worker", async (t) => {
  // Awaited explicitly: cancel() reaches the job's Future.
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const task = createTask(async () => await pool.submit(job("untilAborted"), 0));
    await sleep(0.05);
    t.is(pool.statistics().running, 1);
    task.cancel();
    await t.throwsAsync(task, { instanceOf: CancelledError });
    await until(() => pool.statistics().running === 0, "the job to end");
  });
  // Returned unawaited by the async function: the same (the executor's own promises made in the task's frame are
  // not taken for the function's await).
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const task = createTask(async () => pool.submit(job("untilAborted"), 0));
    await sleep(0.05);
    t.is(pool.statistics().running, 1);
    task.cancel();
    await t.throwsAsync(task, { instanceOf: CancelledError });
    await until(() => pool.statistics().running === 0, "the job to end");
    t.is(await pool.submit(job("add"), 1, 2), 3);
  });
});

test.serial("a crashing worker (process.exit, out of memory) fails its job clearly and is replaced", async (t) => {
  await run(async () => {
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const exited = await t.throwsAsync(pool.submit(job("exitWith"), 3), { instanceOf: WorkerCrashedError });
    t.is((exited as WorkerCrashedError).exitCode, 3);
    t.regex(exited!.message, /exited \(code 3\)/);
    t.is(await pool.submit(job("add"), 1, 2), 3);
    const oom = await t.throwsAsync(pool.submit(job("exhaustMemory")), { instanceOf: WorkerCrashedError });
    t.regex(oom!.message, /out of memory/);
    t.is(await pool.submit(job("add"), 2, 2), 4);
  });
});

test.serial("an uncaught error in a worker never kills the loop", async (t) => {
  const seen: ExceptionContext[] = [];
  await run(async () => {
    getRunningLoop().setExceptionHandler((_l, ctx) => seen.push(ctx));
    await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    // thrown inside a running job: the thread dies, the job fails with it as the cause
    const inside = await t.throwsAsync(pool.submit(job("crashesInside")), { instanceOf: WorkerCrashedError });
    t.true(inside!.cause instanceof SyntaxError);
    t.is((inside!.cause as Error).message, "uncaught inside the job");
    // thrown after the job returned: reported through the loop's exception handler
    t.is(await pool.submit(job("throwsLater")), "returned");
    await until(() => seen.length > 0, "the report");
    t.regex(seen[0]!.message, /Uncaught error in an executor worker thread/);
    t.is((seen[0]!.exception as Error).message, "thrown after the job");
    t.is(await pool.submit(job("add"), 1, 1), 2);
  });
});

test.serial("shutdown with pending work: wait runs it; cancelFutures cancels the queued; no new jobs", async (t) => {
  await run(async () => {
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const futs = [1, 2, 3].map((i) => pool.submit(job("echoLater"), i));
    await pool.shutdown({ wait: true });
    t.deepEqual(await gather(...futs), [1, 2, 3]);
    t.throws(() => pool.submit(job("add"), 1, 2), { instanceOf: RuntimeError, message: /after shutdown/ });

    const pool2 = new ThreadPoolExecutor({ maxWorkers: 1 });
    const running = pool2.submit(job("echoLater"), "ran");
    const queued = [pool2.submit(job("echoLater"), "a"), pool2.submit(job("echoLater"), "b")];
    await pool2.shutdown({ cancelFutures: true });
    t.is(await running, "ran");
    t.true(queued.every((f) => f.cancelled()));
    t.like(pool2.statistics(), { running: 0, queued: 0, completed: 1, shutdown: true });
  });
});

test.serial("a missing piscina fails the job with a clear error naming the package", async (t) => {
  const restore = _setPiscinaLoader(() => Promise.reject(new Error("Cannot find package 'piscina'")));
  try {
    await run(async () => {
      const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
      const e = await t.throwsAsync(pool.submit(job("add"), 1, 2), { instanceOf: MissingPeerError });
      t.is((e as MissingPeerError).packageName, "piscina");
      t.regex(e!.message, /npm install piscina@5\.3\.2/);
      await pool.shutdown();
    });
  } finally {
    restore();
  }
});

// Ports of CPython 3.13 Lib/test/test_asyncio/test_runners.py. SIGINT is
// simulated with process.emit("SIGINT"), which runs the Runner's listener as
// a real signal would (asyncio's interrupt_self()).
import test from "ava";
import {
  CancelledError,
  ContextVar,
  KeyboardInterrupt,
  Runner,
  Task,
  VirtualTimeLoop,
  copyContext,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  sleep,
  type ExceptionContext,
} from "../../../src/index.js";

const virtual = { loopFactory: () => new VirtualTimeLoop() };

test.serial("test_asyncio_run_cancels_hanging_tasks", async (t) => {
  let lo: Task<void> | undefined;
  const r = await run(async () => {
    lo = createTask(async () => {
      await sleep(0.1);
    });
    return 123;
  }, virtual);
  t.is(r, 123);
  t.true(lo!.done());
  t.true(lo!.cancelled());
});

test.serial("test_asyncio_run_reports_hanging_tasks_errors", async (t) => {
  let lo: Task<void> | undefined;
  const calls: ExceptionContext[] = [];
  const r = await run(async () => {
    const loop = getRunningLoop();
    loop.callExceptionHandler = (ctx) => void calls.push(ctx);
    lo = createTask(async () => {
      try {
        await sleep(0.1);
      } catch (e) {
        if (e instanceof CancelledError) throw new RangeError("division by zero");
        throw e;
      }
    });
    return 123;
  }, virtual);
  t.is(r, 123);
  t.true(lo!.done());
  t.is(calls.length, 1);
  t.regex(calls[0]!.message, /asyncio.run.*shutdown/);
  t.is(calls[0]!.task, lo);
  t.true(calls[0]!.exception instanceof RangeError);
});

test.serial("test_asyncio_run_without_uncancel", async (t) => {
  // gh-95097: a task factory may return a task without uncancel(); an
  // interrupt then ends in CancelledError, not KeyboardInterrupt.
  class NoUncancelTask<T> extends Task<T> {}
  (NoUncancelTask.prototype as unknown as { uncancel: undefined }).uncancel = undefined;
  const loopFactory = () => {
    const loop = new VirtualTimeLoop();
    loop.setTaskFactory((l, coro, options) => new NoUncancelTask(coro, { ...options, loop: l }));
    return loop;
  };
  await t.throwsAsync(
    run(
      async () => {
        process.emit("SIGINT");
        await loopFactoryNeverSet();
      },
      { loopFactory },
    ),
    { instanceOf: CancelledError },
  );
  function loopFactoryNeverSet() {
    return getRunningLoop().createFuture(); // asyncio.Event().wait(): never set
  }
});

test.serial("test_run_keeps_context", async (t) => {
  const cvar = new ContextVar<number>("cvar", { default: -1 });
  const f = (val: number) => async () => {
    const old = cvar.get();
    await sleep(0);
    cvar.set(val);
    return old;
  };
  const runner = new Runner(virtual);
  try {
    t.is(await runner.run(f(1)), -1);
    t.is(await runner.run(f(2)), 1);
    const ctx = await runner.run(async () => copyContext());
    t.is(ctx.get(cvar), 2);
  } finally {
    await runner.close();
  }
});

test.serial("test_interrupt_cancelled_task", async (t) => {
  // Interrupting a main task that was already cancelled does not raise KeyboardInterrupt.
  const runner = new Runner(virtual);
  try {
    await t.throwsAsync(
      runner.run(async () => {
        const main = currentTask()!;
        createTask(async () => {
          await sleep(0);
          main.cancel();
          process.emit("SIGINT");
        });
        await sleep(10);
      }),
      { instanceOf: CancelledError },
    );
  } finally {
    await runner.close();
  }
});

test.serial(
  "the first SIGINT cancels the main task: KeyboardInterrupt (test_interrupt_call_soon's rule)",
  async (t) => {
    const runner = new Runner(virtual);
    try {
      await t.throwsAsync(
        runner.run(async () => {
          getRunningLoop().callSoon(() => process.emit("SIGINT"));
          await sleep(10);
        }),
        { instanceOf: KeyboardInterrupt },
      );
    } finally {
      await runner.close();
    }
    t.is(process.listenerCount("SIGINT"), 0, "the SIGINT listener is removed after the run");
  },
);

test.serial("run() accepts the same forms as createTask: generator functions and awaitables", async (t) => {
  t.is(
    await run(function* () {
      const x: number = yield* sleep(1, 20);
      return x + 1;
    }, virtual),
    21,
  );
  t.is(await run(Promise.resolve(5), virtual), 5);
});

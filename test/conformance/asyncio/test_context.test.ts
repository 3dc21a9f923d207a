// Ports of test_context_1 … test_context_6 from CPython 3.13
// Lib/test/test_asyncio/test_tasks.py: each task runs in a copy of the
// context taken at its creation.
import test from "ava";
import { ContextVar, copyContext, createTask, sleep, type Future } from "../../../src/index.js";
import { makeLoop } from "../../helpers/loop.js";

test("test_context_1", async (t) => {
  const cvar = new ContextVar("cvar", { default: "nope" });
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    t.is(cvar.get(), "nope");
    const sub = createTask(async () => {
      await sleep(0.01);
      t.is(cvar.get(), "nope");
      cvar.set("something else");
    });
    cvar.set("yes");
    t.is(cvar.get(), "yes");
    await sub;
    t.is(cvar.get(), "yes");
  });
  loop.close();
});

test("test_context_2", async (t) => {
  const cvar = new ContextVar("cvar", { default: "nope" });
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const futOnDone = (): void => {
      cvar.set("something else"); // must not pollute the context of main()
    };
    t.is(cvar.get(), "nope");
    for (let j = 0; j < 2; j++) {
      const fut: Future<void> = loop.createFuture();
      fut.addDoneCallback(futOnDone);
      cvar.set(`yes${j}`);
      loop.callSoon(() => fut.setResult());
      await fut;
      t.is(cvar.get(), `yes${j}`);
      for (let i = 0; i < 3; i++) {
        cvar.set(`yes${i}-${j}`);
        await sleep(0.001);
        t.is(cvar.get(), `yes${i}-${j}`);
      }
    }
  });
  loop.close();
  t.is(cvar.get(), "nope");
});

test("test_context_3", async (t) => {
  // 100 tasks in parallel, each modifying cvar (the random delays of CPython
  // are replaced by a fixed pseudo-random sequence: the virtual clock makes
  // them instant).
  const cvar = new ContextVar("cvar", { default: -1 });
  const loop = makeLoop();
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let checks = 0;
  await loop.runUntilComplete(async () => {
    const tasks = [];
    for (let i = 0; i < 100; i++) {
      const num = Math.floor(rand() * 11);
      tasks.push(
        createTask(async () => {
          for (let k = 0; k < 10; k++) {
            cvar.set(num + k);
            await sleep(0.001 + rand() * 0.049);
            if (cvar.get() === num + k) checks++;
          }
        }),
      );
    }
    for (const task of tasks) await task;
  });
  loop.close();
  t.is(checks, 1000);
  t.is(cvar.get(), -1);
});

for (const [name, how] of [
  ["test_context_4", "loop"],
  ["test_context_5", "createTask"],
  ["test_context_6", "loop"],
] as const) {
  test(name, async (t) => {
    const cvar = new ContextVar<number>("cvar");
    const loop = makeLoop();
    const ret = await loop.runUntilComplete(async () => {
      const out: (number | undefined)[] = [];
      const coro = (val: number) => async () => {
        await sleep(0);
        cvar.set(val);
      };
      const ctx = copyContext();
      out.push(ctx.get(cvar));
      const t1 = how === "loop" ? loop.createTask(coro(1), { context: ctx }) : createTask(coro(1), { context: ctx });
      await t1;
      out.push(ctx.get(cvar));
      const t2 = how === "loop" ? loop.createTask(coro(2), { context: ctx }) : createTask(coro(2), { context: ctx });
      await t2;
      out.push(ctx.get(cvar));
      return out;
    });
    loop.close();
    t.deepEqual(ret, [undefined, 1, 2]);
  });
}

test("ContextVar.reset restores the previous value; a token is single use", async (t) => {
  const cvar = new ContextVar<string>("cvar", { default: "d" });
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const token = cvar.set("a");
    t.is(cvar.get(), "a");
    cvar.reset(token);
    t.is(cvar.get(), "d");
    t.throws(() => cvar.reset(token), { message: /already been used/ });
  });
  loop.close();
});

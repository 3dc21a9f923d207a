// The process-wide hub loop: outside run(), spawn starts a loop that runs
// while greenlets are alive, so `await g.join()` works at a module's top
// level. (A file of its own: no other loop runs in this process meanwhile.)
import test from "ava";
import { Event, Queue, Timeout, sleep, spawn } from "../../../adapters/gevent/index.js";

test.serial("spawn and join outside any loop run on the hub, which stops when idle", async (t) => {
  const g = spawn(function* (n: number) {
    yield* sleep(0.001);
    return n * 2;
  }, 21);
  await g.join();
  t.is(g.value, 42);
  t.is(await g.get(), 42);
  const loop = g._loop!;
  // The hub stops once the last greenlet is gone: polled for a bounded time (a fixed 5 ms wait was flaky on a
  // loaded CI machine), so a hub that keeps running still fails.
  for (let i = 0; i < 200 && loop.isRunning(); i++) await new Promise((r) => setTimeout(r, 10));
  t.false(loop.isRunning());
  // And starts again for the next one.
  const h = spawn(() => "again");
  t.is(await h.get(), "again");
  t.is(h._loop, loop);
});

test.serial("top-level waits on primitives keep the hub alive until they end", async (t) => {
  const q = new Queue<string>();
  const ev = new Event();
  spawn(function* () {
    yield* sleep(0.002);
    yield* q.put("item");
    ev.set();
  });
  t.is(await q.get(), "item");
  t.true(await ev.wait());
  await sleep(0.001);
  try {
    await new Timeout(0.001).run(() => sleep(1));
    t.fail("no Timeout");
  } catch (e) {
    t.true(e instanceof Timeout);
  }
});

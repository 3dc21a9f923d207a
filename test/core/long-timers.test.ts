// Timers beyond setTimeout's limit (issue #18 item 1): Node turns a delay over
// 2^31-1 ms into 1 ms (with a TimeoutOverflowWarning), so a loop that passed it
// on spun at 1 ms. The loop caps each wait and waits again; a timer at
// Infinity never arms one. Fault injection: setTimeout/clearTimeout are
// replaced for the duration of a test, so nothing waits on real time.
import test from "ava";
import { EventLoop, VirtualTimeLoop, createTask, sleep, timeout, waitFor } from "../../src/index.js";

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface FakeTimer {
  fn: () => void;
  ms: number;
  cleared: boolean;
}

/** Replaces the global setTimeout/clearTimeout with recorders until `restore()`. */
function fakeTimers(): { armed: FakeTimer[]; active(): FakeTimer[]; restore(): void } {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const armed: FakeTimer[] = [];
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const timer: FakeTimer = { fn, ms, cleared: false };
    armed.push(timer);
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: FakeTimer | undefined) => {
    if (timer !== undefined && armed.includes(timer)) timer.cleared = true;
    else realClear(timer as unknown as NodeJS.Timeout);
  }) as typeof clearTimeout;
  return {
    armed,
    active: () => armed.filter((x) => !x.cleared),
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

/** A real (non-virtual) loop on a clock the test moves. */
class ClockedLoop extends EventLoop {
  now = 0;
  override time(): number {
    return this.now;
  }
}

const turns = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

test.serial("callLater(3e6) waits in steps of at most 2^31-1 ms and fires once at its time", async (t) => {
  const fake = fakeTimers();
  const loop = new ClockedLoop();
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on("warning", onWarning);
  try {
    let fired = 0;
    loop.callLater(3e6, () => fired++);
    const done = loop.runForever();
    await turns();
    t.deepEqual(
      fake.active().map((x) => x.ms),
      [MAX_TIMEOUT_MS],
    );
    // The capped wait ends (24.8 days later): nothing is due yet, so the loop waits again, for the rest.
    loop.now += MAX_TIMEOUT_MS / 1000;
    fake.active()[0]!.fn();
    await turns();
    t.is(fired, 0);
    const rest = fake.active();
    t.is(rest.length, 1);
    t.is(rest[0]!.ms, Math.ceil((3e6 - MAX_TIMEOUT_MS / 1000) * 1000));
    loop.now = 3e6;
    rest[0]!.fn();
    await turns();
    t.is(fired, 1);
    t.is(fake.active().length, 0); // idle again: no timer, no Node handle
    t.true(fake.armed.every((x) => x.ms <= MAX_TIMEOUT_MS));
    loop.stop();
    await done;
  } finally {
    fake.restore();
    process.off("warning", onWarning);
    loop.close();
  }
  t.deepEqual(
    warnings.map((w) => w.name),
    [],
  );
});

test.serial("a timer at Infinity never arms setTimeout, and an idle loop does not spin", async (t) => {
  const fake = fakeTimers();
  const loop = new ClockedLoop();
  try {
    let fired = false;
    const h = loop.callLater(Infinity, () => {
      fired = true;
    });
    let iterations = 0;
    const countIteration = (): void => {
      iterations++;
    };
    loop.callSoon(countIteration);
    const done = loop.runForever();
    await turns(10);
    t.is(iterations, 1);
    t.deepEqual(fake.armed, []);
    t.is(h.when(), Infinity);
    loop.stop();
    await done;
    t.false(fired);
  } finally {
    fake.restore();
    loop.close();
  }
});

test.serial(
  "sleep(Infinity), timeout(Infinity) and waitFor(x, Infinity) arm no timer; a finite one still does",
  async (t) => {
    const fake = fakeTimers();
    const loop = new ClockedLoop();
    try {
      await loop.runUntilComplete(async () => {
        const sleeper = createTask(sleep(Infinity));
        const scoped = createTask(timeout(Infinity).run(() => sleep(Infinity)));
        const waited = createTask(waitFor(sleep(Infinity), Infinity));
        await turns(); // the loop goes idle while this native promise waits
        t.deepEqual(fake.armed, []);
        const finite = createTask(sleep(5e6)); // 57 days: capped
        await turns();
        t.deepEqual(
          fake.active().map((x) => x.ms),
          [MAX_TIMEOUT_MS],
        );
        for (const task of [sleeper, scoped, waited, finite]) task.cancel();
        await sleep(0);
        t.true([sleeper, scoped, waited, finite].every((x) => x.cancelled()));
      });
    } finally {
      fake.restore();
      loop.close();
    }
  },
);

test.serial("the virtual clock never jumps to Infinity", async (t) => {
  const loop = new VirtualTimeLoop();
  try {
    let fired = false;
    loop.callLater(Infinity, () => {
      fired = true;
    });
    loop.callLater(2, () => undefined);
    const done = loop.runForever();
    await turns(10);
    loop.stop();
    await done;
    t.false(fired);
    t.is(loop.time(), 2);
  } finally {
    loop.close();
  }
});

test.serial("a timeout(Infinity) scope on the virtual clock lets a finite body finish", async (t) => {
  const loop = new VirtualTimeLoop();
  try {
    const r = await loop.runUntilComplete(async () => timeout(Infinity).run(() => sleep(30, "done")));
    t.is(r, "done");
    t.is(loop.time(), 30);
  } finally {
    loop.close();
  }
});

test.serial("a timeout scope used 100 times in a row arms one Node timer, not one per use", async (t) => {
  const fake = fakeTimers();
  const loop = new ClockedLoop();
  try {
    const sum = await loop.runUntilComplete(async () => {
      let s = 0;
      for (let i = 0; i < 100; i++) s += await timeout(10).run(async () => 1);
      return s;
    });
    t.is(sum, 100);
    // Each scope adds a 10 s timer and cancels it; the armed wake-up (10 s away) comes first for all of them.
    t.true(fake.armed.length <= 2, `${fake.armed.length} setTimeout calls`);
  } finally {
    fake.restore();
    loop.close();
  }
});

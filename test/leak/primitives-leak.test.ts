// Leak test: a Lock and a Semaphore acquired and released a million times,
// with contended rounds in between where waiters are cancelled, aborted or
// served. One long-lived AbortSignal is passed to every call (the common
// pattern that leaks listeners in JS libraries, e.g. sindresorhus/p-retry#71):
// at the end no waiter is left (statistics) and no abort listener is
// attached to any signal.
import test from "ava";
import { getEventListeners } from "node:events";
import { Lock, Semaphore, createTask, sleep, type Task } from "../../src/index.js";
import { runTest } from "../helpers/loop.js";

const listeners = (s: AbortSignal): number => getEventListeners(s, "abort").length;

test("leak: a million acquire/release of a Lock and a Semaphore with cancellations and aborts leave no waiter and no listener", async (t) => {
  const N = 1_000_000;
  const ROUND = 2_000; // a contended round every ROUND operations
  const result = await runTest(async () => {
    const lock = new Lock();
    const sem = new Semaphore(3);
    const longLived = new AbortController(); // never aborted
    const signal = longLived.signal;
    const roundSignals: AbortSignal[] = [];
    let maxListeners = 0;
    let served = 0;
    for (let i = 0; i < N; i++) {
      // Uncontended: the fast path (no waiter, no listener, no loop iteration).
      await lock.acquire({ signal });
      lock.release();
      await sem.acquire({ signal });
      sem.release();
      if (i % ROUND !== 0) continue;
      // Contended round: hold both, queue waiters, then cancel some, abort
      // some (their own controller or the task's signal), and serve the rest.
      await lock.acquire();
      for (let k = 0; k < 3; k++) await sem.acquire();
      const ac = new AbortController();
      roundSignals.push(ac.signal);
      const tasks: Task<void>[] = [];
      for (let k = 0; k < 6; k++) {
        const prim = k % 2 === 0 ? lock : sem;
        const own = k % 3 === 1;
        tasks.push(
          createTask(async () => {
            await prim.acquire({ signal: own ? AbortSignal.any([ac.signal, signal]) : signal });
            served++;
            prim.release();
          }),
        );
      }
      await sleep(0);
      maxListeners = Math.max(maxListeners, listeners(signal));
      tasks[0]!.cancel(); // a lock waiter
      ac.abort(new Error("round over")); // the waiters with their own signal
      tasks[3]!.cancel(); // a semaphore waiter
      lock.release();
      for (let k = 0; k < 3; k++) sem.release();
      for (const x of tasks) {
        try {
          await x;
        } catch {
          // cancelled or aborted, as intended
        }
      }
    }
    return {
      lock: lock.statistics(),
      sem: sem.statistics(),
      longLived: listeners(signal),
      rounds: roundSignals.map(listeners).reduce((a, b) => a + b, 0),
      maxListeners,
      served,
    };
  });
  t.deepEqual(result.lock, { locked: false, waiters: 0 });
  t.deepEqual(result.sem, { value: 3, waiters: 0 });
  t.is(result.longLived, 0);
  t.is(result.rounds, 0);
  t.true(result.maxListeners <= 6, `at most one listener per waiter at a time (saw ${result.maxListeners})`);
  t.true(result.served > 0);
});

// The '@@observable' key on the gevent adapter's Greenlet, read by real rxjs
// 7.8.2: from(g) takes it (a Greenlet is not a thenable), delivery follows
// the links (after death, from a loop callback), a kill with GreenletExit is
// a success (gevent's), and a greenlet is owned like a Task: the last
// subscriber to leave before its death kills it. The gevent adapter never
// imports rxjs (it stays an optional peer).
import test from "ava";
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import { type Observable, from, isObservable, lastValueFrom, timeout } from "rxjs";
import { Greenlet, GreenletExit, sleep, spawn } from "../../../adapters/gevent/index.js";
import { loopScheduler, toObservable } from "../../../adapters/rxjs/index.js";
import { getRunningLoop } from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

interface Seen {
  next: unknown[];
  error: unknown[];
  complete: number;
}
function observer(): { seen: Seen; obs: { next(v: unknown): void; error(e: unknown): void; complete(): void } } {
  const seen: Seen = { next: [], error: [], complete: 0 };
  return {
    seen,
    obs: { next: (v) => seen.next.push(v), error: (e) => seen.error.push(e), complete: () => seen.complete++ },
  };
}

test("from(greenlet) takes the interop key: the value, then complete, after death", async (t) => {
  await runTest(async () => {
    const g = spawn(function* () {
      yield* sleep(0.1);
      return 42;
    });
    t.is(typeof (g as unknown as { then?: unknown }).then, "undefined", "a Greenlet is not a thenable");
    const { seen, obs } = observer();
    from(g).subscribe(obs);
    t.deepEqual(seen.next, []);
    await g.join();
    t.deepEqual(seen, { next: [42], error: [], complete: 1 });
    t.is(await lastValueFrom(from(g)), 42, "a subscriber after death gets the outcome");
    const typed: Observable<number> = toObservable(g); // T is inferred from the Greenlet's interop key
    t.true(isObservable(typed));
    t.is(await lastValueFrom(typed), 42);
  });
});

test("from(greenlet) of a greenlet that fails: error(e) unchanged, reported once at death", async (t) => {
  const boom = new Error("boom");
  const { loop, result } = await runOn(async () => {
    const g = spawn(function* () {
      yield* sleep(0.1);
      throw boom;
    });
    const a = observer();
    const b = observer();
    from(g).subscribe(a.obs);
    toObservable(g).subscribe(b.obs);
    await g.join();
    await sleep(0);
    return [a.seen, b.seen];
  });
  t.deepEqual(result, [
    { next: [], error: [boom], complete: 0 },
    { next: [], error: [boom], complete: 0 },
  ]);
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.exception, boom);
});

test("a greenlet killed by someone else with GreenletExit: next(the GreenletExit) then complete (gevent's success)", async (t) => {
  await runTest(async () => {
    const g = spawn(() => sleep(5));
    const { seen, obs } = observer();
    from(g).subscribe(obs);
    await sleep(0.1);
    await g.kill();
    await sleep(0);
    t.is(seen.next.length, 1);
    t.true(seen.next[0] instanceof GreenletExit);
    t.is(seen.complete, 1);
    t.deepEqual(seen.error, []);
  });
});

test("owned like a Task: the last subscriber to leave before death kills it; the first of two does not", async (t) => {
  await runTest(async () => {
    const trace: string[] = [];
    const g = spawn(function* () {
      try {
        yield* sleep(5);
        return "done";
      } finally {
        trace.push("finally");
      }
    });
    await sleep(0.1);
    const a = from(g).subscribe();
    const { seen, obs } = observer();
    const b = from(g).subscribe(obs);
    a.unsubscribe();
    await sleep(0.1);
    t.false(g.dead, "one subscriber is left");
    b.unsubscribe();
    await g.join();
    t.true(g.dead);
    t.true(g.value instanceof GreenletExit);
    t.deepEqual(trace, ["finally"]);
    t.deepEqual(seen, { next: [], error: [], complete: 0 }, "nothing delivered after unsubscribe");
    const done = spawn(() => "ok");
    await done.join();
    from(done).subscribe().unsubscribe(); // dead already: nothing to kill
    t.is(done.value, "ok");
  });
});

test("a greenlet that has not started, unsubscribed: it never runs (gevent's kill before start)", async (t) => {
  await runTest(async () => {
    let ran = false;
    const g = new Greenlet(() => {
      ran = true;
    });
    const sub = from(g).subscribe();
    g.start();
    sub.unsubscribe();
    await sleep(0.1);
    t.false(ran);
    t.true(g.dead);
    t.true(g.successful());
  });
});

test("from(g).pipe(timeout(...)) on loopScheduler kills the greenlet when the timeout fires, in virtual time", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    let finallyAt: number | undefined;
    const g = spawn(function* () {
      try {
        yield* sleep(3600);
      } finally {
        finallyAt = loop.time();
      }
    });
    const errors: unknown[] = [];
    from(g)
      .pipe(timeout({ first: 5000, scheduler: loopScheduler() }))
      .subscribe({ error: (e) => errors.push(e) });
    await sleep(10);
    t.is((errors[0] as Error).name, "TimeoutError");
    t.true(g.dead);
    t.is(finallyAt, 5);
  });
});

test("the gevent adapter never imports rxjs (an optional peer)", (t) => {
  const dir = fileURLToPath(new URL("../../../adapters/gevent/", import.meta.url));
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts"));
  t.true(files.includes("observable.ts"));
  for (const f of files) {
    const src = fs.readFileSync(dir + f, "utf8");
    // Statements only (a TSDoc example may show `import { from } from "rxjs"`).
    const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    t.notRegex(code, /["']rxjs["']/, f);
  }
});

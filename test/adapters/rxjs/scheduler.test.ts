// loopScheduler: rxjs 7.8.2 time operators (timer, interval, delay,
// debounceTime, timeout) on a VirtualTimeLoop, written as marble diagrams:
// one character is one frame of FRAME ms of loop time; a frame of a whole
// second (and a one-hour timer) shows the run is in virtual time. Plus the
// AsyncAction contract, side by side with rxjs's own asyncScheduler.
import test from "ava";
import {
  Subject,
  asyncScheduler,
  debounceTime,
  delay,
  interval,
  map,
  of,
  take,
  timeout,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { loopScheduler } from "../../../adapters/rxjs/index.js";
import { EventLoop, type Future, VirtualTimeLoop, getRunningLoop, sleep } from "../../../src/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

const FRAME = 1000; // ms per marble character

/** Records `obs` on the loop's clock as a marble string: `-` per empty frame, `(..)` for one frame, `|` and `#`. */
function record(obs: Observable<unknown>, s: SchedulerLike, frames: number): Future<string> {
  const loop = getRunningLoop();
  const events = new Map<number, string>();
  const start = s.now();
  const add = (c: string): void => {
    const f = Math.round((s.now() - start) / FRAME);
    events.set(f, (events.get(f) ?? "") + c);
  };
  const done = loop.createFuture<string>();
  const render = (): string => {
    let out = "";
    const last = Math.max(-1, ...events.keys());
    for (let f = 0; f <= last; f++) {
      const e = events.get(f);
      out += e === undefined ? "-" : e.length > 1 ? `(${e})` : e;
    }
    return out;
  };
  const sub = obs.subscribe({
    next: (v) => add(String(v)),
    error: () => {
      add("#");
      done.setResult(render());
    },
    complete: () => {
      add("|");
      done.setResult(render());
    },
  });
  loop.callLater((frames * FRAME) / 1000, () => {
    sub.unsubscribe();
    if (!done.done()) done.setResult(render());
  });
  return done;
}

/** A hot source from a marble: each letter emitted at its frame on the loop, `|` completes. */
function hot(marble: string, s: SchedulerLike): Observable<string> {
  const subject = new Subject<string>();
  [...marble].forEach((c, f) => {
    if (c === "-") return;
    s.schedule(() => (c === "|" ? subject.complete() : subject.next(c)), f * FRAME);
  });
  return subject;
}

test("timer on virtual time", async (t) => {
  await runTest(async () => {
    const s = loopScheduler();
    t.is(await record(timer(3 * FRAME, s), s, 10), "---(0|)");
  });
});

test("interval on virtual time", async (t) => {
  await runTest(async () => {
    const s = loopScheduler();
    t.is(await record(interval(2 * FRAME, s).pipe(take(3)), s, 10), "--0-1-(2|)");
  });
});

/** The same pipeline under rxjs's own TestScheduler (run mode, 1 frame = 1 ms): the reference marble. */
function reference(source: string, op: (unit: number, s?: SchedulerLike) => OperatorFunction<string, unknown>): string {
  let out = "";
  const ts = new TestScheduler(() => {});
  ts.run(({ hot: h, expectObservable }) => {
    const events = new Map<number, string>();
    h(source)
      .pipe(op(1))
      .subscribe({
        next: (v) => events.set(ts.now(), (events.get(ts.now()) ?? "") + String(v)),
        error: () => events.set(ts.now(), (events.get(ts.now()) ?? "") + "#"),
        complete: () => events.set(ts.now(), (events.get(ts.now()) ?? "") + "|"),
      });
    expectObservable(h("-")).toBe("-");
    ts.flush();
    const last = Math.max(-1, ...events.keys());
    for (let f = 0; f <= last; f++) {
      const e = events.get(f);
      out += e === undefined ? "-" : e.length > 1 ? `(${e})` : e;
    }
  });
  return out;
}

const cases: Array<[string, string, (unit: number, s?: SchedulerLike) => OperatorFunction<string, unknown>, string]> = [
  ["delay", "a-b--|", (u, s) => delay(2 * u, s), "--a-b|"],
  ["debounceTime", "a-b----c|", (u, s) => debounceTime(2 * u, s), "----b---(c|)"],
  ["debounceTime (a burst)", "abc---d|", (u, s) => debounceTime(2 * u, s), "----c--(d|)"],
  ["timeout (fires)", "a-b------", (u, s) => timeout({ each: 3 * u, scheduler: s ?? asyncScheduler }), "a-b--#"],
  ["timeout (does not fire)", "a-b-c|", (u, s) => timeout({ each: 3 * u, scheduler: s ?? asyncScheduler }), "a-b-c|"],
];

for (const [name, source, op, expected] of cases) {
  test(`${name} on virtual time, as under rxjs's TestScheduler: ${source} -> ${expected}`, async (t) => {
    t.is(reference(source, op), expected, "rxjs's own TestScheduler");
    await runTest(async () => {
      const s = loopScheduler();
      t.is(await record(hot(source, s).pipe(op(FRAME, s)), s, 12), expected);
    });
  });
}

test("delay of a synchronous source", async (t) => {
  await runTest(async () => {
    const s = loopScheduler();
    t.is(await record(of("a", "b").pipe(delay(3 * FRAME, s)), s, 10), "---(ab|)");
  });
});

test("an hour-long timer and now() follow the loop's clock (milliseconds of loop.time())", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const s = loopScheduler();
    t.is(s.now(), loop.time() * 1000);
    const t0 = loop.time();
    t.is(await record(timer(3_600_000, s).pipe(map(() => "x")), s, 3700), `${"-".repeat(3600)}(x|)`);
    t.is(loop.time() - t0, 3600);
  });
});

test("loopScheduler(loop) binds to that loop; without a loop: RuntimeError", async (t) => {
  t.throws(() => loopScheduler(), { name: "RuntimeError" });
  const loop = new VirtualTimeLoop({ start: 5 });
  const s = loopScheduler(loop);
  t.is(s.now(), 5000);
  t.is(loopScheduler(loop), s, "one scheduler per loop");
  const seen: number[] = [];
  s.schedule(() => seen.push(loop.time()), 2000);
  await loop.runUntilComplete(() => sleep(3));
  loop.close();
  t.deepEqual(seen, [7]);
});

/** The trace of a recursive action: this = the action, this.schedule re-arms it, unsubscribe stops it. */
function contractTrace(s: SchedulerLike, onDone: (trace: string[]) => void): void {
  const trace: string[] = [];
  let first: unknown;
  const sub = s.schedule(
    function (this: SchedulerAction<number>, n?: number) {
      trace.push(`run ${n} same=${this === first}`);
      if (n! < 3) {
        const again = this.schedule(n! + 1, 0);
        trace.push(`rearm returns this: ${again === this}`);
      } else {
        // re-armed, then cancelled by the Subscription returned at first
        this.schedule(99, 0);
        sub.unsubscribe();
        trace.push(`closed=${this.closed}`);
        s.schedule(() => onDone(trace), 1);
      }
    },
    0,
    1,
  );
  first = sub;
}

test("the AsyncAction contract, side by side with rxjs's asyncScheduler", async (t) => {
  const theirs = await new Promise<string[]>((resolve) => contractTrace(asyncScheduler, resolve));
  const ours = await runTest(async () => {
    const f = getRunningLoop().createFuture<string[]>();
    contractTrace(loopScheduler(), (tr) => f.setResult(tr));
    return f;
  });
  t.deepEqual(ours, theirs);
  t.deepEqual(ours, [
    "run 1 same=true",
    "rearm returns this: true",
    "run 2 same=true",
    "rearm returns this: true",
    "run 3 same=true",
    "closed=true",
  ]);
});

test("re-arming with another delay replaces the pending run", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const s = loopScheduler();
    const runs: number[] = [];
    const action = s.schedule(() => runs.push(loop.time()), 5000) as unknown as SchedulerAction<void>;
    action.schedule(undefined, 1000);
    await sleep(10);
    t.deepEqual(runs, [1]);
  });
});

test("an error thrown by scheduled work goes to the loop's exception handler once", async (t) => {
  const { loop } = await runOn(async () => {
    const s = loopScheduler();
    const action = s.schedule(() => {
      throw new Error("work failed");
    }, 10);
    await sleep(1);
    t.true(action.closed, "the failed action is unsubscribed");
  });
  t.is(loop.errors.length, 1);
  t.is((loop.errors[0]!.exception as Error).message, "work failed");
  void EventLoop;
});

// The scenarios of side_by_side.py, run on asyncio-ts/gevent (virtual time)
// and compared line for line with real gevent (Debian's python3-gevent, run
// as /usr/bin/python3). Without gevent the comparison is skipped with the
// reason printed; our own traces are still checked against the recorded one.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AsyncResult,
  Channel,
  Empty,
  Event,
  Greenlet,
  GreenletExit,
  Group,
  type IMap,
  Pool,
  Queue,
  Timeout,
  joinall,
  killall,
  sleep,
  spawn,
  spawnLater,
  withTimeout,
} from "../../../adapters/gevent/index.js";
import type { Coroutine } from "../../../src/index.js";
import { runG } from "./harness.js";

type Trace = string[];

function py(v: unknown): string {
  if (v === undefined || v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (v instanceof Error) return v.name;
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === "string" ? `'${x}'` : py(x))).join(", ")}]`;
  return String(v);
}

function state(g: Greenlet<unknown>): string {
  return `started=${py(g.started)} dead=${py(g.dead)} ready=${py(g.ready())} successful=${py(g.successful())} value=${py(g.value)} exception=${py(g.exception)}`;
}

function* kill_semantics(trace: Trace): Coroutine<void> {
  function* body() {
    try {
      trace.push("body start");
      yield* sleep(1);
    } catch (e) {
      if (e instanceof GreenletExit) trace.push("body except GreenletExit");
      throw e;
    } finally {
      trace.push("body finally");
    }
  }
  const g = new Greenlet(body);
  trace.push(`new: ${state(g)}`);
  g.start();
  trace.push(`start: ${state(g)}`);
  yield* sleep(0.01);
  trace.push(`running: ${state(g)}`);
  yield* g.kill();
  trace.push(`killed: ${state(g)}`);
  const h = spawn(body);
  h.kill();
  trace.push(`killed before run: ${state(h)}`);
  yield* sleep(0.01);
  trace.push(`after a pass: ${state(h)}`);
}

function* undead(trace: Trace): Coroutine<void> {
  let shots = 0;
  const g = spawn(function* () {
    for (;;) {
      try {
        yield* sleep(0.05);
      } catch (e) {
        if (!(e instanceof GreenletExit)) throw e;
        shots++;
        trace.push(`shot ${shots}`);
        if (shots === 2) return "survived twice";
      }
    }
  });
  yield* sleep(0.01);
  g.kill({ block: false });
  yield* sleep(0.01);
  trace.push(`after kill 1: ${state(g)}`);
  yield* g.kill({ timeout: 0.01 });
  trace.push(`after kill 2: ${state(g)}`);
}

function* link_order(trace: Trace): Coroutine<void> {
  const g = spawn(() => {
    trace.push("body");
    return 7;
  });
  g.rawlink(() => trace.push("rawlink 1"));
  g.link(() => void trace.push("link 2"));
  g.linkValue(() => void trace.push("link_value 3"));
  g.linkException(() => void trace.push("link_exception (wrong)"));
  g.rawlink(() => trace.push("rawlink 4"));
  trace.push("before sleep(0)");
  yield* sleep(0);
  trace.push("after sleep(0) #1");
  yield* sleep(0);
  trace.push("after sleep(0) #2");
  yield* sleep(0.01);
  g.link(() => void trace.push("late link"));
  yield* sleep(0.01);
  trace.push("end");
}

function* spawn_order(trace: Trace): Coroutine<void> {
  function* worker(name: string) {
    trace.push(`${name} 1`);
    yield* sleep(0);
    trace.push(`${name} 2`);
  }
  spawn(worker, "a");
  spawn(worker, "b");
  trace.push("main spawned");
  yield* sleep(0);
  trace.push("main after sleep(0)");
  yield* sleep(0.01);
  trace.push("main end");
}

function* timeout_nesting(trace: Trace): Coroutine<void> {
  const outer = new Timeout(0.05);
  const inner = new Timeout(0.1, false);
  try {
    yield* outer.run(function* () {
      yield* inner.run(function* () {
        try {
          yield* sleep(1);
        } finally {
          trace.push("inner finally");
        }
      });
      trace.push("after inner (wrong)");
    });
  } catch (e) {
    trace.push(`outer caught: ${py(e === outer)}`);
  }
  yield* new Timeout(0.01, false).run(() => sleep(1));
  trace.push("silent scope ended");
  const r = yield* withTimeout(0.01, () => sleep(1), { timeoutValue: "tv" });
  trace.push(`with_timeout -> ${r}`);
  class ValueError extends Error {}
  try {
    yield* new Timeout(0.01, ValueError).run(() => sleep(1));
  } catch (e) {
    if (e instanceof ValueError) trace.push("custom exception class");
  }
  const t = new Timeout(0.01);
  t.start();
  try {
    yield* sleep(1);
  } catch (e) {
    trace.push(`started timeout raised itself: ${py(e === t)}`);
  }
  t.close();
}

function* queue_waiters(trace: Trace): Coroutine<void> {
  const q = new Queue<string>();
  function* getter(name: string, timeout: number | null) {
    try {
      trace.push(`${name} got ${yield* q.get({ timeout })}`);
    } catch (e) {
      if (!(e instanceof Empty)) throw e;
      trace.push(`${name} timed out`);
    }
  }
  spawn(getter, "g1", 0.01);
  spawn(getter, "g2", null);
  spawn(getter, "g3", null);
  yield* sleep(0.05);
  yield* q.put("x");
  yield* q.put("y");
  yield* sleep(0.01);
  trace.push(`qsize ${q.qsize()}`);
  const jq = new Queue<number>(1);
  const c = spawn(function* () {
    for (;;) {
      const item = yield* jq.get();
      trace.push(`consumed ${item}`);
      jq.taskDone();
    }
  });
  for (let i = 0; i < 3; i++) {
    yield* jq.put(i);
    trace.push(`put ${i}`);
  }
  yield* jq.join();
  trace.push("joined");
  c.kill();
}

function* channel_rendezvous(trace: Trace): Coroutine<void> {
  const ch = new Channel<string>();
  const p = spawn(function* () {
    for (const x of ["a", "b"]) {
      trace.push(`put ${x}`);
      yield* ch.put(x);
      trace.push(`put ${x} returned`);
    }
  });
  yield* sleep(0.01);
  trace.push(`balance ${ch.balance}`);
  trace.push(`got ${yield* ch.get()}`);
  trace.push(`got ${yield* ch.get()}`);
  yield* p.join();
  trace.push("done");
}

function* drain<R>(it: IMap<R>): Coroutine<R[]> {
  const out: R[] = [];
  for (;;) {
    const r = yield* it.next();
    if (r.done) return out;
    out.push(r.value);
  }
}

function* pool_imap(trace: Trace): Coroutine<void> {
  const pool = new Pool(2);
  function* job(x: number) {
    yield* sleep(x / 20);
    return x;
  }
  trace.push(`unordered ${py(yield* drain(pool.imapUnordered(job, [5, 1, 3, 2])))}`);
  trace.push(`ordered ${py(yield* drain(pool.imap(job, [5, 1, 3, 2])))}`);
  trace.push(`map ${py(yield* pool.map(job, [3, 1, 2]))}`);
  for (let i = 0; i < 3; i++) yield* pool.spawn(job, 2);
  trace.push(`len after 3 spawns ${pool.length} free ${pool.freeCount()}`);
  yield* pool.join();
  trace.push(`joined len ${pool.length}`);
}

function* event_waits(trace: Trace): Coroutine<void> {
  const e = new Event();
  const ws = [0, 1, 2].map(() => spawn(() => e.wait()));
  yield* sleep(0);
  e.set();
  e.clear();
  yield* joinall(ws);
  trace.push(`set-then-clear ${py(ws.map((w) => w.value))}`);
  trace.push(`timed wait ${py(yield* e.wait(0.01))}`);
  const r = new AsyncResult<number>();
  spawnLater(0.01, () => r.set(5));
  trace.push(`asyncresult wait ${py(yield* r.wait())}`);
  const bad = new AsyncResult();
  bad.setException(new Error("v"));
  trace.push(`asyncresult wait on error ${py(yield* bad.wait())}`);
}

function* joinall_killall(trace: Trace): Coroutine<void> {
  class ValueError extends Error {
    override name = "ValueError";
  }
  class KeyError extends Error {
    override name = "KeyError";
  }
  const a = spawn(function* () {
    yield* sleep(0.02);
    throw new ValueError("late");
  });
  const b = spawn(() => {
    throw new KeyError("first");
  });
  const c = spawn(() => sleep(0.01));
  try {
    yield* joinall([a, b, c] as Greenlet<unknown>[], { raiseError: true });
  } catch (e) {
    trace.push(`joinall raised ${(e as Error).name}`);
  }
  const done = yield* joinall([a, b, c] as Greenlet<unknown>[], { timeout: 0.5 });
  trace.push(`joinall finished ${done.length}`);
  function* stubborn() {
    try {
      yield* sleep(1);
    } catch (e) {
      if (!(e instanceof GreenletExit)) throw e;
      yield* sleep(0.5);
    }
  }
  const s = [spawn(stubborn), spawn(stubborn)];
  yield* sleep(0.01);
  try {
    yield* killall(s, { timeout: 0.05 });
    trace.push("killall returned");
  } catch (e) {
    if (e instanceof Timeout) trace.push("killall raised Timeout");
  }
  trace.push(`alive ${py(s.map((g) => !g.dead))}`);
  yield* killall(s, { exception: ValueError, block: true });
  trace.push(`after second killall ${py(s.map((g) => (g.exception as Error).name))}`);
}

// The names of issue 13 not traced by the scenarios above.
function* api_contract(trace: Trace): Coroutine<void> {
  class ValueError extends Error {
    override name = "ValueError";
  }
  const e = new ValueError("x");
  let g: Greenlet<unknown> = spawn(() => sleep(1));
  yield* sleep(0);
  yield* g.kill({ exception: e });
  trace.push(`kill with an instance: same=${py(g.exception === e)} successful=${py(g.successful())}`);
  g = spawn(() => sleep(1));
  yield* sleep(0);
  yield* g.kill({ exception: ValueError });
  trace.push(`kill with a class: ${(g.exception as Error).name}`);
  g = spawn(() => {
    throw new GreenletExit();
  });
  yield* g.join();
  trace.push(`raises GreenletExit itself: ${state(g)}`);
  const sum = new Greenlet((a: number, b: number) => a + b, 1, 2);
  trace.push(`args ${py(sum.args)}`);
  sum.start();
  sum.link(() => void trace.push("link (wrong)"));
  sum.rawlink(() => trace.push("rawlink (wrong)"));
  sum.unlinkAll();
  trace.push(`has_links after unlink_all ${py(sum.hasLinks())}`);
  yield* sum.join();
  yield* sleep(0.01);
  trace.push(`value ${py(sum.value)}`);

  function* withStartNew() {
    const t = Timeout.startNew(0.01, ValueError);
    try {
      trace.push(`start_new pending ${py(t.pending)} seconds ${t.seconds}`);
      yield* sleep(1);
    } catch (err) {
      if (err instanceof ValueError) trace.push("start_new raised ValueError");
      else throw err;
    } finally {
      t.close();
    }
    trace.push(`after close pending ${py(t.pending)}`);
  }
  yield* spawn(withStartNew).join();

  const g1 = spawn(() => sleep(0.01));
  const g2 = spawn(() => sleep(0.02));
  const group = new Group([g1, g2]);
  trace.push(`group len ${group.length} has ${py(group.has(g1))} iterates ${[...group].length}`);
  const g3 = new Greenlet(() => 3);
  group.start(g3);
  trace.push(`start(g): has ${py(group.has(g3))} started ${py(g3.started)}`);
  group.discard(g1);
  trace.push(`discard: has ${py(group.has(g1))} len ${group.length}`);
  yield* group.join();
  trace.push(`after join len ${group.length}`);

  const ev = new Event();
  trace.push(`is_set ${py(ev.isSet())}`);
  ev.set();
  trace.push(`is_set ${py(ev.isSet())}`);

  const q = new Queue<number>();
  try {
    q.peek({ block: false });
  } catch (err) {
    if (err instanceof Empty) trace.push("peek(block=False) on empty: Empty");
  }
  q.putNowait(1);
  trace.push(`peek ${yield* q.peek()} qsize ${q.qsize()}`);
  const q2 = new Queue<string>();
  spawn(function* () {
    yield* sleep(0.01);
    yield* q2.put("x");
  });
  trace.push(`peek waits: ${yield* q2.peek()} qsize ${q2.qsize()}`);
  yield* q2.get();
  try {
    yield* q2.peek({ timeout: 0.01 });
  } catch (err) {
    if (err instanceof Empty) trace.push("peek(timeout) on empty: Empty");
  }
  trace.push(`Queue(-1).maxsize ${py(new Queue(-1).maxsize)}`);
  for (const [name, make] of [
    ["Channel(2)", () => new Channel(2)],
    ["task_done", () => new Queue().taskDone()],
  ] as const) {
    try {
      make();
    } catch (err) {
      trace.push(`${name}: ${(err as Error).name} ${(err as Error).message}`);
    }
  }
}

const SCENARIOS: Record<string, (trace: Trace) => Coroutine<void>> = {
  kill_semantics,
  undead,
  link_order,
  spawn_order,
  timeout_nesting,
  queue_waiters,
  channel_rendezvous,
  pool_imap,
  event_waits,
  joinall_killall,
  api_contract,
};

const here = dirname(fileURLToPath(import.meta.url));

function realGevent(): { traces: Record<string, Trace> } | { reason: string } {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return { reason: `${python} not found` };
  try {
    execFileSync(python, ["-c", "import gevent"], { stdio: "pipe" });
  } catch {
    return { reason: "gevent is not importable by /usr/bin/python3 (apt-get install -y python3-gevent)" };
  }
  const out = execFileSync(python, [join(here, "side_by_side.py")], { encoding: "utf8" });
  return { traces: JSON.parse(out) as Record<string, Trace> };
}

const gevent = realGevent();
// gevent 22.10's traces, recorded (python3 side_by_side.py > side_by_side.gevent-22.10.json).
const recorded = JSON.parse(readFileSync(join(here, "side_by_side.gevent-22.10.json"), "utf8")) as Record<
  string,
  Trace
>;

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  test(`side by side with gevent: ${name}`, async (t) => {
    const trace: Trace = [];
    await runG(() => scenario(trace));
    t.true(trace.length > 0);
    t.deepEqual(trace, recorded[name], "the recorded gevent 22.10 trace");
    if ("reason" in gevent) {
      t.log(`skipped the live comparison: ${gevent.reason}`);
      return;
    }
    t.deepEqual(trace, gevent.traces[name], "the live gevent trace");
  });
}

// The scenarios of side_by_side.py, run on asyncio-ts/twisted and compared
// trace for trace with real Twisted (Debian's python3-twisted, run as
// /usr/bin/python3). Without Twisted the comparison is skipped with the
// reason printed; our own traces are still checked to be complete.
import test from "ava";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DeferredCancelledError as CancelledError,
  Clock,
  Deferred,
  DeferredList,
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  LoopingCall,
  QueueOverflow,
  QueueUnderflow,
  type DeferredTimeoutError as TimeoutError,
  deferLater,
  Failure,
  type FirstError,
  fail,
  gatherResults,
  inlineCallbacks,
  succeed,
} from "../../../adapters/twisted/index.js";

class Boom extends Error {}
class Other extends Error {}

function fmt(v: unknown): string {
  if (v instanceof Failure) return `F:${v.parents[0]}:${v.getErrorMessage()}`;
  if (v === undefined || v === null) return "None";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return "[" + v.map(fmt).join(",") + "]";
  if (v instanceof Deferred) return "Deferred";
  return String(v);
}

function chain_switching(): string[] {
  const trace: string[] = [];
  const d = new Deferred<unknown>();
  const rec =
    (name: string, opts: { ret?: unknown; exc?: Error } = {}) =>
    (r: unknown) => {
      trace.push(`${name}<-${fmt(r)}`);
      if (opts.exc !== undefined) throw opts.exc;
      return opts.ret !== undefined ? opts.ret : r;
    };
  d.addCallback(rec("cb1", { ret: 1 }));
  d.addCallback(rec("cb2", { exc: new Boom("b2") }));
  d.addCallback(rec("cb3-skipped"));
  d.addErrback(rec("eb1"));
  d.addCallbacks(rec("cb4-skipped"), rec("eb2", { ret: "recovered" }));
  d.addCallback(rec("cb5", { ret: new Failure(new Other("o5")) }));
  d.addErrback((f) => f.trap(Boom));
  d.addErrback(rec("eb3"));
  d.addErrback(() => undefined);
  d.addBoth(rec("both"));
  d.callback(0);
  trace.push("final:" + fmt(d.result));
  return trace;
}

function pause_on_inner(): string[] {
  const trace: string[] = [];
  const outer = new Deferred<unknown>();
  const inner = new Deferred<unknown>();
  inner.addCallback((r) => (trace.push("inner-own<-" + fmt(r)), "inner-own-result"));
  outer.addCallback((r) => (trace.push("outer1<-" + fmt(r)), inner));
  outer.addCallback((r) => (trace.push("outer2<-" + fmt(r)), "outer2"));
  outer.callback("start");
  trace.push(`paused:${outer.paused} called:${fmt(inner.called)}`);
  inner.addCallback((r) => void trace.push("inner-after<-" + fmt(r)));
  trace.push("before-fire");
  inner.callback("x");
  trace.push("outer:" + fmt(outer.result) + " inner:" + fmt(inner.result));
  const fired = succeed("ready");
  const o2 = new Deferred<unknown>();
  o2.addCallback(() => fired);
  o2.callback(undefined);
  trace.push("o2:" + fmt(o2.result) + " fired:" + fmt(fired.result));
  return trace;
}

function deferred_list_flags(): string[] {
  const trace: string[] = [];
  let [a, b, c] = [new Deferred<unknown>(), new Deferred<unknown>(), new Deferred<unknown>()];
  new DeferredList([a, b, c], { consumeErrors: true }).addCallback((r) => void trace.push("all:" + fmt(r)));
  b.errback(new Boom("b"));
  a.callback(1);
  c.callback(3);
  trace.push("b-after:" + fmt(b.result));
  [a, b] = [new Deferred<unknown>(), new Deferred<unknown>()];
  new DeferredList([a, b], { fireOnOneCallback: true }).addCallback((r) => void trace.push("one-cb:" + fmt(r)));
  b.callback("B");
  a.callback("A");
  [a, b] = [new Deferred<unknown>(), new Deferred<unknown>()];
  const dl = new DeferredList([a, b], { fireOnOneErrback: true, consumeErrors: true });
  dl.addErrback((f) => {
    const fe = f.value as FirstError;
    trace.push(`one-eb:${f.parents[0]} idx=${fe.index} sub=${fmt(fe.subFailure)}`);
  });
  a.callback("A");
  b.errback(new Other("o"));
  new DeferredList([]).addCallback((r) => void trace.push("empty:" + fmt(r)));
  const e = new DeferredList([], { fireOnOneCallback: true });
  trace.push("empty-one-cb-called:" + fmt(e.called));
  gatherResults<unknown>([succeed(1), fail(new Boom("g"))], { consumeErrors: true }).addErrback(
    (f) => void trace.push(`gather:${f.parents[0]} sub=${fmt((f.value as FirstError).subFailure)}`),
  );
  return trace;
}

function inline_callbacks_cancellation(): string[] {
  const trace: string[] = [];
  const first = new Deferred<unknown>();
  const second = new Deferred<unknown>();
  const gen = inlineCallbacks(function* () {
    try {
      yield first;
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
      trace.push("caught-cancel");
    }
    const v = yield second;
    trace.push("second<-" + fmt(v));
    return "done";
  });
  const d = gen();
  d.addBoth((r) => void trace.push("outer<-" + fmt(r)));
  d.cancel();
  trace.push("after-first-cancel called:" + fmt(d.called));
  d.cancel();
  trace.push("after-second-cancel called:" + fmt(d.called));
  const third = new Deferred<unknown>((it) => it.errback(new Boom("translate")));
  const gen2 = inlineCallbacks(function* () {
    try {
      yield third;
    } catch (e) {
      if (e instanceof Boom) return "translated:" + e.message;
      throw e;
    }
    return "no";
  });
  const d2 = gen2();
  d2.cancel();
  trace.push("d2:" + fmt(d2.result));
  return trace;
}

function clock_timeouts_loopingcall(): string[] {
  const trace: string[] = [];
  const clock = new Clock();
  const d = new Deferred<unknown>();
  d.addErrback((f) => (trace.push("eb-before<-" + fmt(f)), f));
  d.addTimeout(5, clock);
  d.addBoth((r) => {
    const f = r as Failure;
    trace.push(`after<-${f.parents[0]} timeout=${(f.value as TimeoutError).timeout}`);
  });
  clock.advance(4.9);
  trace.push(`t=${pyFloat(clock.seconds())} called=${fmt(d.called)}`);
  clock.advance(0.1);
  const d2 = new Deferred<unknown>((c) => c.callback("cancel-success"));
  d2.addTimeout(1, clock);
  d2.addBoth((r) => void trace.push("d2<-" + fmt(r)));
  clock.advance(1);
  const times: number[] = [];
  const lc = new LoopingCall(() => void times.push(clock.seconds()));
  lc.clock = clock;
  lc.start(1.0);
  clock.advance(1);
  clock.advance(2.5);
  clock.advance(0.5);
  lc.stop();
  trace.push("loop:[" + times.map(pyFloat).join(",") + "]");
  const dl = deferLater(clock, 2, () => "later");
  dl.addBoth((r) => void trace.push("deferLater<-" + fmt(r)));
  clock.advance(2);
  return trace;
}

/** Python's str() of a float: always a decimal point. */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

function lock_semaphore_queue(): string[] {
  const trace: string[] = [];
  const lock = new DeferredLock();
  for (const name of ["a", "b", "c"]) lock.acquire().addCallback(() => void trace.push("lock:" + name));
  const cWaiter = lock.waiting[1]!;
  cWaiter.addErrback((f) => void trace.push("cancelled:" + fmt(f)));
  cWaiter.cancel();
  trace.push(`waiting:${lock.waiting.length}`);
  lock.release();
  trace.push("locked:" + fmt(lock.locked));
  lock.release();
  trace.push("locked:" + fmt(lock.locked));
  const sem = new DeferredSemaphore(2);
  for (const name of ["x", "y", "z"]) sem.acquire().addCallback(() => void trace.push("sem:" + name));
  sem.release();
  trace.push(`tokens:${sem.tokens}`);
  const q = new DeferredQueue<number>(1, 1);
  q.get().addCallback((v) => void trace.push("got:" + fmt(v)));
  try {
    q.get();
  } catch (e) {
    if (e instanceof QueueUnderflow) trace.push("underflow");
  }
  q.put(1);
  q.put(2);
  try {
    q.put(3);
  } catch (e) {
    if (e instanceof QueueOverflow) trace.push("overflow");
  }
  q.get().addCallback((v) => void trace.push("got:" + fmt(v)));
  return trace;
}

const SCENARIOS: Record<string, () => string[]> = {
  clock_timeouts_loopingcall,
  lock_semaphore_queue,
  chain_switching,
  pause_on_inner,
  deferred_list_flags,
  inline_callbacks_cancellation,
};

const here = dirname(fileURLToPath(import.meta.url));

function twistedTraces(): { traces?: Record<string, string[]>; reason?: string } {
  const python = "/usr/bin/python3";
  if (!existsSync(python)) return { reason: `${python} not found` };
  try {
    execFileSync(python, ["-c", "import twisted.internet.defer"], { stdio: "pipe" });
  } catch {
    return { reason: "Twisted is not importable by /usr/bin/python3 (apt-get install -y python3-twisted)" };
  }
  const out = execFileSync(python, [join(here, "side_by_side.py")], { encoding: "utf8" });
  return { traces: JSON.parse(out) as Record<string, string[]> };
}

const twisted = twistedTraces();

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  test(`side by side with Twisted: ${name}`, (t) => {
    const ours = scenario();
    t.true(ours.length > 0);
    if (twisted.traces === undefined) {
      t.log(`skipped the comparison: ${twisted.reason}`);
      return;
    }
    t.deepEqual(ours, twisted.traces[name]);
  });
}

// Carries the current frame (task) across native promise continuations, so
// that currentTask(), ContextVar and cancellation work inside async
// functions, and finds which of our awaitables an async-function task is
// suspended on. Uses V8 promise hooks directly (Node 20 has no
// AsyncContextFrame); they are installed only while async-function tasks
// exist.
//
// Which await a task is suspended on (what task.cancel() cancels) is read
// from the promises V8 creates for an `await`, never from who calls `then`:
//
// - `await x` on a value that is not a native promise makes a wrapper
//   promise P whose parent is the awaiting function's own promise O, then a
//   throwaway promise T whose parent is P, with nothing in between but the
//   read of `x.then` (our Future's `then` is a getter that reports it). So
//   init(P, O), [then read of fut], init(T, P) is exactly "the function of O
//   awaits fut"; no other JavaScript produces a promise whose parent is a
//   promise created just before it (P is unreachable from user code).
// - `await p` on a native promise makes only T, whose parent is p: not told
//   apart from `p.then(...)`. The awaiting function is known exactly when it
//   is the bottom of the synchronous run (a resumed function suspends last,
//   so its await is the run's last promise); for functions called in the run
//   it is inferred from the call nesting (parentless promises open a frame,
//   awaits close it), and kept only when the run is consistent (every frame
//   closed once, nothing closed twice): otherwise nothing is inferred, and
//   the cancellation waits for the next await the core knows.
// - A thenable job (V8 calling `then` of an awaited thenable) runs with the
//   wrapper as its promise: our awaitables' `then` registers what it waits
//   on with that wrapper.
//
// The task's chain is then walked from the task: task -> what its function
// awaits -> (a promise of a function it awaits -> ...) -> a Future.
import { promiseHooks } from "node:v8";
import { state, type Frame } from "./context.js";

const FRAME = Symbol("asyncio-ts.frame");
/** @internal On an awaiting function's promise (or a wrapper, or a task): what it is suspended on now. */
export const AWAIT: unique symbol = Symbol("asyncio-ts.await");
/** On an await's throwaway promise: the awaiting function's promise (its resumption runs that function). */
const OWNER = Symbol("asyncio-ts.owner");
/** On an await's wrapper promise: the awaiting function's promise. */
const WRAPS = Symbol("asyncio-ts.wraps");

/** @internal */
export type Node = { [AWAIT]?: unknown; [OWNER]?: Node; [WRAPS]?: Node; [FRAME]?: Frame };
type Tagged = Promise<unknown> & Node;

let stop: (() => void) | undefined;
let users = 0;

/** One synchronous run of code in a task's frame (a microtask job, or a task's first step). */
class Run {
  /** The function (its promise), wrapper or task whose code is at the bottom of the run; undefined if unknown. */
  bottom: Node | undefined = undefined;
  /** Open frames: promises made without a parent in this run (async functions called in it, or others). */
  readonly stack: Node[] = [];
  /** Inferred awaits, flat: owner, target, throwaway. */
  readonly links: Node[] = [];
  /** The last promise when it was a native child (not a wrapper pair): its parent and itself. */
  lastParent: Node | undefined = undefined;
  lastChild: Node | undefined = undefined;
  /** The last native child found no open frame (only the last may: the bottom's own await). */
  lastPoppedBottom = false;
  /** The frame the last native child closed (undefined: it found none). */
  lastPopped: Node | undefined = undefined;
  /** A task's first run: its first promise without a parent is the function's own (the bottom). */
  first = false;
  /** The bottom's own promise settled in the run: its function returned (its last promise was no await). */
  bottomSettled = false;
  /** One of our awaitables was read (`then`) after the last promise: the bottom returned it (no await). */
  lastReadAfter = false;
  bad = false;
  /** The job's promise when it is neither a throwaway nor a wrapper (a promise resolved with a thenable, or a reaction). */
  jobPromise: Node | undefined = undefined;
  /** The job's promise settled during the run (a reaction whose handler returned a value or threw). */
  jobSettled = false;
  reset(bottom: Node | undefined, jobPromise?: Node): this {
    this.bottom = bottom;
    this.jobPromise = jobPromise;
    this.jobSettled = false;
    if (this.stack.length !== 0) this.stack.length = 0;
    if (this.links.length !== 0) this.links.length = 0;
    this.lastParent = this.lastChild = undefined;
    this.lastPoppedBottom = false;
    this.lastPopped = undefined;
    this.first = false;
    this.bottomSettled = false;
    this.lastReadAfter = false;
    this.bad = false;
    return this;
  }
}

const mainRun = new Run();
let run: Run | undefined;
// A promise with a parent, not yet classified: a wrapper (if the next
// promise has it as parent) or a native child (a throwaway or a `then`).
let pending: Node | undefined;
let pendingParent: Node | undefined;
let thenRead: object | undefined;
/** The pending promise was made by Promise.prototype.then (not an await's throwaway). */
let pendingIsThen = false;
/** The promise of the microtask job running now (before/after), if any. */
let job: Node | undefined;
/** The owner of our awaitables' waits made now by code of ours that resumes a wait (a generator driver). */
let explicitOwner: Node | undefined;

function init(p: Promise<unknown>, parent: Promise<unknown> | undefined): void {
  const f = state.current;
  if (f === undefined) return;
  const r = run;
  // Two fields on every promise made in a frame; an await's throwaway gets
  // OWNER and its wrapper WRAPS later. A promise has no room for fields of
  // its own: at most three fit in the first property array V8 allocates, a
  // fourth costs a second one (and a copy) per promise.
  (p as Tagged)[FRAME] = f;
  (p as Tagged)[AWAIT] = parent;
  if (r === undefined) return;
  r.lastReadAfter = false;
  if (parent === undefined) {
    if (pending !== undefined) flush(r);
    if (r.first) {
      r.first = false;
      r.bottom = p as Tagged;
      return;
    }
    if (r.stack.length < 256) r.stack.push(p as Tagged);
    else r.bad = true;
    return;
  }
  if (pending !== undefined) {
    // A wrapper pair: our awaitable's `then` was read in between, or the
    // parent is a running function (`await x.then(f)` makes the same two
    // promises, the first a child of x).
    if (
      parent === pending &&
      (thenRead !== undefined || pendingParent === r.bottom || r.stack.includes(pendingParent!))
    ) {
      // `await x` on a non-native value: pending is the wrapper, p the throwaway.
      const owner = pendingParent as Node;
      const wrapper = pending;
      const read = thenRead;
      const target = read ?? wrapper;
      pending = pendingParent = thenRead = undefined;
      pendingIsThen = false;
      (p as Tagged)[OWNER] = owner;
      wrapper[WRAPS] = owner;
      // The wrapper waits on what its thenable's `then` registers (not on its parent).
      wrapper[AWAIT] = read;
      owner[AWAIT] = target;
      const s = r.stack;
      // Frames above the awaiting function are not functions (or they returned).
      const i = s.length === 0 ? -1 : s.lastIndexOf(owner);
      if (i >= 0) s.length = i;
      else {
        // The bottom, or a function an earlier native child was taken for
        // the await of (it was a `then` call): the inferences are wrong.
        if (s.length !== 0) s.length = 0;
        if (r.links.length !== 0 && r.links.includes(owner)) r.bad = true;
      }
      r.lastParent = r.lastChild = undefined;
      r.lastPoppedBottom = false;
      return;
    }
    flush(r);
  }
  // A promise with a parent waits for it (a `then`'s promise, an await's throwaway): set above.
  pending = p as Tagged;
  pendingParent = parent as Tagged;
  thenRead = undefined;
  // Inside a function called in this run, a child of a promise that is not
  // a running function's is a throwaway of that function's await, or a
  // `then` call: the call stack tells (a `then` runs in Promise.prototype.then).
  // Only there: a resumed function's own awaits and `await x` on values cost nothing.
  pendingIsThen = r.stack.length > 0 && !r.stack.includes(parent as Tagged) && madeByThen();
}

const capture: { stack?: unknown } = {};
function frameName(_: unknown, cs: NodeJS.CallSite[]): string | null {
  const c = cs[0];
  // Promise.prototype.then is a builtin: no file.
  return c === undefined || c.getFileName() ? null : c.getFunctionName();
}
function madeByThen(): boolean {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = 1;
  Error.prepareStackTrace = frameName;
  try {
    Error.captureStackTrace(capture, init);
    return capture.stack === "then";
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
    capture.stack = undefined;
  }
}

/** Removes s[i] (splice allocates the array of removed elements; the top is the usual case). */
function removeAt(s: Node[], i: number): void {
  const last = s.length - 1;
  for (let j = i; j < last; j++) s[j] = s[j + 1]!;
  s.pop();
}

// The pending promise was a native child of its parent: an await on a
// native promise, or a `then` call (which looks the same).
function flush(r: Run): void {
  const t = pending as Node;
  const x = pendingParent as Node;
  pending = pendingParent = thenRead = undefined;
  if (pendingIsThen) {
    pendingIsThen = false;
    return; // a `then` call of the running function: it waits on x (set at init), nothing else
  }
  const s = r.stack;
  // A promise of this run that is used already is not an open function's.
  const i = s.lastIndexOf(x);
  if (i >= 0) removeAt(s, i);
  r.lastParent = x;
  r.lastChild = t;
  if (s.length > 0) {
    const f = s.pop() as Node;
    r.links.push(f, x, t);
    r.lastPopped = f;
    r.lastPoppedBottom = false;
  } else {
    r.lastPopped = undefined;
    r.lastPoppedBottom = true;
  }
}

function settled(p: Promise<unknown>): void {
  const r = run;
  if (r === undefined) return;
  if (p === r.jobPromise) r.jobSettled = true;
  if (p === r.bottom) r.bottomSettled = true;
  if (r.stack.length === 0) return;
  const i = r.stack.lastIndexOf(p as Tagged);
  if (i >= 0) removeAt(r.stack, i); // an async function that returned without suspending
}

function end(r: Run, bottom: Node | undefined): void {
  if (pending !== undefined) {
    // One of our awaitables read after the last promise, with no throwaway
    // after it: resolving with it (the bottom's `return fut`), not an await.
    const readAfter = thenRead !== undefined;
    flush(r);
    if (readAfter) r.lastReadAfter = true;
  }
  const l = r.links;
  // The run's last promise, when a native child, is the bottom's await (the
  // code at the bottom suspends last): in a task's first run the bottom's
  // own frame is open and that await closes it; otherwise no frame may be
  // closed by it.
  const lastNative = r.lastChild !== undefined;
  let consistent = !r.bad && r.stack.length === 0;
  // (Other native children found no open frame: `then` calls of the bottom's
  // code, since those of the functions it calls are told by the call stack.)
  if (lastNative && !r.lastPoppedBottom && r.lastPopped !== bottom) consistent = false;
  if (consistent && bottom !== undefined) {
    // An earlier promise that closed the bottom's frame was a `then` call, not its await.
    const lim = lastNative && !r.lastPoppedBottom ? l.length - 3 : l.length;
    for (let i = 0; i < lim; i += 3) if (l[i] === bottom) consistent = false;
  }
  if (consistent) {
    for (let i = 0; i < l.length; i += 3) {
      l[i]![AWAIT] = l[i + 1];
      l[i + 2]![OWNER] = l[i];
    }
  }
  if (lastNative && !r.bottomSettled && !r.lastReadAfter) {
    if (bottom !== undefined) {
      bottom[AWAIT] = r.lastParent;
      r.lastChild![OWNER] = bottom;
    } else if (r.jobPromise !== undefined && !r.jobSettled) {
      // A job that left its promise pending: the promise was resolved with a
      // thenable (V8 called its `then`: with hooks on, always through `then`),
      // and follows what that `then` waits on.
      r.jobPromise[AWAIT] = r.lastParent;
    }
  }
}

function before(p: Promise<unknown>): void {
  const f = (p as Tagged)[FRAME];
  state.current = f;
  job = p as Tagged;
  if (run !== undefined) end(run, run.bottom);
  if (f === undefined) {
    run = undefined;
    return;
  }
  // A throwaway resumes its function; a wrapper runs the awaited thenable's `then`.
  const owner = (p as Tagged)[OWNER];
  if (owner !== undefined) run = mainRun.reset(owner);
  else if ((p as Tagged)[WRAPS] !== undefined) run = mainRun.reset(p as Tagged);
  else run = mainRun.reset(undefined, p as Tagged);
}
function after(): void {
  if (run !== undefined) {
    end(run, run.bottom);
    run = undefined;
  }
  job = undefined;
  state.current = undefined;
}

/** @internal Called by our Future's `then` getter: the read V8's `await` makes. */
export function noteThenRead(x: object): void {
  if (pending !== undefined) thenRead = x;
  else if (run !== undefined && run.lastChild !== undefined) run.lastReadAfter = true;
}

/**
 * @internal Runs `fn` as one run of code whose bottom is `bottom` (a task
 * waiting on what its function returned), or unknown (a task's first step,
 * whose bottom is the promise fn returns: `bottomOf` names it).
 */
export function inRun<R>(bottom: Node | undefined, fn: () => R, bottomOf?: (result: R) => Node | undefined): R {
  const saved = run;
  if (saved !== undefined && pending !== undefined) flush(saved);
  const r = (spareRuns.pop() ?? new Run()).reset(bottom);
  r.first = bottom === undefined && bottomOf !== undefined;
  run = r;
  let result: R | undefined;
  try {
    result = fn();
    return result;
  } finally {
    end(r, r.bottom ?? (bottomOf !== undefined && result !== undefined ? bottomOf(result) : undefined));
    pending = pendingParent = thenRead = undefined;
    pendingIsThen = false;
    run = saved;
    if (spareRuns.length < 8) spareRuns.push(r.reset(undefined));
  }
}
/** Runs of inRun, reused (one per task start and per generator step otherwise). */
const spareRuns: Run[] = [];

/** @internal Runs `fn` with `owner` as the owner of the waits our awaitables register in it. */
export function withOwner<R>(owner: Node | undefined, fn: () => R): R {
  const saved = explicitOwner;
  explicitOwner = owner;
  try {
    return fn();
  } finally {
    explicitOwner = saved;
  }
}

/**
 * @internal The owner a direct `then` call on one of our awaitables waits
 * for: the wrapper of an awaited thenable (its `then` runs now), a task
 * waiting on what its function returned, or a generator driver's owner.
 * Undefined elsewhere: a `then` called by a function's own code is not an
 * await.
 */
export function thenOwner(onFulfilled?: unknown): Node | undefined {
  if (explicitOwner !== undefined) return explicitOwner;
  const r = run;
  if (r === undefined) return undefined;
  const b = r.bottom;
  if (b !== undefined) return b[WRAPS] !== undefined || !(b instanceof Promise) ? b : undefined;
  // A promise resolved with our awaitable (an async function's `return fut`,
  // `new Promise((r) => r(fut))`): V8 calls `then` with the promise's own
  // resolving functions, and that promise is what waits.
  const j = job;
  return j !== undefined && j === r.jobPromise && isResolvingFunction(onFulfilled) ? j : undefined;
}

function isResolvingFunction(f: unknown): boolean {
  return (
    typeof f === "function" &&
    f.name === "" &&
    f.length === 1 &&
    Function.prototype.toString.call(f).endsWith("{ [native code] }")
  );
}

/** @internal The awaiting function's promise when V8 calls `then` of the awaited `x` (a thenable job), else undefined. */
export function awaitOwner(x: object): Node | undefined {
  const j = job;
  if (j === undefined) return undefined;
  const o = j[WRAPS];
  return o !== undefined && o[AWAIT] === x ? o : undefined;
}

/** @internal `p` is a promise of ours (what our `then` returns), not an async function's: not an open frame. */
export function notFrame(p: Promise<unknown>): void {
  const r = run;
  if (r === undefined || r.stack.length === 0) return;
  const i = r.stack.lastIndexOf(p as Tagged);
  if (i >= 0) removeAt(r.stack, i);
}

/** @internal Records that `owner` waits on `target` now (our awaitables' own waits). */
export function setAwait(owner: Node, target: unknown): void {
  owner[AWAIT] = target;
}

/**
 * @internal What `root` (a task) is suspended on, following the chain of
 * awaits: the first object `isLeaf` accepts (a Future), or undefined.
 */
export function suspendedOn(root: Node, isLeaf: (x: unknown) => boolean): unknown {
  let t = root[AWAIT];
  for (let i = 0; i < 100_000; i++) {
    if (typeof t !== "object" || t === null) return undefined;
    if (isLeaf(t)) return t;
    t = (t as Node)[AWAIT];
  }
  return undefined;
}

/** @internal True when `owner` is on the chain of awaits from `root` (the task itself included). */
export function onChain(root: Node, owner: Node, isLeaf: (x: unknown) => boolean): boolean {
  if (owner === root) return true;
  let t = root[AWAIT];
  for (let i = 0; i < 100_000; i++) {
    if (t === owner) return true;
    if (typeof t !== "object" || t === null || isLeaf(t)) return false;
    t = (t as Node)[AWAIT];
  }
  return false;
}

/** @internal Called when an async-function task is created. */
export function retainHooks(): void {
  users++;
  if (stop === undefined) stop = promiseHooks.createHook({ init, before, after, settled }) as () => void;
}

/** @internal Called when an async-function task is done. */
export function releaseHooks(): void {
  users--;
  if (users === 0 && stop !== undefined) {
    // Removed lazily, on the next macrotask, so that a workload that creates
    // tasks one after another does not install and remove the hooks each time.
    setImmediate(() => {
      if (users === 0 && stop !== undefined) {
        stop();
        stop = undefined;
      }
    });
  }
}

/** @internal For tests and benchmarks. */
export function hooksInstalled(): boolean {
  return stop !== undefined;
}

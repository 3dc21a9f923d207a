// fromCallback / toCallback against Node's own util.promisify /
// util.callbackify on the same inputs, dualApi, and bad input.
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { callbackify, promisify } from "node:util";
import {
  CancelledError,
  Future,
  RuntimeError,
  TimeoutError,
  ValueError,
  createTask,
  getRunningLoop,
  sleep,
  waitFor,
  type Coroutine,
} from "../../../src/index.js";
import { FalsyRejectionError, dualApi, fromCallback, toCallback } from "../../../adapters/promise/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

type Cb = (err: unknown, ...values: unknown[]) => void;

// Callback APIs that call back on the next tick with the given outcome.
function later(err: unknown, ...values: unknown[]) {
  return function api(this: unknown, _x: unknown, cb: Cb): void {
    process.nextTick(() => cb(err, ...values));
  };
}

async function settle(p: PromiseLike<unknown>): Promise<{ ok: boolean; v: unknown }> {
  return p.then(
    (v) => ({ ok: true, v }),
    (e) => ({ ok: false, v: e }),
  );
}

// ---- fromCallback vs util.promisify -------------------------------------------

test("fromCallback gives the same outcomes as util.promisify on the same inputs", async (t) => {
  const err = new Error("e");
  const cases: Array<[string, (x: unknown, cb: Cb) => void]> = [
    ["one result", later(null, 1)],
    ["undefined err", later(undefined, "u")],
    ["several results: the first is kept", later(null, "a", "b", "c")],
    ["no result", later(null)],
    ["an error", later(err)],
    ["a falsy error is success", later(0, "zero")],
    ["an error with results", later(err, 1)],
    ["a synchronous callback", (_x, cb) => cb(null, "sync")],
    [
      "a synchronous throw",
      () => {
        throw err;
      },
    ],
  ];
  await runTest(async () => {
    for (const [name, api] of cases) {
      const ours = fromCallback(api)("x");
      t.true(ours instanceof Future, name);
      t.deepEqual(await settle(ours), await settle(promisify(api)("x")), name);
    }
  });
});

test("fromCallback: fs.read-style APIs (several named success arguments) give the same object as util.promisify", async (t) => {
  const file = path.join(os.tmpdir(), `asyncio-ts-read-${process.pid}.txt`);
  fs.writeFileSync(file, "hello world");
  const fd = fs.openSync(file, "r");
  try {
    await runTest(async () => {
      const read = fromCallback(fs.read as (...args: unknown[]) => void);
      const ours = (await read(fd, Buffer.alloc(5), 0, 5, 0)) as unknown as { bytesRead: number; buffer: Buffer };
      const node = (await promisify(fs.read)(fd, Buffer.alloc(5), 0, 5, 0)) as unknown as {
        bytesRead: number;
        buffer: Buffer;
      };
      t.deepEqual(Object.keys(ours), ["bytesRead", "buffer"]);
      t.deepEqual(ours, node);
      t.is(ours.buffer.toString(), "hello");
    });
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
});

test("fromCallback honours util.promisify.custom (its result becomes a Future), as util.promisify", async (t) => {
  function legacy(x: number, cb: Cb): void {
    cb(new Error("the custom implementation must be used instead"), x);
  }
  const custom = (x: number) => Promise.resolve(x * 2);
  (legacy as unknown as Record<symbol, unknown>)[promisify.custom] = custom;
  t.is(promisify(legacy), custom as never);
  await runTest(async () => {
    const f = fromCallback(legacy as never) as (x: number) => Future<number>;
    const fut = f(21);
    t.true(fut instanceof Future);
    t.is(await fut, 42);
    t.is(await promisify(legacy)(21), 42);
  });
});

test("fromCallback: a util.promisify.custom that is not a function is a TypeError, as util.promisify", (t) => {
  function legacy(cb: Cb): void {
    cb(null);
  }
  (legacy as unknown as Record<symbol, unknown>)[promisify.custom] = 1;
  t.throws(() => promisify(legacy), { instanceOf: TypeError });
  t.throws(() => fromCallback(legacy), { instanceOf: TypeError, message: /util\.promisify\.custom/ });
});

test("fromCallback keeps `this` when called as a method, as util.promisify", async (t) => {
  const obj = {
    base: 10,
    add(this: { base: number }, x: number, cb: (err: unknown, r: number) => void) {
      cb(null, this.base + x);
    },
    addOurs: undefined as unknown as (x: number) => Future<number>,
    addNode: undefined as unknown as (x: number) => Promise<number>,
  };
  obj.addOurs = fromCallback(obj.add);
  obj.addNode = promisify(obj.add);
  await runTest(async () => {
    t.is(await obj.addOurs(5), 15);
    t.is(await obj.addNode(5), 15);
  });
});

test("fromCallback copies the function's own properties, and util.promisify of the result returns it", (t) => {
  function named(_a: unknown, _b: unknown, cb: Cb): void {
    cb(null);
  }
  (named as unknown as { extra: number }).extra = 1;
  const ours = fromCallback(named);
  const node = promisify(named);
  t.is(ours.name, node.name);
  t.is(ours.length, node.length);
  t.is((ours as unknown as { extra: number }).extra, 1);
  t.is(promisify(ours), ours as never);
  t.is(Object.getPrototypeOf(ours), Object.getPrototypeOf(node));
});

test("fromCallback multiArgs: all success arguments, as an array (a custom implementation wins over it)", async (t) => {
  function legacy(cb: Cb): void {
    cb(null, 1, 2);
  }
  (legacy as unknown as Record<symbol, unknown>)[promisify.custom] = () => Promise.resolve("custom");
  await runTest(async () => {
    t.is(await fromCallback(legacy as (cb: Cb) => void, { multiArgs: true })(), "custom" as never);
    t.deepEqual(await fromCallback(later(null, "a", "b"), { multiArgs: true })("x"), ["a", "b"]);
    t.deepEqual(await fromCallback(later(null), { multiArgs: true })("x"), []);
    const e = new Error("m");
    t.is((await settle(fromCallback(later(e, 1), { multiArgs: true })("x"))).v, e);
  });
});

test("fromCallback types: arguments and result are inferred from the callback API", async (t) => {
  function get(key: string, cb: (err: Error | null, value: number) => void): void {
    cb(null, key.length);
  }
  await runTest(async () => {
    const getF = fromCallback(get);
    const n: number = await getF("four");
    t.is(n, 4);
  });
});

test("fromCallback: the returned function needs a running loop when called", (t) => {
  const f = fromCallback(later(null, 1));
  t.throws(() => f("x"), { instanceOf: RuntimeError });
});

// ---- bad and broken callback APIs --------------------------------------------

test("fromCallback: a non-function is a TypeError with a clear message", (t) => {
  for (const bad of [undefined, null, 1, "f", {}]) {
    t.throws(() => fromCallback(bad as never), {
      instanceOf: TypeError,
      message: /fromCallback\(\) expects a function taking a Node-style callback last, got/,
    });
  }
});

test("fromCallback: a callback called twice: the first outcome stands, the second is reported through the exception handler", async (t) => {
  const err = new Error("second");
  const { loop, result } = await runOn(async () => {
    const twice = (cb: Cb): void => {
      cb(null, "first");
      setImmediate(() => cb(err));
    };
    const fut = fromCallback(twice)();
    const v = await fut;
    await sleep(0);
    await new Promise((r) => setImmediate(r));
    return { v, fut };
  });
  t.is(result.v, "first");
  t.is(loop.errors.length, 1);
  t.regex(loop.errors[0]!.message, /called 2 times/);
  t.is(loop.errors[0]!.exception, err);
  t.is(loop.errors[0]!.future, result.fut);
});

test("fromCallback: a second success is reported too, with its values", async (t) => {
  const { loop, result } = await runOn(async () => {
    const twice = (cb: Cb): void => {
      cb(new Error("first"));
      cb(null, 1, 2);
    };
    return await settle(fromCallback(twice)());
  });
  t.false(result.ok);
  t.is((result.v as Error).message, "first");
  t.is(loop.errors.length, 1);
  t.deepEqual(loop.errors[0]!.result, [1, 2]);
});

test("fromCallback: a throw after the callback was called is reported, the callback's outcome stands", async (t) => {
  const thrown = new Error("after");
  const { loop, result } = await runOn(async () => {
    const api = (cb: Cb): void => {
      cb(null, "ok");
      throw thrown;
    };
    return await fromCallback(api)();
  });
  t.is(result, "ok");
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.exception, thrown);
});

test("fromCallback: an API that never calls back leaves the Future pending; waitFor bounds it", async (t) => {
  const { loop } = await runOn(async () => {
    const never = (_cb: Cb): void => {};
    const fut = fromCallback(never)();
    await sleep(100);
    t.false(fut.done());
    const start = getRunningLoop().time();
    const e = await settle(waitFor(fromCallback(never)(), 5));
    t.true(e.v instanceof TimeoutError);
    t.is(getRunningLoop().time() - start, 5);
    fut.cancel();
  });
  t.deepEqual(loop.errors, []);
});

test("fromCallback: a timeout by hand (a timer cancelling the Future); a late result is dropped, a late error reported", async (t) => {
  const late = new Error("late");
  const { loop } = await runOn(async () => {
    const l = getRunningLoop();
    let cb1!: Cb;
    let cb2!: Cb;
    const f1 = fromCallback((cb: Cb) => void (cb1 = cb))();
    const f2 = fromCallback((cb: Cb) => void (cb2 = cb))();
    l.callLater(1, () => f1.cancel("timed out"));
    l.callLater(1, () => f2.cancel("timed out"));
    const e = await settle(f1);
    t.true(e.v instanceof CancelledError);
    t.is((e.v as Error).message, "timed out");
    t.true(f2.cancelled());
    cb1(null, "too late");
    cb2(late);
    await sleep(0);
  });
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.exception, late);
});

// ---- toCallback vs util.callbackify --------------------------------------------

function viaCallback(
  f: (...args: any[]) => void,
  ...args: unknown[]
): Promise<{ args: unknown[]; sync: boolean; self: unknown }> {
  return new Promise((resolve) => {
    let sync = true;
    const self = { tag: "this" };
    f.call(self, ...args, function (this: unknown, ...cbArgs: unknown[]) {
      resolve({ args: cbArgs, sync, self: this });
    });
    sync = false;
  });
}

test("toCallback gives the same callback calls as util.callbackify on the same inputs", async (t) => {
  const err = new Error("e");
  const fns: Array<[string, (x: number) => Promise<unknown>]> = [
    ["a result", async (x) => x + 1],
    ["no result", async () => undefined],
    ["a rejection", async () => Promise.reject(err)],
    ["a rejection with undefined", async () => Promise.reject(undefined)],
  ];
  for (const [name, fn] of fns) {
    const ours = await viaCallback(toCallback(fn), 1);
    const node = await viaCallback(callbackify(fn), 1);
    t.false(ours.sync, name);
    t.false(node.sync, name);
    const nodeErr = node.args[0] as { code?: string; reason?: unknown; message?: string } | null;
    if (nodeErr?.code === "ERR_FALSY_VALUE_REJECTION") {
      const ourErr = ours.args[0] as FalsyRejectionError;
      t.deepEqual([ourErr.code, ourErr.message, ourErr.reason], [nodeErr.code, nodeErr.message, nodeErr.reason], name);
      t.is(ours.args.length, node.args.length, name);
    } else t.deepEqual(ours.args, node.args, name);
    t.deepEqual(ours.self, node.self, name);
  }
});

test("toCallback: a falsy rejection becomes an Error with the reason, as util.callbackify's ERR_FALSY_VALUE_REJECTION", async (t) => {
  for (const falsy of [null, undefined, 0, "", false]) {
    const fn = async () => Promise.reject(falsy);
    const [ours] = (await viaCallback(toCallback(fn))).args as [FalsyRejectionError];
    const [node] = (await viaCallback(callbackify(fn))).args as [Error & { code: string; reason: unknown }];
    t.true(ours instanceof FalsyRejectionError);
    t.true(ours instanceof Error);
    t.is(ours.message, node.message);
    t.is(ours.code, node.code);
    t.is(ours.reason, falsy);
    t.is(node.reason, falsy);
  }
});

test("toCallback: the callback is called on the next tick, in the same order as util.callbackify", async (t) => {
  const order: string[] = [];
  const fn = async () => "v";
  await new Promise<void>((resolve) => {
    toCallback(fn)(() => order.push("ours"));
    callbackify(fn)(() => order.push("node"));
    Promise.resolve().then(() => order.push("microtask"));
    setImmediate(() => resolve());
  });
  t.deepEqual(order, ["microtask", "ours", "node"]);
});

test("toCallback keeps `this` for fn and the callback; name and length as util.callbackify", async (t) => {
  async function method(this: { base: number }, x: number): Promise<number> {
    return this.base + x;
  }
  const ours = toCallback(method);
  const node = callbackify(method);
  t.is(ours.name, node.name);
  t.is(ours.name, "methodCallbackified");
  t.is(ours.length, node.length);
  const obj = { base: 1, ours, node };
  const r1 = await new Promise((res) => obj.ours(2, (_e: unknown, v: number) => res(v)));
  const r2 = await new Promise((res) => obj.node(2, (_e, v) => res(v)));
  t.is(r1, 3);
  t.is(r2, 3);
});

test("toCallback: a missing callback is a TypeError, as util.callbackify", (t) => {
  const fn = async (_x: number) => 1;
  t.throws(() => (callbackify(fn) as (x: number) => void)(1), { instanceOf: TypeError });
  t.throws(() => (toCallback(fn) as unknown as (x: number) => void)(1), {
    instanceOf: TypeError,
    message: /must be a callback function/,
  });
});

test("toCallback: a non-function is a TypeError; fn returning a non-awaitable is a TypeError", (t) => {
  t.throws(() => toCallback(5 as never), { instanceOf: TypeError, message: /toCallback\(\) expects a function/ });
  t.throws(() => toCallback((() => 5) as never)(() => {}), {
    instanceOf: TypeError,
    message: /must return a promise or an awaitable, got number/,
  });
});

test("toCallback: Futures, Tasks and generator coroutines; a cancelled one gives CancelledError", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const r1 = await viaCallback(toCallback(() => createTask(async () => sleep(1, "task"))));
    t.deepEqual(r1.args, [null, "task"]);
    const r2 = await viaCallback(
      toCallback(function* (): Coroutine<string> {
        yield* sleep(1);
        return "gen";
      }),
    );
    t.deepEqual(r2.args, [null, "gen"]);
    const fut = loop.createFuture<string>();
    const p = viaCallback(toCallback(() => fut));
    fut.cancel("c");
    const r3 = await p;
    t.true(r3.args[0] instanceof CancelledError);
    t.is((r3.args[0] as Error).message, "c");
  });
});

test("toCallback called inside a task does not take over the task's cancellation", async (t) => {
  await runTest(async () => {
    const loop = getRunningLoop();
    const other = loop.createFuture<string>();
    const task = createTask(async () => {
      toCallback(() => other)(() => {});
      await sleep(10);
    });
    await sleep(1);
    task.cancel();
    await settle(task);
    t.true(task.cancelled());
    t.false(other.cancelled()); // the cancel went to the sleep the task awaited
    other.setResult("x");
  });
});

// ---- dualApi -------------------------------------------------------------------

test("dualApi: without a callback it returns fn's promise unchanged", async (t) => {
  const p = Promise.resolve(3);
  const f = dualApi(async (_a: number) => 1);
  t.true(f(1) instanceof Promise);
  const g = dualApi((_a: number) => p);
  t.is(g(1), p);
  t.is(await f(1), 1);
});

test("dualApi: with a trailing callback it is called once, asynchronously, with (null, result); nothing is returned", async (t) => {
  const f = dualApi(async (a: number, b: number) => a + b);
  let sync = true;
  let calls = 0;
  const args = await new Promise<unknown[]>((resolve) => {
    const ret = f(1, 2, (...cbArgs: unknown[]) => {
      calls++;
      resolve(cbArgs);
    });
    t.is(ret, undefined);
    sync = false;
  });
  t.false(sync);
  t.deepEqual(args, [null, 3]);
  await new Promise((r) => setImmediate(r));
  t.is(calls, 1);
});

test("dualApi: errors go to the callback: a rejection, a falsy rejection, a synchronous throw", async (t) => {
  const err = new Error("e");
  const call = (fn: (...a: any[]) => unknown) =>
    new Promise<unknown[]>((resolve) => {
      let sync = true;
      fn((...a: unknown[]) => resolve([sync, ...a]));
      sync = false;
    });
  t.deepEqual(await call(dualApi(async () => Promise.reject(err))), [false, err]);
  const [sync1, falsy] = await call(dualApi(async () => Promise.reject(0)));
  t.false(sync1);
  t.true(falsy instanceof FalsyRejectionError);
  t.is((falsy as FalsyRejectionError).reason, 0);
  const throwsNow = dualApi((() => {
    throw err;
  }) as () => Promise<void>);
  t.deepEqual(await call(throwsNow), [false, err]);
  t.throws(() => throwsNow(), { is: err }); // promise callers see the throw itself
});

test("dualApi works without any asyncio-ts loop, and with fn returning a Future", async (t) => {
  const f = dualApi(async (x: string) => x.toUpperCase());
  const viaCb = await new Promise((res) => f("a", (_e, v) => res(v)));
  t.is(viaCb, "A");
  t.is(await f("b"), "B");
  await runTest(async () => {
    const loop = getRunningLoop();
    const g = dualApi(() => {
      const fut = loop.createFuture<string>();
      loop.callLater(1, () => fut.setResult("fut"));
      return fut as unknown as Promise<string>;
    });
    t.is(await new Promise((res) => g((_e, v) => res(v))), "fut");
  });
});

test("dualApi keeps `this`, name and own properties", async (t) => {
  async function getName(this: { name: string }): Promise<string> {
    return this.name;
  }
  const api = { name: "obj", getName: dualApi(getName) };
  t.is(api.getName.name, "getName");
  t.is(await api.getName(), "obj");
  t.is(await new Promise((res) => api.getName((_e, v) => res(v))), "obj");
});

test("dualApi: optional parameters before the callback (fn.length stops at defaults)", async (t) => {
  const get = dualApi(async (url: string, opts: { json?: boolean } = {}) => `${url}:${opts.json ? "json" : "text"}`);
  t.is(await get("u"), "u:text");
  t.is(
    await new Promise((res) => (get as (...a: unknown[]) => void)("u", (_e: unknown, v: unknown) => res(v))),
    "u:text",
  );
  t.is(await new Promise((res) => get("u", { json: true }, (_e, v) => res(v))), "u:json");
});

test("dualApi: arity option, for a function whose own last parameter is a function", async (t) => {
  const map = dualApi(async (xs: number[], f: (x: number) => number = (x) => x) => xs.map(f), { arity: 2 });
  t.deepEqual(await map([1, 2], (x) => x * 10), [10, 20]);
  t.deepEqual(
    await new Promise((res) =>
      map(
        [1, 2],
        (x) => x * 10,
        (_e, v) => res(v),
      ),
    ),
    [10, 20],
  );
  t.throws(() => dualApi(async () => 1, { arity: -1 }), { instanceOf: ValueError });
});

test("dualApi: a non-function is a TypeError with a clear message", (t) => {
  for (const bad of [undefined, null, 1, "f", {}]) {
    t.throws(() => dualApi(bad as never), {
      instanceOf: TypeError,
      message: /dualApi\(\) expects a function returning a promise, got/,
    });
  }
});

test.serial("dualApi and toCallback never leave a native promise rejecting unhandled", async (t) => {
  const seen: unknown[] = [];
  const onUnhandled = (r: unknown): void => void seen.push(r);
  process.on("unhandledRejection", onUnhandled);
  try {
    const f = dualApi(async () => Promise.reject(new Error("x")));
    const g = toCallback(async () => Promise.reject(new Error("y")));
    await new Promise<void>((res) => f(() => g(() => res())));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  t.deepEqual(seen, []);
});

test("a callback that throws: called once, the throw is an uncaught exception (as util.callbackify), never an unhandled rejection", async (t) => {
  const { execFile } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const child = fileURLToPath(new URL("./throwing-callback-child.ts", import.meta.url));
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["--import=tsx", child], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr)) : resolve(stdout),
    ),
  );
  const r = JSON.parse(out) as { calls: Record<string, number>; uncaught: string[]; unhandled: number };
  t.deepEqual(r.calls, { dual: 1, toCallback: 1, callbackify: 1 });
  t.deepEqual(r.uncaught.sort(), ["from callbackify callback", "from dualApi callback", "from toCallback callback"]);
  t.is(r.unhandled, 0);
});

// Run by interop.test.ts in its own process: a Symbol.observable polyfill
// installed before the core and rxjs load (as `symbol-observable` does).
// Prints one JSON line.
(Symbol as { observable?: symbol }).observable = Symbol("observable");
const core = await import("../../../src/index.js");
const rx = await import("rxjs");
const gevent = await import("../../../adapters/gevent/index.js");
const twisted = await import("../../../adapters/twisted/index.js");
const loop = new core.VirtualTimeLoop();
const out = await loop.runUntilComplete(async () => {
  const fut = loop.createFuture<number>();
  const key = (Symbol as unknown as { observable: symbol }).observable;
  const hasSymbol = typeof (fut as unknown as Record<symbol, unknown>)[key] === "function";
  let thenCalls = 0;
  const then = fut.then.bind(fut);
  // An own property shadows the prototype's `then` accessor (a plain assignment would hit its missing setter).
  Object.defineProperty(fut, "then", {
    configurable: true,
    value: (...a: Parameters<typeof then>) => {
      thenCalls++;
      return then(...a);
    },
  });
  const task = core.createTask(() => core.sleep(10));
  const sub = rx.from(task).subscribe();
  sub.unsubscribe();
  const p = rx.firstValueFrom(rx.from(fut));
  fut.setResult(7);
  const v = await p;
  await core.sleep(0);
  // A Greenlet and a Deferred carry the symbol too: from(d) must not fall back to `then` (it would take the result).
  const g = gevent.spawn(function* () {
    yield* gevent.sleep(0.1);
    return 5;
  });
  const greenletHasSymbol = typeof (g as unknown as Record<symbol, unknown>)[key] === "function";
  const greenletValue = await rx.lastValueFrom(rx.from(g));
  const d = new twisted.Deferred<number>();
  const deferredHasSymbol = typeof (d as unknown as Record<symbol, unknown>)[key] === "function";
  const pd = rx.lastValueFrom(rx.from(d));
  d.callback(3);
  const deferredValue = await pd;
  return {
    hasSymbol,
    v,
    thenCalls,
    taskCancelled: task.cancelled() || task.cancelling() > 0,
    greenletHasSymbol,
    greenletValue,
    deferredHasSymbol,
    deferredValue,
    deferredResultKept: d.result,
  };
});
loop.close();
process.stdout.write(`${JSON.stringify(out)}\n`);

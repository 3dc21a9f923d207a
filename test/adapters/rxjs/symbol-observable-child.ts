// Run by interop.test.ts in its own process: a Symbol.observable polyfill
// installed before the core and rxjs load (as `symbol-observable` does).
// Prints one JSON line.
(Symbol as { observable?: symbol }).observable = Symbol("observable");
const core = await import("../../../src/index.js");
const rx = await import("rxjs");
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
  return { hasSymbol, v, thenCalls, taskCancelled: task.cancelled() || task.cancelling() > 0 };
});
loop.close();
process.stdout.write(`${JSON.stringify(out)}\n`);

/**
 * Bridges between greenlets and the core.
 * @module
 */
import { type Future, RuntimeError } from "../../src/index.js";
import type { Greenlet } from "./greenlet.js";

/**
 * A core Future that follows greenlet `g`: its value, or its error (for
 * `asyncio`-style code: `gather`, `waitFor`, `shield`). A greenlet killed
 * with GreenletExit gives the GreenletExit instance as the value.
 * `RuntimeError` if the greenlet was never started (it has no loop yet).
 *
 * @example
 * ```ts
 * const fut = toFuture(spawn(function* () { yield* sleep(1); return 2; }));
 * const [a] = await gather(fut);
 * ```
 */
export function toFuture<T>(g: Greenlet<T>): Future<T> {
  const loop = g._loop;
  if (loop === undefined)
    throw new RuntimeError("toFuture(): the greenlet was never started (call start() or use spawn())");
  const fut = loop.createFuture<T>();
  g.rawlink(() => {
    if (fut.done()) return;
    if (g.successful()) fut.setResult(g.value as T);
    else fut.setException(g.exception);
  });
  return fut;
}

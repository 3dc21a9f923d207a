/**
 * Twisted's `@inlineCallbacks` decorator, on the generator driver in inline.ts.
 * @module
 */
import { copyContext, isGenerator } from "../../src/index.js";
import { type Deferred, deferredKit } from "./deferred.js";
import { cancellableInlineCallbacks } from "./inline.js";

/**
 * Turns a generator function that `yield`s Deferreds (or Futures, promises,
 * generator coroutines) into a function returning a Deferred of its return
 * value (Twisted's `@inlineCallbacks`). Each `yield d` gives back `d`'s
 * result, or throws its failure's value; a non-awaitable value is given
 * back at once. Each step runs in a copy of the context current at the
 * call (Twisted runs it in a copied `contextvars` context), so context
 * variables set elsewhere while it waits do not leak in; inside a step,
 * `currentTask()` is undefined (the generator is not a Task). Cancelling
 * the returned Deferred cancels the Deferred the
 * generator waits on, which throws `CancelledError` in at the `yield`: the
 * generator may catch it and go on. A function that does not return a
 * generator gets a `TypeError`. JavaScript's `async` functions cannot have
 * errors thrown in, hence `function*`.
 *
 * @example
 * ```ts
 * const db = { runQuery: (_sql: string, id: number) => succeed([{ name: `user ${id}` }]) };
 * const getUser = inlineCallbacks(function* (id: number) {
 *   const row: { name: string }[] = yield db.runQuery("SELECT name FROM users WHERE id = ?", id);
 *   return row[0].name;
 * });
 * getUser(1).addCallback(console.log); // "user 1"
 * ```
 */
export function inlineCallbacks<A extends unknown[], R>(
  f: (...args: A) => Generator<unknown, R, any>,
): (...args: A) => Deferred<R> {
  if (typeof f !== "function") throw new TypeError(`inlineCallbacks requires a generator function, got ${typeof f}`);
  const name = f.name || "<anonymous>";
  const unwindGenerator = function (this: unknown, ...args: A): Deferred<R> {
    const context = copyContext();
    const gen: unknown = context.run(() => f.apply(this, args));
    if (!isGenerator(gen)) {
      throw new TypeError(
        `inlineCallbacks requires ${name} to produce a generator; instead got ${gen === null ? "null" : typeof gen === "object" ? ((gen as object).constructor?.name ?? "object") : typeof gen}`,
      );
    }
    return cancellableInlineCallbacks(deferredKit, gen as Generator<unknown, R, any>, context);
  };
  Object.defineProperty(unwindGenerator, "name", { value: name });
  return unwindGenerator;
}

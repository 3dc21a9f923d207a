/**
 * `asyncio-ts/promise`: interop with the rest of JavaScript. Any promise or
 * thenable into a Future ({@link ensureFuture}) and a Future into a native
 * Promise ({@link toPromise}); Node-style callbacks both ways
 * ({@link fromCallback}, {@link toCallback}) and functions answering both
 * kinds of callers ({@link dualApi}); AbortSignal both ways
 * ({@link createTask} with `signal`, {@link signalOf},
 * {@link futureFromSignal}).
 *
 * The core's Future is itself a Promises/A+ thenable (it passes the whole
 * compliance suite), so promise libraries can await Futures directly.
 * @module asyncio-ts/promise
 */
export { ensureFuture, toPromise, FuturePromise, type Thenable } from "./thenable.js";
export {
  fromCallback,
  toCallback,
  dualApi,
  FalsyRejectionError,
  type FromCallbackOptions,
  type DualApiOptions,
  type NodeCallback,
  type CustomPromisified,
} from "./callback.js";
export { createTask, signalOf, futureFromSignal, type SignalTaskOptions } from "./signal.js";

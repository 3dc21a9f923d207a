/**
 * `asyncio-ts/promise`: interop with the rest of JavaScript. Any promise or
 * thenable into a Future, assimilated per Promises/A+ ({@link fromThenable})
 * and a Future into a native Promise ({@link toPromise}); Node-style
 * callbacks both ways ({@link fromCallback}, {@link toCallback}) and
 * functions answering both kinds of callers ({@link dualApi}); AbortSignal
 * both ways ({@link createTaskWithSignal}, {@link signalOf},
 * {@link futureFromSignal}).
 *
 * Every name here means one thing: the core's `createTask` and
 * `ensureFuture` are imported from `asyncio-ts`, never from this module.
 *
 * The core's Future is itself a Promises/A+ thenable (it passes the whole
 * compliance suite), so promise libraries can await Futures directly.
 * @module asyncio-ts/promise
 */
export { fromThenable, toPromise, FuturePromise, type Thenable } from "./thenable.js";
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
export { createTaskWithSignal, signalOf, futureFromSignal, type SignalTaskOptions } from "./signal.js";

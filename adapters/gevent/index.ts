/**
 * asyncio-ts/gevent: gevent's green threads on the core's event loop, with
 * gevent's semantics: `Greenlet`/`spawn`/`kill`/`join`, links, `Timeout`,
 * `Group`/`Pool` (with `imap`), `Event`/`AsyncResult`, queues, semaphores,
 * `local`.
 *
 * **Switch points are explicit**: greenlet bodies are generator functions
 * (`function*`) that switch with `yield*` on an awaitable (`yield*
 * sleep(1)`, `yield* g.join()`, `yield* q.get()`); kill and Timeout raise at
 * exactly those points. There is no monkey-patching: Node's own I/O is
 * asynchronous already; wait on it with `yield*` on a promise-returning call
 * wrapped by the library, or from async code. See docs/porting-from-gevent.md.
 * @module
 */
export { GreenletExit, Empty, Full, ShutDown, PoolFull } from "./errors.js";
export {
  Greenlet,
  spawn,
  spawnLater,
  type GreenletFunction,
  type GreenletResult,
  type ExceptionSpec,
  type GetOptions,
  type KillOptions,
  type Link,
  type LinkTarget,
} from "./greenlet.js";
export { getcurrent } from "./hub.js";
export { Timeout, withTimeout, type TimeoutBody, type WithTimeoutOptions } from "./timeout.js";
export {
  sleep,
  wait,
  iwait,
  joinall,
  killall,
  IWait,
  type Linkable,
  type WaitOptions,
  type JoinAllOptions,
} from "./wait.js";
export { Event, AsyncResult } from "./event.js";
export {
  SimpleQueue,
  Queue,
  JoinableQueue,
  PriorityQueue,
  LifoQueue,
  type PutOptions,
  type QueueGetOptions,
} from "./queue.js";
export { Channel } from "./channel.js";
export { Semaphore, BoundedSemaphore, RLock, type AcquireOptions } from "./lock.js";
export { Group, Pool, IMap, type GroupJoinOptions, type IMapOptions } from "./pool.js";
export { local } from "./local.js";
export { toFuture } from "./interop.js";

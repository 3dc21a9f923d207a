/**
 * asyncio-ts/twisted: Twisted's Deferred with its exact semantics, its
 * helpers (`DeferredList`, `gatherResults`, `race`, `inlineCallbacks`,
 * `DeferredLock`/`Semaphore`/`Queue`), `twisted.internet.task` (`Clock`,
 * `deferLater`, `LoopingCall`), a reactor over the event loop, and bridges
 * to Futures, Tasks and coroutines, so that both styles run on one loop;
 * TCP protocols (`Protocol`, `Factory`, `LineReceiver`, `listenTCP`,
 * `connectTCP`, `ClientCreator`) over node:net.
 * See docs/porting-from-twisted.md.
 * @module asyncio-ts/twisted
 */
export {
  AlreadyCalledError,
  DeferredCancelledError,
  DeferredTimeoutError,
  NotACoroutineError,
  FirstError,
  FailureGroup,
  QueueOverflow,
  QueueUnderflow,
  AlreadyCalled,
  AlreadyCancelled,
} from "./errors.js";
export { Failure, type ErrorType } from "./failure.js";
export type { IDelayedCall, IReactorTime } from "./interfaces.js";
export {
  Deferred,
  type ChainFunction,
  type ChainLink,
  passthru,
  succeed,
  fail,
  execute,
  maybeDeferred,
  ensureDeferred,
  logError,
  setDebugging,
  getDebugging,
} from "./deferred.js";
export { inlineCallbacks } from "./inline-callbacks.js";
export {
  DeferredList,
  gatherResults,
  race,
  SUCCESS,
  FAILURE,
  type DeferredListEntry,
  type DeferredListOptions,
} from "./aggregates.js";
export { ConcurrencyPrimitive, DeferredLock, DeferredSemaphore, DeferredQueue } from "./primitives.js";
export { Clock, DelayedCall, deferLater, LoopingCall } from "./task.js";
export { Reactor, LoopDelayedCall, reactor } from "./reactor.js";
export {
  Protocol,
  Factory,
  ServerFactory,
  ClientFactory,
  ClientCreator,
  IPv4Address,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectError,
  CannotListenError,
  type ITransport,
  type IProducer,
  type IConnector,
  type ProtocolClass,
} from "./protocol.js";
export { LineReceiver } from "./basic.js";
export { Port, Connector, StringTransport } from "./tcp.js";

/**
 * A reactor-like object over an asyncio-ts event loop, so that ported
 * Twisted code has somewhere to schedule: `callLater`, `callWhenRunning`,
 * `run`, `stop`, `seconds` (the parts of `IReactorTime` / `IReactorCore`
 * that scheduling code uses).
 * @module
 */
import { EventLoop, RuntimeError, getRunningLoop, type TimerHandle } from "../../src/index.js";
import { AlreadyCalled, AlreadyCancelled } from "./errors.js";
import type { IDelayedCall, IReactorTime } from "./interfaces.js";
import type { ClientFactory, Factory } from "./protocol.js";
import { Connector, Port } from "./tcp.js";

function tryRunningLoop(): EventLoop | undefined {
  try {
    return getRunningLoop();
  } catch {
    return undefined;
  }
}

/**
 * A call scheduled through a {@link Reactor}: an {@link IDelayedCall} over
 * the loop's `TimerHandle` (`reset` and `delay` reschedule it).
 *
 * @example
 * ```ts
 * const call = reactor.callLater(10, () => console.log("gave up"));
 * call.reset(10); // activity: push the deadline back
 * call.cancel();
 * ```
 */
export class LoopDelayedCall implements IDelayedCall {
  /** True once the call ran. */
  called = false;
  /** True once the call was cancelled. */
  cancelled = false;
  /** @internal */ _handle: TimerHandle;
  /** @internal */ readonly _reactor: Reactor;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ readonly _func: (...args: any[]) => unknown;
  /** @internal */ readonly _args: unknown[];

  /** @internal Made by {@link Reactor.callLater}. */
  constructor(reactor: Reactor, loop: EventLoop, delay: number, func: (...args: any[]) => unknown, args: unknown[]) {
    this._reactor = reactor;
    this._loop = loop;
    this._func = func;
    this._args = args;
    this._handle = this._schedule(loop.time() + delay);
  }

  /** @internal */
  _schedule(when: number): TimerHandle {
    return this._loop.callAt(Math.max(when, 0), () => {
      this.called = true;
      this._reactor._callsOf(this._loop).delete(this);
      this._func(...this._args);
    });
  }

  getTime(): number {
    return this._handle.when();
  }

  cancel(): void {
    if (this.cancelled) throw new AlreadyCancelled();
    if (this.called) throw new AlreadyCalled();
    this.cancelled = true;
    this._handle.cancel();
    this._reactor._callsOf(this._loop).delete(this);
  }

  reset(secondsFromNow: number): void {
    this._move(this._loop.time() + secondsFromNow, "reset");
  }

  delay(secondsLater: number): void {
    this._move(this._handle.when() + secondsLater, "delay");
  }

  /** @internal */
  _move(when: number, what: string): void {
    if (typeof when !== "number" || Number.isNaN(when)) throw new TypeError(`${what}() needs a number of seconds`);
    if (this.cancelled) throw new AlreadyCancelled(`Tried to ${what} an already-cancelled event.`);
    if (this.called) throw new AlreadyCalled(`Tried to ${what} an already-called event.`);
    this._handle.cancel();
    this._handle = this._schedule(when);
  }

  active(): boolean {
    return !(this.cancelled || this.called);
  }
}

/**
 * A reactor over an event loop: bound to `loop`, or (without one) to
 * whichever loop is running when it is used. `run()` runs the loop until
 * `stop()` (making a new {@link EventLoop} when none is bound);
 * `callWhenRunning` functions run once the loop runs.
 *
 * @example
 * ```ts
 * const r = new Reactor(new EventLoop());
 * r.callWhenRunning(() => r.callLater(1, () => r.stop()));
 * await r.run();
 * ```
 */
export class Reactor implements IReactorTime {
  /** @internal */ _loop: EventLoop | undefined;
  /** @internal the pending calls, per loop (an unbound reactor serves whichever loop runs) */
  readonly _calls = new WeakMap<EventLoop, Set<LoopDelayedCall>>();
  /** @internal */ _startup: Array<[(...args: any[]) => unknown, unknown[]]> = [];

  /**
   * A reactor over `loop`.
   * @param loop - the loop to schedule on; default: the running loop at each call.
   */
  constructor(loop?: EventLoop) {
    this._loop = loop;
  }

  /** The loop used: the bound one, or the running one (`RuntimeError` if none runs). */
  get loop(): EventLoop {
    return this._loop ?? getRunningLoop();
  }

  /** True while the loop runs. */
  get running(): boolean {
    if (this._loop !== undefined) return this._loop.isRunning();
    try {
      return getRunningLoop().isRunning();
    } catch {
      return false;
    }
  }

  /** The loop's time, in seconds. */
  seconds(): number {
    return this.loop.time();
  }

  /** Calls `f(...args)` `delay` seconds from now on the loop. */
  callLater(delay: number, f: (...args: any[]) => unknown, ...args: unknown[]): LoopDelayedCall {
    if (typeof delay !== "number" || Number.isNaN(delay))
      throw new TypeError(`callLater() delay must be a number of seconds, got ${typeof delay}`);
    if (typeof f !== "function") throw new TypeError(`callLater() needs a function, got ${typeof f}`);
    const call = new LoopDelayedCall(this, this.loop, delay, f, args);
    this._callsOf(call._loop).add(call);
    return call;
  }

  /** The pending calls on the loop in use (the unbound reactor serves whichever loop runs). */
  getDelayedCalls(): readonly LoopDelayedCall[] {
    const loop = this._loop ?? tryRunningLoop();
    return loop === undefined || loop.isClosed() ? [] : [...this._callsOf(loop)];
  }

  /** @internal */
  _callsOf(loop: EventLoop): Set<LoopDelayedCall> {
    let calls = this._calls.get(loop);
    if (calls === undefined) this._calls.set(loop, (calls = new Set()));
    return calls;
  }

  /** Calls `f(...args)` now if the loop runs, else as soon as {@link run} starts it. */
  callWhenRunning(f: (...args: any[]) => unknown, ...args: unknown[]): void {
    if (typeof f !== "function") throw new TypeError(`callWhenRunning() needs a function, got ${typeof f}`);
    if (this.running) f(...args);
    else this._startup.push([f, args]);
  }

  /** Runs the loop until {@link stop}; the startup functions run first, in the loop. */
  async run(): Promise<void> {
    const owned = this._loop === undefined;
    const loop = (this._loop ??= new EventLoop());
    const startup = this._startup;
    this._startup = [];
    for (const [f, args] of startup) loop.callSoon(() => f(...args));
    try {
      await loop.runForever();
    } finally {
      if (owned) {
        loop.close();
        this._loop = undefined;
      }
    }
  }

  /**
   * Listens on TCP `port` (0: a free one) on `iface` (default all
   * interfaces) and runs a protocol from `factory` on each connection
   * (Twisted's `IReactorTCP.listenTCP`). Node binds asynchronously:
   * read `getHost()` after `whenListening()`.
   *
   * @example
   * ```ts
   * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
   * await port.whenListening();
   * console.log(port.getHost().host); // "127.0.0.1"
   * await port.stopListening();
   * ```
   */
  listenTCP(port: number, factory: Factory, backlog = 50, iface = ""): Port {
    return new Port(this.loop, port, factory, backlog, iface);
  }

  /**
   * Connects to `host:port` over TCP and runs a protocol from `factory`
   * (Twisted's `IReactorTCP.connectTCP`); the factory hears of failure and
   * loss through its `clientConnection*` methods.
   *
   * @example
   * ```ts
   * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
   * await port.whenListening();
   * const connected = new Deferred<void>();
   * class Hello extends Protocol {
   *   override connectionMade(): void { connected.callback(); this.transport!.loseConnection(); }
   * }
   * class MyClientFactory extends ClientFactory {
   *   override protocol = Hello;
   * }
   * reactor.connectTCP("127.0.0.1", port.getHost().port, new MyClientFactory());
   * await connected;
   * await port.stopListening();
   * ```
   */
  connectTCP(host: string, port: number, factory: ClientFactory, timeout = 30): Connector {
    const c = new Connector(this.loop, host, port, factory, timeout);
    c.connect();
    return c;
  }

  /** Stops the loop; `RuntimeError` ("Can't stop reactor that isn't running.") if it is not running. */
  stop(): void {
    if (!this.running) throw new RuntimeError("Can't stop reactor that isn't running.");
    this.loop.stop();
  }
}

/**
 * The default reactor: it schedules on whichever loop is running, and
 * `reactor.run()` runs a new loop. What {@link LoopingCall} uses unless
 * given a clock.
 *
 * @example
 * ```ts
 * await run(async () => {
 *   const d = deferLater(reactor, 0.5, () => "later");
 *   console.log(await d); // "later"
 * });
 * ```
 */
export const reactor: Reactor = new Reactor();

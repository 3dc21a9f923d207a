/**
 * TCP for Twisted-style code over node:net: `reactor.listenTCP` and
 * `reactor.connectTCP` (see {@link Reactor}), a transport that calls the
 * protocol's methods inside the reactor's event loop, and
 * {@link StringTransport} for unit tests (`twisted.internet.testing`).
 * @module
 */
import { Server as NetServer, connect as netConnect, type Socket } from "node:net";
import type { EventLoop } from "../../src/index.js";
import { Deferred } from "./deferred.js";
import { Failure } from "./failure.js";
import {
  CannotListenError,
  ConnectError,
  ConnectionRefusedError,
  IPv4Address,
  lostReason,
  type ClientFactory,
  type Factory,
  type IConnector,
  type IProducer,
  type ITransport,
  type Protocol,
} from "./protocol.js";

const HIGH_WATER = 64 * 1024;

function toBuffer(x: Uint8Array | string): Buffer {
  return typeof x === "string" ? Buffer.from(x) : Buffer.isBuffer(x) ? x : Buffer.from(x);
}

/**
 * @internal The transport of a TCP connection (Twisted's `tcp.Connection`):
 * socket events become protocol calls in the loop, in order.
 */
export class TCPTransport implements ITransport {
  disconnecting = false;
  /** @internal */ _lost = false;
  /** @internal */ _error: Error | undefined = undefined;
  /** @internal */ _producer: IProducer | undefined = undefined;
  /** @internal */ _producerPaused = false;

  constructor(
    readonly _loop: EventLoop,
    readonly _socket: Socket,
    readonly _protocol: Protocol,
    readonly _onLost: (reason: Failure) => void,
  ) {}

  /** @internal */
  _call(fn: () => void): void {
    if (this._loop.isClosed()) {
      this._socket.destroy();
      return;
    }
    this._loop.callSoon(() => {
      try {
        fn();
      } catch (e) {
        this._loop.callExceptionHandler({ message: "Unhandled error in a Twisted protocol callback", exception: e });
        this._error ??= e instanceof Error ? e : new Error(String(e));
        this._socket.destroy();
      }
    });
  }

  /** @internal Wires the socket and calls makeConnection. */
  _start(): void {
    const s = this._socket;
    this._call(() => this._protocol.makeConnection(this));
    s.on("data", (d: Buffer) => this._call(() => this._lost || this._protocol.dataReceived(d)));
    // Twisted's TCP closes on EOF (no half-close unless IHalfCloseableProtocol).
    s.on("end", () => this._call(() => this.loseConnection()));
    s.on("error", (e) => {
      this._error ??= e;
    });
    s.on("drain", () =>
      this._call(() => {
        if (this._producerPaused && this._producer) {
          this._producerPaused = false;
          this._producer.resumeProducing();
        }
      }),
    );
    s.on("close", () =>
      this._call(() => {
        if (this._lost) return;
        this._lost = true;
        this._protocol.connected = 0;
        const reason = lostReason(this._error);
        this._protocol.connectionLost(reason);
        this._onLost(reason);
      }),
    );
  }

  write(data: Uint8Array | string): void {
    if (this.disconnecting || this._lost) return;
    const b = toBuffer(data);
    if (b.length === 0) return;
    this._socket.write(b);
    if (this._producer && !this._producerPaused && this._socket.writableLength > HIGH_WATER) {
      this._producerPaused = true;
      this._producer.pauseProducing();
    }
  }

  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const d of data) this.write(d);
  }

  loseConnection(): void {
    if (this.disconnecting || this._lost) return;
    this.disconnecting = true;
    const s = this._socket;
    s.end(() => s.destroy());
  }

  abortConnection(): void {
    this.disconnecting = true;
    this._socket.destroy();
  }

  getPeer(): IPv4Address {
    return new IPv4Address("TCP", this._socket.remoteAddress ?? "", this._socket.remotePort ?? 0);
  }

  getHost(): IPv4Address {
    return new IPv4Address("TCP", this._socket.localAddress ?? "", this._socket.localPort ?? 0);
  }

  pauseProducing(): void {
    this._socket.pause();
  }

  resumeProducing(): void {
    this._socket.resume();
  }

  stopProducing(): void {
    this.loseConnection();
  }

  registerProducer(producer: IProducer, _streaming: boolean): void {
    if (this._producer !== undefined) throw new Error("RuntimeError: a producer is already registered");
    this._producer = producer;
  }

  unregisterProducer(): void {
    this._producer = undefined;
  }
}

/**
 * A listening TCP port (Twisted's `IListeningPort`), from `reactor.listenTCP`.
 * Node binds asynchronously: `getHost()` is known once
 * {@link whenListening} has fired.
 *
 * @example
 * ```ts
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
 * await port.whenListening();
 * console.log(port.getHost().port); // the port the OS chose
 * await port.stopListening();
 * ```
 */
export class Port {
  /** @internal */ readonly _server: NetServer;
  /** @internal */ readonly _listening = new Deferred<Port>();
  /** @internal */ _stopped: Deferred<void> | undefined = undefined;
  /** @internal */ readonly _factory: Factory;

  /** @internal Made by listenTCP. */
  constructor(loop: EventLoop, port: number, factory: Factory, backlog: number, iface: string) {
    this._factory = factory;
    this._server = new NetServer({ allowHalfOpen: true }, (socket) => {
      socket.setNoDelay(true);
      const addr = new IPv4Address("TCP", socket.remoteAddress ?? "", socket.remotePort ?? 0);
      let protocol: Protocol | undefined;
      try {
        protocol = factory.buildProtocol(addr);
      } catch (e) {
        loop.callExceptionHandler({ message: "buildProtocol failed", exception: e });
      }
      if (protocol === undefined) {
        socket.destroy();
        return;
      }
      new TCPTransport(loop, socket, protocol, () => {})._start();
    });
    this._server.once("error", (e) => {
      if (!this._listening.called)
        loop.callSoon(() => this._listening.errback(new Failure(new CannotListenError(e.message))));
    });
    this._server.listen({ port, host: iface || undefined, backlog }, () => {
      factory.doStart();
      loop.callSoon(() => this._listening.callback(this));
    });
  }

  /** A Deferred that fires with this port once it is bound (or fails with CannotListenError). */
  whenListening(): Deferred<Port> {
    const d = new Deferred<Port>();
    this._listening.addCallbacks(
      (p) => {
        d.callback(p);
        return p;
      },
      (f) => {
        d.errback(f);
        return null;
      },
    );
    return d;
  }

  /** Our address: `{ type: "TCP", host, port }`. */
  getHost(): IPv4Address {
    const a = this._server.address();
    if (a === null || typeof a === "string")
      throw new Error("the port is not bound yet: wait for whenListening() (Node binds asynchronously)");
    return new IPv4Address("TCP", a.address, a.port);
  }

  /** Stops accepting; the Deferred fires once the port is closed (connections already made go on). */
  stopListening(): Deferred<void> {
    if (this._stopped) return this._stopped;
    const d = (this._stopped = new Deferred<void>());
    if (!this._server.listening) {
      d.callback(undefined);
      return d;
    }
    this._server.close(() => {
      this._factory.doStop();
      d.callback(undefined);
    });
    return d;
  }

  /** Twisted's alias of {@link stopListening}. */
  loseConnection(): Deferred<void> {
    return this.stopListening();
  }
}

/**
 * An outgoing TCP connection attempt (Twisted's `tcp.Connector`), from `reactor.connectTCP`.
 *
 * @example
 * ```ts
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
 * await port.whenListening();
 * const connector = reactor.connectTCP("127.0.0.1", port.getHost().port, ClientFactory.forProtocol(Protocol));
 * connector.disconnect(); // stops the attempt (or closes the connection once made)
 * await port.stopListening();
 * ```
 */
export class Connector implements IConnector {
  /** `"disconnected"`, `"connecting"` or `"connected"`. */
  state: "disconnected" | "connecting" | "connected" = "disconnected";
  /** @internal */ _socket: Socket | undefined = undefined;
  /** @internal */ _transport: TCPTransport | undefined = undefined;

  /** @internal */ readonly _loop: EventLoop;
  /** The host connected to. */
  readonly host: string;
  /** The port connected to. */
  readonly port: number;
  /** The factory told of the connection's events. */
  readonly factory: ClientFactory;
  /** Seconds a connection attempt may take. */
  readonly timeout: number;

  /** @internal Made by connectTCP. */
  constructor(loop: EventLoop, host: string, port: number, factory: ClientFactory, timeout: number) {
    this._loop = loop;
    this.host = host;
    this.port = port;
    this.factory = factory;
    this.timeout = timeout;
  }

  connect(): void {
    if (this.state !== "disconnected") throw new Error("Can't connect in this state");
    this.state = "connecting";
    this.factory.doStart();
    this.factory.startedConnecting(this);
    const socket = (this._socket = netConnect({ host: this.host, port: this.port, allowHalfOpen: true }));
    const timer = this._loop.callLater(this.timeout, () => {
      socket.destroy(new Error("ETIMEDOUT"));
    });
    socket.once("connect", () =>
      this._loop.callSoon(() => {
        timer.cancel();
        socket.off("error", onError);
        if (this.state !== "connecting") return;
        socket.setNoDelay(true);
        const protocol = this.factory.buildProtocol(new IPv4Address("TCP", this.host, this.port));
        if (protocol === undefined) {
          socket.destroy();
          this.state = "disconnected";
          return;
        }
        this.state = "connected";
        this._transport = new TCPTransport(this._loop, socket, protocol, (reason) => {
          this.state = "disconnected";
          this._transport = undefined;
          this.factory.clientConnectionLost(this, reason);
          this.factory.doStop();
        });
        this._transport._start();
      }),
    );
    const onError = (e: NodeJS.ErrnoException): void => {
      this._loop.callSoon(() => {
        timer.cancel();
        if (this.state !== "connecting") return;
        this.state = "disconnected";
        const err =
          e.code === "ECONNREFUSED"
            ? new ConnectionRefusedError()
            : new ConnectError(e.message === "ETIMEDOUT" ? "User timeout caused connection failure." : e.message);
        this.factory.clientConnectionFailed(this, new Failure(err));
        this.factory.doStop();
      });
    };
    socket.once("error", onError);
  }

  stopConnecting(): void {
    if (this.state !== "connecting") throw new Error("we're not trying to connect");
    this._socket?.destroy(new Error("Connection was aborted locally, using."));
  }

  disconnect(): void {
    if (this.state === "connecting") this.stopConnecting();
    else if (this.state === "connected") this._transport?.loseConnection();
  }

  getDestination(): IPv4Address {
    return new IPv4Address("TCP", this.host, this.port);
  }
}

/**
 * A transport that keeps what is written, for unit tests of protocols
 * (Twisted's `twisted.internet.testing.StringTransport`).
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
 * }
 * const proto = new Echo();
 * const t = new StringTransport();
 * proto.makeConnection(t);
 * proto.dataReceived(Buffer.from("hi\r\n"));
 * console.log(t.value().toString()); // "hi\r\n": what the protocol wrote
 * ```
 */
export class StringTransport implements ITransport {
  disconnecting = false;
  /** The registered producer, if any. */
  producer: IProducer | undefined = undefined;
  /** True if the producer is streaming. */
  streaming: boolean | undefined = undefined;
  /** `"producing"`, `"paused"` or `"stopped"`: what the protocol asked of this transport. */
  producerState: "producing" | "paused" | "stopped" = "producing";
  /** @internal */ _chunks: Buffer[] = [];

  /**
   * A transport with fixed addresses.
   * @param hostAddress - what getHost returns
   * @param peerAddress - what getPeer returns
   */
  constructor(
    readonly hostAddress = new IPv4Address("TCP", "10.0.0.1", 12345),
    readonly peerAddress = new IPv4Address("TCP", "192.168.1.1", 54321),
  ) {}

  /** Everything written so far. */
  value(): Buffer {
    return Buffer.concat(this._chunks);
  }

  /** Forgets what was written. */
  clear(): void {
    this._chunks = [];
  }

  write(data: Uint8Array | string): void {
    this._chunks.push(toBuffer(data));
  }

  writeSequence(data: Iterable<Uint8Array | string>): void {
    for (const d of data) this.write(d);
  }

  loseConnection(): void {
    this.disconnecting = true;
  }

  abortConnection(): void {
    this.disconnecting = true;
  }

  getPeer(): IPv4Address {
    return this.peerAddress;
  }

  getHost(): IPv4Address {
    return this.hostAddress;
  }

  pauseProducing(): void {
    this.producerState = "paused";
  }

  resumeProducing(): void {
    this.producerState = "producing";
  }

  stopProducing(): void {
    this.producerState = "stopped";
  }

  registerProducer(producer: IProducer, streaming: boolean): void {
    if (this.producer !== undefined) throw new Error("RuntimeError: Cannot register two producers");
    this.producer = producer;
    this.streaming = streaming;
  }

  unregisterProducer(): void {
    if (this.producer === undefined)
      throw new Error("RuntimeError: Cannot unregister a producer unless one is registered");
    this.producer = undefined;
    this.streaming = undefined;
  }
}

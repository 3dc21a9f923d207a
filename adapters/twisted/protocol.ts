/**
 * Twisted's protocols and factories (`twisted.internet.protocol`) and the
 * connection errors of `twisted.internet.error`: `Protocol`, `Factory`,
 * `ServerFactory`, `ClientFactory`, `ClientCreator`.
 * @module
 */
import { Deferred } from "./deferred.js";
import { Failure } from "./failure.js";
import type { Reactor } from "./reactor.js";

/**
 * A Protocol class that {@link Factory.buildProtocol} can instantiate.
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
 * }
 * const cls: ProtocolClass = Echo;
 * const t = new StringTransport();
 * new cls().makeConnection(t);
 * ```
 */
export type ProtocolClass<P extends Protocol = Protocol, A extends unknown[] = []> = new (...args: A) => P;

/**
 * A connection's address (Twisted's `IPv4Address` / `IPv6Address`).
 *
 * @example
 * ```ts
 * const transport = new StringTransport(); // peer 192.168.1.1:54321
 * const { host, port } = transport.getPeer();
 * console.log(host, port); // "192.168.1.1" 54321
 * ```
 */
export class IPv4Address {
  /**
   * An address.
   * @param type - `"TCP"` (or `"UDP"`)
   * @param host - the IP address
   * @param port - the port
   */
  constructor(
    readonly type: "TCP" | "UDP",
    readonly host: string,
    readonly port: number,
  ) {}
}

/**
 * What a protocol writes to (Twisted's `ITransport` / `ITCPTransport`).
 *
 * @example
 * ```ts
 * class Hello extends Protocol {
 *   override connectionMade(): void {
 *     this.transport!.write("hello\r\n");
 *     this.transport!.loseConnection();
 *   }
 * }
 * const t = new StringTransport();
 * new Hello().makeConnection(t);
 * console.log(t.value().toString(), t.disconnecting); // "hello\r\n" true
 * ```
 */
export interface ITransport {
  /** Writes bytes (a string is UTF-8), in order, without blocking. */
  write(data: Uint8Array | string): void;
  /** Writes each item. */
  writeSequence(data: Iterable<Uint8Array | string>): void;
  /** Closes once everything written is sent. */
  loseConnection(): void;
  /** Closes at once, dropping what is not sent. */
  abortConnection(): void;
  /** The peer's address. */
  getPeer(): IPv4Address;
  /** Our address. */
  getHost(): IPv4Address;
  /** True once `loseConnection()` was called. */
  readonly disconnecting: boolean;
  /** Stops delivering `dataReceived` (IPushProducer). */
  pauseProducing(): void;
  /** Resumes `dataReceived`. */
  resumeProducing(): void;
  /** Stops reading for good. */
  stopProducing(): void;
  /** Registers a producer told to pause while the write buffer is full. */
  registerProducer(producer: IProducer, streaming: boolean): void;
  /** Removes the producer. */
  unregisterProducer(): void;
}

/**
 * A producer (Twisted's `IPushProducer`): paused while its consumer's buffer is full.
 *
 * @example
 * ```ts
 * const transport = new StringTransport();
 * transport.registerProducer({ pauseProducing() {}, resumeProducing() {}, stopProducing() {} }, true);
 * console.log(transport.streaming); // true
 * ```
 */
export interface IProducer {
  /** Stop producing for now. */
  pauseProducing(): void;
  /** Go on producing. */
  resumeProducing(): void;
  /** Stop for good. */
  stopProducing(): void;
}

/**
 * The connection was closed cleanly (Twisted's `ConnectionDone`): the
 * usual `connectionLost` reason.
 *
 * @example
 * ```ts
 * class Bye extends Protocol {
 *   override connectionLost(reason: Failure): void { if (reason.check(ConnectionDone)) console.log("bye"); }
 * }
 * new Bye().connectionLost(new Failure(new ConnectionDone())); // "bye"
 * ```
 */
export class ConnectionDone extends Error {
  /** Always `"ConnectionDone"`. */
  override name = "ConnectionDone";
  /** A clean close. */
  constructor(message = "Connection was closed cleanly.") {
    super(message);
  }
}

/**
 * The connection was lost uncleanly (Twisted's `ConnectionLost`).
 *
 * @example
 * ```ts
 * const reason = new Failure(new ConnectionLost()); // what connectionLost gets after a reset
 * if (reason.check(ConnectionLost)) console.log(reason.getErrorMessage()); // "Connection to the other side was lost…"
 * ```
 */
export class ConnectionLost extends Error {
  /** Always `"ConnectionLost"`. */
  override name = "ConnectionLost";
  /** An unclean close. */
  constructor(message = "Connection to the other side was lost in a non-clean fashion.") {
    super(message);
  }
}

/**
 * A connection attempt failed (Twisted's `ConnectError`); the base of the refused and timed-out cases.
 *
 * @example
 * ```ts
 * // ConnectionRefusedError is one (as are DNS and timeout failures): check for the family.
 * const reason = new Failure(new ConnectionRefusedError());
 * console.log(reason.check(ConnectError) !== undefined); // true
 * ```
 */
export class ConnectError extends Error {
  /** Always `"ConnectError"`. */
  override name = "ConnectError";
}

/**
 * Nobody listens at the address (Twisted's `ConnectionRefusedError`).
 *
 * @example
 * ```ts
 * const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
 * await port.whenListening();
 * const free = port.getHost().port;
 * await port.stopListening(); // nothing listens on `free` now
 * const refused = new Deferred<boolean>();
 * class Client extends ClientFactory {
 *   override clientConnectionFailed(_c: IConnector, reason: Failure): void {
 *     refused.callback(reason.check(ConnectionRefusedError) !== undefined);
 *   }
 * }
 * reactor.connectTCP("127.0.0.1", free, new Client());
 * console.log(await refused); // true
 * ```
 */
export class ConnectionRefusedError extends ConnectError {
  /** Always `"ConnectionRefusedError"`. */
  override name = "ConnectionRefusedError";
  /** A refused connection. */
  constructor(message = "Connection was refused by other side.") {
    super(message);
  }
}

/**
 * Binding the port failed (Twisted's `CannotListenError`), e.g. it is in use.
 *
 * @example
 * ```ts
 * const first = reactor.listenTCP(0, Factory.forProtocol(Protocol), 50, "127.0.0.1");
 * await first.whenListening();
 * const taken = reactor.listenTCP(first.getHost().port, Factory.forProtocol(Protocol), 50, "127.0.0.1");
 * await taken.whenListening().addErrback((f: Failure) => { f.trap(CannotListenError); console.log("in use"); });
 * await first.stopListening();
 * ```
 */
export class CannotListenError extends Error {
  /** Always `"CannotListenError"`. */
  override name = "CannotListenError";
}

/**
 * A connection's callbacks (Twisted's `Protocol`): override `dataReceived`,
 * `connectionMade`, `connectionLost`. `transport` and `factory` are set for you.
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
 * }
 * const port = reactor.listenTCP(0, Factory.forProtocol(Echo), 50, "127.0.0.1");
 * await port.whenListening();
 * const reply = new Deferred<string>();
 * class Client extends Protocol {
 *   override connectionMade(): void { this.transport!.write("ping"); }
 *   override dataReceived(data: Buffer): void { reply.callback(data.toString()); }
 * }
 * const client = await new ClientCreator(reactor, Client).connectTCP("127.0.0.1", port.getHost().port);
 * console.log(await reply); // "ping"
 * client.transport!.loseConnection();
 * await port.stopListening();
 * ```
 */
export class Protocol {
  /** The transport, once connected. */
  transport: ITransport | undefined = undefined;
  /** The factory that built this protocol, if any. */
  factory: Factory | undefined = undefined;
  /** 1 while connected, 0 otherwise (Twisted's int flag). */
  connected = 0;

  /** Connects the protocol to `transport` and calls {@link connectionMade}. */
  makeConnection(transport: ITransport): void {
    this.connected = 1;
    this.transport = transport;
    this.connectionMade();
  }

  /** Called once connected. */
  connectionMade(): void {}

  /** Called with each chunk of bytes received. */
  dataReceived(_data: Buffer): unknown {
    return undefined;
  }

  /** Called once the connection is closed; `reason` wraps {@link ConnectionDone} on a clean close. */
  connectionLost(_reason: Failure): void {}
}

/**
 * Makes protocols for connections (Twisted's `Factory`): set `protocol`
 * to a Protocol class, or override {@link buildProtocol}.
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
 * }
 * const f = Factory.forProtocol(Echo);
 * const p = f.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1234));
 * console.log(p instanceof Echo, p!.factory === f); // true true
 * ```
 */
export class Factory {
  /** The class {@link buildProtocol} instantiates. */
  protocol: ProtocolClass | undefined = undefined;
  /** @internal */ numPorts = 0;

  /**
   * A factory of `protocol` instances.
   * @example
   * ```ts
   * class Echo extends Protocol {
   *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
   * }
   * const f = Factory.forProtocol(Echo);
   * console.log(f.protocol === Echo); // true
   * ```
   */
  static forProtocol<F extends Factory>(this: new () => F, protocol: ProtocolClass): F {
    const f = new this();
    f.protocol = protocol;
    return f;
  }

  /** Called when the first port starts using this factory. */
  startFactory(): void {}
  /** Called when the last port stops using this factory. */
  stopFactory(): void {}

  /** @internal Twisted's doStart: startFactory on the first use. */
  doStart(): void {
    if (this.numPorts++ === 0) this.startFactory();
  }
  /** @internal */
  doStop(): void {
    if (this.numPorts === 0) return;
    if (--this.numPorts === 0) this.stopFactory();
  }

  /** A new protocol for a connection from/to `addr`; its `factory` is set. Return undefined to refuse. */
  buildProtocol(_addr: IPv4Address): Protocol | undefined {
    if (this.protocol === undefined) throw new TypeError("Factory.protocol is not set");
    const p = new this.protocol();
    p.factory = this;
    return p;
  }
}

/**
 * A factory for servers (Twisted's `ServerFactory`).
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void { this.transport!.write(data); }
 * }
 * const port = reactor.listenTCP(0, ServerFactory.forProtocol(Echo), 50, "127.0.0.1");
 * await port.whenListening();
 * await port.stopListening();
 * ```
 */
export class ServerFactory extends Factory {}

/**
 * A connector (Twisted's `IConnector`): what {@link ClientFactory} callbacks receive.
 *
 * @example
 * ```ts
 * // A server that hangs up at once, and a client that reconnects once.
 * class HangUp extends Protocol {
 *   override connectionMade(): void { this.transport!.loseConnection(); }
 * }
 * const port = reactor.listenTCP(0, Factory.forProtocol(HangUp), 50, "127.0.0.1");
 * await port.whenListening();
 * const done = new Deferred<number>();
 * class Reconnecting extends ClientFactory {
 *   override protocol = Protocol;
 *   lost = 0;
 *   override clientConnectionLost(connector: IConnector): void {
 *     if (++this.lost < 2) connector.connect(); // reconnect
 *     else done.callback(this.lost);
 *   }
 * }
 * reactor.connectTCP("127.0.0.1", port.getHost().port, new Reconnecting());
 * console.log(await done); // 2
 * await port.stopListening();
 * ```
 */
export interface IConnector {
  /** Stops a connection attempt in progress. */
  stopConnecting(): void;
  /** Closes the connection, or stops connecting. */
  disconnect(): void;
  /** Connects (again). */
  connect(): void;
  /** Where it connects to. */
  getDestination(): IPv4Address;
}

/**
 * A factory for clients (Twisted's `ClientFactory`): told when connecting
 * starts, fails and when the connection is lost.
 *
 * @example
 * ```ts
 * class Once extends ClientFactory {
 *   override clientConnectionFailed(_c: IConnector, reason: Failure): void { console.error(reason.getErrorMessage()); }
 * }
 * ```
 */
export class ClientFactory extends Factory {
  /** A connection attempt started. */
  startedConnecting(_connector: IConnector): void {}
  /** The connection attempt failed. */
  clientConnectionFailed(_connector: IConnector, _reason: Failure): void {}
  /** An established connection was lost. */
  clientConnectionLost(_connector: IConnector, _reason: Failure): void {}
}

/** @internal The factory behind ClientCreator: one protocol, a Deferred for it. */
class InstanceFactory extends ClientFactory {
  constructor(
    readonly reactor: Reactor,
    readonly make: () => Protocol,
    readonly deferred: Deferred<Protocol>,
  ) {
    super();
  }
  override buildProtocol(_addr: IPv4Address): Protocol {
    const p = this.make();
    p.factory = this;
    // As Twisted: fired with callLater(0), once makeConnection has run.
    this.reactor.callLater(0, () => {
      if (!this.deferred.called) this.deferred.callback(p);
    });
    return p;
  }
  override clientConnectionFailed(_c: IConnector, reason: Failure): void {
    if (!this.deferred.called) this.deferred.errback(reason);
  }
}

/**
 * Connects a single protocol instance and gives it back in a Deferred
 * (Twisted's `ClientCreator`).
 *
 * @example
 * ```ts
 * class Upper extends LineReceiver {
 *   override lineReceived(line: Buffer): void { this.sendLine(line.toString().toUpperCase()); }
 * }
 * const reply = new Deferred<string>();
 * class LineClient extends LineReceiver {
 *   override lineReceived(line: Buffer): void { reply.callback(line.toString()); }
 * }
 * const port = reactor.listenTCP(0, Factory.forProtocol(Upper), 50, "127.0.0.1");
 * await port.whenListening();
 * const proto = await new ClientCreator(reactor, LineClient).connectTCP("127.0.0.1", port.getHost().port);
 * proto.sendLine("hello");
 * console.log(await reply); // "HELLO"
 * proto.transport!.loseConnection();
 * await port.stopListening();
 * ```
 */
export class ClientCreator<P extends Protocol, A extends unknown[] = []> {
  /**
   * A creator of `protocolClass(...args)` connections.
   * @param reactor - the reactor to connect with
   * @param protocolClass - the protocol to instantiate with `args`
   * @param args - the constructor's arguments
   */
  constructor(
    readonly reactor: Reactor,
    readonly protocolClass: ProtocolClass<P, A>,
    ...args: A
  ) {
    this.args = args;
  }
  /** @internal */ readonly args: A;

  /** Connects over TCP; the Deferred fires with the connected protocol, or fails with the connection error. */
  connectTCP(host: string, port: number, timeout = 30): Deferred<P> {
    const d = new Deferred<Protocol>();
    this.reactor.connectTCP(
      host,
      port,
      new InstanceFactory(this.reactor, () => new this.protocolClass(...this.args), d),
      timeout,
    );
    return d as unknown as Deferred<P>;
  }
}

/** @internal A Failure for a connection's end: ConnectionDone or ConnectionLost. */
export function lostReason(error: Error | undefined): Failure {
  return new Failure(error === undefined ? new ConnectionDone() : new ConnectionLost(error.message));
}

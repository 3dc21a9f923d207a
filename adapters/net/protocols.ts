/**
 * Protocols (asyncio's `protocols.py`): the callbacks a transport calls.
 * Subclass one and override what you need; the defaults do nothing.
 * @module
 */
import type { BaseTransport, DatagramTransport, Transport } from "./transports.js";

/**
 * What every protocol has (asyncio's `BaseProtocol`): the connection's
 * start and end, and write flow control.
 *
 * @example
 * ```ts
 * class Quiet extends BaseProtocol {
 *   override connectionLost(exc?: Error): void { if (exc) console.error(exc); }
 * }
 * ```
 */
export class BaseProtocol {
  /** Called once, when the connection is made: keep the transport. */
  connectionMade(_transport: BaseTransport): void {}
  /** Called once, when the connection is closed; `exc` is undefined on a regular close or EOF. */
  connectionLost(_exc: Error | undefined): void {}
  /** The transport's write buffer went over its high-water mark: stop writing until {@link resumeWriting}. */
  pauseWriting(): void {}
  /** The transport's write buffer drained to its low-water mark: writing may go on. */
  resumeWriting(): void {}
}

/**
 * A stream protocol (asyncio's `Protocol`): bytes arrive in
 * {@link dataReceived}, the peer's end of writing in {@link eofReceived}.
 *
 * @example
 * ```ts
 * class Echo extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(t: Transport): void { this.transport = t; }
 *   override dataReceived(data: Buffer): void { this.transport.write(data); }
 * }
 * await using server = await createServer(() => new Echo(), "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [reader, writer] = await openConnection("127.0.0.1", port);
 * writer.write("ping");
 * console.log((await reader.readexactly(4)).toString()); // "ping"
 * writer.close();
 * ```
 */
export class Protocol extends BaseProtocol {
  /** Called once, when the connection is made: keep the transport. */
  override connectionMade(_transport: Transport): void {}
  /** Called with each chunk of bytes received, in order. */
  dataReceived(_data: Buffer): void {}
  /**
   * The peer will send no more (it wrote EOF). Return true to keep the
   * connection open for writing (half-closed); otherwise the transport closes.
   */
  eofReceived(): boolean | undefined | void {}
}

/**
 * A stream protocol that receives into its own buffer (asyncio's
 * `BufferedProtocol`): the transport asks {@link getBuffer} for room,
 * copies the bytes in and calls {@link bufferUpdated}.
 *
 * @example
 * ```ts
 * class Counter extends BufferedProtocol {
 *   buf = Buffer.alloc(65536); total = 0;
 *   override getBuffer(): Buffer { return this.buf; }
 *   override bufferUpdated(n: number): void { this.total += n; }
 * }
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  /** Called once, when the connection is made: keep the transport. */
  override connectionMade(_transport: Transport): void {}
  /** A buffer to receive into; `sizehint` is the number of bytes waiting (a hint). Must not be empty. */
  getBuffer(_sizehint: number): Uint8Array {
    return Buffer.alloc(0);
  }
  /** `nbytes` bytes were written at the start of the last buffer returned by {@link getBuffer}. */
  bufferUpdated(_nbytes: number): void {}
  /** As {@link Protocol.eofReceived}. */
  eofReceived(): boolean | undefined | void {}
}

/** A datagram's address: `[host, port]`. */
export type Address = [host: string, port: number];

/**
 * A datagram protocol (asyncio's `DatagramProtocol`).
 *
 * @example
 * ```ts
 * class EchoUdp extends DatagramProtocol {
 *   transport!: DatagramTransport;
 *   override connectionMade(t: DatagramTransport): void { this.transport = t; }
 *   override datagramReceived(data: Buffer, addr: Address): void { this.transport.sendto(data, addr); }
 * }
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  /** Called once, when the endpoint is ready: keep the transport. */
  override connectionMade(_transport: DatagramTransport): void {}
  /** A datagram arrived from `addr`. */
  datagramReceived(_data: Buffer, _addr: Address): void {}
  /** A send or receive failed (e.g. ICMP port unreachable); the endpoint stays open. */
  errorReceived(_exc: Error): void {}
}

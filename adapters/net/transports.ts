/**
 * Transports (asyncio's `transports.py` and `selector_events.py`) over
 * Node's sockets: {@link Transport} over a `net.Socket` (TCP, Unix, TLS),
 * {@link DatagramTransport} over a `dgram.Socket`.
 *
 * Invariants: `connectionMade` is called once, before any data;
 * `connectionLost` once, last. A user protocol's callbacks run inside a
 * loop iteration (through `callSoon`, in order), so `getRunningLoop()` and
 * `createTask()` work in them; an exception they throw is a fatal error of
 * the connection (reported through the loop's exception handler, then the
 * connection is aborted), as in asyncio.
 * @module
 */
import type { Socket as DgramSocket } from "node:dgram";
import type { Socket } from "node:net";
import { TLSSocket, connect as tlsConnect, type ConnectionOptions, type TlsOptions } from "node:tls";
import type { EventLoop, Future } from "../../src/index.js";
import { ConnectionResetError, toOSError } from "./errors.js";
import type { Address, BaseProtocol, BufferedProtocol, DatagramProtocol, Protocol } from "./protocols.js";

/** asyncio's default write-buffer high-water mark (64 KiB); the low mark is a quarter of it. */
export const DEFAULT_HIGH_WATER = 64 * 1024;
const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;

/** Bytes a transport writes: a Buffer or any Uint8Array; a string is written as UTF-8. */
export type BytesLike = Uint8Array | string;

/** @internal Protocols whose callbacks may run straight from Node's I/O callbacks (ours only). */
export interface SyncProtocol {
  _syncEvents?: boolean;
}

/**
 * What every transport has (asyncio's `BaseTransport`).
 *
 * @example
 * ```ts
 * await using server = await createServer(() => new Protocol(), "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [transport] = await createConnection(() => new Protocol(), "127.0.0.1", port);
 * console.log(transport.getExtraInfo("peername")); // ["127.0.0.1", port]
 * transport.close();
 * ```
 */
export interface BaseTransport {
  /** Information about the connection: `"peername"`, `"sockname"`, `"socket"`, `"peercert"`, `"cipher"`, `"sslObject"`; `"sslcontext"` is the TLS socket (undefined without TLS), standing in for Python's SSLContext. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** True once the transport is closing or closed. */
  isClosing(): boolean;
  /** Closes after the buffered data is sent; the protocol's `connectionLost(undefined)` follows. */
  close(): void;
  /** The protocol. */
  getProtocol(): BaseProtocol;
  /** Replaces the protocol. */
  setProtocol(protocol: BaseProtocol): void;
}

/**
 * A stream transport over a Node socket (asyncio's `Transport`): TCP,
 * Unix sockets, TLS.
 *
 * Flow control: when the bytes Node holds for the socket
 * (`writableLength`) go over the high-water mark, the protocol's
 * `pauseWriting()` is called; `resumeWriting()` when Node reports the buffer
 * drained (`"drain"`: it is then empty, so at or below any low mark).
 *
 * @example
 * ```ts
 * await using server = await startServer(async (reader, writer) => {
 *   console.log((await reader.readline()).toString()); // "hello\n"
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [transport] = await createConnection(() => new Protocol(), "127.0.0.1", port);
 * transport.write("hello\n");
 * transport.setWriteBufferLimits(1 << 20);
 * transport.close(); // after the buffered bytes are sent
 * ```
 */
export class Transport implements BaseTransport {
  /** @internal */ _socket: Socket;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _protocol: BaseProtocol;
  /** @internal */ _closing = false;
  /** @internal */ _eof = false;
  /** @internal */ _lost = false;
  /** @internal */ _lostWrites = 0;
  /** @internal */ _reading = true;
  /** @internal */ _protocolPaused = false;
  /** @internal */ _high = DEFAULT_HIGH_WATER;
  /** @internal */ _low = DEFAULT_HIGH_WATER / 4;
  /** @internal */ _error: Error | undefined = undefined;
  /** @internal */ _tls = false;
  /** @internal called when the connection is lost (the server's bookkeeping) */ _onLost: (() => void) | undefined;
  /** @internal */ readonly _extra: Record<string, unknown>;

  /** @internal Made by createConnection / createServer / streams. */
  constructor(loop: EventLoop, socket: Socket, protocol: BaseProtocol, extra?: Record<string, unknown>) {
    this._loop = loop;
    this._socket = socket;
    this._protocol = protocol;
    this._extra = extra ?? {};
    this._tls = socket instanceof TLSSocket;
  }

  /** @internal Starts the protocol: connectionMade, then the socket's events. The future is done once connectionMade ran. */
  _start(): Future<void> {
    const made = this._loop.createFuture<void>();
    this._dispatch(() => {
      this._protocol.connectionMade(this);
      made.setResult();
    });
    this._attach(this._socket);
    return made;
  }

  /** @internal */
  _attach(socket: Socket): void {
    socket.on("data", this._onData);
    socket.on("end", this._onEnd);
    socket.on("error", this._onError);
    socket.on("close", this._onClose);
    socket.on("drain", this._onDrain);
    if (!this._reading) socket.pause();
  }

  /** @internal */
  _detach(socket: Socket): void {
    socket.off("data", this._onData);
    socket.off("end", this._onEnd);
    socket.off("error", this._onError);
    socket.off("close", this._onClose);
    socket.off("drain", this._onDrain);
  }

  /** @internal Runs a protocol callback: at once for our stream protocol, else in a loop iteration. */
  _dispatch(fn: () => void): void {
    if ((this._protocol as SyncProtocol)._syncEvents) {
      try {
        fn();
      } catch (e) {
        this._fatalError(e, "Fatal error: protocol callback failed");
      }
      return;
    }
    if (this._loop.isClosed()) {
      this._socket.destroy();
      return;
    }
    this._loop.callSoon(() => {
      try {
        fn();
      } catch (e) {
        this._fatalError(e, "Fatal error: protocol callback failed");
      }
    });
  }

  /** @internal */
  _onData = (data: Buffer): void => {
    this._dispatch(() => {
      if (this._lost) return;
      const p = this._protocol as Protocol & Partial<BufferedProtocol>;
      if (typeof p.getBuffer === "function") feedBuffered(p as BufferedProtocol, data);
      else p.dataReceived(data);
    });
  };

  /** @internal */
  _onEnd = (): void => {
    this._dispatch(() => {
      if (this._lost) return;
      const keepOpen = (this._protocol as Protocol).eofReceived?.();
      // As asyncio: TLS cannot be half-closed.
      if (keepOpen && !this._tls) return;
      this.close();
    });
  };

  /** @internal */
  _onError = (err: Error): void => {
    this._error ??= toOSError(err) as Error;
  };

  /** @internal */
  _onClose = (): void => {
    this._dispatch(() => this._connectionLost(this._error));
  };

  /** @internal */
  _onDrain = (): void => {
    this._dispatch(() => this._maybeResumeProtocol());
  };

  /** @internal */
  _connectionLost(exc: Error | undefined): void {
    if (this._lost) return;
    this._lost = true;
    this._closing = true;
    try {
      if (this._protocolPaused) {
        this._protocolPaused = false;
      }
      this._protocol.connectionLost(exc);
    } finally {
      this._onLost?.();
    }
  }

  /** @internal asyncio's `_fatal_error`: report (unless a connection error), then abort. */
  _fatalError(exc: unknown, message: string): void {
    if (!(exc instanceof ConnectionResetError)) {
      this._loop.callExceptionHandler({ message, exception: exc, transport: this, protocol: this._protocol });
    }
    this._error ??= exc instanceof Error ? exc : new Error(String(exc));
    this._forceClose();
  }

  /** @internal */
  _forceClose(): void {
    this._closing = true;
    this._socket.destroy();
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    if (name in this._extra) return this._extra[name];
    const s = this._socket;
    switch (name) {
      case "peername":
        return s.remoteAddress === undefined ? (s.remoteFamily === undefined ? defaultValue : "") : address(s, true);
      case "sockname":
        return s.localAddress === undefined ? defaultValue : address(s, false);
      case "socket":
        return s;
      case "peercert":
        return s instanceof TLSSocket ? s.getPeerCertificate() : defaultValue;
      case "cipher":
        return s instanceof TLSSocket ? s.getCipher() : defaultValue;
      case "sslcontext":
      case "sslObject":
      case "ssl_object":
        return s instanceof TLSSocket ? s : defaultValue;
      default:
        return defaultValue;
    }
  }

  isClosing(): boolean {
    return this._closing;
  }

  getProtocol(): BaseProtocol {
    return this._protocol;
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol;
  }

  /** Stops the protocol's `dataReceived` calls until {@link resumeReading}. */
  pauseReading(): void {
    if (this._closing || !this._reading) return;
    this._reading = false;
    this._socket.pause();
  }

  /** Resumes the `dataReceived` calls. */
  resumeReading(): void {
    if (this._closing || this._reading) return;
    this._reading = true;
    this._socket.resume();
  }

  /** True unless reading is paused or the transport is closing. */
  isReading(): boolean {
    return this._reading && !this._closing;
  }

  /**
   * Sets the write flow-control marks (asyncio's defaults: high 64 KiB,
   * low a quarter of high). `ValueError`-like `RangeError` if `low > high` or one is negative.
   */
  setWriteBufferLimits(high?: number, low?: number): void {
    if (high === undefined) high = low === undefined ? DEFAULT_HIGH_WATER : 4 * low;
    if (low === undefined) low = Math.floor(high / 4);
    if (!(high >= low && low >= 0)) throw new RangeError(`high (${high}) must be >= low (${low}) must be >= 0`);
    this._high = high;
    this._low = low;
    this._maybePauseProtocol();
  }

  /** The marks: `[low, high]`. */
  getWriteBufferLimits(): [low: number, high: number] {
    return [this._low, this._high];
  }

  /** The bytes buffered for sending (Node's `writableLength`). */
  getWriteBufferSize(): number {
    return this._socket.writableLength;
  }

  /** Writes `data` without blocking; a paused protocol is told through `pauseWriting`. */
  write(data: BytesLike): void {
    if (typeof data !== "string" && !(data instanceof Uint8Array))
      throw new TypeError(`data argument must be a bytes-like object, not ${typeof data}`);
    if (this._eof) throw new Error("Cannot call write() after writeEof()");
    if (data.length === 0) return;
    if (this._closing || this._lost) {
      if (++this._lostWrites >= LOG_THRESHOLD_FOR_CONNLOST_WRITES && this._lostWrites % 100 === 5)
        this._loop.logger.warn("socket.send() raised exception.");
      return;
    }
    this._socket.write(data);
    this._maybePauseProtocol();
  }

  /** Writes each buffer of `list`. */
  writelines(list: Iterable<BytesLike>): void {
    for (const d of list) this.write(d);
  }

  /** Closes the writing side (sends EOF); reading goes on. */
  writeEof(): void {
    if (this._closing || this._eof) return;
    this._eof = true;
    this._socket.end();
  }

  /** True: TCP and Unix sockets can be half-closed (TLS cannot: false). */
  canWriteEof(): boolean {
    return !this._tls;
  }

  close(): void {
    if (this._closing) return;
    this._closing = true;
    this._socket.pause();
    // asyncio closes the socket once the buffer is flushed, not only the
    // writing side: end() then destroy() once Node has handed everything over.
    const s = this._socket;
    if (s.destroyed) return;
    s.end(() => s.destroy());
  }

  /** Closes at once: buffered data is lost; `connectionLost(undefined)` follows. */
  abort(): void {
    this._closing = true;
    this._socket.destroy();
  }

  /** @internal */
  _maybePauseProtocol(): void {
    if (this._protocolPaused || this._socket.writableLength <= this._high) return;
    this._protocolPaused = true;
    try {
      this._protocol.pauseWriting();
    } catch (e) {
      this._loop.callExceptionHandler({ message: "protocol.pauseWriting() failed", exception: e, transport: this });
    }
  }

  /** @internal */
  _maybeResumeProtocol(): void {
    if (!this._protocolPaused || this._socket.writableLength > this._low) return;
    this._protocolPaused = false;
    try {
      this._protocol.resumeWriting();
    } catch (e) {
      this._loop.callExceptionHandler({ message: "protocol.resumeWriting() failed", exception: e, transport: this });
    }
  }

  /**
   * @internal Upgrades the connection to TLS in place (start_tls): the
   * events move to the TLS socket once the handshake is done.
   */
  async _upgradeTls(options: ConnectionOptions & TlsOptions, serverSide: boolean, timeout: number): Promise<void> {
    const raw = this._socket;
    this._detach(raw);
    const done = this._loop.createFuture<void>();
    let tls: TLSSocket;
    const onError = (e: Error): void => {
      if (!done.done()) done.setException(toOSError(e));
    };
    if (serverSide) {
      tls = new TLSSocket(raw, { ...options, isServer: true });
      tls.once("secure", () => done.done() || done.setResult());
    } else {
      tls = tlsConnect({ ...options, socket: raw });
      tls.once("secureConnect", () => done.done() || done.setResult());
    }
    tls.once("error", onError);
    const timer = this._loop.callLater(timeout, () => {
      if (!done.done()) done.setException(new ConnectionAbortedTimeout());
    });
    try {
      await done;
    } catch (e) {
      tls.destroy();
      throw e;
    } finally {
      timer.cancel();
      tls.off("error", onError);
    }
    this._socket = tls;
    this._tls = true;
    this._attach(tls);
  }
}

/** The TLS handshake took too long (Python raises `TimeoutError`). */
class ConnectionAbortedTimeout extends Error {
  override name = "TimeoutError";
  constructor() {
    super("SSL handshake is taking longer than the timeout");
  }
}

function address(s: Socket, remote: boolean): unknown {
  const host = remote ? s.remoteAddress : s.localAddress;
  const port = remote ? s.remotePort : s.localPort;
  if (host === undefined) return "";
  if (port === undefined) return host;
  return [host, port];
}

function feedBuffered(p: BufferedProtocol, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const buf = p.getBuffer(data.length - offset);
    if (buf.length === 0) throw new RangeError("getBuffer() returned an empty buffer");
    const n = Math.min(buf.length, data.length - offset);
    buf.set(data.subarray(offset, offset + n));
    offset += n;
    p.bufferUpdated(n);
  }
}

/**
 * A datagram transport over a `dgram.Socket` (asyncio's `DatagramTransport`).
 *
 * @example
 * ```ts
 * class Receiver extends DatagramProtocol {
 *   readonly got = getRunningLoop().createFuture<string>();
 *   override datagramReceived(data: Buffer): void { this.got.setResult(data.toString()); }
 * }
 * const [server, receiver] = await createDatagramEndpoint(() => new Receiver(), { localAddr: ["127.0.0.1", 0] });
 * const port = (server.getExtraInfo("sockname") as Address)[1];
 * const [transport] = await createDatagramEndpoint(() => new DatagramProtocol(), { remoteAddr: ["127.0.0.1", port] });
 * transport.sendto("ping");
 * console.log(await receiver.got); // "ping"
 * transport.close();
 * server.close();
 * ```
 */
export class DatagramTransport implements BaseTransport {
  /** @internal */ readonly _socket: DgramSocket;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _protocol: DatagramProtocol;
  /** @internal */ _closing = false;
  /** @internal */ _lost = false;
  /** @internal */ _pending = 0;
  /** @internal */ readonly _remote: Address | undefined;

  /** @internal Made by createDatagramEndpoint. */
  constructor(loop: EventLoop, socket: DgramSocket, protocol: DatagramProtocol, remote: Address | undefined) {
    this._loop = loop;
    this._socket = socket;
    this._protocol = protocol;
    this._remote = remote;
  }

  /** @internal */
  _start(): Future<void> {
    const made = this._loop.createFuture<void>();
    this._call(() => {
      this._protocol.connectionMade(this);
      made.setResult();
    });
    this._socket.on("message", (msg, rinfo) =>
      this._call(() => this._lost || this._protocol.datagramReceived(msg, [rinfo.address, rinfo.port])),
    );
    this._socket.on("error", (err) => this._call(() => this._protocol.errorReceived(toOSError(err) as Error)));
    this._socket.on("close", () => this._call(() => this._connectionLost()));
    return made;
  }

  /** @internal */
  _call(fn: () => unknown): void {
    if (this._loop.isClosed()) return;
    this._loop.callSoon(() => {
      try {
        fn();
      } catch (e) {
        this._loop.callExceptionHandler({ message: "Fatal error: protocol callback failed", exception: e });
        this.abort();
      }
    });
  }

  /** @internal */
  _connectionLost(): void {
    if (this._lost) return;
    this._lost = true;
    this._closing = true;
    this._protocol.connectionLost(undefined);
  }

  /**
   * Sends one datagram to `addr`, or to the remote address the endpoint was
   * made with (then `addr` must be omitted or equal to it).
   */
  sendto(data: BytesLike, addr?: Address): void {
    if (typeof data !== "string" && !(data instanceof Uint8Array))
      throw new TypeError(`data argument must be a bytes-like object, not ${typeof data}`);
    if (
      this._remote !== undefined &&
      addr !== undefined &&
      (addr[0] !== this._remote[0] || addr[1] !== this._remote[1])
    )
      throw new RangeError(`Invalid address: must be undefined or ${this._remote.join(":")}`);
    if (this._closing) return;
    this._pending += data.length;
    const done = (err: Error | null): void => {
      this._pending -= data.length;
      if (err) this._call(() => this._protocol.errorReceived(toOSError(err) as Error));
    };
    if (this._remote !== undefined) this._socket.send(data, done);
    else if (addr !== undefined) this._socket.send(data, addr[1], addr[0], done);
    else throw new RangeError("sendto() needs an address: the endpoint has no remote address");
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    switch (name) {
      case "sockname": {
        const a = this._socket.address();
        return [a.address, a.port];
      }
      case "peername":
        return this._remote ?? defaultValue;
      case "socket":
        return this._socket;
      default:
        return defaultValue;
    }
  }

  /** The bytes handed to Node and not yet sent. */
  getWriteBufferSize(): number {
    return this._pending;
  }

  isClosing(): boolean {
    return this._closing;
  }

  getProtocol(): DatagramProtocol {
    return this._protocol;
  }

  setProtocol(protocol: BaseProtocol): void {
    this._protocol = protocol as DatagramProtocol;
  }

  close(): void {
    if (this._closing) return;
    this._closing = true;
    this._socket.close();
  }

  /** Closes at once. */
  abort(): void {
    this.close();
  }
}

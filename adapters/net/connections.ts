/**
 * Making connections and servers (asyncio's `loop.create_connection`,
 * `loop.create_server`, `loop.create_unix_*`, `loop.create_datagram_endpoint`
 * and `Server`), as functions that take the loop as an option: the core's
 * `EventLoop` does no I/O, so these live here rather than on it.
 * @module
 */
import { createSocket } from "node:dgram";
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { isIP, Server as NetServer, connect as netConnect, type Socket } from "node:net";
import {
  Server as TlsServer,
  connect as tlsConnect,
  type ConnectionOptions,
  type SecureContext,
  type TlsOptions,
} from "node:tls";
import { RuntimeError, getRunningLoop, type EventLoop, type Future } from "../../src/index.js";
import { toOSError } from "./errors.js";
import type { Address, BaseProtocol, DatagramProtocol } from "./protocols.js";
import { DatagramTransport, Transport } from "./transports.js";

/**
 * TLS settings: `true` (a client with the default, verifying context), Node's
 * client options (`ca`, `rejectUnauthorized`, …) or, for a server, Node's
 * server options (`key`, `cert`, …) or a `SecureContext`.
 */
export type SslOption = boolean | ConnectionOptions | TlsOptions | SecureContext;

/** Options of {@link createConnection} and {@link openConnection}. */
export interface ConnectionOpts {
  /** The loop (default: the running loop). */
  loop?: EventLoop;
  /** TLS: see {@link SslOption}. */
  ssl?: SslOption;
  /** The name checked against the server's certificate (default: `host`). */
  serverHostname?: string;
  /** Seconds the TLS handshake may take (default 60, as asyncio). */
  sslHandshakeTimeout?: number;
  /** `[host, port]` to bind locally before connecting. */
  localAddr?: Address;
  /** Aborting it stops connecting: the call fails with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of {@link createServer} and {@link startServer}. */
export interface ServerOpts {
  /** The loop (default: the running loop). */
  loop?: EventLoop;
  /** TLS: Node's server options (`key`, `cert`) or a `SecureContext`. */
  ssl?: TlsOptions | SecureContext;
  /** The listen backlog (default 100, as asyncio). */
  backlog?: number;
  /** Start accepting at once (default true); else at `startServing()` / `serveForever()`. */
  startServing?: boolean;
  /** Allow only IPv6 on `::` (Node's `ipv6Only`). */
  ipv6Only?: boolean;
}

function resolveLoop(loop: EventLoop | undefined): EventLoop {
  return loop ?? getRunningLoop();
}

function isSecureContext(x: unknown): x is SecureContext {
  return typeof x === "object" && x !== null && "context" in x && Object.keys(x).length <= 1;
}

/** @internal Node's TLS client options for an `ssl` option. */
export function clientTlsOptions(ssl: SslOption, serverHostname: string | undefined): ConnectionOptions {
  const base: ConnectionOptions =
    ssl === true ? {} : isSecureContext(ssl) ? { secureContext: ssl } : { ...(ssl as ConnectionOptions) };
  if (serverHostname !== undefined && isIP(serverHostname) === 0) base.servername = serverHostname;
  return base;
}

/** @internal Node's TLS server options for an `ssl` option. */
export function serverTlsOptions(ssl: TlsOptions | SecureContext): TlsOptions {
  return isSecureContext(ssl) ? { secureContext: ssl } : ssl;
}

/** @internal Connects a socket and waits until it is connected (and its TLS handshake done). */
export async function connectSocket(
  loop: EventLoop,
  target: { host: string; port: number } | { path: string },
  opts: ConnectionOpts,
): Promise<Socket> {
  opts.signal?.throwIfAborted();
  const ready = loop.createFuture<void>();
  const base = {
    ...target,
    allowHalfOpen: true,
    ...(opts.localAddr ? { localAddress: opts.localAddr[0], localPort: opts.localAddr[1] } : {}),
  };
  let socket: Socket;
  if (opts.ssl) {
    const host = "host" in target ? target.host : undefined;
    const tlsOpts = clientTlsOptions(opts.ssl, opts.serverHostname ?? host);
    socket = tlsConnect({ ...base, ...tlsOpts });
    socket.once("secureConnect", () => ready.done() || ready.setResult());
  } else {
    socket = netConnect(base);
    socket.once("connect", () => ready.done() || ready.setResult());
  }
  const onError = (e: Error): void => {
    if (!ready.done()) ready.setException(toOSError(e));
  };
  socket.once("error", onError);
  const onAbort = (): void => {
    if (!ready.done()) ready.setException(opts.signal!.reason);
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    opts.ssl && opts.sslHandshakeTimeout !== undefined
      ? loop.callLater(opts.sslHandshakeTimeout, () => {
          if (!ready.done()) ready.setException(new RuntimeError("SSL handshake is taking longer than the timeout"));
        })
      : undefined;
  try {
    await ready;
  } catch (e) {
    socket.destroy();
    throw e;
  } finally {
    timer?.cancel();
    socket.off("error", onError);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  socket.setNoDelay(true);
  return socket;
}

/**
 * Connects to `host:port` over TCP (or TLS with `ssl`) and runs a protocol
 * made by `protocolFactory` on it (asyncio's `loop.create_connection`).
 * Returns once the protocol's `connectionMade` has run. Cancelling the
 * awaiting task, or aborting `signal`, stops the connection attempt.
 *
 * @example
 * ```ts
 * class Client extends Protocol {
 *   readonly reply = getRunningLoop().createFuture<string>();
 *   override dataReceived(data: Buffer): void { this.reply.setResult(data.toString()); }
 * }
 * await using server = await startServer(async (reader, writer) => {
 *   writer.write(await reader.readexactly(5)); // an echo, once
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [transport, protocol] = await createConnection(() => new Client(), "127.0.0.1", port);
 * transport.write("hello");
 * console.log(await protocol.reply); // "hello"
 * transport.close();
 * ```
 */
export async function createConnection<P extends BaseProtocol>(
  protocolFactory: () => P,
  host: string,
  port: number,
  opts: ConnectionOpts = {},
): Promise<[Transport, P]> {
  const loop = resolveLoop(opts.loop);
  const socket = await connectSocket(loop, { host, port }, opts);
  return startTransport(loop, socket, protocolFactory);
}

/**
 * As {@link createConnection}, over a Unix socket at `path` (asyncio's `loop.create_unix_connection`).
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const path = join(tmpdir(), `app-${process.pid}.sock`);
 * await using server = await startUnixServer((_reader, writer) => writer.close(), path);
 * const [transport] = await createUnixConnection(() => new Protocol(), path);
 * transport.close();
 * ```
 */
export async function createUnixConnection<P extends BaseProtocol>(
  protocolFactory: () => P,
  path: string,
  opts: ConnectionOpts = {},
): Promise<[Transport, P]> {
  const loop = resolveLoop(opts.loop);
  const socket = await connectSocket(loop, { path }, opts);
  return startTransport(loop, socket, protocolFactory);
}

async function startTransport<P extends BaseProtocol>(
  loop: EventLoop,
  socket: Socket,
  protocolFactory: () => P,
): Promise<[Transport, P]> {
  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (e) {
    socket.destroy();
    throw e;
  }
  const transport = new Transport(loop, socket, protocol);
  await transport._start();
  return [transport, protocol];
}

/**
 * One listening socket of a {@link Server} (asyncio's `TransportSocket`):
 * `getsockname()` gives `[host, port]` (or the path of a Unix socket).
 *
 * @example
 * ```ts
 * await using server = await createServer(() => new Protocol(), "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * console.log(port > 0); // true: the port the OS chose
 * ```
 */
export class ServerSocket {
  /** The Node server behind it. */
  readonly server: NetServer;
  /** @internal */ constructor(server: NetServer) {
    this.server = server;
  }
  /** `[host, port]` for TCP, the path for a Unix socket. */
  getsockname(): Address | string {
    const a = this.server.address();
    if (a === null) return "";
    if (typeof a === "string") return a;
    return [a.address, a.port];
  }
  /** `"IPv4"`, `"IPv6"` or `"unix"`. */
  get family(): string {
    const a = this.server.address();
    return a === null || typeof a === "string" ? "unix" : a.family;
  }
}

/**
 * A listening server (asyncio's `Server`): made by {@link createServer} or
 * {@link startServer}. `close()` stops listening (connections already
 * accepted go on); `waitClosed()` waits until it is closed and every
 * connection is done; `await using server = …` does both.
 *
 * @example
 * ```ts
 * const server = await startServer((_reader, writer) => writer.close(), "127.0.0.1", 0);
 * const task = createTask(() => server.serveForever());
 * await sleep(0.01); // … serving
 * task.cancel(); // closes the server
 * await task.then(undefined, () => {});
 * console.log(server.isServing()); // false
 * ```
 */
export class Server implements AsyncDisposable {
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ readonly _servers: NetServer[];
  /** @internal connections accepted before startServing(): asyncio's listen backlog */ _backlog: Array<() => void> =
    [];
  /** @internal */ readonly _backlogSize: number;
  /** @internal */ readonly _transports = new Set<Transport>();
  /** @internal */ _serving = false;
  /** @internal */ _closed = false;
  /** @internal */ _waiters: Array<Future<void>> = [];
  /** @internal */ _servingForever: Future<void> | undefined = undefined;
  /** @internal */ readonly _unixPaths: string[];

  /** @internal Made by createServer. */
  constructor(loop: EventLoop, servers: NetServer[], backlog: number, unixPaths: string[] = []) {
    this._loop = loop;
    this._servers = servers;
    this._backlogSize = backlog;
    this._unixPaths = unixPaths;
  }

  /** The loop the server runs on. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** The listening sockets (empty once closed). */
  get sockets(): ServerSocket[] {
    return this._closed ? [] : this._servers.map((s) => new ServerSocket(s));
  }

  /** True while accepting connections. */
  isServing(): boolean {
    return this._serving && !this._closed;
  }

  /**
   * Starts accepting connections (idempotent). The sockets listen from the
   * start (Node cannot bind without listening): connections that arrive
   * before are held, up to the backlog, and served now.
   */
  async startServing(): Promise<void> {
    if (this._closed) throw new RuntimeError(`server ${this._describe()} is closed`);
    if (this._serving) return;
    this._serving = true;
    const held = this._backlog;
    this._backlog = [];
    for (const serve of held) serve();
  }

  /** @internal A new connection: served now, held until startServing(), or refused. */
  _accept(serve: () => void, refuse: () => void): void {
    if (this._closed || this._loop.isClosed()) refuse();
    else if (this._serving) serve();
    else if (this._backlog.length < this._backlogSize) this._backlog.push(serve);
    else refuse();
  }

  /**
   * Accepts connections until cancelled; cancelling closes the server and
   * waits for its connections (asyncio's `serve_forever`).
   */
  async serveForever(): Promise<void> {
    if (this._servingForever !== undefined)
      throw new RuntimeError(`server ${this._describe()} is already being awaited on serveForever()`);
    if (this._closed) throw new RuntimeError(`server ${this._describe()} is closed`);
    await this.startServing();
    const fut = (this._servingForever = this._loop.createFuture<void>());
    try {
      await fut;
    } catch (e) {
      this.close();
      await this.waitClosed();
      throw e;
    } finally {
      this._servingForever = undefined;
    }
  }

  /** Stops listening; the connections already accepted go on. A `serveForever()` in progress is cancelled. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    this._serving = false;
    for (const s of this._servers) if (s.listening) s.close();
    this._backlog = [];
    for (const p of this._unixPaths) removeSocketFile(p);
    this._servingForever?.cancel();
    this._checkWaiters();
  }

  /** Closes every accepted connection (after its buffered data is sent). */
  closeClients(): void {
    for (const t of [...this._transports]) t.close();
  }

  /** Aborts every accepted connection at once. */
  abortClients(): void {
    for (const t of [...this._transports]) t.abort();
  }

  /** Waits until the server is closed and every accepted connection is done. */
  async waitClosed(): Promise<void> {
    if (this._closed && this._transports.size === 0) return;
    const w = this._loop.createFuture<void>();
    this._waiters.push(w);
    await w;
  }

  /** `await using`: closes and waits, as `async with server`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** @internal */
  _attach(transport: Transport): void {
    this._transports.add(transport);
    transport._onLost = () => {
      this._transports.delete(transport);
      this._checkWaiters();
    };
  }

  /** @internal */
  _checkWaiters(): void {
    if (!this._closed || this._transports.size > 0) return;
    const ws = this._waiters;
    this._waiters = [];
    for (const w of ws) if (!w.done()) w.setResult();
  }

  /** @internal */
  _describe(): string {
    return `<Server sockets=${JSON.stringify(this._servers.map((s) => s.address()))}>`;
  }
}

function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // gone already
  }
}

async function listenOn(loop: EventLoop, s: NetServer, options: object): Promise<void> {
  const ready = loop.createFuture<void>();
  const onError = (e: Error): void => {
    if (!ready.done()) ready.setException(toOSError(e));
  };
  s.once("error", onError);
  s.listen(options, () => ready.done() || ready.setResult());
  try {
    await ready;
  } finally {
    s.off("error", onError);
  }
}

function makeServer<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  ssl: TlsOptions | SecureContext | undefined,
  server: () => Server,
): NetServer {
  const onSocket = (socket: Socket): void => {
    server()._accept(
      () => serve(socket),
      () => socket.destroy(),
    );
  };
  const serve = (socket: Socket): void => {
    const srv = server();
    socket.setNoDelay?.(true);
    let protocol: P;
    try {
      protocol = protocolFactory();
    } catch (e) {
      loop.callExceptionHandler({ message: "protocolFactory() failed", exception: e });
      socket.destroy();
      return;
    }
    const transport = new Transport(loop, socket, protocol);
    srv._attach(transport);
    transport._start();
  };
  if (ssl !== undefined) {
    const s = new TlsServer({ ...serverTlsOptions(ssl), allowHalfOpen: true } as TlsOptions, onSocket);
    // A failed handshake is the client's problem, not the server's.
    s.on("tlsClientError", () => {});
    return s;
  }
  return new NetServer({ allowHalfOpen: true }, onSocket);
}

/**
 * Listens on `host:port` (port 0: a free one) and runs a protocol made by
 * `protocolFactory` on each connection (asyncio's `loop.create_server`).
 * `host` may be a list of hosts; `localhost` listens on its IPv4 and IPv6
 * addresses where they exist.
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
 * await writer.waitClosed();
 * ```
 */
export async function createServer<P extends BaseProtocol>(
  protocolFactory: () => P,
  host: string | string[] | undefined,
  port: number,
  opts: ServerOpts = {},
): Promise<Server> {
  const loop = resolveLoop(opts.loop);
  const hosts = host === undefined || host === "" ? [undefined] : Array.isArray(host) ? host : [host];
  const backlog = opts.backlog ?? 100;
  const servers: NetServer[] = [];
  let server: Server | undefined;
  for (let i = 0; i < hosts.length; i++) servers.push(makeServer(loop, protocolFactory, opts.ssl, () => server!));
  server = new Server(loop, servers, backlog);
  try {
    for (let i = 0; i < hosts.length; i++)
      await listenOn(loop, servers[i]!, { host: hosts[i], port, backlog, ipv6Only: opts.ipv6Only ?? false });
  } catch (e) {
    server.close();
    throw e;
  }
  if (opts.startServing ?? true) await server.startServing();
  // With port 0 and several hosts, each got its own free port (asyncio does the same).
  return server;
}

/**
 * As {@link createServer}, on a Unix socket at `path` (asyncio's
 * `loop.create_unix_server`). A stale socket file at `path` is removed
 * first, and the file is removed when the server closes (3.13's `cleanup_socket`).
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * await using server = await createUnixServer(() => new Protocol(), join(tmpdir(), `echo-${process.pid}.sock`));
 * console.log(server.sockets[0]!.family); // "unix"
 * ```
 */
export async function createUnixServer<P extends BaseProtocol>(
  protocolFactory: () => P,
  path: string,
  opts: ServerOpts = {},
): Promise<Server> {
  const loop = resolveLoop(opts.loop);
  if (existsSync(path)) removeSocketFile(path);
  let server: Server | undefined;
  const ns = makeServer(loop, protocolFactory, opts.ssl, () => server!);
  server = new Server(loop, [ns], opts.backlog ?? 100, [path]);
  try {
    await listenOn(loop, ns, { path, backlog: opts.backlog ?? 100 });
  } catch (e) {
    server.close();
    throw e;
  }
  if (opts.startServing ?? true) await server.startServing();
  return server;
}

/** Options of {@link createDatagramEndpoint}. */
export interface DatagramOpts {
  /** The loop (default: the running loop). */
  loop?: EventLoop;
  /** `[host, port]` to bind to (port 0: a free one). */
  localAddr?: Address;
  /** `[host, port]` to connect to: `sendto(data)` then needs no address. */
  remoteAddr?: Address;
  /** `"udp4"` (default, or from the addresses) or `"udp6"`. */
  family?: "udp4" | "udp6";
  /** Allow several sockets on one address (Node's `reuseAddr`). */
  reuseAddress?: boolean;
}

/**
 * Makes a UDP endpoint running a protocol made by `protocolFactory`
 * (asyncio's `loop.create_datagram_endpoint`).
 *
 * @example
 * ```ts
 * class EchoUdp extends DatagramProtocol {
 *   transport!: DatagramTransport;
 *   override connectionMade(t: DatagramTransport): void { this.transport = t; }
 *   override datagramReceived(data: Buffer, addr: Address): void { this.transport.sendto(data, addr); }
 * }
 * const [server] = await createDatagramEndpoint(() => new EchoUdp(), { localAddr: ["127.0.0.1", 0] });
 * const port = (server.getExtraInfo("sockname") as Address)[1];
 * class Client extends DatagramProtocol {
 *   readonly reply = getRunningLoop().createFuture<string>();
 *   override datagramReceived(data: Buffer): void { this.reply.setResult(data.toString()); }
 * }
 * const [client, protocol] = await createDatagramEndpoint(() => new Client(), { remoteAddr: ["127.0.0.1", port] });
 * client.sendto("ping");
 * console.log(await protocol.reply); // "ping"
 * client.close();
 * server.close();
 * ```
 */
export async function createDatagramEndpoint<P extends DatagramProtocol>(
  protocolFactory: () => P,
  opts: DatagramOpts = {},
): Promise<[DatagramTransport, P]> {
  const loop = resolveLoop(opts.loop);
  const someHost = opts.localAddr?.[0] ?? opts.remoteAddr?.[0];
  const family = opts.family ?? (someHost !== undefined && isIP(someHost) === 6 ? "udp6" : "udp4");
  const socket = createSocket({ type: family, reuseAddr: opts.reuseAddress ?? false });
  const step = async (start: (cb: () => void) => void): Promise<void> => {
    const ready = loop.createFuture<void>();
    const onError = (e: Error): void => {
      if (!ready.done()) ready.setException(toOSError(e));
    };
    socket.once("error", onError);
    start(() => ready.done() || ready.setResult());
    try {
      await ready;
    } finally {
      socket.off("error", onError);
    }
  };
  try {
    if (opts.localAddr !== undefined || opts.remoteAddr === undefined) {
      const [h, p] = opts.localAddr ?? [family === "udp6" ? "::1" : "127.0.0.1", 0];
      await step((cb) => socket.bind(p, h, cb));
    }
    if (opts.remoteAddr !== undefined) {
      const [h, p] = opts.remoteAddr;
      await step((cb) => socket.connect(p, h, cb));
    }
  } catch (e) {
    socket.close();
    throw e;
  }
  const protocol = protocolFactory();
  const transport = new DatagramTransport(loop, socket, protocol, opts.remoteAddr);
  await transport._start();
  return [transport, protocol];
}

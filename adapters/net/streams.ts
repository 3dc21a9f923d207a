/**
 * Streams (asyncio's `streams.py`): {@link StreamReader} and
 * {@link StreamWriter} over a {@link Transport}, and the high-level
 * {@link openConnection} / {@link startServer} and their Unix-socket forms.
 * @module
 */
import type { ConnectionOptions, TlsOptions, SecureContext } from "node:tls";
import {
  RuntimeError,
  ValueError,
  getRunningLoop,
  sleep,
  type EventLoop,
  type Future,
  type Task,
} from "../../src/index.js";
import {
  clientTlsOptions,
  connectSocket,
  createServer,
  createUnixServer,
  serverTlsOptions,
  type ConnectionOpts,
  type Server,
  type ServerOpts,
  type SslOption,
} from "./connections.js";
import { ConnectionResetError, IncompleteReadError, LimitOverrunError } from "./errors.js";
import { Protocol } from "./protocols.js";
import { Transport, type BytesLike } from "./transports.js";

/** asyncio's default stream buffer limit: 64 KiB. */
export const DEFAULT_LIMIT = 2 ** 16;

const EMPTY = Buffer.alloc(0);
// What drain() returns when there is nothing to wait for: a settled promise
// (one microtask, no loop iteration, no allocation).
const READY: Promise<void> = Promise.resolve();

function toBytes(x: BytesLike): Buffer {
  return typeof x === "string" ? Buffer.from(x, "utf8") : Buffer.isBuffer(x) ? x : Buffer.from(x);
}

/**
 * Reads from a connection (asyncio's `StreamReader`). The buffer holds at
 * most about twice `limit` bytes: past that the transport stops reading
 * until the buffer is consumed (backpressure towards the peer).
 *
 * Cancelling a pending read loses nothing: bytes that arrive later stay in
 * the buffer for the next read. One read may wait at a time.
 *
 * Async iteration yields lines (as `readline()`) until EOF.
 *
 * @example
 * ```ts
 * await using server = await startServer((_reader, writer) => {
 *   writer.write("Content-Length: 2\r\n\r\nhione\ntwo\n");
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [reader, writer] = await openConnection("127.0.0.1", port);
 * const header = (await reader.readuntil("\r\n\r\n")).toString();
 * const length = Number(/Content-Length: (\d+)/.exec(header)![1]);
 * const body = await reader.readexactly(length); // "hi"
 * for await (const line of reader) console.log(line.toString()); // "one\n", then "two\n"
 * writer.close();
 * ```
 */
export class StreamReader implements AsyncIterable<Buffer> {
  /** @internal */ readonly _limit: number;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _buffer: Buffer = EMPTY;
  /** @internal */ _eof = false;
  /** @internal */ _waiter: Future<void> | undefined = undefined;
  /** @internal */ _exception: Error | undefined = undefined;
  /** @internal */ _transport: Transport | undefined = undefined;
  /** @internal */ _paused = false;

  /**
   * A reader with a buffer `limit` (default 64 KiB), on `loop` (default the running loop).
   *
   * @example
   * ```ts
   * const reader = new StreamReader({ limit: 1 << 20 });
   * reader.feedData(Buffer.from("line\n"));
   * ```
   */
  constructor(options?: { limit?: number; loop?: EventLoop }) {
    const limit = options?.limit ?? DEFAULT_LIMIT;
    if (!(limit > 0)) throw new ValueError("Limit cannot be <= 0");
    this._limit = limit;
    this._loop = options?.loop ?? getRunningLoop();
  }

  /** The exception set by {@link setException} (e.g. the connection's error), or undefined. */
  exception(): Error | undefined {
    return this._exception;
  }

  /** Makes every pending and later read fail with `exc`. */
  setException(exc: Error): void {
    this._exception = exc;
    const w = this._waiter;
    if (w !== undefined) {
      this._waiter = undefined;
      if (!w.cancelled()) w.setException(exc);
    }
  }

  /** @internal */
  _wakeupWaiter(): void {
    const w = this._waiter;
    if (w !== undefined) {
      this._waiter = undefined;
      if (!w.cancelled()) w.setResult();
    }
  }

  /** Attaches the transport whose reading is paused and resumed by the buffer's size. */
  setTransport(transport: Transport): void {
    if (this._transport !== undefined) throw new RuntimeError("Transport already set");
    this._transport = transport;
  }

  /** @internal */
  _maybeResumeTransport(): void {
    if (this._paused && this._buffer.length <= this._limit) {
      this._paused = false;
      this._transport?.resumeReading();
    }
  }

  /** Marks the end of the stream: waiting reads return what is buffered. */
  feedEof(): void {
    this._eof = true;
    this._wakeupWaiter();
  }

  /** True once EOF was fed and the buffer is empty. */
  atEof(): boolean {
    return this._eof && this._buffer.length === 0;
  }

  /** Appends bytes to the buffer (what the protocol does with what it receives). */
  feedData(data: Uint8Array): void {
    if (this._eof) throw new RuntimeError("feedData after feedEof");
    if (data.length === 0) return;
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    this._buffer = this._buffer.length === 0 ? chunk : Buffer.concat([this._buffer, chunk]);
    this._wakeupWaiter();
    if (this._transport !== undefined && !this._paused && this._buffer.length > 2 * this._limit) {
      this._transport.pauseReading();
      this._paused = true;
    }
  }

  /** @internal Waits until data or EOF is fed; resumes a paused transport first. */
  async _waitForData(funcName: string): Promise<void> {
    if (this._waiter !== undefined)
      throw new RuntimeError(`${funcName}() called while another coroutine is already waiting for incoming data`);
    if (this._eof) throw new RuntimeError("_waitForData after EOF");
    if (this._paused) {
      this._paused = false;
      this._transport?.resumeReading();
    }
    const w = (this._waiter = this._loop.createFuture<void>());
    try {
      await w;
    } finally {
      if (this._waiter === w) this._waiter = undefined;
    }
  }

  /** @internal Takes the first `n` bytes of the buffer. */
  _take(n: number): Buffer {
    const b = this._buffer;
    let data: Buffer;
    if (n >= b.length) {
      data = b;
      this._buffer = EMPTY;
    } else {
      // A copy: a view would pin the whole chunk while the rest is consumed.
      data = Buffer.from(b.subarray(0, n));
      this._buffer = b.subarray(n);
    }
    this._maybeResumeTransport();
    return data;
  }

  /**
   * Reads a line ending in `\n` (the `\n` included). At EOF returns what is
   * left (possibly without `\n`, or empty). A line longer than the limit is
   * a `ValueError` (its bytes are discarded, up to the separator when found).
   */
  async readline(): Promise<Buffer> {
    const sep = NEWLINE;
    try {
      return await this.readuntil(sep);
    } catch (e) {
      if (e instanceof IncompleteReadError) return e.partial;
      if (e instanceof LimitOverrunError) {
        if (this._buffer.subarray(e.consumed, e.consumed + 1).equals(sep))
          this._buffer = this._buffer.subarray(e.consumed + 1);
        else this._buffer = EMPTY;
        this._maybeResumeTransport();
        throw new ValueError(e.message);
      }
      throw e;
    }
  }

  /**
   * Reads up to and including `separator` (a string, bytes, or a list of
   * them: the first found wins, as 3.13). At EOF without it:
   * `IncompleteReadError` with the rest as `partial`. Not found within the
   * limit: `LimitOverrunError` (the data stays buffered).
   */
  async readuntil(separator: BytesLike | BytesLike[] = NEWLINE): Promise<Buffer> {
    const seps = (Array.isArray(separator) ? separator : [separator]).map(toBytes);
    if (seps.length === 0) throw new ValueError("Separator should contain at least one element");
    const minLen = Math.min(...seps.map((b) => b.length));
    const maxLen = Math.max(...seps.map((b) => b.length));
    if (minLen === 0) throw new ValueError("Separator should be at least one-byte string");
    if (this._exception !== undefined) throw this._exception;

    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const buflen = this._buffer.length;
      if (buflen - offset >= minLen) {
        // As 3.13: the match that ends first wins.
        for (const s of seps) {
          const i = this._buffer.indexOf(s, offset);
          if (i !== -1 && (matchEnd === -1 || i + s.length < matchEnd)) {
            matchEnd = i + s.length;
            matchStart = i;
          }
        }
        if (matchEnd !== -1) break;
        offset = Math.max(0, buflen + 1 - maxLen);
        if (offset > this._limit)
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
      }
      // A complete match may have arrived with EOF: check the buffer first.
      if (this._eof) {
        const chunk = this._buffer;
        this._buffer = EMPTY;
        throw new IncompleteReadError(chunk, null);
      }
      await this._waitForData("readuntil");
    }
    if (matchStart > this._limit)
      throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    return this._take(matchEnd);
  }

  /**
   * Reads up to `n` bytes; with `n < 0` (the default) reads until EOF. Returns
   * as soon as some bytes are buffered; an empty Buffer means EOF.
   */
  async read(n = -1): Promise<Buffer> {
    if (this._exception !== undefined) throw this._exception;
    if (n === 0) return EMPTY;
    if (n < 0) {
      // Until EOF, in blocks of `limit` so that the transport keeps flowing.
      const blocks: Buffer[] = [];
      try {
        for (;;) {
          const block = await this.read(this._limit);
          if (block.length === 0) break;
          blocks.push(block);
        }
      } catch (e) {
        // Cancelled (or failed) midway: what was read goes back, nothing is lost.
        if (blocks.length > 0) this._buffer = Buffer.concat([...blocks, this._buffer]);
        throw e;
      }
      return Buffer.concat(blocks);
    }
    if (this._buffer.length === 0 && !this._eof) await this._waitForData("read");
    return this._take(Math.min(n, this._buffer.length));
  }

  /**
   * Reads exactly `n` bytes. At EOF first: `IncompleteReadError` with the
   * bytes read as `partial`. `ValueError` if `n < 0`.
   */
  async readexactly(n: number): Promise<Buffer> {
    if (n < 0) throw new ValueError("readexactly size can not be less than zero");
    if (this._exception !== undefined) throw this._exception;
    if (n === 0) return EMPTY;
    while (this._buffer.length < n) {
      if (this._eof) {
        const incomplete = this._buffer;
        this._buffer = EMPTY;
        throw new IncompleteReadError(incomplete, n);
      }
      await this._waitForData("readexactly");
    }
    return this._take(n);
  }

  /** Lines until EOF (asyncio's `async for line in reader`). */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** @internal For tests: the buffered bytes. */
  get _buffered(): number {
    return this._buffer.length;
  }
}

const NEWLINE = Buffer.from("\n");

/** What a server calls for each connection: may be async (its task's failure is reported and the connection closed). */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => unknown;

/**
 * The protocol between a transport and a reader/writer pair (asyncio's
 * `StreamReaderProtocol`, with `FlowControlMixin`'s drain logic).
 *
 * @example
 * ```ts
 * await using server = await startServer((_reader, writer) => writer.close(), "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const reader = new StreamReader();
 * const [transport, protocol] = await createConnection(() => new StreamReaderProtocol(reader), "127.0.0.1", port);
 * const writer = new StreamWriter(transport, protocol, reader);
 * console.log((await reader.read()).length); // 0: the server closed at once
 * writer.close();
 * ```
 */
export class StreamReaderProtocol extends Protocol {
  /** @internal our own protocol: run straight from Node's I/O callbacks */ _syncEvents = true;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _reader: StreamReader | undefined;
  /** @internal */ readonly _clientConnected: ClientConnected | undefined;
  /** @internal */ _transport: Transport | undefined = undefined;
  /** @internal */ _overSsl = false;
  /** @internal */ readonly _closed: Future<void>;
  /** @internal */ _paused = false;
  /** @internal */ _drainWaiters: Array<Future<void>> = [];
  /** @internal */ _connectionLost = false;
  /** @internal */ _task: Task<unknown> | undefined = undefined;

  /**
   * A protocol feeding `reader`; with `clientConnected`, a server's: it is
   * called with the reader and a new writer when the connection is made.
   */
  constructor(reader: StreamReader | undefined, clientConnected?: ClientConnected, options?: { loop?: EventLoop }) {
    super();
    this._loop = options?.loop ?? reader?._loop ?? getRunningLoop();
    this._reader = reader;
    this._clientConnected = clientConnected;
    this._closed = this._loop.createFuture<void>();
    // Nobody may wait for the close: never report its exception as unretrieved.
    this._closed.then(undefined, () => {});
  }

  override connectionMade(transport: Transport): void {
    this._transport = transport;
    this._reader?.setTransport(transport);
    this._overSsl = transport._tls;
    const cb = this._clientConnected;
    if (cb === undefined) return;
    const writer = new StreamWriter(transport, this, this._reader, this._loop);
    // The callback runs in a task of its own, as asyncio runs the coroutine it returns.
    const task = this._loop.createTask(async () => cb(this._reader!, writer));
    this._task = task;
    task.addDoneCallback((t) => {
      this._task = undefined;
      if (t.cancelled()) {
        transport.close();
        return;
      }
      const exc = t.exception();
      if (exc !== undefined) {
        this._loop.callExceptionHandler({
          message: "Unhandled exception in client_connected_cb",
          exception: exc,
          transport,
        });
        transport.close();
      }
    });
  }

  override dataReceived(data: Buffer): void {
    this._reader?.feedData(data);
  }

  override eofReceived(): boolean {
    this._reader?.feedEof();
    return !this._overSsl;
  }

  override connectionLost(exc: Error | undefined): void {
    const reader = this._reader;
    if (reader !== undefined) {
      if (exc === undefined) {
        if (!reader._eof) reader.feedEof();
      } else reader.setException(exc);
    }
    if (!this._closed.done()) {
      if (exc === undefined) this._closed.setResult();
      else this._closed.setException(exc);
    }
    this._connectionLost = true;
    if (this._paused) {
      this._paused = false;
      this._wakeDrainWaiters(exc);
    }
    this._reader = undefined;
  }

  override pauseWriting(): void {
    this._paused = true;
  }

  override resumeWriting(): void {
    this._paused = false;
    this._wakeDrainWaiters(undefined);
  }

  /** @internal */
  _wakeDrainWaiters(exc: Error | undefined): void {
    const ws = this._drainWaiters;
    this._drainWaiters = [];
    for (const w of ws) {
      if (w.done()) continue;
      if (exc === undefined) w.setResult();
      else w.setException(exc);
    }
  }

  /** @internal asyncio's `_drain_helper`. */
  async _drainHelper(): Promise<void> {
    if (this._connectionLost) throw new ConnectionResetError("Connection lost");
    if (!this._paused) return;
    const w = this._loop.createFuture<void>();
    this._drainWaiters.push(w);
    try {
      await w;
    } finally {
      const i = this._drainWaiters.indexOf(w);
      if (i !== -1) this._drainWaiters.splice(i, 1);
    }
  }
}

/**
 * Writes to a connection (asyncio's `StreamWriter`). `write()` never
 * blocks; `await drain()` waits while the transport's buffer is over its
 * high-water mark, so a writer that drains after each write keeps its
 * memory bounded even when the peer does not read.
 *
 * @example
 * ```ts
 * await using server = await startServer(async (reader, writer) => {
 *   await reader.readline(); // "PING\r\n"
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [, writer] = await openConnection("127.0.0.1", port);
 * writer.write("PING\r\n");
 * await writer.drain();
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter {
  /** @internal */ _transport: Transport;
  /** @internal */ readonly _protocol: StreamReaderProtocol;
  /** @internal */ readonly _reader: StreamReader | undefined;
  /** @internal */ readonly _loop: EventLoop;

  /** @internal Made by openConnection / startServer, or from a transport and its StreamReaderProtocol. */
  constructor(
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | undefined,
    loop?: EventLoop,
  ) {
    this._transport = transport;
    this._protocol = protocol;
    this._reader = reader;
    this._loop = loop ?? protocol._loop;
  }

  /** The transport. */
  get transport(): Transport {
    return this._transport;
  }

  /** Writes bytes (a string is UTF-8) without waiting: follow with {@link drain}. */
  write(data: BytesLike): void {
    this._transport.write(data);
  }

  /** Writes each item. */
  writelines(data: Iterable<BytesLike>): void {
    this._transport.writelines(data);
  }

  /** Sends EOF: the peer reads the end; we can still read. */
  writeEof(): void {
    this._transport.writeEof();
  }

  /** True if {@link writeEof} is possible (not over TLS). */
  canWriteEof(): boolean {
    return this._transport.canWriteEof();
  }

  /** Closes the connection once the buffered bytes are sent. */
  close(): void {
    this._transport.close();
  }

  /** True once closing. */
  isClosing(): boolean {
    return this._transport.isClosing();
  }

  /** Waits until the connection is closed; throws the connection's error if it ended with one. */
  async waitClosed(): Promise<void> {
    await this._protocol._closed;
  }

  /** Information about the connection: see {@link Transport.getExtraInfo}. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this._transport.getExtraInfo(name, defaultValue);
  }

  /**
   * Waits until the write buffer is at or below its low-water mark.
   * Throws the reader's exception, or `ConnectionResetError` once the
   * connection is lost.
   */
  drain(): Promise<void> {
    // The fast path (nothing to wait for) does not allocate a promise or yield.
    if (this._reader?._exception === undefined && !this._transport.isClosing() && !this._protocol._paused)
      if (!this._protocol._connectionLost) return READY;
    return this._drainSlow();
  }

  /** @internal */
  async _drainSlow(): Promise<void> {
    const exc = this._reader?.exception();
    if (exc !== undefined) throw exc;
    if (this._transport.isClosing()) await sleep(0);
    await this._protocol._drainHelper();
  }

  /**
   * Upgrades the connection to TLS in place (asyncio's `start_tls`): a
   * server's writer does the server side. Drains first.
   */
  async startTls(ssl: SslOption, options?: { serverHostname?: string; sslHandshakeTimeout?: number }): Promise<void> {
    const serverSide = this._protocol._clientConnected !== undefined;
    await this.drain();
    const tlsOpts = (
      serverSide ? serverTlsOptions(ssl as TlsOptions | SecureContext) : clientTlsOptions(ssl, options?.serverHostname)
    ) as ConnectionOptions & TlsOptions;
    await this._transport._upgradeTls(tlsOpts, serverSide, options?.sslHandshakeTimeout ?? 60);
    this._protocol._overSsl = true;
  }
}

/** Options of {@link openConnection}. */
export interface OpenConnectionOpts extends ConnectionOpts {
  /** The reader's buffer limit (default 64 KiB). */
  limit?: number;
}

/** Options of {@link startServer}. */
export interface StartServerOpts extends ServerOpts {
  /** Each reader's buffer limit (default 64 KiB). */
  limit?: number;
}

async function openOver(
  loop: EventLoop,
  target: { host: string; port: number } | { path: string },
  opts: OpenConnectionOpts,
): Promise<[StreamReader, StreamWriter]> {
  const socket = await connectSocket(loop, target, opts);
  const reader = new StreamReader({ limit: opts.limit, loop });
  const protocol = new StreamReaderProtocol(reader, undefined, { loop });
  const transport = new Transport(loop, socket, protocol);
  transport._start();
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * Connects to `host:port` and returns a reader and a writer (asyncio's
 * `open_connection`). `ssl` makes it TLS; cancelling or aborting `signal`
 * stops the attempt.
 *
 * @example
 * ```ts
 * // A tiny server that answers like redis (a real redis-server on 6379 answers the same).
 * await using server = await startServer(async (reader, writer) => {
 *   if ((await reader.readline()).toString() === "PING\r\n") writer.write("+PONG\r\n");
 *   writer.close();
 * }, "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * const [reader, writer] = await openConnection("127.0.0.1", port);
 * writer.write("PING\r\n");
 * console.log((await reader.readline()).toString()); // "+PONG\r\n"
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export function openConnection(
  host: string,
  port: number,
  opts: OpenConnectionOpts = {},
): Promise<[StreamReader, StreamWriter]> {
  return openOver(opts.loop ?? getRunningLoop(), { host, port }, opts);
}

/**
 * As {@link openConnection}, over a Unix socket (asyncio's `open_unix_connection`).
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * const path = join(tmpdir(), `app-${process.pid}.sock`);
 * await using server = await startUnixServer((_reader, writer) => { writer.write("hi"); writer.close(); }, path);
 * const [reader, writer] = await openUnixConnection(path);
 * console.log((await reader.read()).toString()); // "hi"
 * writer.close();
 * ```
 */
export function openUnixConnection(path: string, opts: OpenConnectionOpts = {}): Promise<[StreamReader, StreamWriter]> {
  return openOver(opts.loop ?? getRunningLoop(), { path }, opts);
}

/**
 * Starts a server calling `clientConnected(reader, writer)` for each
 * connection, in a task of its own (asyncio's `start_server`). Port 0
 * picks a free port: read it from `server.sockets[0].getsockname()`.
 *
 * @example
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) { writer.write(line); await writer.drain(); }
 *   writer.close();
 * }, "127.0.0.1", 0);
 * // serveForever() serves until cancelled; here a timeout cancels it after a second.
 * try { await waitFor(server.serveForever(), 1); } catch (e) { if (!(e instanceof TimeoutError)) throw e; }
 * console.log(server.isServing()); // false: cancelling serveForever() closed the server
 * ```
 */
export function startServer(
  clientConnected: ClientConnected,
  host: string | string[] | undefined,
  port: number,
  opts: StartServerOpts = {},
): Promise<Server> {
  const loop = opts.loop ?? getRunningLoop();
  const factory = (): StreamReaderProtocol =>
    new StreamReaderProtocol(new StreamReader({ limit: opts.limit, loop }), clientConnected, { loop });
  return createServer(factory, host, port, { ...opts, loop });
}

/**
 * As {@link startServer}, on a Unix socket (asyncio's `start_unix_server`).
 *
 * @example
 * ```ts
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * await using server = await startUnixServer((_reader, writer) => writer.close(), join(tmpdir(), `app-${process.pid}.sock`));
 * console.log(server.sockets[0]!.family); // "unix"
 * ```
 */
export function startUnixServer(
  clientConnected: ClientConnected,
  path: string,
  opts: StartServerOpts = {},
): Promise<Server> {
  const loop = opts.loop ?? getRunningLoop();
  const factory = (): StreamReaderProtocol =>
    new StreamReaderProtocol(new StreamReader({ limit: opts.limit, loop }), clientConnected, { loop });
  return createUnixServer(factory, path, { ...opts, loop });
}

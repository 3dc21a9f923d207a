/**
 * The errors of the network layer: asyncio's `IncompleteReadError` and
 * `LimitOverrunError`, and Python's `OSError` family for connections, made
 * from Node's system errors (`ECONNRESET` → {@link ConnectionResetError}).
 * @module
 */

/**
 * `readexactly()` or `readuntil()` met the end of the stream first
 * (asyncio's `IncompleteReadError`). `partial` holds the bytes read before
 * EOF: nothing is lost.
 *
 * @example
 * ```ts
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from("ab"));
 * reader.feedEof();
 * try { await reader.readexactly(4); } catch (e) { if (e instanceof IncompleteReadError) console.log(e.partial.toString()); } // "ab"
 * ```
 */
export class IncompleteReadError extends Error {
  /** Always `"IncompleteReadError"`. */
  override name = "IncompleteReadError";
  /** The bytes read before the end of the stream. */
  readonly partial: Buffer;
  /** The number of bytes expected, or null (readuntil). */
  readonly expected: number | null;
  /**
   * An incomplete read.
   * @param partial - the bytes read before EOF
   * @param expected - how many were expected (null for `readuntil`)
   */
  constructor(partial: Buffer, expected: number | null) {
    const what = expected === null ? "undefined" : String(expected);
    super(`${partial.length} bytes read on a total of ${what} expected bytes`);
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * `readuntil()` found no separator within the reader's limit, or found it
 * too far (asyncio's `LimitOverrunError`). The data stays in the buffer;
 * `consumed` says how many bytes to skip.
 *
 * @example
 * ```ts
 * const reader = new StreamReader({ limit: 4 });
 * reader.feedData(Buffer.from("too long\r\nok\r\n"));
 * try { await reader.readuntil("\r\n"); } catch (e) {
 *   if (e instanceof LimitOverrunError) await reader.readexactly(e.consumed + 2); // skip the line: `consumed` is where "\r\n" starts
 * }
 * console.log((await reader.readuntil("\r\n")).toString()); // "ok\r\n"
 * ```
 */
export class LimitOverrunError extends Error {
  /** Always `"LimitOverrunError"`. */
  override name = "LimitOverrunError";
  /** The number of bytes to be consumed. */
  readonly consumed: number;
  /**
   * A limit overrun.
   * @param message - what happened
   * @param consumed - the number of bytes to be consumed
   */
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * Python's `OSError`: a system call failed. `code` is Node's error code
 * (`"ECONNREFUSED"`), `errno` its number; the Node error is the `cause`.
 *
 * @example
 * ```ts
 * try { await openConnection("127.0.0.1", 1); } catch (e) { if (e instanceof OSError) console.log(e.code); } // "ECONNREFUSED"
 * ```
 */
export class OSError extends Error {
  /** Always `"OSError"` or the subclass's name. */
  override name = "OSError";
  /** Node's error code, e.g. `"ECONNRESET"`. */
  readonly code: string | undefined;
  /** The system error number, if known. */
  readonly errno: number | undefined;
  /**
   * A system error.
   * @param message - what happened
   * @param options - the Node error code and errno, and the cause
   */
  constructor(message: string, options?: { code?: string; errno?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code;
    this.errno = options?.errno;
  }
}

/**
 * Python's `ConnectionError`: the base of the connection failures.
 *
 * @example
 * ```ts
 * // Every connection failure is one: refused, reset, aborted, a broken pipe.
 * try { await openConnection("127.0.0.1", 1); } catch (e) { console.log(e instanceof ConnectionError); } // true
 * ```
 */
export class ConnectionError extends OSError {
  /** The class name. */
  override name = "ConnectionError";
}

/**
 * The peer reset the connection, or it was lost ("Connection lost").
 *
 * @example
 * ```ts
 * // What a read or drain() raises when the peer resets the connection (Node's ECONNRESET):
 * const e = new ConnectionResetError("read ECONNRESET", { code: "ECONNRESET" });
 * console.log(e instanceof ConnectionError, e.code); // true "ECONNRESET"
 * ```
 */
export class ConnectionResetError extends ConnectionError {
  /** Always `"ConnectionResetError"`. */
  override name = "ConnectionResetError";
}

/**
 * Nobody listens at the address (`ECONNREFUSED`).
 *
 * @example
 * ```ts
 * const server = await startServer((_reader, writer) => writer.close(), "127.0.0.1", 0);
 * const port = (server.sockets[0]!.getsockname() as [string, number])[1];
 * server.close(); // nothing listens on `port` any more
 * await server.waitClosed();
 * try { await openConnection("127.0.0.1", port); } catch (e) { console.log(e instanceof ConnectionRefusedError); } // true
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {
  /** Always `"ConnectionRefusedError"`. */
  override name = "ConnectionRefusedError";
}

/**
 * The connection was aborted (`ECONNABORTED`).
 *
 * @example
 * ```ts
 * // Node's ECONNABORTED (the connection was aborted on this side, before it was accepted):
 * const e = new ConnectionAbortedError("accept ECONNABORTED", { code: "ECONNABORTED" });
 * console.log(e instanceof ConnectionError); // true
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {
  /** Always `"ConnectionAbortedError"`. */
  override name = "ConnectionAbortedError";
}

/**
 * Writing to a connection whose other end is closed (`EPIPE`).
 *
 * @example
 * ```ts
 * // Node's EPIPE: writing to a socket or a child's stdin whose reader closed its end.
 * const e = new BrokenPipeError("write EPIPE", { code: "EPIPE" });
 * console.log(e instanceof ConnectionError); // true
 * ```
 */
export class BrokenPipeError extends ConnectionError {
  /** Always `"BrokenPipeError"`. */
  override name = "BrokenPipeError";
}

/**
 * Python's `FileNotFoundError`: e.g. a Unix socket path or a program that does not exist (`ENOENT`).
 *
 * @example
 * ```ts
 * try { await createSubprocessExec("no-such-program", []); } catch (e) { e instanceof FileNotFoundError; } // true
 * ```
 */
export class FileNotFoundError extends OSError {
  /** Always `"FileNotFoundError"`. */
  override name = "FileNotFoundError";
}

/**
 * Python's `ProcessLookupError`: signalling a process that has exited.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessExec(process.execPath, ["-e", ""]);
 * await proc.wait();
 * try { proc.kill(); } catch (e) { if (e instanceof ProcessLookupError) console.log("already gone"); }
 * ```
 */
export class ProcessLookupError extends OSError {
  /** Always `"ProcessLookupError"`. */
  override name = "ProcessLookupError";
}

const BY_CODE: Record<string, new (message: string, options?: ConstructorParameters<typeof OSError>[1]) => OSError> = {
  ECONNRESET: ConnectionResetError,
  ECONNREFUSED: ConnectionRefusedError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ENOENT: FileNotFoundError,
  ESRCH: ProcessLookupError,
};

/** @internal Python's exception for a Node system error; other values pass through. */
export function toOSError(e: unknown): unknown {
  if (e instanceof OSError || !(e instanceof Error)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return e;
  const Cls = BY_CODE[code] ?? OSError;
  return new Cls(e.message, { code, errno: (e as NodeJS.ErrnoException).errno, cause: e });
}

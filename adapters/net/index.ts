/**
 * asyncio-ts/net: network I/O on the event loop, with asyncio's names and
 * semantics: streams (`openConnection`, `startServer`, `StreamReader`,
 * `StreamWriter`), transports and protocols (`createConnection`,
 * `createServer`, `createDatagramEndpoint`), and subprocesses
 * (`createSubprocessExec`). Built on node:net, node:tls, node:dgram and
 * node:child_process; the core (`asyncio-ts`) stays free of I/O. See
 * docs/networking.md.
 * @module
 */
export {
  IncompleteReadError,
  LimitOverrunError,
  OSError,
  ConnectionError,
  ConnectionResetError,
  ConnectionRefusedError,
  ConnectionAbortedError,
  BrokenPipeError,
  FileNotFoundError,
  ProcessLookupError,
} from "./errors.js";
export { BaseProtocol, Protocol, BufferedProtocol, DatagramProtocol, type Address } from "./protocols.js";
export { Transport, DatagramTransport, DEFAULT_HIGH_WATER, type BaseTransport, type BytesLike } from "./transports.js";
export {
  createConnection,
  createUnixConnection,
  createServer,
  createUnixServer,
  createDatagramEndpoint,
  Server,
  ServerSocket,
  type ConnectionOpts,
  type ServerOpts,
  type DatagramOpts,
  type SslOption,
} from "./connections.js";
export {
  StreamReader,
  StreamWriter,
  StreamReaderProtocol,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  DEFAULT_LIMIT,
  type ClientConnected,
  type OpenConnectionOpts,
  type StartServerOpts,
} from "./streams.js";
export {
  createSubprocessExec,
  createSubprocessShell,
  Process,
  PIPE,
  STDOUT,
  DEVNULL,
  type StdioSpec,
  type SubprocessOpts,
} from "./subprocess.js";

// A small HTTP/1.1 server on asyncio-ts/net streams: keep-alive,
// pipelining (requests are answered in order from one buffer), bodies with
// Content-Length or chunked transfer encoding, 400 for a malformed request
// (that connection closes, the server serves on), 408 for a client that
// does not send its request head within `readTimeout` seconds, 413 past
// `maxBody`. Run it: `npx tsx examples/http-server.ts 8080`.
import { TimeoutError, isCancelledError, run, timeout } from "../src/index.js";
import {
  IncompleteReadError,
  LimitOverrunError,
  startServer,
  type Server,
  type StreamReader,
  type StreamWriter,
} from "../adapters/net/index.js";

/** A parsed request. */
export interface HttpRequest {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: Buffer;
}

/** What a handler returns. */
export interface HttpResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export interface HttpServerOptions {
  /** Seconds a client has to send each request head (default 10). */
  readTimeout?: number;
  /** The largest body accepted (default 1 MiB). */
  maxBody?: number;
  /** The listen backlog (default 1024). */
  backlog?: number;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  408: "Request Timeout",
  413: "Content Too Large",
  500: "Internal Server Error",
};

/** A request the server refuses: answered with `status`, then the connection closes. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseHead(head: Buffer): Omit<HttpRequest, "body"> {
  const lines = head.toString("latin1").split("\r\n");
  const requestLine = lines[0]!.split(" ");
  if (requestLine.length !== 3) throw new HttpError(400, "malformed request line");
  const [method, target, version] = requestLine as [string, string, string];
  if (!/^[A-Z]+$/.test(method) || (version !== "HTTP/1.1" && version !== "HTTP/1.0") || !target)
    throw new HttpError(400, "malformed request line");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "malformed header");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { method, target, version, headers };
}

async function readBody(reader: StreamReader, headers: Map<string, string>, maxBody: number): Promise<Buffer> {
  const te = headers.get("transfer-encoding");
  if (te !== undefined) {
    if (te.toLowerCase() !== "chunked") throw new HttpError(400, "unsupported transfer-encoding");
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const sizeLine = (await reader.readuntil("\r\n")).toString("latin1").trim();
      const size = Number.parseInt(sizeLine.split(";")[0]!, 16);
      if (!/^[0-9a-fA-F]+/.test(sizeLine) || Number.isNaN(size)) throw new HttpError(400, "malformed chunk size");
      if ((total += size) > maxBody) throw new HttpError(413, "body too large");
      if (size === 0) {
        // Trailers, up to the empty line.
        while ((await reader.readuntil("\r\n")).length > 2);
        return Buffer.concat(chunks);
      }
      chunks.push(await reader.readexactly(size));
      if ((await reader.readexactly(2)).toString() !== "\r\n") throw new HttpError(400, "malformed chunk");
    }
  }
  const cl = headers.get("content-length");
  if (cl === undefined) return Buffer.alloc(0);
  if (!/^\d+$/.test(cl)) throw new HttpError(400, "malformed content-length");
  const n = Number(cl);
  if (n > maxBody) throw new HttpError(413, "body too large");
  return reader.readexactly(n);
}

function writeResponse(writer: StreamWriter, res: HttpResponse, keepAlive: boolean): void {
  const status = res.status ?? 200;
  const body = typeof res.body === "string" ? Buffer.from(res.body) : (res.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {
    "content-type": "text/plain; charset=utf-8",
    ...res.headers,
    "content-length": String(body.length),
    connection: keepAlive ? "keep-alive" : "close",
  };
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  writer.write(head + "\r\n");
  if (body.length > 0) writer.write(body);
}

/** Serves one connection: requests in order until the client closes, asks to close, or errs. */
async function serveConnection(
  reader: StreamReader,
  writer: StreamWriter,
  handler: Handler,
  opts: Required<HttpServerOptions>,
): Promise<void> {
  try {
    for (;;) {
      let head: Buffer;
      try {
        head = await timeout(opts.readTimeout).run(() => reader.readuntil("\r\n\r\n"));
      } catch (e) {
        if (e instanceof IncompleteReadError) return; // the client closed between requests
        if (e instanceof TimeoutError) throw new HttpError(408, "request head not received in time");
        if (e instanceof LimitOverrunError) throw new HttpError(400, "request head too large");
        throw e;
      }
      const req = parseHead(head.subarray(0, head.length - 4));
      const body = await readBody(reader, req.headers, opts.maxBody);
      const conn = req.headers.get("connection")?.toLowerCase();
      const keepAlive = req.version === "HTTP/1.1" ? conn !== "close" : conn === "keep-alive";
      let res: HttpResponse;
      try {
        res = await handler({ ...req, body });
      } catch (e) {
        if (isCancelledError(e)) throw e;
        res = { status: 500, body: "internal error\n" };
      }
      writeResponse(writer, res, keepAlive);
      await writer.drain();
      if (!keepAlive) return;
    }
  } catch (e) {
    if (e instanceof HttpError) {
      writeResponse(writer, { status: e.status, body: `${e.message}\n` }, false);
      try {
        await writer.drain();
      } catch {
        // the client is gone: nobody to tell
      }
    } else if (e instanceof IncompleteReadError) {
      // The client went away in the middle of a request: nobody to answer.
    } else if (!(e instanceof Error && "code" in e)) throw e; // connection errors end the connection quietly
  } finally {
    writer.close();
    await writer.waitClosed().catch(() => {});
  }
}

/** Starts the server on `host:port` (port 0: a free one). */
export function startHttpServer(
  handler: Handler,
  host: string,
  port: number,
  options: HttpServerOptions = {},
): Promise<Server> {
  const opts: Required<HttpServerOptions> = {
    readTimeout: options.readTimeout ?? 10,
    maxBody: options.maxBody ?? 1 << 20,
    backlog: options.backlog ?? 1024,
  };
  return startServer((r, w) => serveConnection(r, w, handler, opts), host, port, { backlog: opts.backlog });
}

/** The demo's handler: `/` says hello, `/echo` returns the body, anything else is 404. */
export const demoHandler: Handler = (req) => {
  if (req.target === "/") return { body: "hello\n" };
  if (req.target === "/echo") return { body: req.body };
  return { status: 404, body: "not found\n" };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await run(async () => {
    const server = await startHttpServer(demoHandler, "127.0.0.1", Number(process.argv[2] ?? 8080));
    console.log("listening on", server.sockets[0]!.getsockname());
    await server.serveForever();
  });
}

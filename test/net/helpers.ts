// Helpers of the network tests: a real EventLoop (I/O needs real time),
// every scenario bounded by a deadline, errors of the exception handler
// collected, and the TLS test certificate (self-signed, localhost/127.0.0.1).
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventLoop, waitFor, type ExceptionContext } from "../../src/index.js";

export const CERT = readFileSync(new URL("../fixtures/net/cert.pem", import.meta.url));
export const KEY = readFileSync(new URL("../fixtures/net/key.pem", import.meta.url));

export interface IOLoop extends EventLoop {
  errors: ExceptionContext[];
}

/** Runs `main` on a new real-time loop, bounded by `deadline` seconds; returns its result and the loop's errors. */
export async function runIO<T>(
  main: (loop: IOLoop) => Promise<T>,
  deadline = 10,
): Promise<{ result: T; errors: ExceptionContext[] }> {
  const loop = new EventLoop() as IOLoop;
  loop.errors = [];
  loop.setExceptionHandler((_l, ctx) => loop.errors.push(ctx));
  try {
    const result = await loop.runUntilComplete(() => waitFor(main(loop), deadline));
    return { result, errors: loop.errors };
  } finally {
    loop.close();
  }
}

/** A fresh temporary directory for Unix sockets; removed by the returned function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-net-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The port of a server's first socket. */
export function portOf(server: { sockets: Array<{ getsockname(): unknown }> }): number {
  return (server.sockets[0]!.getsockname() as [string, number])[1];
}

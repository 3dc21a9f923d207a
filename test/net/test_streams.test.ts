// Ports of the connection tests of CPython 3.13 Lib/test/test_asyncio/test_streams.py,
// on real loopback sockets (127.0.0.1, ephemeral ports, Unix sockets in a temp dir).
import { join } from "node:path";
import test from "ava";
import { CancelledError, createTask, gather, sleep } from "../../src/index.js";
import {
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  type StreamReader,
  type StreamWriter,
} from "../../adapters/net/index.js";
import { CERT, KEY, portOf, runIO, tempDir } from "./helpers.js";

async function echoLine(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const data = await reader.readline();
  writer.write(data);
  await writer.drain();
  writer.close();
  await writer.waitClosed();
}

async function client(open: () => Promise<[StreamReader, StreamWriter]>): Promise<string> {
  const [reader, writer] = await open();
  writer.write("hello world!\n");
  const msgback = await reader.readline();
  writer.close();
  await writer.waitClosed();
  return msgback.toString();
}

test("test_open_connection", async (t) => {
  const { errors } = await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const port = portOf(server);
    const [reader, writer] = await openConnection("127.0.0.1", port);
    writer.write("GET / HTTP/1.0\r\n\r\n");
    t.is((await reader.readline()).toString(), "GET / HTTP/1.0\r\n");
    t.is((await reader.read()).length, 0); // the server closed after the line
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

test("test_open_unix_connection", async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, "s.sock");
    await runIO(async () => {
      const server = await startUnixServer(echoLine, path);
      t.is(server.sockets[0]!.getsockname(), path);
      t.is(await client(() => openUnixConnection(path)), "hello world!\n");
      server.close();
      await server.waitClosed();
    });
  } finally {
    cleanup();
  }
});

test("test_open_connection_error", async (t) => {
  await runIO(async () => {
    // A port that was free a moment ago: nobody listens on it now.
    const server = await startServer(() => {}, "127.0.0.1", 0);
    const port = portOf(server);
    server.close();
    await server.waitClosed();
    const e = await t.throwsAsync(openConnection("127.0.0.1", port), { instanceOf: ConnectionRefusedError });
    t.is(e.code, "ECONNREFUSED");
  });
});

test("test_open_unix_connection_error", async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    await runIO(async () => {
      await t.throwsAsync(openUnixConnection(join(dir, "nobody.sock")), { instanceOf: FileNotFoundError });
    });
  } finally {
    cleanup();
  }
});

test("test_start_server", async (t) => {
  const { errors } = await runIO(async () => {
    // A coroutine as the client handler …
    let server = await startServer(echoLine, "127.0.0.1", 0);
    let port = portOf(server);
    t.is(await client(() => openConnection("127.0.0.1", port)), "hello world!\n");
    server.close();
    await server.waitClosed();
    // … and a plain callback that starts a task.
    server = await startServer(
      (r, w) => {
        createTask(() => echoLine(r, w));
      },
      "127.0.0.1",
      0,
    );
    port = portOf(server);
    t.is(await client(() => openConnection("127.0.0.1", port)), "hello world!\n");
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

test("test_start_unix_server", async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const { errors } = await runIO(async () => {
      const path = join(dir, "u.sock");
      const server = await startUnixServer(echoLine, path);
      t.is(await client(() => openUnixConnection(path)), "hello world!\n");
      server.close();
      await server.waitClosed();
    });
    t.deepEqual(errors, []);
  } finally {
    cleanup();
  }
});

test("test_start_tls", async (t) => {
  const { errors, result } = await runIO(async () => {
    const server = await startServer(
      async (reader, writer) => {
        const data1 = await reader.readline();
        writer.write(data1);
        await writer.drain();
        t.is(writer.getExtraInfo("sslcontext"), undefined);
        await writer.startTls({ key: KEY, cert: CERT });
        t.not(writer.getExtraInfo("sslcontext"), undefined);
        const data2 = await reader.readline();
        writer.write(data2);
        await writer.drain();
        writer.close();
        await writer.waitClosed();
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.write("hello world 1!\n");
    await writer.drain();
    const msgback1 = await reader.readline();
    t.is(writer.getExtraInfo("sslcontext"), undefined);
    await writer.startTls({ ca: CERT }, { serverHostname: "localhost" });
    t.not(writer.getExtraInfo("sslcontext"), undefined);
    writer.write("hello world 2!\n");
    await writer.drain();
    const msgback2 = await reader.readline();
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
    return [msgback1.toString(), msgback2.toString()];
  });
  t.deepEqual(errors, []);
  t.deepEqual(result, ["hello world 1!\n", "hello world 2!\n"]);
});

test("open_connection with ssl to a TLS server", async (t) => {
  await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0, { ssl: { key: KEY, cert: CERT } });
    const port = portOf(server);
    t.is(
      await client(() => openConnection("127.0.0.1", port, { ssl: { ca: CERT }, serverHostname: "localhost" })),
      "hello world!\n",
    );
    // An unknown certificate is refused.
    await t.throwsAsync(openConnection("127.0.0.1", port, { ssl: true, serverHostname: "localhost" }));
    server.close();
    await server.waitClosed();
  });
});

test("test_multiple_drain", async (t) => {
  // See CPython issue 74116: several tasks may drain one writer at once.
  await runIO(async () => {
    const server = await startServer(
      async (r, w) => {
        await r.read();
        w.close();
      },
      "127.0.0.1",
      0,
    );
    const [, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.transport.setWriteBufferLimits(0);
    writer.write(Buffer.alloc(1 << 20));
    await gather(...Array.from({ length: 5 }, () => writer.drain()));
    t.is(writer.transport.getWriteBufferSize(), 0);
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

test("test_drain_raises", async (t) => {
  // A peer that closes: drain() eventually raises ConnectionResetError (or the
  // connection's own error), never hangs.
  await runIO(async () => {
    const server = await startServer(
      async (_r, w) => {
        w.transport.abort();
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    const err = await t.throwsAsync(async () => {
      for (let i = 0; i < 1000; i++) {
        writer.write(Buffer.alloc(65536));
        await writer.drain();
        await sleep(0.001);
      }
    });
    t.true(err instanceof ConnectionResetError || (err as { code?: string }).code === "EPIPE", String(err));
    t.true(reader.exception() !== undefined || reader.atEof());
    writer.close();
    server.close();
    await server.waitClosed();
  });
});

test("test_wait_closed_on_close", async (t) => {
  await runIO(async () => {
    const server = await startServer(
      async (r, w) => {
        await r.read();
        w.close();
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.write("GET / HTTP/1.0\r\n\r\n");
    writer.writeEof();
    t.is((await reader.read()).length, 0);
    t.false(writer.isClosing());
    writer.close();
    t.true(writer.isClosing());
    await writer.waitClosed();
    await writer.waitClosed(); // idempotent
    server.close();
    await server.waitClosed();
  });
});

test("test_wait_closed_on_close_with_unread_data", async (t) => {
  await runIO(async () => {
    const server = await startServer(
      async (_r, w) => {
        w.write("HTTP/1.0 200 OK\r\n\r\nbody");
        await w.drain();
        w.close();
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    t.is((await reader.readline()).toString(), "HTTP/1.0 200 OK\r\n");
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

test("test_async_writer_api", async (t) => {
  await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.write("GET / HTTP/1.0\r\n\r\n");
    await writer.drain();
    t.is((await reader.read()).toString(), "GET / HTTP/1.0\r\n");
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

test("test_async_writer_api_exception_after_close", async (t) => {
  await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.write("GET / HTTP/1.0\r\n\r\n");
    await reader.read();
    writer.close();
    await writer.waitClosed();
    await t.throwsAsync(
      async () => {
        writer.write("data");
        await writer.drain();
      },
      { instanceOf: ConnectionResetError },
    );
    server.close();
    await server.waitClosed();
  });
});

test("test_eof_feed_when_closing_writer", async (t) => {
  // See CPython issue 35065: the reader sees EOF after the writer is closed.
  await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.close();
    await writer.waitClosed();
    t.true(reader.atEof());
    server.close();
    await server.waitClosed();
  });
});

test("test_unhandled_exception", async (t) => {
  const { errors } = await runIO(async () => {
    const server = await startServer(
      async () => {
        throw new Error("handler failed");
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    t.is((await reader.read()).length, 0); // the server closed the connection
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
  t.is(errors.length, 1);
  t.is(errors[0]!.message, "Unhandled exception in client_connected_cb");
  t.is((errors[0]!.exception as Error).message, "handler failed");
});

test("test_unhandled_cancel", async (t) => {
  const { errors } = await runIO(async () => {
    let handler: Promise<void> | undefined;
    const server = await startServer(
      (r) => {
        handler = (async () => {
          await r.read();
        })();
        return createTask(async () => {
          throw new CancelledError();
        });
      },
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    t.is((await reader.read()).length, 0); // a cancelled handler closes the connection, unreported
    writer.close();
    await writer.waitClosed();
    await handler;
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

// Not in CPython (asyncio has no AbortSignal): the `signal` option of issue 15's openConnection.
test("openConnection with an aborted signal fails with its reason; aborted while connecting, too", async (t) => {
  const { errors } = await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const port = portOf(server);
    const reason = new Error("stop");
    const pre = new AbortController();
    pre.abort(reason);
    await t.throwsAsync(openConnection("127.0.0.1", port, { signal: pre.signal }), { is: reason });
    const during = new AbortController();
    const attempt = openConnection("127.0.0.1", port, { signal: during.signal });
    during.abort(reason); // before the connect completes (it needs a pass of the loop at least)
    await t.throwsAsync(attempt, { is: reason });
    // The signal's listener is gone once the connection is made: a later abort changes nothing.
    const after = new AbortController();
    const [reader, writer] = await openConnection("127.0.0.1", port, { signal: after.signal });
    after.abort(reason);
    writer.write("still here\n");
    t.is((await reader.readline()).toString(), "still here\n");
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

test("StreamWriter.writelines writes every chunk, in order", async (t) => {
  const { errors } = await runIO(async () => {
    const server = await startServer(echoLine, "127.0.0.1", 0);
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.writelines(["a", Buffer.from("b"), new Uint8Array([0x63]), "\n"]);
    await writer.drain();
    t.is((await reader.readline()).toString(), "abc\n");
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

// examples/http-server.ts against a real curl (started with our own
// createSubprocessExec), and raw clients for what curl cannot do
// (pipelining, malformed requests, a byte-at-a-time client). Loopback only.
import { existsSync } from "node:fs";
import test from "ava";
import { TaskGroup, gather, sleep } from "../../src/index.js";
import { PIPE, createSubprocessExec, openConnection, type Server } from "../../adapters/net/index.js";
import { demoHandler, startHttpServer } from "../../examples/http-server.js";
import { portOf, runIO } from "./helpers.js";

const CURL = ["/usr/bin/curl", "/usr/local/bin/curl"].find((p) => existsSync(p));
const curlTest = CURL ? test : test.skip;
if (!CURL) console.log("curl is not installed (apt-get install curl): the curl tests are skipped");

async function curl(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const proc = await createSubprocessExec(CURL!, ["-sS", "--max-time", "10", ...args], {
    stdin: input === undefined ? undefined : PIPE,
    stdout: PIPE,
    stderr: PIPE,
  });
  const [out, err] = await proc.communicate(input);
  return { code: proc.returncode!, out: out!.toString(), err: err!.toString() };
}

/** Counts the connections the server accepted. */
async function countingServer(opts?: { readTimeout?: number }): Promise<{ server: Server; connections: () => number }> {
  const server = await startHttpServer(demoHandler, "127.0.0.1", 0, opts);
  return { server, connections: () => server._transports.size };
}

async function rawExchange(port: number, request: string | Buffer): Promise<string> {
  const [reader, writer] = await openConnection("127.0.0.1", port);
  writer.write(request);
  await writer.drain();
  const reply = await reader.read(); // until the server closes
  writer.close();
  await writer.waitClosed();
  return reply.toString();
}

curlTest("curl: a GET, and keep-alive across several URLs on one connection", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer();
    const base = `http://127.0.0.1:${portOf(server)}`;
    const one = await curl([`${base}/`]);
    t.is(one.out, "hello\n");
    // Three URLs in one curl: it reuses the connection (keep-alive).
    const three = await curl(["-v", `${base}/`, `${base}/`, `${base}/missing`]);
    t.is(three.out, "hello\nhello\nnot found\n");
    t.regex(three.err, /Re-using existing connection/);
    t.is(three.err.match(/Connected to/g)?.length, 1);
    server.close();
    await server.waitClosed();
  }, 20);
});

curlTest("curl: a chunked upload is echoed", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer();
    const body = "x".repeat(100_000) + "end";
    const r = await curl(
      ["-H", "Transfer-Encoding: chunked", "--data-binary", "@-", `http://127.0.0.1:${portOf(server)}/echo`],
      body,
    );
    t.is(r.code, 0, r.err);
    t.is(r.out, body);
    server.close();
    await server.waitClosed();
  }, 20);
});

test("pipelining: two requests in one write are answered in order on one connection", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer();
    const reply = await rawExchange(
      portOf(server),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /nope HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    const statuses = reply.match(/HTTP\/1\.1 \d+/g);
    t.deepEqual(statuses, ["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 404"]);
    t.true(reply.includes("\r\n\r\nhello\n") && reply.includes("\r\n\r\nabc"));
    server.close();
    await server.waitClosed();
  });
});

test("a malformed request gets 400 and the server serves on", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer();
    const port = portOf(server);
    t.regex(await rawExchange(port, "GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400 Bad Request\r\n/);
    t.regex(await rawExchange(port, "GET / HTTP/1.1\r\nno colon here\r\n\r\n"), /^HTTP\/1\.1 400/);
    t.regex(
      await rawExchange(port, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
      /^HTTP\/1\.1 400/,
    );
    t.regex(await rawExchange(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 200 OK/);
    if (CURL) t.is((await curl([`http://127.0.0.1:${port}/`])).out, "hello\n");
    server.close();
    await server.waitClosed();
  });
});

test("a byte-at-a-time client is cut off by the read timeout", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer({ readTimeout: 0.3 });
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    const request = "GET / HTTP/1.1\r\nHost: slow\r\n\r\n";
    let sent = 0;
    // One byte every 50 ms: the whole head would take 1.5 s; bounded by its length.
    for (; sent < request.length && !reader.atEof() && reader._buffered === 0; sent++) {
      writer.write(request[sent]!);
      await sleep(0.05);
    }
    const reply = (await reader.read()).toString();
    t.regex(reply, /^HTTP\/1\.1 408 Request Timeout/);
    t.true(sent < request.length, `sent ${sent} of ${request.length}`);
    writer.close();
    await writer.waitClosed().catch(() => {});
    server.close();
    await server.waitClosed();
  });
});

test("1,000 concurrent connections", async (t) => {
  await runIO(async () => {
    const { server } = await countingServer();
    const port = portOf(server);
    const N = 1000;
    let maxOpen = 0;
    const conns = await gather(...Array.from({ length: N }, () => openConnection("127.0.0.1", port)));
    // All open at once before any request is sent.
    for (let i = 0; i < 500 && server._transports.size < N; i++) await sleep(0.002);
    maxOpen = server._transports.size;
    const replies: string[] = [];
    await new TaskGroup().run(async (tg) => {
      for (const [reader, writer] of conns)
        tg.createTask(async () => {
          writer.write("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
          replies.push((await reader.read()).toString());
          writer.close();
          await writer.waitClosed();
        });
    });
    t.is(maxOpen, N);
    t.is(replies.length, N);
    t.true(replies.every((r) => r.startsWith("HTTP/1.1 200 OK") && r.endsWith("hello\n")));
    server.close();
    await server.waitClosed();
  }, 30);
});

// examples/redis-client.ts against a real redis-server (Debian's package),
// started by the test on a free loopback port with no persistence, stopped
// at the end. Skipped with a reason when redis-server is not installed.
import { existsSync } from "node:fs";
import test from "ava";
import { CancelledError, createTask, sleep, waitFor } from "../../src/index.js";
import { PIPE, createSubprocessExec, startServer, type Process } from "../../adapters/net/index.js";
import { RedisClient, RedisConnectionError, RedisError } from "../../examples/redis-client.js";
import { portOf, runIO } from "./helpers.js";

const REDIS = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));
const redisTest = REDIS ? test : test.skip;
if (!REDIS) console.log("redis-server is not installed (apt-get install redis-server): the Redis tests are skipped");

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const s = await startServer(() => {}, "127.0.0.1", 0);
  const port = portOf(s);
  s.close();
  await s.waitClosed();
  return port;
}

/** Starts redis-server on a free port and waits until it accepts connections (bounded). */
async function startRedis(): Promise<{ proc: Process; port: number }> {
  const port = await freePort();
  const proc = await createSubprocessExec(
    REDIS!,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
    { stdout: PIPE },
  );
  for (let i = 0; i < 200; i++) {
    const line = (await waitFor(proc.stdout!.readline(), 10)).toString();
    if (line.includes("Ready to accept connections")) break;
    if (line === "") throw new Error("redis-server exited before it was ready");
  }
  // Keep reading its log so that it never blocks on a full pipe.
  createTask(() => proc.stdout!.read());
  return { proc, port };
}

async function stopRedis(proc: Process): Promise<void> {
  if (proc.returncode === null) proc.kill();
  await proc.wait();
}

redisTest("GET and SET, an error reply, a missing key", async (t) => {
  await runIO(async () => {
    const { proc, port } = await startRedis();
    try {
      const redis = await RedisClient.connect("127.0.0.1", port);
      t.is(await redis.set("k", "v"), "OK");
      t.is((await redis.get("k"))!.toString(), "v");
      t.is(await redis.get("missing"), null);
      t.is(await redis.command("INCR", "n"), 1);
      await t.throwsAsync(redis.command("INCR", "k"), { instanceOf: RedisError, message: /not an integer/ });
      // The connection is fine after an error reply.
      t.deepEqual(
        ((await redis.command("MGET", "k", "missing")) as Array<Buffer | null>).map((x) => x?.toString() ?? null),
        ["v", null],
      );
      await redis.close();
    } finally {
      await stopRedis(proc);
    }
  }, 20);
});

redisTest("pipelining 10,000 commands", async (t) => {
  await runIO(async () => {
    const { proc, port } = await startRedis();
    try {
      const redis = await RedisClient.connect("127.0.0.1", port);
      const N = 10_000;
      const replies = await Promise.all(Array.from({ length: N }, () => redis.command("INCR", "counter")));
      t.is(replies.length, N);
      t.true(replies.every((r, i) => r === i + 1));
      t.is((await redis.get("counter"))!.toString(), String(N));
      await redis.close();
    } finally {
      await stopRedis(proc);
    }
  }, 20);
});

redisTest("cancelling a pending reply keeps the connection in order", async (t) => {
  await runIO(async () => {
    const { proc, port } = await startRedis();
    try {
      const redis = await RedisClient.connect("127.0.0.1", port);
      await redis.command("RPUSH", "q", "a");
      // BLPOP on an empty list waits on the server: cancel it while pending.
      const blocked = createTask(() => redis.command("BLPOP", "empty", "0.3"));
      await sleep(0.02);
      blocked.cancel();
      await t.throwsAsync(blocked, { instanceOf: CancelledError });
      // Its (null) reply arrives later and is dropped; the next reply is ours.
      t.deepEqual(((await redis.command("LRANGE", "q", 0, -1)) as Buffer[]).map(String), ["a"]);
      t.is(await redis.command("PING"), "PONG");
      await redis.close();
    } finally {
      await stopRedis(proc);
    }
  }, 20);
});

redisTest("the server killed in the middle of a reply: a clear error, no hang", async (t) => {
  await runIO(async () => {
    const { proc, port } = await startRedis();
    try {
      const redis = await RedisClient.connect("127.0.0.1", port);
      await redis.set("big", Buffer.alloc(32 << 20, "b"));
      // Stop reading, ask for the 32 MiB value, let the server send part of it, kill it.
      redis._writer.transport.pauseReading();
      const get = createTask(() => redis.get("big"));
      const later = createTask(() => redis.command("PING"));
      await sleep(0.2);
      proc.kill();
      await proc.wait();
      redis._writer.transport.resumeReading();
      const e = await t.throwsAsync(waitFor(get, 10), { instanceOf: RedisConnectionError });
      t.regex(e.message, /connection lost/);
      await t.throwsAsync(later, { instanceOf: RedisConnectionError });
      await t.throwsAsync(redis.command("PING"), { instanceOf: RedisConnectionError });
      await redis.close();
    } finally {
      await stopRedis(proc);
    }
  }, 20);
});

test("a raw RESP exchange needs no client library", async (t) => {
  // Without redis-server this checks the framing against our own tiny server.
  await runIO(async () => {
    const server = await startServer(
      async (r, w) => {
        const line = await r.readuntil("\r\n");
        t.is(line.toString(), "*1\r\n");
        await r.readuntil("\r\n");
        await r.readuntil("\r\n");
        w.write("+PONG\r\n");
        await w.drain();
        w.close();
      },
      "127.0.0.1",
      0,
    );
    const redis = await RedisClient.connect("127.0.0.1", portOf(server));
    t.is(await redis.command("PING"), "PONG");
    await redis.close();
    server.close();
    await server.waitClosed();
  });
});

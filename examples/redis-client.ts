// A Redis client (RESP2) on asyncio-ts/net streams. Commands are pipelined:
// each `command()` writes at once and waits for its own reply; one reader
// task matches replies to commands in order. Cancelling a pending command
// does not desynchronize the connection (its reply is read and dropped). A
// lost connection fails every pending command with RedisConnectionError.
// Run it: `npx tsx examples/redis-client.ts 6379`.
import { isCancelledError, run, type EventLoop, type Future, type Task, getRunningLoop } from "../src/index.js";
import { IncompleteReadError, openConnection, type StreamReader, type StreamWriter } from "../adapters/net/index.js";

/** A reply: a status or bulk string (Buffer), an integer, null, or an array of replies. */
export type RespValue = Buffer | string | number | null | RespValue[];

/** An error reply from the server (`-ERR ...`): that command failed, the connection is fine. */
export class RedisError extends Error {
  override name = "RedisError";
}

/** The connection is gone: every pending and later command fails with this. */
export class RedisConnectionError extends Error {
  override name = "RedisConnectionError";
}

function encode(args: Array<string | number | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

async function readReply(reader: StreamReader): Promise<RespValue | RedisError> {
  const line = await reader.readuntil("\r\n");
  const type = String.fromCharCode(line[0]!);
  const rest = line.subarray(1, line.length - 2).toString();
  switch (type) {
    case "+":
      return rest;
    case "-":
      return new RedisError(rest);
    case ":":
      return Number(rest);
    case "$": {
      const n = Number(rest);
      if (n < 0) return null;
      const data = await reader.readexactly(n + 2);
      return data.subarray(0, n);
    }
    case "*": {
      const n = Number(rest);
      if (n < 0) return null;
      const items: RespValue[] = [];
      for (let i = 0; i < n; i++) {
        const item = await readReply(reader);
        items.push(item instanceof RedisError ? item.message : item);
      }
      return items;
    }
    default:
      throw new RedisConnectionError(`protocol error: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** A connection to one Redis server. */
export class RedisClient {
  readonly #reader: StreamReader;
  readonly #writer: StreamWriter;
  readonly #loop: EventLoop;
  readonly #pending: Array<Future<RespValue>> = [];
  #head = 0;
  #error: RedisConnectionError | undefined;
  readonly #readerTask: Task<void>;

  private constructor(reader: StreamReader, writer: StreamWriter, loop: EventLoop) {
    this.#reader = reader;
    this.#writer = writer;
    this.#loop = loop;
    this.#readerTask = loop.createTask(() => this.#readLoop(), { name: "redis-reader" });
  }

  /** Connects to `host:port`. */
  static async connect(host: string, port: number): Promise<RedisClient> {
    const [reader, writer] = await openConnection(host, port);
    return new RedisClient(reader, writer, getRunningLoop());
  }

  async #readLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.#head === this.#pending.length && this.#reader.atEof()) break;
        const reply = await readReply(this.#reader);
        const fut = this.#pending[this.#head];
        if (fut === undefined) throw new RedisConnectionError("protocol error: a reply nobody asked for");
        this.#pending[this.#head++] = undefined as unknown as Future<RespValue>;
        if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
          this.#pending.splice(0, this.#head);
          this.#head = 0;
        }
        // A cancelled command's reply is read and dropped: the order stays right.
        if (fut.cancelled()) continue;
        if (reply instanceof RedisError) fut.setException(reply);
        else fut.setResult(reply);
      }
      this.#fail(new RedisConnectionError("connection closed by the server"));
    } catch (e) {
      if (isCancelledError(e)) {
        this.#fail(new RedisConnectionError("client closed"));
        throw e;
      }
      const why =
        e instanceof IncompleteReadError ? "the server closed the connection in the middle of a reply" : String(e);
      this.#fail(new RedisConnectionError(`connection lost: ${why}`, { cause: e }));
    }
  }

  #fail(err: RedisConnectionError): void {
    this.#error ??= err;
    for (let i = this.#head; i < this.#pending.length; i++) {
      const f = this.#pending[i]!;
      if (!f.done()) f.setException(this.#error);
    }
    this.#pending.length = 0;
    this.#head = 0;
  }

  /** Sends one command and waits for its reply; an error reply is a {@link RedisError}. */
  async command(...args: Array<string | number | Buffer>): Promise<RespValue> {
    if (this.#error !== undefined) throw this.#error;
    const fut = this.#loop.createFuture<RespValue>();
    this.#pending.push(fut);
    this.#writer.write(encode(args));
    await this.#writer.drain();
    return fut;
  }

  /** GET: the value, or null. */
  async get(key: string): Promise<Buffer | null> {
    return (await this.command("GET", key)) as Buffer | null;
  }

  /** SET: "OK". */
  async set(key: string, value: string | number | Buffer): Promise<string> {
    return (await this.command("SET", key, value)) as string;
  }

  /** Closes the connection; pending commands fail with RedisConnectionError. */
  async close(): Promise<void> {
    this.#writer.close();
    await this.#writer.waitClosed().catch(() => {});
    this.#readerTask.cancel();
    await this.#readerTask.then(
      () => {},
      () => {},
    );
  }

  /** @internal For tests: the transport. */
  get _writer(): StreamWriter {
    return this.#writer;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run(async () => {
    const redis = await RedisClient.connect("127.0.0.1", Number(process.argv[2] ?? 6379));
    console.log(await redis.set("asyncio-ts", "hello"), (await redis.get("asyncio-ts"))?.toString());
    await redis.close();
  });
}

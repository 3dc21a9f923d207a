// Transports and protocols (asyncio's create_connection / create_server /
// create_datagram_endpoint) on real loopback sockets.
import test from "ava";
import { getRunningLoop, sleep, type EventLoop, type Future } from "../../src/index.js";
import {
  BufferedProtocol,
  DatagramProtocol,
  Protocol,
  createConnection,
  createDatagramEndpoint,
  createServer,
  type Address,
  type DatagramTransport,
  type Transport,
} from "../../adapters/net/index.js";
import { portOf, runIO } from "./helpers.js";

class Echo extends Protocol {
  transport!: Transport;
  override connectionMade(t: Transport): void {
    this.transport = t;
  }
  override dataReceived(data: Buffer): void {
    this.transport.write(data);
  }
}

/** Records every callback, in order; `done` resolves at connectionLost. */
class Recorder extends Protocol {
  events: string[] = [];
  data: Buffer[] = [];
  transport!: Transport;
  loopSeen: EventLoop | undefined;
  readonly done: Future<void>;
  constructor(
    loop: EventLoop,
    readonly keepOpenOnEof = false,
  ) {
    super();
    this.done = loop.createFuture();
  }
  override connectionMade(t: Transport): void {
    this.transport = t;
    this.loopSeen = getRunningLoop();
    this.events.push("made");
  }
  override dataReceived(data: Buffer): void {
    this.data.push(data);
    if (this.events.at(-1) !== "data") this.events.push("data");
  }
  override eofReceived(): boolean {
    this.events.push("eof");
    return this.keepOpenOnEof;
  }
  override connectionLost(exc: Error | undefined): void {
    this.events.push(exc === undefined ? "lost" : `lost:${exc.name}`);
    this.done.setResult();
  }
}

test("createConnection and createServer: an echo, callbacks in order, inside the loop", async (t) => {
  const { errors } = await runIO(async (loop) => {
    const server = await createServer(() => new Echo(), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Recorder(loop), "127.0.0.1", portOf(server));
    t.is(proto.loopSeen, loop);
    t.deepEqual(transport.getExtraInfo("peername"), ["127.0.0.1", portOf(server)]);
    t.is((transport.getExtraInfo("sockname") as [string, number])[0], "127.0.0.1");
    t.is(transport.getExtraInfo("nope", 7), 7);
    transport.write("ping");
    for (let i = 0; i < 500 && Buffer.concat(proto.data).length < 4; i++) await sleep(0.001);
    t.is(Buffer.concat(proto.data).toString(), "ping");
    transport.close();
    t.true(transport.isClosing());
    await proto.done;
    t.deepEqual(proto.events, ["made", "data", "lost"]);
    server.close();
    await server.waitClosed();
  });
  t.deepEqual(errors, []);
});

test("eofReceived returning true keeps the connection half-open for writing", async (t) => {
  await runIO(async (loop) => {
    let serverSide: Recorder | undefined;
    const server = await createServer(() => (serverSide = new Recorder(loop, true)), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Recorder(loop), "127.0.0.1", portOf(server));
    t.true(transport.canWriteEof());
    transport.writeEof();
    for (let i = 0; i < 500 && serverSide?.events.at(-1) !== "eof"; i++) await sleep(0.001);
    serverSide!.transport.write("after eof");
    serverSide!.transport.close();
    await proto.done;
    t.is(Buffer.concat(proto.data).toString(), "after eof");
    t.deepEqual(proto.events, ["made", "data", "eof", "lost"]);
    await serverSide!.done;
    server.close();
    await server.waitClosed();
  });
});

test("an exception in dataReceived is reported and aborts the connection", async (t) => {
  const { errors } = await runIO(async (loop) => {
    class Failing extends Recorder {
      override dataReceived(): void {
        throw new Error("boom");
      }
    }
    let serverSide: Failing | undefined;
    const server = await createServer(() => (serverSide = new Failing(loop)), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Recorder(loop), "127.0.0.1", portOf(server));
    transport.write("x");
    await proto.done;
    await serverSide!.done;
    t.is(serverSide!.events.at(-1), "lost:Error");
    server.close();
    await server.waitClosed();
  });
  t.is(errors.length, 1);
  t.is((errors[0]!.exception as Error).message, "boom");
});

test("abort() drops buffered data and calls connectionLost(undefined)", async (t) => {
  await runIO(async (loop) => {
    const server = await createServer(() => new Recorder(loop), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Recorder(loop), "127.0.0.1", portOf(server));
    transport.abort();
    await proto.done;
    t.deepEqual(proto.events, ["made", "lost"]);
    transport.write("ignored after close"); // no throw
    server.close();
    server.abortClients();
    await server.waitClosed();
  });
});

test("flow control: pauseWriting over the high-water mark, resumeWriting when drained", async (t) => {
  await runIO(async (loop) => {
    const calls: string[] = [];
    class Flow extends Recorder {
      override pauseWriting(): void {
        calls.push("pause");
      }
      override resumeWriting(): void {
        calls.push("resume");
      }
    }
    const server = await createServer(() => new Recorder(loop), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Flow(loop), "127.0.0.1", portOf(server));
    transport.setWriteBufferLimits(1000);
    t.deepEqual(transport.getWriteBufferLimits(), [250, 1000]);
    t.throws(() => transport.setWriteBufferLimits(10, 20), { instanceOf: RangeError });
    transport.write(Buffer.alloc(4 << 20));
    t.deepEqual(calls, ["pause"]);
    t.true(transport.getWriteBufferSize() > 1000);
    for (let i = 0; i < 2000 && calls.length < 2; i++) await sleep(0.001);
    t.deepEqual(calls, ["pause", "resume"]);
    transport.close();
    await proto.done;
    server.close();
    server.closeClients();
    await server.waitClosed();
  });
});

test("BufferedProtocol receives into its own buffer", async (t) => {
  await runIO(async (loop) => {
    class Into extends BufferedProtocol {
      buf = Buffer.alloc(7);
      got: Buffer[] = [];
      done = loop.createFuture<void>();
      override getBuffer(): Buffer {
        return this.buf;
      }
      override bufferUpdated(n: number): void {
        this.got.push(Buffer.from(this.buf.subarray(0, n)));
      }
      override eofReceived(): boolean {
        return false;
      }
      override connectionLost(): void {
        this.done.setResult();
      }
    }
    let serverSide: Into | undefined;
    const server = await createServer(() => (serverSide = new Into()), "127.0.0.1", 0);
    const [transport] = await createConnection(() => new Protocol(), "127.0.0.1", portOf(server));
    transport.write("0123456789abcdefghij");
    transport.writeEof();
    for (let i = 0; i < 500 && serverSide === undefined; i++) await sleep(0.001);
    await serverSide!.done;
    t.is(Buffer.concat(serverSide!.got).toString(), "0123456789abcdefghij");
    t.true(serverSide!.got.every((c) => c.length <= 7));
    transport.close();
    server.close();
    await server.waitClosed();
  });
});

test("pauseReading / resumeReading", async (t) => {
  await runIO(async (loop) => {
    let serverSide: Recorder | undefined;
    const server = await createServer(() => (serverSide = new Recorder(loop)), "127.0.0.1", 0);
    const [transport, proto] = await createConnection(() => new Recorder(loop), "127.0.0.1", portOf(server));
    for (let i = 0; i < 500 && serverSide === undefined; i++) await sleep(0.001);
    transport.pauseReading();
    t.false(transport.isReading());
    serverSide!.transport.write("while paused");
    await sleep(0.05);
    t.deepEqual(proto.data, []);
    transport.resumeReading();
    t.true(transport.isReading());
    for (let i = 0; i < 500 && proto.data.length === 0; i++) await sleep(0.001);
    t.is(Buffer.concat(proto.data).toString(), "while paused");
    transport.close();
    await proto.done;
    server.close();
    server.closeClients();
    await server.waitClosed();
  });
});

test("createDatagramEndpoint: a UDP echo on loopback", async (t) => {
  await runIO(async (loop) => {
    class UdpEcho extends DatagramProtocol {
      transport!: DatagramTransport;
      override connectionMade(tr: DatagramTransport): void {
        this.transport = tr;
      }
      override datagramReceived(data: Buffer, addr: Address): void {
        this.transport.sendto(data, addr);
      }
    }
    class UdpClient extends DatagramProtocol {
      got = loop.createFuture<Buffer>();
      lost = loop.createFuture<void>();
      override datagramReceived(data: Buffer): void {
        if (!this.got.done()) this.got.setResult(data);
      }
      override connectionLost(): void {
        this.lost.setResult();
      }
    }
    const [st] = await createDatagramEndpoint(() => new UdpEcho(), { localAddr: ["127.0.0.1", 0] });
    const addr = st.getExtraInfo("sockname") as Address;
    const [ct, cp] = await createDatagramEndpoint(() => new UdpClient(), { remoteAddr: addr });
    t.deepEqual(ct.getExtraInfo("peername"), addr);
    t.throws(() => ct.sendto("x", ["127.0.0.1", 1]), { instanceOf: RangeError });
    ct.sendto("ping");
    t.is((await cp.got).toString(), "ping");
    ct.close();
    await cp.lost;
    st.close();
  });
});

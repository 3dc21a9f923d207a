// Ports of Twisted 22.4's twisted/protocols/test/test_basic.py
// (LineReceiverTests) and test/test_protocols.py (wire protocols) on
// StringTransport, then Twisted-style TCP (listenTCP / connectTCP /
// ClientCreator) talking to asyncio-style streams in one process, on loopback.
import test from "ava";
import { EventLoop, sleep, waitFor } from "../../../src/index.js";
import {
  ClientCreator,
  ClientFactory,
  Clock,
  ConnectError,
  ConnectionDone,
  ConnectionRefusedError,
  Factory,
  LineReceiver,
  Protocol,
  Reactor,
  StringTransport,
  type Failure,
  type IConnector,
} from "../../../adapters/twisted/index.js";
import { openConnection, startServer } from "../../../adapters/net/index.js";

const b = (s: string): Buffer => Buffer.from(s);

class LineTester extends LineReceiver {
  override delimiter = b("\n");
  override MAX_LENGTH = 64;
  received: Buffer[] = [];
  length = 0;
  constructor(readonly clock?: Clock) {
    super();
  }
  override connectionMade(): void {
    this.received = [];
  }
  override lineReceived(line: Buffer): void {
    this.received.push(line);
    const s = line.toString();
    if (s === "") this.setRawMode();
    else if (s === "pause") {
      this.pauseProducing();
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (s === "rawpause") {
      this.pauseProducing();
      this.setRawMode();
      this.received.push(b(""));
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (s === "stop") this.stopProducing();
    else if (s.startsWith("len ")) this.length = Number(s.slice(4));
    else if (s.startsWith("produce")) this.transport!.registerProducer(this, false);
    else if (s.startsWith("unproduce")) this.transport!.unregisterProducer();
  }
  override rawDataReceived(data: Buffer): void {
    const rest = data.subarray(this.length);
    data = data.subarray(0, this.length);
    this.length -= data.length;
    this.received[this.received.length - 1] = Buffer.concat([this.received.at(-1)!, data]);
    if (this.length === 0) this.setLineMode(rest);
  }
  override lineLengthExceeded(line: Buffer): void {
    if (line.length > this.MAX_LENGTH + 1) this.setLineMode(line.subarray(this.MAX_LENGTH + 1));
  }
}

const buffer = b(`len 10

0123456789len 5

1234
len 20
foo 123

0123456789
012345678len 0
foo 5

1234567890123456789012345678901234567890123456789012345678901234567890
len 1

a`);

const output = [
  "len 10",
  "0123456789",
  "len 5",
  "1234\n",
  "len 20",
  "foo 123",
  "0123456789\n012345678",
  "len 0",
  "foo 5",
  "",
  "67890",
  "len 1",
  "a",
];

function feed(a: LineReceiver, data: Buffer, packetSize: number): void {
  for (let i = 0; i < Math.floor(data.length / packetSize) + 1; i++)
    a.dataReceived(data.subarray(i * packetSize, (i + 1) * packetSize));
}

test("test_buffer", (t) => {
  for (let packetSize = 1; packetSize < 10; packetSize++) {
    const a = new LineTester();
    a.makeConnection(new StringTransport());
    feed(a, buffer, packetSize);
    t.deepEqual(a.received.map(String), output);
  }
});

test("test_pausing", (t) => {
  const pauseBuf = b("twiddle1\ntwiddle2\npause\ntwiddle3\n");
  for (let packetSize = 1; packetSize < 10; packetSize++) {
    const clock = new Clock();
    const a = new LineTester(clock);
    a.makeConnection(new StringTransport());
    feed(a, pauseBuf, packetSize);
    t.deepEqual(a.received.map(String), ["twiddle1", "twiddle2", "pause"]);
    clock.advance(0);
    t.deepEqual(a.received.map(String), ["twiddle1", "twiddle2", "pause", "twiddle3"]);
  }
});

test("test_rawPausing", (t) => {
  const rawpauseBuf = b("twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n");
  for (let packetSize = 1; packetSize < 10; packetSize++) {
    const clock = new Clock();
    const a = new LineTester(clock);
    a.makeConnection(new StringTransport());
    feed(a, rawpauseBuf, packetSize);
    t.deepEqual(a.received.map(String), ["twiddle1", "twiddle2", "len 5", "rawpause", ""]);
    clock.advance(0);
    t.deepEqual(a.received.map(String), ["twiddle1", "twiddle2", "len 5", "rawpause", "12345", "twiddle3"]);
  }
});

test("test_stopProducing", (t) => {
  const stopBuf = b("twiddle1\ntwiddle2\nstop\nmore\nstuff\n");
  for (let packetSize = 1; packetSize < 10; packetSize++) {
    const a = new LineTester();
    a.makeConnection(new StringTransport());
    feed(a, stopBuf, packetSize);
    t.deepEqual(a.received.map(String), ["twiddle1", "twiddle2", "stop"]);
  }
});

test("test_lineReceiverAsProducer", (t) => {
  const a = new LineTester();
  a.makeConnection(new StringTransport());
  a.dataReceived(b("produce\nhello world\nunproduce\ngoodbye\n"));
  t.deepEqual(a.received.map(String), ["produce", "hello world", "unproduce", "goodbye"]);
});

test("test_clearLineBuffer", (t) => {
  class ClearingReceiver extends LineReceiver {
    line = "";
    rest = "";
    override lineReceived(line: Buffer): void {
      this.line = line.toString();
      this.rest = this.clearLineBuffer().toString();
    }
  }
  const protocol = new ClearingReceiver();
  protocol.dataReceived(b("foo\r\nbar\r\nbaz"));
  t.is(protocol.line, "foo");
  t.is(protocol.rest, "bar\r\nbaz");
  protocol.dataReceived(b("quux\r\n"));
  t.is(protocol.line, "quux");
  t.is(protocol.rest, "");
});

test("test_stackRecursion", (t) => {
  class FlippingLineTester extends LineReceiver {
    override delimiter = b("\n");
    lines: Buffer[] = [];
    override lineReceived(line: Buffer): void {
      this.lines.push(line);
      this.setRawMode();
    }
    override rawDataReceived(data: Buffer): void {
      this.setLineMode(data.subarray(1));
    }
  }
  const proto = new FlippingLineTester();
  proto.makeConnection(new StringTransport());
  const limit = 1000; // sys.getrecursionlimit()
  proto.dataReceived(b("x\nx".repeat(limit)));
  t.is(Buffer.concat(proto.lines).toString(), "x".repeat(limit));
});

test("test_maximumLineLength", (t) => {
  const proto = new LineReceiver();
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(Buffer.concat([Buffer.alloc(proto.MAX_LENGTH + 1, "x"), b("\r\nr")]));
  t.true(transport.disconnecting);
});

test("test_maximumLineLengthPartialDelimiter", (t) => {
  const proto = new LineTester();
  proto.MAX_LENGTH = 4;
  const tr = new StringTransport();
  proto.makeConnection(tr);
  const line = Buffer.alloc(proto.MAX_LENGTH - 1, "x");
  proto.dataReceived(line);
  proto.dataReceived(proto.delimiter.subarray(0, -1));
  proto.dataReceived(Buffer.concat([proto.delimiter.subarray(-1), line]));
  t.false(tr.disconnecting);
  t.is(proto.received.length, 1);
  t.deepEqual(proto.received[0], line);
});

test("test_notQuiteMaximumLineLengthUnfinished", (t) => {
  const proto = new LineReceiver();
  proto.delimiter = b("\r\n");
  const transport = new StringTransport();
  proto.makeConnection(transport);
  proto.dataReceived(Buffer.concat([Buffer.alloc(proto.MAX_LENGTH, "x"), proto.delimiter.subarray(0, 1)]));
  t.false(transport.disconnecting);
});

test("test_rawDataError", (t) => {
  const proto = new LineReceiver();
  proto.rawDataReceived = () => new Error("oops");
  proto.makeConnection(new StringTransport());
  proto.setRawMode();
  const why = proto.dataReceived(b("data"));
  t.true(why instanceof Error);
});

test("test_rawDataReceivedNotImplemented", (t) => {
  t.throws(() => new LineReceiver().rawDataReceived(b("foo")), { message: /NotImplementedError/ });
});

test("test_lineReceivedNotImplemented", (t) => {
  t.throws(() => new LineReceiver().lineReceived(b("foo")), { message: /NotImplementedError/ });
});

// test_protocols.py: wire.Echo and wire.Discard.
class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}

test("test_echo", (t) => {
  const tr = new StringTransport();
  const a = new Echo();
  a.makeConnection(tr);
  for (const w of ["hello", "world", "how", "are", "you"]) a.dataReceived(b(w));
  t.is(tr.value().toString(), "helloworldhowareyou");
});

test("test_discard", (t) => {
  const tr = new StringTransport();
  const a = new Protocol();
  a.makeConnection(tr);
  for (const w of ["hello", "world", "how", "are", "you"]) a.dataReceived(b(w));
  t.is(tr.value().toString(), "");
});

// ---- Twisted and asyncio styles on one loop, over real TCP -----------------

async function onLoop<T>(main: (reactor: Reactor) => Promise<T>): Promise<T> {
  const loop = new EventLoop();
  try {
    return await loop.runUntilComplete(() => waitFor(main(new Reactor(loop)), 10));
  } finally {
    loop.close();
  }
}

test("a Twisted LineReceiver server and an asyncio streams client", async (t) => {
  const lost: Failure[] = [];
  await onLoop(async (reactor) => {
    class Upper extends LineReceiver {
      override lineReceived(line: Buffer): void {
        if (line.toString() === "quit") this.transport!.loseConnection();
        else this.sendLine(line.toString().toUpperCase());
      }
      override connectionLost(reason: Failure): void {
        lost.push(reason);
      }
    }
    const port = reactor.listenTCP(0, Factory.forProtocol(Upper), 50, "127.0.0.1");
    await port.whenListening();
    const [reader, writer] = await openConnection("127.0.0.1", port.getHost().port);
    writer.write("hello\r\nworld\r\n");
    t.is((await reader.readline()).toString(), "HELLO\r\n");
    t.is((await reader.readline()).toString(), "WORLD\r\n");
    writer.write("quit\r\n");
    t.is((await reader.read()).length, 0); // the server closed
    writer.close();
    await writer.waitClosed();
    for (let i = 0; i < 500 && lost.length === 0; i++) await sleep(0.001);
    await port.stopListening();
  });
  t.is(lost.length, 1);
  t.truthy(lost[0]!.check(ConnectionDone));
});

test("an asyncio streams server and a Twisted ClientCreator client", async (t) => {
  await onLoop(async (reactor) => {
    const server = await startServer(
      async (r, w) => {
        for await (const line of r) w.write(`echo: ${line}`);
        w.close();
      },
      "127.0.0.1",
      0,
    );
    const portNo = (server.sockets[0]!.getsockname() as [string, number])[1];
    class Client extends LineReceiver {
      override delimiter = b("\n");
      lines: string[] = [];
      override lineReceived(line: Buffer): void {
        this.lines.push(line.toString());
      }
    }
    const proto = await new ClientCreator(reactor, Client).connectTCP("127.0.0.1", portNo);
    t.is(proto.connected, 1);
    proto.sendLine("one");
    proto.sendLine("two");
    for (let i = 0; i < 500 && proto.lines.length < 2; i++) await sleep(0.001);
    t.deepEqual(proto.lines, ["echo: one", "echo: two"]);
    t.is(proto.transport!.getPeer().port, portNo);
    proto.transport!.loseConnection();
    for (let i = 0; i < 500 && proto.connected; i++) await sleep(0.001);
    t.is(proto.connected, 0);
    server.close();
    await server.waitClosed();
  });
});

test("connectTCP to a closed port: clientConnectionFailed with ConnectionRefusedError", async (t) => {
  await onLoop(async (reactor) => {
    const srv = await startServer(() => {}, "127.0.0.1", 0);
    const portNo = (srv.sockets[0]!.getsockname() as [string, number])[1];
    srv.close();
    await srv.waitClosed();
    const loop = reactor.loop;
    const failed = loop.createFuture<Failure>();
    class F extends ClientFactory {
      override protocol = Protocol;
      override clientConnectionFailed(_c: IConnector, reason: Failure): void {
        failed.setResult(reason);
      }
    }
    reactor.connectTCP("127.0.0.1", portNo, new F());
    const reason = await failed;
    t.truthy(reason.check(ConnectionRefusedError));
    // As twisted.internet.error: ConnectionRefusedError is a ConnectError (found running the TSDoc examples).
    t.is(reason.check(ConnectError), ConnectError);
    await t.throwsAsync(new ClientCreator(reactor, Protocol).connectTCP("127.0.0.1", portNo), {
      instanceOf: ConnectionRefusedError,
    });
  });
});

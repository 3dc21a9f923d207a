// Scenarios of issue 15 (asyncio-ts/net): echo round trips and bulk
// throughput over loopback TCP, our streams and protocols against raw
// node:net (the reference: the same job with Node's sockets and callbacks).
// Both ends of each contender run in this process, on 127.0.0.1.
//
// asyncio-ts/net is imported from the sources (through tsx), with the core
// it imports: the compiled copy of bench/ours.ts is another instance of the
// core, and a net adapter needs the loop of its own core.
import { createServer as netServer, connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import { EventLoop } from "../src/index.js";
import {
  Protocol,
  createConnection,
  createServer,
  openConnection,
  startServer,
  type Server,
  type Transport,
} from "../adapters/net/index.js";
import type { Contender, Scenario } from "./harness.js";

const MSG = Buffer.alloc(64, "m");
const CHUNK = Buffer.alloc(64 * 1024, "b");
const MIB = 1 << 20;

let loop: EventLoop | undefined;
function onLoop<T>(main: () => Promise<T>): Promise<T> {
  loop ??= new EventLoop();
  return loop.runUntilComplete(main);
}

/** Our servers must not keep the benchmark's process alive (the harness has no teardown). */
function unref<S extends Server>(s: S): S {
  for (const sock of s.sockets) sock.server.unref();
  return s;
}

function portOf(s: NetServer | Server): number {
  if ("sockets" in s) return (s.sockets[0]!.getsockname() as [string, number])[1];
  return (s.address() as { port: number }).port;
}

// ---- raw node:net -------------------------------------------------------------

let rawEcho: NetServer | undefined;
let rawSink: NetServer | undefined;

async function rawListen(handler: (s: Socket) => void): Promise<NetServer> {
  const s = netServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  s.unref();
  return s;
}

async function rawRoundTrips(n: number): Promise<void> {
  rawEcho ??= await rawListen((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => s.write(d));
  });
  const sock = netConnect(portOf(rawEcho), "127.0.0.1");
  sock.setNoDelay(true);
  await new Promise<void>((r) => sock.once("connect", r));
  await new Promise<void>((resolve) => {
    let got = 0;
    let left = n;
    sock.on("data", (d) => {
      got += d.length;
      if (got < MSG.length) return;
      got -= MSG.length;
      if (--left === 0) resolve();
      else sock.write(MSG);
    });
    sock.write(MSG);
  });
  sock.destroy();
}

let done: (() => void) | undefined;
let received = 0;
let want = 0;

async function rawBulk(mib: number): Promise<void> {
  rawSink ??= await rawListen((s) => {
    s.on("data", (d) => {
      received += d.length;
      if (received >= want) done?.();
    });
  });
  received = 0;
  want = mib * MIB;
  const finished = new Promise<void>((r) => (done = r));
  const sock = netConnect(portOf(rawSink), "127.0.0.1");
  await new Promise<void>((r) => sock.once("connect", r));
  for (let sent = 0; sent < want; sent += CHUNK.length) {
    if (!sock.write(CHUNK)) await new Promise<void>((r) => sock.once("drain", r));
  }
  await finished;
  sock.destroy();
}

// ---- asyncio-ts/net streams ----------------------------------------------------

let streamEcho: Server | undefined;
let streamSink: Server | undefined;
let sinkCount = 0;
let sinkWake: (() => void) | undefined;

async function streamRoundTrips(n: number): Promise<void> {
  await onLoop(async () => {
    streamEcho ??= unref(
      await startServer(
        async (r, w) => {
          for (;;) {
            const d = await r.read(65536);
            if (d.length === 0) break;
            w.write(d);
            await w.drain();
          }
          w.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(streamEcho));
    for (let i = 0; i < n; i++) {
      writer.write(MSG);
      await writer.drain();
      await reader.readexactly(MSG.length);
    }
    writer.close();
    await writer.waitClosed();
  });
}

async function streamBulk(mib: number): Promise<void> {
  await onLoop(async () => {
    streamSink ??= unref(
      await startServer(
        async (r, w) => {
          for (;;) {
            const d = await r.read(1 << 20);
            if (d.length === 0) break;
            sinkCount += d.length;
            sinkWake?.();
          }
          w.close();
        },
        "127.0.0.1",
        0,
      ),
    );
    sinkCount = 0;
    const want = mib * MIB;
    const [, writer] = await openConnection("127.0.0.1", portOf(streamSink));
    for (let sent = 0; sent < want; sent += CHUNK.length) {
      writer.write(CHUNK);
      await writer.drain();
    }
    const fut = loop!.createFuture<void>();
    sinkWake = () => {
      if (sinkCount >= want && !fut.done()) fut.setResult();
    };
    sinkWake();
    await fut;
    writer.close();
    await writer.waitClosed();
  });
}

// ---- asyncio-ts/net transports and protocols ------------------------------------

class EchoProto extends Protocol {
  t!: Transport;
  override connectionMade(t: Transport): void {
    this.t = t;
  }
  override dataReceived(d: Buffer): void {
    this.t.write(d);
  }
}

let protoEcho: Server | undefined;

async function protocolRoundTrips(n: number): Promise<void> {
  await onLoop(async () => {
    protoEcho ??= unref(await createServer(() => new EchoProto(), "127.0.0.1", 0));
    const done = loop!.createFuture<void>();
    let left = n;
    let got = 0;
    class Client extends Protocol {
      t!: Transport;
      override connectionMade(t: Transport): void {
        this.t = t;
        t.write(MSG);
      }
      override dataReceived(d: Buffer): void {
        got += d.length;
        if (got < MSG.length) return;
        got -= MSG.length;
        if (--left === 0) done.setResult();
        else this.t.write(MSG);
      }
    }
    const [t] = await createConnection(() => new Client(), "127.0.0.1", portOf(protoEcho));
    await done;
    t.close();
  });
}

const roundTrips: Scenario = {
  id: "net-echo",
  title: "Echo round trips over loopback TCP (64-byte messages, one connection, both ends in this process)",
  unit: "round trips/s",
  contenders: [
    {
      name: "asyncio-ts/net streams (write, drain, readexactly)",
      ours: true,
      n: 5_000,
      run: streamRoundTrips,
    } satisfies Contender,
    { name: "asyncio-ts/net Protocol + Transport", ours: true, n: 5_000, run: protocolRoundTrips },
    { name: "raw node:net (data events, write)", reference: true, n: 5_000, run: rawRoundTrips },
  ],
  notes: [
    "Target (issue 15): streams ≥ 0.7x raw node:net round trips; asyncio streams on CPython: `npm run bench:python`.",
    "asyncio-ts/net is measured from its sources through tsx (see bench/net.ts).",
  ],
};

const bulk: Scenario = {
  id: "net-bulk",
  title: "Bulk transfer over loopback TCP (64 KiB writes, drained; 1 operation = 1 MiB received)",
  unit: "MiB/s",
  contenders: [
    { name: "asyncio-ts/net streams (write + drain, read)", ours: true, n: 64, run: streamBulk },
    { name: "raw node:net (write, drain event)", reference: true, n: 64, run: rawBulk },
  ],
  notes: ["asyncio-ts/net is measured from its sources through tsx (see bench/net.ts)."],
};

/** The network scenarios, registered in bench/scenarios.ts. */
export const netScenarios: Scenario[] = [roundTrips, bulk];

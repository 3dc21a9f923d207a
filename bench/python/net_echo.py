"""The net-echo and net-bulk scenarios of bench/net.ts on asyncio streams
(and uvloop when it imports): 64-byte echo round trips on one loopback
connection, and MiB/s of 64 KiB writes with drain. Both ends in this process.
Prints one JSON line: {"echo": round trips/s, "bulk": MiB/s} (medians).

    PYENV_VERSION=3.13.0 python3.13 bench/python/net_echo.py [--uvloop] [--samples N]
"""
import asyncio
import json
import statistics
import sys
import time

MSG = b"m" * 64
CHUNK = b"b" * 65536
SAMPLES = int(sys.argv[sys.argv.index("--samples") + 1]) if "--samples" in sys.argv else 5


async def echo_handler(r, w):
    while True:
        d = await r.read(65536)
        if not d:
            break
        w.write(d)
        await w.drain()
    w.close()


received = 0


async def sink_handler(r, w):
    global received
    while True:
        d = await r.read(1 << 20)
        if not d:
            break
        received += len(d)
    w.close()


async def main():
    global received
    echo = await asyncio.start_server(echo_handler, "127.0.0.1", 0)
    sink = await asyncio.start_server(sink_handler, "127.0.0.1", 0)
    eport = echo.sockets[0].getsockname()[1]
    sport = sink.sockets[0].getsockname()[1]
    rts, bulks = [], []
    for i in range(SAMPLES + 1):
        n = 5000
        reader, writer = await asyncio.open_connection("127.0.0.1", eport)
        t0 = time.perf_counter()
        for _ in range(n):
            writer.write(MSG)
            await writer.drain()
            await reader.readexactly(64)
        dt = time.perf_counter() - t0
        writer.close()
        await writer.wait_closed()
        mib = 64
        received = 0
        reader, writer = await asyncio.open_connection("127.0.0.1", sport)
        t1 = time.perf_counter()
        for _ in range(mib * 16):
            writer.write(CHUNK)
            await writer.drain()
        while received < mib << 20:
            await asyncio.sleep(0.001)
        dt2 = time.perf_counter() - t1
        writer.close()
        await writer.wait_closed()
        if i > 0:  # the first round is a warm-up
            rts.append(n / dt)
            bulks.append(mib / dt2)
    echo.close()
    sink.close()
    print(json.dumps({"echo": statistics.median(rts), "bulk": statistics.median(bulks), "python": sys.version.split()[0]}))


if "--uvloop" in sys.argv:
    import uvloop

    uvloop.install()
    asyncio.run(main())
else:
    asyncio.run(main())

// Ports of the StreamReader tests of CPython 3.13 Lib/test/test_asyncio/test_streams.py
// (StreamTests), on a virtual-time loop: the reader is fed by hand, no I/O.
import test from "ava";
import { CancelledError, ValueError, createTask, sleep, wait } from "../../src/index.js";
import { IncompleteReadError, LimitOverrunError, StreamReader } from "../../adapters/net/index.js";
import { runBriefly, runTest, makeLoop } from "../helpers/loop.js";

const DATA = Buffer.from("line1\nline2\nline3\n");
const b = (s: string): Buffer => Buffer.from(s);
const buf = (r: StreamReader): string => r._buffer.toString();

test("test_feed_empty_data", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b(""));
    t.is(buf(stream), "");
  }));

test("test_feed_nonempty_data", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA);
    t.deepEqual(stream._buffer, DATA);
  }));

test("test_read_zero", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA);
    t.is((await stream.read(0)).length, 0);
    t.deepEqual(stream._buffer, DATA);
  }));

test("test_read", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const readTask = createTask(() => stream.read(30));
    stream._loop.callSoon(() => stream.feedData(DATA));
    t.deepEqual(await readTask, DATA);
    t.is(buf(stream), "");
  }));

test("test_read_line_breaks", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("line1"));
    stream.feedData(b("line2"));
    t.is((await stream.read(5)).toString(), "line1");
    t.is(buf(stream), "line2");
  }));

test("test_read_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const readTask = createTask(() => stream.read(1024));
    stream._loop.callSoon(() => stream.feedEof());
    t.is((await readTask).length, 0);
    t.is(buf(stream), "");
  }));

test("test_read_until_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const readTask = createTask(() => stream.read(-1));
    stream._loop.callSoon(() => {
      stream.feedData(b("chunk1\n"));
      stream.feedData(b("chunk2"));
      stream.feedEof();
    });
    t.is((await readTask).toString(), "chunk1\nchunk2");
    t.is(buf(stream), "");
  }));

test("test_read_exception", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("line\n"));
    t.is((await stream.read(2)).toString(), "li");
    stream.setException(new ValueError());
    await t.throwsAsync(stream.read(2), { instanceOf: ValueError });
  }));

test("test_invalid_limit", (t) =>
  runTest(async () => {
    t.throws(() => new StreamReader({ limit: 0 }), { instanceOf: ValueError, message: /imit/ });
    t.throws(() => new StreamReader({ limit: -1 }), { instanceOf: ValueError, message: /imit/ });
  }));

test("test_read_limit", (t) =>
  runTest(async () => {
    const stream = new StreamReader({ limit: 3 });
    stream.feedData(b("chunk"));
    t.is((await stream.read(5)).toString(), "chunk");
    t.is(buf(stream), "");
  }));

test("test_readline", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("chunk1 "));
    const readTask = createTask(() => stream.readline());
    stream._loop.callSoon(() => {
      stream.feedData(b("chunk2 "));
      stream.feedData(b("chunk3 "));
      stream.feedData(b("\n chunk4"));
    });
    t.is((await readTask).toString(), "chunk1 chunk2 chunk3 \n");
    t.is(buf(stream), " chunk4");
  }));

test("test_readline_limit_with_existing_data", (t) =>
  runTest(async () => {
    let stream = new StreamReader({ limit: 3 });
    stream.feedData(b("li"));
    stream.feedData(b("ne1\nline2\n"));
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "line2\n");

    stream = new StreamReader({ limit: 3 });
    stream.feedData(b("li"));
    stream.feedData(b("ne1"));
    stream.feedData(b("li"));
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "");
  }));

test("test_at_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    t.false(stream.atEof());
    stream.feedData(b("some data\n"));
    t.false(stream.atEof());
    await stream.readline();
    t.false(stream.atEof());
    stream.feedData(b("some data\n"));
    stream.feedEof();
    await stream.readline();
    t.true(stream.atEof());
  }));

test("test_readline_limit", (t) =>
  runTest(async () => {
    let stream = new StreamReader({ limit: 7 });
    let s = stream;
    stream._loop.callSoon(() => {
      s.feedData(b("chunk1"));
      s.feedData(b("chunk2"));
      s.feedData(b("chunk3\n"));
      s.feedEof();
    });
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "");

    stream = s = new StreamReader({ limit: 7 });
    stream._loop.callSoon(() => {
      s.feedData(b("chunk1"));
      s.feedData(b("chunk2\n"));
      s.feedData(b("chunk3\n"));
      s.feedEof();
    });
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "chunk3\n");

    // check strictness of the limit
    stream = new StreamReader({ limit: 7 });
    stream.feedData(b("1234567\n"));
    t.is((await stream.readline()).toString(), "1234567\n");
    t.is(buf(stream), "");
    stream.feedData(b("12345678\n"));
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "");
    stream.feedData(b("12345678"));
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "");
  }));

test("test_readline_nolimit_nowait", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA.subarray(0, 6));
    stream.feedData(DATA.subarray(6));
    t.is((await stream.readline()).toString(), "line1\n");
    t.is(buf(stream), "line2\nline3\n");
  }));

test("test_readline_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("some data"));
    stream.feedEof();
    t.is((await stream.readline()).toString(), "some data");
  }));

test("test_readline_empty_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedEof();
    t.is((await stream.readline()).length, 0);
  }));

test("test_readline_read_byte_count", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA);
    await stream.readline();
    t.is((await stream.read(7)).toString(), "line2\nl");
    t.is(buf(stream), "ine3\n");
  }));

test("test_readline_exception", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("line\n"));
    t.is((await stream.readline()).toString(), "line\n");
    stream.setException(new ValueError());
    await t.throwsAsync(stream.readline(), { instanceOf: ValueError });
    t.is(buf(stream), "");
  }));

test("test_readuntil_separator", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    await t.throwsAsync(stream.readuntil(b("")), { instanceOf: ValueError, message: /Separator should be/ });
    await t.throwsAsync(stream.readuntil([b("")]), { instanceOf: ValueError, message: /Separator should be/ });
    await t.throwsAsync(stream.readuntil([]), { instanceOf: ValueError, message: /Separator should contain/ });
  }));

test("test_readuntil_multi_chunks", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("lineAAA"));
    t.is((await stream.readuntil("AAA")).toString(), "lineAAA");
    t.is(buf(stream), "");
    stream.feedData(b("lineAAA"));
    t.is((await stream.readuntil(b("AAA"))).toString(), "lineAAA");
    t.is(buf(stream), "");
    stream.feedData(b("lineAAAxxx"));
    t.is((await stream.readuntil(b("AAA"))).toString(), "lineAAA");
    t.is(buf(stream), "xxx");
  }));

test("test_readuntil_multi_chunks_1", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const cases: Array<[string[], string]> = [
      [["QWEaa", "XYaa", "a"], "QWEaaXYaaa"],
      [["QWEaa", "XYa", "aa"], "QWEaaXYaaa"],
      [["aaa"], "aaa"],
      [["Xaaa"], "Xaaa"],
      [["XXX", "a", "a", "a"], "XXXaaa"],
    ];
    for (const [chunks, expected] of cases) {
      for (const c of chunks) stream.feedData(b(c));
      t.is((await stream.readuntil("aaa")).toString(), expected);
      t.is(buf(stream), "");
    }
  }));

test("test_readuntil_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("some dataAA"));
    stream.feedEof();
    const e = await t.throwsAsync(stream.readuntil("AAA"), {
      instanceOf: IncompleteReadError,
      message: /undefined expected bytes/,
    });
    t.is(e.partial.toString(), "some dataAA");
    t.is(e.expected, null);
    t.is(buf(stream), "");
  }));

test("test_readuntil_limit_found_sep", (t) =>
  runTest(async () => {
    const stream = new StreamReader({ limit: 3 });
    stream.feedData(b("some dataAA"));
    await t.throwsAsync(stream.readuntil("AAA"), { instanceOf: LimitOverrunError, message: /not found/ });
    t.is(buf(stream), "some dataAA");
    stream.feedData(b("A"));
    await t.throwsAsync(stream.readuntil("AAA"), { instanceOf: LimitOverrunError, message: /is found/ });
    t.is(buf(stream), "some dataAAA");
  }));

test("test_readuntil_multi_separator", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("line 1\nline 2\r"));
    t.is((await stream.readuntil(["\r", "\n"])).toString(), "line 1\n");
    t.is((await stream.readuntil(["\r", "\n"])).toString(), "line 2\r");
    t.is(buf(stream), "");
    // First end position matches, even if that's a longer match
    stream.feedData(b("ABCDEFG"));
    t.is((await stream.readuntil(["DEF", "BCDE"])).toString(), "ABCDE");
    t.is(buf(stream), "FG");
  }));

test("test_readuntil_multi_separator_limit", (t) =>
  runTest(async () => {
    const stream = new StreamReader({ limit: 3 });
    stream.feedData(b("some dataA"));
    await t.throwsAsync(stream.readuntil(["A", "ome dataA"]), { instanceOf: LimitOverrunError, message: /is found/ });
    t.is(buf(stream), "some dataA");
  }));

test("test_readuntil_multi_separator_negative_offset", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("data"));
    const task = createTask(() => stream.readuntil(["A", "long sep"]));
    stream._loop.callSoon(() => stream.feedData(b("Z")));
    stream._loop.callSoon(() => stream.feedData(b("Aaaa")));
    t.is((await task).toString(), "dataZA");
    t.is(buf(stream), "aaa");
  }));

test("test_readuntil_bytearray", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("some data\r\n"));
    t.is((await stream.readuntil(new Uint8Array(b("\r\n")))).toString(), "some data\r\n");
    t.is(buf(stream), "");
  }));

test("test_readexactly_zero_or_less", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA);
    t.is((await stream.readexactly(0)).length, 0);
    t.deepEqual(stream._buffer, DATA);
    await t.throwsAsync(stream.readexactly(-1), { instanceOf: ValueError, message: /less than zero/ });
    t.deepEqual(stream._buffer, DATA);
  }));

test("test_readexactly", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const task = createTask(() => stream.readexactly(2 * DATA.length));
    stream._loop.callSoon(() => {
      stream.feedData(DATA);
      stream.feedData(DATA);
      stream.feedData(DATA);
    });
    t.deepEqual(await task, Buffer.concat([DATA, DATA]));
    t.deepEqual(stream._buffer, DATA);
  }));

test("test_readexactly_limit", (t) =>
  runTest(async () => {
    const stream = new StreamReader({ limit: 3 });
    stream.feedData(b("chunk"));
    t.is((await stream.readexactly(5)).toString(), "chunk");
    t.is(buf(stream), "");
  }));

test("test_readexactly_eof", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const n = 2 * DATA.length;
    const task = createTask(() => stream.readexactly(n));
    stream._loop.callSoon(() => {
      stream.feedData(DATA);
      stream.feedEof();
    });
    const e = await t.throwsAsync(task, { instanceOf: IncompleteReadError });
    t.deepEqual(e.partial, DATA);
    t.is(e.expected, n);
    t.is(e.message, "18 bytes read on a total of 36 expected bytes");
    t.is(buf(stream), "");
  }));

test("test_readexactly_exception", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("line\n"));
    t.is((await stream.readexactly(2)).toString(), "li");
    stream.setException(new ValueError());
    await t.throwsAsync(stream.readexactly(2), { instanceOf: ValueError });
  }));

test("test_exception", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    t.is(stream.exception(), undefined);
    const exc = new ValueError();
    stream.setException(exc);
    t.is(stream.exception(), exc);
  }));

test("test_exception_waiter", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const t1 = createTask(() => stream.readline());
    const t2 = createTask(async () => stream.setException(new ValueError()));
    await wait([t1, t2]);
    t.throws(() => t1.result(), { instanceOf: ValueError });
  }));

test("test_exception_cancel", async (t) => {
  const loop = makeLoop();
  const stream = new StreamReader({ loop });
  const task = loop.createTask(() => stream.readline());
  await runBriefly(loop);
  task.cancel();
  await runBriefly(loop);
  // The following line fails if setException() isn't careful.
  stream.setException(new Error("message"));
  await runBriefly(loop);
  t.is(stream._waiter, undefined);
  t.true(task.cancelled());
  loop.close();
});

// Not in CPython's file: the contract that a cancelled read loses nothing.
test("cancelled read loses no byte", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(b("ab"));
    const r1 = createTask(() => stream.readexactly(5));
    await sleep(0);
    stream.feedData(b("c"));
    r1.cancel();
    await t.throwsAsync(r1, { instanceOf: CancelledError });
    stream.feedData(b("def"));
    t.is((await stream.readexactly(6)).toString(), "abcdef");
    const r2 = createTask(() => stream.readline());
    await sleep(0);
    r2.cancel();
    await t.throwsAsync(r2, { instanceOf: CancelledError });
    stream.feedData(b("xy\n"));
    t.is((await stream.readline()).toString(), "xy\n");
  }));

test("two readers waiting at once: RuntimeError", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    const r1 = createTask(() => stream.read(1));
    await sleep(0);
    await t.throwsAsync(stream.read(1), { message: /already waiting for incoming data/ });
    stream.feedData(b("x"));
    t.is((await r1).toString(), "x");
  }));

test("async iteration yields lines until EOF", (t) =>
  runTest(async () => {
    const stream = new StreamReader();
    stream.feedData(DATA);
    stream.feedData(b("tail"));
    stream.feedEof();
    const lines: string[] = [];
    for await (const line of stream) lines.push(line.toString());
    t.deepEqual(lines, ["line1\n", "line2\n", "line3\n", "tail"]);
  }));

test("a cancelled read(-1) puts back what it had read", (t) =>
  runTest(async () => {
    const stream = new StreamReader({ limit: 2 });
    stream.feedData(b("abcde"));
    const r = createTask(() => stream.read(-1));
    await sleep(0);
    await sleep(0);
    stream.feedData(b("f"));
    r.cancel();
    await t.throwsAsync(r, { instanceOf: CancelledError });
    stream.feedEof();
    t.is((await stream.read()).toString(), "abcdef");
  }));

// asyncio's default limit, 64 KiB, and where it bites (CPython 3.13: StreamReader()._limit == 65536; a line of 65536
// bytes before its separator passes, 65537 raise ValueError "Separator is found, but chunk is longer than limit").
test("the default limit is 64 KiB, as asyncio's", (t) =>
  runTest(async () => {
    let stream = new StreamReader();
    stream.feedData(Buffer.alloc(65536, 0x78));
    stream.feedData(b("\n"));
    t.is((await stream.readline()).length, 65537);
    stream = new StreamReader();
    stream.feedData(Buffer.alloc(65537, 0x78));
    stream.feedData(b("\n"));
    await t.throwsAsync(stream.readline(), {
      instanceOf: ValueError,
      message: "Separator is found, but chunk is longer than limit",
    });
  }));

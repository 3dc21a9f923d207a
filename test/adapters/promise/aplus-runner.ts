// Runs the complete Promises/A+ compliance suite (promises-aplus-tests
// 2.1.2, 872 tests) against the core's Future.then, in its own process:
//   node --import=tsx --unhandled-rejections=none test/adapters/promise/aplus-runner.ts
// (the suite needs Node's relaxed unhandled-rejection mode: even native
// Promises fail 15 tests under Node 20's default "throw" mode).
// Prints one JSON line per test ({title, state, error?}) and a final
// {summary} line; aplus.test.ts turns each into an ava assertion.
import { createRequire } from "node:module";
import { EventLoop, type Future } from "../../../src/index.js";
import { resolveFuture, rejectFuture } from "../../../adapters/promise/thenable.js";

const require = createRequire(import.meta.url);
const promisesAplusTests = require("promises-aplus-tests") as (
  adapter: unknown,
  opts: { reporter: unknown; timeout: number },
  cb: (err: unknown) => void,
) => void;

// A real-time loop: the suite itself waits with real setTimeout calls.
const loop = new EventLoop();
const reports: string[] = [];
loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
const running = loop.runForever();

const adapter = {
  resolved(value: unknown): Future<unknown> {
    const fut = loop.createFuture();
    resolveFuture(fut, value);
    return fut;
  },
  rejected(reason: unknown): Future<unknown> {
    const fut = loop.createFuture();
    rejectFuture(fut, reason);
    return fut;
  },
  deferred() {
    const fut = loop.createFuture();
    return {
      promise: fut,
      // A deferred settles once; later calls are no-ops (as native resolvers).
      resolve: (value: unknown) => {
        if (!fut.done()) resolveFuture(fut, value);
      },
      reject: (reason: unknown) => {
        if (!fut.done()) rejectFuture(fut, reason);
      },
    };
  },
};

interface MochaTest {
  fullTitle(): string;
}
interface MochaRunner {
  on(ev: "pass", fn: (t: MochaTest) => void): void;
  on(ev: "fail", fn: (t: MochaTest, err: Error) => void): void;
  on(ev: "pending", fn: (t: MochaTest) => void): void;
}

let passed = 0;
let failed = 0;
let pending = 0;
function reporter(runner: MochaRunner): void {
  const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");
  runner.on("pass", (t) => {
    passed++;
    out({ title: t.fullTitle(), state: "passed" });
  });
  runner.on("fail", (t, err) => {
    failed++;
    out({ title: t.fullTitle(), state: "failed", error: String(err?.stack ?? err) });
  });
  runner.on("pending", (t) => {
    pending++;
    out({ title: t.fullTitle(), state: "pending" });
  });
}

// The suite's own default timeout is 200 ms per test, for tests that wait
// about 50 ms of real time: too tight when CI runs test files in parallel on
// a busy machine. A timeout only detects hangs; it does not change what a
// test checks.
promisesAplusTests(adapter, { reporter, timeout: 5000 }, () => {
  loop.stop();
  void running.then(() => {
    loop.close();
    process.stdout.write(JSON.stringify({ summary: { passed, failed, pending } }) + "\n");
  });
});

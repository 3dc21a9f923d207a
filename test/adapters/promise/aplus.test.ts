// The Promises/A+ compliance suite (promises-aplus-tests 2.1.2, all 872
// tests) against the core Future's `then`, through the suite's adapter
// interface (resolved / rejected / deferred built on our Future, on a
// running loop). It runs in a child process (aplus-runner.ts) started with
// --unhandled-rejections=none: the suite creates rejected promises it
// handles late on purpose, and Node 20's default mode fails 15 of its tests
// even for native Promises. Each mocha test is one ava assertion.
import test from "ava";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const runner = fileURLToPath(new URL("./aplus-runner.ts", import.meta.url));

interface Line {
  title?: string;
  state?: string;
  error?: string;
  summary?: { passed: number; failed: number; pending: number };
}

test("Promises/A+ compliance suite: 872 tests, 0 failures, on Future.then", async (t) => {
  t.timeout(120_000);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import=tsx", "--unhandled-rejections=none", runner],
      { maxBuffer: 64 * 1024 * 1024, timeout: 110_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
    );
  });
  const lines: Line[] = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
  const summary = lines.find((l) => l.summary)?.summary;
  t.truthy(summary, "the runner printed its summary");
  for (const l of lines) if (l.title !== undefined) t.is(l.state, "passed", `${l.title}\n${l.error ?? ""}`);
  t.log(`Promises/A+: ${summary?.passed} passed, ${summary?.failed} failed, ${summary?.pending} pending`);
  t.is(summary?.failed, 0);
  t.is(summary?.pending, 0);
  t.is(summary?.passed, 872);
});

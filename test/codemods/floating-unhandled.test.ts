// A floating chain's rejection that nobody handles must stay an unhandled rejection, reported
// once with the same reason, after conversion (fixture promise-chains/floating-chain). ava
// fails a test file on any unhandled rejection, so each version runs in its own process.
import test from "ava";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const dir = path.resolve("test/fixtures/codemods/promise-chains/floating-chain");

function run(text: string): { code: number | null; reported: string[] } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-floating-"));
  try {
    fs.writeFileSync(path.join(tmp, "subject.cjs"), text);
    const script = `
      const reported = [];
      process.on("unhandledRejection", (r) => { reported.push(r && r.message); });
      const { fireAndForget } = require(${JSON.stringify(path.join(tmp, "subject.cjs"))});
      fireAndForget(Promise.reject(new Error("nobody handles this")), []);
      // unhandledRejection is emitted once the microtasks drain, before the next turn of the event loop.
      setImmediate(() => setImmediate(() => { process.stdout.write(JSON.stringify(reported)); }));
    `;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    return { code: r.status, reported: JSON.parse(r.stdout || "null") };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test("floating chain: an unhandled rejection is reported once, with the same reason, before and after", (t) => {
  const before = run(fs.readFileSync(path.join(dir, "input.js"), "utf8"));
  const after = run(fs.readFileSync(path.join(dir, "output.js"), "utf8"));
  t.deepEqual(before, { code: 0, reported: ["nobody handles this"] });
  t.deepEqual(after, before);
});

// Shared by the counter fixtures' scenarios (test/fixtures/codemods/callbacks/*counter*/scenario.mjs):
// every callback call with its timing, and a deterministic fake fs.readlink.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const turns = async (n) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

// Every call of the callback (the harness's trace keeps the first one only), and whether it was synchronous.
export async function allCalls(fn, ...args) {
  const calls = [];
  let returned = false;
  try {
    fn(...args, (...a) =>
      calls.push({
        sync: !returned,
        args: a.map((x) => (x instanceof Error ? { error: x.code, message: x.message } : x)),
      }),
    );
  } catch (e) {
    calls.push({ threw: e.code });
  }
  returned = true;
  await turns(30);
  return calls;
}

// fs.readlink (the object the subject requires) replaced while `run` runs: "name@n" completes after
// n event-loop turns, so the completion order is chosen and deterministic; names starting with "!"
// fail. Only the counter fixtures use fs.readlink, and they take turns (scenarios run concurrently).
export async function withFakeReadlink(run) {
  const previous = globalThis.__counterFixturesReadlinkTurn ?? Promise.resolve();
  let release;
  globalThis.__counterFixturesReadlinkTurn = new Promise((r) => (release = r));
  await previous;
  const real = fs.readlink;
  fs.readlink = (p, cb) => {
    if (typeof p !== "string") return real(p, cb); // argument checks stay real
    let left = Number(/@(\d+)/.exec(p)?.[1] ?? 1);
    const tick = () => {
      if (--left > 0) return setImmediate(tick);
      if (p.startsWith("!")) cb(Object.assign(new Error("ENOENT: " + p), { code: "ENOENT" }));
      else cb(null, "->" + p);
    };
    setImmediate(tick);
  };
  syncBuiltinESMExports(); // the subject is an ES module: its `fs` namespace sees the replacement once synced
  try {
    return await run();
  } finally {
    fs.readlink = real;
    syncBuiltinESMExports();
    release();
  }
}

// One name, one thing (#11): a name exported by two entry points of the packages (asyncio-ts, asyncio-ts/promise,
// …, asyncio-ts-codemods) is the same value in both, so an import means the same whichever entry it comes from.
// The entry points are read from the package.json `exports` maps, so a new entry is checked without editing this.
// The only exceptions are the adapters that mirror another library's own API under its own names, listed below
// with the reason: Python has the same pairs (gevent.sleep is not asyncio.sleep).
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Entry name → source file, from a package.json's `exports` (`./dist/x/index.js` is built from `x/index.ts`). */
function entriesOf(packageDir: string): Map<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, packageDir, "package.json"), "utf8"));
  const out = new Map<string, string>();
  for (const [sub, target] of Object.entries<{ default: string }>(pkg.exports)) {
    const built = path.join(packageDir, target.default).replace(/^(codemods\/)?dist\//, "$1");
    out.set(sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`, built.replace(/\.js$/, ".ts"));
  }
  return out;
}

const entries = new Map([...entriesOf("."), ...entriesOf("codemods")]);
const modules = new Map<string, Record<string, unknown>>();
for (const [entry, file] of entries) modules.set(entry, await import(pathToFileURL(path.join(ROOT, file)).href));

/** name → the entries exporting it. */
const exporters = new Map<string, string[]>();
for (const [entry, mod] of modules)
  for (const name of Object.keys(mod)) exporters.set(name, [...(exporters.get(name) ?? []), entry]);

// Deliberate mirrors: `entries` export `name` as different things, each being its own library's.
const GEVENT = "asyncio-ts/gevent: gevent's own API (greenlet-blocking, as gevent.lock/event/queue/Timeout/sleep/wait)";
const TWISTED = "asyncio-ts/twisted: Twisted's own class (twisted.internet) beside asyncio's in asyncio-ts/net";
const MIRRORS: Array<{ name: string; entries: string[]; why: string }> = [
  ...["BoundedSemaphore", "Event", "LifoQueue", "PriorityQueue", "Queue", "Semaphore", "Timeout", "sleep", "wait"].map(
    (name) => ({ name, entries: ["asyncio-ts", "asyncio-ts/gevent"], why: GEVENT }),
  ),
  { name: "Protocol", entries: ["asyncio-ts/twisted", "asyncio-ts/net"], why: TWISTED },
  { name: "ConnectionRefusedError", entries: ["asyncio-ts/twisted", "asyncio-ts/net"], why: TWISTED },
];

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

test("the entry points are read from the packages' exports", (t) => {
  t.true(entries.size >= 8, [...entries.keys()].join(", "));
  t.is(entries.get("asyncio-ts"), "src/index.ts");
  t.is(entries.get("asyncio-ts/promise"), "adapters/promise/index.ts");
  t.is(entries.get("asyncio-ts-codemods"), "codemods/index.ts");
});

test("a name exported by two entry points is the same value in both (apart from the listed mirrors)", (t) => {
  const clashes: string[] = [];
  for (const [name, from] of exporters) {
    if (from.length < 2) continue;
    const first = modules.get(from[0])![name];
    if (from.every((e) => modules.get(e)![name] === first)) continue;
    if (MIRRORS.some((m) => m.name === name && sameSet(m.entries, from))) continue;
    clashes.push(`${name}: ${from.join(", ")}`);
  }
  t.deepEqual(clashes, []);
});

test("every listed mirror is still two different things in those entries (the list stays true)", (t) => {
  for (const m of MIRRORS) {
    const [a, b] = m.entries.map((e) => modules.get(e)?.[m.name]);
    t.truthy(a, `${m.entries[0]} exports ${m.name}`);
    t.truthy(b, `${m.entries[1]} exports ${m.name}`);
    t.not(a, b, `${m.name} is one value now: remove it from MIRRORS`);
  }
});

test("createTask, ensureFuture, CancelledError and TimeoutError are the core's wherever exported (#11)", (t) => {
  const core = modules.get("asyncio-ts")!;
  for (const name of ["createTask", "ensureFuture", "CancelledError", "TimeoutError"]) {
    t.truthy(core[name], `asyncio-ts exports ${name}`);
    for (const entry of exporters.get(name) ?? []) t.is(modules.get(entry)![name], core[name], `${entry}'s ${name}`);
  }
  // The promise adapter's own variants have names of their own.
  const promise = modules.get("asyncio-ts/promise")!;
  t.is(typeof promise.createTaskWithSignal, "function");
  t.is(typeof promise.fromThenable, "function");
  t.false("createTask" in promise || "ensureFuture" in promise);
});

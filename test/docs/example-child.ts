// Runs one generated `@example` module that opens real resources (sockets, servers, processes, workers), in a
// child process of test/docs/tsdoc-examples.test.ts: `node --import=tsx example-child.ts <module> <own-loop>`.
// The example runs on the core's real `run` (unless it starts its own loop). The child prints one result line,
// `RESULT_MARK` + JSON `{ error?, leftOpen }`, and then must exit by itself: the parent kills it after a grace
// period and reports what it left open (the resources Node still holds, less those held before the example).
import { pathToFileURL } from "node:url";
import { run } from "../../src/index.js";
import { RESULT_MARK } from "./examples.js";

const [modulePath, ownLoop] = process.argv.slice(2);
const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
const late: unknown[] = [];
process.on("unhandledRejection", (e) => late.push(e));
process.on("uncaughtException", (e) => late.push(e));
const before = process.getActiveResourcesInfo();

let error: string | undefined;
try {
  const mod = await import(pathToFileURL(modulePath).href);
  const body = mod.default as () => Promise<unknown>;
  await (ownLoop === "1" ? body() : run(body, { handleSigint: false }));
  // A failure the example leaves behind (a rejection nobody handled) is its failure too.
  await new Promise((resolve) => setImmediate(resolve));
  if (late.length) error = `left behind ${late.map(describe).join("; ")}`;
} catch (e) {
  error = `threw ${describe(e)}`;
}
// What is still open that was not before: a multiset difference of the resource names.
const leftOpen = process.getActiveResourcesInfo();
for (const r of before) {
  const i = leftOpen.indexOf(r);
  if (i >= 0) leftOpen.splice(i, 1);
}
process.stdout.write(`\n${RESULT_MARK}${JSON.stringify({ error, leftOpen })}\n`);

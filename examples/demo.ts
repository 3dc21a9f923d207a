// The demo: tasks, cancellation and the virtual clock, on the core runtime.
import { run, runVirtual, createTask, sleep, getRunningLoop, isCancelledError } from "../src/index.js";

console.log("== asyncio-ts demo: tasks, cancellation and the virtual clock (times in seconds)");
await run(async () => {
  const slow = createTask(
    async () => {
      await sleep(10);
      return "finished";
    },
    { name: "slow" },
  );
  const quick = createTask(async () => sleep(0.05, "quick result"), { name: "quick" });
  console.log(`quick task returned: ${await quick}`);
  slow.cancel("no longer needed");
  try {
    await slow;
  } catch (e) {
    if (!isCancelledError(e)) throw e;
    console.log(`slow task cancelled: ${slow.cancelled()} ("${e.message}")`);
  }
});

const t0 = Date.now();
const simulated = await runVirtual(async () => {
  await sleep(3600);
  return getRunningLoop().time();
});
console.log(`virtual clock: slept ${simulated} s of loop time in ${Date.now() - t0} ms of real time`);

console.log("\n== the crawl example: Semaphore(3) + TaskGroup + timeout(2), on the virtual clock");
const { crawl } = await import("./crawl.js");
await runVirtual(async () => {
  const pages = await crawl(["/a", "/b", "/c", "/d", "/e"]);
  for (const [url, page] of pages) console.log(`  ${url}: ${page}`);
  console.log(`  done at t=${getRunningLoop().time()} s (loop time)`);
});

console.log("\n== asyncio-ts migrate: a legacy callback library converted to async/await");
const { main: migrateDemo } = await import("./migrate-demo.js");
await migrateDemo();

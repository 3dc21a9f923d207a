// The README's examples run and do what the README says.
import test from "ava";
import { getRunningLoop } from "../../src/index.js";
import { runTest } from "../helpers/loop.js";
import { aborted, crawl } from "../../examples/crawl.js";
import { readFileSync } from "node:fs";

test("README crawl: at most 3 at a time, a 2 s timeout each, all in one TaskGroup", async (t) => {
  const { pages, elapsed } = await runTest(async () => {
    const pages = await crawl(["/a", "/b", "/c", "/d", "/e"]);
    return { pages, elapsed: getRunningLoop().time() };
  });
  t.is(pages.size, 5);
  t.is(pages.get("/c"), "(timed out after 2 s)");
  t.is(pages.get("/a"), "<html>/a</html>");
  // /a, /b, /c start at once; /d waits for /a (0.5 s) and /e for /d (0.7 s); /c times out at 2 s.
  t.is(elapsed, 2);
  // The slow request is stopped by the task's signal at the deadline (a plain promise would run on to 3 s).
  t.deepEqual(aborted, ["/c"]);
});

test("README crawl: the README's code passes the task's signal to fetchPage and says why", (t) => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  t.regex(readme, /fetch\(url, \{ signal \}\)/);
  t.regex(readme, /timeout\(2\)\.run\(\(\) => fetchPage\(url, signal\)\)/);
  t.regex(readme, /a plain promise[^.]*is not\s+interrupted/);
});

test("README taste: a timeout around an awaited task cancels the task", async (t) => {
  const { sleep, createTask, timeout, TimeoutError } = await import("../../src/index.js");
  const cancelled = await runTest(async () => {
    const slow = createTask(async () => sleep(10, "late"));
    try {
      await timeout(1).run(() => slow);
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      return slow.cancelled();
    }
    return "no timeout";
  });
  t.is(cancelled, true);
});

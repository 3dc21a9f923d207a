// The README's examples run and do what the README says.
import test from "ava";
import { getRunningLoop } from "../../src/index.js";
import { runTest } from "../helpers/loop.js";
import { crawl } from "../../examples/crawl.js";

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
});

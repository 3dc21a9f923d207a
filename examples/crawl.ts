// A bounded-concurrency crawl: at most 3 fetches at a time (Semaphore), all
// of them in one TaskGroup (the first failure cancels the rest), each with a
// 2-second timeout. "fetch" is simulated with sleep so that the example runs
// anywhere; on the virtual clock it takes no real time.
import { Semaphore, TaskGroup, TimeoutError, runVirtual, sleep, timeout, getRunningLoop } from "../src/index.js";

const latency: Record<string, number> = { "/a": 0.5, "/b": 1.0, "/c": 3.0, "/d": 0.2, "/e": 0.7 };

async function fetchPage(url: string): Promise<string> {
  await sleep(latency[url] ?? 0.1); // stands for a real request
  return `<html>${url}</html>`;
}

export async function crawl(urls: string[]): Promise<Map<string, string>> {
  const limit = new Semaphore(3);
  const pages = new Map<string, string>();
  await new TaskGroup().run(async (tg) => {
    for (const url of urls) {
      tg.createTask(() =>
        limit.run(async () => {
          try {
            pages.set(url, await timeout(2).run(() => fetchPage(url)));
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
            pages.set(url, "(timed out after 2 s)");
          }
        }),
      );
    }
  });
  return pages;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const pages = await runVirtual(async () => {
    const result = await crawl(Object.keys(latency));
    console.log(`crawled ${result.size} pages in ${getRunningLoop().time()} s of loop time`);
    return result;
  });
  for (const [url, page] of pages) console.log(`  ${url}: ${page}`);
}

// A bounded-concurrency crawl: at most 3 fetches at a time (Semaphore), all
// of them in one TaskGroup (the first failure cancels the rest), each with a
// 2-second timeout. "fetch" is simulated with a timer so that the example
// runs anywhere; on the virtual clock it takes no real time.
//
// The timeout cancels the task; a plain promise is not interrupted by that
// (it is only abandoned when it settles), so fetchPage takes the task's
// `signal`, which is aborted at the cancel request: a real fetchPage passes
// it to `fetch(url, { signal })` and the request stops at the deadline.
import { Semaphore, TaskGroup, TimeoutError, currentTask, getRunningLoop, runVirtual, timeout } from "../src/index.js";

const latency: Record<string, number> = { "/a": 0.5, "/b": 1.0, "/c": 3.0, "/d": 0.2, "/e": 0.7 };

/** Requests stopped by their signal (the slow page, at the deadline). */
export const aborted: string[] = [];

// Stands for `async (url, signal) => (await fetch(url, { signal })).text()`: a
// plain promise on a loop timer that rejects when the signal aborts.
function fetchPage(url: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = getRunningLoop().callLater(latency[url] ?? 0.1, () => resolve(`<html>${url}</html>`));
    signal.addEventListener(
      "abort",
      () => {
        timer.cancel();
        aborted.push(url);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export async function crawl(urls: string[]): Promise<Map<string, string>> {
  const limit = new Semaphore(3);
  const pages = new Map<string, string>();
  await new TaskGroup().run(async (tg) => {
    for (const url of urls) {
      tg.createTask(() =>
        limit.run(async () => {
          try {
            const signal = currentTask()!.signal; // aborted when the timeout cancels this task
            pages.set(url, await timeout(2).run(() => fetchPage(url, signal)));
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
  console.log(`requests stopped by their signal: ${aborted.join(", ") || "none"}`);
}

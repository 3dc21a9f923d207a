// Fixtures the TSDoc `@example` blocks share (test/docs/tsdoc-examples.test.ts imports a name from here when an
// example uses it without defining it). Small, real, deterministic and fast: "network" calls are virtual-time
// sleeps, so an example reads like real code and still runs in no real time on the harness's VirtualTimeLoop.
import { sleep } from "../../src/index.js";

/** A fake HTTP fetch: after 0.1 s (virtual), the page's text, `"<page of URL>"`. */
export async function fetchPage(url: string): Promise<string> {
  await sleep(0.1);
  return `<page of ${url}>`;
}

/** Some work: after 0.1 s (virtual), `42`. */
export async function work(): Promise<number> {
  await sleep(0.1);
  return 42;
}

/** A few URLs for {@link fetchPage}. */
export const urls: string[] = ["https://example.com/a", "https://example.com/b", "https://example.com/c"];

/** One URL for {@link fetchPage}. */
export const url = "https://example.com/";

// The API docs site as a reader meets it, in a real headless Chromium (Debian's package, driven by
// playwright-core): the front page is the README, search finds `Semaphore` and `Deferred`, every guide renders
// as HTML (not raw Markdown), and no link is broken. Screenshots of the front page and one class page are kept in
// .ci-artifacts/ (CI's artifacts). The site is built by `npm run docs` (CI runs it before the tests); if it is
// missing, the test builds it into docs/api first. Served on 127.0.0.1 only.
import test from "ava";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SITE = path.join(ROOT, "docs/api");
const ARTIFACTS = path.join(ROOT, ".ci-artifacts");
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
};

/** A static file server over the built site, on an ephemeral loopback port. */
async function serve(dir: string): Promise<{ base: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function htmlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".html"))
    .map((e) => path.join(e.parentPath, e.name));
}

if (!CHROMIUM) {
  test.skip("docs site in a real browser (skipped: Chromium is not installed; CI installs Debian's chromium)", () => {});
} else {
  test.serial("docs site: front page, search, guides and links, in headless Chromium", async (t) => {
    if (!fs.existsSync(path.join(SITE, "index.html"))) {
      execFileSync("npm", ["run", "docs"], { cwd: ROOT, stdio: "ignore" });
    }
    const { chromium } = await import("playwright-core");
    const server = await serve(SITE);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      fs.mkdirSync(ARTIFACTS, { recursive: true });

      // The front page is the README.
      await page.goto(server.base);
      t.regex((await page.locator("h1, h2").first().textContent()) ?? "", /asyncio-ts/);
      t.true((await page.content()).includes("All times are in seconds"));
      await page.screenshot({ path: path.join(ARTIFACTS, "docs-front-page.png"), fullPage: false });

      // Search finds the names a newcomer looks for.
      for (const [query, hit] of [
        ["Semaphore", /classes\/.*Semaphore\.html/],
        ["Deferred", /classes\/.*Deferred\.html/],
      ] as const) {
        await page.click("#tsd-search-trigger");
        await page.fill("#tsd-search-input", query);
        // Results update as the index answers: wait for a hit (or time out), then read them all.
        await page
          .waitForFunction(
            (source) =>
              [...(globalThis as any).document.querySelectorAll("#tsd-search-results li a")].some((a) =>
                new RegExp(source).test((a as unknown as { href: string }).href),
              ),
            hit.source,
            { timeout: 10_000 },
          )
          .catch(() => undefined);
        const hrefs = await page
          .locator("#tsd-search-results li a")
          .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
        t.true(
          hrefs.some((h) => hit.test(h)),
          `search for ${query} found ${hrefs.join(", ")}`,
        );
        await page.keyboard.press("Escape");
      }

      // One class page, rendered with its members.
      const semaphore = htmlFiles(path.join(SITE, "classes")).find((f) => /[./]Semaphore\.html$/.test(f));
      t.truthy(semaphore, "a class page for Semaphore");
      await page.goto(server.base + path.relative(SITE, semaphore!).split(path.sep).join("/"));
      t.regex((await page.locator("h1").first().textContent()) ?? "", /Semaphore/);
      await page.screenshot({ path: path.join(ARTIFACTS, "docs-class-semaphore.png"), fullPage: false });

      // Every guide is a rendered document: headings and code blocks as HTML, no Markdown left in the text.
      const guides = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
      const documents = htmlFiles(path.join(SITE, "documents"));
      t.true(guides.length > 0);
      for (const guide of guides) {
        // typedoc names a document by its front matter's title, else by its path.
        const source = fs.readFileSync(path.join(ROOT, "docs", guide), "utf8");
        const fm = /^---\n(?:[\s\S]*?\n)?title:\s*"?(.*?)"?\n[\s\S]*?---\n/.exec(source);
        const title = fm ? fm[1]! : `docs/${guide.replace(/\.md$/, "")}`;
        const doc = documents.find((f) => fs.readFileSync(f, "utf8").includes(`<title>${escapeHtml(title)} |`));
        t.truthy(doc, `the guide ${guide} is part of the site`);
        if (!doc) continue;
        await page.goto(server.base + path.relative(SITE, doc).split(path.sep).join("/"));
        // The prose only (code blocks may well contain "# comments").
        const body = await page
          .locator(".tsd-panel.tsd-typography, .tsd-typography")
          .first()
          .evaluate((el: any) => {
            const copy = el.cloneNode(true);
            for (const pre of copy.querySelectorAll("pre")) pre.remove();
            return String(copy.textContent);
          });
        t.true((await page.locator(".tsd-typography h1, .tsd-typography h2").count()) > 0, `${guide} has headings`);
        t.false(/^#{1,3} /m.test(body), `${guide} shows raw Markdown headings`);
        t.false(body.includes("```"), `${guide} shows raw code fences`);
      }

      // No broken links: every local href (and src) of every page resolves to a file of the site.
      const broken: string[] = [];
      for (const file of htmlFiles(SITE)) {
        const html = fs.readFileSync(file, "utf8");
        for (const m of html.matchAll(/\s(?:href|src)="([^"#?]+)(?:[#?][^"]*)?"/g)) {
          const ref = m[1]!;
          if (/^[a-z]+:/i.test(ref) || ref.startsWith("//")) continue; // external (none are fetched)
          const target = path.resolve(path.dirname(file), decodeURIComponent(ref));
          const ok = fs.existsSync(target) || fs.existsSync(path.join(target, "index.html"));
          if (!ok) broken.push(`${path.relative(SITE, file)} -> ${ref}`);
        }
      }
      t.deepEqual(broken.slice(0, 20), [], `${broken.length} broken links`);
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

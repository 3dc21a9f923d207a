// Failures nobody retrieved (issue #18 item 5) are reported once, at the
// first of: the owner's garbage collection, its loop's close (so run()'s end),
// and process exit. asyncio reports only at GC; without a GC a short program
// used to lose them silently.
import test from "ava";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTask, getRunningLoop, run, sleep, type ExceptionContext } from "../../src/index.js";
import { Deferred } from "../../adapters/twisted/index.js";
import { collectGarbage, makeLoop } from "../helpers/loop.js";

const fixture = fileURLToPath(new URL("../fixtures/loses-failures.ts", import.meta.url));

function runChild(mode: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import=tsx", fixture, mode],
      { encoding: "utf8", timeout: 20_000 },
      (e, stdout, stderr) => {
        if (e && typeof e.code !== "number") return reject(e);
        resolve({ status: e ? (e.code as number) : 0, stdout, stderr });
      },
    );
  });
}

test("a task exception nobody retrieved is reported when the loop closes, once (not again at GC)", async (t) => {
  const loop = makeLoop();
  let task: unknown;
  await loop.runUntilComplete(async () => {
    task = createTask(async () => {
      throw new Error("lost");
    });
    await sleep(1);
  });
  t.deepEqual(loop.errors, [] as ExceptionContext[]); // still retrievable while the loop is open
  loop.close();
  t.is(loop.errors.length, 1);
  t.is(loop.errors[0]!.message, "Task exception was never retrieved");
  t.is((loop.errors[0]!.exception as Error).message, "lost");
  task = undefined;
  await collectGarbage();
  t.is(loop.errors.length, 1);
  t.is(task, undefined);
});

test("a future exception retrieved before the close is not reported", async (t) => {
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const fut = getRunningLoop().createFuture();
    fut.setException(new Error("seen"));
    t.is((fut.exception() as Error).message, "seen");
  });
  loop.close();
  await collectGarbage();
  t.deepEqual(loop.errors, [] as ExceptionContext[]);
});

test("only the closing loop's reports are made at its close", async (t) => {
  const a = makeLoop();
  const b = makeLoop();
  const kept: unknown[] = []; // not collected (a GC would report them first)
  await a.runUntilComplete(async () => {
    const f = a.createFuture();
    f.setException(new Error("of a"));
    kept.push(f);
  });
  await b.runUntilComplete(async () => {
    const f = b.createFuture();
    f.setException(new Error("of b"));
    kept.push(f);
  });
  a.close();
  t.deepEqual(
    a.errors.map((e) => (e.exception as Error).message),
    ["of a"],
  );
  t.deepEqual(b.errors, [] as ExceptionContext[]);
  b.close();
  t.deepEqual(
    b.errors.map((e) => (e.exception as Error).message),
    ["of b"],
  );
  t.is(kept.length, 2);
});

test("run(): a lost task failure reaches the loop's exception handler at run()'s end", async (t) => {
  const seen: ExceptionContext[] = [];
  await run(async () => {
    getRunningLoop().setExceptionHandler((_l, ctx) => seen.push(ctx));
    createTask(async () => {
      throw new Error("lost in run");
    });
    await sleep(0.001);
  });
  t.deepEqual(
    seen.map((c) => [c.message, (c.exception as Error).message]),
    [["Task exception was never retrieved", "lost in run"]],
  );
});

test("a Deferred left failed is reported when its loop closes, once", async (t) => {
  const loop = makeLoop();
  let d: Deferred<void> | undefined;
  await loop.runUntilComplete(async () => {
    d = new Deferred<void>();
    d.errback(new Error("deferred lost"));
  });
  loop.close();
  t.deepEqual(
    loop.errors.map((c) => [c.message, (c.exception as Error).message]),
    [["Unhandled error in Deferred:", "deferred lost"]],
  );
  d = undefined;
  await collectGarbage();
  t.is(loop.errors.length, 1);
});

test("a Deferred failure handled before the close is not reported", async (t) => {
  const loop = makeLoop();
  await loop.runUntilComplete(async () => {
    const d = new Deferred<void>();
    d.errback(new Error("handled"));
    d.addErrback(() => undefined);
  });
  loop.close();
  t.deepEqual(loop.errors, [] as ExceptionContext[]);
});

test("process exit: run() reports a lost task failure on stderr (default handler)", async (t) => {
  const child = await runChild("run");
  t.is(child.status, 0);
  t.regex(child.stdout, /after run/);
  t.regex(child.stderr, /Task exception was never retrieved[\s\S]*lost in run/);
  t.is(child.stderr.match(/never retrieved/g)?.length, 1);
});

test("process exit: a loop never closed has its lost failure reported at exit", async (t) => {
  const child = await runChild("never-closed");
  t.is(child.status, 0);
  t.regex(child.stdout, /end of program/);
  t.regex(child.stderr, /Future exception was never retrieved[\s\S]*lost, loop never closed/);
  t.is(child.stderr.match(/never retrieved/g)?.length, 1);
});

test("process exit: a Deferred failed outside any loop is reported at exit", async (t) => {
  const child = await runChild("deferred");
  t.is(child.status, 0);
  t.regex(child.stderr, /Unhandled error in Deferred:[\s\S]*lost in a deferred/);
  t.is(child.stderr.match(/Unhandled error in Deferred/g)?.length, 1);
});

test("process exit: a failure retrieved in time prints nothing", async (t) => {
  const child = await runChild("retrieved");
  t.is(child.status, 0);
  t.regex(child.stdout, /end of program/);
  t.is(child.stderr, "");
});

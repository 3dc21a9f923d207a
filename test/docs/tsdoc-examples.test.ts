// Every TSDoc `@example` of src/, adapters/*/ and codemods/ is type-checked (one TypeScript program) and executed
// (each on a VirtualTimeLoop via `runVirtual`, unless it starts its own loop; one that opens real sockets, servers,
// processes or workers on the real loop in a child process, see executeInChild). One test per source file, failing with
// file:line and the error of each example that does not type-check or throws. Examples not yet runnable are listed
// with a reason in test/docs/examples-pending.json; a listed example that now passes fails the test (the list only
// shrinks). `UPDATE_EXAMPLES_PENDING=1` rewrites the list from the current failures (reasons: the first error).
import test from "ava";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { runVirtual } from "../../src/index.js";
import {
  compilerOptions,
  type Example,
  entriesFor,
  extract,
  generate,
  ROOT,
  RESULT_MARK,
  readExports,
  sourceFiles,
  typecheck,
} from "./examples.js";

const PENDING_FILE = path.join(ROOT, "test/docs/examples-pending.json");
const pending: Record<string, string> = JSON.parse(fs.readFileSync(PENDING_FILE, "utf8"));
const REAL_TIME_GUARD_MS = 2000;

const files = sourceFiles();
// EXAMPLES_ONLY=src/locks.ts (a substring of the path) narrows the run while editing examples.
const only = process.env.EXAMPLES_ONLY;
const examples: Example[] = files.filter((f) => !only || f.includes(only)).flatMap(extract);
const options = compilerOptions();
// The harness's own checks: examples that must fail (a type error, a throw) and one that must pass using an
// entry-point name and a prelude fixture it does not import. Generated and checked with the real ones.
const selfChecks: Example[] = [
  { file: "src/(self-check)", line: 1, code: 'const n: number = "x";' },
  { file: "src/(self-check)", line: 2, code: "const q = new Queue<number>(1); q.putNowait(1); q.putNowait(2);" },
  {
    file: "src/(self-check)",
    line: 3,
    code: "await sleep(3600); const page = await fetchPage(url); if (!page) throw 0;",
  },
  // Real resources: a server left open fails (and its child is killed); one closed at the end passes.
  {
    file: "adapters/net/(self-check)",
    line: 4,
    code: 'await startServer(() => {}, "127.0.0.1", 0);',
  },
  {
    file: "adapters/net/(self-check)",
    line: 5,
    code: 'const server = await startServer(() => {}, "127.0.0.1", 0); server.close(); await server.waitClosed();',
  },
];
const entries = [...new Set([...examples, ...selfChecks].flatMap((e) => entriesFor(e.file)))].filter((f) =>
  fs.existsSync(path.join(ROOT, f)),
);
const { exports: exportsOf, program: entryProgram } = readExports(entries, options);
const preludeSource = fs.readFileSync(path.join(ROOT, "test/docs/example-prelude.ts"), "utf8");
const preludeNames = new Set(
  [...preludeSource.matchAll(/^export (?:async )?(?:function|const|let|class|interface|type) (\w+)/gm)].map(
    (m) => m[1],
  ),
);
generate([...examples, ...selfChecks], exportsOf, preludeNames);
const typeErrors = typecheck([...examples, ...selfChecks], options, entryProgram);

const CHILD = path.join(ROOT, "test/docs/example-child.ts");
/** Real time an example that opens real resources may take, and then the time its process has to exit. */
const CHILD_TIMEOUT_MS = 10_000;
const CHILD_EXIT_GRACE_MS = 2_000;

/**
 * Runs an example that opens real sockets, servers, processes or workers in a child process, on the real loop.
 * It fails if it throws, takes more than {@link CHILD_TIMEOUT_MS}, or leaves something open (its process does not
 * exit within {@link CHILD_EXIT_GRACE_MS} of finishing): the child is killed, so this worker never inherits a leak.
 */
function executeInChild(ex: Example): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import=tsx", CHILD, ex.module as string, ex.ownLoop ? "1" : "0"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let result: { error?: string; leftOpen: string[] } | undefined;
    let verdict: string | undefined;
    const kill = (why: string) => {
      verdict ??= why;
      child.kill("SIGKILL");
    };
    let timer = setTimeout(() => kill(`still running after ${CHILD_TIMEOUT_MS} ms of real time`), CHILD_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const at = out.indexOf(RESULT_MARK);
      if (result || at < 0 || !out.includes("\n", at)) return;
      result = JSON.parse(out.slice(at + RESULT_MARK.length, out.indexOf("\n", at)));
      clearTimeout(timer);
      const open = result?.leftOpen.length ? ` (${result.leftOpen.join(", ")})` : "";
      timer = setTimeout(() => kill(`finished but left resources open${open}`), CHILD_EXIT_GRACE_MS);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (verdict) resolve(result?.error ? `${result.error}; ${verdict}` : verdict);
      else if (result) resolve(result.error);
      else resolve(`child exited (${signal ?? code}) without a result: ${err.trim().split("\n").slice(-3).join(" ")}`);
    });
  });
}

/**
 * Children run a few at a time, all started up front (each spends most of its second starting Node and tsx), in
 * the order the tests below await them.
 */
const inChildSlot = limiter(Math.max(2, os.availableParallelism()));
const inChild = new Map(
  [...selfChecks, ...examples]
    .filter((ex) => ex.realLoop && !typeErrors.has(ex.module as string))
    .map((ex) => [ex, inChildSlot(() => executeInChild(ex))]),
);

function limiter(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  let free = slots;
  const queue: Array<() => void> = [];
  return async (job) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await job();
    } finally {
      const next = queue.shift();
      if (next) next();
      else free++;
    }
  };
}

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Runs one example; undefined when it passes, else the error. */
async function execute(ex: Example): Promise<string | undefined> {
  const typeError = typeErrors.get(ex.module as string);
  if (typeError) return typeError.join("; ");
  if (ex.realLoop) return inChild.get(ex) ?? inChildSlot(() => executeInChild(ex));
  const quiet = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  console.log = console.info = console.warn = console.error = () => {};
  const late: unknown[] = [];
  const onLate = (e: unknown) => late.push(e);
  process.on("unhandledRejection", onLate);
  process.on("uncaughtException", onLate);
  const exitCode = process.exitCode; // an example may set it (errors.ts: `process.exitCode = 130`)
  let timer: NodeJS.Timeout | undefined;
  try {
    const mod = await import(pathToFileURL(ex.module as string).href);
    const body = mod.default as () => Promise<unknown>;
    const running = ex.ownLoop ? body() : runVirtual(body);
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${REAL_TIME_GUARD_MS} ms of real time`)),
        REAL_TIME_GUARD_MS,
      );
    });
    await Promise.race([running, guard]);
    // An error the example leaves behind (a rejection nobody handled, a callback throwing after the loop closed)
    // is its failure too: give it a turn of the real event loop to surface.
    await new Promise((resolve) => setImmediate(resolve));
    return late.length ? `left behind ${late.map(describe).join("; ")}` : undefined;
  } catch (e) {
    return `threw ${describe(e)}`;
  } finally {
    process.off("unhandledRejection", onLate);
    process.off("uncaughtException", onLate);
    clearTimeout(timer);
    Object.assign(console, quiet);
    process.exitCode = exitCode;
  }
}

const results = new Map<Example, string | undefined>();
const updated: Record<string, string> = Object.fromEntries(
  Object.entries(pending).filter(([k]) => only && !k.includes(only)),
);

test.serial("every @example is found, with its file and line", (t) => {
  t.true(examples.length > 0);
  for (const ex of examples) t.true(ex.line > 0 && ex.code.trim().length > 0, `${ex.file}:${ex.line} is empty`);
  const keys = new Set(examples.map((e) => `${e.file}:${e.line}`));
  const stale = Object.keys(pending).filter((k) => !keys.has(k) && (!only || k.includes(only)));
  t.deepEqual(
    stale,
    [],
    "examples-pending.json names examples that are not there (moved? rerun with UPDATE_EXAMPLES_PENDING=1)",
  );
  t.log(
    `${examples.length} examples in ${new Set(examples.map((e) => e.file)).size} files; ${Object.keys(pending).length} pending`,
  );
});

test.serial(
  "the harness reports a type error and a throw, and runs a sketch-free example in no real time",
  async (t) => {
    const [typeError, thrown, passing] = selfChecks;
    t.regex((await execute(typeError)) ?? "", /TS2322 at src\/\(self-check\):2: Type 'string' is not assignable/);
    t.regex((await execute(thrown)) ?? "", /threw QueueFull/);
    const started = Date.now();
    t.is(await execute(passing), undefined);
    t.true(Date.now() - started < 1000, "sleep(3600) ran on virtual time");
  },
);

test.serial("an example that opens real resources runs in a child, and fails if it leaves them open", async (t) => {
  const [leaky, closed] = selfChecks.slice(3);
  t.true(leaky.realLoop && closed.realLoop);
  t.regex((await execute(leaky)) ?? "", /finished but left resources open \(.*TCPServerWrap/);
  t.is(await execute(closed), undefined);
});

for (const file of [...new Set(examples.map((e) => e.file))]) {
  test.serial(file, async (t) => {
    const failures: string[] = [];
    for (const ex of examples.filter((e) => e.file === file)) {
      const key = `${ex.file}:${ex.line}`;
      const error = await execute(ex);
      results.set(ex, error);
      if (error !== undefined) updated[key] = error.slice(0, 300);
      if (error !== undefined && !(key in pending)) failures.push(`${key}: ${error}`);
      if (error === undefined && key in pending)
        failures.push(`${key} now passes: remove it from test/docs/examples-pending.json`);
    }
    t.deepEqual(failures, []);
  });
}

test.after.always("write the pending list when asked", () => {
  if (process.env.UPDATE_EXAMPLES_PENDING) {
    const sorted = Object.fromEntries(
      Object.entries(updated).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })),
    );
    fs.writeFileSync(PENDING_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  }
});

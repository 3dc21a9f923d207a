// `migrate` under bad input and file-system faults (issue #18 items 8, 10, 11): a file that cannot be analysed or
// read is reported and skipped, the rest processed; errors exit 2 with one line per path; the report and the
// summary are always written; `--write` writes all files or none, keeps bytes, line endings, owner and mode, and
// never overwrites a file changed since it was read. Faults a root user would not see (permissions) are injected
// through `main`'s io.fs.
import test from "ava";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BIN, CONVERTIBLE, errno, LIB, project, read, report, run } from "./cli-harness.js";

const isRoot = process.getuid?.() === 0;
const converted = /__asyncioDual|async function size/;
/**
 * Root reads and writes any file through its capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so as root the
 * real-permission tests run the CLI in a process without them (setpriv drops them from its bounding set): file
 * modes then apply to it as to anyone. Where setpriv cannot do that the tests are skipped, and counted so; the
 * injected tests cover the same paths either way.
 */
const dropOverride = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"];
const canDrop =
  isRoot && spawnSync(dropOverride[0]!, [...dropOverride.slice(1), process.execPath, BIN, "--version"]).status === 0;
const realPermissions = !isRoot || canDrop ? test : test.skip;

/** `migrate …args --assume none` in dir: in-process, or as root in a process without the override capabilities. */
async function runReal(dir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  if (!isRoot) return run(dir, args);
  const r = spawnSync(
    dropOverride[0]!,
    [...dropOverride.slice(1), process.execPath, BIN, "migrate", ...args, "--assume", "none"],
    { cwd: dir, encoding: "utf8" },
  );
  return { code: r.status, stderr: r.stderr };
}

test("a file nested too deeply to analyse is reported and skipped; the others are converted (also with --jobs 2 and err-first)", async (t) => {
  const files = {
    // `node --check` accepts both. Whether the 1,500-deep array overflows depends on how far the JIT has
    // optimised the parser (smaller frames): it is either converted or reported, never a crash. The
    // 30,000-term concatenation always overflows TypeScript's recursive parser.
    "lib/deep.js": `var a = ${"[".repeat(1500)}${"]".repeat(1500)};\n${CONVERTIBLE}`,
    "lib/cat.js": `var s = ${Array.from({ length: 30000 }, (_, i) => `"a${i}"`).join(" + ")};\n`,
    "lib/ok.js": CONVERTIBLE,
  };
  for (const extra of [[], ["--jobs", "2"], ["--assume", "err-first"]]) {
    const dir = project(files);
    const r = await run(dir, ["lib", "--write", "--report", "r.json", ...extra], {
      machine: { cores: 2, freeMemory: 2 ** 40 },
    });
    t.is(r.code, 2, `${extra}: ${r.stderr}`);
    t.regex(
      r.stderr,
      /^asyncio-ts: lib\/cat\.js: nested too deeply to analyse .*; left untouched \(RangeError: Maximum call stack size exceeded\)$/m,
    );
    t.regex(read(dir, "lib/ok.js"), converted, `${extra}`);
    t.is(read(dir, "lib/cat.js"), files["lib/cat.js"]);
    const rep = report(dir);
    const codes = rep.files.map((f: { file: string; error?: { code: string } }) => [f.file, f.error?.code]);
    t.deepEqual(codes[0], ["lib/cat.js", "TOO_DEEPLY_NESTED"]);
    t.deepEqual(codes[2], ["lib/ok.js", undefined]);
    if (codes[1][1] === undefined) t.regex(read(dir, "lib/deep.js"), converted, "analysed: converted");
    else {
      t.deepEqual(codes[1], ["lib/deep.js", "TOO_DEEPLY_NESTED"]);
      t.is(read(dir, "lib/deep.js"), files["lib/deep.js"], "reported: untouched");
    }
    t.regex(r.stderr, /^asyncio-ts migrate: 3 files, [12] changed, .*, [12] failed \(TOO_DEEPLY_NESTED [12]\) in /m);
  }
});

test("an unreadable file: one line, exit 2, the others written, report and summary written (injected EACCES)", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "lib/b.js": CONVERTIBLE });
  const b = path.join(dir, "lib/b.js");
  const r = await run(dir, ["lib", "--write", "--report", "r.json"], {
    fs: {
      readFileSync: ((p: fs.PathOrFileDescriptor, o?: unknown) => {
        if (p === b) throw errno("EACCES", "open", b);
        return fs.readFileSync(p, o as never);
      }) as typeof fs.readFileSync,
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: lib\/b\.js: could not be read; left untouched \(EACCES: injected failure\)$/m);
  t.regex(read(dir, "lib/a.js"), converted);
  t.is(read(dir, "lib/b.js"), CONVERTIBLE);
  t.deepEqual(report(dir).files[1], {
    file: "lib/b.js",
    changed: false,
    sites: [],
    error: { code: "READ_FAILED", message: "EACCES: injected failure" },
  });
  t.regex(r.stderr, /^asyncio-ts migrate: 2 files, 1 changed, .*1 failed \(READ_FAILED 1\)/m);
  t.notRegex(r.stderr, /\n\s+at /, "no stack");
});

realPermissions("an unreadable file and directory, for real (chmod 000)", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "lib/b.js": CONVERTIBLE, "lib/sub/c.js": CONVERTIBLE });
  fs.chmodSync(path.join(dir, "lib/b.js"), 0);
  fs.chmodSync(path.join(dir, "lib/sub"), 0);
  try {
    const r = await runReal(dir, ["lib", "--write", "--report", "r.json"]);
    t.is(r.code, 2);
    t.regex(r.stderr, /^asyncio-ts: lib\/b\.js: could not be read; left untouched \(EACCES/m);
    t.regex(r.stderr, /^asyncio-ts: lib\/sub: EACCES/m);
    t.regex(read(dir, "lib/a.js"), converted);
  } finally {
    fs.chmodSync(path.join(dir, "lib/sub"), 0o755);
  }
});

test("an unreadable directory: one line, exit 2, the other files processed (injected)", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "lib/sub/c.js": CONVERTIBLE });
  const sub = path.join(dir, "lib/sub");
  const r = await run(dir, ["lib", "--write", "--report", "r.json"], {
    fs: {
      readdirSync: ((p: fs.PathLike, o?: unknown) => {
        if (p === sub) throw errno("EACCES", "scandir", sub);
        return fs.readdirSync(p, o as never);
      }) as typeof fs.readdirSync,
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: lib\/sub: EACCES: injected failure$/m);
  t.regex(read(dir, "lib/a.js"), converted);
  t.deepEqual(
    report(dir).files.map((f: { file: string }) => f.file),
    ["lib/a.js"],
  );
});

test("a read-only directory: checked before the first write, so nothing is written; one line per path", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "ro/b.js": CONVERTIBLE, "ro/c.js": CONVERTIBLE });
  const ro = path.join(dir, "ro");
  const r = await run(dir, [".", "--write", "--report", "r.json"], {
    fs: {
      openSync: ((p: fs.PathLike, ...rest: unknown[]) => {
        if (path.dirname(String(p)) === ro && String(p).endsWith(".tmp")) throw errno("EACCES", "open", String(p));
        return fs.openSync(p, ...(rest as [never]));
      }) as typeof fs.openSync,
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: ro\/b\.js: could not be written; left as it was \(EACCES: injected failure\)$/m);
  t.regex(r.stderr, /^asyncio-ts: ro\/c\.js: could not be written/m);
  t.regex(r.stderr, /^asyncio-ts: nothing written: 2 files could not be written$/m);
  t.is(read(dir, "lib/a.js"), CONVERTIBLE, "not written either: a --write run writes all its files or none");
  t.deepEqual(
    report(dir).files.map((f: { file: string; error?: { code: string } }) => [f.file, f.error?.code]),
    [
      ["lib/a.js", "NOT_WRITTEN"],
      ["ro/b.js", "WRITE_FAILED"],
      ["ro/c.js", "WRITE_FAILED"],
    ],
  );
  t.deepEqual(fs.readdirSync(path.join(dir, "lib")), ["a.js"], "its temp file removed");
  t.regex(r.stderr, /^asyncio-ts migrate: 3 files, 0 changed/m);
});

realPermissions("a read-only directory, for real (chmod 555)", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "ro/b.js": CONVERTIBLE });
  fs.chmodSync(path.join(dir, "ro"), 0o555);
  try {
    const r = await runReal(dir, [".", "--write"]);
    t.is(r.code, 2);
    t.regex(r.stderr, /^asyncio-ts: ro\/b\.js: could not be written; left as it was \(EACCES/m);
    t.is(read(dir, "lib/a.js"), CONVERTIBLE);
  } finally {
    fs.chmodSync(path.join(dir, "ro"), 0o755);
  }
});

test("a bad --report path is bad usage before any work; a report that fails at the end still gets the summary", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE });
  const missing = await run(dir, ["lib", "--write", "--report", "no/such/dir/r.json"]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^asyncio-ts: --report no\/such\/dir\/r\.json: ENOENT/m);
  t.is(read(dir, "lib/a.js"), CONVERTIBLE, "nothing written");
  const isDir = await run(dir, ["lib", "--report", "lib"]);
  t.is(isDir.code, 2);
  t.regex(isDir.stderr, /--report lib: is a directory/);
  const late = await run(dir, ["lib", "--write", "--report", "r.json"], {
    fs: {
      writeFileSync: ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (String(p).endsWith("r.json")) throw errno("ENOSPC", "open", String(p));
        return fs.writeFileSync(p, ...(rest as [never]));
      }) as typeof fs.writeFileSync,
    },
  });
  t.is(late.code, 2);
  t.regex(late.stderr, /^asyncio-ts: --report r\.json: ENOSPC: injected failure$/m);
  t.regex(late.stderr, /^asyncio-ts migrate: 1 files, 1 changed/m);
  t.regex(read(dir, "lib/a.js"), converted);
});

test("a file that is not valid UTF-8 is refused (NOT_UTF8) and left byte for byte; a UTF-8 BOM is kept", async (t) => {
  const latin1 = Buffer.concat([Buffer.from("// caf"), Buffer.from([0xe9]), Buffer.from(`\n${CONVERTIBLE}`)]);
  const utf16 = Buffer.from(`\ufeff${CONVERTIBLE}`, "utf16le");
  const bom = Buffer.from(`\ufeff// café\n${CONVERTIBLE}`, "utf8");
  const dir = project({ "lib/latin1.js": latin1, "lib/utf16.js": utf16, "lib/bom.js": bom });
  const r = await run(dir, ["lib", "--write", "--report", "r.json"]);
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: lib\/latin1\.js: not valid UTF-8 .*; left untouched \(invalid UTF-8 at byte 6\)$/m);
  t.regex(r.stderr, /^asyncio-ts: lib\/utf16\.js: not valid UTF-8 .*\(starts with a UTF-16 byte order mark\)$/m);
  t.true(fs.readFileSync(path.join(dir, "lib/latin1.js")).equals(latin1));
  t.true(fs.readFileSync(path.join(dir, "lib/utf16.js")).equals(utf16));
  const out = fs.readFileSync(path.join(dir, "lib/bom.js"));
  t.deepEqual([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf], "BOM kept");
  t.regex(out.toString("utf8"), /^\ufeff\/\/ café\n[\s\S]*__asyncioDual/);
  t.deepEqual(report(dir).summary.filesFailedByCode, { NOT_UTF8: 2 });
});

test("a CRLF file keeps CRLF line endings, in the edits too", async (t) => {
  const crlf = LIB.replace(/\n/g, "\r\n");
  const dir = project({ "a.js": crlf });
  const r = await run(dir, ["a.js", "--write"]);
  t.is(r.code, 0, r.stderr);
  const out = read(dir, "a.js");
  t.regex(out, converted);
  t.notRegex(out, /(?<!\r)\n/, "no bare LF");
  // The untouched function is byte for byte what it was.
  t.true(out.includes(crlf.slice(crlf.indexOf("function zalgo"), crlf.indexOf("module.exports"))));
  const again = await run(dir, ["a.js", "--write"]);
  t.regex(again.stderr, /0 changed/, "a second run changes nothing");
});

test("--write keeps the mode (also bits the umask would drop) and the owner", async (t) => {
  const dir = project({ "a.js": CONVERTIBLE, "b.js": CONVERTIBLE, "c.js": CONVERTIBLE });
  fs.chmodSync(path.join(dir, "a.js"), 0o666);
  if (isRoot) {
    fs.chownSync(path.join(dir, "b.js"), 4321, 4322);
    fs.chownSync(path.join(dir, "c.js"), 4321, 4322);
  }
  fs.chmodSync(path.join(dir, "c.js"), 0o6755); // set-user-ID and set-group-ID: a chown would clear them
  const r = await run(dir, [".", "--write"]);
  t.is(r.code, 0, r.stderr);
  t.regex(read(dir, "a.js"), converted);
  t.is(fs.statSync(path.join(dir, "a.js")).mode & 0o7777, 0o666);
  t.is(fs.statSync(path.join(dir, "c.js")).mode & 0o7777, 0o6755);
  t.regex(read(dir, "c.js"), converted);
  if (isRoot) {
    const st = fs.statSync(path.join(dir, "b.js"));
    t.deepEqual([st.uid, st.gid], [4321, 4322], "owner kept");
    t.regex(read(dir, "b.js"), converted);
  }
});

test("a file changed on disk after it was read is not overwritten (CHANGED_SINCE_READ), nor anything else", async (t) => {
  const dir = project({ "a.js": CONVERTIBLE, "b.js": CONVERTIBLE });
  const edited = `${CONVERTIBLE}// the user's edit\n`;
  const r = await run(dir, [".", "--write", "--report", "r.json"], {
    hooks: {
      beforeCheck: (file) => {
        if (file.endsWith("b.js")) fs.writeFileSync(file, edited);
      },
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: b\.js: changed on disk after it was read; not overwritten/m);
  t.is(read(dir, "b.js"), edited, "the edit is kept");
  t.is(read(dir, "a.js"), CONVERTIBLE);
  t.deepEqual(
    report(dir).files.map((f: { error?: { code: string } }) => f.error?.code),
    ["NOT_WRITTEN", "CHANGED_SINCE_READ"],
  );
});

test("a file changed while the other files' temp files were written is not overwritten either (checked again before its rename)", async (t) => {
  const dir = project({ "a.js": CONVERTIBLE, "b.js": CONVERTIBLE });
  const edited = `${CONVERTIBLE}// the user's late edit\n`;
  const r = await run(dir, [".", "--write", "--report", "r.json"], {
    hooks: {
      beforeCommit: (file) => {
        if (file.endsWith("b.js")) fs.writeFileSync(file, edited);
      },
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: b\.js: changed on disk after it was read; not overwritten/m);
  t.is(read(dir, "b.js"), edited, "the edit is kept");
  t.regex(read(dir, "a.js"), converted, "the renames are past all or none: a.js is converted");
  t.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    [],
    "b.js's temp file is removed",
  );
  t.deepEqual(
    report(dir).files.map((f: { error?: { code: string } }) => f.error?.code),
    [undefined, "CHANGED_SINCE_READ"],
  );
});

test("a rename that fails after every temp file was ready: that file reported, its temp file removed, the others written", async (t) => {
  const dir = project({ "a.js": CONVERTIBLE, "b.js": CONVERTIBLE });
  const r = await run(dir, [".", "--write", "--report", "r.json"], {
    fs: {
      renameSync: (from: fs.PathLike, to: fs.PathLike) => {
        if (String(to).endsWith("b.js")) throw errno("EIO", "rename", String(from));
        fs.renameSync(from, to);
      },
    },
  });
  t.is(r.code, 2);
  t.regex(r.stderr, /^asyncio-ts: b\.js: could not be written; left as it was \(EIO: injected failure\)$/m);
  t.regex(r.stderr, /^asyncio-ts: 1 written: 1 file could not be written$/m);
  t.regex(read(dir, "a.js"), converted);
  t.is(read(dir, "b.js"), CONVERTIBLE);
  t.deepEqual(fs.readdirSync(dir).sort(), ["a.js", "b.js", "r.json"], "no temp file left");
});

test("an owner that cannot be given to a new file (not root): the file is rewritten in place, owner kept (injected EPERM)", async (t) => {
  if (!isRoot) {
    t.pass("skipped unless root: only root can make a test file owned by someone else");
    return;
  }
  const dir = project({ "a.js": CONVERTIBLE });
  const a = path.join(dir, "a.js");
  fs.chownSync(a, 4321, 4322);
  const before = fs.statSync(a);
  const r = await run(dir, ["a.js", "--write"], {
    fs: {
      fchownSync: () => {
        throw errno("EPERM", "fchown", "");
      },
    },
  });
  t.is(r.code, 0, r.stderr);
  const after = fs.statSync(a);
  t.is(after.ino, before.ino, "in place");
  t.deepEqual([after.uid, after.gid], [4321, 4322]);
  t.regex(read(dir, "a.js"), converted);
  t.deepEqual(fs.readdirSync(dir), ["a.js"], "the temp file is removed");
});

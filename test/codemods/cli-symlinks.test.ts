// `migrate` and symbolic links (issue #18 item 9): a cycle ends, a file reached by several paths is processed
// once (by its real path), links out of the tree are not followed unless asked, and `--write` writes through a
// link to its target and keeps symbolic and hard links.
import test from "ava";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONVERTIBLE, project, read, report, run } from "./cli-harness.js";

const filesOf = (dir: string) => report(dir).files.map((f: { file: string }) => f.file);

test("a directory link that makes a cycle: the walk ends, each file once", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "lib/sub/b.js": CONVERTIBLE });
  fs.symlinkSync("..", path.join(dir, "lib/sub/up")); // lib/sub/up -> lib
  fs.symlinkSync(".", path.join(dir, "lib/self")); // lib/self -> lib
  const r = await run(dir, ["lib", "--report", "r.json", "--no-diff"]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(filesOf(dir), ["lib/a.js", "lib/sub/b.js"]);
  // Followed on request, each directory is still walked once.
  const f = await run(dir, ["lib", "--report", "r.json", "--no-diff", "--follow-symlinks"]);
  t.is(f.code, 0, f.stderr);
  t.deepEqual(filesOf(dir), ["lib/a.js", "lib/sub/b.js"]);
});

test("a file reached through several links and arguments is processed once, by its real path", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE });
  fs.symlinkSync("a.js", path.join(dir, "lib/alias.js"));
  fs.symlinkSync("alias.js", path.join(dir, "lib/alias2.js"));
  fs.symlinkSync(".", path.join(dir, "lib/again"));
  fs.symlinkSync("lib", path.join(dir, "lib2"));
  const r = await run(dir, ["lib", "lib2", "lib/alias.js", "lib2/again/alias2.js", "--report", "r.json"]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(filesOf(dir), ["lib/a.js"]);
  t.is(report(dir).summary.converted, 1);
  t.is(r.stdout.match(/^--- a\//gm)?.length, 1, "one diff");
});

test("links out of the tree are not followed unless --follow-symlinks (then they are)", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "outside/x.js": CONVERTIBLE, "outside/d/y.js": CONVERTIBLE });
  fs.symlinkSync("../outside/x.js", path.join(dir, "lib/x.js"));
  fs.symlinkSync("../outside/d", path.join(dir, "lib/d"));
  const r = await run(dir, ["lib", "--report", "r.json", "--write"]);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(filesOf(dir), ["lib/a.js"]);
  t.regex(r.stderr, /^asyncio-ts: lib\/x\.js: a link to a file out of the tree; skipped \(--follow-symlinks\)$/m);
  t.regex(r.stderr, /^asyncio-ts: lib\/d: a link to a directory out of the tree; not followed/m);
  t.is(read(dir, "outside/x.js"), CONVERTIBLE, "nothing out of the tree written");
  // --quiet hides these notes.
  t.notRegex((await run(dir, ["lib", "--quiet", "--no-diff"])).stderr, /out of the tree/);
  // Named on the command line, a link is followed: the user asked for that file.
  const named = await run(dir, ["lib/x.js", "--report", "r.json", "--no-diff"]);
  t.deepEqual(filesOf(dir), ["outside/x.js"], named.stderr);
  const f = await run(dir, ["lib", "--report", "r.json", "--follow-symlinks", "--no-diff"]);
  t.is(f.code, 0, f.stderr);
  t.deepEqual(filesOf(dir), ["lib/a.js", "outside/d/y.js", "outside/x.js"]);
});

test("--write through a symbolic link converts the target and keeps the link", async (t) => {
  const dir = project({ "lib/real/a.js": CONVERTIBLE });
  fs.symlinkSync("real/a.js", path.join(dir, "lib/a.js"));
  const r = await run(dir, ["lib/a.js", "--write"]);
  t.is(r.code, 0, r.stderr);
  t.true(fs.lstatSync(path.join(dir, "lib/a.js")).isSymbolicLink(), "still a link");
  t.is(fs.readlinkSync(path.join(dir, "lib/a.js")), "real/a.js");
  t.not(read(dir, "lib/real/a.js"), CONVERTIBLE, "the target is converted");
  t.regex(read(dir, "lib/real/a.js"), /__asyncioDual/);
});

test("--write keeps hard links: a file with several links is rewritten in place", async (t) => {
  const dir = project({ "lib/a.js": CONVERTIBLE, "lib/b.js": CONVERTIBLE, "other/keep": "" });
  fs.linkSync(path.join(dir, "lib/a.js"), path.join(dir, "other/a-link.js"));
  const before = fs.statSync(path.join(dir, "lib/a.js"));
  const bBefore = fs.statSync(path.join(dir, "lib/b.js"));
  const r = await run(dir, ["lib", "--write"]);
  t.is(r.code, 0, r.stderr);
  const after = fs.statSync(path.join(dir, "lib/a.js"));
  t.is(after.ino, before.ino, "same inode");
  t.is(after.nlink, 2);
  t.is(read(dir, "other/a-link.js"), read(dir, "lib/a.js"), "both names see the converted text");
  t.regex(read(dir, "lib/a.js"), /__asyncioDual/);
  t.not(fs.statSync(path.join(dir, "lib/b.js")).ino, bBefore.ino, "a file with one link: temp file + rename");
  t.deepEqual(fs.readdirSync(path.join(dir, "lib")).sort(), ["a.js", "b.js"], "no temp file left");
});

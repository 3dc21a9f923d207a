// TreeSnapshot (codemods/tree-snapshot.ts), what `--verify` uses to start every test run from the same tree:
// after any sequence of what a test suite does to its fixtures (write, append, delete, rename, mkdir, rm -r,
// chmod, symlink), restore() gives back the tree as taken (kinds, bytes, modes, modification times to the
// millisecond), reports exactly the paths it touched, and leaves node_modules alone.
import test from "ava";
import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TreeSnapshot } from "../../codemods/tree-snapshot.js";

/** Every path under root but node_modules: kind, mode, bytes or link target, mtime in whole ms. */
function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (name === "node_modules") continue;
      const abs = path.join(root, r);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
        visit(r);
      } else out[r] = `file ${(st.mode & 0o777).toString(8)} ${Math.floor(st.mtimeMs)} ${fs.readFileSync(abs, "utf8")}`;
    }
  };
  visit("");
  return out;
}

function fixtureTree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-snapshot-"));
  fs.mkdirSync(path.join(root, "test/a-folder/another-folder"), { recursive: true });
  fs.writeFileSync(path.join(root, "test/a-file"), "sonic");
  fs.writeFileSync(path.join(root, "test/a-folder/another-file"), "tails");
  fs.writeFileSync(path.join(root, "test/a-folder/another-folder/file3"), "knuckles");
  fs.symlinkSync("a-file", path.join(root, "test/link"));
  fs.mkdirSync(path.join(root, "node_modules/dep"), { recursive: true });
  fs.writeFileSync(path.join(root, "node_modules/dep/index.js"), "");
  // Times in the past, with a fraction of a millisecond, as a file system keeps them.
  for (const f of ["test/a-file", "test/a-folder/another-file", "test/a-folder/another-folder/file3"])
    fs.utimesSync(path.join(root, f), 1_600_000_000.1234, 1_600_000_000.1234);
  return root;
}

const NAMES = [
  "test/a-file",
  "test/a-folder",
  "test/a-folder/another-file",
  "test/a-folder/another-folder",
  "test/new",
  "test/link",
  "x",
];
const name = fc.constantFrom(...NAMES);
/** What a test does to its fixtures; an operation that fails (ENOENT, EEXIST, ...) is just skipped. */
const op = fc.oneof(
  fc.record({ k: fc.constant("write" as const), p: name, text: fc.string({ maxLength: 8 }) }),
  fc.record({ k: fc.constant("append" as const), p: name }),
  fc.record({ k: fc.constant("rm" as const), p: name }),
  fc.record({ k: fc.constant("rename" as const), p: name, to: name }),
  fc.record({ k: fc.constant("mkdir" as const), p: name }),
  fc.record({ k: fc.constant("chmod" as const), p: name }),
  fc.record({ k: fc.constant("symlink" as const), p: name }),
  fc.record({ k: fc.constant("touch" as const), p: name }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function apply(root: string, o: Op): void {
  const abs = path.join(root, o.p);
  try {
    if (o.k === "write") fs.writeFileSync(abs, o.text);
    else if (o.k === "append") fs.appendFileSync(abs, "+");
    else if (o.k === "rm") fs.rmSync(abs, { recursive: true });
    else if (o.k === "rename") fs.renameSync(abs, path.join(root, o.to));
    else if (o.k === "mkdir") fs.mkdirSync(abs, { recursive: true });
    else if (o.k === "chmod") fs.chmodSync(abs, 0o700);
    else if (o.k === "symlink") fs.symlinkSync("elsewhere", abs);
    else fs.utimesSync(abs, new Date(), new Date());
  } catch {
    // the operation does not apply to the tree as it is now
  }
}

test("restore() gives back the tree as taken after any fixture moves, and names what it touched", (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 8 }), (ops) => {
      const root = fixtureTree();
      try {
        const before = listing(root);
        const snap = TreeSnapshot.take(root);
        if (typeof snap === "string") throw new Error(snap);
        for (const o of ops) apply(root, o);
        const changedPaths = new Set(
          [...Object.keys(before), ...Object.keys(listing(root))].filter((p) => before[p] !== listing(root)[p]),
        );
        fs.writeFileSync(path.join(root, "node_modules/dep/index.js"), "changed");
        const touched = snap.restore();
        t.deepEqual(listing(root), before);
        // Every path that differed is reported (a folder's removal may report it alone, not what it held).
        for (const p of changedPaths)
          if (!touched.some((q) => p === q || p.startsWith(`${q}/`))) throw new Error(`${p} changed but not reported`);
        t.is(fs.readFileSync(path.join(root, "node_modules/dep/index.js"), "utf8"), "changed");
        t.deepEqual(snap.restore(), [], "a second restore has nothing to do");
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }),
    { numRuns: 150 },
  );
});

test("update() makes a restore put back the file as written since, not as taken", (t) => {
  const root = fixtureTree();
  const snap = TreeSnapshot.take(root);
  if (typeof snap === "string") throw new Error(snap);
  const file = path.join(root, "test/a-file");
  fs.writeFileSync(file, "converted");
  snap.update(file);
  fs.writeFileSync(file, "a test wrote this");
  t.deepEqual(snap.restore(), ["test/a-file"]);
  t.is(fs.readFileSync(file, "utf8"), "converted");
  snap.update(path.join(os.tmpdir(), "elsewhere.js")); // outside the root: ignored
  t.deepEqual(snap.restore(), []);
  fs.rmSync(root, { recursive: true, force: true });
});

test("take() gives up with a reason past its limits", (t) => {
  const root = fixtureTree();
  t.regex(String(TreeSnapshot.take(root, { maxBytes: 10 })), /more than 10 bytes/);
  t.regex(String(TreeSnapshot.take(root, { maxEntries: 3 })), /more than 3 files and folders/);
  fs.rmSync(root, { recursive: true, force: true });
});

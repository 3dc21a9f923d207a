/**
 * The working tree a test run may change, and how to put it back. Many test suites move, write or delete
 * fixtures and leave them changed when a test fails half-way (mv's suite moves `test/a-folder` and moves it
 * back only on success); under `--verify` the next run would then fail for that reason alone and send the
 * bisection after an innocent conversion. So `--verify` takes a {@link TreeSnapshot} before its first run and
 * restores it after each run: the files and folders the run created are removed, those it changed or removed are
 * written back (content, mode and modification time).
 *
 * `node_modules` and `.git` folders are not part of it (installed, not the package's own; a test writing into
 * them is rare and restoring them would be slow). The files the migration writes are recorded again after each
 * write ({@link TreeSnapshot.update}), so that a restore puts back the migration's text, not the original.
 *
 * A file is written back when it is another file (inode), or its size, mode or modification time changed (a
 * rewrite in place with the same size within the file system's time resolution goes unseen).
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Folders skipped at any depth. */
const SKIPPED = new Set(["node_modules", ".git"]);

/** One entry of the tree; a file keeps its bytes. */
type Entry =
  | { kind: "dir"; mode: number }
  | { kind: "file"; mode: number; size: number; mtimeMs: number; ino: number; bytes: Buffer }
  | { kind: "link"; target: string };

/** Limits on what a snapshot holds: beyond them {@link TreeSnapshot.take} gives up (and says why). */
export interface SnapshotLimits {
  /** Total bytes of the files (default 128 MiB). */
  maxBytes: number;
  /** Number of entries (default 100,000). */
  maxEntries: number;
}

const DEFAULT_LIMITS: SnapshotLimits = { maxBytes: 128 * 2 ** 20, maxEntries: 100_000 };

/**
 * The files, folders and symbolic links under a root, as they were when taken.
 * @example
 * ```ts
 * import * as fs from "node:fs";
 * import * as os from "node:os";
 * import * as path from "node:path";
 * const root = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
 * fs.writeFileSync(path.join(root, "fixture"), "a");
 * const snap = TreeSnapshot.take(root);
 * if (typeof snap === "string") throw new Error(snap);
 * fs.renameSync(path.join(root, "fixture"), path.join(root, "moved"));
 * console.log(snap.restore()); // [ 'fixture', 'moved' ]
 * console.log(fs.readdirSync(root)); // [ 'fixture' ]
 * fs.rmSync(root, { recursive: true });
 * ```
 */
export class TreeSnapshot {
  private constructor(
    private readonly root: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  /**
   * Reads the tree under `root`, except `node_modules` and `.git` folders.
   * @returns the snapshot, or why none was taken (the tree exceeds `limits`).
   */
  static take(root: string, limits: Partial<SnapshotLimits> = {}): TreeSnapshot | string {
    const lim = { ...DEFAULT_LIMITS, ...limits };
    const abs = path.resolve(root);
    const entries = new Map<string, Entry>();
    let bytes = 0;
    for (const rel of walk(abs)) {
      const entry = entryOf(path.join(abs, rel));
      if (!entry) continue; // sockets, FIFOs: a run's own, nothing to put back
      if (entry.kind === "file" && (bytes += entry.size) > lim.maxBytes)
        return `its files hold more than ${lim.maxBytes} bytes`;
      entries.set(rel, entry);
      if (entries.size > lim.maxEntries) return `it has more than ${lim.maxEntries} files and folders`;
    }
    return new TreeSnapshot(abs, entries);
  }

  /** Records `file` (absolute) as it is now: what a restore puts back. A path outside the root is ignored. */
  update(file: string): void {
    const rel = path.relative(this.root, path.resolve(file));
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel) || rel.split(path.sep).some((s) => SKIPPED.has(s)))
      return;
    const entry = entryOf(path.join(this.root, rel));
    if (entry) this.entries.set(rel, entry);
    else this.entries.delete(rel);
  }

  /**
   * Makes the tree what it was when taken.
   * @returns the paths (relative to the root, sorted) that were removed, written back or recreated.
   */
  restore(): string[] {
    const changed = new Set<string>();
    // What is there now and should not be, or is of another kind: removed (a folder with what it holds).
    for (const rel of [...walk(this.root)].reverse()) {
      const abs = path.join(this.root, rel);
      const was = this.entries.get(rel);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue; // gone with its folder
      }
      const kind = st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
      if (was?.kind === kind && (kind !== "link" || fs.readlinkSync(abs) === (was as { target: string }).target))
        continue;
      fs.rmSync(abs, { recursive: true, force: true });
      changed.add(rel);
    }
    // What should be there: created or written back, parents first.
    for (const rel of [...this.entries.keys()].sort(byDepth)) {
      const was = this.entries.get(rel)!;
      const abs = path.join(this.root, rel);
      const st = lstatOrUndefined(abs);
      if (was.kind === "dir") {
        if (!st) fs.mkdirSync(abs);
        if (!st || (st.mode & 0o7777) !== (was.mode & 0o7777)) {
          fs.chmodSync(abs, was.mode & 0o7777);
          changed.add(rel);
        }
      } else if (was.kind === "link") {
        if (!st) {
          fs.symlinkSync(was.target, abs);
          changed.add(rel);
        }
      } else if (
        !st ||
        st.ino !== was.ino ||
        st.size !== was.size ||
        st.mtimeMs !== was.mtimeMs ||
        (st.mode & 0o7777) !== (was.mode & 0o7777)
      ) {
        fs.writeFileSync(abs, was.bytes);
        fs.chmodSync(abs, was.mode & 0o7777);
        fs.utimesSync(abs, was.mtimeMs / 1000, was.mtimeMs / 1000); // seconds: finer than a Date's milliseconds
        // The file system may round the time: the next comparison is against what it kept.
        const now = fs.lstatSync(abs);
        this.entries.set(rel, { ...was, mtimeMs: now.mtimeMs, ino: now.ino });
        changed.add(rel);
      }
    }
    return [...changed].sort();
  }
}

/** The entry for a path as it is now; undefined when it is absent or neither file, folder nor link. */
function entryOf(abs: string): Entry | undefined {
  const st = lstatOrUndefined(abs);
  if (!st) return undefined;
  if (st.isSymbolicLink()) return { kind: "link", target: fs.readlinkSync(abs) };
  if (st.isDirectory()) return { kind: "dir", mode: st.mode };
  if (st.isFile())
    return {
      kind: "file",
      mode: st.mode,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      bytes: fs.readFileSync(abs),
    };
  return undefined;
}

/** Parents before what they hold. */
function byDepth(a: string, b: string): number {
  return a.split(path.sep).length - b.split(path.sep).length || (a < b ? -1 : a > b ? 1 : 0);
}

function lstatOrUndefined(abs: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(abs);
  } catch {
    return undefined;
  }
}

/** Paths under `root`, relative, each folder before what it holds; symbolic links are not followed. */
function* walk(root: string): Generator<string> {
  const stack = [""];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
    } catch {
      continue; // removed meanwhile, or unreadable: nothing to take or restore there
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const sub: string[] = [];
    for (const d of names) {
      const rel = dir ? path.join(dir, d.name) : d.name;
      if (d.isDirectory() && SKIPPED.has(d.name)) continue;
      yield rel;
      if (d.isDirectory()) sub.push(rel);
    }
    for (let i = sub.length - 1; i >= 0; i--) stack.push(sub[i]!);
  }
}

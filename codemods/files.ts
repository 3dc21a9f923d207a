/**
 * Which files `migrate` works on: the source files below the directory arguments, the files named, and
 * the files globs match, each once by its real path, respecting .gitignore and `--include`/`--exclude`.
 *
 * Symbolic links: a link to a file is followed when its target is inside a directory argument (and is
 * then the same file as its target, processed once), or when the link itself is named on the command line;
 * links to directories are not descended (their files inside the tree are reached by their real paths).
 * `--follow-symlinks` follows every link, out of the tree too, each directory once (cycles end).
 * @module
 */
import * as path from "node:path";
import fg from "fast-glob";
import ignore, { type Ignore } from "ignore";
import { errnoMessage, type FsOps, type LeftoverTemp, leftoverTemps } from "./write.js";

const SOURCE_EXTS = ["js", "mjs", "cjs", "ts", "tsx", "mts", "cts"];

/** A source file name (not a declaration file). @internal */
export function isSourceFile(f: string): boolean {
  return SOURCE_EXTS.some((e) => f.endsWith("." + e)) && !/\.d\.[mc]?ts$/.test(f);
}

/** What {@link collectFiles} found. @internal */
export interface Collected {
  /** Absolute real paths, sorted, each once. */
  files: string[];
  /** Arguments that name nothing (no such path, or a glob that matches no file). */
  missing: string[];
  /** One line per path that could not be read (`path: message`), relative to the working directory. */
  errors: string[];
  /** Links not followed, one line each. */
  notes: string[];
  /** Temp files of an earlier, killed run in the directories looked at. */
  leftovers: LeftoverTemp[];
}

/** Options of {@link collectFiles}. @internal */
export interface CollectOptions {
  include?: string[];
  exclude?: string[];
  followSymlinks?: boolean;
  fs: FsOps;
}

/** Finds the files to migrate (see the module comment). `cwd` should be a real path. @internal */
export async function collectFiles(args: readonly string[], cwd: string, o: CollectOptions): Promise<Collected> {
  const { fs } = o;
  const out: Collected = { files: [], missing: [], errors: [], notes: [], leftovers: [] };
  const rel = (f: string) => path.relative(cwd, f).split(path.sep).join("/") || ".";
  const ig = ignore();
  ig.add(["node_modules/", ".git/"]);
  const gitignores = new Set<string>();
  const addGitignoreUpTo = (dir: string): void => {
    for (let d = dir; ; d = path.dirname(d)) {
      addGitignoreOf(fs, ig, gitignores, cwd, d, out.errors);
      if (fs.existsSync(path.join(d, ".git")) || path.dirname(d) === d) break;
    }
  };
  addGitignoreUpTo(cwd);
  const ignored = (f: string, dir: boolean): boolean => {
    const r = path.relative(cwd, f);
    return r !== "" && !r.startsWith("..") && ig.ignores(r.split(path.sep).join("/") + (dir ? "/" : ""));
  };
  const found = new Set<string>();
  const tempDirs = new Set<string>();
  const realOf = (p: string): string | undefined => {
    try {
      return fs.realpathSync(p);
    } catch {
      return undefined;
    }
  };

  // Resolve the arguments first: "inside the tree" means inside one of the directories named.
  const dirs: string[] = [];
  const named: string[] = [];
  const globs: string[] = [];
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    const real = realOf(abs);
    if (real === undefined) {
      if (fg.isDynamicPattern(arg)) globs.push(arg);
      else out.missing.push(arg);
      continue;
    }
    let st: ReturnType<FsOps["statSync"]>;
    try {
      st = fs.statSync(real);
    } catch (e) {
      out.errors.push(`${arg}: ${errnoMessage(e)}`);
      continue;
    }
    if (st.isDirectory()) dirs.push(real);
    else named.push(real);
  }
  const insideTree = (real: string): boolean => dirs.some((d) => real === d || real.startsWith(d + path.sep));

  const visited = new Set<string>();
  const walk = (root: string): void => {
    addGitignoreUpTo(root);
    const stack = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      if (visited.has(dir)) continue;
      visited.add(dir);
      tempDirs.add(dir);
      addGitignoreOf(fs, ig, gitignores, cwd, dir, out.errors);
      let entries: ReturnType<typeof readDir>;
      try {
        entries = readDir(fs, dir);
      } catch (e) {
        out.errors.push(`${rel(dir)}: ${errnoMessage(e)}`);
        continue;
      }
      for (const ent of entries) {
        if (ent.name.startsWith(".") || ent.name === "node_modules") continue;
        const full = path.join(dir, ent.name);
        if (ent.isSymbolicLink()) {
          const real = realOf(full);
          if (real === undefined) {
            out.notes.push(`${rel(full)}: a broken symbolic link; skipped`);
            continue;
          }
          let isDir: boolean;
          try {
            isDir = fs.statSync(real).isDirectory();
          } catch (e) {
            out.errors.push(`${rel(full)}: ${errnoMessage(e)}`);
            continue;
          }
          if (isDir) {
            if (o.followSymlinks) {
              if (!ignored(full, true)) stack.push(real);
            } else if (!insideTree(real))
              out.notes.push(`${rel(full)}: a link to a directory out of the tree; not followed (--follow-symlinks)`);
            continue;
          }
          if (!isSourceFile(real) || ignored(full, false)) continue;
          if (o.followSymlinks || insideTree(real)) found.add(real);
          else out.notes.push(`${rel(full)}: a link to a file out of the tree; skipped (--follow-symlinks)`);
        } else if (ent.isDirectory()) {
          if (!ignored(full, true)) stack.push(full);
        } else if (ent.isFile() && isSourceFile(full) && !ignored(full, false)) found.add(full);
      }
    }
  };
  for (const d of dirs) walk(d);
  for (const f of named) {
    tempDirs.add(path.dirname(f));
    if (isSourceFile(f) && !ignored(f, false)) found.add(f);
  }
  for (const g of globs) {
    // Never descends a linked directory (no cycles); a link to a file matched is its target.
    const matches = await fg(g, { cwd, absolute: true, dot: false, onlyFiles: false, followSymbolicLinks: false });
    let any = false;
    for (const m of matches) {
      const real = realOf(m);
      if (real === undefined || !isSourceFile(real) || ignored(m, false)) continue;
      try {
        if (!fs.statSync(real).isFile()) continue;
      } catch {
        continue;
      }
      any = true;
      tempDirs.add(path.dirname(m));
      found.add(real);
    }
    if (!any) out.missing.push(g);
  }
  for (const d of tempDirs) out.leftovers.push(...leftoverTemps(fs, d));

  let files = [...found].sort();
  const relOf = (f: string) => path.relative(cwd, f).split(path.sep).join("/");
  if (o.include?.length) {
    const inc = ignore().add(o.include);
    files = files.filter((f) => inc.ignores(relOf(f)));
  }
  if (o.exclude?.length) {
    const exc = ignore().add(o.exclude);
    files = files.filter((f) => !exc.ignores(relOf(f)));
  }
  out.files = files;
  return out;
}

function readDir(fs: FsOps, dir: string) {
  return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Adds the patterns of `dir/.gitignore` (once): those of a directory below cwd apply relative to it. */
function addGitignoreOf(fs: FsOps, ig: Ignore, seen: Set<string>, cwd: string, dir: string, errors: string[]): void {
  const f = path.join(dir, ".gitignore");
  if (seen.has(f)) return;
  seen.add(f);
  if (!fs.existsSync(f)) return;
  let lines: string[];
  try {
    lines = String(fs.readFileSync(f, "utf8")).split(/\r?\n/);
  } catch (e) {
    errors.push(`${path.relative(cwd, f) || f}: ${errnoMessage(e)}`);
    return;
  }
  const rel = path.relative(cwd, dir);
  if (rel && !rel.startsWith(".."))
    ig.add(lines.filter((l) => l.trim() && !l.startsWith("#")).map((l) => prefixPattern(rel, l)));
  else if (!rel) ig.add(lines);
}

function prefixPattern(dir: string, line: string): string {
  const d = dir.split(path.sep).join("/");
  const neg = line.startsWith("!");
  const body = neg ? line.slice(1) : line;
  const anchored = body.startsWith("/") || body.slice(0, -1).includes("/");
  const p = anchored ? `${d}/${body.replace(/^\//, "")}` : `${d}/**/${body}`;
  return (neg ? "!" : "") + p;
}

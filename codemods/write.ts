/**
 * Reading and writing the migrated files, byte for byte outside the edits: a file is read once as bytes
 * (refused when not UTF-8), and `--write` writes all changed files or none: every converted text first goes
 * to a temp file next to its file (fsynced, with the original's mode and owner); only when every temp file is
 * ready, and no file changed on disk since it was read, are they renamed over the originals. A file with
 * several hard links (or whose owner cannot be given to a new file) is rewritten in place instead, so the
 * links stay. The file-system calls go through {@link FsOps} so that tests can inject faults.
 * @module
 */
import * as nodeFs from "node:fs";
import * as path from "node:path";
import type { FileError } from "./file-errors.js";

/** What {@link writeChanged} needs of a migration result (the engine's FileResult). @internal */
export interface WriteResult {
  file: string;
  output: string;
  changed: boolean;
  parseErrors?: string[];
  error?: FileError;
}

/** The file-system calls the CLI makes (node:fs by default; tests replace some to inject faults). @internal */
export type FsOps = Pick<
  typeof nodeFs,
  | "readFileSync"
  | "writeFileSync"
  | "openSync"
  | "writeSync"
  | "fsyncSync"
  | "closeSync"
  | "ftruncateSync"
  | "fchmodSync"
  | "fchownSync"
  | "renameSync"
  | "rmSync"
  | "statSync"
  | "lstatSync"
  | "realpathSync"
  | "readdirSync"
  | "existsSync"
>;

/** node:fs itself, as {@link FsOps}. @internal */
export const nodeFsOps: FsOps = {
  readFileSync: nodeFs.readFileSync,
  writeFileSync: nodeFs.writeFileSync,
  openSync: nodeFs.openSync,
  writeSync: nodeFs.writeSync,
  fsyncSync: nodeFs.fsyncSync,
  closeSync: nodeFs.closeSync,
  ftruncateSync: nodeFs.ftruncateSync,
  fchmodSync: nodeFs.fchmodSync,
  fchownSync: nodeFs.fchownSync,
  renameSync: nodeFs.renameSync,
  rmSync: nodeFs.rmSync,
  statSync: nodeFs.statSync,
  lstatSync: nodeFs.lstatSync,
  realpathSync: nodeFs.realpathSync,
  readdirSync: nodeFs.readdirSync,
  existsSync: nodeFs.existsSync,
};

/** A source file as read: its text and what is needed to detect a change before writing it. @internal */
export interface SourceFile {
  /** Absolute real path. */
  file: string;
  text: string;
  /** The bytes read (compared again right before writing). */
  bytes: Buffer;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads a source file as UTF-8 (a byte order mark is kept as U+FEFF); a file-level error otherwise. @internal */
export function readSource(fs: FsOps, file: string): SourceFile | FileError {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { code: "READ_FAILED", message: errnoMessage(e) };
  }
  // UTF-16 text can be valid UTF-8 byte for byte (ASCII with NULs): its byte order mark says what it is.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)))
    return { code: "NOT_UTF8", message: "starts with a UTF-16 byte order mark" };
  try {
    return { file, text: UTF8.decode(bytes), bytes };
  } catch {
    return { code: "NOT_UTF8", message: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}` };
  }
}

/** The offset of the first byte that does not start a valid UTF-8 sequence (Unicode's well-formed table). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      UTF8.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return bytes.length;
}

/**
 * The message of a system error without its stack and without the absolute path Node appends (the caller
 * names the file): `EACCES: permission denied`. @internal
 */
export function errnoMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const line = e.message.split("\n")[0];
  const p = (e as NodeJS.ErrnoException).path;
  const suffix = p === undefined ? -1 : line.lastIndexOf(`, ${(e as NodeJS.ErrnoException).syscall} '${p}'`);
  return suffix > 0 ? line.slice(0, suffix) : line;
}

/** Temp files of this tool: `.<name>.asyncio-ts-<pid>-<ms>.tmp` (`.inplace.tmp` while a file is rewritten in place). */
const TEMP_NAME = /^\.(.+)\.asyncio-ts-(\d+)-\d+(\.inplace)?\.tmp$/;

function tempName(file: string, inPlace: boolean): string {
  const base = `.${path.basename(file)}.asyncio-ts-${process.pid}-${Date.now()}`;
  return path.join(path.dirname(file), `${base}${inPlace ? ".inplace" : ""}.tmp`);
}

/** A write prepared by {@link prepareWrite}: the temp file holds the new text, fsynced. @internal */
export interface PreparedWrite {
  file: string;
  temp: string;
  /** Rewrite the original in place (it has hard links, or its owner cannot be given to a new file). */
  inPlace: boolean;
  bytes: Buffer;
  /** The bytes the file was read with (checked again just before the rename). */
  original: Buffer;
}

/** Hooks for tests: called at the named moments of a write. @internal */
export interface WriteHooks {
  /** Right before a file is checked for changes since it was read (a test edits the file here). */
  beforeCheck?: (file: string) => void;
  /** Right before a prepared file is checked again and put in place. */
  beforeCommit?: (file: string) => void;
}

/**
 * Writes the new text to a temp file next to the source (mode and owner of the original, fsynced) after
 * checking that the source still has the bytes it was read with. @internal
 */
export function prepareWrite(
  fs: FsOps,
  source: SourceFile,
  text: string,
  hooks: WriteHooks = {},
): PreparedWrite | FileError {
  hooks.beforeCheck?.(source.file);
  let st: nodeFs.Stats;
  try {
    st = fs.statSync(source.file);
    if (!fs.readFileSync(source.file).equals(source.bytes))
      return { code: "CHANGED_SINCE_READ", message: "its contents differ from what was read" };
  } catch (e) {
    return { code: "WRITE_FAILED", message: errnoMessage(e) };
  }
  const bytes = Buffer.from(text, "utf8");
  const ownerKept = (fd: number): boolean => {
    if (typeof process.getuid !== "function") return true;
    if (st.uid === process.getuid() && st.gid === process.getgid?.()) return true;
    try {
      fs.fchownSync(fd, st.uid, st.gid);
      return true;
    } catch {
      return false; // not allowed to give the file away: rewrite the original in place instead
    }
  };
  let temp = tempName(source.file, st.nlink > 1);
  let inPlace = st.nlink > 1;
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, "wx", 0o600);
    writeAll(fs, fd, bytes);
    // Owner first: a chown clears the set-user-ID and set-group-ID bits, which the chmod then restores.
    const owned = inPlace || ownerKept(fd);
    fs.fchmodSync(fd, st.mode & 0o7777);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (!owned) {
      const renamed = tempName(source.file, true);
      fs.renameSync(temp, renamed);
      temp = renamed;
      inPlace = true;
    }
    return { file: source.file, temp, inPlace, bytes, original: source.bytes };
  } catch (e) {
    if (fd !== undefined) safely(() => fs.closeSync(fd!));
    safely(() => fs.rmSync(temp, { force: true }));
    return { code: "WRITE_FAILED", message: errnoMessage(e) };
  }
}

/** Puts a prepared write in place: renames the temp file over the original, or rewrites it in place. @internal */
export function commitWrite(fs: FsOps, w: PreparedWrite, hooks: WriteHooks = {}): FileError | undefined {
  // Until the original is touched, a failure leaves it as it was and the temp file can go.
  let touched = false;
  try {
    // Checked again right before: an edit made while the other files' temp files were written is kept.
    hooks.beforeCommit?.(w.file);
    if (!fs.readFileSync(w.file).equals(w.original)) {
      abandonWrite(fs, w);
      return { code: "CHANGED_SINCE_READ", message: "its contents differ from what was read" };
    }
    if (!w.inPlace) {
      fs.renameSync(w.temp, w.file);
      syncDirectory(fs, path.dirname(w.file));
      return undefined;
    }
    // The temp file keeps the full new text until the original is rewritten and synced.
    const fd = fs.openSync(w.file, "r+");
    try {
      touched = true;
      writeAll(fs, fd, w.bytes);
      fs.ftruncateSync(fd, w.bytes.length);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(w.temp, { force: true });
    return undefined;
  } catch (e) {
    if (!touched) abandonWrite(fs, w);
    const kept = touched ? `; its converted text is in ${path.basename(w.temp)}` : "";
    return { code: "WRITE_FAILED", message: errnoMessage(e) + kept };
  }
}

/** Removes a prepared write's temp file (another file could not be written). @internal */
export function abandonWrite(fs: FsOps, w: PreparedWrite): void {
  safely(() => fs.rmSync(w.temp, { force: true }));
}

/** Writes one file (prepare, then commit): what `--verify` uses for each tree it tests. @internal */
export function writeOne(fs: FsOps, source: SourceFile, text: string): FileError | undefined {
  const w = prepareWrite(fs, source, text);
  if ("code" in w) return w;
  const err = commitWrite(fs, w);
  if (!err) source.bytes = w.bytes;
  return err;
}

function writeAll(fs: FsOps, fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off, off);
}

/** fsync of the directory, so that the rename itself survives a crash (not possible on every platform). */
function syncDirectory(fs: FsOps, dir: string): void {
  safely(() => {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // best effort
  }
}

/** A temp file left by an earlier run that was killed. @internal */
export interface LeftoverTemp {
  temp: string;
  /** The file it was for. */
  file: string;
  /** An interrupted in-place rewrite: the file may be incomplete, the temp file has its converted text. */
  inPlace: boolean;
  /** A process with the pid in its name is running (another run, or a pid reused since): left alone, named. */
  running?: boolean;
}

/**
 * Temp files of this tool in a directory (not this run's): those whose process is gone (a run killed between
 * writing a temp file and renaming it), and those of a running process (`running`), which may be another run's
 * or, the pid reused, a killed run's. @internal
 */
export function leftoverTemps(fs: FsOps, dir: string): LeftoverTemp[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: LeftoverTemp[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || Number(m[2]) === process.pid) continue;
    const temp = { temp: path.join(dir, name), file: path.join(dir, m[1]), inPlace: m[3] !== undefined };
    out.push(processAlive(Number(m[2])) ? { ...temp, running: true } : temp);
  }
  return out;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `--write` without `--verify`: every changed file's temp file is written first (fsynced, mode and owner
 * kept, the file checked unchanged since it was read); only when all are ready are they put in place. If
 * one cannot be, nothing is written (its result gets the error, the others `NOT_WRITTEN`).
 * @internal
 */
export function writeChanged(
  fs: FsOps,
  sources: ReadonlyMap<string, SourceFile>,
  results: WriteResult[],
  hooks: WriteHooks | undefined,
): { written: number; failed: number } {
  const prepared: Array<{ r: WriteResult; w: PreparedWrite }> = [];
  let failed = 0;
  for (const r of results) {
    if (!r.changed || r.error || r.parseErrors) continue;
    const w = prepareWrite(fs, sources.get(r.file)!, r.output, hooks);
    if ("code" in w) {
      r.error = w;
      failed++;
    } else prepared.push({ r, w });
  }
  if (failed > 0) {
    for (const { r, w } of prepared) {
      abandonWrite(fs, w);
      r.error = { code: "NOT_WRITTEN", message: "see the files that could not be written" };
    }
    return { written: 0, failed };
  }
  let written = 0;
  for (const { r, w } of prepared) {
    const err = commitWrite(fs, w, hooks);
    if (err) {
      r.error = err;
      failed++;
    } else written++;
  }
  return { written, failed };
}

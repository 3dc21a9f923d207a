// Helpers of the CLI tests: temporary projects, in-memory stdout/stderr, and `main` with injected io.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { type CliIo, main } from "../../codemods/cli.js";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "bin/asyncio-ts.js");

/** A convertible function (`size`) and a ZALGO one (`zalgo`, refused under `--assume none`). */
export const LIB = `var fs = require('fs');

function size(p, cb) {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}

function zalgo(p, cb) {
  if (!p) return cb(new Error('no path'));
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}

module.exports = { size, zalgo };
`;

/** Only `size`: converted, nothing refused. */
export const CONVERTIBLE = LIB.replace(/function zalgo[\s\S]*?\n}\n\n/, "").replace("{ size, zalgo }", "{ size }");

export function sink(): { stream: Writable; text: () => string } {
  let buf = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

/** A {@link sink} that says it is a terminal (as the CLI and cli-progress test it), 100 columns wide. */
export function ttySink(): { stream: Writable; text: () => string } {
  const s = sink();
  Object.assign(s.stream, { isTTY: true, columns: 100 });
  return s;
}

/** A fresh directory with these files (the real path: tests compare paths). */
export function project(files: Record<string, string | Buffer>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-cli-")));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** `migrate …args` in dir (under `--assume none` unless an `--assume` is given), with extra io. */
export async function run(dir: string, args: string[], extra: Partial<CliIo> = {}) {
  const out = sink();
  const err = sink();
  const profile = args.some((a) => a.startsWith("--assume")) ? [] : ["--assume", "none"];
  const code = await main(["migrate", ...args, ...profile], {
    stdout: out.stream,
    stderr: err.stream,
    cwd: dir,
    ...extra,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

export const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), "utf8");
export const report = (dir: string, f = "r.json") => JSON.parse(read(dir, f));

/** A Node system error as fs throws it. */
export function errno(code: string, syscall: string, p: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: injected failure, ${syscall} '${p}'`);
  e.code = code;
  e.syscall = syscall;
  e.path = p;
  return e;
}

/**
 * Subprocesses (asyncio's `subprocess.py`): {@link createSubprocessExec}
 * and {@link createSubprocessShell} return a {@link Process} whose pipes
 * are this module's streams, over node:child_process.
 * @module
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { constants } from "node:os";
import type { Socket } from "node:net";
import { gather, getRunningLoop, type EventLoop, type Future } from "../../src/index.js";
import { BrokenPipeError, ConnectionResetError, ProcessLookupError, toOSError } from "./errors.js";
import { StreamReader, StreamReaderProtocol, StreamWriter } from "./streams.js";
import { Transport, type BytesLike } from "./transports.js";

/** Connect the standard stream to a new pipe (a stream of the {@link Process}). */
export const PIPE = -1;
/** Send standard error to wherever standard output goes (for `stderr` only). */
export const STDOUT = -2;
/** Connect the standard stream to /dev/null. */
export const DEVNULL = -3;

/** What each standard stream may be: PIPE, DEVNULL, STDOUT (stderr), a file descriptor, or undefined (inherited). */
export type StdioSpec = typeof PIPE | typeof DEVNULL | typeof STDOUT | number | undefined;

/** Options of {@link createSubprocessExec} and {@link createSubprocessShell}. */
export interface SubprocessOpts {
  /** The child's standard input (default: inherited). */
  stdin?: StdioSpec;
  /** The child's standard output (default: inherited). */
  stdout?: StdioSpec;
  /** The child's standard error (default: inherited); {@link STDOUT} merges it into stdout. */
  stderr?: StdioSpec;
  /** The buffer limit of the stdout/stderr readers (default 64 KiB). */
  limit?: number;
  /** The working directory. */
  cwd?: string;
  /** The environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Start the child in a new session (process group). */
  startNewSession?: boolean;
  /** The loop (default: the running loop). */
  loop?: EventLoop;
}

function stdio(spec: StdioSpec, which: "stdin" | "stdout" | "stderr"): "pipe" | "ignore" | "inherit" | number {
  if (spec === undefined) return "inherit";
  if (spec === PIPE) return "pipe";
  if (spec === DEVNULL) return "ignore";
  if (spec === STDOUT) {
    if (which !== "stderr") throw new RangeError("STDOUT can only be used for stderr");
    return "inherit"; // replaced by a redirection in the shell, see spawnChild
  }
  if (Number.isInteger(spec) && spec >= 0) return spec;
  throw new RangeError(`invalid ${which} value: ${spec}`);
}

/**
 * A child process (asyncio's `Process`). `stdin` is a {@link StreamWriter},
 * `stdout` and `stderr` are {@link StreamReader}s when they are PIPEs.
 *
 * Cancelling `wait()` or `communicate()` leaves the process running and its
 * streams usable, as in asyncio; no byte read before the cancellation is lost.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessExec("ls", ["-l"], { stdout: PIPE });
 * const [out] = await proc.communicate();
 * console.log(proc.returncode, out!.toString());
 * ```
 */
export class Process {
  /** The child's standard input, when it is a PIPE. */
  readonly stdin: StreamWriter | null;
  /** The child's standard output, when it is a PIPE. */
  readonly stdout: StreamReader | null;
  /** The child's standard error, when it is a PIPE. */
  readonly stderr: StreamReader | null;
  /** The process id. */
  readonly pid: number;
  /** @internal */ readonly _child: ChildProcess;
  /** @internal */ readonly _loop: EventLoop;
  /** @internal */ _returncode: number | null = null;
  /** @internal */ readonly _closed: Future<void>;

  /** @internal Made by createSubprocessExec / createSubprocessShell. */
  constructor(loop: EventLoop, child: ChildProcess, limit: number | undefined) {
    this._loop = loop;
    this._child = child;
    this.pid = child.pid ?? -1;
    this._closed = loop.createFuture<void>();
    this.stdout = child.stdout ? readerOver(loop, child.stdout as Socket, limit) : null;
    this.stderr = child.stderr ? readerOver(loop, child.stderr as Socket, limit) : null;
    this.stdin = child.stdin ? writerOver(loop, child.stdin as Socket) : null;
    child.on("exit", (code, signal) => {
      this._returncode = code ?? -(constants.signals[signal as keyof typeof constants.signals] ?? 0);
    });
    // asyncio wakes wait() once the process exited and its pipes are closed: Node's "close".
    child.on("close", (code, signal) => {
      this._returncode ??= code ?? -(constants.signals[signal as keyof typeof constants.signals] ?? 0);
      if (!loop.isClosed() && !this._closed.done()) this._closed.setResult();
    });
  }

  /** The exit status once the process has exited (`-N` if killed by signal N), else null. */
  get returncode(): number | null {
    return this._returncode;
  }

  /**
   * Waits for the process to exit and returns its exit status. Beware, as
   * in asyncio: with `stdout: PIPE` and nobody reading, the child may block
   * on a full pipe forever; use {@link communicate}.
   */
  async wait(): Promise<number> {
    if (!this._closed.done()) {
      // A cancellation of this await must not cancel the shared future.
      const w = this._loop.createFuture<void>();
      const wake = (): void => {
        if (!w.done()) w.setResult();
      };
      this._closed.addDoneCallback(wake);
      try {
        await w;
      } finally {
        this._closed.removeDoneCallback(wake);
      }
    }
    return this._returncode!;
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr until
   * EOF, waits for the exit, and returns `[stdout, stderr]` (null where not a PIPE).
   * A child that exits without reading its input is not an error.
   */
  async communicate(input?: BytesLike): Promise<[Buffer | null, Buffer | null]> {
    const loop = this._loop;
    const feed = this.stdin ? loop.createTask(() => feedStdin(this.stdin!, input)) : undefined;
    const out = this.stdout ? loop.createTask(() => this.stdout!.read()) : undefined;
    const err = this.stderr ? loop.createTask(() => this.stderr!.read()) : undefined;
    const tasks = [feed, out, err].filter((x) => x !== undefined) as Array<Future<unknown>>;
    await gather(...tasks);
    await this.wait();
    return [out ? (out.result() as Buffer) : null, err ? (err.result() as Buffer) : null];
  }

  /** Sends a signal (a name such as `"SIGINT"` or a number); `ProcessLookupError` once the process has exited. */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this._returncode !== null) throw new ProcessLookupError("the process has exited", { code: "ESRCH" });
    try {
      process.kill(this.pid, signal);
    } catch (e) {
      throw toOSError(e);
    }
  }

  /** Sends SIGTERM. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Sends SIGKILL. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }
}

async function feedStdin(stdin: StreamWriter, input: BytesLike | undefined): Promise<void> {
  try {
    if (input !== undefined && input.length > 0) {
      stdin.write(input);
      await stdin.drain();
    }
  } catch (e) {
    // As asyncio: the child may exit without reading its input.
    if (!(e instanceof BrokenPipeError || e instanceof ConnectionResetError)) throw e;
  }
  stdin.close();
  await stdin.waitClosed().catch((e) => {
    if (!(e instanceof BrokenPipeError || e instanceof ConnectionResetError)) throw e;
  });
}

function readerOver(loop: EventLoop, pipe: Socket, limit: number | undefined): StreamReader {
  const reader = new StreamReader({ limit, loop });
  const transport = new Transport(loop, pipe, new StreamReaderProtocol(reader, undefined, { loop }));
  transport._start();
  return reader;
}

function writerOver(loop: EventLoop, pipe: Socket): StreamWriter {
  const protocol = new StreamReaderProtocol(undefined, undefined, { loop });
  const transport = new Transport(loop, pipe, protocol);
  transport._start();
  return new StreamWriter(transport, protocol, undefined, loop);
}

async function spawnChild(
  file: string,
  args: string[],
  opts: SubprocessOpts,
  mergeStderr: "exec" | "shell" | undefined,
): Promise<Process> {
  const loop = opts.loop ?? getRunningLoop();
  const stdioOpts: StdioOptions = [
    stdio(opts.stdin, "stdin"),
    stdio(opts.stdout, "stdout"),
    stdio(opts.stderr, "stderr"),
  ];
  if (opts.stderr === STDOUT) {
    // Node cannot give the child's stdout pipe as its stderr: let a shell do
    // the dup2 (2>&1) and then exec the program, which keeps the pid.
    if (mergeStderr === "exec") {
      args = ["-c", 'exec 2>&1; exec "$0" "$@"', file, ...args];
      file = "/bin/sh";
    } else {
      args = ["-c", `exec 2>&1\n${args[1]}`];
    }
  }
  const child = spawn(file, args, {
    stdio: stdioOpts,
    cwd: opts.cwd,
    env: opts.env,
    detached: opts.startNewSession ?? false,
  });
  const ready = loop.createFuture<void>();
  child.once("spawn", () => ready.done() || ready.setResult());
  child.once("error", (e) => ready.done() || ready.setException(toOSError(e)));
  // The pipes get their readers now, synchronously: Node drains (and drops)
  // the output of a child that exits while nobody listens to its pipes.
  const proc = new Process(loop, child, opts.limit);
  await ready;
  return proc;
}

/**
 * Runs `program` with `args` (no shell) (asyncio's `create_subprocess_exec`).
 * A program that does not exist is a `FileNotFoundError`.
 *
 * @example
 * ```ts
 * const proc = await createSubprocessExec("python3", ["-c", "print(1)"], { stdout: PIPE, stderr: STDOUT });
 * const [out] = await proc.communicate();
 * ```
 */
export function createSubprocessExec(
  program: string,
  args: string[] = [],
  opts: SubprocessOpts = {},
): Promise<Process> {
  return spawnChild(program, args, opts, "exec");
}

/**
 * Runs `cmd` through `/bin/sh -c` (asyncio's `create_subprocess_shell`).
 *
 * @example
 * ```ts
 * const proc = await createSubprocessShell("echo $HOME | wc -c", { stdout: PIPE });
 * console.log((await proc.stdout!.read()).toString());
 * await proc.wait();
 * ```
 */
export function createSubprocessShell(cmd: string, opts: SubprocessOpts = {}): Promise<Process> {
  return spawnChild("/bin/sh", ["-c", cmd], opts, "shell");
}

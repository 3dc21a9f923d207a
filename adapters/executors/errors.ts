/**
 * Errors across a thread or process boundary: a worker encodes what its
 * function threw (class name, message, stack, `cause`, `errors`, simple
 * own properties); the loop's side rebuilds an Error of the same class name.
 * Structured clone alone keeps only the built-in classes and drops `cause`
 * on Node 20.
 * @module
 */

/**
 * The worker running a job died before finishing it (`process.exit`, an
 * out-of-memory kill, a signal, an uncaught error outside the job): the
 * job's Future fails with this error and a new worker replaces the dead
 * one. asyncio's closest relative is `BrokenProcessPool`, but here the
 * executor stays usable.
 *
 * @example
 * ```ts
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
 * const crashes = pureFunction(() => process.exit(3));
 * try { await pool.submit(crashes); } catch (e) { if (e instanceof WorkerCrashedError) console.log(e.exitCode); } // 3
 * ```
 */
export class WorkerCrashedError extends Error {
  /** Always `"WorkerCrashedError"`. */
  override name = "WorkerCrashedError";
  /** The worker's exit code, if it exited. */
  readonly exitCode: number | undefined;
  /** The signal that killed the worker process, if one did. */
  readonly signal: string | undefined;
  /**
   * A crash report.
   * @param message - what happened.
   * @param options - the exit code or signal, and the underlying error as `cause`.
   */
  constructor(message: string, options?: { exitCode?: number | null; signal?: string | null; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? undefined;
    this.signal = options?.signal ?? undefined;
  }
}

/**
 * The optional peer dependency an executor needs is not installed.
 *
 * @example
 * ```ts
 * // What the first job on a ThreadPoolExecutor fails with when piscina is not installed:
 * const e = new MissingPeerError("piscina", "5.3.2", new Error("Cannot find package 'piscina'"));
 * console.log(e.packageName); // "piscina"
 * ```
 */
export class MissingPeerError extends Error {
  /** Always `"MissingPeerError"`. */
  override name = "MissingPeerError";
  /**
   * The error for a missing `packageName`.
   * @param packageName - the npm package to install.
   * @param version - the version asyncio-ts is tested with.
   * @param cause - the import error.
   */
  constructor(
    /** The package to install. */
    readonly packageName: string,
    version: string,
    cause: unknown,
  ) {
    super(
      `asyncio-ts/executors needs the optional peer dependency "${packageName}" for this executor: npm install ${packageName}@${version}`,
      { cause },
    );
  }
}

const MARK = "__asyncioTsError";

/** @internal An error as it crosses to the loop's side. */
export interface EncodedError {
  [MARK]: 1;
  name: string;
  message: string;
  stack: string | undefined;
  cause?: unknown;
  errors?: unknown[];
  props?: Record<string, string | number | boolean | null>;
}

/** @internal A thrown value that is not an Error, as it crosses. */
interface EncodedValue {
  [MARK]: 2;
  value: unknown;
}

/** @internal Worker side: makes what was thrown cloneable, keeping what matters. */
export function encodeError(e: unknown, depth = 0): EncodedError | EncodedValue {
  if (!(e instanceof Error)) {
    try {
      return { [MARK]: 2, value: structuredClone(e) };
    } catch {
      return { [MARK]: 2, value: String(e) };
    }
  }
  const out: EncodedError = {
    [MARK]: 1,
    name: e.constructor?.name && e.constructor.name !== "Error" ? e.constructor.name : e.name,
    message: e.message,
    stack: e.stack,
  };
  if (e.name !== out.name && typeof e.name === "string") (out.props ??= {}).name = e.name;
  if (depth < 8) {
    if ("cause" in e) out.cause = encodeError(e.cause, depth + 1);
    if (Array.isArray((e as { errors?: unknown }).errors))
      out.errors = (e as AggregateError).errors.map((x) => encodeError(x, depth + 1));
  }
  for (const k of Object.keys(e)) {
    if (k === "cause" || k === "errors" || k === "stack" || k === "message" || k === "name") continue;
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      (out.props ??= {})[k] = v;
  }
  return out;
}

/** @internal True for what {@link encodeError} made. */
export function isEncoded(x: unknown): x is EncodedError | EncodedValue {
  return typeof x === "object" && x !== null && MARK in x;
}

const BUILTIN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};
const classes = new Map<string, ErrorConstructor>();

/** A class named `name` (cached): a rebuilt error's `constructor.name` is the worker's class name. */
function classNamed(name: string): ErrorConstructor {
  const builtin = BUILTIN[name];
  if (builtin !== undefined) return builtin;
  let C = classes.get(name);
  if (C === undefined) {
    C = { [name]: class extends Error {} }[name] as unknown as ErrorConstructor;
    classes.set(name, C);
  }
  return C;
}

/** @internal Loop side: rebuilds what {@link encodeError} made (anything else is returned as it is). */
export function decodeError(x: unknown): unknown {
  if (!isEncoded(x)) return x;
  if (x[MARK] === 2) return (x as EncodedValue).value;
  const enc = x as EncodedError;
  const C = enc.name === "AggregateError" ? undefined : classNamed(enc.name);
  const err: Error =
    C === undefined ? new AggregateError((enc.errors ?? []).map(decodeError), enc.message) : new C(enc.message);
  Object.defineProperty(err, "name", { value: enc.name, writable: true, configurable: true, enumerable: false });
  if (enc.stack !== undefined)
    Object.defineProperty(err, "stack", { value: enc.stack, writable: true, configurable: true, enumerable: false });
  if ("cause" in enc)
    Object.defineProperty(err, "cause", {
      value: decodeError(enc.cause),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  if (enc.errors !== undefined && C !== undefined)
    Object.defineProperty(err, "errors", {
      value: enc.errors.map(decodeError),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  if (enc.props !== undefined)
    for (const [k, v] of Object.entries(enc.props)) (err as unknown as Record<string, unknown>)[k] = v;
  return err;
}

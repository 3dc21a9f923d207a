/**
 * contextvars: ContextVar and Context. Each task runs in a copy of the
 * context current when it was created, as in asyncio.
 * @module
 */

/** What the loop tracks as "current": a running Task, or a Handle's callback. */
export interface Frame {
  /** @internal */ readonly _context: Context;
  /** @internal */ readonly _task: unknown;
  /** @internal */ readonly _loop?: { readonly _running: boolean };
}

/**
 * A mapping of {@link ContextVar} to values (Python's `contextvars.Context`).
 * Copies are cheap: the map is shared until one side writes.
 *
 * @example
 * ```ts
 * const requestId = new ContextVar<string>("requestId");
 * const ctx = copyContext();
 * ctx.run(() => requestId.set("r1"));
 * ctx.run(() => requestId.get()); // "r1"
 * ```
 */
export class Context {
  /** @internal */ _vars: Map<ContextVar<unknown>, unknown>;
  /** @internal */ _shared: boolean;
  /** An empty context (or, internally, one sharing `vars` until written). */
  constructor(vars?: Map<ContextVar<unknown>, unknown>) {
    this._vars = vars ?? new Map();
    this._shared = vars !== undefined;
  }
  /** A copy of this context: later writes on either side are not seen by the other. */
  copy(): Context {
    this._shared = true;
    return new Context(this._vars);
  }
  /** The value of `v` in this context, or undefined. */
  get<T>(v: ContextVar<T>): T | undefined {
    return this._vars.get(v as ContextVar<unknown>) as T | undefined;
  }
  /** Runs `fn` with this context as the current one. */
  run<R>(fn: () => R): R {
    const prev = state.current;
    // Running in another context does not change which loop runs the code.
    state.current = { _context: this, _task: undefined, _loop: prev?._loop };
    try {
      return fn();
    } finally {
      state.current = prev;
    }
  }
  /** @internal */
  _write(v: ContextVar<unknown>, value: unknown, present: boolean): void {
    if (this._shared) {
      this._vars = new Map(this._vars);
      this._shared = false;
    }
    if (present) this._vars.set(v, value);
    else this._vars.delete(v);
  }
}

import { RuntimeError, ValueError } from "./errors.js";

const MISSING: unique symbol = Symbol("MISSING");

/**
 * A token returned by {@link ContextVar.set}, for {@link ContextVar.reset}.
 *
 * @example
 * ```ts
 * const user = new ContextVar<string>("user");
 * const token = user.set("ann"); try { await work(); } finally { user.reset(token); }
 * ```
 */
export class Token<T> {
  /** @internal */ _used = false;
  /** @internal */
  constructor(
    /** The variable whose `set` made this token. */
    readonly variable: ContextVar<T>,
    /** @internal */ readonly _context: Context,
    /** @internal */ readonly _old: T | typeof MISSING,
  ) {}
}

/**
 * A context variable (Python's `contextvars.ContextVar`): a value per task.
 *
 * @example
 * ```ts
 * const requestId = new ContextVar<string>("requestId", { default: "-" });
 * await run(async () => {
 *   requestId.set("a");
 *   await createTask(async () => console.log(requestId.get())); // "a": the task copied the context
 * });
 * ```
 */
export class ContextVar<T> {
  readonly #default: T | typeof MISSING;
  /**
   * A new context variable.
   * @param name - the variable's name, for messages.
   * @param options - `default`: the value `get()` returns when the variable is unset.
   */
  constructor(
    /** The variable's name. */
    readonly name: string,
    options?: { default?: T },
  ) {
    this.#default = options !== undefined && "default" in options ? (options.default as T) : MISSING;
  }
  /** The value in the current context; the default, or `fallback`, if unset. Throws a `LookupError`-like `RangeError` if neither exists. */
  get(fallback?: T): T {
    const ctx = currentContext();
    if (ctx._vars.has(this as ContextVar<unknown>)) return ctx._vars.get(this as ContextVar<unknown>) as T;
    if (arguments.length > 0) return fallback as T;
    if (this.#default !== MISSING) return this.#default;
    throw new RangeError(`LookupError: ContextVar ${this.name} has no value`);
  }
  /** Sets the value in the current context and returns a token to undo it. */
  set(value: T): Token<T> {
    const ctx = currentContext();
    const key = this as ContextVar<unknown>;
    const old = ctx._vars.has(key) ? (ctx._vars.get(key) as T) : MISSING;
    ctx._write(key, value, true);
    return new Token(this, ctx, old);
  }
  /** Restores the value that `token`'s `set` replaced. */
  reset(token: Token<T>): void {
    if (token._used) throw new RuntimeError("Token has already been used once");
    if (token.variable !== this) throw new ValueError("Token was created by a different ContextVar");
    const ctx = currentContext();
    if (token._context !== ctx) throw new ValueError("Token was created in a different Context");
    token._used = true;
    ctx._write(this as ContextVar<unknown>, token._old, token._old !== MISSING);
  }
}

/** @internal Mutable process state: the current frame (task or handle). */
export const state: { current: Frame | undefined } = { current: undefined };

/** @internal */
export const rootContext = new Context();

/** @internal */
export function currentContext(): Context {
  const f = state.current;
  return f === undefined ? rootContext : f._context;
}

/**
 * A copy of the current context (Python's `contextvars.copy_context()`).
 *
 * @example
 * ```ts
 * const name = new ContextVar<string>("name", { default: "anon" });
 * const loop = getRunningLoop();
 * const ctx = copyContext(); loop.callSoon(() => ctx.run(() => name.get()));
 * ```
 */
export function copyContext(): Context {
  return currentContext().copy();
}

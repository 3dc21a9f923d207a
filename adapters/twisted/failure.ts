/**
 * Failure: Twisted's wrapper of an error travelling down a Deferred's
 * errback track (`twisted.python.failure.Failure`). JavaScript can throw
 * anything, so a Failure wraps `unknown`; only a Failure (never a bare
 * Error value) puts a Deferred chain on the errback track.
 * @module
 */

/** A class (constructor) a {@link Failure} can be checked against. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorType = abstract new (...args: any[]) => unknown;

/**
 * An error with its context (Twisted's `Failure`): `value` is what was
 * thrown or passed to `errback`. `check` and `trap` test it with
 * `instanceof` (or by qualified class name, as Twisted also accepts
 * strings).
 *
 * @example
 * ```ts
 * class ConnectionError extends Error {}
 * const d = new Deferred<number | string>();
 * d.addErrback((f: Failure) => {
 *   f.trap(ConnectionError);          // anything else goes on down the errback track
 *   return "fallback";                // back on the callback track
 * });
 * d.errback(new ConnectionError());
 * ```
 */
export class Failure {
  /** The error: what was thrown, or given to `errback`. */
  readonly value: unknown;
  /** The class of {@link value} (its constructor), or undefined for primitives and null-prototype objects. */
  readonly type: Function | undefined;
  /** The class names along {@link value}'s prototype chain, most derived first (Twisted's `parents`). */
  readonly parents: string[];
  /** The stack captured where the Failure was made, used when the value carries none. */
  readonly #stack: string | undefined;

  /**
   * Wraps `value`. A Failure given a Failure copies it (Twisted extrapolates
   * from the inner one). `undefined` is accepted (JavaScript can throw it),
   * but there is no "current exception" to take as Python does.
   */
  constructor(value: unknown) {
    if (value instanceof Failure) {
      this.value = value.value;
      this.type = value.type;
      this.parents = value.parents;
      this.#stack = value.#stack;
      return;
    }
    this.value = value;
    this.type =
      (typeof value === "object" || typeof value === "function") && value !== null
        ? (value as object).constructor
        : undefined;
    this.parents = parentNames(value);
    this.#stack = value instanceof Error ? undefined : new Error().stack?.split("\n").slice(2).join("\n");
  }

  /**
   * The first of `types` that {@link value} is an instance of (a class, or a
   * class name as a string), or undefined (Twisted returns None).
   */
  check<E extends ErrorType>(...types: Array<E | string>): E | string | undefined {
    for (const t of types) {
      if (typeof t === "string") {
        if (this.parents.includes(t)) return t;
      } else if (typeof t === "function" && this.value instanceof t) return t;
    }
    return undefined;
  }

  /**
   * Like {@link check}, but throws {@link value} when nothing matches: the
   * idiom to let an errback handle only some errors and pass the rest on
   * down the errback track.
   */
  trap<E extends ErrorType>(...types: Array<E | string>): E | string {
    const found = this.check(...types);
    if (found === undefined) this.raiseException();
    return found;
  }

  /** Throws {@link value}. */
  raiseException(): never {
    throw this.value;
  }

  /** Throws {@link value} into the generator `g` and returns what it yields next (Twisted's `throwExceptionIntoGenerator`). */
  throwExceptionIntoGenerator<Y, R, N>(g: Generator<Y, R, N>): IteratorResult<Y, R> {
    return g.throw(this.value);
  }

  /** The error's message: `value.message` for errors, the string form of anything else. */
  getErrorMessage(): string {
    const v = this.value;
    if (v instanceof Error) return v.message;
    if (typeof v === "object" && v !== null && typeof (v as { message?: unknown }).message === "string")
      return (v as { message: string }).message;
    return safeString(v);
  }

  /**
   * A readable traceback, in Twisted's layout: a "Traceback" header, the
   * stack frames (the thrown error's own stack when it has one), and
   * `Type: message`.
   */
  getTraceback(): string {
    const v = this.value;
    let frames: string | undefined;
    if (v instanceof Error && typeof v.stack === "string") {
      frames = v.stack
        .split("\n")
        .filter((l) => /^\s+at /.test(l))
        .join("\n");
    } else frames = this.#stack;
    const head = "Traceback (most recent call last):";
    return [head, frames ?? "  (no stack)", `${this.parents[0] ?? typeof v}: ${this.getErrorMessage()}`].join("\n");
  }

  /** One line: `Type: message` (Twisted's brief traceback). */
  getBriefTraceback(): string {
    return `${this.parents[0] ?? typeof this.value}: ${this.getErrorMessage()}`;
  }

  /** Writes {@link getTraceback} to `file` (default `console.error`). */
  printTraceback(file: (text: string) => void = (t) => console.error(t)): void {
    file(this.getTraceback());
  }

  /**
   * Drops frame references (Twisted's `cleanFailure`). In V8 an Error keeps
   * its frames' functions and receivers until its `stack` is first read, so
   * reading it here lets a failed Deferred (the receiver of its own
   * callbacks' frames) be collected, and reported.
   */
  cleanFailure(): void {
    const v = this.value;
    if (v instanceof Error) void v.stack;
  }

  /** `[Failure instance: Traceback: <Type>: message]`, as Twisted's `__str__`. */
  toString(): string {
    return `[Failure instance: Traceback: ${this.getBriefTraceback()}]`;
  }
}

function parentNames(value: unknown): string[] {
  const names: string[] = [];
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return names;
  let proto = Object.getPrototypeOf(value) as object | null;
  while (proto !== null && proto !== Object.prototype) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) names.push(ctor.name);
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return names;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

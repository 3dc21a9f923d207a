/**
 * What an executor runs: a named export of a module (the worker imports it),
 * or, by explicit opt-in, the source of a small pure function. JavaScript
 * cannot send a closure to another thread or process, so a plain function
 * value is refused with a clear error.
 * @module
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

declare const ARGS: unique symbol;
declare const RESULT: unique symbol;

/**
 * A function an executor can run: the export `export` of the module
 * `module` (a `URL`, a `file:` URL string, an absolute path, or a package
 * specifier). The worker imports the module (once per worker) and calls
 * the export with the job's arguments and then an `AbortSignal`:
 * `fn(...args, signal)`. The type parameters only type `submit` and
 * friends; they are not checked against the module.
 *
 * @example
 * ```ts
 * const fib: Target<[number], number> = { module: new URL("./jobs.js", import.meta.url), export: "fib" };
 * await toThread(fib, 30);
 * ```
 */
export interface Target<A extends unknown[] = unknown[], R = unknown> {
  /** The module to import in the worker; omitted: the executor's `filename`. */
  readonly module?: URL | string;
  /** The name of the exported function (`"default"` for a default export). */
  readonly export: string;
  /** @internal Type-level only. */
  readonly [ARGS]?: A;
  /** @internal Type-level only. */
  readonly [RESULT]?: R;
}

/**
 * A small pure function sent as its source text (see {@link pureFunction}).
 *
 * @example
 * ```ts
 * const square: SourceTarget<[number], number> = pureFunction((x: number) => x * x);
 * ```
 */
export interface SourceTarget<A extends unknown[] = unknown[], R = unknown> {
  /** The function's source, evaluated once per worker. */
  readonly source: string;
  /** The function's name, for error messages. */
  readonly name: string;
  /** @internal Type-level only. */
  readonly [ARGS]?: A;
  /** @internal Type-level only. */
  readonly [RESULT]?: R;
}

/**
 * Anything `submit`, `map`, `runInExecutor` and `toThread` accept: a
 * {@link Target}, a {@link SourceTarget}, or (for an executor made with a
 * `filename`) the bare name of an export of that module.
 *
 * @example
 * ```ts
 * const t: AnyTarget<[number], number> = target("./jobs.js", "fib", import.meta.url);
 * ```
 */
export type AnyTarget<A extends unknown[] = unknown[], R = unknown> = Target<A, R> | SourceTarget<A, R> | string;

/**
 * The argument tuple a target's function takes (before the signal).
 *
 * @example
 * ```ts
 * type A = TargetArgs<Target<[number, string], boolean>>; // [number, string]
 * ```
 */
export type TargetArgs<T> = T extends Target<infer A, any> | SourceTarget<infer A, any> ? A : unknown[];

/**
 * What a target's function returns (a promise's value once awaited).
 *
 * @example
 * ```ts
 * type R = TargetResult<Target<[number], Promise<string>>>; // Promise<string>
 * ```
 */
export type TargetResult<T> = T extends Target<any, infer R> | SourceTarget<any, infer R> ? R : unknown;

/**
 * A {@link Target}: `exportName` of `module`. A relative `module`
 * (`"./jobs.js"`) is resolved against `base`, normally `import.meta.url`
 * of the calling module, so that the worker finds the same file.
 *
 * @example
 * ```ts
 * // jobs.ts: export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
 * const fib = target<[number], number>("./jobs.js", "fib", import.meta.url);
 * const n = await toThread(fib, 30);
 * ```
 */
export function target<A extends unknown[] = unknown[], R = unknown>(
  module: URL | string,
  exportName = "default",
  base?: string | URL,
): Target<A, R> {
  if (typeof exportName !== "string" || exportName === "")
    throw new TypeError("target(): the export name must be a non-empty string");
  if (typeof module === "string" && isRelative(module)) {
    if (base === undefined)
      throw new TypeError(
        `target(): the relative module "${module}" needs a base: target("${module}", "${exportName}", import.meta.url)`,
      );
    module = new URL(module, base);
  }
  return { module: moduleHref(module), export: exportName };
}

/**
 * An explicit opt-in: sends `fn`'s source text to the worker, which
 * evaluates it there. Only for small **pure** functions: the function must
 * not use anything from the scope it was written in (no closures, no
 * imported names, no `this`); globals (`Math`, `JSON`, `Buffer`…) are
 * fine, and it may `await import(...)` what it needs. A function that
 * breaks the rule fails in the worker with a `ReferenceError`.
 *
 * @example
 * ```ts
 * const square = pureFunction((x: number) => x * x);
 * await toThread(square, 7); // 49
 * ```
 */
export function pureFunction<A extends unknown[], R>(fn: (...args: A) => R): SourceTarget<A, Awaited<R>> {
  if (typeof fn !== "function") throw new TypeError(`pureFunction() needs a function, got ${typeof fn}`);
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source))
    throw new TypeError(`pureFunction(): ${fn.name || "the function"} is a native or bound function: it has no source`);
  try {
    // Checks that the text is an expression (a method shorthand `f() {}` is not).
    new Function(`return (${source});`);
  } catch {
    throw new TypeError(
      `pureFunction(): the source of ${fn.name || "the function"} is not a function expression (a method shorthand?): use an arrow or a function expression`,
    );
  }
  return { source, name: fn.name || "<anonymous>" };
}

/** @internal What crosses to the worker: module href and export, or source. */
export interface WireTarget {
  m?: string;
  e?: string;
  s?: string;
}

/** @internal Normalises a target for the wire; `filename` is the executor's default module. */
export function wireTarget(t: unknown, filename: string | undefined): WireTarget {
  if (typeof t === "string") {
    if (filename === undefined)
      throw new TypeError(
        `the target "${t}" is a bare export name, but the executor has no filename: pass target(module, "${t}", import.meta.url)`,
      );
    return { m: filename, e: t };
  }
  if (typeof t === "function")
    throw new TypeError(
      `a function cannot be sent to a worker${t.name ? ` (${t.name})` : ""}: pass target(module, exportName, import.meta.url), or pureFunction(fn) for a small pure function`,
    );
  if (typeof t !== "object" || t === null) throw new TypeError(`a target was expected, got ${String(t)}`);
  const o = t as { module?: unknown; export?: unknown; source?: unknown };
  if (typeof o.source === "string") return { s: o.source };
  if (typeof o.export !== "string" || o.export === "")
    throw new TypeError("a target needs an `export` name: { module, export }");
  if (o.module === undefined) {
    if (filename === undefined)
      throw new TypeError(`the target "${o.export}" has no module and the executor no filename`);
    return { m: filename, e: o.export };
  }
  if (typeof o.module !== "string" && !(o.module instanceof URL))
    throw new TypeError("a target's `module` must be a URL or a string");
  if (typeof o.module === "string" && isRelative(o.module))
    throw new TypeError(
      `the target's module "${o.module}" is relative, and a worker cannot know relative to what: use target("${o.module}", "${o.export}", import.meta.url)`,
    );
  return { m: moduleHref(o.module), e: o.export };
}

function isRelative(s: string): boolean {
  return s.startsWith("./") || s.startsWith("../") || s === "." || s === "..";
}

/** @internal A module specifier the worker can import: file URLs stay, absolute paths become file URLs. */
export function moduleHref(m: URL | string): string {
  if (m instanceof URL) return m.href;
  if (isAbsolute(m) && !m.startsWith("file:")) return pathToFileURL(m).href;
  return m;
}

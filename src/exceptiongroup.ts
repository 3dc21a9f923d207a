/**
 * ExceptionGroup: several errors raised together (Python's
 * `BaseExceptionGroup` / `ExceptionGroup`, PEP 654), as thrown by
 * {@link TaskGroup}. JavaScript has no `except*`, so {@link ExceptionGroup.split}
 * and {@link ExceptionGroup.subgroup} do the matching.
 * @module
 */
import { ValueError } from "./errors.js";

/**
 * What {@link ExceptionGroup.split} and {@link ExceptionGroup.subgroup}
 * match with: an Error class, a list of Error classes, or a predicate
 * called on every leaf error and on every (nested) group.
 *
 * A function is taken as a class when it is `Error` or a subclass of it, or
 * is written with `class`; any other function is a predicate.
 */
export type ExceptionMatcher =
  | (abstract new (
      ...args: any[]
    ) => unknown)
  | ReadonlyArray<abstract new (...args: any[]) => unknown>
  | ((e: unknown) => boolean);

function isClass(f: Function): boolean {
  if (f === Error) return true;
  const proto = (f as { prototype?: unknown }).prototype;
  if (proto instanceof Error) return true;
  return /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function toPredicate(condition: ExceptionMatcher): (e: unknown) => boolean {
  if (Array.isArray(condition)) {
    const classes = condition as ReadonlyArray<Function>;
    for (const c of classes)
      if (typeof c !== "function")
        throw new TypeError("expected a function, an exception type or a list of exception types");
    return (e) => classes.some((c) => e instanceof (c as new () => unknown));
  }
  if (typeof condition !== "function")
    throw new TypeError("expected a function, an exception type or a list of exception types");
  if (isClass(condition)) return (e) => e instanceof (condition as new () => unknown);
  return condition as (e: unknown) => boolean;
}

/**
 * A group of errors raised together (Python's `ExceptionGroup`). It is an
 * `AggregateError`, so `errors` holds the same list as {@link exceptions}.
 *
 * `message` is what Python's `str(eg)` prints, e.g.
 * `"unhandled errors in a TaskGroup (1 sub-exception)"`; the bare message
 * (Python's `eg.message`) is {@link groupMessage}. The members may be any
 * thrown value, since JavaScript can throw anything.
 *
 * @example
 * ```ts
 * try {
 *   await new TaskGroup().run(async (tg) => { tg.createTask(async () => { throw new ValueError("x"); }); });
 * } catch (e) {
 *   if (!(e instanceof ExceptionGroup)) throw e;
 *   const [values, rest] = e.split(ValueError); // except* ValueError
 *   if (rest) throw rest;
 * }
 * ```
 */
export class ExceptionGroup<E = unknown> extends AggregateError {
  /** Always `"ExceptionGroup"`. */
  override name = "ExceptionGroup";
  /** The message given to the constructor, without the sub-exception count (Python's `eg.message`). */
  readonly groupMessage: string;

  /**
   * A group of `exceptions` (a non-empty list) under `message`.
   * Throws `TypeError` if `message` is not a string and `ValueError` if
   * the list is empty, as Python does.
   */
  constructor(message: string, exceptions: Iterable<E>, options?: { cause?: unknown }) {
    if (typeof message !== "string") throw new TypeError("argument 1 must be str");
    if (
      exceptions == null ||
      typeof (exceptions as Iterable<E>)[Symbol.iterator] !== "function" ||
      typeof exceptions === "string"
    ) {
      throw new TypeError("second argument (exceptions) must be a sequence");
    }
    const list = Array.from(exceptions);
    if (list.length === 0) throw new ValueError("second argument (exceptions) must be a non-empty sequence");
    const n = list.length;
    super(list, `${message} (${n} sub-exception${n === 1 ? "" : "s"})`, options);
    this.groupMessage = message;
    Object.freeze(this.errors);
  }

  /** The errors of the group, in order (Python's `eg.exceptions`). */
  get exceptions(): readonly E[] {
    return this.errors as E[];
  }

  /**
   * A new group with the same message holding `excs` (Python's `derive`).
   * Subclasses override it so that {@link split} and {@link subgroup}
   * keep their class.
   *
   * @example
   * ```ts
   * const eg = new ExceptionGroup("batch", [new Error("a")]);
   * eg.derive([new Error("b")]).groupMessage; // "batch"
   * ```
   */
  derive<F>(excs: Iterable<F>): ExceptionGroup<F> {
    return new ExceptionGroup<F>(this.groupMessage, excs);
  }

  /**
   * Splits the group into the part that matches `condition` and the rest
   * (`except*`). Nested groups are split recursively and keep their shape;
   * each part is built with {@link derive} and keeps `cause` and `stack`.
   * A side with nothing in it is `undefined`. If the whole group matches,
   * the result is `[this, undefined]`.
   *
   * @example
   * ```ts
   * const eg = new ExceptionGroup("m", [new ValueError("v"), new TypeError("t")]);
   * const [match, rest] = eg.split(ValueError);
   * match?.exceptions; // [ValueError]
   * rest?.exceptions;  // [TypeError]
   * ```
   */
  split(condition: ExceptionMatcher): [ExceptionGroup<E> | undefined, ExceptionGroup<E> | undefined] {
    return splitGroup(this, toPredicate(condition), true) as [
      ExceptionGroup<E> | undefined,
      ExceptionGroup<E> | undefined,
    ];
  }

  /**
   * The part of the group that matches `condition`, or `undefined`
   * (the first half of {@link split}).
   *
   * @example
   * ```ts
   * const eg = new ExceptionGroup("m", [new ValueError("v"), new TypeError("t")]);
   * eg.subgroup((e) => e instanceof TypeError)?.exceptions.length; // 1
   * ```
   */
  subgroup(condition: ExceptionMatcher): ExceptionGroup<E> | undefined {
    return splitGroup(this, toPredicate(condition), false)[0] as ExceptionGroup<E> | undefined;
  }
}

function splitGroup(
  eg: ExceptionGroup<unknown>,
  pred: (e: unknown) => boolean,
  wantRest: boolean,
): [ExceptionGroup<unknown> | undefined, ExceptionGroup<unknown> | undefined] {
  if (pred(eg)) return [eg, undefined];
  const match: unknown[] = [];
  const rest: unknown[] = [];
  for (const e of eg.exceptions) {
    if (e instanceof ExceptionGroup) {
      const [m, r] = splitGroup(e as ExceptionGroup<unknown>, pred, wantRest);
      if (m !== undefined) match.push(m);
      if (r !== undefined) rest.push(r);
    } else if (pred(e)) match.push(e);
    else if (wantRest) rest.push(e);
  }
  return [subset(eg, match), wantRest ? subset(eg, rest) : undefined];
}

// Python's exceptiongroup_subset: derive, then copy the metadata over.
function subset(orig: ExceptionGroup<unknown>, excs: unknown[]): ExceptionGroup<unknown> | undefined {
  if (excs.length === 0) return undefined;
  const eg = orig.derive(excs);
  if (!(eg instanceof ExceptionGroup)) throw new TypeError("derive must return an instance of ExceptionGroup");
  if ("cause" in orig)
    Object.defineProperty(eg, "cause", { value: orig.cause, writable: true, configurable: true, enumerable: false });
  if (orig.stack !== undefined) eg.stack = orig.stack;
  return eg;
}

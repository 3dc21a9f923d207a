// The overflow policies shared by toAsyncIterable and toQueue: a push source
// cannot be made to wait, so what a full buffer does is chosen up front.
import { ValueError } from "../../src/index.js";

/**
 * What a bounded buffer does with a value that does not fit: `"error"` fails
 * the stream with the core's `QueueFull` (and unsubscribes), `"dropOldest"`
 * drops the oldest unread value, `"dropNewest"` drops the arriving one.
 *
 * @example
 * ```ts
 * const overflow: Overflow = "dropOldest";
 * ```
 */
export type Overflow = "error" | "dropOldest" | "dropNewest";

/**
 * A buffer of at most `bufferSize` unread values.
 *
 * @example
 * ```ts
 * const policy: BoundedPolicy = { bufferSize: 100, overflow: "error" };
 * ```
 */
export interface BoundedPolicy {
  /** How many unread values are kept (an integer, at least 1). */
  bufferSize: number;
  /** What happens to a value that does not fit. */
  overflow: Overflow;
}

/**
 * How values that arrive faster than they are read are kept:
 * `"unbounded"` (lossless FIFO, the default), `"latest"` (only the newest
 * unread value), `"next"` (only values that arrive while a reader waits),
 * or a {@link BoundedPolicy}. See docs/rxjs.md for what each one loses.
 *
 * @example
 * ```ts
 * const prices$ = of(101, 102, 103);
 * for await (const price of toAsyncIterable(prices$, { policy: "latest" })) console.log(price);
 * ```
 */
export type Policy = "unbounded" | "latest" | "next" | BoundedPolicy;

/** @internal The policy as numbers: the kind, and the capacity (Infinity when unbounded). */
export const Kind = { Unbounded: 0, Latest: 1, Next: 2, Error: 3, DropOldest: 4, DropNewest: 5 } as const;
/** @internal */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** @internal */
export interface Normalized {
  kind: Kind;
  size: number;
}

const OVERFLOWS: Record<Overflow, Kind> = {
  error: Kind.Error,
  dropOldest: Kind.DropOldest,
  dropNewest: Kind.DropNewest,
};

/** @internal Checks a policy (clear errors on bad input) and turns it into numbers. */
export function normalizePolicy(policy: Policy | undefined): Normalized {
  if (policy === undefined || policy === "unbounded") return { kind: Kind.Unbounded, size: Infinity };
  if (policy === "latest") return { kind: Kind.Latest, size: 1 };
  if (policy === "next") return { kind: Kind.Next, size: 0 };
  if (typeof policy !== "object" || policy === null)
    throw new TypeError(
      `policy must be "unbounded", "latest", "next" or { bufferSize, overflow }, got ${JSON.stringify(policy)}`,
    );
  const { bufferSize, overflow } = policy;
  if (typeof bufferSize !== "number" || !Number.isInteger(bufferSize) || bufferSize < 1)
    throw new ValueError(`policy.bufferSize must be an integer of at least 1, got ${String(bufferSize)}`);
  const kind = Object.hasOwn(OVERFLOWS, overflow) ? OVERFLOWS[overflow] : undefined;
  if (kind === undefined)
    throw new ValueError(
      `policy.overflow must be "error", "dropOldest" or "dropNewest", got ${JSON.stringify(overflow)}`,
    );
  return { kind, size: bufferSize };
}

/** @internal A FIFO with O(1) push and shift. */
export class Fifo<T> {
  /** @internal */ _a: (T | undefined)[] = [];
  /** @internal */ _h = 0;
  get length(): number {
    return this._a.length - this._h;
  }
  push(x: T): void {
    this._a.push(x);
  }
  shift(): T {
    const a = this._a;
    const x = a[this._h] as T;
    a[this._h++] = undefined;
    if (this._h === a.length) {
      a.length = 0;
      this._h = 0;
    } else if (this._h >= 1024 && this._h * 2 >= a.length) {
      this._a = a.slice(this._h);
      this._h = 0;
    }
    return x;
  }
  clear(): void {
    this._a = [];
    this._h = 0;
  }
}

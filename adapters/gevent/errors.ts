/**
 * The exceptions of gevent, as JavaScript classes.
 * @module
 */

/**
 * Raised inside a greenlet by {@link Greenlet.kill} (gevent's
 * `GreenletExit`, a `BaseException`): a greenlet that ends with it, killed
 * or raising it itself, counts as successful, with the instance as its
 * value, and it is never reported as an error.
 *
 * @example
 * ```ts
 * const g = spawn(function* () { yield* sleep(10); });
 * yield* g.kill();
 * g.successful(); // true
 * g.value instanceof GreenletExit; // true
 * ```
 */
export class GreenletExit extends Error {
  /** An instance, with an optional message. */
  constructor(message?: string) {
    super(message);
    this.name = "GreenletExit";
  }
}

/**
 * Raised by a non-blocking or timed-out `get` of an empty queue (gevent's
 * `queue.Empty`).
 *
 * @example
 * ```ts
 * try { new Queue().getNowait(); } catch (e) { e instanceof Empty; } // true
 * ```
 */
export class Empty extends Error {
  /** An instance, with an optional message. */
  constructor(message?: string) {
    super(message);
    this.name = "Empty";
  }
}

/**
 * Raised by a non-blocking or timed-out `put` into a full queue (gevent's
 * `queue.Full`).
 *
 * @example
 * ```ts
 * const q = new Queue(1); q.putNowait(1);
 * try { q.putNowait(2); } catch (e) { e instanceof Full; } // true
 * ```
 */
export class Full extends Error {
  /** An instance, with an optional message. */
  constructor(message?: string) {
    super(message);
    this.name = "Full";
  }
}

/**
 * Raised by `put` on a queue that was shut down, and by `get` once it is
 * empty (or at once after an immediate shutdown): gevent's `queue.ShutDown`.
 *
 * @example
 * ```ts
 * const q = new Queue(); q.shutdown();
 * try { q.putNowait(1); } catch (e) { e instanceof ShutDown; } // true
 * ```
 */
export class ShutDown extends Error {
  /** An instance, with an optional message. */
  constructor(message?: string) {
    super(message);
    this.name = "ShutDown";
  }
}

/**
 * Raised by `Pool.add(g, { block: false })` (or on a timeout) when the pool
 * has no free slot (gevent's `pool.PoolFull`).
 *
 * @example
 * ```ts
 * const p = new Pool(0);
 * try { p.add(new Greenlet(function* () {}), { block: false }); } catch (e) { e instanceof PoolFull; } // true
 * ```
 */
export class PoolFull extends Error {
  /** An instance, with an optional message. */
  constructor(message?: string) {
    super(message);
    this.name = "PoolFull";
  }
}

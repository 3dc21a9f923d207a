/**
 * The Observable interop key on Greenlet (`'@@observable'`, and
 * `Symbol.observable` when a polyfill defined it before this module
 * loaded), with no rxjs import: rxjs stays an optional peer, and `from(g)`
 * in rxjs 7.8 takes this key (`Symbol.observable || '@@observable'`).
 *
 * Ownership is a Task's (the core's rule): a greenlet is owned by its
 * subscribers, and when the last one unsubscribes before it is dead it is
 * killed (GreenletExit, not blocking), so `from(g).pipe(timeout(...))`
 * kills it as `from(task)` cancels a task. Delivery follows the greenlet's
 * links: after death, from a loop callback.
 * @module
 */
import type { InteropObservable, InteropObserver, InteropSubscription } from "../../src/index.js";
import type { Greenlet } from "./greenlet.js";

declare global {
  // The same declaration as rxjs's (and symbol-observable's), so that a Greenlet's type carries the key rxjs's
  // `from()` types look for, with or without rxjs installed. At run time the symbol exists only with a polyfill.
  interface SymbolConstructor {
    readonly observable: symbol;
  }
}

/** The well-known symbol, if a polyfill defined it (rxjs then reads it instead of the string). */
const symbolObservable: symbol | undefined = (Symbol as { observable?: symbol }).observable;

// Subscribers of each greenlet: the last one to leave before its death kills it.
const owners = new WeakMap<Greenlet<any>, number>();

class GreenletObservable<T> implements InteropObservable<T> {
  constructor(readonly greenlet: Greenlet<T>) {}

  subscribe(observer?: InteropObserver<T> | ((value: T) => void) | null): InteropSubscription {
    const obs: InteropObserver<T> = typeof observer === "function" ? { next: observer } : (observer ?? {});
    return new GreenletSubscription(this.greenlet, obs);
  }

  "@@observable"(): this {
    return this;
  }
}
if (symbolObservable !== undefined)
  Object.defineProperty(GreenletObservable.prototype, symbolObservable, {
    value: GreenletObservable.prototype["@@observable"],
  });

class GreenletSubscription<T> implements InteropSubscription {
  closed = false;
  readonly #onDeath = (g: Greenlet<T>): void => this.#deliver(g);

  constructor(
    readonly greenlet: Greenlet<T>,
    readonly observer: InteropObserver<T>,
  ) {
    owners.set(greenlet, (owners.get(greenlet) ?? 0) + 1);
    greenlet.rawlink(this.#onDeath);
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    const g = this.greenlet;
    g.unlink(this.#onDeath);
    const left = (owners.get(g) ?? 1) - 1;
    if (left > 0) {
      owners.set(g, left);
      return;
    }
    owners.delete(g);
    // An error the greenlet dies with after this is reported by the greenlet itself, once, at its death.
    if (!g.dead) g.kill({ block: false });
  }

  #deliver(g: Greenlet<T>): void {
    if (this.closed) return;
    this.closed = true;
    owners.set(g, (owners.get(g) ?? 1) - 1);
    const obs = this.observer;
    // gevent's success includes a kill with GreenletExit: its value is the GreenletExit instance (as get()).
    if (g.successful()) {
      obs.next?.(g.value as T);
      obs.complete?.();
    } else obs.error?.(g.exception); // with no error callback: already reported once, at death
  }
}

/** @internal The interop Observable of greenlet `g` (owned by its subscribers). */
export function observeGreenlet<T>(g: Greenlet<T>): InteropObservable<T> {
  return new GreenletObservable(g);
}

/** @internal Makes `Symbol.observable` (when a polyfill defined it) an alias of `'@@observable'` on `proto`. */
export function aliasSymbolObservable(proto: object): void {
  if (symbolObservable === undefined) return;
  Object.defineProperty(proto, symbolObservable, {
    configurable: true,
    writable: true,
    value: function (this: { "@@observable"(): unknown }) {
      return this["@@observable"]();
    },
  });
}

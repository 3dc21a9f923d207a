// The Observable interop key on Deferred ('@@observable', as the core's on
// Future): rxjs's from(d) takes it before `then`, so observing a Deferred
// does not take its result the way awaiting it does.
import type { InteropObservable, InteropObserver, InteropSubscription } from "../../src/index.js";
import type { Deferred } from "./deferred.js";
import type { Failure } from "./failure.js";

/** What a Deferred's observers share: one link in its chain, and the outcome once it fired. */
class Hub<T> {
  observers = new Set<InteropObserver<T>>();
  fired: { ok: true; value: T } | { ok: false; failure: Failure } | undefined = undefined;
}

const hubs = new WeakMap<Deferred<any>, Hub<any>>();

function hubOf<T>(d: Deferred<T>): Hub<T> {
  let hub = hubs.get(d) as Hub<T> | undefined;
  if (hub !== undefined) return hub;
  const h = new Hub<T>();
  hubs.set(d, h);
  // One link for every observer: a success passes on unchanged; a failure is
  // handled (the chain goes on with undefined, as after an errback) when an
  // observer received it, and passes on otherwise, so it is reported once.
  d.addCallbacks(
    (value: T) => {
      h.fired = { ok: true, value };
      for (const o of takeAll(h)) {
        o.next?.(value);
        o.complete?.();
      }
      return value;
    },
    (failure: Failure) => {
      h.fired = { ok: false, failure };
      let handled = false;
      for (const o of takeAll(h)) {
        if (typeof o.error === "function") {
          handled = true;
          o.error(failure.value);
        }
      }
      return handled ? undefined : failure;
    },
  );
  hub = h;
  return hub;
}

function takeAll<T>(h: Hub<T>): InteropObserver<T>[] {
  const all = [...h.observers];
  h.observers.clear();
  return all;
}

class DeferredObservable<T> implements InteropObservable<T> {
  constructor(readonly d: Deferred<T>) {}

  subscribe(observer?: InteropObserver<T> | ((value: T) => void) | null): InteropSubscription {
    const obs: InteropObserver<T> = typeof observer === "function" ? { next: observer } : (observer ?? {});
    const hub = hubOf(this.d);
    const fired = hub.fired;
    if (fired !== undefined) {
      // Fired already: delivered at once (Deferred callbacks are synchronous too).
      if (fired.ok) {
        obs.next?.(fired.value);
        obs.complete?.();
      } else obs.error?.(fired.failure.value);
      return { closed: true, unsubscribe() {} };
    }
    hub.observers.add(obs);
    const sub = {
      get closed(): boolean {
        return !hub.observers.has(obs);
      },
      // Hot: the Deferred is not ours to cancel; the observer only leaves.
      unsubscribe(): void {
        hub.observers.delete(obs);
      },
    };
    return sub;
  }

  "@@observable"(): this {
    return this;
  }
}

/** @internal The interop Observable of a Deferred: hot, never cancels it. */
export function observeDeferred<T>(d: Deferred<T>): InteropObservable<T> {
  return new DeferredObservable(d);
}

/**
 * @internal Makes `Symbol.observable` (when a polyfill such as
 * `symbol-observable` defined it before this module loaded) an alias of
 * `'@@observable'` on `proto`: rxjs then reads the symbol, not the string,
 * and without the alias `from(d)` would fall back to `then` and take the
 * Deferred's result.
 */
export function aliasSymbolObservable(proto: object): void {
  const key = (Symbol as { observable?: symbol }).observable;
  if (key === undefined) return;
  Object.defineProperty(proto, key, {
    configurable: true,
    writable: true,
    value: function (this: { "@@observable"(): unknown }) {
      return this["@@observable"]();
    },
  });
}

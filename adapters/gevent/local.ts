/**
 * gevent's `local`: greenlet-local storage.
 * @module
 */
import { currentTask } from "../../src/index.js";
import { getcurrent } from "./hub.js";

const MAIN = {};

function owner(): object {
  return (getcurrent() as object | undefined) ?? currentTask() ?? MAIN;
}

/**
 * Greenlet-local storage (gevent's `gevent.local.local`): every greenlet
 * sees its own attributes. Class fields of a subclass are the defaults
 * each greenlet starts with (as gevent re-runs `__init__` per greenlet).
 * In async code the owner is the task; outside both, the top level.
 *
 * @example
 * ```ts
 * const data = new local() as local & { user?: string };
 * const a = spawn(function* () { data.user = "ann"; yield* sleep(0); console.log(data.user); }); // "ann"
 * const b = spawn(function* () { console.log(data.user); }); // undefined
 * yield* joinall([a, b]);
 * ```
 */
export class local implements Record<string, any> {
  /** Attributes, per greenlet. */
  [key: string]: any;

  /** A new storage; returns a proxy that routes attributes to the current greenlet's own dict. */
  constructor() {
    const dicts = new WeakMap<object, Map<string | symbol, unknown>>();
    const defaults = new Map<string | symbol, unknown>();
    const dict = (): Map<string | symbol, unknown> => {
      const o = owner();
      let d = dicts.get(o);
      if (d === undefined) dicts.set(o, (d = new Map(defaults)));
      return d;
    };
    // biome-ignore lint/correctness/noConstructorReturn: the proxy is the instance
    return new Proxy(this, {
      get(target, key, receiver) {
        const d = dict();
        if (d.has(key)) return d.get(key);
        return Reflect.get(target, key, receiver);
      },
      set(_target, key, value) {
        dict().set(key, value);
        return true;
      },
      defineProperty(_target, key, desc) {
        // Class fields: the defaults of every greenlet.
        defaults.set(key, desc.value);
        dict().set(key, desc.value);
        return true;
      },
      has(target, key) {
        return dict().has(key) || Reflect.has(target, key);
      },
      deleteProperty(_target, key) {
        return dict().delete(key);
      },
      ownKeys() {
        return [...dict().keys()];
      },
      getOwnPropertyDescriptor(_target, key) {
        const d = dict();
        if (!d.has(key)) return undefined;
        return { value: d.get(key), writable: true, enumerable: true, configurable: true };
      },
    });
  }
}

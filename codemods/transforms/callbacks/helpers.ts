// The texts of the helpers the callbacks transform adds to a converted file (`__asyncioDual`,
// `__asyncioStart`, the whole-module `dualApi` shim) and the names they go by.

/** Name of the inline helper inserted once per file. */
export const DUAL_HELPER = "__asyncioDual";
/** Name of the helper that starts the first call synchronously. */
export const START_HELPER = "__asyncioStart";

/** The inline helper: keeps a converted function callable with a trailing Node-style callback. */
export function dualHelperText(ts_: boolean, useImport: boolean): string {
  if (useImport) {
    // dualApi calls back `cb(null, value)`; a function whose original called back `cb()` or `cb(null)`
    // (`arity` 0 or 1) gets exactly that on success.
    const head =
      `\n// Added by asyncio-ts migrate: callers that pass a Node-style callback keep working.\n` +
      `// \`arity\`: how many arguments the original passed on success (cb(), cb(null), cb(null, value)).\n`;
    return ts_
      ? head +
          `function ${DUAL_HELPER}<T>(cb: unknown, run: () => Promise<T>, arity = 2): Promise<T> | void {\n` +
          `  if (typeof cb !== "function") return run();\n` +
          `  const callback = cb as (error: unknown, value?: T) => void;\n` +
          `  const report = arity === 2 ? callback : (error: unknown) => (error ? callback(error) : arity === 0 ? (callback as () => void)() : callback(null));\n` +
          `  return (dualApi(run) as (cb: unknown) => void)(report);\n}\n`
      : head +
          `function ${DUAL_HELPER}(cb, run, arity = 2) {\n` +
          `  if (typeof cb !== "function") return run();\n` +
          `  const report = arity === 2 ? cb : (error) => (error ? cb(error) : arity === 0 ? cb() : cb(null));\n` +
          `  return dualApi(run)(report);\n}\n`;
  }
  const sig = ts_ ? `<T>(cb: unknown, run: () => Promise<T>, arity = 2): Promise<T> | void` : `(cb, run, arity = 2)`;
  const cbT = ts_ ? ` as (error: unknown, value?: T) => void` : "";
  return (
    `\n// Added by asyncio-ts migrate: runs the async body and, when the caller passed a\n` +
    `// Node-style callback, reports the outcome to it on a later tick, as util.callbackify does.\n` +
    `// \`arity\`: how many arguments the original passed on success (cb(), cb(null), cb(null, value)).\n` +
    `function ${DUAL_HELPER}${sig} {\n` +
    `  const promise = run();\n` +
    `  if (typeof cb !== "function") return promise;\n` +
    `  const callback = cb${cbT};\n` +
    `  promise.then(\n` +
    `    (value) => { arity === 0 ? process.nextTick(callback) : arity === 1 ? process.nextTick(callback, null) : process.nextTick(callback, null, value); },\n` +
    `    (error) => { process.nextTick(callback, error || Object.assign(new Error("Promise was rejected with a falsy value"), { reason: error })); },\n` +
    `  );\n` +
    `}\n`
  );
}

/** The helper that runs a callback API call now and gives its outcome as a promise. */
export function startHelperText(ts_: boolean): string {
  const sig = ts_ ? `(start: (done: (error: unknown, value?: any) => void) => void): Promise<any>` : `(start)`;
  const settleT = ts_ ? `: (error: unknown, value?: any) => void` : "";
  return (
    `\n// Added by asyncio-ts migrate: makes the first call of a converted function synchronously,\n` +
    `// as the original did (its argument errors still throw from the call), and gives its outcome as a promise.\n` +
    `function ${START_HELPER}${sig} {\n` +
    `  let settle${settleT} = () => {};\n` +
    `  const promise = new Promise((resolve, reject) => {\n` +
    `    settle = (error, value) => (error ? reject(error) : resolve(value));\n` +
    `  });\n` +
    `  start(settle);\n` +
    `  return promise;\n` +
    `}\n`
  );
}

/**
 * The local `dualApi` of the whole-module output (`--dual-api inline`): an exported async function
 * stays callable with a trailing Node-style callback, called once on a later tick as
 * `util.callbackify` does; without one it returns the promise. asyncio-ts/promise's `dualApi`
 * (`--dual-api import`) does the same.
 */
export function dualApiShimText(): string {
  return (
    `\n// Added by asyncio-ts migrate: an exported async function keeps its Node-style callback surface.\n` +
    `function dualApi(fn) {\n` +
    `  const dual = function (...args) {\n` +
    `    if (args.length <= fn.length || typeof args[args.length - 1] !== "function") return fn.apply(this, args);\n` +
    `    const cb = args.pop();\n` +
    `    fn.apply(this, args).then(\n` +
    `      (value) => process.nextTick(cb, null, value),\n` +
    `      (error) => process.nextTick(cb, error || Object.assign(new Error("Promise was rejected with a falsy value"), { reason: error })),\n` +
    `    );\n` +
    `  };\n` +
    `  return Object.defineProperties(dual, { name: { value: fn.name }, length: { value: fn.length + 1 } });\n` +
    `}\n`
  );
}

// A linear-cost model for scale tests (issue #19): counts the elements that
// Array.prototype.shift/unshift/splice/indexOf/lastIndexOf/includes move or
// visit while `run` executes. A drain that calls shift() on a long array, or
// removes waiters with indexOf + splice, moves O(n^2) elements; a linear one
// a small constant per item. Counted, not timed. Patching the prototype is
// global: use it from `test.serial` only.
type AnyFn = (this: unknown[], ...a: any[]) => any;

export async function countArrayWork<T>(run: () => Promise<T> | T): Promise<{ result: T; work: number }> {
  const proto = Array.prototype as unknown as Record<string, AnyFn>;
  const names = ["shift", "unshift", "splice", "indexOf", "lastIndexOf", "includes"] as const;
  const originals = new Map(names.map((n) => [n, proto[n]!]));
  let work = 0;
  for (const name of names) {
    const original = originals.get(name)!;
    proto[name] = function (this: unknown[], ...args: any[]) {
      if (Array.isArray(this)) {
        if (name === "splice") work += Math.max(0, this.length - (Number(args[0]) || 0));
        else if (name === "shift" || name === "unshift") work += this.length;
        else {
          const r = original.apply(this, args);
          work += name === "includes" || r < 0 ? this.length : name === "indexOf" ? r + 1 : this.length - r;
          return r;
        }
      }
      return original.apply(this, args);
    };
  }
  try {
    const result = await run();
    return { result, work };
  } finally {
    for (const name of names) proto[name] = originals.get(name)!;
  }
}

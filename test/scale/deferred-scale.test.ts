// One Deferred with many callbacks (issue #18 item 7, #17's "Deferred 1M callbacks linear"):
// the engine must not take links with `shift()` from a large array (linear
// per call there, so quadratic overall). Counted, not timed: every `shift()`
// call is weighted by the length of the array it shifts.
import test from "ava";
import { Deferred } from "../../adapters/twisted/index.js";

function countShiftedElements(run: () => void): number {
  const original = Array.prototype.shift;
  let moved = 0;
  Array.prototype.shift = function (this: unknown[]) {
    moved += this.length;
    return original.call(this);
  };
  try {
    run();
  } finally {
    Array.prototype.shift = original;
  }
  return moved;
}

test("20,000 callbacks on one Deferred move O(n) array elements, not O(n^2)", (t) => {
  const n = 20_000;
  const d = new Deferred<number>();
  for (let i = 0; i < n; i++) d.addCallback((x: number) => x + 1);
  const moved = countShiftedElements(() => d.callback(0));
  t.is(d.result, n);
  // A quadratic drain moves about n^2/2 = 2e8 elements; a linear one at most a small constant per link.
  t.true(moved <= 100 * n, `moved ${moved} elements`);
});

test("100,000 callbacks on one Deferred finish, with the result threaded through all of them", (t) => {
  const n = 100_000;
  const d = new Deferred<number>();
  for (let i = 0; i < n; i++) d.addCallback((x: number) => x + 1);
  d.callback(0);
  t.is(d.result, n);
  t.is(d.callbacks.length, 0);
});

test("a long chain that pauses on returned Deferreds keeps its remaining links, in order", (t) => {
  const n = 5_000;
  const d = new Deferred<number>();
  const inners: Deferred<number>[] = [];
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    d.addCallback((x: number) => {
      seen.push(x);
      if (i % 2 === 0) {
        const inner = new Deferred<number>();
        inners.push(inner);
        return inner;
      }
      return x + 1;
    });
  }
  const moved = countShiftedElements(() => {
    d.callback(0);
    for (let k = 0; k < inners.length; k++) {
      t.is(d.callbacks.length, n - 1 - 2 * k); // the paused chain still shows what is left
      inners[k]!.callback(seen[seen.length - 1]! + 1);
    }
  });
  t.is(seen.length, n);
  t.deepEqual(seen.slice(0, 6), [0, 1, 2, 3, 4, 5]);
  t.is(d.result, n);
  t.true(moved <= 100 * n, `moved ${moved} elements`);
});

test("a callback reading `callbacks` of its running Deferred sees the links still to run, as in Twisted", (t) => {
  const d = new Deferred<void>();
  const lengths: number[] = [];
  const n = 1_000;
  for (let i = 0; i < n; i++) d.addCallback(() => void lengths.push(d.callbacks.length));
  d.callback(undefined);
  t.deepEqual(
    lengths,
    Array.from({ length: n }, (_, i) => n - 1 - i),
  );
});

test("links added while a long chain runs go to its end", (t) => {
  const d = new Deferred<number>();
  const order: string[] = [];
  for (let i = 0; i < 200; i++)
    d.addCallback((x: number) => {
      if (i === 10) d.addCallback((y: number) => (order.push("added"), y));
      return x + 1;
    });
  d.addCallback((x: number) => (order.push("last original"), x));
  d.callback(0);
  t.deepEqual(order, ["last original", "added"]);
  t.is(d.result, 200);
});

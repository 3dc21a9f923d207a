// The '@@observable' key on the Twisted adapter's Deferred, read by real
// rxjs 7.8.2: from(d) takes it (not `then`, which would take the result),
// it is hot (unsubscribing never cancels), a success stays on the chain, and
// a failure an observer received is handled (reported once, not again when
// the Deferred is collected).
import test from "ava";
import { from, lastValueFrom } from "rxjs";
import { toObservable } from "../../../adapters/rxjs/index.js";
import { Deferred } from "../../../adapters/twisted/index.js";
import { runOn, runTest } from "../../helpers/loop.js";

test("from(deferred) takes the interop key: the result stays on the chain", async (t) => {
  await runTest(async () => {
    const d = new Deferred<number>();
    const seen: unknown[] = [];
    from(d).subscribe({ next: (v) => seen.push(v), complete: () => seen.push("|") });
    toObservable<number>(d).subscribe((v) => seen.push(`b${v}`));
    d.callback(3);
    t.deepEqual(seen, [3, "|", "b3"]);
    t.is(d.result, 3, "observing did not take the result");
    t.is(await lastValueFrom(from(d)), 3, "a late subscriber gets the outcome");
  });
});

test("hot: unsubscribing never cancels the Deferred", async (t) => {
  await runTest(async () => {
    let cancelled = false;
    const d = new Deferred<number>(() => {
      cancelled = true;
    });
    const seen: number[] = [];
    const sub = from(d).subscribe((v) => seen.push(v as number));
    sub.unsubscribe();
    t.false(cancelled);
    d.callback(1);
    t.deepEqual(seen, []);
  });
});

test("a failure received by an observer is handled: no 'Unhandled error in Deferred' later", async (t) => {
  const { loop } = await runOn(async () => {
    const d = new Deferred<number>();
    const errors: unknown[] = [];
    from(d).subscribe({ error: (e) => errors.push(e) });
    const err = new Error("failed");
    d.errback(err);
    t.deepEqual(errors, [err]);
    t.is(d.result, undefined);
  });
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
  }
  t.is(loop.errors.length, 0);
});

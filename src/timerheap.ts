/**
 * The loop's timer queue: a binary min-heap on (when, seq), so that equal
 * times keep insertion order.
 *
 * The keys live in two Float64Arrays beside the handles: a sift compares
 * contiguous numbers and touches no handle. With a million timers the
 * handles are scattered over the heap of the process, and a heap comparing
 * `a._when` with `b._when` took a cache miss per comparison (about 10 µs per
 * pop at 1M, issue #18 item 6).
 * @module
 */
import type { TimerHandle } from "./events.js";

/** @internal */
export class TimerHeap {
  #when = new Float64Array(64);
  #seq = new Float64Array(64);
  #handles: (TimerHandle | undefined)[] = [];
  /** The number of timers in the heap (cancelled ones included until purged). */
  length = 0;

  /** Adds `h` at (h._when, h._seq). */
  push(h: TimerHandle): void {
    if (this.length === this.#when.length) this.#grow();
    const W = this.#when;
    const S = this.#seq;
    const H = this.#handles;
    const w = h._when;
    const s = h._seq;
    let i = this.length++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pw = W[p]!;
      if (pw < w || (pw === w && S[p]! < s)) break;
      W[i] = pw;
      S[i] = S[p]!;
      H[i] = H[p];
      i = p;
    }
    W[i] = w;
    S[i] = s;
    if (i === H.length) H.push(h);
    else H[i] = h;
  }

  /** The earliest timer, or undefined. */
  peek(): TimerHandle | undefined {
    return this.length > 0 ? this.#handles[0] : undefined;
  }

  /** The earliest time (seconds), or Infinity when empty. */
  peekWhen(): number {
    return this.length > 0 ? this.#when[0]! : Infinity;
  }

  /** Removes and returns the earliest timer. */
  pop(): TimerHandle | undefined {
    const n = this.length;
    if (n === 0) return undefined;
    const H = this.#handles;
    const top = H[0];
    const last = n - 1;
    this.length = last;
    if (last === 0) {
      H[0] = undefined;
      return top;
    }
    const W = this.#when;
    const S = this.#seq;
    const lw = W[last]!;
    const ls = S[last]!;
    const lh = H[last];
    H[last] = undefined;
    this.#siftDown(0, lw, ls, lh, last);
    return top;
  }

  /**
   * Keeps only the timers `keep` accepts (the others get `_scheduled =
   * false`), then restores the heap order in O(n).
   */
  filter(keep: (h: TimerHandle) => boolean): void {
    const W = this.#when;
    const S = this.#seq;
    const H = this.#handles;
    const n = this.length;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const h = H[i]!;
      if (!keep(h)) {
        h._scheduled = false;
        continue;
      }
      W[k] = W[i]!;
      S[k] = S[i]!;
      H[k++] = h;
    }
    for (let i = k; i < n; i++) H[i] = undefined;
    this.length = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) this.#siftDown(i, W[i]!, S[i]!, H[i], k);
  }

  /** Drops every timer. */
  clear(): void {
    this.#when = new Float64Array(64);
    this.#seq = new Float64Array(64);
    this.#handles = [];
    this.length = 0;
  }

  /** The timers, in heap order (for tests and debugging). */
  *[Symbol.iterator](): Generator<TimerHandle, void, unknown> {
    for (let i = 0; i < this.length; i++) yield this.#handles[i]!;
  }

  // Places (w, s, h) at or below `i`, in a heap of `n` entries.
  #siftDown(i: number, w: number, s: number, h: TimerHandle | undefined, n: number): void {
    const W = this.#when;
    const S = this.#seq;
    const H = this.#handles;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n) {
        const rw = W[r]!;
        const lw = W[l]!;
        if (rw < lw || (rw === lw && S[r]! < S[l]!)) c = r;
      }
      const cw = W[c]!;
      if (w < cw || (w === cw && s < S[c]!)) break;
      W[i] = cw;
      S[i] = S[c]!;
      H[i] = H[c];
      i = c;
    }
    W[i] = w;
    S[i] = s;
    H[i] = h;
  }

  #grow(): void {
    const size = this.#when.length * 2;
    const W = new Float64Array(size);
    W.set(this.#when);
    const S = new Float64Array(size);
    S.set(this.#seq);
    this.#when = W;
    this.#seq = S;
  }
}

// Scenario: a 10-callback Deferred chain, built and fired N times, against
// the same 10-step chain on native promises. One operation = one chain of
// 10 callbacks run to the end. Twisted's Deferred on CPython is measured by
// bench/python/twisted_chain.py (same job).
import { Deferred } from "../adapters/twisted/index.js";
import type { Contender, Scenario } from "./harness.js";

const LINKS = 10;
const inc = (x: number): number => x + 1;

/** Builds a Deferred, adds 10 callbacks, fires it; the chain runs synchronously. */
function deferredChains(n: number): Promise<void> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = new Deferred<number>();
    for (let k = 0; k < LINKS; k++) d.addCallback(inc);
    d.callback(0);
    sum += d.result as number;
  }
  if (sum !== n * LINKS) throw new Error("wrong result");
  return Promise.resolve();
}

/** The same 10 steps as a native promise chain, awaited. */
async function promiseChains(n: number): Promise<void> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let p: Promise<number> = Promise.resolve(0);
    for (let k = 0; k < LINKS; k++) p = p.then(inc);
    sum += await p;
  }
  if (sum !== n * LINKS) throw new Error("wrong result");
}

/** The scenario, for the benchmark runner (bench/run.ts wires it in). */
export function twistedChainScenario(): Scenario {
  const contenders: Contender[] = [
    { name: "asyncio-ts/twisted Deferred (10 callbacks)", ours: true, n: 20_000, run: deferredChains },
    { name: "native Promise chain (10 then)", reference: true, n: 20_000, run: promiseChains },
  ];
  return {
    id: "twisted-chain",
    title: "A 10-callback Deferred chain vs a native promise chain",
    unit: "chains/s",
    contenders,
    notes: [
      "Deferred callbacks run synchronously inside callback(); promise reactions run as microtasks.",
      "Twisted's Deferred on CPython: npm run bench:python (bench/python/twisted_chain.py).",
    ],
  };
}

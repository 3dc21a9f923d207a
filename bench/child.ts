// Runs one scenario (or the memory table) in this fresh process and prints
// its results as one JSON line on stdout: a fresh process per scenario keeps
// one scenario's heap, JIT state and GC history out of the next one's figures.
import { existsSync } from "node:fs";
import { measure, type Scenario } from "./harness.js";
import { measureMemory } from "./memory.js";
import { scenarios } from "./scenarios.js";

const [id, samplesArg, warmupArg] = process.argv.slice(2);
const log = (s: string): void => void process.stderr.write(s + "\n");

if (id === "memory") {
  const rows = await measureMemory(log);
  process.stdout.write(JSON.stringify({ id, rows }) + "\n");
} else {
  // The Deferred chain scenario is written by the Twisted adapter's owner; it joins when its file exists.
  const extra: Scenario[] = [];
  if (id === "twisted-chain" && existsSync(new URL("twisted-chain.ts", import.meta.url))) {
    const m = (await import("./twisted-chain.js")) as { twistedChainScenario(): Scenario };
    extra.push(m.twistedChainScenario());
  }
  if (id?.startsWith("gevent-"))
    extra.push(...((await import("./gevent.js")) as { geventScenarios: Scenario[] }).geventScenarios);
  const sc = [...scenarios, ...extra].find((s) => s.id === id);
  if (sc === undefined) {
    log(`unknown scenario ${id}; known: ${scenarios.map((s) => s.id).join(", ")}, memory`);
    process.exit(2);
  }
  const results = await measure(sc, { samples: Number(samplesArg ?? 5), warmup: Number(warmupArg ?? 1) });
  for (const r of results) log(`  ${r.name}: ${r.skip ?? r.error ?? Math.round(r.median) + " " + sc.unit}`);
  const scenario = { ...sc, contenders: [] }; // the table needs the title, unit and notes
  process.stdout.write(JSON.stringify({ id, results, scenario }) + "\n");
}

// The measuring core: contenders of one scenario are sampled interleaved in
// one process (rotating the order each round), after warm-up rounds that are
// discarded, with a full GC and an emptied Node loop before every sample, so
// that they share the machine's noise instead of each getting its own.
import { performance } from "node:perf_hooks";
import { hooksInstalled } from "./ours.js";

/** One way of doing a scenario's job. `run(n)` does n operations. */
export interface Contender {
  /** Shown in the table. */
  name: string;
  /** True for our implementations (the ratio columns compare these). */
  ours?: boolean;
  /** True for the hand-written minimal reference (the V8 limit). */
  reference?: boolean;
  /** Operations per sample: slow peers get fewer so that the run stays short. */
  n: number;
  /** Does n operations; resolves when done. */
  run(n: number): Promise<void>;
  /** Set instead of run when the contender cannot be measured (missing export...). */
  skip?: string;
  /** A note printed under the table. */
  note?: string;
}

/** A scenario: a job, its unit, and its contenders. */
export interface Scenario {
  id: string;
  title: string;
  unit: string;
  contenders: Contender[];
  notes?: string[];
}

/** What a measured contender gives back. */
export interface Result {
  name: string;
  ours: boolean;
  reference: boolean;
  n: number;
  samples: number[]; // ops/s
  median: number;
  min: number;
  max: number;
  skip?: string;
  note?: string;
  error?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

export function idle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Full GC, then let Node's loop drain (our promise hooks are removed on an immediate). */
export async function settle(): Promise<void> {
  await idle();
  gc?.();
  await idle();
  await idle();
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Samples every contender `samples` times after `warmup` discarded rounds, interleaved. */
export async function measure(sc: Scenario, opts: { samples: number; warmup: number }): Promise<Result[]> {
  const live = sc.contenders.filter((c) => c.skip === undefined);
  const samples = new Map<Contender, number[]>(live.map((c) => [c, []]));
  const errors = new Map<Contender, string>();
  const rounds = opts.warmup + opts.samples;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < live.length; k++) {
      const c = live[(k + r) % live.length]!;
      if (errors.has(c)) continue;
      await settle();
      if (!c.ours && hooksInstalled()) {
        // Our promise hooks would tax a peer's promises: wait until they are gone.
        for (let i = 0; i < 10 && hooksInstalled(); i++) await idle();
      }
      try {
        const t0 = performance.now();
        await c.run(c.n);
        const dt = (performance.now() - t0) / 1000;
        if (r >= opts.warmup) samples.get(c)!.push(c.n / dt);
      } catch (e) {
        errors.set(c, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      }
    }
  }
  return sc.contenders.map((c) => {
    const s = samples.get(c) ?? [];
    return {
      name: c.name,
      ours: !!c.ours,
      reference: !!c.reference,
      n: c.n,
      samples: s,
      median: s.length ? median(s) : NaN,
      min: s.length ? Math.min(...s) : NaN,
      max: s.length ? Math.max(...s) : NaN,
      skip: c.skip,
      note: c.note,
      error: errors.get(c),
    };
  });
}

/** 1234567 → "1.23M". */
export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e7 ? 1 : 2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e4 ? 0 : 1)}k`;
  return x.toFixed(0);
}

export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`;
}

/**
 * A scenario's markdown table: one row per contender (median ops/s and the
 * spread as min–max in percent of the median); then, for each of our rows,
 * its ratio to each other row (ours / theirs: above 1 means we are faster).
 */
export function table(sc: Scenario, results: Result[]): string {
  const lines: string[] = [];
  lines.push(`### ${sc.title}`, "");
  lines.push(`| contender | ops per sample | ${sc.unit} (median) | spread (min–max) | samples |`);
  lines.push("|---|---:|---:|---:|---:|");
  for (const r of results) {
    const name = `${r.ours ? "**ours**: " : ""}${r.name}${r.reference ? " *(V8 limit)*" : ""}`;
    if (r.skip !== undefined) {
      lines.push(`| ${name} | – | skipped: ${r.skip} | | |`);
      continue;
    }
    if (r.error !== undefined) {
      lines.push(`| ${name} | ${r.n} | failed: ${r.error.replace(/\|/g, "\\|").slice(0, 120)} | | |`);
      continue;
    }
    const lo = ((r.min / r.median - 1) * 100).toFixed(0);
    const hi = ((r.max / r.median - 1) * 100).toFixed(0);
    lines.push(
      `| ${name} | ${r.n.toLocaleString("en-US")} | ${fmtRate(r.median)} | ${lo}% / +${hi}% | ${r.samples.length} |`,
    );
  }
  const ours = results.filter((r) => r.ours && Number.isFinite(r.median));
  const others = results.filter((r) => !r.ours && Number.isFinite(r.median));
  if (ours.length > 0 && others.length > 0) {
    lines.push("", `| ours / peer | ${others.map((o) => o.name + (o.reference ? " (V8 limit)" : "")).join(" | ")} |`);
    lines.push(`|---|${others.map(() => "---:").join("|")}|`);
    for (const o of ours) lines.push(`| ${o.name} | ${others.map((p) => fmtRatio(o.median / p.median)).join(" | ")} |`);
  }
  const notes = [...(sc.notes ?? []), ...results.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`)];
  if (notes.length) lines.push("", ...notes.map((n) => `- ${n}`));
  lines.push("");
  return lines.join("\n");
}

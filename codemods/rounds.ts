/**
 * What each round of a project migration must redo. A file's result is a pure
 * function of its text, the options and the part of the round's knowledge it
 * reads: the cross-file callees of its own calls and the converted exports of
 * the files those callees live in (that is all `callbacksPass` looks up in a
 * {@link ProjectIndex}). A file whose part is unchanged since its last
 * migration keeps that result, so a round costs only the files the previous
 * round's conversions can affect (a file without cross-file calls is migrated
 * once per run).
 * @module
 */
import * as path from "node:path";
import type { FileResult, ProjectFile, RoundKnowledge } from "./engine.js";

/**
 * The converted export names of a result's output (what `exportsOf` would parse it for), when the
 * thread that migrated the file recorded them from its last tree of the output. @internal
 */
export const knownExports = new WeakMap<FileResult, string[]>();

/** The part of a round's knowledge that one file's migration reads, as a comparable string. */
function relevantKey(abs: string, k: RoundKnowledge): string {
  const callees = k.callees[abs];
  if (!callees) return "";
  const targets = [...new Set(Object.values(callees).map((c) => c.file))].sort();
  return JSON.stringify([callees, targets.map((t) => [t, k.asyncExports[t] ?? []])]);
}

/**
 * The round's knowledge cut down to what some files read (sent to a worker with those files): their
 * own callees and the converted exports of the files those callees live in.
 * @internal
 */
export function knowledgeFor(files: readonly ProjectFile[], k: RoundKnowledge): RoundKnowledge {
  const out: RoundKnowledge = { asyncExports: {}, callees: {} };
  for (const f of files) {
    const abs = path.resolve(f.file);
    const own = k.callees[abs];
    if (!own) continue;
    out.callees[abs] = own;
    for (const c of Object.values(own)) if (k.asyncExports[c.file]) out.asyncExports[c.file] = k.asyncExports[c.file];
  }
  return out;
}

/** The last result of every file and the knowledge it was computed with. @internal */
export class RoundMemo {
  private readonly abs: string[];
  private readonly keys: (string | undefined)[];
  private readonly results: (FileResult | undefined)[];
  private readonly exports = new Map<number, { output: string; names: string[] }>();

  constructor(private readonly files: readonly ProjectFile[]) {
    this.abs = files.map((f) => path.resolve(f.file));
    this.keys = files.map(() => undefined);
    this.results = files.map(() => undefined);
  }

  /** The knowledge of the last {@link stale} call, and which files call into each file under its callees. */
  private last: RoundKnowledge | undefined;
  private dependents = new Map<string, number[]>();

  /**
   * Indices of the files whose result may differ under this knowledge (every file in the first round). Only the
   * files that call into a file whose converted exports changed are compared (a chain of n files takes n rounds:
   * comparing every file in each would cost n² keys).
   */
  stale(k: RoundKnowledge): number[] {
    let candidates: Iterable<number>;
    if (!this.last || this.last.callees !== k.callees) {
      candidates = this.files.keys();
      this.dependents = new Map();
      for (let i = 0; i < this.files.length; i++)
        for (const t of new Set(Object.values(k.callees[this.abs[i]!] ?? {}).map((c) => c.file))) {
          const list = this.dependents.get(t);
          if (list) list.push(i);
          else this.dependents.set(t, [i]);
        }
    } else {
      const changed = new Set<number>();
      // The exports arrays are shared from one round to the next while a file's output is unchanged.
      for (const t of new Set([...Object.keys(k.asyncExports), ...Object.keys(this.last.asyncExports)]))
        if (k.asyncExports[t] !== this.last.asyncExports[t])
          for (const i of this.dependents.get(t) ?? []) changed.add(i);
      candidates = [...changed].sort((a, b) => a - b);
    }
    this.last = k;
    const out: number[] = [];
    for (const i of candidates) if (this.keys[i] !== relevantKey(this.abs[i]!, k)) out.push(i);
    return out;
  }

  /** Records the results of the files `indices` (as {@link stale} returned them) under this knowledge. */
  record(indices: readonly number[], k: RoundKnowledge, results: readonly FileResult[]): void {
    if (results.length !== indices.length) throw new Error("codemod bug: a round returned the wrong number of results");
    indices.forEach((i, j) => {
      this.keys[i] = relevantKey(this.abs[i]!, k);
      this.results[i] = results[j];
    });
  }

  /** Replaces file `i`'s latest result (keeping the knowledge it was computed with). */
  replace(i: number, result: FileResult): void {
    this.results[i] = result;
  }

  /** File `i`'s latest result. */
  result(i: number): FileResult {
    const r = this.results[i];
    if (!r) throw new Error(`codemod bug: no result for ${this.files[i]!.file}`);
    return r;
  }

  /** Every file's latest result, in input order. */
  all(): FileResult[] {
    return this.results.map((r, i) => {
      if (!r) throw new Error(`codemod bug: no result for ${this.files[i]!.file}`);
      return r;
    });
  }

  /** Converted export names of file `i`'s latest output, parsed once per distinct output. */
  exportsOf(i: number, parse: (file: string, output: string) => string[]): string[] {
    const r = this.results[i]!;
    const known = this.exports.get(i);
    if (known && known.output === r.output) return known.names;
    const names = knownExports.get(r) ?? parse(r.file, r.output);
    this.exports.set(i, { output: r.output, names });
    return names;
  }
}

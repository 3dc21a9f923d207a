/**
 * `--jobs N`: the main thread and up to N-1 worker threads take files from one
 * queue, so a worker that is still loading the compiler (half a second or more
 * under load) costs nothing: the main thread has already started, and a run
 * too small to repay a worker's start-up finishes before the worker takes its
 * first batch. Workers are started once per run and kept across rounds; each
 * batch carries only the knowledge its files read ({@link knowledgeFor}).
 * Results are placed by input index, so the output does not depend on who
 * migrated which file.
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { MigrateOptions } from "./core.js";
import { type FileResult, makeIndex, migrateRound, type ProjectFile, type RoundKnowledge } from "./engine.js";
import { knowledgeFor, knownExports } from "./rounds.js";
import type { WorkerRequest } from "./worker.js";

/** Fewer files than this per extra thread are not worth a worker's start-up (about 0.3 s of CPU: the compiler). */
const FILES_PER_WORKER = 24;

/**
 * How many worker threads `--jobs` (already capped by cores and memory, codemods/runner.ts) starts for a
 * run of `files` files: jobs - 1 (the main thread migrates too), none for a run too small to repay one.
 * @internal
 */
export function workerCount(jobs: number, files: number): number {
  return Math.max(0, Math.min(jobs - 1, Math.floor(files / FILES_PER_WORKER) - 1));
}

/** Where the compiled worker is, or the .ts source in a development checkout. */
function makeWorker(): Worker {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const js = path.join(here, "worker.js");
  if (fs.existsSync(js)) return new Worker(pathToFileURL(js));
  // Development checkout: on Node 20 a loader given by --import is not applied
  // inside worker threads, so the worker registers tsx itself, then loads the source.
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const source = pathToFileURL(path.join(here, "worker.ts")).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(code, { eval: true });
}

/** Lets queued worker messages in between two files of the main thread. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The main thread plus some workers over one queue of files. @internal */
export class MigratePool {
  private readonly workers: Worker[];
  private readonly mainThread: boolean;
  private nextId = 0;
  /** How many files the workers have migrated (all rounds). */
  migratedByWorkers = 0;

  /** @param opts.mainThread - false: only the workers migrate (tests of the worker path). */
  constructor(workers: number, opts: { mainThread?: boolean } = {}) {
    this.mainThread = opts.mainThread ?? true;
    if (!this.mainThread && workers < 1) throw new Error("codemod bug: a pool with no thread to migrate");
    this.workers = Array.from({ length: workers }, () => makeWorker());
  }

  /** Migrates `files` with `knowledge`; results in input order. `onProgress(n)`: n more files done. */
  async round(
    files: readonly ProjectFile[],
    options: MigrateOptions,
    knowledge: RoundKnowledge,
    onProgress: (n: number) => void,
  ): Promise<FileResult[]> {
    const results: FileResult[] = new Array(files.length);
    let next = 0;
    // A worker that failed fails the round: the main thread stops taking files too.
    let failed = false;
    // Small batches for workers (a worker that starts late or is slow holds little back), larger when many remain.
    const take = (): number[] => {
      const n = Math.max(1, Math.min(16, Math.floor((files.length - next) / (4 * (this.workers.length + 1)))));
      const out: number[] = [];
      while (out.length < n && next < files.length) out.push(next++);
      return out;
    };
    const viaWorker = async (w: Worker): Promise<void> => {
      for (let batch = take(); batch.length > 0; batch = take()) {
        const mine = batch.map((i) => files[i]!);
        const got = await this.call(w, { files: mine, options, knowledge: knowledgeFor(mine, knowledge) }).catch(
          (e: unknown) => {
            failed = true;
            throw e;
          },
        );
        batch.forEach((i, j) => {
          results[i] = got[j]!;
        });
        this.migratedByWorkers += batch.length;
        onProgress(batch.length);
      }
    };
    const inMain = async (): Promise<void> => {
      const index = makeIndex(knowledgeFor(files, knowledge));
      while (!failed && next < files.length) {
        const i = next++;
        results[i] = migrateRound([files[i]!], options, index)[0]!;
        onProgress(1);
        if (this.workers.length > 0) await yieldToEvents();
      }
    };
    await Promise.all([...(this.mainThread ? [inMain()] : []), ...this.workers.map(viaWorker)]);
    return results;
  }

  private call(w: Worker, req: Omit<WorkerRequest, "id">): Promise<FileResult[]> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const onMsg = (m: { id: number; results?: FileResult[]; exports?: (string[] | undefined)[]; error?: string }) => {
        if (m.id !== id) return;
        w.off("message", onMsg);
        w.off("error", onErr);
        if (m.error) return reject(new Error(m.error));
        m.results!.forEach((r, i) => {
          const names = m.exports?.[i];
          if (names) knownExports.set(r, names);
        });
        resolve(m.results!);
      };
      const onErr = (e: Error) => {
        w.off("message", onMsg);
        reject(e);
      };
      w.on("message", onMsg);
      w.on("error", onErr);
      w.postMessage({ ...req, id });
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

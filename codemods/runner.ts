/**
 * Running the engine's rounds over the files: in this thread, or spread over worker threads (`--jobs`),
 * whose number is capped by the cores and the free memory.
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { MigrateOptions } from "./core.js";
import {
  driveRounds,
  type FileResult,
  makeIndex,
  migrateRound,
  type ProjectFile,
  type RoundKnowledge,
} from "./engine.js";
import type { WorkerRequest } from "./worker.js";

/** What `--jobs` is capped by. @internal */
export interface Machine {
  /** Cores available to this process. */
  cores: number;
  /** Free memory, bytes. */
  freeMemory: number;
}

/** About what one worker thread needs (a TypeScript program per round); `--jobs 16` used 1.55 GB. */
export const WORKER_MEMORY = 256 * 2 ** 20;

/** This machine. @internal */
export function thisMachine(): Machine {
  return { cores: os.availableParallelism(), freeMemory: os.freemem() };
}

/** The worker threads to start: at most one per core and what free memory allows, at least one. @internal */
export function jobsFor(requested: number, m: Machine): number {
  return Math.max(1, Math.min(requested, m.cores, Math.floor(m.freeMemory / WORKER_MEMORY)));
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

/** Migrates the files over `jobs` worker threads (results in input order). @internal */
export async function runWithWorkers(
  files: ProjectFile[],
  options: MigrateOptions,
  jobs: number,
  onProgress: (n: number) => void,
): Promise<FileResult[]> {
  const workers = Array.from({ length: jobs }, () => makeWorker());
  let nextId = 0;
  const call = (w: Worker, req: Omit<WorkerRequest, "id">): Promise<FileResult[]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const onMsg = (m: { id: number; results?: FileResult[]; error?: string }) => {
        if (m.id !== id) return;
        w.off("message", onMsg);
        w.off("error", onErr);
        if (m.error) reject(new Error(m.error));
        else resolve(m.results!);
      };
      const onErr = (e: Error) => reject(e);
      w.on("message", onMsg);
      w.on("error", onErr);
      w.postMessage({ ...req, id });
    });
  try {
    return await driveRounds(
      files,
      async (knowledge) => {
        // Chunks keep results in input order.
        const chunks: ProjectFile[][] = Array.from({ length: jobs }, () => []);
        for (const [i, f] of files.entries()) chunks[i % jobs].push(f);
        // Each worker gets the resolved callees of its own files only.
        const forChunk = (c: ProjectFile[]): RoundKnowledge => {
          const callees: RoundKnowledge["callees"] = {};
          for (const f of c) {
            const own = knowledge.callees[path.resolve(f.file)];
            if (own) callees[path.resolve(f.file)] = own;
          }
          return { asyncExports: knowledge.asyncExports, callees };
        };
        const parts = await Promise.all(
          chunks.map((c, i) =>
            c.length ? call(workers[i], { files: c, options, knowledge: forChunk(c) }) : Promise.resolve([]),
          ),
        );
        onProgress(files.length);
        const byFile = new Map<string, FileResult>();
        for (const p of parts) for (const r of p) byFile.set(r.file, r);
        return files.map((f) => byFile.get(f.file)!);
      },
      options,
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Migrates the files in this thread. @internal */
export async function runInProcess(
  files: ProjectFile[],
  options: MigrateOptions,
  onProgress: (n: number) => void,
): Promise<FileResult[]> {
  return driveRounds(
    files,
    (knowledge) => {
      const index = makeIndex(knowledge);
      const out: FileResult[] = [];
      for (const f of files) {
        out.push(...migrateRound([f], options, index));
        onProgress(1);
      }
      return out;
    },
    options,
  );
}

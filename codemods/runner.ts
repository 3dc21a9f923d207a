/**
 * Running the engine's rounds over the files: in this thread, or with worker threads too (`--jobs`),
 * whose number is capped by the cores and the free memory.
 * @module
 */
import * as os from "node:os";
import type { MigrateOptions } from "./core.js";
import { driveRounds, type FileResult, makeIndex, migrateRound, type ProjectFile } from "./engine.js";
import { MigratePool, workerCount } from "./pool.js";

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

/**
 * Migrates the files with this thread and up to jobs - 1 worker threads over one queue (codemods/pool.ts);
 * results in input order. @internal
 */
export async function runWithWorkers(
  files: ProjectFile[],
  options: MigrateOptions,
  jobs: number,
  onProgress: (n: number) => void,
): Promise<FileResult[]> {
  const pool = new MigratePool(workerCount(jobs, files.length));
  try {
    return await driveRounds(files, (knowledge, todo) => pool.round(todo, options, knowledge, onProgress), options);
  } finally {
    await pool.close();
  }
}

/** Migrates the files in this thread (a round migrates only the files whose knowledge changed). @internal */
export async function runInProcess(
  files: ProjectFile[],
  options: MigrateOptions,
  onProgress: (n: number) => void,
): Promise<FileResult[]> {
  return driveRounds(
    files,
    (knowledge, todo) => {
      const index = makeIndex(knowledge);
      const out: FileResult[] = [];
      for (const f of todo) {
        out.push(...migrateRound([f], options, index));
        onProgress(1);
      }
      return out;
    },
    options,
  );
}

/**
 * Running the engine's rounds over the files: in this thread, or with worker threads too (`--jobs`),
 * whose number is capped by the cores and the free memory.
 * @module
 */
import * as os from "node:os";
import type { MigrateOptions } from "./core.js";
import {
  driveRounds,
  type FileResult,
  makeIndex,
  migrateRound,
  type ProjectFile,
  type RoundKnowledge,
} from "./engine.js";
import { MigratePool, workerCount } from "./pool.js";
import { knowledgeFor } from "./rounds.js";

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
 * What a run tells its caller (the CLI's progress bar) as it goes: a round starts, and how many files it
 * migrates (round 1: every file; later rounds only those whose cross-file knowledge changed); n more files
 * of the current round are done. @internal
 */
export interface RunProgress {
  /** Round `round` (1, 2, …) starts; it migrates `files` files. */
  round(round: number, files: number): void;
  /** `n` more files of the current round are done. */
  done(n: number): void;
}

/** {@link driveRounds} that tells `progress` of each round before running it. */
function driveReporting(
  files: readonly ProjectFile[],
  options: MigrateOptions,
  progress: RunProgress | undefined,
  round: (knowledge: RoundKnowledge, todo: readonly ProjectFile[]) => Promise<FileResult[]> | FileResult[],
): Promise<FileResult[]> {
  let n = 0;
  return driveRounds(
    files,
    (knowledge, todo) => {
      progress?.round(++n, todo.length);
      return round(knowledge, todo);
    },
    options,
  );
}

/**
 * Migrates the files with this thread and up to jobs - 1 worker threads over one queue (codemods/pool.ts);
 * results in input order. @internal
 */
export async function runWithWorkers(
  files: ProjectFile[],
  options: MigrateOptions,
  jobs: number,
  progress?: RunProgress,
): Promise<FileResult[]> {
  const pool = new MigratePool(workerCount(jobs, files.length));
  try {
    return await driveReporting(files, options, progress, (knowledge, todo) =>
      pool.round(todo, options, knowledge, (n) => progress?.done(n)),
    );
  } finally {
    await pool.close();
  }
}

/** Migrates the files in this thread (a round migrates only the files whose knowledge changed). @internal */
export async function runInProcess(
  files: ProjectFile[],
  options: MigrateOptions,
  progress?: RunProgress,
): Promise<FileResult[]> {
  return driveReporting(files, options, progress, (knowledge, todo) => {
    const index = makeIndex(knowledgeFor(todo, knowledge));
    const out: FileResult[] = [];
    for (const f of todo) {
      out.push(...migrateRound([f], options, index));
      progress?.done(1);
    }
    return out;
  });
}

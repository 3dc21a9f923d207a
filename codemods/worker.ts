/**
 * Worker thread for `asyncio-ts migrate --jobs N`: migrates the files it is
 * sent with the cross-file knowledge of the current round.
 * @module
 */
import { parentPort } from "node:worker_threads";
import { makeIndex, migrateRound, type ProjectFile, type RoundKnowledge } from "./engine.js";
import type { MigrateOptions } from "./core.js";
import { knownExports } from "./rounds.js";

/** A request to a worker. @internal */
export interface WorkerRequest {
  id: number;
  files: ProjectFile[];
  options: MigrateOptions;
  /** The round's knowledge, with the callees of this request's files only. */
  knowledge: RoundKnowledge;
}

parentPort?.on("message", (req: WorkerRequest) => {
  try {
    const results = migrateRound(req.files, req.options, makeIndex(req.knowledge));
    parentPort!.postMessage({ id: req.id, results, exports: results.map((r) => knownExports.get(r)) });
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});

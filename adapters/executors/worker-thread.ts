// The module piscina runs in each worker thread of a ThreadPoolExecutor:
// its default export runs one job. Cancellation of running jobs arrives two
// ways: a BroadcastChannel message (aborts the job's signal when the thread
// is idle in an await) and a shared ring of cancelled ids (read by
// `signal.aborted` in synchronous code, where no message can arrive).
import { BroadcastChannel } from "node:worker_threads";
import { workerData } from "piscina";
import { cancelJob, runJob, setCancelledFlag, type JobMessage } from "./worker-core.js";

interface ThreadWorkerData {
  channel: string;
  ring: Int32Array;
}

const data = workerData as ThreadWorkerData;
const ring = data.ring;
const mask = ring.length - 1;
setCancelledFlag((id) => Atomics.load(ring, id & mask) === id);
const channel = new BroadcastChannel(data.channel);
channel.onmessage = (ev) => cancelJob((ev as { data: number }).data);
// The channel must not keep the thread alive: piscina owns its lifetime.
channel.unref();

/** Runs one job (piscina's task handler). */
export default function run(job: JobMessage): unknown {
  return runJob(job);
}

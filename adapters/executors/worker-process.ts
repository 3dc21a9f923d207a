// The main module of each child process of a ProcessPoolExecutor: jobs and
// cancellations arrive over the IPC channel (advanced serialisation), one
// job at a time; results go back the same way. The child exits when its
// parent disconnects. An uncaught error outside a job is sent to the parent
// (which fails the running job with it) before the child exits.
import { encodeError } from "./errors.js";
import { cancelJob, runJob, type JobMessage } from "./worker-core.js";

type Incoming = JobMessage | { cancel: number };

let current: number | undefined;

function send(msg: unknown): void {
  try {
    process.send!(msg);
  } catch (e) {
    // A result that cannot be serialised: say so instead of dying.
    const m = msg as { id: number };
    process.send!({ id: m.id, ok: false, e: encodeError(e) });
  }
}

process.on("message", (msg: Incoming) => {
  if ("cancel" in msg) return cancelJob(msg.cancel);
  current = msg.id;
  new Promise((resolve) => resolve(runJob(msg))).then(
    (v) => {
      current = undefined;
      send({ id: msg.id, ok: true, v });
    },
    (e) => {
      current = undefined;
      send({ id: msg.id, ok: false, e });
    },
  );
});

function fatal(e: unknown): void {
  // Exit once the report is flushed (or at once if it cannot be sent).
  const exit = (): never => process.exit(70);
  try {
    process.send!({ uncaught: encodeError(e), id: current }, undefined, {}, exit);
    setTimeout(exit, 1000).unref();
  } catch {
    exit();
  }
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);
process.on("disconnect", () => process.exit(0));

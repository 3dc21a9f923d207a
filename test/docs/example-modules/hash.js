// A worker module for the executors' TSDoc examples (see jobs.js).
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/** The SHA-256 of a file, in hex. */
export async function sha256File(path) {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

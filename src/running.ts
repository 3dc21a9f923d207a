// The running loop, in a module of its own so that futures and tasks can
// find it without a runtime import cycle with loop.ts.
import { RuntimeError } from "./errors.js";
import type { EventLoop } from "./loop.js";

let runningLoop: EventLoop | undefined;

/**
 * The loop that is running now. Throws `RuntimeError` outside a running loop.
 *
 * @example
 * ```ts
 * await run(async () => { getRunningLoop().callLater(1, () => console.log("a second later")); });
 * ```
 */
export function getRunningLoop(): EventLoop {
  if (runningLoop === undefined) throw new RuntimeError("no running event loop");
  return runningLoop;
}

/** @internal The running loop or undefined. */
export function _getRunningLoop(): EventLoop | undefined {
  return runningLoop;
}

/** @internal */
export function _setRunningLoop(loop: EventLoop | undefined): void {
  runningLoop = loop;
}

// The running loop, in a module of its own so that futures and tasks can
// find it without a runtime import cycle with loop.ts.
//
// Several loops may run at once in one process (a test runner runs many
// tests concurrently, each on its own loop), so "the running loop" is the
// loop of the code that is running: the loop whose iteration is executing,
// or the loop of the current task or callback (carried across awaits), or
// else the only loop that is running.
import { RuntimeError } from "./errors.js";
import { state } from "./context.js";
import type { EventLoop } from "./loop-interface.js";

const running = new Set<EventLoop>();
let ticking: EventLoop | undefined;

/**
 * The loop that is running now. Throws `RuntimeError` outside a running loop.
 *
 * @example
 * ```ts
 * await run(async () => { getRunningLoop().callLater(1, () => console.log("a second later")); });
 * ```
 */
export function getRunningLoop(): EventLoop {
  const loop = _getRunningLoop();
  if (loop === undefined) throw new RuntimeError("no running event loop");
  return loop;
}

/** @internal The running loop or undefined. */
export function _getRunningLoop(): EventLoop | undefined {
  const frameLoop = state.current?._loop as EventLoop | undefined;
  if (frameLoop?._running) return frameLoop;
  if (ticking !== undefined) return ticking;
  if (running.size === 1) for (const l of running) return l;
  return undefined;
}

/** @internal */
export function _loopStarted(loop: EventLoop): void {
  running.add(loop);
}

/** @internal */
export function _loopStopped(loop: EventLoop): void {
  running.delete(loop);
}

/** @internal The loop whose iteration runs now (set by the loop around its callbacks). */
export function _setTicking(loop: EventLoop | undefined): EventLoop | undefined {
  const prev = ticking;
  ticking = loop;
  return prev;
}

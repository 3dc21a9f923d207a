// The one path for errors that no subscriber can receive (raised after
// unsubscribe, or in teardown): the loop's exception handler, once.
import { getRunningLoop, type EventLoop } from "../../src/index.js";

/** The running loop, or undefined outside one. */
export function runningLoopOrUndefined(): EventLoop | undefined {
  try {
    return getRunningLoop();
  } catch {
    return undefined;
  }
}

/** Reports `exception` through `loop`'s exception handler (console.error when there is no open loop). */
export function reportUnhandled(loop: EventLoop | undefined, message: string, exception: unknown): void {
  const l = loop !== undefined && !loop.isClosed() ? loop : runningLoopOrUndefined();
  if (l !== undefined) l.callExceptionHandler({ message, exception });
  else console.error(message, exception);
}

/** Unsubscribes; an error thrown by the teardown goes to the loop's exception handler (once). */
export function safeUnsubscribe(sub: { unsubscribe(): void } | undefined, loop: EventLoop | undefined): void {
  if (sub === undefined) return;
  try {
    sub.unsubscribe();
  } catch (e) {
    reportUnhandled(loop, "Error in the teardown of an rxjs subscription", e);
  }
}

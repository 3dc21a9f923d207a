/**
 * The event loop's type as the modules below loop.ts name it, at the bottom
 * of the core's imports (as CPython's `events.AbstractEventLoop`): this
 * module imports nothing, so futures, tasks, the running-loop registry and
 * the waiters type the loop without importing loop.ts, and loop.ts imports
 * them without a cycle. loop.ts fills {@link LoopTypes} in (declaration
 * merging), so that {@link EventLoop} here is the very `EventLoop` class of
 * loop.ts: the public signatures (`Future.getLoop()`, `getRunningLoop()`,
 * the `loop` options) keep naming that class.
 * @module
 */

/**
 * The loop types that loop.ts registers by declaration merging
 * (`declare module "./loop-interface.js" { interface LoopTypes { loop: EventLoop } }`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by loop.ts (declaration merging)
export interface LoopTypes {}

/**
 * The `EventLoop` class of loop.ts, named without importing it.
 */
export type EventLoop = LoopTypes["loop"];

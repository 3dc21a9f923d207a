/**
 * Failures nobody retrieved (a Future's or Task's exception, a Deferred's
 * final Failure), reported once through their loop's exception handler at
 * the first of: the owner's garbage collection (asyncio's `__del__`), the
 * loop's `close()`, or process exit.
 *
 * Invariant: a report is in `pending` exactly while it may still be made;
 * whoever makes it (or retrieves the failure) removes it first, so it is made
 * at most once.
 * @module
 */
import type { AbstractEventLoop } from "./events.js";

/** @internal A report that may be due later. */
export interface PendingReport {
  /** The loop whose close makes the report (undefined: only GC or process exit). */
  readonly loop: AbstractEventLoop | undefined;
  /** Makes the report (called at most once, after removal from the pending set). */
  report(): void;
}

/** @internal The report of a Future's exception that was never retrieved. */
export class UnretrievedException implements PendingReport {
  constructor(
    readonly exception: unknown,
    readonly loop: AbstractEventLoop,
    readonly message: string,
  ) {}
  report(): void {
    this.loop.callExceptionHandler({ message: this.message, exception: this.exception });
  }
}

const pending = new Set<PendingReport>();
const collected = new FinalizationRegistry<PendingReport>(reportOnce);
let exitHookInstalled = false;

function reportOnce(r: PendingReport): void {
  if (pending.delete(r)) r.report();
}

function reportAtExit(): void {
  for (const r of [...pending]) reportOnce(r);
}

/**
 * @internal Holds `r` until {@link dropReport}; made at `owner`'s collection
 * (if given), at `r.loop`'s close, or at process exit, whichever comes first.
 */
export function holdReport(r: PendingReport, owner?: object): void {
  pending.add(r);
  if (owner !== undefined) collected.register(owner, r, r);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", reportAtExit);
  }
}

/** @internal The failure was retrieved (or handled): `r` is never made. */
export function dropReport(r: PendingReport): void {
  if (pending.delete(r)) collected.unregister(r);
}

/** @internal Makes the pending reports of `loop` now (at its close). */
export function reportPendingOf(loop: AbstractEventLoop): void {
  if (pending.size === 0) return;
  for (const r of [...pending]) {
    if (r.loop !== loop) continue;
    collected.unregister(r);
    reportOnce(r);
  }
}

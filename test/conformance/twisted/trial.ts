// trial's SynchronousTestCase helpers (successResultOf, failureResultOf,
// assertNoResult), written for ava: they throw, so a test stops at the
// first broken expectation as trial's do.
import { type Deferred, Failure, type ErrorType } from "../../../adapters/twisted/index.js";

/** A test error, as test_defer.py's GenericError. */
export class GenericError extends Error {
  override name = "GenericError";
}

/** The result of a fired Deferred; throws if it has none or failed. Like trial's, it consumes the result (addBoth returns undefined). */
export function successResultOf<T>(d: Deferred<T>): T {
  const results: unknown[] = [];
  d.addBoth((r: unknown) => {
    results.push(r);
    return undefined;
  });
  if (results.length === 0) throw new Error(`Success result expected on ${d}, found no result instead`);
  const r = results[0];
  if (r instanceof Failure)
    throw new Error(`Success result expected on ${d}, found failure result instead:\n${r.getTraceback()}`);
  return r as T;
}

/** The Failure of a failed Deferred, checked against `types` if given; throws otherwise. Consumes it. */
export function failureResultOf(d: Deferred<unknown>, ...types: ErrorType[]): Failure {
  const results: unknown[] = [];
  d.addBoth((r: unknown) => {
    results.push(r);
    return undefined;
  });
  if (results.length === 0) throw new Error(`Failure result expected on ${d}, found no result instead`);
  const r = results[0];
  if (!(r instanceof Failure))
    throw new Error(`Failure result expected on ${d}, found success result (${String(r)}) instead`);
  if (types.length > 0 && r.check(...types) === undefined) {
    throw new Error(
      `Failure of type (${types.map((t) => t.name).join(", ")}) expected on ${d}, found type ${r.parents[0]} instead:\n${r.getTraceback()}`,
    );
  }
  return r;
}

/** Throws if `d` has a result (a failure found is swallowed, as trial does). */
export function assertNoResult(d: Deferred<unknown>): void {
  const results: unknown[] = [];
  d.addBoth((r: unknown) => {
    results.push(r);
    return r;
  });
  if (results.length > 0) {
    d.addErrback(() => undefined);
    throw new Error(`No result expected on ${d}, found ${String(results[0])} instead`);
  }
}

/** test_defer.py's assertImmediateFailure: the Deferred has already failed with `type`; returns the error. */
export function assertImmediateFailure(d: Deferred<unknown>, type: ErrorType): unknown {
  const failures: Failure[] = [];
  d.addErrback((f: Failure) => {
    failures.push(f);
    return undefined;
  });
  if (failures.length !== 1 || failures[0]!.check(type) === undefined)
    throw new Error(`expected an immediate ${type.name} failure on ${d}`);
  return failures[0]!.value;
}

// Typed targets for the exports of jobs.ts, shared by the executor tests.
import { target } from "../../../adapters/executors/index.js";
import type * as Jobs from "./jobs.js";

type J = typeof Jobs;
type Params<F> = F extends (...a: infer A) => unknown ? A : never;
type NoSignal<A> = A extends [...infer H, AbortSignal] ? H : A;
type Returns<F> = F extends (...a: any[]) => infer R ? R : never;
/** A target for an export of jobs.ts, typed from its signature (without the trailing signal). */
export const job = <K extends keyof J>(name: K) =>
  target<NoSignal<Params<J[K]>>, Returns<J[K]>>("./jobs.ts", name, import.meta.url);

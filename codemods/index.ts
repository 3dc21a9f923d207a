/**
 * asyncio-ts-codemods: migrate callback-style and promise-chain JavaScript /
 * TypeScript to async/await without changing behaviour. What cannot be proven
 * safe is left unchanged and reported with a reason code ({@link REASONS}).
 *
 * @example
 * ```ts
 * import { migrateSource } from "asyncio-ts-codemods";
 * const text = "fs.readFile(p, function (err, data) { if (err) throw err; use(data); });";
 * const { output, sites } = migrateSource(text, "lib/a.js");
 * ```
 * @module asyncio-ts-codemods
 */
export { migrateSource, migrateProject, type FileResult, type ProjectFile } from "./engine.js";
export {
  TRANSFORM_NAMES,
  type TransformName,
  type Site,
  type MigrateOptions,
  type ProjectIndex,
  type CrossFileCallee,
  type SiteFilter,
  siteKey,
} from "./core.js";
export {
  ASSUMPTIONS,
  ASSUME_PROFILES,
  type AssumptionName,
  type AssumeProfile,
} from "./assumptions.js";
export { REASONS, Refusal, type ReasonCode } from "./reasons.js";
export { buildReport, type Report, type ReportFile, type ReportSummary, type TransformTotals } from "./report.js";
export type { VerifyOutcome, RevertedSite } from "./verify.js";
export { FILE_ERRORS, type FileErrorCode, type FileError } from "./file-errors.js";

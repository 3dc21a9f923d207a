/**
 * The `--report` JSON: every site of every file plus a summary.
 * @module
 */
import type { FileResult } from "./engine.js";
import type { Site } from "./core.js";
import type { VerifyOutcome } from "./verify.js";
import type { FileError } from "./file-errors.js";

/**
 * One file in a report.
 * @example
 * ```ts
 * const f: ReportFile = { file: "lib/a.js", changed: true, sites: [] };
 * ```
 */
export interface ReportFile {
  /** Path as given on the command line (relative to the working directory). */
  file: string;
  /** Whether the migration changed the file. */
  changed: boolean;
  /** Its sites, in source order. */
  sites: Site[];
  /** Syntax errors: the file did not parse and was left untouched. */
  parseErrors?: string[];
  /** A codemod bug hit on this file (left untouched). */
  internalError?: string;
  /**
   * Why the file was skipped or not written ({@link FILE_ERRORS}): not valid UTF-8, unreadable, nested too
   * deeply, a codemod bug, changed on disk since it was read, or a write that failed.
   */
  error?: FileError;
}

/**
 * Totals over all files.
 * @example
 * ```ts
 * const s: ReportSummary = { files: 1, filesChanged: 0, filesUnparsable: 0, filesFailed: 0, filesFailedByCode: {}, sites: 0, converted: 0, refused: 0, refusedByReason: {}, assumptions: {}, byTransform: {} };
 * ```
 */
export interface ReportSummary {
  /** Files examined. */
  files: number;
  /** Files whose text changed. */
  filesChanged: number;
  /** Files that did not parse (left untouched). */
  filesUnparsable: number;
  /** Files with an {@link ReportFile.error} (skipped, or not written). */
  filesFailed: number;
  /** Those files per error code. */
  filesFailedByCode: Record<string, number>;
  /** Sites found (converted + refused). */
  sites: number;
  /** Sites converted. */
  converted: number;
  /** Sites refused. */
  refused: number;
  /** Refused sites per reason code. */
  refusedByReason: Record<string, number>;
  /** Converted sites that relied on each assumption (a site may count under several). */
  assumptions: Record<string, number>;
  /** Per transform: found / converted / refused. */
  byTransform: Record<string, TransformTotals>;
}

/**
 * Site counts of one transform.
 * @example
 * ```ts
 * const t: TransformTotals = { sites: 3, converted: 2, refused: 1 };
 * ```
 */
export interface TransformTotals {
  /** Sites found. */
  sites: number;
  /** Sites converted. */
  converted: number;
  /** Sites refused. */
  refused: number;
}

/**
 * The whole report: `{ files: [{ file, changed, sites: [{ line, column, transform, status, reason? }] }], summary }`.
 * @example
 * ```ts
 * const r: Report = buildReport([]);
 * ```
 */
export interface Report {
  /** Report format version. */
  version: 1;
  /** Every file examined. */
  files: ReportFile[];
  /** Totals. */
  summary: ReportSummary;
  /** With `--verify`: the test runs and the sites reverted as `BROKE_TESTS` with the tests they broke. */
  verify?: VerifyOutcome;
}

/**
 * Builds a report from migration results.
 * @param results - file results (file names as they should appear).
 * @example
 * ```ts
 * const text = "fs.readFile(p, function (err, data) { if (err) throw err; use(data); });";
 * const report = buildReport([migrateSource(text, "a.js")]);
 * console.log(report.summary.converted);
 * ```
 */
export function buildReport(results: readonly FileResult[]): Report {
  const summary: ReportSummary = {
    files: 0,
    filesChanged: 0,
    filesUnparsable: 0,
    filesFailed: 0,
    filesFailedByCode: {},
    sites: 0,
    converted: 0,
    refused: 0,
    refusedByReason: {},
    assumptions: {},
    byTransform: {},
  };
  const files: ReportFile[] = [];
  for (const r of results) {
    summary.files++;
    if (r.changed) summary.filesChanged++;
    if (r.parseErrors) summary.filesUnparsable++;
    // Every site carries its assumptions in the report (`[]`: proven, or refused).
    const sites = r.sites.map((s) => ({ ...s, assumptions: s.assumptions ?? [] }));
    const f: ReportFile = { file: r.file, changed: r.changed, sites };
    if (r.parseErrors) f.parseErrors = r.parseErrors;
    if (r.internalError) f.internalError = r.internalError;
    if (r.error) {
      f.error = r.error;
      summary.filesFailed++;
      summary.filesFailedByCode[r.error.code] = (summary.filesFailedByCode[r.error.code] ?? 0) + 1;
    }
    files.push(f);
    for (const s of sites) {
      summary.sites++;
      for (const a of s.assumptions) summary.assumptions[a] = (summary.assumptions[a] ?? 0) + 1;
      const t = (summary.byTransform[s.transform] ??= { sites: 0, converted: 0, refused: 0 });
      t.sites++;
      if (s.status === "converted") {
        summary.converted++;
        t.converted++;
      } else {
        summary.refused++;
        t.refused++;
        const k = s.reason ?? "UNKNOWN";
        summary.refusedByReason[k] = (summary.refusedByReason[k] ?? 0) + 1;
      }
    }
  }
  return { version: 1, files, summary };
}

/**
 * File-level outcomes of the CLI: why a whole file was skipped or not written. Unlike a site's
 * reason code ({@link REASONS}), these concern the file (its bytes, the file system), not a callback site.
 * @module
 */

/**
 * Every file-level error code with its one-line description (the report's `files[].error.code`).
 * @example
 * ```ts
 * import { FILE_ERRORS } from "asyncio-ts-codemods";
 * console.log(FILE_ERRORS.NOT_UTF8);
 * ```
 */
export const FILE_ERRORS = {
  /** the file nests too deeply for the parser or an analysis (a stack overflow); left untouched */
  TOO_DEEPLY_NESTED: "nested too deeply to analyse (the parser or an analysis ran out of stack); left untouched",
  /** a codemod bug hit on this file; left untouched */
  INTERNAL_ERROR: "a codemod bug hit this file (please report it); left untouched",
  /** the file's bytes are not valid UTF-8 (or it starts with a UTF-16 byte order mark) */
  NOT_UTF8: "not valid UTF-8 (rewriting it would change bytes outside the edits); left untouched",
  /** the file could not be read */
  READ_FAILED: "could not be read; left untouched",
  /** the file changed on disk after it was read: writing would lose that change */
  CHANGED_SINCE_READ: "changed on disk after it was read; not overwritten (run again)",
  /** the converted text could not be written */
  WRITE_FAILED: "could not be written; left as it was",
  /** another file could not be written, so nothing was (a `--write` run writes all files or none) */
  NOT_WRITTEN: "not written because another file could not be (a --write run writes all its files or none)",
} as const;

/**
 * A file-level error code ({@link FILE_ERRORS}).
 * @example
 * ```ts
 * const c: FileErrorCode = "NOT_UTF8";
 * ```
 */
export type FileErrorCode = keyof typeof FILE_ERRORS;

/**
 * A file-level error: its code and the underlying message (an errno message, the first line of a stack).
 * @example
 * ```ts
 * const e: FileError = { code: "READ_FAILED", message: "EACCES: permission denied" };
 * ```
 */
export interface FileError {
  /** What happened. */
  code: FileErrorCode;
  /** Details: the system error or the exception's first line. */
  message: string;
}

/** True for the V8 stack overflow (deeply nested input). @internal */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack size/i.test(e.message);
}

/**
 * The per-site refusal listing `migrate` prints on stderr (hidden by `--quiet`), one line per refused site:
 * `lib/a.js:10:1 ZALGO  zalgo: the callback is called synchronously … (docs/codemods.md#callbacks)`.
 * @module
 */
import type { Site } from "./core.js";
import { REASONS, type ReasonCode } from "./reasons.js";

/** The subsection of docs/codemods.md's "Reason codes" that explains each code (its heading's anchor). @internal */
export const REASON_SECTION: Partial<Record<ReasonCode, string>> = {
  TWO_HANDLER_THEN: "promise-chains",
  FLOATING_CHAIN: "promise-chains",
  HANDLER_NOT_FUNCTION: "promise-chains",
  HANDLER_MEMBER_REFERENCE: "promise-chains",
  HANDLER_USES_THIS: "promise-chains",
  CONDITIONAL_RETURN: "promise-chains",
  HANDLER_PARAMS: "promise-chains",
  NOT_RETURNED: "promise-chains",
  NON_NATIVE_PROMISE: "promise-chains",
  FUNCTION_NOT_PROMISE_RETURNING: "promise-chains",
  FINALLY_ARGUMENT: "promise-chains",
  CHAIN_HEAD_MAY_THROW: "promise-chains",
  NAME_COLLISION: "promise-chains",
  CALLBACK_ESCAPES: "callbacks",
  CALLBACK_FROM_ARGUMENTS: "callbacks",
  ZALGO: "callbacks",
  SYNC_CALLBACK: "callbacks",
  MAYBE_NEVER_CALLED: "callbacks",
  CALLBACK_NOT_LAST: "callbacks",
  CALLBACK_IN_NESTED_FUNCTION: "callbacks",
  HELPER_NOT_TAIL_CALLED: "callbacks",
  HELPER_RECURSIVE: "callbacks",
  CALLBACK_IN_EXPRESSION: "callbacks",
  UNSUPPORTED_STATEMENT: "callbacks",
  MULTIPLE_RESULTS: "callbacks",
  UNKNOWN_CALLEE: "callbacks",
  MIXED_SUCCESS_ARITY: "callbacks",
  NOT_ERR_FIRST: "callbacks",
  CONTINUATION_NOT_ERR_FIRST: "callbacks",
  CALLEE_REFUSED: "callbacks",
  OPTIONAL_CALLBACK: "callbacks",
  CALLBACK_NOT_LAST_PARAMETER: "callbacks",
  CONTINUATION_SHAPE: "callbacks",
  RETURNS_VALUE: "callbacks",
  SYNC_THROW: "callbacks",
  TS_FORM: "callbacks",
  ASYNC_START_NESTED: "callbacks",
  COUNTER_MAY_CALL_TWICE: "callbacks",
  COUNTER_SHAPE: "callbacks",
  ALREADY_ASYNC: "callbacks",
  EXECUTOR_SHAPE: "node-apis",
  NOT_NODE_MODULE: "node-apis",
  NO_PROMISE_API: "node-apis",
  THROWS_SYNCHRONOUSLY: "node-apis",
  ONCE_WITHOUT_ERROR_HANDLER: "node-apis",
  JQUERY_DEFERRED: "node-apis",
  DEFERRED_ESCAPES: "node-apis",
  DEFERRED_SETTLED_TWICE: "node-apis",
  DEFERRED_SHAPE: "node-apis",
  LIBRARY_NODE_CALL: "node-apis",
  BROKE_TESTS: "engine",
  NOT_VERIFIED: "engine",
  OUTPUT_DID_NOT_PARSE: "engine",
};

/** Where docs/codemods.md explains a reason code (a code not in the table: its transform's subsection). @internal */
export function reasonDocLink(reason: ReasonCode, transform: Site["transform"]): string {
  return `docs/codemods.md#${REASON_SECTION[reason] ?? transform}`;
}

/** The listing lines of one file's refused sites, in source order (`file` as it should be shown). @internal */
export function refusalLines(file: string, sites: readonly Site[]): string[] {
  const out: string[] = [];
  for (const s of sites) {
    if (s.status !== "refused" || !s.reason) continue;
    const explanation = (REASONS as Record<string, string>)[s.reason] ?? "";
    const label = s.name && s.name !== "(anonymous)" ? `${s.name}: ` : "";
    // What exactly the check saw (`fs.open`, `handed to cmdShim …`), when it says it.
    const seen = s.detail ? ` [${s.detail.replace(/\s+/g, " ").slice(0, 80)}]` : "";
    out.push(
      `${file}:${s.line}:${s.column} ${s.reason}  ${label}${explanation}${seen} (${reasonDocLink(s.reason, s.transform)})`,
    );
  }
  return out;
}

// The per-test parsers moved to codemods/test-results.ts (`--verify` uses them too).
export * from "../codemods/test-results.js";

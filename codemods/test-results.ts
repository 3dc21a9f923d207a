/**
 * Per-test result parsers: they turn a test runner's output into named
 * results, so that runs are compared by the SET of passing tests, never by
 * exit code alone (some old runners exit 0 having run nothing, and a crash
 * half way still exits non-zero after many passes). Used by `--verify`
 * (codemods/verify.ts) and by the corpus harness (scripts/corpus.ts).
 *
 * A test id must be the same string in every run of the same suite, so ids are
 * built from the test's own name and its enclosing groups, never from numbers
 * that shift (TAP ordinals) or from timings ("(12ms)", "# time=…").
 * @module
 */

/** The outcome of one named test (or script) in one run. */
export interface TestResult {
  id: string;
  ok: boolean;
}

/** The names of the parsers `corpus/packages.json` may ask for. */
export type ParserName = "tap" | "mocha-spec" | "vows-spec" | "script-lines";

// Duplicate names inside one group are legal (tape's "should be equal"), so
// the n-th occurrence of a name gets a " #n" suffix: stable as long as the
// suite's own order is.
class IdMaker {
  private readonly seen = new Map<string, number>();
  make(base: string): string {
    const n = (this.seen.get(base) ?? 0) + 1;
    this.seen.set(base, n);
    return n === 1 ? base : `${base} #${n}`;
  }
}

const stripTiming = (s: string): string =>
  s
    .replace(/\s*#\s*time=[\d.]+m?s\s*$/, "")
    .replace(/\s*\(\d+(?:\.\d+)?m?s\)\s*$/, "")
    .trim();

/**
 * TAP 12/13 as printed by tap 1.x–5.x (indented "# Subtest:" blocks whose
 * summary line sits 4 spaces to the left) and by tape ("# name" comments at
 * column 0). Only leaf assertions are counted: a subtest's summary line is the
 * result of its children, not a test of its own; a failing summary with no
 * failing child (a crashed file) is still reported as a failure.
 */
export function parseTap(output: string): TestResult[] {
  const results: TestResult[] = [];
  const ids = new IdMaker();
  const stack: { indent: number; name: string; children: number }[] = [];
  let tapeGroup = "";
  // YAML diagnostics blocks ("  ---" … "  ...") may contain lines that look like TAP.
  let yamlIndent = -1;
  for (const raw of output.split(/\r?\n/)) {
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (yamlIndent >= 0) {
      if (line === "..." && indent === yamlIndent) yamlIndent = -1;
      continue;
    }
    if (line === "---") {
      yamlIndent = indent;
      continue;
    }
    let m = /^# Subtest: (.*)$/.exec(line);
    if (m) {
      while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
      stack.push({ indent, name: m[1]!.trim(), children: 0 });
      continue;
    }
    m = /^#\s+(.*)$/.exec(line);
    if (m && indent === 0 && stack.length === 0) {
      const c = m[1]!;
      if (!/^(tests|pass|fail|ok|skip|todo|time=)\b/.test(c)) tapeGroup = c.trim();
      continue;
    }
    m = /^(not ok|ok)\b\s*\d*\s*(?:-\s*)?(.*)$/.exec(line);
    if (!m) continue;
    const passed = m[1] === "ok";
    let desc = m[2]!;
    const directive = /\s#\s*(SKIP|TODO)\b/i.exec(desc);
    if (directive) {
      // A skipped test neither passes nor fails; a failing TODO is expected.
      continue;
    }
    desc = stripTiming(desc);
    // Close the subtests this line is not inside of.
    while (stack.length && stack[stack.length - 1]!.indent > indent + 4) stack.pop();
    const top = stack[stack.length - 1];
    if (top && top.indent === indent + 4) {
      // The summary line of the subtest `top`. It counts as a test of its
      // own only when it failed (a crashed file) or had no assertions (a
      // `cleanup` subtest that just ends: it still has to reach its end).
      stack.pop();
      if (!passed || top.children === 0) {
        const path = [...stack.map((s) => s.name), top.name].join(" › ");
        results.push({ id: ids.make(`${path} [subtest]`), ok: passed });
      }
      for (const s of stack) s.children++;
      continue;
    }
    for (const s of stack) s.children++;
    const groups = stack.filter((s) => s.indent <= indent).map((s) => s.name);
    if (stack.length === 0 && tapeGroup) groups.push(tapeGroup);
    results.push({ id: ids.make([...groups, desc].join(" › ")), ok: passed });
  }
  return results;
}

/**
 * mocha's spec reporter: suites are unmarked lines, passes are "✓ title",
 * failures "N) title"; the nesting comes from the indentation.
 */
export function parseMochaSpec(output: string): TestResult[] {
  const results: TestResult[] = [];
  const ids = new IdMaker();
  const stack: { indent: number; name: string }[] = [];
  for (const printed of output.split(/\r?\n/)) {
    // mocha 1.x prints "◦ title: " then erases it (ESC[2K ESC[0G) and prints the result; colours are codes too.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
    const raw = printed.replace(/^.*\x1b\[0G/, "").replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    if (!raw.trim()) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    // The end summary ("9 passing (177ms)"; mocha 1.x: "✔ 13 tests complete") and failure details come after the tests.
    if (/^\d+ (passing|failing|pending)\b/.test(line) || /^[✓✔√✖]\s+\d+ (of \d+ )?tests? (complete|failed)/.test(line))
      break;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const path = stack.map((s) => s.name);
    let m = /^[✓✔√]\s+(.*)$/.exec(line);
    if (m) {
      results.push({ id: ids.make([...path, stripTiming(m[1]!)].join(" › ")), ok: true });
      continue;
    }
    m = /^\d+\)\s+(.*)$/.exec(line);
    if (m) {
      results.push({ id: ids.make([...path, stripTiming(m[1]!)].join(" › ")), ok: false });
      continue;
    }
    if (/^-\s/.test(line)) continue; // pending
    stack.push({ indent, name: line });
  }
  return results;
}

/**
 * vows --spec: "♢ suite" headers, context lines, then "✓ vow" (honored) or
 * "✗ vow" (broken or errored) under each context.
 */
export function parseVowsSpec(output: string): TestResult[] {
  const results: TestResult[] = [];
  const ids = new IdMaker();
  let suite = "";
  let context = "";
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    let m = /^♢\s+(.*)$/.exec(line);
    if (m) {
      suite = m[1]!.trim();
      context = "";
      continue;
    }
    // The final tally ("✓ OK » 81 honored", "✗ Broken » …") is not a vow.
    if (/^[✓✗]\s+(OK|Broken|Errored)\s+»/.test(line)) continue;
    m = /^([✓✗])\s+(.*)$/.exec(line);
    if (m) {
      results.push({ id: ids.make([suite, context, stripTiming(m[2]!)].join(" › ")), ok: m[1] === "✓" });
      continue;
    }
    // Context lines are indented by 2 and carry no marker; stack traces and
    // stderr noise are indented deeper or start with "(node:" / "at ".
    if (raw.startsWith("  ") && !raw.startsWith("    ") && !/^(\(node:|at\s)/.test(line)) context = line;
  }
  return results;
}

/**
 * Scripts that report one line per script, as rimraf's test/run.sh does
 * ("test-async.js ...pass"). `pattern` must capture the name and the verdict.
 */
export function parseScriptLines(output: string, pattern: RegExp, passWord = "pass"): TestResult[] {
  const results: TestResult[] = [];
  const ids = new IdMaker();
  for (const line of output.split(/\r?\n/)) {
    const m = pattern.exec(line);
    if (m) results.push({ id: ids.make(m[1]!.trim()), ok: m[2]!.trim() === passWord });
  }
  return results;
}

/** Dispatches on the parser name from `corpus/packages.json`. */
export function parseResults(parser: ParserName, output: string, scriptPattern?: string): TestResult[] {
  switch (parser) {
    case "tap":
      return parseTap(output);
    case "mocha-spec":
      return parseMochaSpec(output);
    case "vows-spec":
      return parseVowsSpec(output);
    case "script-lines":
      if (!scriptPattern) throw new Error("script-lines parser needs a scriptPattern");
      return parseScriptLines(output, new RegExp(scriptPattern));
  }
}

/** The ids that passed; an id that both passed and failed (duplicate names across files) counts as failed. */
export function passSet(results: TestResult[]): Set<string> {
  const failed = new Set(results.filter((r) => !r.ok).map((r) => r.id));
  return new Set(results.filter((r) => r.ok && !failed.has(r.id)).map((r) => r.id));
}

/** The parsers `--verify` can pick itself ({@link detectParser}), or be told to use. */
export type AutoParserName = "tap" | "mocha-spec" | "vows-spec";

/**
 * Which runner printed this output: TAP (tap, tape, node:test's TAP), mocha's spec reporter, vows --spec;
 * undefined when none is recognised (then only the exit code counts).
 */
export function detectParser(printed: string): AutoParserName | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences
  const output = printed.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
  if (/^\s*♢ /m.test(output) || /^[✓✗] (OK|Broken|Errored) » /m.test(output)) return "vows-spec";
  if (/^\s*\d+ passing\b/m.test(output) && /^\s*[✓✔√] /m.test(output)) return "mocha-spec";
  if (/^\s*[✓✔√✖] \d+ (of \d+ )?tests? (complete|failed)/m.test(output)) return "mocha-spec";
  if (/^\s*\d+ passing\b/m.test(output) && /^\s*\d+\) /m.test(output)) return "mocha-spec";
  if (/^\s*(not ok|ok)\b/m.test(output) && (/^\s*1\.\.\d+/m.test(output) || /^TAP version/m.test(output))) return "tap";
  return undefined;
}

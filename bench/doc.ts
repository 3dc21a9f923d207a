// docs/benchmarks.md is written in sections between markers, so that
// `npm run bench` and `npm run bench:python` each replace only their own part.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DOC = fileURLToPath(new URL("../docs/benchmarks.md", import.meta.url));

const ORDER = ["intro", "node", "scaling", "python", "twisted-chain", "codemods", "findings"];

/** Replaces (or adds) section `name` of docs/benchmarks.md with `body`. */
export function writeSection(name: string, body: string): void {
  const text = existsSync(DOC) ? readFileSync(DOC, "utf8") : "";
  const sections = new Map<string, string>();
  const re = /<!-- bench:(\S+) -->\n([\s\S]*?)<!-- \/bench:\1 -->\n?/g;
  for (const m of text.matchAll(re)) sections.set(m[1]!, m[2]!);
  sections.set(name, body.endsWith("\n") ? body : body + "\n");
  const names = [...ORDER.filter((n) => sections.has(n)), ...[...sections.keys()].filter((n) => !ORDER.includes(n))];
  const out = names.map((n) => `<!-- bench:${n} -->\n${sections.get(n)}<!-- /bench:${n} -->\n`).join("\n");
  writeFileSync(DOC, out);
}

/** The current body of section `name`, if any. */
export function readSection(name: string): string | undefined {
  if (!existsSync(DOC)) return undefined;
  const m = new RegExp(`<!-- bench:${name} -->\\n([\\s\\S]*?)<!-- /bench:${name} -->`).exec(readFileSync(DOC, "utf8"));
  return m?.[1];
}

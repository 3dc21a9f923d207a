// async.mapLimit / eachLimit in converted code become a small pool. `await promisify(async.mapLimit).call(async,
// coll, 4, iter)`, its iterator converted into the dual form, becomes `await __asyncioMapLimit(coll, 4, async
// function (x) {…})`, with the helper added once to the file.
//
// Equivalent: the …Limit functions start up to `limit` iterators at once, in order, start the next element when one
// calls back, give the results in the elements' order, and on the first error call back with it and start no
// more (those running go on); the helper's workers take the next index in order when they start and after each
// body, stop taking on a failure, and Promise.all rejects with the first one (handling the later ones). The limit
// must be a whole number literal ≥ 1 (async.js calls back at once for 0). The collection goes through Array.from,
// under COLLECTION_IS_ARRAY_LIKE where it is not evidently an array (recorded on the iterator's site).
import { ts } from "ts-morph";
import { type Edit, isTsFile, type MigrateOptions } from "../../core.js";
import type { ModuleBindings } from "../node-table.js";
import { LIMIT_FUNCTIONS, asyncMapper, isPositiveCount, promisifiedAsyncFunction } from "./async-collections.js";
import { collectionAccepted } from "./collection-evidence.js";

/** Name of the pool helper added to a file. */
export const MAP_LIMIT_HELPER = "__asyncioMapLimit";

/** The rewrite of an awaited `promisify(async.mapLimit)…(coll, n, iter)` call with the pool helper, if it applies. */
export function limitRewrite(
  sf: ts.SourceFile,
  b: ModuleBindings,
  call: ts.CallExpression,
  options: MigrateOptions,
): { edit: Edit; dualCalls: number; promisify: string } | undefined {
  const target = promisifiedAsyncFunction(b, call);
  const kind = target && LIMIT_FUNCTIONS[target.method];
  if (!kind || target.args.length !== 3 || !ts.isAwaitExpression(call.parent)) return undefined;
  const [coll, limit, iter] = target.args as [ts.Expression, ts.Expression, ts.Expression];
  // each's value is undefined, the helper's an array: only where the value is not used.
  if (kind === "each" && !ts.isExpressionStatement(call.parent.parent)) return undefined;
  if (!isPositiveCount(limit) || !collectionAccepted(coll, options)) return undefined;
  const mapper = asyncMapper(sf, iter);
  if (!mapper) return undefined;
  const text = `${MAP_LIMIT_HELPER}(${coll.getText(sf)}, ${limit.getText(sf)}, ${mapper.text})`;
  return { edit: { start: call.getStart(sf), end: call.getEnd(), text }, dualCalls: 1, promisify: target.promisify };
}

/** The helper's text, to append to a file that uses it and does not have it yet (typed in a TypeScript file). */
export function mapLimitHelperText(sf: ts.SourceFile): string | undefined {
  if (sf.statements.some((s) => ts.isFunctionDeclaration(s) && s.name?.text === MAP_LIMIT_HELPER)) return undefined;
  const ts_ = isTsFile(sf.fileName);
  const sig = ts_
    ? `<T, R>(items: Iterable<T> | ArrayLike<T>, limit: number, fn: (item: T) => Promise<R>): Promise<R[]>`
    : `(items, limit, fn)`;
  const arrayT = ts_ ? `<R>` : "";
  return (
    `\n// Added by asyncio-ts migrate: async.mapLimit / eachLimit as a promise: at most \`limit\` calls of \`fn\` at once,\n` +
    `// started in order, the results in order; the first failure rejects and no more calls start.\n` +
    `async function ${MAP_LIMIT_HELPER}${sig} {\n` +
    `  const list = Array.from(items);\n` +
    `  const results = new Array${arrayT}(list.length);\n` +
    `  let next = 0;\n` +
    `  let failed = false;\n` +
    `  const worker = async () => {\n` +
    `    while (!failed && next < list.length) {\n` +
    `      const i = next++;\n` +
    `      try {\n` +
    `        results[i] = await fn(list[i]);\n` +
    `      } catch (error) {\n` +
    `        failed = true;\n` +
    `        throw error;\n` +
    `      }\n` +
    `    }\n` +
    `  };\n` +
    `  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, worker));\n` +
    `  return results;\n` +
    `}\n`
  );
}

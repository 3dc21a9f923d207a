// Fixture harness for the codemods: loads a case folder, runs the migration,
// and runs a case's scenario against the input and the output modules.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import { migrateSource, type MigrateOptions, type TransformName } from "../../codemods/index.js";

/** How long a scenario waits for a callback or a promise before it counts as never settling. */
const CALL_WAIT_MS = 10_000;

export const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/codemods");

export interface Case {
  name: string;
  dir: string;
  transform: TransformName | "pipeline";
  inputFile: string;
  ext: string;
  input: string;
  expected?: string;
  report?: unknown[];
  options: MigrateOptions;
  scenario?: string;
}

export function loadCases(): Case[] {
  const cases: Case[] = [];
  for (const transform of fs.readdirSync(FIXTURES).sort()) {
    const tdir = path.join(FIXTURES, transform);
    if (!fs.statSync(tdir).isDirectory()) continue;
    for (const name of fs.readdirSync(tdir).sort()) {
      const dir = path.join(tdir, name);
      const files = fs.readdirSync(dir);
      const inputFile = files.find((f) => /^input\.(js|mjs|cjs|ts|tsx)$/.test(f));
      if (!inputFile) continue;
      const ext = path.extname(inputFile);
      const outFile = files.find((f) => f === `output${ext}`);
      const optsFile = path.join(dir, "options.json");
      const options: MigrateOptions = fs.existsSync(optsFile) ? JSON.parse(fs.readFileSync(optsFile, "utf8")) : {};
      if (transform !== "pipeline") options.transforms = [transform as TransformName];
      // The proof-only profile unless the case names one (options.json `"assume"`).
      options.assume ??= "none";
      cases.push({
        name: `${transform}/${name}`,
        dir,
        transform: transform as Case["transform"],
        inputFile,
        ext,
        input: fs.readFileSync(path.join(dir, inputFile), "utf8"),
        expected: outFile ? fs.readFileSync(path.join(dir, outFile), "utf8") : undefined,
        report: fs.existsSync(path.join(dir, "report.json"))
          ? JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"))
          : undefined,
        options,
        scenario: files.includes("scenario.mjs") ? path.join(dir, "scenario.mjs") : undefined,
      });
    }
  }
  return cases;
}

export function migrateCase(c: Case, text = c.input) {
  return migrateSource(text, c.inputFile, c.options);
}

/** Writes a module's text where it can be loaded (TypeScript is transpiled to CommonJS or ESM as written). */
function materialise(text: string, ext: string, dir: string): string {
  const isEsm = /^\s*(import|export)\s/m.test(text) || ext === ".mjs";
  let js = text;
  if (ext === ".ts" || ext === ".tsx") {
    js = ts.transpileModule(text, {
      compilerOptions: {
        module: isEsm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
      },
    }).outputText;
  }
  const file = path.join(dir, isEsm ? "subject.mjs" : "subject.cjs");
  fs.writeFileSync(file, js);
  return file;
}

/** What one callback-style call did: how often, whether synchronously, with what. */
export interface CallTrace {
  calls: number;
  sync: boolean | null;
  args: unknown[] | null;
  threw?: unknown;
}

export function describe(v: unknown): unknown {
  if (v instanceof Error)
    return { error: v.constructor.name, message: v.message, code: (v as NodeJS.ErrnoException).code };
  if (Buffer.isBuffer(v)) return { buffer: v.toString("hex") };
  if (v === undefined) return "<undefined>";
  if (typeof v === "function") return "<function>";
  if (v && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)
    return { object: v.constructor?.name };
  if (Array.isArray(v)) return v.map(describe);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)]));
  return v;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Helpers handed to a scenario. */
export function scenarioHelpers(tmp: string) {
  return {
    tmp,
    /** Calls fn(...args, callback) and reports how the callback was called (waits up to 2 s for the first call). */
    async callback(fn: (...a: unknown[]) => unknown, ...args: unknown[]): Promise<CallTrace> {
      const t: CallTrace = { calls: 0, sync: null, args: null };
      let returned = false;
      let first: () => void = () => {};
      const firstCall = new Promise<void>((r) => (first = r));
      try {
        fn(...args, (...cbArgs: unknown[]) => {
          t.calls++;
          if (t.calls === 1) {
            t.sync = !returned;
            // On the error path the converted function passes only the error where the
            // original may have passed (err, undefined): trailing undefineds after an error
            // are not compared (documented in docs/codemods.md).
            const a = [...cbArgs];
            if (a[0] instanceof Error) while (a.length > 1 && a[a.length - 1] === undefined) a.pop();
            t.args = a.map(describe);
            first();
          }
        });
      } catch (e) {
        t.threw = describe(e);
      }
      returned = true;
      if (t.threw === undefined) {
        // Bounded: a callback never called is a result too (calls: 0). Generous, for a loaded machine.
        await Promise.race([firstCall, new Promise((r) => setTimeout(r, CALL_WAIT_MS).unref())]);
        await turns(10);
      }
      return t;
    },
    /** Awaits a promise-returning call and reports its outcome. */
    async settle(p: unknown): Promise<unknown> {
      try {
        const v = await Promise.race([
          p,
          new Promise((_r, j) =>
            setTimeout(() => j(new Error(`pending after ${CALL_WAIT_MS / 1000}s`)), CALL_WAIT_MS).unref(),
          ),
        ]);
        return { status: "fulfilled", value: describe(v) };
      } catch (e) {
        return { status: "rejected", reason: describe(e) };
      }
    },
  };
}

/** Runs the scenario against a module text in a fresh temporary directory; returns its trace. */
export async function runScenario(c: Case, text: string): Promise<unknown> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-scenario-"));
  try {
    // Third-party packages the case calls (a verbatim copy of the version the corpus installs) in
    // `modules/`, installed beside the subject so that both input and output require the same code.
    const modules = path.join(c.dir, "modules");
    // `modules` may be a symlink to another case's copy (one verbatim copy of a package in the tree).
    if (fs.existsSync(modules))
      fs.cpSync(modules, path.join(tmp, "node_modules"), { recursive: true, dereference: true });
    const file = materialise(text, c.ext, tmp);
    const subject = file.endsWith(".cjs") ? createRequire(file)(file) : await import(pathToFileURL(file).href);
    const scenario = (await import(pathToFileURL(c.scenario!).href)).default;
    const work = path.join(tmp, "work");
    fs.mkdirSync(work);
    const trace = await scenario(subject, scenarioHelpers(work));
    // Temporary paths differ between runs.
    return JSON.parse(
      JSON.stringify(trace ?? null)
        .split(tmp)
        .join("<tmp>"),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Cross-file call sites (`migrateProject`): which function of another file a call refers to is
// resolved by TypeScript's type checker (codemods/resolve.ts). Each case is a small tree: the
// caller's call site must become an await of the converted callee (or stay as it was), and the
// input and output trees, written to temp dirs and loaded for real, must behave the same.
import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import { migrateProject, type FileResult } from "../../codemods/index.js";
import { resolveCrossFileCallees } from "../../codemods/resolve.js";

/** A callback-style function over fs.stat: converted by the callbacks transform. */
const sizeFn = (name = "size") => `function ${name}(p, cb) {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
`;
const sizeTs = (
  name = "size",
  exp = "export ",
) => `${exp}function ${name}(p: string, cb: (err: Error | null, n?: number) => void): void {
  fs.stat(p, function (er, st) {
    if (er) return cb(er);
    cb(null, st.size);
  });
}
`;
/** The caller: `twice` awaits `callee` once converted. */
const twiceFn = (callee: string, name = "twice") => `function ${name}(p, cb) {
  ${callee}(p, function (err, n) {
    if (err) return cb(err);
    cb(null, n * 2);
  });
}
`;
const twiceTs = (
  callee: string,
) => `export function twice(p: string, cb: (err: Error | null, n?: number) => void): void {
  ${callee}(p, function (err, n) {
    if (err) return cb(err);
    cb(null, (n as number) * 2);
  });
}
`;
const FS_CJS = "var fs = require('fs');\n\n";
const FS_ESM = "import * as fs from 'fs';\n\n";

interface Case {
  files: Record<string, string>;
  /** The file whose `twice` calls across files, and the callee texts expected in its awaits. */
  caller: string;
  awaits?: string[];
  /** Which file and export to run for the behaviour check (default: caller, `twice`). */
  entry?: string;
}

const CASES: Record<string, Case> = {
  "CommonJS module.exports = f, required whole": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = size;\n",
      "use.js": "var size = require('./a');\n\n" + twiceFn("size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["size"],
  },
  "CommonJS module.exports = f with a sync twin hung on it (f.sync = …, as rimraf does)": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = size;\nsize.sync = function (p) { return fs.statSync(p).size; };\n",
      "use.js": "var size = require('./a');\n\n" + twiceFn("size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["size"],
  },
  "CommonJS exports.x = function (…) {…}, an exported function expression (dualApi(async function …))": {
    files: {
      "a.js": FS_CJS + sizeFn().replace("function size(p, cb)", "exports.size = function (p, cb)"),
      "use.js": "var a = require('./a');\n\n" + twiceFn("a.size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["a.size"],
  },
  "CommonJS exports.x = f, module object": {
    files: {
      "a.js": FS_CJS + sizeFn() + "exports.size = size;\n",
      "use.js": "var a = require('./a');\n\n" + twiceFn("a.size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["a.size"],
  },
  "CommonJS module.exports = { a, b }, destructured and renamed": {
    files: {
      "a.js": FS_CJS + sizeFn() + "\n" + sizeFn("other") + "module.exports = { size, bytes: other };\n",
      "use.js":
        "const { size: s, bytes } = require('./a');\n\n" +
        twiceFn("s") +
        "\n" +
        twiceFn("bytes", "twiceBytes") +
        "module.exports = { twice, twiceBytes };\n",
    },
    caller: "use.js",
    awaits: ["s", "bytes"],
  },
  // Missed by the syntactic resolver (before the checker): the re-export chain, a require() inside a
  // function, TypeScript's import = require(), and barrels.
  "CommonJS re-export chain: module.exports = require(), then a member of the barrel": {
    files: {
      "lib/a.js": FS_CJS + sizeFn() + "exports.size = size;\n",
      "lib/index.js": "module.exports = require('./a');\n",
      "use.js": "const lib = require('./lib');\n\n" + twiceFn("lib.size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["lib.size"],
  },
  "CommonJS alias of a member: const f = require('./a').size": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = { size };\n",
      "use.js": "const f = require('./a').size;\n\n" + twiceFn("f") + "module.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["f"],
  },
  "CommonJS require inside the calling function": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = { size };\n",
      "use.js":
        "function twice(p, cb) {\n  const { size } = require('./a');\n  size(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n * 2);\n  });\n}\nmodule.exports = { twice };\n",
    },
    caller: "use.js",
    awaits: ["size"],
  },
  "ES modules: renamed import": {
    files: {
      "a.mjs": FS_ESM + "export " + sizeFn(),
      "use.mjs": "import { size as bytes } from './a.mjs';\n\n" + "export " + twiceFn("bytes"),
    },
    caller: "use.mjs",
    awaits: ["bytes"],
  },
  "ES modules: import * as ns": {
    files: {
      "a.mjs": FS_ESM + "export " + sizeFn(),
      "use.mjs": "import * as a from './a.mjs';\n\n" + "export " + twiceFn("a.size"),
    },
    caller: "use.mjs",
    awaits: ["a.size"],
  },
  "ES modules: default export function": {
    files: {
      "a.mjs": FS_ESM + "export default " + sizeFn(),
      "use.mjs": "import measure from './a.mjs';\n\n" + "export " + twiceFn("measure"),
    },
    caller: "use.mjs",
    awaits: ["measure"],
  },
  "ES module importing a CommonJS module by default, then destructuring it": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = { size };\n",
      "use.mjs": "import a from './a.js';\nconst { size: measure } = a;\n\n" + "export " + twiceFn("measure"),
    },
    caller: "use.mjs",
    awaits: ["measure"],
  },
  "TypeScript: import f = require() of a CommonJS module": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = size;\n",
      "use.ts": "import size = require('./a');\n\n" + twiceTs("size"),
    },
    caller: "use.ts",
    awaits: ["size"],
  },
  "TypeScript: barrel index.ts with export { f } from and export * from": {
    files: {
      "lib/a.ts": FS_ESM + sizeTs(),
      "lib/b.ts": FS_ESM + sizeTs("other"),
      "lib/index.ts": "export { size as measure } from './a';\nexport * from './b';\n",
      "use.ts":
        "import { measure, other } from './lib';\n\n" +
        twiceTs("measure") +
        "\nexport function twiceOther(p: string, cb: (err: Error | null, n?: number) => void): void {\n  other(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, (n as number) * 2);\n  });\n}\n",
    },
    caller: "use.ts",
    awaits: ["measure", "other"],
  },
  "TypeScript: plain require() (the syntactic fallback: TypeScript types require() as any)": {
    files: {
      "a.js": FS_CJS + sizeFn() + "exports.size = size;\n",
      "use.ts": "const a = require('./a');\n\n" + twiceTs("a.size"),
    },
    caller: "use.ts",
    awaits: ["a.size"],
  },
  // The syntactic resolver awaited this one: it named the export, not the function behind it.
  "not awaited: the export is reassigned (which function runs is not known)": {
    files: {
      "a.js":
        FS_CJS +
        sizeFn() +
        "exports.size = size;\nif (process.env.NO_SUCH_VARIABLE_XFILE) exports.size = function (p, cb) { cb(null, 0); };\n",
      "use.js": "var a = require('./a');\n\n" + twiceFn("a.size") + "module.exports = { twice };\n",
    },
    caller: "use.js",
  },
  "not awaited: a parameter shadows the import in another function of the file": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = { size };\n",
      "use.js":
        "const { size } = require('./a');\n\n" +
        twiceFn("size") +
        "\nfunction viaParam(size, p, cb) {\n  size(p, function (err, n) {\n    if (err) return cb(err);\n    cb(null, n);\n  });\n}\nmodule.exports = { twice, viaParam };\n",
    },
    caller: "use.js",
  },
  "not awaited: a same-named function of a file that is not required": {
    files: {
      "a.js": FS_CJS + sizeFn() + "module.exports = { size };\n",
      "use.js":
        FS_CJS +
        twiceFn("size") +
        "function size(p, cb) { process.nextTick(cb, null, 21); }\nmodule.exports = { twice };\n",
    },
    caller: "use.js",
  },
};

function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asyncio-ts-xfile-"));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // TypeScript is run as CommonJS JavaScript next to the JavaScript files.
    if (name.endsWith(".ts"))
      fs.writeFileSync(
        file.replace(/\.ts$/, ".js"),
        ts.transpileModule(text, {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText,
      );
    else fs.writeFileSync(file, text);
  }
  return dir;
}

/** Calls `twice` of the tree with an existing and a missing path: every callback call, and whether it was synchronous. */
async function behaviour(dir: string, entry: string): Promise<unknown[]> {
  const file = path.join(dir, entry.replace(/\.ts$/, ".js"));
  const mod = entry.endsWith(".mjs") ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  const out: unknown[] = [];
  fs.writeFileSync(path.join(dir, "data.txt"), "twelve bytes");
  for (const p of [path.join(dir, "data.txt"), path.join(dir, "missing")]) {
    for (const name of Object.keys(mod)
      .filter((k) => typeof mod[k] === "function")
      .sort()) {
      await new Promise<void>((resolve) => {
        let sync = true;
        const calls: unknown[] = [];
        const args =
          name === "viaParam"
            ? [(q: string, cb: (e: unknown, n?: number) => void) => setImmediate(cb, null, q.length), p]
            : [p];
        mod[name](...args, (err: NodeJS.ErrnoException | null, ...values: unknown[]) => {
          calls.push({ sync, err: err ? (err.code ?? err.message) : err, values });
          setImmediate(resolve);
        });
        sync = false;
        out.push({ name, p: path.basename(p), calls });
      });
    }
  }
  return out;
}

const abs = (dir: string, files: Record<string, string>) =>
  Object.entries(files).map(([name, text]) => ({ file: path.join(dir, name), text }));

for (const [title, c] of Object.entries(CASES)) {
  test(title, async (t) => {
    const inputDir = writeTree(c.files);
    const results = migrateProject(abs(inputDir, c.files), { assume: "none" });
    const byName = new Map<string, FileResult>(Object.keys(c.files).map((name, i) => [name, results[i]]));
    for (const r of results) t.is(r.internalError, undefined);
    const caller = byName.get(c.caller)!;
    const twiceSite = caller.sites.find((s) => s.name === "twice");
    if (c.awaits) {
      t.is(twiceSite?.status, "converted", "the caller is converted");
      for (const callee of c.awaits)
        t.true(caller.output.includes(`__asyncioStart((done) => ${callee}(p, done))`), `${callee}:\n${caller.output}`);
    } else {
      t.not(twiceSite?.status, "converted");
      t.false(caller.output.includes("__asyncioStart"), caller.output);
    }
    const outputs: Record<string, string> = {};
    for (const [name, r] of byName) outputs[name] = r.output;
    const outputDir = writeTree(outputs);
    const entry = c.entry ?? c.caller;
    const before = await behaviour(inputDir, entry);
    const after = await behaviour(outputDir, entry);
    t.deepEqual(after, before);
    // A second run over the output converts nothing more.
    t.deepEqual(
      migrateProject(abs(outputDir, outputs), { assume: "none" }).flatMap((r) =>
        r.sites.filter((s) => s.status === "converted"),
      ),
      [],
    );
  });
}

test("the resolver names the function behind each callee text, and only callback functions of other files", (t) => {
  const files = {
    "/p/a.js": FS_CJS + sizeFn() + "function plain(p) { return p; }\nmodule.exports = { size, plain };\n",
    "/p/use.js":
      "const a = require('./a');\nconst { size } = require('./a');\nsize(1, () => {});\na.size(1, () => {});\na.plain(1);\nfs.stat('x', () => {});\n",
  };
  const r = resolveCrossFileCallees(Object.entries(files).map(([file, text]) => ({ file, text })));
  t.deepEqual(r, {
    "/p/use.js": { size: { file: "/p/a.js", exports: ["size"] }, "a.size": { file: "/p/a.js", exports: ["size"] } },
  });
});

test("the resolver skips the checker when no file names another one", (t) => {
  t.deepEqual(
    resolveCrossFileCallees([
      { file: "/p/a.js", text: FS_CJS + sizeFn() },
      { file: "/p/b.js", text: "require('fs');\n" },
    ]),
    {},
  );
});

/** A require chain: f0.js requires f1.js … requires f{n-1}.js, each a callback function calling the next. */
function requireChain(n: number): { file: string; text: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    file: `/p/f${i}.js`,
    text:
      i === n - 1
        ? FS_CJS + sizeFn() + "module.exports = size;\n"
        : `const next = require('./f${i + 1}');\n${twiceFn("next")}module.exports = twice;\n`,
  }));
}

test("the resolver follows a require chain of 3,000 files (TypeScript loads imports recursively)", (t) => {
  const n = 3000;
  const r = resolveCrossFileCallees(requireChain(n));
  t.is(Object.keys(r).length, n - 1);
  t.deepEqual(r["/p/f0.js"], { next: { file: "/p/f1.js", exports: ["module.exports"] } });
  t.deepEqual(r[`/p/f${n - 2}.js`], { next: { file: `/p/f${n - 1}.js`, exports: ["module.exports"] } });
});

test("a call chain across 12 files converts end to end: one round per file of the chain, not five rounds", (t) => {
  // Each round makes the function one file further up the chain awaitable; the rounds used to stop at five,
  // leaving the seven files at the top refused CALLEE_REFUSED.
  const results = migrateProject(requireChain(12), { assume: "err-first" });
  const unconverted = results.filter((r) => !r.sites.some((s) => s.status === "converted")).map((r) => r.file);
  t.deepEqual(unconverted, []);
  t.regex(results[0]!.output, /await next\(/);
});

test("default profile: an exported function expression becomes exports.x = dualApi(async function …), which another file's conversion awaits directly", async (t) => {
  const files = {
    "a.js": FS_CJS + sizeFn().replace("function size(p, cb)", "exports.size = function (p, cb)"),
    "use.js": "var a = require('./a');\n\n" + twiceFn("a.size") + "module.exports = { twice };\n",
  };
  const inputDir = writeTree(files);
  const [a, use] = migrateProject(abs(inputDir, files), { assume: "idiomatic" });
  t.regex(a.output, /exports\.size = dualApi\(async function \(p\) \{/);
  t.false(a.output.includes("__asyncioDual"), a.output);
  t.regex(use.output, /await a\.size\(p\)/);
  const outputDir = writeTree({ "a.js": a.output, "use.js": use.output });
  t.deepEqual(await behaviour(outputDir, "use.js"), await behaviour(inputDir, "use.js"));
});

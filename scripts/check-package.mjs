#!/usr/bin/env node
// CI check of the published runtime package (the repository root): it must
// have zero runtime dependencies and ship neither the migration tool nor
// source maps. Packs it, installs the tarball into an empty project, and
// prints what a user pays: packages installed and bytes on disk. Then
// type-checks, in that project, a module importing every entry point of
// "exports" with skipLibCheck false and strict (moduleResolution nodenext and
// bundler): the shipped declarations (built with stripInternal) must be
// complete, e.g. never name an @internal declaration that was stripped.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const problems = [];
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const field of ["dependencies", "optionalDependencies", "bundleDependencies"]) {
  const names = Object.keys(pkg[field] ?? {});
  if (names.length)
    problems.push(`package.json ${field} must be empty (the runtime has no dependencies): ${names.join(", ")}`);
}
for (const [name] of Object.entries(pkg.peerDependencies ?? {})) {
  if (!pkg.peerDependenciesMeta?.[name]?.optional) problems.push(`peer dependency ${name} must be optional`);
}

const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const [packed] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"], root));
const files = packed.files.map((f) => f.path);
const bad = files.filter((f) => f.startsWith("codemods/") || f.startsWith("dist/codemods/") || f.endsWith(".map"));
if (bad.length) problems.push(`the runtime tarball ships files it must not: ${bad.slice(0, 5).join(", ")}`);
if (!files.includes("dist/src/index.js"))
  problems.push("the runtime tarball lacks dist/src/index.js (run npm run build first)");

// Install the real tarball into an empty project, offline: nothing else may come with it.
const work = mkdtempSync(join(tmpdir(), "asyncio-ts-pack-"));
try {
  const tarball = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], root))[0].filename;
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  npm(["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, tarball)], work);
  const installed = readdirSync(join(work, "node_modules")).filter((n) => !n.startsWith("."));
  const size = (p) =>
    statSync(p).isDirectory() ? readdirSync(p).reduce((s, n) => s + size(join(p, n)), 0) : statSync(p).size;
  const bytes = size(join(work, "node_modules"));
  console.log(
    `runtime package: ${files.length} files, tarball ${packed.size} B, unpacked ${packed.unpackedSize} B; ` +
      `installed: ${installed.length} package(s) (${installed.join(", ")}), ${(bytes / 1024).toFixed(0)} KiB on disk`,
  );
  if (installed.length !== 1) problems.push(`installing the runtime package brought ${installed.length} packages`);
  // The installed package is importable by name.
  execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      "const m = await import('asyncio-ts'); if (typeof m.run !== 'function') process.exit(1);",
    ],
    { cwd: work },
  );
  problems.push(...typeCheckConsumer(work));
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Type-checks an ES module of the consumer project `work` (where the tarball is installed) that imports every
 * entry of "exports", as a strict user with skipLibCheck false would, under each moduleResolution. The optional
 * peer rxjs and @types/node come from this repository's node_modules (linked in, as a user would install them).
 * Returns the compiler's messages, one problem per resolution mode that has errors.
 */
function typeCheckConsumer(work) {
  const ts = createRequire(join(root, "package.json"))("typescript");
  for (const name of ["rxjs", "@types/node"]) {
    const target = join(root, "node_modules", name);
    if (!existsSync(target)) return [`cannot type-check the consumer: ${name} is not installed (npm ci)`];
    mkdirSync(dirname(join(work, "node_modules", name)), { recursive: true });
    symlinkSync(target, join(work, "node_modules", name), "dir");
  }
  const entries = Object.keys(pkg.exports).map((sub) => (sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`));
  writeFileSync(
    join(work, "package.json"),
    JSON.stringify({ ...JSON.parse(readFileSync(join(work, "package.json"), "utf8")), type: "module" }),
  );
  const file = join(work, "consumer.ts");
  writeFileSync(
    file,
    `${entries.map((e, i) => `import * as e${i} from ${JSON.stringify(e)};`).join("\n")}\n` +
      `export const entries = [${entries.map((_, i) => `e${i}`).join(", ")}];\n`,
  );
  // A Node user's settings, without the DOM's globals (they would hide a missing @types/node one).
  const common = {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    types: ["node"],
  };
  const modes = {
    nodenext: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    bundler: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
  };
  const host = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => work,
    getNewLine: () => "\n",
  };
  const out = [];
  for (const [mode, options] of Object.entries(modes)) {
    const program = ts.createProgram({ rootNames: [file], options: { ...common, ...options } });
    // Every error in the consumer and in the package's own declarations (and what they use of other packages);
    // the rest of @types/node and rxjs is not ours to fix, and checking all of @types/node takes most of the time.
    const ours = program
      .getSourceFiles()
      .filter((sf) => sf.fileName === file || sf.fileName.includes(`/node_modules/${pkg.name}/`));
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...ours.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
    ];
    if (ours.length <= entries.length)
      out.push(`the consumer type-check (moduleResolution ${mode}) read only ${ours.length} file(s) of the package`);
    if (diagnostics.length)
      out.push(
        `the declarations fail to type-check in a consumer (moduleResolution ${mode}, strict, skipLibCheck false, ` +
          `importing ${entries.join(", ")}):\n${ts.formatDiagnostics(diagnostics, host).trimEnd()}`,
      );
    else
      console.log(`declarations: a strict consumer (moduleResolution ${mode}) type-checks ${ours.length - 1} of them`);
  }
  return out;
}

for (const p of problems) console.error(`check-package: ${p}`);
process.exitCode = problems.length ? 1 : 0;

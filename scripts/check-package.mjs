#!/usr/bin/env node
// CI check of the published runtime package (the repository root): it must
// have zero runtime dependencies and ship neither the migration tool nor
// source maps. Packs it, installs the tarball into an empty project, and
// prints what a user pays: packages installed and bytes on disk.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const p of problems) console.error(`check-package: ${p}`);
process.exitCode = problems.length ? 1 : 0;

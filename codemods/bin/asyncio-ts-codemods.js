#!/usr/bin/env node
// Runs the migration CLI: the compiled dist/cli.js of this package when it is
// built (as published), otherwise the TypeScript source through tsx (a
// development checkout of the asyncio-ts repository).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "cli.js");
if (existsSync(built)) {
  const { main, handleClosedPipes } = await import(pathToFileURL(built).href);
  handleClosedPipes();
  process.exitCode = await main(process.argv.slice(2));
} else {
  const source = join(root, "cli.ts");
  // tsx by absolute URL: the CLI runs in the user's directory, where tsx may not resolve.
  const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), source, ...process.argv.slice(2)], {
    stdio: "inherit",
    cwd: process.cwd(),
  });
  process.exitCode = r.status ?? 2;
}

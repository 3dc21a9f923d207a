// Loaded with `node --import` by bench/codemod-file-size.ts into the migrate CLI: prints the process's
// peak resident set size (KB; process-wide, so --jobs workers count) and its CPU time when it exits.
import { isMainThread } from "node:worker_threads";

if (isMainThread)
  process.on("exit", () => {
    const u = process.resourceUsage();
    process.stderr.write(
      `\ncodemod-max-rss-kb ${u.maxRSS}\ncodemod-cpu-seconds ${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(3)}\n`,
    );
  });

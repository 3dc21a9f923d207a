// Loaded with `node --import` by bench/codemod-speed.ts into the migrate CLI: prints the
// process's CPU time (all threads: the main thread and the --jobs workers) when it exits.
process.on("exit", () => {
  const u = process.cpuUsage();
  process.stderr.write(`\ncodemod-cpu-seconds ${((u.user + u.system) / 1e6).toFixed(3)}\n`);
});

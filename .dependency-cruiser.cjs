// The layering rules CI checks (npm run deps): src → adapters → codemods, never the other way; adapters use only
// the core's public entry; no cycles at run time. See ARCHITECTURE.md.
// The modules of the core's former loop/future type cycle (see the rule the-loop-and-future-type-cycle).
const LOOP_CYCLE = "^src/(loop|futures|tasks|running|awaitable|waiters)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-imports-no-adapter",
      comment: "src/ (the core) must not import adapters/ or codemods/: they are built on it, not it on them.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(adapters|codemods)/" },
    },
    {
      name: "adapters-use-the-public-core",
      comment: "An adapter imports the core only through its public entry src/index.ts (what users import).",
      severity: "error",
      from: { path: "^adapters/" },
      to: { path: "^src/", pathNot: "^src/index\\.ts$" },
    },
    {
      name: "runtime-imports-no-codemods",
      comment: "The runtime package (src/, adapters/) must not depend on the migration tool's package.",
      severity: "error",
      from: { path: "^(src|adapters)/" },
      to: { path: "^codemods/" },
    },
    {
      name: "codemods-are-standalone",
      comment: "The migration tool is its own package: it cannot reach into the runtime's sources.",
      severity: "error",
      from: { path: "^codemods/" },
      to: { path: "^(src|adapters)/" },
    },
    {
      name: "no-runtime-cycles",
      comment: "No import cycle that exists at run time (type-only imports are erased).",
      severity: "error",
      from: { path: "^(src|adapters|codemods)/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-type-cycles-in-the-core",
      comment:
        "The core's modules form a DAG even counting types: what a lower module needs of the loop or of a Future is typed by the interfaces at the bottom (src/events.ts's AbstractEventLoop and AbstractFuture, events.AbstractEventLoop's shape; src/loop-interface.ts's EventLoop). For every module but the six of the next rule, which says the same of them.",
      severity: "error",
      from: { path: "^src/", pathNot: LOOP_CYCLE },
      to: { circular: true },
    },
    {
      name: "the-loop-and-future-type-cycle",
      comment:
        "No type cycle among loop.ts and the modules below it that name the loop in public types (Future.getLoop(), getRunningLoop(), the loop options of Future, Task, allTasks, ensureFuture and eagerTaskFactory): they import the loop's type from src/loop-interface.ts, which imports nothing and which loop.ts fills in by declaration merging; loop.ts alone imports futures.ts and tasks.ts (see ARCHITECTURE.md, Layering).",
      severity: "error",
      from: { path: LOOP_CYCLE },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
  },
};

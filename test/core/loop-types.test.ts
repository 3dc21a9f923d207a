// The public signatures that name the loop (issue #11): futures.ts, tasks.ts and
// running.ts take EventLoop from src/loop-interface.ts (so that they do not import
// loop.ts), and that must be the very EventLoop class users import, not a look-alike.
// The assertions are checked by the compiler (npx tsc -p tsconfig.json --noEmit).
import test from "ava";
import {
  EventLoop,
  Future,
  type Task,
  type allTasks,
  type eagerTaskFactory,
  type ensureFuture,
  type getRunningLoop,
  type TaskFactory,
} from "../../src/index.js";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Loop = EventLoop;
type LoopOption<O extends { loop?: unknown } | undefined> = NonNullable<O>["loop"];

const checks: [
  Equals<ReturnType<Future<number>["getLoop"]>, Loop>,
  Equals<ReturnType<Task<number>["getLoop"]>, Loop>,
  Equals<ReturnType<typeof getRunningLoop>, Loop>,
  Equals<LoopOption<ConstructorParameters<typeof Future>[0]>, Loop | undefined>,
  Equals<LoopOption<ConstructorParameters<typeof Task>[1]>, Loop | undefined>,
  Equals<LoopOption<Parameters<typeof ensureFuture>[1]>, Loop | undefined>,
  Equals<Parameters<typeof allTasks>[0], Loop | undefined>,
  Equals<Parameters<typeof eagerTaskFactory>[0], Loop>,
  Equals<Parameters<TaskFactory>[0], Loop>,
] = [true, true, true, true, true, true, true, true, true];

test("the loop the lower modules name is the EventLoop class", (t) => {
  t.true(checks.every((c) => c));
  const loop = new EventLoop();
  const fut = new Future<number>({ loop });
  const same: EventLoop = fut.getLoop();
  t.is(same, loop);
  fut.cancel();
  loop.close();
});

import test from "ava";
import { createTask, sleep, getRunningLoop } from "../src/index.js";
import { runTest } from "./helpers/loop.js";

test("virtual time: an hour of sleep takes no real time", async (t) => {
  const now = await runTest(async () => {
    await createTask(async () => sleep(3600));
    return getRunningLoop().time();
  });
  t.is(now, 3600);
});

// Child process of callback.test.ts: what happens when the callback given to
// dualApi / toCallback / util.callbackify throws. Prints a JSON summary.
import { callbackify } from "node:util";
import { dualApi, toCallback } from "../../../adapters/promise/index.js";

const uncaught: string[] = [];
process.on("uncaughtException", (e) => uncaught.push((e as Error).message));
let unhandled = 0;
process.on("unhandledRejection", () => unhandled++);

const calls = { dual: 0, toCallback: 0, callbackify: 0 };
const fn = async (): Promise<string> => "ok";
dualApi(fn)(() => {
  calls.dual++;
  throw new Error("from dualApi callback");
});
toCallback(fn)(() => {
  calls.toCallback++;
  throw new Error("from toCallback callback");
});
callbackify(fn)(() => {
  calls.callbackify++;
  throw new Error("from callbackify callback");
});
setTimeout(() => process.stdout.write(JSON.stringify({ calls, uncaught, unhandled }) + "\n"), 50);

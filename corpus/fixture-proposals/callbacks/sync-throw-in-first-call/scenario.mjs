import * as path from "node:path";
export default async function (m, h) {
  const file = path.join(h.tmp, "out.json");
  return [
    await h.callback(m.writeJson, file, { n: 1 }),
    // The original throws synchronously; the callback is never called.
    await h.callback(m.writeJson, file, { n: 1n }),
    await h.callback(m.writeJson, path.join(h.tmp, "no", "such", "dir.json"), {}),
  ];
}
